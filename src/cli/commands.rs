//! The subcommands. Each one is a thin front door over the pipeline.

use super::{input, Failure, SynthArgs};
use crate::pipeline::planning::Planning;
use crate::pipeline::Pipeline;
use crate::report::Chain;
use crate::settings::Settings;
use crate::speech::{EncodedEvent, EncodedSpeech, SpeakError};
use crate::voice::Quality;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(Failure::runtime)
}

async fn start(settings: Settings) -> Result<Pipeline, Failure> {
    let program = std::env::current_exe().map_err(Failure::runtime)?;
    Pipeline::start(settings, program).await.map_err(|e| Failure::runtime(Chain(&e)))
}

pub(super) fn serve(settings: Settings) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let (addr, wyoming_addr) = (settings.server.addr, settings.server.wyoming_addr);
        let pipeline = Arc::new(start(settings).await?);
        let warming = Arc::clone(&pipeline);
        tokio::spawn(async move { warming.warm_up().await });
        let listener = bind(addr).await?;
        let wyoming = match wyoming_addr {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        if let Some(wyoming) = &wyoming {
            let local = wyoming.local_addr().map_err(Failure::runtime)?;
            tracing::info!(%local, "Herald's Wyoming server is listening on tcp://{local}");
        }
        let local = listener.local_addr().map_err(Failure::runtime)?;
        let voices = pipeline.voices(None).len();
        tracing::info!(%local, voices, workers = pipeline.settings().synthesis.worker_count(), "Herald is listening on http://{local}/");
        // One signal stops both servers.
        let stop = CancellationToken::new();
        tokio::spawn({
            let stop = stop.clone();
            async move {
                crate::web::shutdown_signal().await;
                stop.cancel();
            }
        });
        let state = crate::web::AppState::new(Arc::clone(&pipeline));
        let web = crate::web::run(listener, state, stop.clone().cancelled_owned());
        let wyoming = async {
            match wyoming {
                Some(listener) => crate::wyoming::run(listener, pipeline, stop.cancelled_owned()).await,
                None => Ok(()),
            }
        };
        tokio::try_join!(web, wyoming).map(|_| ()).map_err(Failure::runtime)
    })
}

async fn bind(addr: std::net::SocketAddr) -> Result<tokio::net::TcpListener, Failure> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::runtime(format!("cannot listen on {addr}: {e}")))
}

pub(super) fn synth(mut settings: Settings, args: &SynthArgs) -> Result<(), Failure> {
    let (text, format) = input::read(&args.input)?;
    let audio_format = args.audio_format()?;
    let options = args.speech.options();
    // Neural workers start only when the plan speaks with a neural voice.
    let planning = Planning::open(&settings).map_err(Failure::runtime)?;
    let planned = planning.plan(&text, format, &options).map_err(Failure::input)?;
    if let (Some(Quality::Natural), Some(reason)) = (options.quality, planning.natural_unavailable()) {
        tracing::warn!(%reason, "neural voices unavailable: speaking with espeak-ng");
    }
    settings.neural.enabled &= planning.needs_neural(&planned);
    runtime()?.block_on(async {
        let pipeline = Arc::new(start(settings).await?);
        let utterances = planned.utterances();
        let sample_rate = pipeline.sample_rate();
        let mut speech = pipeline.encode_plan(&planned, audio_format).map_err(|e| Failure::runtime(Chain(&e)))?;
        let written = write_audio(&mut speech, &args.output).await?;
        let skipped: Vec<String> = written
            .skipped
            .iter()
            .map(|(index, error)| format!("sentence {:?}: {error}", excerpt(&utterances[*index].text)))
            .collect();
        eprintln!(
            "herald: wrote {} ({audio_format}, {:.1} s, {} paragraphs, {} sentences)",
            args.output.display(),
            crate::audio::seconds(written.samples, sample_rate),
            planned.paragraphs.len(),
            utterances.len()
        );
        match skipped.len() {
            0 => Ok(()),
            n => Err(Failure::runtime(format!(
                "{n} sentence(s) could not be spoken and were left out: {}",
                skipped.join("; ")
            ))),
        }
    })
}

/// What [`write_audio`] wrote.
struct Written {
    /// Samples of speech, at the engine's rate.
    samples: u64,
    skipped: Vec<(usize, SpeakError)>,
}

/// Writes encoded speech to `path` as it arrives, then rewrites the header
/// where the format has sizes to fill in (WAV).
async fn write_audio(speech: &mut EncodedSpeech, path: &Path) -> Result<Written, Failure> {
    let failed = |e: &dyn std::fmt::Display| Failure::runtime(format!("cannot write {}: {e}", path.display()));
    let file =
        std::fs::File::create(path).map_err(|e| Failure::runtime(format!("cannot create {}: {e}", path.display())))?;
    let mut out = std::io::BufWriter::new(file);
    let (mut bytes, mut samples, mut skipped) = (0u64, 0u64, Vec::new());
    while let Some(event) = speech.next().await {
        match event.map_err(|e| failed(&e))? {
            EncodedEvent::Audio(chunk) => {
                out.write_all(&chunk).map_err(|e| failed(&e))?;
                bytes += chunk.len() as u64;
            }
            EncodedEvent::Skipped { index, error } => skipped.push((index, error)),
            EncodedEvent::Finished { samples: total } => samples = total,
        }
    }
    // A header too small for the length (a WAV over 4 GiB) keeps its
    // "unknown length" sizes, which players read to the end of the file.
    if let Some(header) = speech.format().final_header(speech.output_rate(), bytes).filter(|h| !h.is_empty()) {
        out.seek(SeekFrom::Start(0)).and_then(|_| out.write_all(&header)).map_err(|e| failed(&e))?;
    }
    out.into_inner().map_err(|e| failed(e.error()))?.sync_all().map_err(|e| failed(&e))?;
    Ok(Written { samples, skipped })
}

fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}
