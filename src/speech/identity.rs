//! What shapes a voice's audio, as one value: [`AudioIdentity`]. Segment
//! keys, render names and podcast settings are all derived from it, so a
//! new engine version or model invalidates exactly the audio it would
//! speak, and nothing else.

use serde::Serialize;

/// Everything besides the text and the per-request options (rate, pitch)
/// that changes a voice's samples: the engine, its version, the voice and,
/// for engines that load models, the model and its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub(crate) struct AudioIdentity {
    pub(crate) engine: String,
    pub(crate) engine_version: String,
    pub(crate) voice: String,
    /// A hash of the model file and its configuration.
    pub(crate) model: Option<String>,
}

impl AudioIdentity {
    /// Hashes this identity with `fields` (rate, pitch, text…), each
    /// length-prefixed so that no two field lists collide.
    pub(crate) fn hash_with(&self, fields: &[&str]) -> blake3::Hash {
        let mut hasher = blake3::Hasher::new();
        let model = self.model.as_deref().unwrap_or("");
        for field in
            [self.engine.as_str(), &self.engine_version, &self.voice, model].into_iter().chain(fields.iter().copied())
        {
            hasher.update(&(field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
        hasher.finalize()
    }
}

/// A short fingerprint of a set of identities (in any order, repeats
/// ignored): audio kept whole, such as renders and podcast episodes, is
/// named by the fingerprint of the voices it uses.
pub(crate) fn fingerprint<'a>(identities: impl IntoIterator<Item = &'a AudioIdentity>) -> String {
    let mut digests: Vec<blake3::Hash> = identities.into_iter().map(|i| i.hash_with(&[])).collect();
    digests.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    digests.dedup();
    let mut hasher = blake3::Hasher::new();
    for digest in digests {
        hasher.update(digest.as_bytes());
    }
    hasher.finalize().to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(model: Option<&str>) -> AudioIdentity {
        AudioIdentity {
            engine: "piper".into(),
            engine_version: "1".into(),
            voice: "piper:joe".into(),
            model: model.map(String::from),
        }
    }

    #[test]
    fn a_new_model_changes_the_hash_and_fingerprint() {
        let (a, b) = (identity(Some("aa")), identity(Some("bb")));
        assert_ne!(a.hash_with(&["hi"]), b.hash_with(&["hi"]));
        assert_ne!(fingerprint([&a]), fingerprint([&b]));
        assert_ne!(a.hash_with(&["ab", "c"]), a.hash_with(&["a", "bc"]), "fields are delimited");
    }

    #[test]
    fn fingerprints_ignore_order_and_repeats() {
        let (a, b) = (identity(Some("aa")), identity(None));
        assert_eq!(fingerprint([&a, &b]), fingerprint([&b, &a, &b]));
        assert_ne!(fingerprint([&a]), fingerprint([&a, &b]), "an extra voice is a different set");
    }
}
