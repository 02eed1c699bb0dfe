//! `herald podcast` as a real process over a directory of statements (real
//! workers, real encoders), checked with tools independent of Herald's
//! writers: symphonia decodes the MP3, `ebur128` measures its loudness, the
//! `id3` crate reads its chapters and Python's `feedparser` reads the feed.

mod common;

use common::audio::{assert_plausible, decode};
use common::variants::variant;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SHOW: &str = r#"
title = "Statements read aloud"
author = "Press & Media Office"
description = "Joint statements and speeches, read by Herald."
language = "en"
base_url = "https://podcasts.example/statements"
image = "cover.jpg"
category = "News"
subcategory = "Politics"
explicit = false
quality = "fast"
"#;
// espeak-ng (`quality = "fast"`) keeps these batches quick; the natural
// default has its own test.

fn markdown() -> String {
    let body: Vec<&str> = common::STATEMENT.split("\n\n").skip(5).collect();
    format!(
        "# Partnership with Japan\n\n## A global partnership\n\n{}\n\n{}\n\n## The war in Ukraine\n\n{}\n\n{}\n",
        body[0], body[1], body[2], body[3]
    )
}

fn html() -> String {
    let body: Vec<&str> = common::STATEMENT.split("\n\n").skip(5).take(3).collect();
    let paragraphs: String = body.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><title>Remarks</title><script>alert(1)</script></head>\
         <body><nav>Home | News</nav><main><h1>Remarks on Japan</h1>\n{paragraphs}</main></body></html>"
    )
}

/// A source directory: `n` text variants, one Markdown, one HTML statement,
/// a file of invalid UTF-8 and an empty one, and the show's file.
fn source_dir(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        std::fs::write(dir.path().join(format!("statement-{:02}.txt", i + 1)), variant(i)).unwrap();
    }
    std::fs::write(dir.path().join("briefing.md"), markdown()).unwrap();
    std::fs::write(dir.path().join("remarks.html"), html()).unwrap();
    std::fs::write(dir.path().join("broken.txt"), b"Valid start \xff\xfe then garbage").unwrap();
    std::fs::write(dir.path().join("empty.txt"), b"").unwrap();
    std::fs::write(dir.path().join("podcast.toml"), SHOW).unwrap();
    std::fs::write(dir.path().join("notes.pdf"), b"not a statement").unwrap();
    dir
}

fn podcast_command(src: &Path, out: &Path, cache: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(common::herald_binary());
    command
        .arg("podcast")
        .arg(src)
        .arg("--out")
        .arg(out)
        .args(["--workers", "2"])
        .args(extra)
        .env("HERALD_CACHE_DIR", cache)
        .env_remove("HERALD_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs the batch and returns its output and `--summary-json`.
fn podcast(src: &Path, out: &Path, cache: &Path) -> (Output, Value) {
    let summary = out.with_extension("summary.json");
    let output = podcast_command(src, out, cache, &["--summary-json", summary.to_str().unwrap()]).output().unwrap();
    let json = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    (output, json)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file under `dir` with its modification time.
fn mtimes(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(mtimes(&path));
        } else {
            out.insert(path.clone(), std::fs::metadata(&path).unwrap().modified().unwrap());
        }
    }
    out
}

const SLUGS: [&str; 4] = ["statement-01", "statement-02", "briefing", "remarks"];

#[test]
fn a_batch_makes_episodes_and_a_feed_and_names_the_bad_files() {
    let (src, work) = (source_dir(2), tempfile::tempdir().unwrap());
    let (out, cache) = (work.path().join("out"), work.path().join("cache"));
    let (output, summary) = podcast(src.path(), &out, &cache);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "some statements failed: {log}");
    assert!(log.contains("broken.txt") && log.contains("UTF-8"), "{log}");
    assert!(log.contains("empty.txt") && log.contains("empty"), "{log}");
    assert!(!log.contains("notes.pdf"), "only statements are read: {log}");
    assert_eq!((summary["total"].as_u64(), summary["made"].as_u64()), (Some(6), Some(4)), "{summary}");
    let failed: Vec<&str> = summary["failed"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(failed, ["broken.txt", "empty.txt"]);
    assert!(summary["synthesized"].as_u64().unwrap() > 0, "{summary}");

    for slug in SLUGS {
        let chapters = check_episode(&out, slug);
        match slug {
            "briefing" => {
                assert_eq!(chapters, ["Partnership with Japan", "A global partnership", "The war in Ukraine"])
            }
            "remarks" => assert_eq!(chapters[0], "Remarks on Japan"),
            "statement-02" => assert_eq!(chapters[0], "Joint statement, part 2"),
            _ => {}
        }
    }
    check_feed(&out);
    let names: Vec<String> = std::fs::read_dir(out.join("episodes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), SLUGS.len() * 5, "five files per episode, nothing else: {names:?}");
}

/// Checks one episode's files; returns its chapter titles.
fn check_episode(out: &Path, slug: &str) -> Vec<String> {
    let file = |extension: &str| out.join("episodes").join(format!("{slug}.{extension}"));
    let chapters: Value = serde_json::from_slice(&std::fs::read(file("chapters.json")).unwrap()).unwrap();
    assert_eq!(chapters["version"], "1.2.0");
    let chapters = chapters["chapters"].as_array().unwrap().clone();
    let duration = chapters.last().unwrap()["endTime"].as_f64().unwrap();

    let mp3 = std::fs::read(file("mp3")).unwrap();
    let decoded = decode(&mp3, "mp3");
    assert_plausible(&decoded, 44100, duration, slug);
    let loudness = measure(&decoded.samples, decoded.rate);
    assert!((loudness.0 + 16.0).abs() <= 1.0, "{slug}: {:.2} LUFS, want -16 ± 1", loudness.0);
    assert!(loudness.1 <= -1.0, "{slug}: true peak {:.2} dBTP over -1", loudness.1);

    let tag = id3::Tag::read_from_path(file("mp3")).unwrap();
    use id3::TagLike;
    assert_eq!(tag.artist(), Some("Press & Media Office"), "{slug}");
    assert_eq!(tag.album(), Some("Statements read aloud"), "{slug}");
    assert!(tag.title().is_some_and(|t| !t.is_empty()) && tag.date_recorded().is_some(), "{slug}");
    assert!(tag.comments().next().is_some_and(|c| !c.text.is_empty()), "{slug}");
    let read: Vec<(u32, String)> = tag
        .chapters()
        .map(|c| (c.start_time, c.frames.iter().find_map(|f| f.content().text()).unwrap_or("").to_string()))
        .collect();
    let expected: Vec<(u32, String)> = chapters
        .iter()
        .map(|c| ((c["startTime"].as_f64().unwrap() * 1000.0).round() as u32, c["title"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(read, expected, "{slug}: ID3 chapters match chapters.json");
    assert!(read.windows(2).all(|w| w[0].0 < w[1].0), "{slug}: chapters in order");
    let toc = tag.tables_of_contents().next().expect("a CTOC");
    assert_eq!(toc.elements.len(), read.len());

    let vtt = std::fs::read_to_string(file("vtt")).unwrap();
    assert!(vtt.starts_with("WEBVTT\n") && vtt.contains(" --> "), "{slug}");
    let srt = std::fs::read_to_string(file("srt")).unwrap();
    assert!(srt.starts_with("1\n00:00:00,") && srt.contains(" --> "), "{slug}");
    let transcript: Value = serde_json::from_slice(&std::fs::read(file("transcript.json")).unwrap()).unwrap();
    let segments = transcript["segments"].as_array().unwrap();
    assert!(segments.len() > 3 && segments.iter().all(|s| s["body"].as_str().is_some_and(|b| !b.is_empty())));
    assert!(segments.last().unwrap()["endTime"].as_f64().unwrap() <= duration + 0.001);
    chapters.iter().map(|c| c["title"].as_str().unwrap().to_string()).collect()
}

/// (integrated loudness in LUFS, true peak in dBTP), measured by `ebur128`.
fn measure(samples: &[i16], rate: u32) -> (f64, f64) {
    let mut meter = ebur128::EbuR128::new(1, rate, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK).unwrap();
    meter.add_frames_i16(samples).unwrap();
    (meter.loudness_global().unwrap(), 20.0 * meter.true_peak(0).unwrap().log10())
}

/// Reads the feed with feedparser (and the `podcast:` elements it does not
/// keep whole with ElementTree) and checks every required field.
fn check_feed(out: &Path) {
    let output =
        Command::new(common::test_python()).arg("-c").arg(FEED_SCRIPT).arg(out.join("feed.xml")).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let feed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let channel = &feed["channel"];
    assert_eq!(feed["bozo"], false, "well-formed: {feed}");
    assert_eq!(channel["title"], "Statements read aloud");
    assert_eq!(channel["link"], "https://podcasts.example/statements/");
    assert_eq!(channel["description"], "Joint statements and speeches, read by Herald.");
    assert_eq!(channel["language"], "en");
    assert_eq!(channel["author"], "Press & Media Office");
    assert_eq!(channel["image"], "https://podcasts.example/statements/cover.jpg");
    assert_eq!(channel["categories"], serde_json::json!(["News", "Politics"]));
    assert_eq!(channel["explicit"], "false");
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), SLUGS.len(), "{feed}");
    let mut guids = std::collections::HashSet::new();
    for item in items {
        assert!(item["title"].as_str().is_some_and(|t| !t.is_empty()), "{item}");
        assert!(guids.insert(item["guid"].as_str().unwrap().to_string()), "unique guids: {item}");
        assert!(item["published"].as_str().is_some_and(|p| p.ends_with("GMT")), "{item}");
        let url = item["enclosure"]["url"].as_str().unwrap();
        let slug = url.rsplit('/').next().unwrap().trim_end_matches(".mp3");
        assert_eq!(url, format!("https://podcasts.example/statements/episodes/{slug}.mp3"));
        assert_eq!(item["enclosure"]["type"], "audio/mpeg");
        let size = std::fs::metadata(out.join("episodes").join(format!("{slug}.mp3"))).unwrap().len();
        assert_eq!(item["enclosure"]["length"], size.to_string(), "{slug}: enclosure length is the file size");
        assert!(item["duration"].as_str().is_some_and(|d| d.len() == 8 && d.starts_with("00:")), "{item}");
        let transcripts: Vec<&str> =
            item["transcripts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert!(transcripts.contains(&"text/vtt") && transcripts.contains(&"application/json"), "{item}");
        assert_eq!(item["chapters"]["type"], "application/json+chapters");
        assert!(item["chapters"]["url"].as_str().unwrap().ends_with(&format!("episodes/{slug}.chapters.json")));
    }
}

const FEED_SCRIPT: &str = r#"
import json, sys, feedparser
import xml.etree.ElementTree as ET
path = sys.argv[1]
d = feedparser.parse(path)
f = d.feed
P = "{https://podcastindex.org/namespace/1.0}"
I = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
root = ET.parse(path).getroot()
raw_items = root.find("channel").findall("item")
items = []
for e, raw in zip(d.entries, raw_items):
    enc = e.get("enclosures", [{}])[0]
    items.append({
        "title": e.get("title"), "guid": e.get("id"), "published": e.get("published"),
        "enclosure": {"url": enc.get("href"), "length": enc.get("length"), "type": enc.get("type")},
        "duration": e.get("itunes_duration"),
        "transcripts": [t.get("type") for t in raw.findall(P + "transcript")] if e.get("podcast_transcript") else [],
        "chapters": e.get("podcast_chapters"),
    })
json.dump({
    "bozo": bool(d.bozo),
    "channel": {
        "title": f.get("title"), "link": f.get("link"), "description": f.get("subtitle"),
        "language": f.get("language"), "author": f.get("author"),
        "image": (f.get("image") or {}).get("href"),
        "categories": [t["term"] for t in f.get("tags", [])],
        "explicit": root.find("channel").findtext(I + "explicit") if "itunes_explicit" in f else None,
    },
    "items": items,
}, sys.stdout)
"#;

#[test]
fn a_rerun_does_nothing_and_a_changed_statement_redoes_only_its_episode() {
    let (src, work) = (source_dir(2), tempfile::tempdir().unwrap());
    let (out, cache) = (work.path().join("out"), work.path().join("cache"));
    let (first, summary) = podcast(src.path(), &out, &cache);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert_eq!(summary["made"], 4);
    // Every output dated long ago: any file written again would be dated now.
    let past = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let before: BTreeMap<PathBuf, SystemTime> = mtimes(&out)
        .into_keys()
        .map(|path| {
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(past).unwrap();
            (path, past)
        })
        .collect();

    let (again, summary) = podcast(src.path(), &out, &cache);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert_eq!((summary["made"].as_u64(), summary["unchanged"].as_u64()), (Some(0), Some(4)), "{summary}");
    assert_eq!((summary["synthesized"].as_u64(), summary["files_written"].as_u64()), (Some(0), Some(0)), "{summary}");
    assert!(stderr(&again).contains("0 sentences synthesized"), "{}", stderr(&again));
    assert_eq!(mtimes(&out), before, "nothing rewritten");

    // One statement changes: only its episode (and the feed) is redone.
    let changed = format!("{}\n\nOne more sentence closes this version.", variant(1));
    std::fs::write(src.path().join("statement-02.txt"), changed).unwrap();
    let (third, summary) = podcast(src.path(), &out, &cache);
    assert_eq!(third.status.code(), Some(1), "{}", stderr(&third));
    assert_eq!((summary["made"].as_u64(), summary["unchanged"].as_u64()), (Some(1), Some(3)), "{summary}");
    assert_eq!(summary["synthesized"], 1, "only the new sentence reaches the engine: {summary}");
    let after = mtimes(&out);
    let rewritten: Vec<String> = after
        .iter()
        .filter(|(path, time)| before.get(*path) != Some(time))
        .map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut expected: Vec<String> =
        ["chapters.json", "mp3", "srt", "transcript.json", "vtt"].iter().map(|e| format!("statement-02.{e}")).collect();
    expected.extend([".herald-podcast.json".to_string(), "feed.xml".to_string()]);
    let mut rewritten = rewritten;
    rewritten.sort();
    expected.sort();
    assert_eq!(rewritten, expected);
}

#[test]
fn a_killed_batch_completes_on_rerun_without_partial_files() {
    let (src, work) = (source_dir(6), tempfile::tempdir().unwrap());
    let (out, cache) = (work.path().join("out"), work.path().join("cache"));
    let mut child = podcast_command(src.path(), &out, &cache, &["--jobs", "1"]).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let first_mp3 = || {
        std::fs::read_dir(out.join("episodes"))
            .map(|dir| dir.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().ends_with(".mp3")))
            .unwrap_or(false)
    };
    while !first_mp3() {
        assert!(Instant::now() < deadline, "no episode appeared");
        assert!(child.try_wait().unwrap().is_none(), "the batch ended before it could be killed");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = mtimes(&out);
    assert!(!out.join("feed.xml").exists(), "killed before the feed was written");
    // Every episode file there is whole.
    for path in partial.keys().filter(|p| p.extension().is_some_and(|e| e == "mp3")) {
        let bytes = std::fs::read(path).unwrap();
        assert!(bytes.starts_with(b"ID3"), "{}", path.display());
        assert_eq!(decode(&bytes, "mp3").rate, 44100);
    }

    let (rerun, summary) = podcast(src.path(), &out, &cache);
    assert_eq!(rerun.status.code(), Some(1), "only the bad files fail: {}", stderr(&rerun));
    assert_eq!(summary["failed"].as_array().unwrap().len(), 2, "{summary}");
    assert_eq!(summary["made"].as_u64().unwrap() + summary["unchanged"].as_u64().unwrap(), 8, "{summary}");
    let files = mtimes(&out);
    let stray: Vec<_> =
        files.keys().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".herald-tmp")).collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
    assert_eq!(files.keys().filter(|p| p.extension().is_some_and(|e| e == "mp3")).count(), 8);
    let feed = std::fs::read_to_string(out.join("feed.xml")).unwrap();
    assert_eq!(feed.matches("<item>").count(), 8);
}

#[test]
fn a_show_is_read_by_the_neural_voice_by_default() {
    let (src, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(src.path().join("podcast.toml"), SHOW.replace("quality = \"fast\"\n", "")).unwrap();
    let statement = "# A short update\n\nThe library opens at nine in the morning on weekdays.\n\n\
                     ## Weekends\n\nOn Saturdays it closes at noon. It stays closed on Sundays.\n";
    std::fs::write(src.path().join("update.md"), statement).unwrap();
    let (out, cache) = (work.path().join("out"), work.path().join("cache"));
    let (output, summary) = podcast(src.path(), &out, &cache);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(summary["made"].as_u64(), Some(1), "{summary}");
    assert_eq!(check_episode(&out, "update"), ["A short update", "Weekends"]);
    let transcript: Value =
        serde_json::from_slice(&std::fs::read(out.join("episodes/update.transcript.json")).unwrap()).unwrap();
    let speakers: Vec<&str> =
        transcript["segments"].as_array().unwrap().iter().map(|s| s["speaker"].as_str().unwrap()).collect();
    assert!(!speakers.is_empty());
    assert!(speakers.iter().all(|s| *s == "piper:en_us-joe-medium"), "{speakers:?}");
}

/// The feed's channel and first enclosure URL, as feedparser reads them.
fn parsed_feed(out: &Path) -> Value {
    let output =
        Command::new(common::test_python()).arg("-c").arg(FEED_SCRIPT).arg(out.join("feed.xml")).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_bare_folder_of_statements_just_works() {
    let root = tempfile::tempdir().unwrap();
    let src = root.path().join("Déclarations du ministère");
    std::fs::create_dir(&src).unwrap();
    let french = "Le ministre a présenté aujourd'hui le plan de rénovation des écoles. \
                  Les travaux commenceront au printemps et dureront deux ans.\n\n\
                  Les familles seront informées de chaque étape par les mairies.";
    std::fs::write(src.join("annonce.txt"), french).unwrap();
    let (out, cache) = (root.path().join("out"), root.path().join("cache"));
    let output = podcast_command(&src, &out, &cache, &[]).env("HERALD_NEURAL_ENABLED", "false").output().unwrap();
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("title, author, description, language, category from defaults"), "{log}");
    assert_eq!(log.matches("podcast apps need absolute URLs").count(), 1, "one warning: {log}");
    assert!(log.contains("Apple Podcasts will refuse it"), "{log}");
    let feed = parsed_feed(&out);
    assert_eq!(feed["bozo"], false, "{feed}");
    assert_eq!(feed["channel"]["title"], "Déclarations du ministère");
    assert_eq!(feed["channel"]["language"], "fr", "detected: {feed}");
    assert_eq!(feed["channel"]["explicit"], "false");
    assert_eq!(feed["channel"]["image"], Value::Null);
    assert_eq!(feed["items"][0]["enclosure"]["url"], "episodes/annonce.mp3", "relative: {feed}");
    assert!(out.join("episodes/annonce.mp3").is_file());
}

#[test]
fn init_writes_a_commented_show_and_errors_name_every_field() {
    let root = tempfile::tempdir().unwrap();
    let src = root.path().join("statements");
    let init = Command::new(common::herald_binary()).args(["podcast", "init"]).arg(&src).output().unwrap();
    assert!(init.status.success(), "{}", stderr(&init));
    let written = std::fs::read_to_string(src.join("podcast.toml")).unwrap();
    assert!(written.contains("title = \"statements\"") && written.contains("# base_url ="), "{written}");
    let again = Command::new(common::herald_binary()).args(["podcast", "init"]).arg(&src).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "never overwrites: {}", stderr(&again));

    std::fs::write(src.join("a.txt"), "A statement to read.").unwrap();
    std::fs::write(
        src.join("podcast.toml"),
        "title = \"\"\nlanguage = \"not a tag!\"\nbase_url = \"podcasts/\"\nlink = \"example.org\"\n",
    )
    .unwrap();
    let (out, cache) = (root.path().join("out"), root.path().join("cache"));
    let output = podcast_command(&src, &out, &cache, &[]).env("HERALD_NEURAL_ENABLED", "false").output().unwrap();
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{log}");
    for field in ["`language`", "`base_url`", "`link`"] {
        assert!(log.contains(field), "{field} named: {log}");
    }
    assert_eq!(log.lines().count(), 1, "one message: {log}");
}
