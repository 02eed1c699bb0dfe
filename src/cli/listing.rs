//! `herald plan` and `herald voices`: they start no worker and load no
//! model; the voices come from [`crate::planning`]. Their output goes to
//! standard output in one write, and a reader that goes away early
//! (`herald voices | head -1`) ends the command quietly.

use super::{Failure, PlanArgs, VoicesArgs};
use crate::pipeline::planning::Planning;
use crate::settings::Settings;
use crate::speech::Plan;
use std::fmt::Write as _;
use std::io::Write as _;

fn open(settings: &Settings) -> Result<Planning, Failure> {
    Planning::open(settings).map_err(Failure::runtime)
}

pub(super) fn plan(settings: Settings, args: &PlanArgs) -> Result<(), Failure> {
    let (text, format) = super::input::read(&args.input)?;
    let plan = open(&settings)?.plan(&text, format, &args.speech.options()).map_err(Failure::input)?;
    if args.json {
        print(&(serde_json::to_string_pretty(&plan).expect("plans serialize") + "\n"))
    } else {
        print(&outline(&plan))
    }
}

fn outline(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "title: {}", plan.title.as_deref().unwrap_or("(none)"));
    let _ = writeln!(out, "language: {}", plan.lang);
    for meta in &plan.meta {
        let _ = writeln!(out, "meta ({:?}): {}", meta.kind, meta.text);
    }
    for p in &plan.paragraphs {
        let _ = writeln!(
            out,
            "\n[{}] {:?} {} ({:.2}, {:?}) {}",
            p.index, p.role, p.lang, p.confidence, p.lang_source, p.voice
        );
        for s in &p.sentences {
            let _ = writeln!(out, "    {}..{} {} {}: {}", s.start, s.end, s.lang, s.voice, s.text);
            if let Some(reading) = &s.reading {
                let _ = writeln!(out, "        read as: {reading}");
            }
        }
    }
    out
}

pub(super) fn voices(settings: Settings, args: &VoicesArgs) -> Result<(), Failure> {
    let planning = open(&settings)?;
    let catalog = planning.catalog();
    let voices: Vec<_> = match &args.lang {
        Some(lang) => catalog.for_lang(lang),
        None => catalog.voices().iter().collect(),
    };
    if args.json {
        return print(&(serde_json::to_string_pretty(&voices).expect("voices serialize") + "\n"));
    }
    let mut out = String::new();
    for v in voices {
        let langs: Vec<&str> = v.languages.iter().map(|l| l.as_str()).collect();
        let _ = writeln!(out, "{:<28} {:<40} {}", v.id, v.name, langs.join(" "));
    }
    print(&out)
}

/// Writes to standard output; a closed pipe is the reader's choice, not a failure.
fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::runtime(format!("standard output: {e}"))),
        _ => Ok(()),
    }
}
