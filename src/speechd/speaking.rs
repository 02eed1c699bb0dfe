//! Speaking one message: the service's speech stream turned into the
//! module's events, in order — `701 BEGIN`, audio (`705`, at most
//! [`MAX_AUDIO_BYTES`] each) with each SSML mark (`700`) placed between
//! the samples where it is heard, then exactly one of `702 END`,
//! `703 STOP` or `704 PAUSE`.
//!
//! A stop drops the speech stream, which cancels the synthesis in its
//! worker, and silences the message at the writer. A pause lets the speech
//! run on to the next of Speech Dispatcher's own marks (`__spd_N`), where
//! the server will resume, and stops there.

use super::marks::MarkSchedule;
use super::output::Output;
use super::params::apply_gain;
use super::protocol::{self, event, MAX_AUDIO_BYTES};
use crate::engine::MarkKind;
use crate::pipeline::{Pipeline, PlannedSpeech};
use crate::speech::{Plan, SpeechEvent, Utterance};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Speech Dispatcher's own marks, where a paused message resumes.
const SERVER_MARK: &str = "__spd_";

/// How the session steers a message while it speaks.
#[derive(Debug, Default)]
pub(crate) struct Control {
    pub(crate) stop: CancellationToken,
    pub(crate) pause: AtomicBool,
}

/// A planned message, its speech on the way.
pub(crate) struct Message {
    pub(crate) id: u64,
    pub(crate) speech: PlannedSpeech,
    pub(crate) gain: f32,
}

/// How a message ended.
enum Ending {
    Finished,
    Stopped,
    Paused,
}

/// Speaks `message` with `pipeline`, reporting to `output`.
pub(crate) async fn speak(pipeline: Arc<Pipeline>, message: Message, control: Arc<Control>, output: Output) {
    let PlannedSpeech { plan, utterances, mut events } = message.speech;
    let mut stream = Stream {
        output,
        id: message.id,
        rate: pipeline.sample_rate(),
        gain: message.gain,
        began: false,
        sent: 0,
        due: VecDeque::new(),
        marks: MarkSchedule::new(&plan),
        plan: &plan,
        utterances: &utterances,
        control: &control,
    };
    let ending = loop {
        let next = tokio::select! {
            biased;
            () = control.stop.cancelled() => break Ending::Stopped,
            next = events.recv() => next,
        };
        let paused = match next {
            None | Some(SpeechEvent::Finished { .. }) => break Ending::Finished,
            Some(event) => stream.handle(event),
        };
        if paused {
            break Ending::Paused;
        }
        if control.stop.is_cancelled() {
            break Ending::Stopped;
        }
    };
    drop(events);
    stream.end(ending);
}

/// The message's speech on its way out.
struct Stream<'a> {
    output: Output,
    id: u64,
    rate: u32,
    gain: f32,
    began: bool,
    /// Samples sent so far.
    sent: u64,
    /// Marks reached, with the sample they are heard at, not yet sent.
    due: VecDeque<(u64, String)>,
    marks: MarkSchedule,
    plan: &'a Plan,
    utterances: &'a [Utterance],
    control: &'a Control,
}

impl Stream<'_> {
    /// Sends what `event` brings; true when a pause has been reached.
    fn handle(&mut self, event: SpeechEvent) -> bool {
        match event {
            SpeechEvent::Utterance { index, start_sample, .. } => {
                let utterance = &self.utterances[index];
                let start = self.plan.paragraphs[utterance.paragraph].sentences[utterance.sentence].start;
                self.reach(utterance.paragraph, start, start_sample)
            }
            SpeechEvent::Mark { index, mark } if mark.kind == MarkKind::Word => {
                let utterance = &self.utterances[index];
                let sentence = &self.plan.paragraphs[utterance.paragraph].sentences[utterance.sentence];
                let (word, _) = sentence.displayed_word(mark.text_offset as usize, mark.text_len as usize);
                self.reach(utterance.paragraph, sentence.start + word, mark.sample)
            }
            SpeechEvent::Audio(mut samples) => {
                apply_gain(&mut samples, self.gain);
                self.audio(&samples)
            }
            SpeechEvent::Skipped { index, error } => {
                tracing::warn!(index, %error, "a sentence of the message is left out");
                false
            }
            SpeechEvent::Mark { .. } | SpeechEvent::UtteranceEnd { .. } | SpeechEvent::Finished { .. } => false,
        }
    }

    /// Speech has reached char `offset` of `paragraph`, heard at `sample`.
    fn reach(&mut self, paragraph: usize, offset: usize, sample: u64) -> bool {
        let reached = self.marks.reached(paragraph, offset);
        self.due.extend(reached.into_iter().map(|name| (sample, name)));
        self.send_due()
    }

    /// Sends the marks heard by now; true when a pause has been reached.
    fn send_due(&mut self) -> bool {
        while self.due.front().is_some_and(|(sample, _)| *sample <= self.sent) {
            let (_, name) = self.due.pop_front().expect("just looked");
            if self.mark(&name) {
                return true;
            }
        }
        false
    }

    /// Sends one mark; true when it is where a requested pause stops.
    fn mark(&mut self, name: &str) -> bool {
        self.begin();
        self.output.speech(self.id, format!("{}\n", protocol::index_mark(name)).into_bytes());
        name.starts_with(SERVER_MARK) && self.control.pause.load(Ordering::SeqCst)
    }

    /// Sends audio, cut where marks fall inside it; true when a pause has
    /// been reached (the rest is not sent).
    fn audio(&mut self, mut samples: &[i16]) -> bool {
        const MAX_SAMPLES: usize = MAX_AUDIO_BYTES / 2;
        while !samples.is_empty() {
            if self.control.stop.is_cancelled() {
                return false;
            }
            let until_mark =
                self.due.front().map_or(usize::MAX, |(sample, _)| sample.saturating_sub(self.sent) as usize);
            let take = samples.len().min(MAX_SAMPLES).min(until_mark.max(1));
            let (now, rest) = samples.split_at(take);
            self.begin();
            self.output.speech(self.id, protocol::audio(now, self.rate));
            self.sent += take as u64;
            samples = rest;
            if self.send_due() {
                return true;
            }
        }
        false
    }

    fn begin(&mut self) {
        if !self.began {
            self.began = true;
            self.output.speech(self.id, format!("{}\n", event::BEGIN).into_bytes());
        }
    }

    /// The message's last event (and its last marks, when it finished),
    /// always written: the server waits for it.
    fn end(mut self, ending: Ending) {
        match ending {
            Ending::Stopped => {
                self.output.silence(self.id);
                self.output.send(event::STOP);
            }
            // Everything up to the mark is written: the server resumes there.
            Ending::Paused => self.output.send(event::PAUSE),
            Ending::Finished => {
                for name in self.marks.rest() {
                    self.due.push_back((self.sent, name));
                }
                if self.send_due() || self.control.pause.load(Ordering::SeqCst) {
                    self.output.send(event::PAUSE);
                } else {
                    self.begin();
                    self.output.send(event::END);
                }
            }
        }
    }
}
