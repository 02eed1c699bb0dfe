//! The show: a podcast's metadata (`podcast.toml`), parsed and checked at
//! the boundary so a [`Show`] that exists can be published.

use crate::voice::Quality;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A podcast's metadata, as written in `podcast.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Show {
    pub title: String,
    pub author: String,
    pub description: String,
    /// The show's language (RSS `language`), e.g. `en` or `en-GB`.
    pub language: String,
    /// Where `OUT_DIR` is published; enclosures and captions are under it.
    #[serde(default)]
    pub base_url: String,
    /// Cover art: an absolute URL, or a path relative to `base_url`.
    pub image: String,
    /// An Apple Podcasts category, e.g. `News`.
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

/// Why a show's metadata is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ShowError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path}: {error}")]
    Parse { path: String, error: String },
    #[error("`{0}` must not be empty")]
    Missing(&'static str),
    #[error("`base_url` must start with http:// or https://, not `{0}`")]
    BaseUrl(String),
}

impl Show {
    /// Reads and checks a `podcast.toml`.
    pub fn load(path: &Path) -> Result<Self, ShowError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ShowError::Read { path: name.clone(), error })?;
        let show: Show = toml::from_str(&text).map_err(|e| ShowError::Parse { path: name, error: e.to_string() })?;
        show.checked()
    }

    /// The show if every required field is there and the base URL is absolute.
    pub fn checked(mut self) -> Result<Self, ShowError> {
        let required = [
            ("title", &self.title),
            ("author", &self.author),
            ("description", &self.description),
            ("language", &self.language),
            ("base_url", &self.base_url),
            ("image", &self.image),
            ("category", &self.category),
        ];
        if let Some((field, _)) = required.iter().find(|(_, value)| value.trim().is_empty()) {
            return Err(ShowError::Missing(field));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(ShowError::BaseUrl(self.base_url));
        }
        if !self.base_url.ends_with('/') {
            self.base_url.push('/');
        }
        Ok(self)
    }

    /// An absolute URL for `path` under the base URL (absolute URLs pass through).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{}", self.base_url, path.trim_start_matches('/'))
        }
    }

    pub fn link(&self) -> &str {
        self.link.as_deref().unwrap_or(&self.base_url)
    }
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
        let no_title = Show { title: " ".into(), ..show.clone() };
        assert!(matches!(no_title.checked(), Err(ShowError::Missing("title"))));
        let relative = Show { base_url: "podcasts/".into(), ..show };
        assert!(matches!(relative.checked(), Err(ShowError::BaseUrl(_))));
        assert!(toml::from_str::<Show>(&format!("{EXAMPLE}\nowner = 1\n")).is_err(), "unknown keys are refused");
    }
}
