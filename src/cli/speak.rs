//! `herald speak`: a statement read aloud through the platform's speech
//! (Speech Dispatcher), paragraph by paragraph, each in a voice of its
//! detected language. `--events` prints what the platform reports, a line
//! per event (`voice N LANG NAME`, `begin N`, `end N`, `stopped N`).
//! Ctrl-C stops the speech, not just the command.

use super::{Failure, SpeakArgs};
use crate::engine::platform::{self, Paragraph, PlatformError};
use crate::pipeline::planning::Planning;
use crate::settings::Settings;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Longest a statement may take to be spoken.
const LIMIT: Duration = Duration::from_secs(3600);

/// Set by SIGINT.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

pub(super) fn speak(settings: Settings, args: &SpeakArgs) -> Result<(), Failure> {
    let (text, format) = super::input::read(&args.input)?;
    let options = args.speech.options();
    let planning = Planning::open(&settings.fast_only()).map_err(Failure::runtime)?;
    let plan = planning.plan(&text, format, &options).map_err(Failure::input)?;
    let paragraphs: Vec<Paragraph<'_>> =
        plan.paragraphs.iter().map(|p| Paragraph { text: &p.text, lang: Some(p.lang.primary()) }).collect();
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGINT, on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t) };
    let mut stdout = std::io::stdout();
    let report = |event: platform::PlatformEvent| {
        if args.events {
            // A reader that went away does not stop the speech.
            let _ = writeln!(stdout, "{event}").and_then(|()| stdout.flush());
        }
    };
    match platform::speak(&paragraphs, options.rate.wpm(), LIMIT, &STOP, report) {
        Ok(()) => Ok(()),
        Err(PlatformError::Stopped) => Err(Failure { code: 130, message: "stopped".into() }),
        Err(error) => Err(Failure::runtime(error)),
    }
}
