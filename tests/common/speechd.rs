//! A real, headless Speech Dispatcher for a test: its own daemon on a
//! private socket and config directory, with a temporary HOME whose ALSA
//! default device writes the audio to a file tap over the `null` sink (so
//! the amount of audio can be measured; the tap is not paced, it grows as
//! fast as audio arrives, and every program that opens the device appends
//! to it). Stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const ESPEAK_MODULE: &str = "/usr/lib/speech-dispatcher-modules/sd_espeak-ng";

pub(crate) struct Dispatcher {
    pub dir: tempfile::TempDir,
    pid: i32,
}

impl Dispatcher {
    /// A daemon with espeak-ng's module only.
    pub(crate) fn start() -> Self {
        Self::start_with(|_| {}, &[])
    }

    /// A daemon with Herald's module, added by `herald speechd install`
    /// (with a fresh cache and `extra_settings`, TOML lines, in the
    /// module's settings), beside espeak-ng's. The module logs what it
    /// speaks to `logs/herald.log`.
    pub(crate) fn with_herald(extra_settings: &str) -> Self {
        Self::with_herald_then(extra_settings, |_| {}, &[])
    }

    /// As [`Self::with_herald`], then `more` prepares the directory further
    /// (more modules in `conf/speechd.conf`, say) before the daemon starts
    /// with `env` added to its environment.
    pub(crate) fn with_herald_then(extra_settings: &str, more: impl FnOnce(&Path), env: &[(&str, &str)]) -> Self {
        let extra = extra_settings.to_string();
        Self::start_with(
            move |dir| {
                let conf = dir.join("conf");
                let output = Command::new(super::herald_binary())
                    .args(["speechd", "install", "--config-dir"])
                    .arg(&conf)
                    .arg("--cache-dir")
                    .arg(dir.join("cache"))
                    .current_dir(env!("CARGO_MANIFEST_DIR"))
                    .env("HOME", dir.join("home"))
                    .output()
                    .unwrap();
                assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
                if !extra.is_empty() {
                    let settings = conf.join("modules/herald.conf");
                    let text = std::fs::read_to_string(&settings).unwrap();
                    // Top-level keys must come before the first table.
                    std::fs::write(&settings, format!("{extra}\n{text}")).unwrap();
                }
                more(dir);
            },
            &[&[("HERALD_LOG", "herald::speechd=debug")], env].concat(),
        )
    }

    fn start_with(prepare: impl FnOnce(&Path), env: &[(&str, &str)]) -> Self {
        assert!(Path::new(ESPEAK_MODULE).exists(), "{ESPEAK_MODULE} is missing: run ./scripts/setup.sh --test");
        let dir = tempfile::tempdir().unwrap();
        let (home, conf, logs) = (dir.path().join("home"), dir.path().join("conf"), dir.path().join("logs"));
        for d in [&home, &conf, &logs] {
            std::fs::create_dir_all(d).unwrap();
        }
        let audio = dir.path().join("audio.raw");
        std::fs::write(
            home.join(".asoundrc"),
            format!(
                "pcm.!default {{ type file; slave.pcm \"null\"; file \"|exec cat >> {}\"; format \"raw\" }}\n",
                audio.display()
            ),
        )
        .unwrap();
        std::fs::write(
            conf.join("speechd.conf"),
            "AudioOutputMethod \"alsa\"\nDefaultModule espeak-ng\nAddModule \"espeak-ng\" \"sd_espeak-ng\" \"espeak-ng.conf\"\n",
        )
        .unwrap();
        prepare(dir.path());
        let (socket, pid_file) = (dir.path().join("speechd.sock"), dir.path().join("speechd.pid"));
        let status = Command::new("speech-dispatcher")
            .args(["-d", "-t", "0", "-C"])
            .arg(&conf)
            .args(["-c", "unix_socket", "-S"])
            .arg(&socket)
            .arg("-P")
            .arg(&pid_file)
            .arg("-L")
            .arg(&logs)
            .env("HOME", &home)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("speech-dispatcher runs: run ./scripts/setup.sh --test");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid = loop {
            // The daemon's own pid: the file may first name the process that forked it.
            let pid: Option<i32> = std::fs::read_to_string(&pid_file).ok().and_then(|p| p.trim().parse().ok());
            let daemon = pid.filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"speech-dispatcher"))
                    && running(*pid)
            });
            if let (Some(pid), true) = (daemon, socket.exists()) {
                break pid;
            }
            assert!(Instant::now() < deadline, "speech-dispatcher did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        Self { dir, pid }
    }

    /// `SPEECHD_ADDRESS` for clients of this daemon.
    pub(crate) fn address(&self) -> String {
        format!("unix_socket:{}", self.dir.path().join("speechd.sock").display())
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A client command with this daemon's address and HOME.
    pub(crate) fn client(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env("HOME", self.home()).env("SPEECHD_ADDRESS", self.address()).stdin(Stdio::null());
        command
    }

    pub(crate) fn audio_bytes(&self) -> u64 {
        std::fs::metadata(self.dir.path().join("audio.raw")).map_or(0, |m| m.len())
    }

    /// The tap's size once it has stopped growing (unchanged for 500 ms;
    /// the device may still be flushing when a message ends). Fails if it
    /// is still growing after 20 s.
    pub(crate) fn settled_audio_bytes(&self) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = (self.audio_bytes(), Instant::now());
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let now = self.audio_bytes();
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() >= Duration::from_millis(500) {
                return now;
            }
            assert!(Instant::now() < deadline, "the audio tap was still growing after 20 s ({now} bytes)");
        }
    }

    /// What Herald's module has logged.
    pub(crate) fn module_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("logs/herald.log")).unwrap_or_default()
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
pub(crate) fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

impl Drop for Dispatcher {
    /// Stops the daemon this test started (by its own pid): SIGTERM, and
    /// SIGKILL if it is still running two seconds later.
    fn drop(&mut self) {
        // SAFETY: kill only sends a signal to the given pid.
        unsafe { libc::kill(self.pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(2);
        while running(self.pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if running(self.pid) {
            // SAFETY: as above.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}
