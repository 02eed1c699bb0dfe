//! `herald speak` through a real, headless Speech Dispatcher: its own
//! daemon per test on a private socket, with a temporary HOME whose ALSA
//! default device discards the audio (a `file` tap over the `null` sink, so
//! the amount of audio can be measured). Paragraph events arrive in order,
//! the voice follows each paragraph's language, the rate is honoured, and
//! SIGINT stops the speech.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const MODULE: &str = "/usr/lib/speech-dispatcher-modules/sd_espeak-ng";

/// A Speech Dispatcher daemon, stopped when dropped.
struct Dispatcher {
    dir: tempfile::TempDir,
    pid: i32,
}

impl Dispatcher {
    fn start() -> Self {
        assert!(Path::new(MODULE).exists(), "{MODULE} is missing: run ./scripts/setup.sh --test");
        let dir = tempfile::tempdir().unwrap();
        let (home, conf) = (dir.path().join("home"), dir.path().join("conf"));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&conf).unwrap();
        let audio = dir.path().join("audio.raw");
        std::fs::write(
            home.join(".asoundrc"),
            format!("pcm.!default {{ type file; slave.pcm \"null\"; file \"{}\"; format \"raw\" }}\n", audio.display()),
        )
        .unwrap();
        std::fs::write(
            conf.join("speechd.conf"),
            "AudioOutputMethod \"alsa\"\nDefaultModule espeak-ng\nAddModule \"espeak-ng\" \"sd_espeak-ng\" \"espeak-ng.conf\"\n",
        )
        .unwrap();
        let (socket, pid_file) = (dir.path().join("speechd.sock"), dir.path().join("speechd.pid"));
        let status = Command::new("speech-dispatcher")
            .args(["-d", "-t", "0", "-C"])
            .arg(&conf)
            .args(["-c", "unix_socket", "-S"])
            .arg(&socket)
            .arg("-P")
            .arg(&pid_file)
            .env("HOME", &home)
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
                    && Dispatcher::running(*pid)
            });
            if let (Some(pid), true) = (daemon, socket.exists()) {
                break pid;
            }
            assert!(Instant::now() < deadline, "speech-dispatcher did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        Self { dir, pid }
    }

    /// `herald speak --events` against this daemon.
    fn herald(&self, args: &[&str], text: &str) -> Command {
        let input = self.dir.path().join(format!("input-{}.txt", blake3::hash(text.as_bytes()).to_hex()));
        std::fs::write(&input, text).unwrap();
        let mut command = Command::new(common::herald_binary());
        command
            .args(["speak", "--events"])
            .args(args)
            .arg(&input)
            .env("HOME", self.dir.path().join("home"))
            .env("SPEECHD_ADDRESS", format!("unix_socket:{}", self.dir.path().join("speechd.sock").display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Whether `pid` is a live process (not gone, not a zombie).
    fn running(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    }

    fn audio_bytes(&self) -> u64 {
        std::fs::metadata(self.audio()).map_or(0, |m| m.len())
    }

    fn audio(&self) -> PathBuf {
        self.dir.path().join("audio.raw")
    }
}

impl Drop for Dispatcher {
    /// Stops the daemon this test started (by its own pid): SIGTERM, and
    /// SIGKILL if it is still running two seconds later.
    fn drop(&mut self) {
        let running = || Dispatcher::running(self.pid);
        // SAFETY: kill only sends a signal to the given pid.
        unsafe { libc::kill(self.pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(2);
        while running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if running() {
            // SAFETY: as above.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}

fn lines(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).collect()
}

#[test]
fn paragraphs_begin_and_end_in_order_each_in_a_voice_of_its_language() {
    let speechd = Dispatcher::start();
    let text = "The harbour ferry resumed service on Monday morning after four months in dry dock.\n\n\
                Les visiteurs francophones trouveront désormais les horaires en français sur le quai.\n\n\
                The council said that extra crossings would run on weekends until the end of summer.";
    let events = lines(&speechd.herald(&[], text).output().unwrap());
    let voices: Vec<&String> = events.iter().filter(|e| e.starts_with("voice ")).collect();
    assert_eq!(voices.len(), 3, "the voice changes with each paragraph's language: {events:?}");
    let langs: Vec<&str> = voices.iter().map(|v| v.split(' ').nth(2).unwrap()).collect();
    assert!(langs[0].starts_with("en") && langs[1].starts_with("fr") && langs[2].starts_with("en"), "{events:?}");
    let spoken: Vec<&str> = events.iter().filter(|e| !e.starts_with("voice ")).map(String::as_str).collect();
    assert_eq!(spoken, ["begin 0", "end 0", "begin 1", "end 1", "begin 2", "end 2"]);
    assert!(speechd.audio_bytes() > 0, "audio reached the (discarding) sound device");
}

#[test]
fn the_rate_is_honoured() {
    let text = "A sentence spoken slowly first and quickly after, to compare how much audio each takes.";
    let audio_at = |rate: &str| {
        let speechd = Dispatcher::start();
        lines(&speechd.herald(&["--rate", rate], text).output().unwrap());
        // The daemon may still be flushing its device: wait for the size to settle.
        let mut last = 0;
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(100));
            let now = speechd.audio_bytes();
            if now == last && now > 0 {
                break;
            }
            last = now;
        }
        last
    };
    let (slow, fast) = (audio_at("100"), audio_at("350"));
    assert!(slow > 0 && fast > 0);
    assert!(slow as f64 > 1.8 * fast as f64, "100 wpm: {slow} bytes, 350 wpm: {fast} bytes");
}

#[test]
fn sigint_stops_the_speech() {
    let speechd = Dispatcher::start();
    let text: Vec<String> = (0..200)
        .map(|i| format!("Paragraph {i} of a long statement, read aloud so that there is time to stop it."))
        .collect();
    let mut child = speechd.herald(&[], &text.join("\n\n")).spawn().unwrap();
    let mut events = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in events.by_ref() {
        if line.unwrap() == "begin 2" {
            break;
        }
    }
    // SAFETY: signals the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let stopped_at = Instant::now();
    let rest: Vec<String> = events.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert!(stopped_at.elapsed() < Duration::from_secs(3), "took {:?} to stop", stopped_at.elapsed());
    assert_eq!(status.code(), Some(130));
    // Paragraphs already handed to the sound device may still end; the
    // rest (most of the 200) are cancelled.
    let ended = rest.iter().filter(|e| e.starts_with("end ")).count();
    assert!(ended < 20, "spoke on after the signal: {rest:?}");
    assert!(rest.iter().any(|e| e == "stopped 199"), "the rest was cancelled: {rest:?}");
    let after = speechd.audio_bytes();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(speechd.audio_bytes(), after, "the daemon stopped speaking too");
}
