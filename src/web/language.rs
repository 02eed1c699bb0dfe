//! Language priors from HTTP headers: `Content-Language` (the language the
//! sender says its text is in) and `Accept-Language` (the languages its
//! user reads), strongest first. They are preferences, never errors: a tag
//! that does not parse is skipped.

use crate::text::LangTag;
use axum::http::{header, HeaderMap};

/// At most this many priors are kept from a request.
const MAX_PRIORS: usize = 8;

/// `Content-Language` tags, then `Accept-Language` tags by falling weight,
/// each primary language once.
pub(super) fn priors(headers: &HeaderMap) -> Vec<LangTag> {
    let values = |name| headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let content = values(header::CONTENT_LANGUAGE).into_iter().flat_map(|v| v.split(',')).filter_map(tag);
    let mut accepted: Vec<(LangTag, f32)> = values(header::ACCEPT_LANGUAGE)
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let lang = tag(parts.next()?)?;
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (weight > 0.0).then_some((lang, weight))
        })
        .collect();
    accepted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut priors: Vec<LangTag> = Vec::new();
    for lang in content.chain(accepted.into_iter().map(|(l, _)| l)) {
        if priors.len() < MAX_PRIORS && !priors.iter().any(|p| p.primary() == lang.primary()) {
            priors.push(lang);
        }
    }
    priors
}

fn tag(raw: &str) -> Option<LangTag> {
    LangTag::parse(raw.trim()).ok().filter(|t| !t.is_und())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn of(pairs: &[(header::HeaderName, &str)]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        priors(&headers).into_iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn content_language_first_then_accept_language_by_weight() {
        let got = of(&[
            (header::ACCEPT_LANGUAGE, "en;q=0.5, da-DK, nb;q=0.9, *;q=0.1, sv;q=0"),
            (header::CONTENT_LANGUAGE, "ms"),
        ]);
        assert_eq!(got, ["ms", "da-DK", "nb", "en"]);
    }

    #[test]
    fn bad_tags_are_skipped_and_languages_kept_once() {
        assert_eq!(of(&[(header::ACCEPT_LANGUAGE, "fr-CH, fr;q=0.9, ???, en-GB;q=x")]), ["fr-CH", "en-GB"]);
        assert!(of(&[]).is_empty());
    }
}
