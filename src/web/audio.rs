//! Live audio responses: choosing the format of a request, and streaming
//! speech in any [`AudioFormat`], encoded chunk by chunk as it is produced.

use super::error::AppError;
use crate::audio::AudioFormat;
use crate::report::Chain;
use crate::speech::{EncodedEvent, EncodedSpeech, SpeakError};
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use futures::StreamExt;
use http_body::Frame;
use http_body_util::StreamBody;
use std::future::Future;

/// The response format of `POST /v1/speech`: the `format` field if there is
/// one (415 if Herald does not produce it), else the first format the
/// `Accept` header names, else WAV.
pub(crate) fn negotiate(format: Option<&str>, headers: &HeaderMap) -> Result<AudioFormat, AppError> {
    if let Some(name) = format {
        return name.parse().map_err(|e: crate::audio::UnknownFormat| AppError::UnsupportedMediaType(e.to_string()));
    }
    let mut accepted = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok());
    Ok(accepted.find_map(AudioFormat::from_accept).unwrap_or_default())
}

/// The format named by the last segment of a document audio URL,
/// `audio.{ext}`: 404 for another name, 415 for an extension that is not an
/// audio file format Herald makes.
pub(crate) fn file_format(segment: &str) -> Result<AudioFormat, AppError> {
    let Some(extension) = segment.strip_prefix("audio.") else {
        return Err(AppError::NotFound("there is nothing at this address".into()));
    };
    AudioFormat::from_extension(extension).ok_or_else(|| {
        let known: Vec<String> = AudioFormat::FILES.iter().map(|f| format!("audio.{}", f.extension())).collect();
        AppError::UnsupportedMediaType(format!(
            "`audio.{}` is not an audio format Herald serves; use {}",
            extension.chars().take(20).collect::<String>(),
            known.join(", ")
        ))
    })
}

/// Streams encoded speech as a response body, with `trailers` after it
/// where the client accepts them (`TE: trailers`) and `headers` announce
/// them (`Trailer`). Waits for the first audio so a request that cannot
/// start (queue full, engine refused every sentence) gets a proper error
/// instead of an empty 200.
pub(crate) async fn stream(
    mut speech: EncodedSpeech,
    headers: HeaderMap,
    trailers: impl Future<Output = Option<HeaderMap>> + Send + 'static,
) -> Result<Response, AppError> {
    let first = first_audible_event(&mut speech).await?;
    let content_type = content_type(speech.format(), speech.output_rate());
    let rest = futures::stream::unfold(speech, |mut speech| async move { speech.next().await.map(|e| (e, speech)) });
    let events = futures::stream::iter(first.into_iter().map(Ok)).chain(rest);
    let chunks = events.filter_map(move |event| {
        let out = match event {
            Ok(EncodedEvent::Audio(bytes)) => Some(Ok(Frame::data(bytes))),
            Ok(EncodedEvent::Skipped { index, error }) => {
                tracing::warn!(index, %error, "sentence left out of the stream");
                None
            }
            Ok(EncodedEvent::Finished { .. }) => None,
            Err(error) => {
                tracing::error!(%error, "encoding failed; the stream ends here");
                Some(Err(std::io::Error::other(error)))
            }
        };
        std::future::ready(out)
    });
    let trailers =
        futures::stream::once(trailers).filter_map(|t| std::future::ready(t.map(|t| Ok(Frame::trailers(t)))));
    let mut response = Response::new(Body::new(StreamBody::new(chunks.chain(trailers))));
    response.headers_mut().insert(header::CONTENT_TYPE, content_type);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().extend(headers);
    Ok(response)
}

/// Answers encoded speech as one complete file, its sizes filled in, for
/// clients that read whole files (MaryTTS, OpenTTS). Fails as [`stream`]
/// does when nothing can be spoken.
pub(crate) async fn whole(speech: EncodedSpeech) -> Result<Response, AppError> {
    let (format, rate) = (speech.format(), speech.output_rate());
    let streamed = stream(speech, HeaderMap::new(), std::future::ready(None)).await?;
    let mut bytes = axum::body::to_bytes(streamed.into_body(), usize::MAX).await.map_err(AppError::internal)?.to_vec();
    if let Some(header) = format.final_header(rate, bytes.len() as u64) {
        bytes[..header.len()].copy_from_slice(&header);
    }
    let mut response = Response::new(Body::from(bytes));
    response.headers_mut().insert(header::CONTENT_TYPE, content_type(format, rate));
    Ok(response)
}

/// Reads encoded speech until its first speech (or the end), returning
/// what it read. A full queue, or a stream in which every sentence failed,
/// is an error.
async fn first_audible_event(speech: &mut EncodedSpeech) -> Result<Vec<EncodedEvent>, AppError> {
    let mut read = Vec::new();
    let mut failure = None;
    while let Some(event) = speech.next().await {
        match event.map_err(AppError::internal)? {
            EncodedEvent::Skipped { error: SpeakError::Busy, .. } => return Err(AppError::Busy),
            EncodedEvent::Skipped { index, error } => {
                failure = Some(error.clone());
                read.push(EncodedEvent::Skipped { index, error });
            }
            // Only a header so far: the speech is still to come, or none will.
            EncodedEvent::Audio(bytes) if !speech.spoken() => read.push(EncodedEvent::Audio(bytes)),
            EncodedEvent::Finished { .. } if !speech.spoken() && failure.is_some() => {
                let error = failure.take().expect("checked");
                return Err(AppError::unprocessable("synthesis-failed", Chain(&error)));
            }
            audible @ (EncodedEvent::Audio(_) | EncodedEvent::Finished { .. }) => {
                read.push(audible);
                break;
            }
        }
    }
    Ok(read)
}

pub(crate) fn content_type(format: AudioFormat, sample_rate: u32) -> HeaderValue {
    HeaderValue::from_str(&format.content_type(sample_rate)).expect("content types are ASCII")
}
