//! Talking-book benchmark: `herald book` over a book of 54,811 words
//! (`tests/fixtures/books/childrens-literature.epub`), against `herald
//! podcast` over the same content documents in the same run: hours of
//! audio made per wall-clock hour, and peak resident memory of the whole
//! process tree (Herald and its workers).
//!
//! Run: `cargo bench --bench book -- [fast|natural] [BOOK.epub] [--documents N] [--book-only]`
//! (`--documents N` speaks the first N content documents of the reading
//! order only; `--book-only` leaves out the podcast baseline, which holds
//! each episode's audio in memory and doubles the run's length).
//!
//! Each run starts from an empty segment cache, so every sentence is
//! synthesized.

#[path = "support/mod.rs"]
mod support;

use quick_xml::events::Event;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SHOW: &str = "title = \"Bench\"\nauthor = \"Herald\"\ndescription = \"Benchmark\"\nlanguage = \"en\"\n\
    base_url = \"https://example.org/\"\nimage = \"cover.jpg\"\ncategory = \"Books\"\n";

/// What one run made, and what it took.
struct Run {
    wall: Duration,
    audio_seconds: f64,
    peak_rss_kib: u64,
}

impl Run {
    fn audio_hours_per_hour(&self) -> f64 {
        self.audio_seconds / self.wall.as_secs_f64()
    }
}

/// Runs `command` to its end, sampling its tree's memory.
fn measured(mut command: Command) -> (Duration, u64, std::process::Output) {
    let start = Instant::now();
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("herald runs");
    let peak = support::PeakRss::start(child.id(), Duration::from_millis(100));
    let output = child.wait_with_output().unwrap();
    let wall = start.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (wall, peak.finish(), output)
}

fn herald(cache: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command.env_remove("HERALD_CONFIG").env("HERALD_CACHE_DIR", cache);
    command
}

/// The linear content documents of `epub` in reading order, as (path, bytes).
fn reading_order(epub: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(epub)).unwrap();
    let mut read = |name: &str| {
        let mut bytes = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    };
    let attribute = |e: &quick_xml::events::BytesStart, name: &str| {
        e.attributes().flatten().find(|a| a.key.as_ref() == name).map(|a| a.value.to_string())
    };
    let container = String::from_utf8(read("META-INF/container.xml")).unwrap();
    let opf_path = elements(&container).into_iter().find_map(|e| attribute(&e, "full-path")).unwrap();
    let opf = String::from_utf8(read(&opf_path)).unwrap();
    let dir = opf_path.rsplit_once('/').map_or(String::new(), |(d, _)| format!("{d}/"));
    let (mut items, mut spine) = (Vec::new(), Vec::new());
    for e in elements(&opf) {
        match e.local_name().as_ref() {
            "item" => items.push((attribute(&e, "id").unwrap(), attribute(&e, "href").unwrap())),
            "itemref" if attribute(&e, "linear").as_deref() != Some("no") => {
                spine.push(attribute(&e, "idref").unwrap())
            }
            _ => {}
        }
    }
    spine
        .iter()
        .filter_map(|id| items.iter().find(|(item, _)| item == id))
        .map(|(_, href)| format!("{dir}{href}"))
        .map(|path| {
            let bytes = read(&path);
            (path, bytes)
        })
        .collect()
}

fn elements(xml: &str) -> Vec<quick_xml::events::BytesStart<'static>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) => found.push(e.into_owned()),
            Event::Eof => return found,
            _ => {}
        }
    }
}

/// `herald book` over `epub`.
fn book(epub: &Path, quality: &str, dir: &Path) -> Run {
    let out = dir.join("talking.epub");
    let mut command = herald(&dir.join("book-cache"));
    command.arg("book").arg(epub).arg("--out").arg(&out).args(["--quality", quality]);
    let (wall, peak_rss_kib, _) = measured(command);
    let bytes = std::fs::read(&out).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let opf_name = zip.file_names().flatten().find(|n| n.ends_with(".opf")).unwrap().to_string();
    let mut opf = String::new();
    zip.by_name(&opf_name).unwrap().read_to_string(&mut opf).unwrap();
    // The book's whole duration: the `media:duration` that refines nothing.
    let total = opf
        .split("<meta property=\"media:duration\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the package has the book's duration");
    let audio_seconds = total.split(':').fold(0.0, |sum, part| sum * 60.0 + part.parse::<f64>().unwrap());
    Run { wall, audio_seconds, peak_rss_kib }
}

/// `herald podcast` over the same documents, an episode each.
fn podcast(documents: &[(String, Vec<u8>)], quality: &str, dir: &Path) -> Run {
    let src = dir.join("statements");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("podcast.toml"), format!("{SHOW}quality = \"{quality}\"\n")).unwrap();
    for (n, (_, bytes)) in documents.iter().enumerate() {
        std::fs::write(src.join(format!("{n:03}.html")), bytes).unwrap();
    }
    let summary = dir.join("summary.json");
    let mut command = herald(&dir.join("podcast-cache"));
    command.arg("podcast").arg(&src).arg("--out").arg(dir.join("podcast")).arg("--summary-json").arg(&summary);
    let (wall, peak_rss_kib, _) = measured(command);
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    Run { wall, audio_seconds: summary["audio_seconds"].as_f64().unwrap(), peak_rss_kib }
}

/// `epub` with only its first `n` linear content documents read: the
/// spine's later entries are set aside (`linear="no"`).
fn shortened(epub: &Path, n: usize, dir: &Path) -> PathBuf {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(std::fs::read(epub).unwrap())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if name.ends_with(".opf") {
            data = first_linear(&String::from_utf8(data).unwrap(), n).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut out, &data).unwrap();
    }
    let path = dir.join("shortened.epub");
    std::fs::write(&path, out.finish().unwrap().into_inner()).unwrap();
    path
}

/// The package text with every linear `itemref` after the first `n` set aside.
fn first_linear(opf: &str, n: usize) -> String {
    let (mut out, mut rest, mut linear) = (String::new(), opf, 0);
    while let Some(at) = rest.find("<itemref") {
        let (head, tail) = rest.split_at(at + "<itemref".len());
        out.push_str(head);
        let tag = &tail[..tail.find('>').unwrap()];
        if !tag.contains("linear=") {
            linear += 1;
            if linear > n {
                out.push_str(" linear=\"no\"");
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let quality = args.iter().find(|a| *a == "fast" || *a == "natural").cloned().unwrap_or_else(|| "fast".into());
    let documents = args.iter().position(|a| a == "--documents").map(|i| args[i + 1].parse::<usize>().unwrap());
    let epub = args.iter().find(|a| a.ends_with(".epub")).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/books/childrens-literature.epub")
    });
    let dir = tempfile::tempdir().unwrap();
    let epub = match documents {
        Some(n) => shortened(&epub, n, dir.path()),
        None => epub,
    };
    let spoken = reading_order(&std::fs::read(&epub).unwrap());
    let words: usize = spoken.iter().map(|(_, b)| String::from_utf8_lossy(b).split_whitespace().count()).sum();
    println!(
        "book: {} ({} content documents, about {words} words with markup), {quality} voices",
        epub.display(),
        spoken.len()
    );
    let made = book(&epub, &quality, dir.path());
    let baseline = (!args.iter().any(|a| a == "--book-only")).then(|| podcast(&spoken, &quality, dir.path()));
    let runs =
        std::iter::once(("herald book", &made)).chain(baseline.iter().map(|b| ("herald podcast (same documents)", b)));
    for (name, run) in runs {
        println!(
            "{name}: {:.1} min of audio in {:.1} s: {:.1} hours of audio per hour; peak RSS {:.0} MiB",
            run.audio_seconds / 60.0,
            run.wall.as_secs_f64(),
            run.audio_hours_per_hour(),
            run.peak_rss_kib as f64 / 1024.0
        );
    }
    if let Some(baseline) = baseline {
        println!("book / podcast: {:.2}× the rate", made.audio_hours_per_hour() / baseline.audio_hours_per_hour());
    }
}
