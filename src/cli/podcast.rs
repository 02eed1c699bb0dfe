//! `herald podcast SRC_DIR --out OUT_DIR`: the podcast batch from the
//! command line, with a progress bar on a terminal (plain log lines
//! otherwise) and a summary at the end. A folder of statements alone is
//! enough: what `podcast.toml` leaves out gets a default, and what podcast
//! apps would object to is said once. `herald podcast init DIR` writes a
//! commented `podcast.toml`.

use super::{Failure, SettingsFlags};
use crate::pipeline::Pipeline;
use crate::podcast::{self, config, Batch, Progress, Show, Summary};
use crate::settings::Settings;
use crate::speech::SpeechOptions;
use crate::statements::Statement;
use crate::voice::Quality;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(super) struct PodcastArgs {
    #[command(subcommand)]
    command: Option<PodcastCommand>,
    /// Directory of statements (.txt, .md, .html).
    #[arg(required = true)]
    src_dir: Option<PathBuf>,
    /// Output directory: episodes/, feed.xml.
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Episodes made at once (default: one per worker).
    #[arg(long)]
    jobs: Option<usize>,
    /// Also write the summary as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingsFlags,
}

#[derive(Debug, Subcommand)]
enum PodcastCommand {
    /// Write a commented podcast.toml into DIR to start from.
    Init {
        /// Directory of statements.
        dir: PathBuf,
    },
}

/// Runs the batch, or `init`. `config` is the show's file (`--config`;
/// default `SRC_DIR/podcast.toml`, optional); Herald's own settings come
/// from `herald.toml`, the environment and the flags.
pub(super) fn run(config: Option<&Path>, args: &PodcastArgs) -> Result<(), Failure> {
    let (src_dir, out) = match (&args.command, &args.src_dir, &args.out) {
        (Some(PodcastCommand::Init { dir }), ..) => return init(dir),
        (None, Some(src_dir), Some(out)) => (src_dir, out),
        _ => unreachable!("clap requires SRC_DIR and --out without a subcommand"),
    };
    let from_env = std::env::var_os("HERALD_CONFIG");
    let (show_file, settings_file, named) = match config {
        Some(path) if from_env.as_deref() != Some(path.as_os_str()) => (path.to_path_buf(), None, true),
        other => (src_dir.join("podcast.toml"), other, false),
    };
    let show =
        if named || show_file.exists() { Show::read(&show_file).map_err(Failure::input)? } else { Show::unnamed() };
    let overrides = serde_json::to_value(&args.settings).expect("flags serialize");
    let mut settings =
        Settings::load(settings_file, overrides).map_err(|e| Failure::input(format!("settings: {e}")))?;
    // A show read by fast voices never needs the neural workers.
    settings.neural.enabled &= show.quality != Quality::Fast;
    let (statements, rejected) = crate::statements::read_dir(src_dir)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", src_dir.display())))?;
    if statements.is_empty() && rejected.is_empty() {
        return Err(Failure::input(format!("{} holds no statements (.txt, .md, .html)", src_dir.display())));
    }
    let jobs = args.jobs.unwrap_or_else(|| settings.synthesis.worker_count()).max(1);
    let summary = tokio::runtime::Runtime::new().map_err(Failure::runtime)?.block_on(async {
        let program = std::env::current_exe().map_err(Failure::runtime)?;
        let pipeline = Pipeline::start(settings, program).await.map_err(Failure::runtime)?;
        let (show, filled) = show.with_defaults(&folder_title(src_dir), &main_language(&pipeline, &statements));
        let show = show.checked().map_err(|e| Failure::input(format!("{}: {e}", show_file.display())))?;
        if !filled.is_empty() {
            eprintln!(
                "herald: {} from defaults ({}); `herald podcast init {}` writes a podcast.toml to change them",
                filled.join(", "),
                describe_show(&show),
                src_dir.display()
            );
        }
        let batch = Batch { show, statements, rejected, out: out.clone(), jobs };
        if let (Quality::Natural, Some(reason)) = (batch.show.quality, pipeline.natural_unavailable()) {
            tracing::warn!(%reason, "neural voices unavailable: episodes are read by espeak-ng");
        }
        let reporter = Reporter::new();
        let progress = {
            let reporter = Arc::clone(&reporter);
            Arc::new(move |event| reporter.report(event))
        };
        let warnings = batch.show.warnings();
        let summary = podcast::run(Arc::new(pipeline), batch, progress).await.map_err(Failure::runtime)?;
        reporter.finish();
        Ok::<_, Failure>((summary, warnings))
    })?;
    let (summary, warnings) = summary;
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_vec_pretty(&summary).expect("summaries serialize");
        std::fs::write(path, json).map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))?;
    }
    eprintln!("herald: {}", describe(&summary, out));
    for warning in warnings {
        eprintln!("herald: warning: {warning}");
    }
    match summary.failed.len() {
        0 => Ok(()),
        n => Err(Failure::runtime(format!("{n} statement(s) failed and were skipped"))),
    }
}

/// `herald podcast init DIR`: a commented `podcast.toml`, never over an existing one.
fn init(dir: &Path) -> Result<(), Failure> {
    let path = dir.join("podcast.toml");
    if path.exists() {
        return Err(Failure::input(format!("{} exists already; edit it, or remove it first", path.display())));
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::runtime(format!("cannot create {}: {e}", dir.display())))?;
    let text = config::template(&folder_title(dir));
    std::fs::write(&path, text).map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("herald: wrote {}; every field is explained there", path.display());
    Ok(())
}

/// The folder's name, as a title.
fn folder_title(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.file_name().map_or_else(|| "Statements".to_string(), |n| n.to_string_lossy().into_owned())
}

/// The language with the most text among the statements, as detected
/// (English when nothing can be read).
fn main_language(pipeline: &Pipeline, statements: &[Statement]) -> String {
    let mut letters: Vec<(String, usize)> = Vec::new();
    for statement in statements {
        let Ok(plan) = pipeline.plan(&statement.text, statement.format, &SpeechOptions::default()) else { continue };
        for paragraph in &plan.paragraphs {
            let lang = paragraph.lang.primary().to_string();
            let count = paragraph.text.chars().filter(|c| c.is_alphabetic()).count();
            match letters.iter_mut().find(|(l, _)| *l == lang) {
                Some((_, total)) => *total += count,
                None => letters.push((lang, count)),
            }
        }
    }
    letters.into_iter().filter(|(l, _)| l != "und").max_by_key(|(_, n)| *n).map_or_else(|| "en".into(), |(l, _)| l)
}

fn describe_show(show: &Show) -> String {
    format!("title {:?}, language {}, category {}", show.title, show.language, show.category)
}

/// The summary in one line.
fn describe(summary: &Summary, out: &Path) -> String {
    format!(
        "podcast in {}: {} episodes: {} made, {} unchanged, {} failed; {:.1} min of audio made; \
         {} sentences synthesized, {} from the cache; {} files written; {:.1} s",
        out.display(),
        summary.total,
        summary.made,
        summary.unchanged,
        summary.failed.len(),
        summary.audio_seconds / 60.0,
        summary.synthesized,
        summary.cached,
        summary.files_written,
        summary.elapsed_seconds
    )
}

/// Shows progress: a bar on a terminal, a line per episode otherwise.
struct Reporter {
    bar: Option<ProgressBar>,
    total: AtomicUsize,
    done: AtomicUsize,
    minutes: Mutex<f64>,
}

impl Reporter {
    fn new() -> Arc<Self> {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} episodes, {msg} (ETA {eta})",
            )
            .expect("the template is valid");
            ProgressBar::new(0).with_style(style)
        });
        Arc::new(Self { bar, total: AtomicUsize::new(0), done: AtomicUsize::new(0), minutes: Mutex::new(0.0) })
    }

    fn report(&self, event: Progress) {
        match event {
            Progress::Started { total, to_make } => {
                self.total.store(total, Ordering::SeqCst);
                match &self.bar {
                    Some(bar) => bar.set_length(total as u64),
                    None => eprintln!("herald: {total} statements, {to_make} episode(s) to make"),
                }
            }
            Progress::Making { slug } => {
                if self.bar.is_none() {
                    tracing::debug!(%slug, "making an episode");
                }
            }
            Progress::Ready { slug, seconds, made, .. } => {
                let minutes = {
                    let mut minutes = self.minutes.lock().expect("minutes lock");
                    if made {
                        *minutes += seconds / 60.0;
                    }
                    *minutes
                };
                let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
                let total = self.total.load(Ordering::SeqCst);
                match &self.bar {
                    Some(bar) => {
                        bar.set_message(format!("{minutes:.1} min of audio"));
                        bar.inc(1);
                    }
                    None => eprintln!(
                        "herald: [{done}/{total}] {} {slug} ({:.1} min)",
                        if made { "made" } else { "unchanged" },
                        seconds / 60.0
                    ),
                }
            }
            Progress::Failed { name, error } => {
                let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
                let line = format!("[{done}/{}] failed {name}: {error}", self.total.load(Ordering::SeqCst));
                match &self.bar {
                    Some(bar) => {
                        bar.println(format!("herald: {line}"));
                        bar.inc(1);
                    }
                    None => eprintln!("herald: {line}"),
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
