//! Herald's voices in Wyoming's terms: the `info` that answers `describe`
//! (Herald as one text-to-speech program offering every voice), and the
//! speech options a Wyoming voice request stands for.

use super::protocol::VoiceRequest;
use crate::pipeline::Pipeline;
use crate::speech::SpeechOptions;
use crate::text::{InvalidLangTag, LangTag};
use crate::voice::{InvalidVoiceId, Quality, VoiceId};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Herald's program name in `info` (and for `select-program`).
pub(crate) const PROGRAM: &str = "herald";

/// Why a voice request cannot be honoured.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VoiceRequestError {
    #[error(transparent)]
    Name(#[from] InvalidVoiceId),
    #[error(transparent)]
    Language(#[from] InvalidLangTag),
    #[error("there is no voice `{0}` (`describe` lists them)")]
    Unknown(VoiceId),
}

/// The `info` event's data.
pub(crate) fn info(pipeline: &Pipeline) -> Value {
    let versions: HashMap<String, Option<String>> =
        pipeline.engines().into_iter().map(|engine| (engine.id, engine.version)).collect();
    let voices: Vec<Value> = pipeline
        .voices(None)
        .into_iter()
        .map(|voice| {
            json!({
                "name": voice.id,
                "description": voice.name,
                "attribution": { "name": voice.engine, "url": "" },
                "installed": true,
                "version": versions.get(&voice.engine).cloned().flatten(),
                "languages": voice.languages,
                "speakers": null,
            })
        })
        .collect();
    let program = json!({
        "name": PROGRAM,
        "description": env!("CARGO_PKG_DESCRIPTION"),
        "attribution": { "name": "Herald", "url": "" },
        "installed": true,
        "version": env!("CARGO_PKG_VERSION"),
        "supports_synthesize_streaming": true,
        "voices": voices,
    });
    json!({ "asr": [], "tts": [program], "handle": [], "intent": [], "wake": [], "mic": [], "snd": [] })
}

/// The speech options for a voice request. Voice assistants are listened
/// to, so where no voice is named the best installed voice for the
/// language is used (neural where there is one).
pub(crate) fn options(pipeline: &Pipeline, request: Option<&VoiceRequest>) -> Result<SpeechOptions, VoiceRequestError> {
    let mut options = SpeechOptions { quality: Some(Quality::Natural), ..SpeechOptions::default() };
    let Some(request) = request else { return Ok(options) };
    if let Some(language) = &request.language {
        options.lang = Some(LangTag::parse(language)?);
    }
    if let Some(name) = &request.name {
        match VoiceId::parse(name) {
            Ok(id) => options.voice = Some(with_speaker(pipeline, id, request.speaker.as_deref())?),
            // Older clients put the language in the name.
            Err(not_a_voice) => options.lang = Some(LangTag::parse(name).map_err(|_| not_a_voice)?),
        }
    }
    Ok(options)
}

/// A voice of the catalog: `id`, or its speaker's voice (`id.speaker`) when
/// the voice has speakers.
fn with_speaker(pipeline: &Pipeline, id: VoiceId, speaker: Option<&str>) -> Result<VoiceId, VoiceRequestError> {
    let speaker_voice = speaker.and_then(|s| VoiceId::parse(&format!("{id}.{s}")).ok());
    if let Some(voice) = speaker_voice.and_then(|v| pipeline.voice(&v)) {
        return Ok(voice.id.clone());
    }
    match pipeline.voice(&id) {
        Some(voice) => Ok(voice.id.clone()),
        None => Err(VoiceRequestError::Unknown(id)),
    }
}
