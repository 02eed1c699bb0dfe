//! `herald book IN.epub --out OUT.epub`: a talking book (EPUB 3 with media
//! overlays) from an EPUB, with a progress bar and ETA on a terminal (a
//! line per content document otherwise). Sentences already synthesized
//! (by an earlier run that was stopped, say) come from the cache.

use super::{Failure, SettingsFlags, SpeechArgs};
use crate::book::{self, BookError, Progress};
use crate::pipeline::Pipeline;
use crate::report::Chain;
use crate::settings::Settings;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub(super) struct BookArgs {
    /// The EPUB to read (EPUB 2 or 3).
    input: PathBuf,
    /// Where the talking book goes.
    #[arg(long)]
    out: PathBuf,
    /// Also write an audiobook into this folder: an MP3 per chapter, tagged,
    /// with a playlist and the cover.
    #[arg(long)]
    audiobook: Option<PathBuf>,
    #[command(flatten)]
    speech: SpeechArgs,
    #[command(flatten)]
    pub(super) settings: SettingsFlags,
}

pub(super) fn run(settings: Settings, args: &BookArgs) -> Result<(), Failure> {
    let epub =
        std::fs::read(&args.input).map_err(|e| Failure::input(format!("cannot read {}: {e}", args.input.display())))?;
    let options = args.speech.options();
    let started = std::time::Instant::now();
    let made = super::commands::runtime()?.block_on(async {
        let program = std::env::current_exe().map_err(Failure::runtime)?;
        let pipeline = Arc::new(Pipeline::start(settings, program).await.map_err(|e| Failure::runtime(Chain(&e)))?);
        let bar = progress_bar();
        let made = book::make(&pipeline, epub, &options, &args.out, |progress| report(bar.as_ref(), progress)).await;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        made.map_err(|error| match error {
            BookError::Write(_) => Failure::runtime(Chain(&error)),
            _ => Failure::input(Chain(&error)),
        })
    })?;
    if let Some(dir) = &args.audiobook {
        let cannot =
            |e: std::io::Error| Failure::runtime(format!("cannot write the audiobook in {}: {e}", dir.display()));
        made.write_audiobook(dir).map_err(cannot)?;
        eprintln!("herald: wrote the audiobook in {} ({} chapters)", dir.display(), made.chapters.len());
    }
    eprintln!(
        "herald: wrote {} ({}: {} sentences, {:.1} min of audio, in {:.1} s)",
        args.out.display(),
        made.title.as_deref().unwrap_or("untitled"),
        made.sentences,
        made.seconds / 60.0,
        started.elapsed().as_secs_f64()
    );
    if made.unwrapped > 0 {
        eprintln!("herald: {} sentence(s) cut across by markup were left unread", made.unwrapped);
    }
    match made.skipped {
        0 => Ok(()),
        n => Err(Failure::runtime(format!("{n} sentence(s) could not be spoken and have no audio"))),
    }
}

/// A bar on a terminal; `None` elsewhere.
fn progress_bar() -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let style =
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} documents (ETA {eta})")
                .expect("the template is valid");
        ProgressBar::new(0).with_style(style)
    })
}

fn report(bar: Option<&ProgressBar>, progress: Progress) {
    match bar {
        Some(bar) => {
            bar.set_length(progress.documents as u64);
            bar.set_position(progress.documents_done as u64);
        }
        None if progress.documents_done > 0 => {
            eprintln!("herald: [{}/{}] documents spoken", progress.documents_done, progress.documents);
        }
        None => {}
    }
}
