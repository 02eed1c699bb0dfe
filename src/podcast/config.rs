//! The show: a podcast's metadata (`podcast.toml`), parsed and checked at
//! the boundary so a [`Show`] that exists can be published. Every problem
//! with the fields is reported at once. The command line fills what a
//! publisher left out ([`Show::with_defaults`]); `herald podcast init`
//! writes a commented file to start from ([`template`]).

use crate::text::LangTag;
use crate::voice::Quality;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A podcast's metadata, as written in `podcast.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Show {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub description: String,
    /// The show's language (RSS `language`), e.g. `en` or `en-GB`.
    #[serde(default)]
    pub language: String,
    /// Where `OUT_DIR` is published; enclosures and captions are under it.
    /// Empty: the feed's URLs are relative to the feed.
    #[serde(default)]
    pub base_url: String,
    /// Cover art: an absolute URL, or a path relative to `base_url`. Empty:
    /// the feed has no image (Apple Podcasts refuses such a feed).
    #[serde(default)]
    pub image: String,
    /// An Apple Podcasts category, e.g. `News`.
    #[serde(default)]
    pub category: String,
    /// An optional sub-category of `category`, e.g. `Politics`.
    #[serde(default)]
    pub subcategory: Option<String>,
    #[serde(default)]
    pub explicit: bool,
    /// The show's web site (default: `base_url`).
    #[serde(default)]
    pub link: Option<String>,
    /// The kind of voice: `natural` (neural where one is installed for the
    /// language, the default) or `fast` (espeak-ng).
    #[serde(default = "natural")]
    pub quality: Quality,
}

fn natural() -> Quality {
    Quality::Natural
}

/// The category of a show that names none.
pub(crate) const DEFAULT_CATEGORY: &str = "News";

/// Why a show's metadata is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ShowError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path}: {error}")]
    Parse { path: String, error: String },
    /// Every missing or invalid field, each in a few words.
    #[error("{}", .0.join("; "))]
    Fields(Vec<String>),
}

fn absolute(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

impl Show {
    /// Reads a `podcast.toml` (not checked: defaults may still be filled in).
    pub(crate) fn read(path: &Path) -> Result<Self, ShowError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ShowError::Read { path: name.clone(), error })?;
        toml::from_str(&text).map_err(|e| ShowError::Parse { path: name, error: e.to_string() })
    }

    /// An empty show, for a folder without `podcast.toml`.
    pub(crate) fn unnamed() -> Self {
        toml::from_str("").expect("every field has a default")
    }

    /// Fills the fields a publisher left empty: the title from the folder's
    /// name, the author from the title, a description, the `language`
    /// detected in the statements, and the category [`DEFAULT_CATEGORY`].
    /// Returns the names of the fields it filled.
    pub(crate) fn with_defaults(mut self, folder: &str, language: &str) -> (Self, Vec<&'static str>) {
        let mut filled = Vec::new();
        let mut fill = |field: &'static str, value: &mut String, default: String| {
            if value.trim().is_empty() {
                *value = default;
                filled.push(field);
            }
        };
        fill("title", &mut self.title, folder.to_string());
        let title = self.title.clone();
        fill("author", &mut self.author, title.clone());
        fill("description", &mut self.description, format!("{title}, read aloud."));
        fill("language", &mut self.language, language.to_string());
        fill("category", &mut self.category, DEFAULT_CATEGORY.to_string());
        (self, filled)
    }

    /// The show if every required field is there and every field is valid;
    /// else every problem at once.
    pub(crate) fn checked(mut self) -> Result<Self, ShowError> {
        let required = [
            ("title", &self.title),
            ("author", &self.author),
            ("description", &self.description),
            ("language", &self.language),
            ("category", &self.category),
        ];
        let mut problems: Vec<String> = required
            .iter()
            .filter(|(_, value)| value.trim().is_empty())
            .map(|(field, _)| format!("`{field}` is missing"))
            .collect();
        if !self.language.trim().is_empty() && LangTag::parse(&self.language).is_err() {
            problems.push(format!("`language` must be a language tag such as en or en-GB, not `{}`", self.language));
        }
        if !self.base_url.is_empty() && !absolute(&self.base_url) {
            problems.push(format!("`base_url` must start with http:// or https://, not `{}`", self.base_url));
        }
        if let Some(link) = self.link.as_deref().filter(|l| !absolute(l)) {
            problems.push(format!("`link` must start with http:// or https://, not `{link}`"));
        }
        if !problems.is_empty() {
            return Err(ShowError::Fields(problems));
        }
        if !self.base_url.is_empty() && !self.base_url.ends_with('/') {
            self.base_url.push('/');
        }
        Ok(self)
    }

    /// What podcast apps will object to in a valid show.
    pub(crate) fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.base_url.is_empty() {
            warnings.push("the feed's URLs are relative: podcast apps need absolute URLs, so set `base_url` to where the output is published");
        }
        if self.image.is_empty() {
            warnings.push("the feed has no `image`: Apple Podcasts will refuse it");
        }
        warnings
    }

    /// A URL for `path` under the base URL (absolute URLs pass through;
    /// without a base URL, `path` relative to the feed).
    pub(crate) fn url(&self, path: &str) -> String {
        if absolute(path) {
            path.to_string()
        } else {
            format!("{}{}", self.base_url, path.trim_start_matches('/'))
        }
    }

    /// The show's web site, if it has one.
    pub(crate) fn link(&self) -> &str {
        self.link.as_deref().unwrap_or(&self.base_url)
    }
}

/// A commented `podcast.toml` for a show titled `title`.
pub(crate) fn template(title: &str) -> String {
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    format!(
        r#"# The show's metadata, read by `herald podcast`. Every field may be left
# out: the defaults are in the comments.

# The show's name (default: the folder's name).
title = {title}
# Who publishes it (default: the title).
# author = "Press Office"
# One or two sentences for podcast apps (default: "TITLE, read aloud.").
# description = "Joint statements and speeches, read aloud."
# The main language, a tag such as en or en-GB (default: detected in the statements).
# language = "en"
# Where the output folder is published. Without it, the feed's URLs are
# relative, and podcast apps need absolute URLs.
# base_url = "https://podcasts.example/statements/"
# Cover art, 1400 to 3000 px square: an absolute URL, or a path under
# base_url. Without it, Apple Podcasts refuses the feed.
# image = "cover.jpg"
# An Apple Podcasts category (default: "{DEFAULT_CATEGORY}"), and optionally a sub-category.
# category = "News"
# subcategory = "Politics"
explicit = false
# The show's web site (default: base_url).
# link = "https://example.org/"
# "natural": neural voices where installed (the default); "fast": espeak-ng.
# quality = "natural"
"#,
        title = quoted(title),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = r#"
title = "Statements"
author = "Press Office"
description = "Statements, read aloud."
language = "en"
base_url = "https://podcasts.example/statements"
image = "cover.jpg"
category = "News"
subcategory = "Politics"
explicit = false
"#;

    #[test]
    fn parses_checks_and_resolves_urls() {
        let show: Show = toml::from_str(EXAMPLE).unwrap();
        let show = show.checked().unwrap();
        assert_eq!(show.url("cover.jpg"), "https://podcasts.example/statements/cover.jpg");
        assert_eq!(show.url("https://cdn.example/a.jpg"), "https://cdn.example/a.jpg");
        assert_eq!(show.link(), "https://podcasts.example/statements/");
        assert!(show.warnings().is_empty());
        assert!(toml::from_str::<Show>(&format!("{EXAMPLE}\nowner = 1\n")).is_err(), "unknown keys are refused");
    }

    #[test]
    fn names_every_problem_at_once() {
        let show = Show { base_url: "podcasts/".into(), language: "not a tag!".into(), ..Show::unnamed() };
        let error = show.checked().unwrap_err().to_string();
        for field in ["`title`", "`author`", "`description`", "`category`", "`language`", "`base_url`"] {
            assert!(error.contains(field), "{field} in {error}");
        }
    }

    #[test]
    fn a_bare_folder_gets_a_publishable_show() {
        let (show, filled) = Show::unnamed().with_defaults("Press statements", "fr");
        assert_eq!(filled, ["title", "author", "description", "language", "category"]);
        let show = show.checked().unwrap();
        assert_eq!((show.title.as_str(), show.language.as_str(), show.explicit), ("Press statements", "fr", false));
        assert_eq!(show.url("episodes/a.mp3"), "episodes/a.mp3", "relative without a base URL");
        assert_eq!(show.warnings().len(), 2);
        let (kept, filled) = Show { title: "Mine".into(), ..Show::unnamed() }.with_defaults("folder", "en");
        assert_eq!((kept.title.as_str(), filled.len()), ("Mine", 4));
    }

    #[test]
    fn the_template_parses_to_a_valid_show() {
        let show: Show = toml::from_str(&template("Statements \"2026\"")).unwrap();
        assert_eq!(show.title, "Statements \"2026\"");
        let (show, filled) = show.with_defaults("x", "fr");
        assert_eq!(show.language, "fr");
        assert_eq!(filled, ["author", "description", "language", "category"]);
        assert!(show.checked().is_ok());
    }
}
