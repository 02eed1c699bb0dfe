//! `herald book IN --out OUT.epub`: a talking book (EPUB 3 with media
//! overlays) from an EPUB, or from a statement (text, Markdown, HTML) or a
//! folder of them, made into an EPUB first; with a progress bar and ETA on
//! a terminal (a line per content document otherwise). Sentences already
//! synthesized (by an earlier run that was stopped, say) come from the cache.

use super::{Failure, SettingsFlags, SpeechArgs};
use crate::book::{self, from_documents, BookError, Progress};
use crate::pipeline::Pipeline;
use crate::report::Chain;
use crate::settings::Settings;
use crate::statements::{self, Statement};
use crate::voice::Quality;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Args)]
pub(super) struct BookArgs {
    /// What to read: an EPUB (EPUB 2 or 3; a zip, or a `.epub` file); or a
    /// statement in text, Markdown or HTML (by its extension, `.txt`, `.md`,
    /// `.html`; text otherwise), or a folder of them, one chapter per file
    /// in name order, made into an EPUB 3 first.
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

pub(super) fn run(mut settings: Settings, args: &BookArgs) -> Result<(), Failure> {
    let epub = read(&args.input)?;
    let options = args.speech.options();
    // A book read by espeak-ng alone starts no neural workers: each holds
    // its models in memory (over 150 MiB) for the whole run.
    let espeak_only = options.quality == Some(Quality::Fast)
        && options.voice.as_ref().is_none_or(|voice| voice.as_str().starts_with("espeak:"));
    if espeak_only {
        settings.neural.enabled = false;
    }
    let started = std::time::Instant::now();
    let made = super::commands::runtime()?.block_on(async {
        let program = std::env::current_exe().map_err(Failure::runtime)?;
        let pipeline = Arc::new(Pipeline::start(settings, program).await.map_err(|e| Failure::runtime(Chain(&e)))?);
        let bar = progress_bar();
        let made = book::make(&pipeline, epub, &options, &args.out, |progress| report(bar.as_ref(), progress)).await;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        made.map_err(failure)
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

/// The EPUB to make a talking book of: the input as it is, if it is one;
/// else the EPUB of the statement or the folder of statements it is.
/// Every statement must be usable: none is left out of a book.
fn read(input: &Path) -> Result<Vec<u8>, Failure> {
    let cannot_read = |e: std::io::Error| Failure::input(format!("cannot read {}: {e}", input.display()));
    // `.` or `..` is named by the folder it is.
    let name = |path: &Path| {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
    };
    if input.is_dir() {
        let (statements, rejected) = statements::read_dir(input).map_err(cannot_read)?;
        if let Some(error) = rejected.first() {
            return Err(Failure::input(format!("{}: {}", input.join(&error.name).display(), error.reason)));
        }
        if statements.is_empty() {
            let message = format!("{} holds no statement to read (.txt, .md, .html)", input.display());
            return Err(Failure::input(message));
        }
        return from_documents::epub(&name(input), statements).map_err(failure);
    }
    let bytes = std::fs::read(input).map_err(cannot_read)?;
    let epub_named = input.extension().is_some_and(|e| e.eq_ignore_ascii_case("epub"));
    if bytes.starts_with(b"PK\x03\x04") || epub_named {
        return Ok(bytes);
    }
    let statement = Statement::from_bytes(&name(input), &bytes)
        .map_err(|e| Failure::input(format!("{}: {}", input.display(), e.reason)))?;
    let stem = input.file_stem().map_or_else(|| statement.name.clone(), |s| s.to_string_lossy().into_owned());
    from_documents::epub(&stem, vec![statement]).map_err(failure)
}

/// A problem with the book given is bad input; one writing it, a failure.
fn failure(error: BookError) -> Failure {
    match error {
        BookError::Write(_) => Failure::runtime(Chain(&error)),
        _ => Failure::input(Chain(&error)),
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
