//! The module's conversation with Speech Dispatcher after `INIT`: one
//! command at a time from standard input, each answered as the reference
//! modules answer it, while a message speaks in a task of its own.
//!
//! A message that cannot be planned (bad SSML, too large) is refused with
//! `301`; one with nothing to say (only punctuation) begins and ends at
//! once, as `sd_espeak-ng` does. A `SPEAK` while a message is speaking
//! stops it first (`703`), then speaks the new one.

use super::engines::Engines;
use super::logging::Logging;
use super::message::Context;
use super::output::Output;
use super::params::Params;
use super::protocol::{self, event, reply, BodyError, Command, DebugSwitch, Line, MessageKind};
use super::speaking::{self, Control, Message};
use super::voices;
use crate::document::IngestError;
use crate::pipeline::PlanTextError;
use crate::settings::SpeechdSettings;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::AsyncBufRead;
use tokio::task::JoinHandle;

/// The message speaking now.
struct Speaking {
    id: u64,
    control: Arc<Control>,
    task: JoinHandle<()>,
}

pub(crate) struct Session {
    pub(crate) engines: Arc<Engines>,
    pub(crate) output: Output,
    pub(crate) settings: SpeechdSettings,
    pub(crate) logging: Logging,
    params: Params,
    speaking: Option<Speaking>,
    last_id: u64,
}

/// Whether the conversation goes on.
enum Next {
    Continue,
    Quit,
}

impl Session {
    pub(crate) fn new(engines: Arc<Engines>, output: Output, settings: SpeechdSettings, logging: Logging) -> Self {
        Self { engines, output, settings, logging, params: Params::default(), speaking: None, last_id: 0 }
    }

    /// Serves commands until `QUIT` or the end of input; then stops speaking.
    pub(crate) async fn serve<R: AsyncBufRead + Unpin>(mut self, input: &mut R) -> std::io::Result<()> {
        loop {
            let command = match protocol::read_line(input).await? {
                None => break,
                Some(Line::TooLong) => {
                    self.output.send(reply::BAD_SYNTAX);
                    continue;
                }
                Some(Line::Text(line)) => Command::parse(&line),
            };
            match self.handle(command, input).await? {
                Next::Continue => {}
                Next::Quit => break,
            }
        }
        self.stop();
        if let Some(speaking) = self.speaking.take() {
            let _ = speaking.task.await;
        }
        self.output.flush();
        Ok(())
    }

    async fn handle<R: AsyncBufRead + Unpin>(&mut self, command: Command, input: &mut R) -> std::io::Result<Next> {
        match command {
            Command::Speak(kind) => {
                self.output.send(reply::RECEIVING_MESSAGE);
                let Some(message) = protocol::read_message(input).await? else { return Ok(Next::Quit) };
                self.speak(kind, message).await;
            }
            Command::Stop => self.stop(),
            Command::Pause => {
                if let Some(speaking) = self.active() {
                    speaking.control.pause.store(true, Ordering::SeqCst);
                }
            }
            Command::ListVoices { language, variant } => {
                let voices = self.engines.voices().await;
                self.output.send(&voices::list_reply(voices, language.as_deref(), variant.as_deref()));
            }
            Command::Set => {
                self.output.send(reply::RECEIVING_SETTINGS);
                let Some(params) = protocol::read_params(input).await? else { return Ok(Next::Quit) };
                let set = params.map_err(|_| reply::BAD_SYNTAX).and_then(|params| {
                    let refused = params.iter().filter(|(name, value)| self.params.set(name, value).is_err()).count();
                    if refused == 0 {
                        Ok(())
                    } else {
                        Err(reply::BAD_PARAM)
                    }
                });
                self.output.send(set.map_or_else(|e| e, |()| reply::SETTINGS_RECEIVED));
            }
            Command::Audio => {
                self.output.send(reply::RECEIVING_AUDIO_SETTINGS);
                let Some(params) = protocol::read_params(input).await? else { return Ok(Next::Quit) };
                // Audio always goes to the server; the module opens no sound device.
                let server = |params: &Vec<(String, String)>| {
                    params.iter().all(|(name, value)| name == "audio_output_method" && value == "server")
                };
                self.output.send(match params {
                    Ok(params) if server(&params) => reply::AUDIO_INITIALIZED,
                    Ok(_) => reply::BAD_PARAM,
                    Err(_) => reply::BAD_SYNTAX,
                });
            }
            Command::LogLevel => {
                self.output.send(reply::RECEIVING_LOGLEVEL);
                let Some(params) = protocol::read_params(input).await? else { return Ok(Next::Quit) };
                let level = match params.as_deref() {
                    Ok([(name, value)]) if name == "log_level" => value.trim().parse::<u8>().ok(),
                    _ => None,
                };
                match level {
                    Some(level) => {
                        self.logging.set_level(level);
                        self.output.send(reply::LOGLEVEL_SET);
                    }
                    None => self.output.send(reply::BAD_PARAM),
                }
            }
            Command::Debug(Ok(DebugSwitch::On(file))) => match self.logging.to_file(&file) {
                Ok(()) => self.output.send("200 OK DEBUGGING ON"),
                Err(error) => {
                    tracing::warn!(%error, file, "cannot open the debug file");
                    self.output.send(reply::CANT_OPEN_DEBUG_FILE);
                }
            },
            Command::Debug(Ok(DebugSwitch::Off)) => {
                self.logging.off();
                self.output.send("200 OK DEBUGGING OFF");
            }
            Command::Debug(Err(())) => self.output.send(reply::BAD_SYNTAX),
            Command::Quit => {
                self.stop();
                self.output.send(reply::QUIT);
                return Ok(Next::Quit);
            }
            Command::Unknown => self.output.send(reply::UNKNOWN_COMMAND),
        }
        Ok(Next::Continue)
    }

    /// The message speaking now, if one is.
    fn active(&self) -> Option<&Speaking> {
        self.speaking.as_ref().filter(|s| !s.task.is_finished())
    }

    /// Stops the message speaking now: from here on, none of its audio is written.
    fn stop(&mut self) {
        if let Some(speaking) = self.active() {
            self.output.silence(speaking.id);
            speaking.control.stop.cancel();
        }
    }

    async fn speak(&mut self, kind: MessageKind, message: Result<(String, usize), BodyError>) {
        let text = match message {
            Ok((_, lines)) if kind != MessageKind::Text && lines > 1 => {
                return self.output.send(reply::MORE_THAN_ONE_LINE)
            }
            Ok((text, _)) if !text.is_empty() => text,
            Ok(_) => return self.output.send(reply::CANT_SPEAK),
            Err(error) => {
                tracing::warn!(%error, "message refused");
                return self.output.send(reply::CANT_SPEAK);
            }
        };
        // A new message replaces the one speaking: that one ends first.
        self.stop();
        if let Some(previous) = self.speaking.take() {
            let _ = previous.task.await;
        }
        self.last_id += 1;
        let id = self.last_id;
        if kind == MessageKind::SoundIcon {
            // The server plays sound icons itself.
            self.output.send(reply::SPEAKING);
            self.output.send(&format!("{}\n{}\n{}", event::BEGIN, protocol::sound_icon(&text), event::END));
            return;
        }
        let pipeline = self.engines.pipeline();
        let voices = self.engines.voices().await;
        let running = |id: &crate::voice::VoiceId| pipeline.voice(id).is_some();
        let context = Context { params: &self.params, settings: &self.settings, voices, running: &running };
        let request = context.request(kind, &text);
        let speech = match pipeline.planned_speech(request).await {
            Ok(speech) => speech,
            Err(PlanTextError::Ingest(IngestError::Empty)) => {
                self.output.send(reply::SPEAKING);
                self.output.send(&format!("{}\n{}", event::BEGIN, event::END));
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot speak the message");
                return self.output.send(reply::CANT_SPEAK);
            }
        };
        tracing::debug!(message = id, voices = %speech.plan.voices().join(" "), "speaking");
        self.output.send(reply::SPEAKING);
        self.output.allow(id);
        let control = Arc::new(Control::default());
        let message = Message { id, speech, gain: self.params.gain() };
        let task = tokio::spawn(speaking::speak(pipeline, message, Arc::clone(&control), self.output.clone()));
        self.speaking = Some(Speaking { id, control, task });
    }
}
