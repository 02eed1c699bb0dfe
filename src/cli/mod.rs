//! The command line: `herald serve | synth | plan | voices | speak | podcast | speechd`, plus the
//! hidden `herald worker` that hosts an engine for the pool.
//!
//! Exit codes: 0 success, 1 failure while working, 2 bad input or usage.

mod book;
mod commands;
mod eval_lang;
mod input;
mod listing;
mod podcast;
mod speak;
mod speechd;

use crate::audio::AudioFormat;
use crate::settings::Settings;
use crate::speech::{Pitch, Rate, SpeechOptions};
use crate::text::LangTag;
use crate::voice::{Quality, VoiceId};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "herald", version, about = "Multilingual text-to-speech and accessible reading")]
struct Cli {
    /// Settings file (default: ./herald.toml if present).
    #[arg(long, global = true, env = "HERALD_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (and the Wyoming server, with `--wyoming-addr`).
    Serve(ServeArgs),
    /// Synthesize a statement to an audio file (WAV, MP3, Opus or FLAC).
    Synth(SynthArgs),
    /// Show how a statement will be spoken: paragraphs, sentences, languages, voices.
    Plan(PlanArgs),
    /// List the installed voices.
    Voices(VoicesArgs),
    /// Speak a statement aloud through the platform's speech service.
    Speak(SpeakArgs),
    /// Make a podcast: an episode per statement in a directory, and its feed.
    /// `--config` names the show's file (default: SRC_DIR/podcast.toml).
    Podcast(podcast::PodcastArgs),
    /// Speech Dispatcher (Orca, browsers): install Herald's module, or run it.
    Speechd(speechd::SpeechdArgs),
    /// Make a talking book: an EPUB 3 with every sentence read aloud in
    /// sync (media overlays), from an EPUB, or from a statement (text,
    /// Markdown, HTML) or a folder of them.
    Book(book::BookArgs),
    /// Measure language identification on a corpus (see the README).
    #[command(hide = true, name = "eval-lang")]
    EvalLang(eval_lang::EvalLangArgs),
    /// Host a speech engine for the worker pool (internal).
    #[command(hide = true)]
    Worker {
        #[arg(long, default_value = "espeak-ng")]
        engine: String,
        /// Address-space limit in MiB (0: none).
        #[arg(long, default_value_t = 0)]
        memory_limit_mb: u64,
        /// The engine's configuration, as JSON.
        #[arg(long, default_value = "")]
        engine_config: String,
    },
}

/// Flags that override settings; unset flags leave lower layers alone.
#[derive(Debug, Args, Serialize)]
struct SettingsFlags {
    /// Cache directory (segments and documents).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_dir: Option<PathBuf>,
    /// Worker processes (default: one per core).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    workers: Option<usize>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    addr: Option<std::net::SocketAddr>,
    /// Also serve the Wyoming protocol (Home Assistant) on this address, e.g. 0.0.0.0:10200.
    #[arg(long)]
    wyoming_addr: Option<std::net::SocketAddr>,
    /// Other sites' origins allowed to use the API from a browser, comma-separated.
    #[arg(long, value_delimiter = ',')]
    cors_origins: Option<Vec<String>>,
    #[command(flatten)]
    settings: SettingsFlags,
}

#[derive(Debug, Args)]
struct InputArgs {
    /// Input file, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// Input format (default: from the file extension, else text).
    #[arg(long, value_parser = ["text", "markdown", "html"])]
    format: Option<String>,
}

#[derive(Debug, Args)]
struct SpeechArgs {
    /// Language of the whole text (BCP-47), instead of detecting it.
    #[arg(long, value_parser = |s: &str| LangTag::parse(s).map_err(|e| e.to_string()))]
    lang: Option<LangTag>,
    /// Voice id for the whole text (see `herald voices`).
    #[arg(long, value_parser = |s: &str| VoiceId::parse(s).map_err(|e| e.to_string()))]
    voice: Option<VoiceId>,
    /// Words per minute, 80–600.
    #[arg(long, default_value_t = Rate::NORMAL, value_parser = |s: &str| s.parse::<u32>().map_err(|e| e.to_string()).and_then(|n| Rate::new(n).map(|_| n).map_err(|e| e.to_string())))]
    rate: u32,
    /// Pitch, 0–100.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=100))]
    pitch: u32,
    /// Kind of voice where none is named: fast (espeak-ng) or natural (neural, where installed).
    #[arg(long, value_parser = |s: &str| serde_json::from_value::<Quality>(s.into()).map_err(|_| "use fast or natural".to_string()))]
    quality: Option<Quality>,
}

impl SpeechArgs {
    fn options(&self) -> SpeechOptions {
        SpeechOptions {
            lang: self.lang.clone(),
            voice: self.voice.clone(),
            rate: Rate::new(self.rate).expect("validated by clap"),
            pitch: Pitch::new(self.pitch).expect("validated by clap"),
            quality: self.quality,
            ..SpeechOptions::default()
        }
    }
}

#[derive(Debug, Args)]
struct SynthArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output file; its extension (.wav, .mp3, .opus, .flac) sets the audio format.
    #[arg(short, long)]
    output: PathBuf,
    /// Audio format, instead of the output file's extension: wav, mp3, opus or flac.
    #[arg(long, value_parser = file_format)]
    audio_format: Option<AudioFormat>,
    #[command(flatten)]
    speech: SpeechArgs,
    #[command(flatten)]
    settings: SettingsFlags,
}

/// An audio file format by name.
fn file_format(name: &str) -> Result<AudioFormat, String> {
    name.parse().ok().filter(|f| AudioFormat::FILES.contains(f)).ok_or_else(|| {
        let known: Vec<&str> = AudioFormat::FILES.iter().map(|f| f.name()).collect();
        format!("`{name}` is not an audio file format; use {}", known.join(", "))
    })
}

impl SynthArgs {
    /// The format to write: `--audio-format`, else the output's extension
    /// (WAV when it has none).
    fn audio_format(&self) -> Result<AudioFormat, Failure> {
        if let Some(format) = self.audio_format {
            return Ok(format);
        }
        let Some(extension) = self.output.extension() else { return Ok(AudioFormat::Wav) };
        extension.to_str().and_then(AudioFormat::from_extension).ok_or_else(|| {
            let known: Vec<String> = AudioFormat::FILES.iter().map(|f| format!(".{}", f.extension())).collect();
            Failure::input(format!(
                "cannot tell the audio format of {}: name it {} or pass --audio-format",
                self.output.display(),
                known.join(", ")
            ))
        })
    }
}

#[derive(Debug, Args)]
struct PlanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Print JSON instead of a readable outline.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    speech: SpeechArgs,
    #[command(flatten)]
    settings: SettingsFlags,
}

#[derive(Debug, Args)]
struct VoicesArgs {
    /// Only voices for this language.
    #[arg(long, value_parser = |s: &str| LangTag::parse(s).map_err(|e| e.to_string()))]
    lang: Option<LangTag>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    settings: SettingsFlags,
}

#[derive(Debug, Args)]
struct SpeakArgs {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    speech: SpeechArgs,
    /// Print the platform's events, a line each: `voice N LANG NAME`, `begin N`, `end N`, `stopped N`.
    #[arg(long)]
    events: bool,
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    if let Some(code) = speechd::as_module() {
        return code;
    }
    let cli = Cli::parse();
    if let Some(config) = match &cli.command {
        Command::Speechd(args) => speechd::module_config(args),
        _ => None,
    } {
        return crate::speechd::run(config);
    }
    if let Command::Worker { engine, memory_limit_mb, engine_config } = &cli.command {
        return ExitCode::from(crate::engine::worker::run(engine, engine_config, *memory_limit_mb) as u8);
    }
    // The service logs what it does; one-shot commands speak for themselves
    // and log only warnings.
    init_tracing(if matches!(cli.command, Command::Serve(_)) { "herald=info,tower_http=info" } else { "herald=warn" });
    let load = |flags: &SettingsFlags, serve: Option<&ServeArgs>| {
        let mut overrides = serde_json::to_value(flags).expect("flags serialize");
        if let Some(addr) = serve.and_then(|s| s.addr) {
            overrides["addr"] = serde_json::Value::String(addr.to_string());
        }
        if let Some(addr) = serve.and_then(|s| s.wyoming_addr) {
            overrides["wyoming_addr"] = serde_json::Value::String(addr.to_string());
        }
        if let Some(origins) = serve.and_then(|s| s.cors_origins.as_ref()) {
            overrides["cors_origins"] = serde_json::json!(origins);
        }
        Settings::load(cli.config.as_deref(), overrides)
    };
    let result = match &cli.command {
        Command::Serve(args) => load(&args.settings, Some(args)).map_err(fail).and_then(commands::serve),
        Command::Synth(args) => load(&args.settings, None).map_err(fail).and_then(|s| commands::synth(s, args)),
        Command::Plan(args) => load(&args.settings, None).map_err(fail).and_then(|s| listing::plan(s, args)),
        Command::Voices(args) => load(&args.settings, None).map_err(fail).and_then(|s| listing::voices(s, args)),
        Command::Speak(args) => Settings::load(cli.config.as_deref(), serde_json::json!({}))
            .map_err(fail)
            .and_then(|s| speak::speak(s, args)),
        Command::Podcast(args) => podcast::run(cli.config.as_deref(), args),
        Command::Book(args) => load(&args.settings, None).map_err(fail).and_then(|s| book::run(s, args)),
        Command::Speechd(args) => speechd::run(cli.config.as_deref(), args),
        Command::EvalLang(args) => eval_lang::run(args),
        Command::Worker { .. } => unreachable!("handled above"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("herald: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A command's failure: a one-line message and an exit code.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn input(message: impl std::fmt::Display) -> Self {
        Self { code: 2, message: message.to_string() }
    }

    fn runtime(message: impl std::fmt::Display) -> Self {
        Self { code: 1, message: message.to_string() }
    }
}

fn fail(error: Box<figment::Error>) -> Failure {
    Failure::input(format!("settings: {error}"))
}

/// Logs to stderr, filtered by `HERALD_LOG`, else by `default_filter`.
fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG").unwrap_or_else(|_| default_filter.into());
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
