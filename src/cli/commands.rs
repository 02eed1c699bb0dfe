//! The subcommands. Each one is a thin front door over the pipeline.

use super::{input, Failure, PlanArgs, SpeakArgs, SynthArgs, VoicesArgs};
use crate::pipeline::Pipeline;
use crate::settings::Settings;
use crate::speech::{EncodedEvent, EncodedSpeech, Plan, SpeakError};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(Failure::runtime)
}

async fn start(settings: Settings) -> Result<Pipeline, Failure> {
    let program = std::env::current_exe().map_err(Failure::runtime)?;
    Pipeline::start(settings, program).await.map_err(Failure::runtime)
}

pub(super) fn serve(settings: Settings) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let (addr, wyoming_addr) = (settings.addr, settings.wyoming_addr);
        let pipeline = Arc::new(start(settings).await?);
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
        tracing::info!(%local, voices, workers = pipeline.settings().worker_count(), "Herald is listening on http://{local}/");
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
    let natural = crate::pipeline::wants_natural(&options);
    // Fast voices, the default here, never need the neural workers.
    settings.neural &= natural;
    runtime()?.block_on(async {
        let pipeline = start(settings).await?;
        if let (true, Some(reason)) = (natural, pipeline.natural_unavailable()) {
            tracing::warn!(%reason, "neural voices unavailable: speaking with espeak-ng");
        }
        let plan = pipeline.plan(&text, format, &options).map_err(Failure::input)?;
        let utterances = plan.utterances();
        let sample_rate = pipeline.sample_rate();
        let mut speech = pipeline.speak_as(&plan, audio_format).map_err(Failure::runtime)?.audio;
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
            plan.paragraphs.len(),
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

pub(super) fn plan(settings: Settings, args: &PlanArgs) -> Result<(), Failure> {
    let (text, format) = input::read(&args.input)?;
    runtime()?.block_on(async {
        let pipeline = start(settings).await?;
        let plan = pipeline.plan(&text, format, &args.speech.options()).map_err(Failure::input)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&plan).expect("plans serialize"));
        } else {
            print_outline(&plan);
        }
        Ok(())
    })
}

fn print_outline(plan: &Plan) {
    println!("title: {}", plan.title.as_deref().unwrap_or("(none)"));
    println!("language: {}", plan.lang);
    for meta in &plan.meta {
        println!("meta ({:?}): {}", meta.kind, meta.text);
    }
    for p in &plan.paragraphs {
        println!("\n[{}] {:?} {} ({:.2}, {:?}) {}", p.index, p.role, p.lang, p.confidence, p.lang_source, p.voice);
        for s in &p.sentences {
            println!("    {}..{} {} {}: {}", s.start, s.end, s.lang, s.voice, s.text);
        }
    }
}

pub(super) fn voices(settings: Settings, args: &VoicesArgs) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let pipeline = start(Settings { workers: 1, ..settings }).await?;
        let voices = pipeline.voices(args.lang.as_ref());
        if args.json {
            println!("{}", serde_json::to_string_pretty(&voices).expect("voices serialize"));
        } else {
            for v in voices {
                let langs: Vec<&str> = v.languages.iter().map(|l| l.as_str()).collect();
                println!("{:<28} {:<40} {}", v.id, v.name, langs.join(" "));
            }
        }
        Ok(())
    })
}

pub(super) fn speak(args: &SpeakArgs) -> Result<(), Failure> {
    let (text, format) = input::read(&args.input)?;
    let document = crate::document::ingest(&text, format).map_err(Failure::input)?;
    let spoken: Vec<&str> =
        document.title.iter().map(String::as_str).chain(document.blocks.iter().map(|b| b.text.as_str())).collect();
    let options = args.speech.options();
    let lang = options.lang.as_ref().map(|l| l.primary().to_string());
    crate::engine::platform::speak(&spoken.join("\n\n"), lang.as_deref(), options.rate.wpm(), Duration::from_secs(3600))
        .map_err(Failure::runtime)
}

fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}
