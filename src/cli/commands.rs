//! The subcommands. Each one is a thin front door over the pipeline.

use super::{input, Failure, PlanArgs, SpeakArgs, SynthArgs, VoicesArgs};
use crate::pipeline::Pipeline;
use crate::settings::Settings;
use crate::speech::Plan;
use std::time::Duration;

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Runtime::new().map_err(Failure::runtime)
}

async fn start(settings: Settings) -> Result<Pipeline, Failure> {
    let program = std::env::current_exe().map_err(Failure::runtime)?;
    Pipeline::start(settings, program).await.map_err(Failure::runtime)
}

pub(super) fn serve(settings: Settings) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let addr = settings.addr;
        let pipeline = start(settings).await?;
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| Failure::runtime(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr().map_err(Failure::runtime)?;
        let voices = pipeline.speaker.catalog().voices().len();
        tracing::info!(%local, voices, workers = pipeline.settings.worker_count(), "Herald is listening on http://{local}/");
        let state = crate::web::AppState::new(std::sync::Arc::new(pipeline));
        crate::web::run(listener, state, crate::web::shutdown_signal()).await.map_err(Failure::runtime)
    })
}

pub(super) fn synth(settings: Settings, args: &SynthArgs) -> Result<(), Failure> {
    let (text, format) = input::read(&args.input)?;
    runtime()?.block_on(async {
        let pipeline = start(settings).await?;
        let plan = pipeline.plan(&text, format, &args.speech.options()).map_err(Failure::input)?;
        let utterances = plan.utterances();
        let rendered = crate::speech::collect(pipeline.speaker.speak(utterances.clone())).await;
        let skipped: Vec<String> = rendered
            .skipped()
            .map(|(index, error)| format!("sentence {:?}: {error}", excerpt(&utterances[index].text)))
            .collect();
        let samples = rendered.samples;
        let sample_rate = pipeline.speaker.sample_rate();
        let file = std::fs::File::create(&args.output)
            .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", args.output.display())))?;
        crate::audio::wav::write(std::io::BufWriter::new(file), sample_rate, &samples).map_err(Failure::runtime)?;
        eprintln!(
            "herald: wrote {} ({:.1} s, {} paragraphs, {} sentences)",
            args.output.display(),
            crate::audio::seconds(samples.len() as u64, sample_rate),
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
        let catalog = pipeline.speaker.catalog();
        let voices: Vec<_> = match &args.lang {
            Some(lang) => catalog.for_lang(lang),
            None => catalog.voices().iter().collect(),
        };
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
