//! The module's log, which Speech Dispatcher steers: it goes to standard
//! error (which the server sends to the module's log file) or, after
//! `DEBUG ON FILE`, to that file; `LOGLEVEL` (Speech Dispatcher's 0–5)
//! sets how much is written: warnings up to 3, everything Herald logs
//! from 4 (`herald=debug`). `HERALD_LOG` in the server's environment
//! (`herald::speechd=debug`) sets what is written below that.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use tracing::{Level, Metadata};
use tracing_subscriber::filter::Targets;

/// From this Speech Dispatcher level up, debug messages are written.
const DEBUG_LEVEL: u8 = 4;

/// The log's destination and level. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Logging {
    file: Arc<Mutex<Option<File>>>,
    level: Arc<AtomicU8>,
}

impl Logging {
    /// Installs the module's logger (once per process).
    pub(crate) fn install() -> Self {
        let logging = Self { file: Arc::new(Mutex::new(None)), level: Arc::new(AtomicU8::new(3)) };
        let level = Arc::clone(&logging.level);
        let base: Option<Targets> = std::env::var("HERALD_LOG").ok().and_then(|filter| filter.parse().ok());
        let wanted = move |meta: &Metadata<'_>| {
            let herald = meta.target().starts_with("herald");
            let base =
                base.as_ref().map_or(*meta.level() <= Level::WARN, |t| t.would_enable(meta.target(), meta.level()));
            base || (herald && level.load(Ordering::Relaxed) >= DEBUG_LEVEL)
        };
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        use tracing_subscriber::Layer;
        let writer = logging.clone();
        let layer = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || writer.clone());
        let _ = tracing_subscriber::registry()
            .with(layer.with_filter(tracing_subscriber::filter::filter_fn(wanted)))
            .try_init();
        logging
    }

    pub(crate) fn set_level(&self, level: u8) {
        self.level.store(level, Ordering::Relaxed);
    }

    /// Sends the log to `path` (appended to), with everything written.
    pub(crate) fn to_file(&self, path: &str) -> std::io::Result<()> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        *self.file.lock().expect("never poisoned") = Some(file);
        self.set_level(DEBUG_LEVEL);
        Ok(())
    }

    /// Back to standard error, warnings only.
    pub(crate) fn off(&self) {
        *self.file.lock().expect("never poisoned") = None;
        self.set_level(3);
    }
}

impl Write for Logging {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.file.lock().expect("never poisoned").as_mut() {
            Some(file) => file.write(buf),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.file.lock().expect("never poisoned").as_mut() {
            Some(file) => file.flush(),
            None => std::io::stderr().flush(),
        }
    }
}
