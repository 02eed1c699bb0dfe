//! A test-only engine that misbehaves on command (cargo feature
//! `fault-engine`, off in release builds), so the tests of supervision,
//! cancellation and streaming do not depend on particular bugs of a real
//! engine. Its one voice, `fault:test`, speaks a tone for each word and
//! marks the words, unless the text starts with a command:
//!
//! - `crash`: aborts the worker process;
//! - `hang`: never answers, not even to a cancel;
//! - `block`: never answers until cancelled, like a model inference that
//!   only its runtime's terminate flag ends;
//! - `slow MS`: speaks each word as its own chunk, `MS` milliseconds apart;
//! - `fail`: refuses the text with an engine error;
//! - `garbage`: marks far outside the text and the audio, and noise.
//!
//! It honours [`Flow::Abort`] between chunks, as a real engine does.

use super::{Cancellation, SynthesisRequest};
use super::{
    Capabilities, Cause, Engine, EngineError, EngineInfo, EngineVoice, Flow, Mark, MarkKind, Outcome, SynthEvent,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Samples of tone per word.
const WORD_SAMPLES: usize = 2_205;

/// What the engine needs: the rate every engine delivers audio at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FaultSetup {
    pub(crate) sample_rate: u32,
}

pub(crate) struct Fault {
    info: EngineInfo,
}

impl Fault {
    pub(crate) const ID: &'static str = "fault";

    pub(crate) fn new(setup: &FaultSetup) -> Self {
        let info = EngineInfo {
            id: Self::ID.into(),
            version: "1".into(),
            sample_rate: setup.sample_rate,
            capabilities: Capabilities { rate_range: (80, 600) },
        };
        Self { info }
    }
}

impl Engine for Fault {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn voices(&self) -> Vec<EngineVoice> {
        // "zxx" (no linguistic content): never chosen for a language, only by name.
        vec![EngineVoice {
            identifier: "test".into(),
            name: "Fault injection".into(),
            languages: vec![(1, "zxx".into())],
            gender: None,
            model: None,
        }]
    }

    fn synthesize(
        &mut self,
        request: &SynthesisRequest,
        sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow,
        cancel: &Cancellation,
    ) -> Result<Outcome, EngineError> {
        let mut words = request.text.split_whitespace();
        let pause = match words.clone().next() {
            Some("crash") => std::process::abort(),
            Some("hang") => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            Some("block") => return Ok(block_until_cancelled(cancel)),
            Some("fail") => return Err(EngineError::Synthesis(Cause::new("refused on command"))),
            Some("garbage") => return Ok(garbage(sink)),
            Some("slow") => {
                words.next();
                let ms = words.next().and_then(|n| n.parse().ok()).unwrap_or(100);
                Duration::from_millis(ms)
            }
            _ => Duration::ZERO,
        };
        let mut samples = 0u64;
        let mut offset = 0;
        for word in request.text.split(' ') {
            let len = word.chars().count();
            if len > 0 {
                let mark =
                    Mark { kind: MarkKind::Word, text_offset: offset as u32, text_len: len as u32, sample: samples };
                let tone = tone(WORD_SAMPLES, samples);
                if sink(SynthEvent::Mark(mark)) == Flow::Abort || sink(SynthEvent::Audio(&tone)) == Flow::Abort {
                    return Ok(Outcome { samples, aborted: true, truncated: false });
                }
                samples += tone.len() as u64;
                std::thread::sleep(pause);
            }
            offset += len + 1;
        }
        Ok(Outcome { samples, aborted: false, truncated: false })
    }
}

fn block_until_cancelled(cancel: &Cancellation) -> Outcome {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    cancel.while_running(
        move || {
            let _ = stop.send(());
        },
        || {
            let _ = stopped.recv();
        },
    );
    Outcome { samples: 0, aborted: true, truncated: false }
}

fn tone(len: usize, start: u64) -> Vec<i16> {
    (0..len).map(|i| (((start as usize + i) as f64 * 0.06).sin() * 6000.0) as i16).collect()
}

fn garbage(sink: &mut dyn FnMut(SynthEvent<'_>) -> Flow) -> Outcome {
    let noise: Vec<i16> = (0..WORD_SAMPLES).map(|i| (i.wrapping_mul(7919) % 65_536) as i16).collect();
    let wild = Mark { kind: MarkKind::Word, text_offset: u32::MAX - 5, text_len: u32::MAX, sample: u64::MAX / 2 };
    let aborted = sink(SynthEvent::Mark(wild)) == Flow::Abort || sink(SynthEvent::Audio(&noise)) == Flow::Abort;
    Outcome { samples: noise.len() as u64, aborted, truncated: false }
}
