//! Gathering a whole speech stream in memory, for callers that need all of
//! it at once (the command line, tests) rather than streaming it.

use super::events::{SpeakError, SpeechEvent};
use tokio::sync::mpsc;

/// A whole stream gathered in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub samples: Vec<i16>,
    /// Every event except audio, in order.
    pub events: Vec<SpeechEvent>,
}

impl Rendered {
    /// The utterances that produced no audio, with why.
    pub fn skipped(&self) -> impl Iterator<Item = (usize, &SpeakError)> {
        self.events.iter().filter_map(|e| match e {
            SpeechEvent::Skipped { index, error } => Some((*index, error)),
            _ => None,
        })
    }
}

/// Gathers a whole speech stream.
pub async fn collect(mut events: mpsc::Receiver<SpeechEvent>) -> Rendered {
    let mut rendered = Rendered::default();
    while let Some(event) = events.recv().await {
        match event {
            SpeechEvent::Audio(chunk) => rendered.samples.extend_from_slice(&chunk),
            other => rendered.events.push(other),
        }
    }
    rendered
}
