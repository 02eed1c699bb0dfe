//! Talking books through the door their makers use, `herald book`: a real
//! EPUB 3 that nobody on this project wrote becomes an EPUB 3 with media
//! overlays that epubcheck accepts without a finding, every sentence in
//! sync with its audio; hostile books get their problem and no output.
//! [`inputs`]: books from a statement (text, Markdown, HTML) or a folder.
//!
//! Fixtures (tests/fixtures/books/, sources in SOURCES.md):
//! - `fatbf.epub`: the DAISY Consortium's "Fundamental Accessibility Tests:
//!   Basic Functionality" (EPUB 3, a navigation document and no NCX), from
//!   the crates.io package `epub` 2.1.6, `tests/docs/fatbf.epub`.
//! - `vellmark-fr.epub` and `vellmark-bilingual.epub`: "L'Allumeuse de
//!   Réverbères de Vellmark", in French and in English beside French
//!   (EPUB 3), from the PyPI package `bilingual-epub-toolkit` 0.1.11,
//!   `examples/sample-fr.epub` and `examples/sample-bilingual.epub`.
//! - `liber-esther.epub`: Project Gutenberg's "Liber Esther" (EPUB 2, an
//!   NCX only, Latin with an English header), from the PyPI package
//!   `epubhv` 0.6.0, `tests/test_epub/Liber_Esther.epub`.
//! - `calibre-quick-start-de.epub`: calibre's German quick start (EPUB 2,
//!   an NCX only, two epubcheck errors of its own), from the Debian package
//!   `calibre` 6.13, `usr/share/calibre/quick_start/deu.epub`.

mod common;
#[path = "book/inputs.rs"]
mod inputs;
#[path = "book/spoken.rs"]
mod spoken;
#[path = "book/sync.rs"]
mod sync;

use common::process::HeraldProcess;
use id3::TagLike;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use sync::assert_in_sync;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/books").join(name)
}

/// `herald book IN --out OUT --quality fast [EXTRA…]`, with its own cache.
fn book(input: &Path, out: &Path, cache: &Path, extra: &[&std::ffi::OsStr]) -> Output {
    Command::new(common::herald_binary())
        .args(["book", "--quality", "fast", "--cache-dir"])
        .arg(cache)
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("HERALD_NEURAL_ENABLED", "false")
        .output()
        .expect("herald runs")
}

#[test]
fn a_real_epub3_becomes_a_talking_book_in_sync_that_epubcheck_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (fixture("fatbf.epub"), dir.path().join("fatbf-talking.epub"));
    let audiobook = dir.path().join("audiobook");
    let extra = [std::ffi::OsStr::new("--audiobook"), audiobook.as_os_str()];
    let output = book(&input, &out, &dir.path().join("cache"), &extra);
    assert!(output.status.success(), "herald book failed: {}", String::from_utf8_lossy(&output.stderr));
    let synced = assert_in_sync(&input, &out, "EPUB/package.opf");
    assert!(synced.chapter_seconds.len() >= 3, "overlays: {}", synced.chapter_seconds.len());

    // The audiobook: a tagged MP3 per chapter, titled as the navigation
    // document titles them, as long as the overlays' audio, with the cover.
    let playlist = std::fs::read_to_string(audiobook.join("playlist.m3u8")).unwrap();
    let tracks: Vec<&str> = playlist.lines().filter(|l| l.ends_with(".mp3")).collect();
    let titles: Vec<String> = tracks
        .iter()
        .map(|track| {
            let tag = id3::Tag::read_from_path(audiobook.join(track)).unwrap();
            assert!(tag.pictures().next().is_some(), "{track} has no cover");
            assert_eq!(tag.album(), Some("Fundamental Accessibility Tests: Basic Functionality"));
            tag.title().unwrap().to_string()
        })
        .collect();
    assert_eq!(titles, ["Front page", "Introduction", "Basic Functionality Tests", "Supplemental Content"]);
    for (track, seconds) in tracks.iter().zip(&synced.chapter_seconds) {
        let decoded = common::audio::decode_any(&std::fs::read(audiobook.join(track)).unwrap(), "mp3");
        assert!(
            (decoded.seconds() - seconds).abs() < 0.1,
            "{track}: {} s, its overlay's audio {seconds} s",
            decoded.seconds()
        );
    }
    assert!(audiobook.join("cover.jpg").is_file());
    synced.assert_clips_follow_the_text();
}

/// A French book, and the same book with English and French paragraphs
/// side by side (each `<p>` with its own `lang`): each language is spoken
/// by its own voice, and nothing else is, with the book in sync.
#[test]
fn books_in_french_and_in_two_languages_are_read_by_their_languages_voices() {
    for (name, narrators) in [
        ("vellmark-fr.epub", &["French (France) (espeak-ng)"][..]),
        ("vellmark-bilingual.epub", &["English (America) (espeak-ng)", "French (France) (espeak-ng)"][..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (input, out) = (fixture(name), dir.path().join(name));
        let output = book(&input, &out, &dir.path().join("cache"), &[]);
        assert!(output.status.success(), "herald book {name} failed: {}", String::from_utf8_lossy(&output.stderr));
        let synced = assert_in_sync(&input, &out, "OEBPS/content.opf");
        assert_eq!(synced.narrators("OEBPS/content.opf"), narrators, "{name}");
        synced.assert_clips_follow_the_text();
    }
}

/// EPUB 2 books with an NCX and no navigation document become EPUB 3
/// talking books: epubcheck adds nothing to what the input had, the
/// navigation document is made from the NCX, and the audiobook's chapters
/// carry the NCX's labels.
#[test]
fn epub2_books_with_only_an_ncx_become_epub3_talking_books() {
    let cases = [
        (
            "liber-esther.epub",
            &["English (America) (espeak-ng)", "Latin (espeak-ng)"][..],
            &["LIBER ESTHER. PARS PRIOR. NARRATIONES PROTOCANONICAE, 1:1-10:3.", "PARALLELISMUS MEMBRORUM."][..],
        ),
        ("calibre-quick-start-de.epub", &["German (espeak-ng)"][..], &["Einleitung", "Calibre installieren"][..]),
    ];
    for (name, narrators, labels) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (input, out, audiobook) = (fixture(name), dir.path().join(name), dir.path().join("audiobook"));
        let extra = [std::ffi::OsStr::new("--audiobook"), audiobook.as_os_str()];
        let output = book(&input, &out, &dir.path().join("cache"), &extra);
        assert!(output.status.success(), "herald book {name} failed: {}", String::from_utf8_lossy(&output.stderr));
        let synced = assert_in_sync(&input, &out, "OEBPS/content.opf");
        synced.assert_clips_follow_the_text();
        assert_eq!(synced.narrators("OEBPS/content.opf"), narrators, "{name}");
        let package = synced.text("OEBPS/content.opf");
        assert!(package.contains("version=\"3.0\"") && !package.contains("version=\"2.0\""), "{name}: {package}");
        let nav = synced.text("OEBPS/herald/nav.xhtml");
        let titles = track_titles(&audiobook);
        for label in labels {
            assert!(nav.contains(&format!(">{label}</a>")), "{name}: the navigation document lacks {label:?}: {nav}");
            assert!(titles.iter().any(|title| title == label), "{name}: no chapter titled {label:?}: {titles:?}");
        }
    }
}

/// A book posted to `POST /v1/books` is a job of the batch queue: it
/// survives a restart of the server, is made, and its talking book (in
/// sync, epubcheck adding nothing) and audiobook are served; what is not
/// a book is refused with a problem.
#[tokio::test]
async fn a_book_posted_over_http_is_made_by_the_queue_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let client = reqwest::Client::new();
    let input = fixture("calibre-quick-start-de.epub");
    let server = HeraldProcess::start(&cache, 2);
    let post = |base: &str, body: Vec<u8>, media_type: &'static str| {
        client.post(format!("{base}/v1/books?quality=fast")).header("content-type", media_type).body(body).send()
    };
    let response = post(&server.base, std::fs::read(&input).unwrap(), "application/epub+zip").await.unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let accepted: serde_json::Value = response.json().await.unwrap();
    assert!(["queued", "running"].contains(&accepted["state"].as_str().unwrap()), "{accepted}");
    // Restart at once: the job is stored and resumes with the new server.
    drop(server);
    let server = HeraldProcess::start(&cache, 2);
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        let status: serde_json::Value =
            client.get(format!("{}{location}", server.base)).send().await.unwrap().json().await.unwrap();
        if status["state"] != "queued" && status["state"] != "running" {
            break status;
        }
        assert!(Instant::now() < deadline, "the book was not made: {status}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["title"], "Kurzanleitung");
    let get = |path: &str| client.get(format!("{}{path}", server.base)).send();
    let epub = get(status["files"]["epub"].as_str().unwrap()).await.unwrap();
    assert_eq!(epub.headers()["content-type"], "application/epub+zip");
    let out = dir.path().join("talking.epub");
    std::fs::write(&out, epub.bytes().await.unwrap()).unwrap();
    let synced = assert_in_sync(&input, &out, "OEBPS/content.opf");
    let files: Vec<&str> =
        status["files"]["audiobook"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let chapters: Vec<&&str> = files.iter().filter(|f| f.ends_with(".mp3")).collect();
    assert_eq!(chapters.len(), synced.chapter_seconds.len(), "a chapter per overlay: {files:?}");
    assert!(files.iter().any(|f| f.ends_with("/playlist.m3u8")) && files.iter().any(|f| f.ends_with("/cover.jpg")));
    // The chapters are as long as the overlays' audio (compared sorted:
    // the overlays are read in their files' name order).
    let mut lengths = Vec::new();
    for chapter in &chapters {
        let mp3 = get(chapter).await.unwrap();
        assert_eq!((mp3.status().as_u16(), mp3.headers()["content-type"].to_str().unwrap()), (200, "audio/mpeg"));
        lengths.push(common::audio::decode_any(&mp3.bytes().await.unwrap(), "mp3").seconds());
    }
    let mut expected = synced.chapter_seconds.clone();
    lengths.sort_by(f64::total_cmp);
    expected.sort_by(f64::total_cmp);
    for (length, seconds) in lengths.iter().zip(&expected) {
        assert!((length - seconds).abs() < 0.1, "chapters of {lengths:?} s, overlays of {expected:?} s");
    }

    // Each chapter opens in the reading page, in the book's language where
    // its markup gives none, its audio from the sentences the book spoke.
    let chapters = status["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), synced.chapter_seconds.len(), "{status}");
    let introduction = chapters.iter().find(|c| c["title"] == "Einleitung").expect("a chapter Einleitung");
    let page = get(introduction["page"].as_str().unwrap()).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let german_paragraph = r#"<p class="text" lang="de"><span class="w" data-at="0">Calibre</span>"#;
    assert!(page.contains("<title>Einleitung — Herald</title>") && page.contains(german_paragraph), "{page}");
    let document: serde_json::Value =
        get(introduction["document"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    let wav = get(document["audio_url"].as_str().unwrap_or_default()).await.unwrap();
    assert_eq!(wav.status(), 200, "{document}");

    // Not a book, a hostile book, and no such book: problems.
    let slip = epub_of(&[("mimetype", b"application/epub+zip"), ("../../escaped.txt", b"x")]);
    for (body, media_type, status, says) in [
        (slip, "application/epub+zip", 422, "outside itself"),
        (b"%PDF-1.4".to_vec(), "application/epub+zip", 422, "not an EPUB"),
        (std::fs::read(&input).unwrap(), "text/plain", 415, "application/epub+zip"),
    ] {
        let response = post(&server.base, body, media_type).await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
    assert_eq!(get("/v1/books/0123456789abcdef0123456789abcdef").await.unwrap().status(), 404);
    assert_eq!(get(&format!("{location}/files/audiobook/..%2Fbook.epub")).await.unwrap().status(), 404);
    assert!(!dir.path().join("escaped.txt").exists());
}

/// The titles of the audiobook's tracks in `dir`, in playlist order.
fn track_titles(dir: &Path) -> Vec<String> {
    let playlist = std::fs::read_to_string(dir.join("playlist.m3u8")).unwrap();
    playlist
        .lines()
        .filter(|line| line.ends_with(".mp3"))
        .map(|track| id3::Tag::read_from_path(dir.join(track)).unwrap().title().unwrap().to_string())
        .collect()
}

/// A zip of `files` (the mimetype first, stored).
fn epub_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const CONTAINER: &[u8] = br#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OPS/package.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
const PACKAGE: &[u8] = br#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:x</dc:identifier><dc:title>T</dc:title><dc:language>en</dc:language></metadata><manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>"#;

#[test]
fn hostile_books_get_their_problem_and_nothing_is_written() {
    let bomb_doc = br#"<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body><p>&b;</p></body></html>"#;
    let external = br#"<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body><p>&x;</p></body></html>"#;
    let drm = br#"<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><enc:CipherData><enc:CipherReference URI="OPS/c.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>"#;
    let zeros = vec![0u8; 100 << 20];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("zip slip", epub_of(&[("mimetype", b"application/epub+zip"), ("../../escaped.txt", b"x")]), "outside itself"),
        (
            "absolute path",
            epub_of(&[("mimetype", b"application/epub+zip"), ("/tmp/escaped.txt", b"x")]),
            "outside itself",
        ),
        ("zip bomb", epub_of(&[("mimetype", b"application/epub+zip"), ("OPS/big.bin", &zeros)]), "too large"),
        (
            "entity bomb",
            epub_of(&[("META-INF/container.xml", CONTAINER), ("OPS/package.opf", PACKAGE), ("OPS/c.xhtml", bomb_doc)]),
            "entities",
        ),
        (
            "external entity",
            epub_of(&[("META-INF/container.xml", CONTAINER), ("OPS/package.opf", PACKAGE), ("OPS/c.xhtml", external)]),
            "entities",
        ),
        (
            "DRM",
            epub_of(&[
                ("META-INF/container.xml", CONTAINER),
                ("META-INF/encryption.xml", drm),
                ("OPS/package.opf", PACKAGE),
                ("OPS/c.xhtml", b"x"),
            ]),
            "DRM",
        ),
        ("not a zip", b"%PDF-1.4 not an epub".to_vec(), "not an EPUB"),
        (
            "a missing content document",
            epub_of(&[("META-INF/container.xml", CONTAINER), ("OPS/package.opf", PACKAGE)]),
            "OPS/c.xhtml",
        ),
    ];
    for (what, bytes, problem) in cases {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.epub");
        std::fs::write(&input, &bytes).unwrap();
        let out = dir.path().join("out").join("talking.epub");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let output = book(&input, &out, &dir.path().join("cache"), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(problem), "{what}: the problem should say {problem:?}: {stderr}");
        assert_eq!(std::fs::read_dir(out.parent().unwrap()).unwrap().count(), 0, "{what}: something was written");
        assert!(!dir.path().join("escaped.txt").exists() && !Path::new("/tmp/escaped.txt").exists());
    }
}
