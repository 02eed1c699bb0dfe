//! The natural Japanese voice (Kokoro-82M, from the PyPI packages that
//! `scripts/setup.sh` installs) on a real server: listed for `ja`, chosen
//! for natural Japanese, speaking kana as speech of a plausible length, at
//! the rate asked.

mod common;

use common::audio::{decode, rms};
use common::server::TestServer;
use serde_json::{json, Value};

const VOICE: &str = "kokoro:jf_alpha";

/// Kana sentences and how many morae each has (a small kana, like `ょ`,
/// joins the kana before it into one mora; `ー`, `っ` and `ん` are morae).
const SHORT: (&str, usize) = ("にほん の へいわ。", 7);
const LONG: (&str, usize) = ("きょう は ちいき の へいわ と あんてい に ついて、 ながく はなしあいました。", 30);

async fn speak(server: &TestServer, body: Value) -> (String, common::audio::Decoded) {
    let response = server.client.post(server.url("/v1/speech")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200, "{body}");
    let voice = response.headers()["x-herald-voice"].to_str().unwrap().to_string();
    (voice, decode(&response.bytes().await.unwrap(), "wav"))
}

/// RMS (of full scale) above which a 20 ms frame is speech, not a pause.
const LOUD: f64 = 0.01;

/// Seconds of speech: 20 ms frames louder than [`LOUD`].
fn voiced_seconds(audio: &common::audio::Decoded) -> f64 {
    let frame = audio.rate as usize / 50;
    audio.samples.chunks(frame).filter(|f| rms(f) > LOUD).count() as f64 / 50.0
}

/// Zero crossings per sample over the loud frames: speech sits well below
/// the 0.5 of white noise.
fn zero_crossing_rate(audio: &common::audio::Decoded) -> f64 {
    let frame = audio.rate as usize / 50;
    let loud: Vec<&[i16]> = audio.samples.chunks(frame).filter(|f| rms(f) > LOUD).collect();
    let crossings: usize = loud.iter().map(|f| f.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count()).sum();
    crossings as f64 / loud.iter().map(|f| f.len()).sum::<usize>().max(1) as f64
}

#[tokio::test]
async fn natural_japanese_is_spoken_by_kokoro_from_kana() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_kokoro(dir.path().to_path_buf()).await;

    let voices = server.get_json("/v1/voices?lang=ja").await;
    let first = &voices["voices"][0];
    assert_eq!((first["id"].as_str(), first["quality"].as_str()), (Some(VOICE), Some("natural")), "{voices}");
    let kokoro = voices["engines"].as_array().unwrap().iter().find(|e| e["id"] == "kokoro").expect("kokoro listed");
    assert_eq!(kokoro["available"], true, "{kokoro}");

    let (voice, short) = speak(&server, json!({ "text": SHORT.0, "quality": "natural" })).await;
    assert_eq!(voice, VOICE, "natural Japanese (language detected) is spoken by Kokoro");
    let (voice, long) = speak(&server, json!({ "text": LONG.0, "lang": "ja", "quality": "natural" })).await;
    assert_eq!(voice, VOICE);
    for ((text, morae), audio) in [(SHORT, &short), (LONG, &long)] {
        let speech = voiced_seconds(audio);
        let per_mora = speech / morae as f64;
        eprintln!("{text}: {:.2} s, {speech:.2} s voiced, {per_mora:.3} s per mora", audio.seconds());
        assert!((0.05..0.25).contains(&per_mora), "{per_mora:.3} s of speech per mora for {text}");
        let crossings = zero_crossing_rate(audio);
        eprintln!("{crossings:.3} zero crossings per sample");
        assert!(crossings < 0.25, "{crossings:.3} zero crossings per sample: noise, not speech");
    }
    let ratio = voiced_seconds(&long) / voiced_seconds(&short);
    assert!(ratio > 2.5, "{} times the morae take {ratio:.2} times the speech", LONG.1 as f64 / SHORT.1 as f64);

    let (_, fast) = speak(&server, json!({ "text": LONG.0, "voice": VOICE, "rate": 300 })).await;
    let (_, slow) = speak(&server, json!({ "text": LONG.0, "voice": VOICE, "rate": 120 })).await;
    let ratio = slow.seconds() / fast.seconds();
    eprintln!("120 wpm: {:.2} s, 300 wpm: {:.2} s", slow.seconds(), fast.seconds());
    assert!(ratio > 1.7, "120 wpm lasts {ratio:.2} times 300 wpm");

    // Documents are for listening: read by the natural voice unless asked fast.
    let text = format!("{}\n\n{}", SHORT.0, LONG.0);
    let listening = server.post_json("/v1/documents", &json!({ "text": text })).await;
    assert_eq!(listening["paragraphs"][0]["voice"], VOICE, "{listening}");
    let quick = server.post_json("/v1/documents", &json!({ "text": text, "quality": "fast" })).await;
    assert_eq!(quick["paragraphs"][0]["voice"], "espeak:ja", "{quick}");
    let id = listening["id"].as_str().unwrap();
    let audio = server.client.get(server.url(&format!("/v1/documents/{id}/audio.wav"))).send().await.unwrap();
    assert_eq!(audio.status(), 200);
    let audio = decode(&audio.bytes().await.unwrap(), "wav");
    assert!(voiced_seconds(&audio) > (SHORT.1 + LONG.1) as f64 * 0.05, "{:.2} s", audio.seconds());
}
