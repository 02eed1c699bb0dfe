//! `herald podcast SRC_DIR --out OUT_DIR`: the podcast batch from the
//! command line, with a progress bar on a terminal (plain log lines
//! otherwise) and a summary at the end.

use super::{Failure, SettingsFlags};
use crate::podcast::{self, Batch, Progress, Show, Summary};
use crate::settings::Settings;
use crate::voice::Quality;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Args)]
pub(super) struct PodcastArgs {
    /// Directory of statements (.txt, .md, .html).
    src_dir: PathBuf,
    /// Output directory: episodes/, feed.xml.
    #[arg(long)]
    out: PathBuf,
    /// Episodes made at once (default: one per worker).
    #[arg(long)]
    jobs: Option<usize>,
    /// Also write the summary as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingsFlags,
}

/// Runs the batch. `config` is the show's file (`--config`; default
/// `SRC_DIR/podcast.toml`); Herald's own settings come from `herald.toml`,
/// the environment and the flags.
pub(super) fn run(config: Option<&Path>, args: &PodcastArgs) -> Result<(), Failure> {
    let from_env = std::env::var_os("HERALD_CONFIG");
    let (show_file, settings_file) = match config {
        Some(path) if from_env.as_deref() != Some(path.as_os_str()) => (path.to_path_buf(), None),
        other => (args.src_dir.join("podcast.toml"), other),
    };
    let show = Show::load(&show_file).map_err(Failure::input)?;
    let overrides = serde_json::to_value(&args.settings).expect("flags serialize");
    let mut settings =
        Settings::load(settings_file, overrides).map_err(|e| Failure::input(format!("settings: {e}")))?;
    // A show read by fast voices never needs the neural workers.
    settings.neural &= show.quality != Quality::Fast;
    let (statements, rejected) = podcast::source::read_dir(&args.src_dir)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", args.src_dir.display())))?;
    if statements.is_empty() && rejected.is_empty() {
        return Err(Failure::input(format!("{} holds no statements (.txt, .md, .html)", args.src_dir.display())));
    }
    let jobs = args.jobs.unwrap_or_else(|| settings.worker_count()).max(1);
    let batch = Batch { show, statements, rejected, out: args.out.clone(), jobs };
    let summary = tokio::runtime::Runtime::new().map_err(Failure::runtime)?.block_on(async {
        let program = std::env::current_exe().map_err(Failure::runtime)?;
        let pipeline = crate::pipeline::Pipeline::start(settings, program).await.map_err(Failure::runtime)?;
        if let (Quality::Natural, Some(reason)) = (batch.show.quality, pipeline.natural_unavailable()) {
            tracing::warn!(%reason, "neural voices unavailable: episodes are read by espeak-ng");
        }
        let reporter = Reporter::new();
        let progress = {
            let reporter = Arc::clone(&reporter);
            Arc::new(move |event| reporter.report(event))
        };
        let summary = podcast::run(Arc::new(pipeline), batch, progress).await.map_err(Failure::runtime)?;
        reporter.finish();
        Ok::<_, Failure>(summary)
    })?;
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_vec_pretty(&summary).expect("summaries serialize");
        std::fs::write(path, json).map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))?;
    }
    eprintln!("herald: {}", describe(&summary, &args.out));
    match summary.failed.len() {
        0 => Ok(()),
        n => Err(Failure::runtime(format!("{n} statement(s) failed and were skipped"))),
    }
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
