//! The neural voices a setup offers, read from the models' config files
//! alone: no ONNX Runtime, no model loaded. For commands that only plan or
//! list voices; the voices carry no model fingerprint, so they must not be
//! used to name cached audio.

use super::{engine_info, listings, read_config, PiperSetup};
use crate::engine::protocol::Hello;
use crate::engine::EngineError;

/// What a Piper worker on `setup` would greet with, minus model fingerprints.
pub(crate) fn hello(setup: &PiperSetup, espeak_version: &str) -> Result<Hello, EngineError> {
    let (mut voices, mut streamed) = (Vec::new(), false);
    for model in &setup.models {
        let (name, _, config) = read_config(model)?;
        streamed |= setup.parts_of(model, &config).is_some();
        voices.extend(listings(&name, &config, None).into_iter().map(|(_, voice)| voice));
    }
    Ok(Hello { info: engine_info(setup, espeak_version, streamed), voices })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_voices_from_their_configs_without_loading_models() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("en_US-test-medium.onnx");
        std::fs::write(&model, b"not a model: never read").unwrap();
        let config = r#"{"audio":{"sample_rate":22050},"espeak":{"voice":"en-us"},"inference":{"noise_scale":0.667,"length_scale":1,"noise_w":0.8},"phoneme_id_map":{},"num_speakers":1,"language":{"code":"en_US"}}"#;
        std::fs::write(dir.path().join("en_US-test-medium.onnx.json"), config).unwrap();
        let setup = PiperSetup {
            runtime: dir.path().join("libonnxruntime.so.1.31.1"),
            models: vec![model],
            threads: 1,
            sample_rate: 22050,
            split_clauses: false,
            parts: Vec::new(),
        };
        let hello = hello(&setup, "1.51").unwrap();
        assert_eq!(hello.info.version, "onnxruntime 1.31.1; espeak-ng 1.51");
        assert_eq!(hello.voices.len(), 1);
        assert_eq!((hello.voices[0].identifier.as_str(), hello.voices[0].model.as_ref()), ("en_US-test-medium", None));
    }
}
