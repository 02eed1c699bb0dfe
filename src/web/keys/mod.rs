//! API keys, enforced on groups of routes (see `web::routes`), never by
//! matching paths, and never waived by a header the client controls.
//!
//! Two kinds of key:
//! - **secret keys** (`api_keys`) for servers and scripts, sent as
//!   `Authorization: Bearer KEY`; they must never reach a browser;
//! - **publishable keys** (`[[publishable_keys]]`) for web pages (the Listen
//!   button, Herald's own home form). Anyone who reads the page can copy one,
//!   so each is bound to its origins and has its own rate and daily quota of
//!   characters: the quota is what bounds the damage a copied key can do.
//!   They are sent as `Authorization: Bearer pk_…`, or as a `key=pk_…` query
//!   parameter where a browser cannot set headers (an HTML form).
//!
//! Herald's own home form carries the first publishable key without origins
//! (a key for Herald's own pages), or, when none is configured, one generated
//! at start with [`HOME_PER_MINUTE`] and [`HOME_DAILY_CHARACTERS`].
//!
//! Keys are compared in constant time and never logged or shown; metrics
//! count each key's use under its name.

mod quota;

use super::cors::same_origin;
use super::error::AppError;
use super::AppState;
use crate::settings::KeySettings;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use quota::{Allowance, Refusal};
use std::io::Read;
use std::time::SystemTime;
use subtle::ConstantTimeEq;

/// Rate of the generated key of Herald's own home form.
const HOME_PER_MINUTE: u32 = 60;
/// Daily characters of the generated key of Herald's own home form.
const HOME_DAILY_CHARACTERS: u64 = 2_000_000;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct KeyOutcome {
    key: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct KeyName {
    key: String,
}

struct Secret {
    name: String,
    value: String,
}

struct Publishable {
    name: String,
    value: String,
    /// Empty: Herald's own origin only.
    origins: Vec<String>,
    allowance: Allowance,
}

enum Holder<'a> {
    Secret(&'a Secret),
    Publishable(&'a Publishable),
}

/// Every configured key, with its limits and usage counters.
pub(super) struct Keyring {
    secrets: Vec<Secret>,
    publishable: Vec<Publishable>,
    /// The publishable key Herald's own form carries.
    home: usize,
    /// Whether any key is configured (else every route is open).
    enforced: bool,
    public_reads: bool,
    /// Requests carrying a key, by key name and outcome.
    pub(super) requests: Family<KeyOutcome, Counter>,
    /// Characters sent to be spoken, by key name.
    pub(super) characters: Family<KeyName, Counter>,
}

impl Keyring {
    pub(super) fn new(settings: &KeySettings) -> Self {
        let secrets = settings
            .secret
            .iter()
            .enumerate()
            .map(|(i, value)| Secret { name: format!("secret-{}", i + 1), value: value.expose().to_string() })
            .collect();
        let mut publishable: Vec<Publishable> = settings
            .publishable
            .iter()
            .map(|k| Publishable {
                name: k.name.clone(),
                value: k.key.clone(),
                origins: k.origins.clone(),
                allowance: Allowance::new(k.per_minute, k.daily_characters),
            })
            .collect();
        let home = publishable.iter().position(|k| k.origins.is_empty()).unwrap_or_else(|| {
            publishable.push(Publishable {
                name: "home".into(),
                value: generated_key(),
                origins: Vec::new(),
                allowance: Allowance::new(HOME_PER_MINUTE, HOME_DAILY_CHARACTERS),
            });
            publishable.len() - 1
        });
        Self {
            secrets,
            publishable,
            home,
            enforced: !settings.secret.is_empty() || !settings.publishable.is_empty(),
            public_reads: settings.public_reads,
            requests: Family::default(),
            characters: Family::default(),
        }
    }

    /// The key Herald's own form must carry, when keys are enforced.
    pub(super) fn form_key(&self) -> Option<&str> {
        self.enforced.then(|| self.publishable[self.home].value.as_str())
    }

    /// The holder of a presented key. Secret keys count only from the
    /// `Authorization` header (they are never put in URLs).
    fn find(&self, presented: &str, from_header: bool) -> Option<Holder<'_>> {
        let matches = |value: &str| bool::from(value.as_bytes().ct_eq(presented.as_bytes()));
        let secret = self.secrets.iter().filter(|_| from_header).find(|s| matches(&s.value)).map(Holder::Secret);
        secret.or_else(|| self.publishable.iter().find(|p| matches(&p.value)).map(Holder::Publishable))
    }

    fn count(&self, name: &str, outcome: &str) {
        self.requests.get_or_create(&KeyOutcome { key: name.into(), outcome: outcome.into() }).inc();
    }

    /// Lets `request` through if it carries a usable key; when `spend`, its
    /// characters are charged to the key first.
    async fn admit(&self, request: Request, spend: bool, body_limit: usize) -> Result<Request, AppError> {
        let (presented, from_header) = presented(&request).ok_or(AppError::Unauthorized)?;
        let holder = self.find(&presented, from_header).ok_or(AppError::Unauthorized)?;
        let publishable = match holder {
            Holder::Secret(secret) => {
                let (request, characters) = if spend { buffered(request, body_limit).await? } else { (request, 0) };
                self.characters.get_or_create(&KeyName { key: secret.name.clone() }).inc_by(characters);
                self.count(&secret.name, "accepted");
                return Ok(request);
            }
            Holder::Publishable(key) => key,
        };
        let name = &publishable.name;
        let headers = request.headers();
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or("");
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let allowed = if publishable.origins.is_empty() {
            same_origin(origin, host)
        } else {
            publishable.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
        };
        if !allowed {
            self.count(name, "wrong-origin");
            return Err(AppError::Forbidden(format!(
                "the publishable key `{name}` works only from the pages of its origins"
            )));
        }
        let refused = |refusal: Refusal, outcome: &str| {
            self.count(name, outcome);
            AppError::KeyLimit {
                detail: format!("the key `{name}` is {refusal}"),
                retry_after_secs: refusal.retry_after_secs(),
            }
        };
        publishable.allowance.take_request().map_err(|r| refused(r, "rate-limited"))?;
        let (request, characters) = if spend { buffered(request, body_limit).await? } else { (request, 0) };
        publishable.allowance.spend(characters, SystemTime::now()).map_err(|r| refused(r, "over-quota"))?;
        self.characters.get_or_create(&KeyName { key: name.clone() }).inc_by(characters);
        self.count(name, "accepted");
        Ok(request)
    }
}

/// The key a request presents, and whether it came in the `Authorization` header.
fn presented(request: &Request) -> Option<(String, bool)> {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| (v.trim().to_string(), true));
    let query =
        || request.uri().query()?.split('&').find_map(|pair| pair.strip_prefix("key=")).map(|v| (v.to_string(), false));
    bearer.or_else(query)
}

/// Reads the whole body (handlers would anyway) to count its characters.
async fn buffered(request: Request, limit: usize) -> Result<(Request, u64), AppError> {
    let (parts, body) = request.into_parts();
    let form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| AppError::TooLarge { limit })?;
    // Text sent in the query (MaryTTS and OpenTTS GETs) counts too.
    let query = parts.uri.query().unwrap_or_default().as_bytes();
    let characters = quota::characters(&bytes, form) + quota::characters(query, true);
    Ok((Request::from_parts(parts, Body::from(bytes)), characters))
}

/// A fresh publishable key from the system's random source.
fn generated_key() -> String {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("the system's random source is readable");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("pk_{hex}")
}

/// Requires a key, and charges its quota, on routes that make new audio.
pub(super) async fn require_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.keys.enforced {
        return next.run(request).await;
    }
    match state.keys.admit(request, true, state.pipeline.settings().server.max_body_bytes).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Requires a key on reads when keys are set and `public_reads` is off.
pub(super) async fn require_read(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.keys.enforced || state.keys.public_reads {
        return next.run(request).await;
    }
    match state.keys.admit(request, false, 0).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::PublishableKey;

    fn keyring() -> Keyring {
        Keyring::new(&KeySettings {
            secret: vec!["secret-value-1".into()],
            publishable: vec![PublishableKey {
                name: "news".into(),
                key: "pk_news0123456789abcdef".into(),
                origins: vec!["https://news.example".into()],
                per_minute: 60,
                daily_characters: 1000,
            }],
            ..KeySettings::default()
        })
    }

    #[test]
    fn secret_keys_never_count_from_a_url() {
        let keys = keyring();
        assert!(matches!(keys.find("secret-value-1", true), Some(Holder::Secret(_))));
        assert!(keys.find("secret-value-1", false).is_none());
        assert!(matches!(keys.find("pk_news0123456789abcdef", false), Some(Holder::Publishable(_))));
        assert!(keys.find("secret-value-", true).is_none());
    }

    #[test]
    fn the_home_form_gets_a_generated_key_unless_one_is_configured() {
        let keys = keyring();
        let home = keys.form_key().unwrap();
        assert!(home.starts_with("pk_") && home.len() == 51 && home != "pk_news0123456789abcdef");
        assert_ne!(Keyring::new(&keys_settings()).form_key(), Some(home), "generated afresh");
        assert_eq!(Keyring::new(&KeySettings::default()).form_key(), None, "no keys, no key");
    }

    fn keys_settings() -> KeySettings {
        KeySettings { secret: vec!["secret-value-1".into()], ..KeySettings::default() }
    }
}
