//! `herald speechd install | uninstall | module`: Herald's voices in Speech
//! Dispatcher (Orca, browsers' `speechSynthesis`), and the module it runs.

use super::{Failure, SettingsFlags};
use crate::settings::Settings;
use crate::speechd::install::{self, Outcome};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub(super) struct SpeechdArgs {
    #[command(subcommand)]
    command: SpeechdCommand,
}

#[derive(Debug, Subcommand)]
enum SpeechdCommand {
    /// Add Herald to Speech Dispatcher: the module, its settings and an `AddModule` line.
    Install {
        #[command(flatten)]
        dir: ConfigDir,
        #[command(flatten)]
        settings: SettingsFlags,
    },
    /// Remove what `install` added.
    Uninstall {
        #[command(flatten)]
        dir: ConfigDir,
    },
    /// Run as Speech Dispatcher's output module (Speech Dispatcher starts it).
    Module {
        /// The module's settings file (Speech Dispatcher passes it).
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct ConfigDir {
    /// Speech Dispatcher's config directory (default: ~/.config/speech-dispatcher).
    #[arg(long)]
    config_dir: Option<PathBuf>,
}

impl ConfigDir {
    fn resolve(&self) -> Result<PathBuf, Failure> {
        self.config_dir.clone().map_or_else(install::default_dir, Ok).map_err(Failure::runtime)
    }
}

pub(super) fn run(config: Option<&Path>, args: &SpeechdArgs) -> Result<(), Failure> {
    match &args.command {
        SpeechdCommand::Install { dir, settings } => {
            let flags = serde_json::to_value(settings).expect("flags serialize");
            let settings = Settings::load(config, flags).map_err(|e| Failure::input(format!("settings: {e}")))?;
            let program = std::env::current_exe().map_err(Failure::runtime)?;
            let dir = dir.resolve()?;
            let outcome = install::install(&dir, &program, &settings).map_err(Failure::runtime)?;
            report(outcome, &format!("Herald is a module of Speech Dispatcher in {}", dir.display()));
            println!("Try it: spd-say -o herald \"Hello from Herald\" (restart Speech Dispatcher if it was running)");
            Ok(())
        }
        SpeechdCommand::Uninstall { dir } => {
            let dir = dir.resolve()?;
            let outcome = install::uninstall(&dir).map_err(Failure::runtime)?;
            report(outcome, &format!("Herald is no longer a module of Speech Dispatcher in {}", dir.display()));
            Ok(())
        }
        SpeechdCommand::Module { .. } => unreachable!("run before the command line's other commands"),
    }
}

/// The module's settings file, when the command runs the module.
pub(super) fn module_config(args: &SpeechdArgs) -> Option<Option<&Path>> {
    match &args.command {
        SpeechdCommand::Module { config } => Some(config.as_deref()),
        _ => None,
    }
}

/// Runs the module when Herald is started by the module's program name
/// (`sd_herald CONFIG`, as Speech Dispatcher starts it).
pub(super) fn as_module() -> Option<ExitCode> {
    let mut args = std::env::args_os();
    let program = PathBuf::from(args.next()?);
    if program.file_name()? != crate::speechd::MODULE_PROGRAM {
        return None;
    }
    Some(crate::speechd::run(args.next().map(PathBuf::from).as_deref()))
}

fn report(outcome: Outcome, done: &str) {
    match outcome {
        Outcome::Changed => println!("{done}."),
        Outcome::Unchanged => println!("{done} (nothing to change)."),
    }
}
