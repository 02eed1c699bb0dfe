//! The Wyoming server of `herald serve --wyoming-addr`, driven by the
//! reference client library (`wyoming`, as Home Assistant uses it) from
//! `tests/wyoming/client.py`, and its graceful shutdown.

mod common;

use common::process::HeraldProcess;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

fn start(cache: &std::path::Path) -> (HeraldProcess, String) {
    let server =
        HeraldProcess::start_with(cache, 2, &["--wyoming-addr", "127.0.0.1:0"], &[("HERALD_NEURAL_ENABLED", "false")]);
    let wyoming = server.wyoming.clone().expect("herald logs its Wyoming address");
    (server, wyoming)
}

fn count(types: &Value, kind: &str) -> usize {
    types.as_array().unwrap().iter().filter(|t| *t == kind).count()
}

#[test]
fn the_reference_client_describes_speaks_and_streams() {
    let cache = tempfile::tempdir().unwrap();
    let (_server, wyoming) = start(cache.path());
    let (host, port) = wyoming.rsplit_once(':').unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/wyoming/client.py");
    let output = Command::new(common::test_python()).arg(script).args([host, port]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();

    // describe: one streaming TTS program with voices for many languages.
    let describe = &report["describe"];
    assert_eq!((describe["program"].as_str(), describe["streaming"].as_bool()), (Some("herald"), Some(true)));
    let voices = describe["voices"].as_object().unwrap();
    for lang in ["en", "fr", "de"] {
        let speaks = |languages: &Value| {
            languages.as_array().unwrap().iter().any(|l| l.as_str().unwrap().split('-').next() == Some(lang))
        };
        assert!(voices.values().any(speaks), "no voice for {lang}: {voices:?}");
    }

    // synthesize: audio-start, 16-bit mono chunks, audio-stop.
    for name in ["french", "named"] {
        let seen = &report[name];
        let types = seen["types"].as_array().unwrap();
        assert_eq!(types.first().unwrap(), "audio-start", "{name}: {seen}");
        assert_eq!(types.last().unwrap(), "audio-stop", "{name}: {seen}");
        assert!(seen["chunks"].as_u64().unwrap() > 0 && seen["bytes"].as_u64().unwrap() > 10_000, "{name}: {seen}");
        let formats = seen["formats"].as_array().unwrap();
        assert!(formats.iter().all(|f| f[1] == 2 && f[2] == 1 && f[0] == formats[0][0]), "{name}: {formats:?}");
    }

    // Streaming: the first sentence is heard before the client says stop;
    // one audio-start … audio-stop, then synthesize-stopped.
    let stream = &report["stream"];
    let (before, after) = (&stream["before_stop"], &stream["after_stop"]);
    assert!(before["bytes"].as_u64().unwrap() > 0, "{stream}");
    assert_eq!(count(&before["types"], "audio-start") + count(&after["types"], "audio-start"), 1, "{stream}");
    assert_eq!(count(&after["types"], "audio-stop"), 1, "{stream}");
    let types = after["types"].as_array().unwrap();
    assert_eq!(&types[types.len() - 2..], ["audio-stop", "synthesize-stopped"], "{stream}");
    assert!(after["bytes"].as_u64().unwrap() > 10_000, "the second sentence was not spoken: {stream}");

    // Malformed, unknown, oversized and out-of-place events get error
    // events, and the connection goes on.
    let malformed = &report["malformed"];
    let errors: Vec<&str> = malformed["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(errors, ["malformed-event", "unknown-event", "too-large", "not-streaming"]);
    assert!(malformed["voices_after"].as_u64().unwrap() > 0);
    assert_eq!(report["alive_after_abandon"], true);
}

#[test]
fn sigterm_finishes_the_synthesis_in_progress_then_exits() {
    let cache = tempfile::tempdir().unwrap();
    let (mut server, wyoming) = start(cache.path());
    let idle = TcpStream::connect(&wyoming).unwrap();
    let mut busy = TcpStream::connect(&wyoming).unwrap();
    // A stall fails the test rather than hanging it.
    busy.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let text: String = (0..40).map(|n| format!("This is sentence number {n} of the statement. ")).collect();
    let event = serde_json::json!({ "type": "synthesize", "data": { "text": text } });
    busy.write_all(format!("{event}\n").as_bytes()).unwrap();
    let mut received = vec![0; 64 * 1024];
    let first = busy.read(&mut received).expect("the synthesis begins");
    received.truncate(first);
    // SAFETY: kill(2) takes plain integers; a stale pid only gets an error back.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };

    // The synthesis in progress still completes...
    busy.read_to_end(&mut received).expect("the synthesis in progress ends after SIGTERM");
    let tail = String::from_utf8_lossy(&received[received.len().saturating_sub(200)..]).into_owned();
    assert!(tail.contains("\"audio-stop\""), "the synthesis was cut by the shutdown: …{tail}");
    assert!(received.len() > 40 * 22050, "{} bytes of audio for 40 sentences", received.len());
    // ...an idle connection is closed, and the process exits cleanly.
    assert_eq!((&idle).read(&mut [0; 16]).expect("the idle connection is closed"), 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "herald did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    assert!(TcpStream::connect(&wyoming).is_err());
}
