//! What every talking book must be, read off the book itself: epubcheck
//! adds no finding, nothing of the input is lost, the package carries the
//! media-overlay metadata, and in every overlay each wrapped sentence has
//! exactly one `<par>`, whose clips are in order, contiguous and inside the
//! decoded audio.

use super::common;
use quick_xml::events::Event;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// Every file of a zip, by name, in archive order.
pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

/// epubcheck's messages on a book, as (severity, id: message).
pub(crate) fn epubcheck(book: &Path) -> Vec<(String, String)> {
    let report = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new("java")
        .args(["-jar", "/usr/bin/epubcheck", "--json"])
        .arg(report.path())
        .arg(book)
        .output()
        .expect("epubcheck runs (Debian package epubcheck)");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(report.path()).unwrap())
        .unwrap_or_else(|_| panic!("epubcheck wrote no report: {}", String::from_utf8_lossy(&output.stderr)));
    report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["severity"].as_str().unwrap().to_string(), format!("{}: {}", m["ID"], m["message"])))
        .collect()
}

/// One `<par>`: the text it points at, and its clip.
struct Par {
    text_src: String,
    audio_src: String,
    begin: f64,
    end: f64,
}

fn clock(value: &str) -> f64 {
    let value = value.trim_end_matches('s');
    value.split(':').fold(0.0, |total, part| total * 60.0 + part.parse::<f64>().unwrap())
}

fn pars(smil: &str) -> Vec<Par> {
    let mut reader = quick_xml::Reader::from_str(smil);
    let mut pars = Vec::new();
    let mut text_src = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Empty(e) | Event::Start(e) => {
                let attribute =
                    |name: &str| e.attributes().flatten().find(|a| a.key.as_ref() == name).map(|a| a.value.to_string());
                match e.local_name().as_ref() {
                    "text" => text_src = attribute("src").unwrap(),
                    "audio" => pars.push(Par {
                        text_src: std::mem::take(&mut text_src),
                        audio_src: attribute("src").unwrap(),
                        begin: clock(&attribute("clipBegin").unwrap()),
                        end: clock(&attribute("clipEnd").unwrap()),
                    }),
                    _ => {}
                }
            }
            Event::Eof => return pars,
            _ => {}
        }
    }
}

/// The text of every element with an id that Herald gave (`herald-N`),
/// with what is not read left out (ruby readings, note references, page
/// breaks), white space collapsed.
fn wrapped_texts(xhtml: &str) -> HashMap<String, String> {
    let mut reader = quick_xml::Reader::from_str(xhtml);
    let mut open: Vec<(Option<String>, bool)> = Vec::new();
    let mut texts: HashMap<String, String> = HashMap::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let attribute =
                    |name: &str| e.attributes().flatten().find(|a| a.key.as_ref() == name).map(|a| a.value.to_string());
                let id = attribute("id").filter(|id| id.starts_with("herald-"));
                let kinds = [attribute("epub:type"), attribute("role")];
                let unread = matches!(e.local_name().as_ref(), "rt" | "rp")
                    || kinds.iter().flatten().any(|k| k.contains("noteref") || k.contains("pagebreak"));
                open.push((id, unread || open.last().is_some_and(|(_, u)| *u)));
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(t) if !open.last().is_some_and(|(_, u)| *u) => {
                let text = t.to_string();
                for (id, _) in &open {
                    if let Some(id) = id {
                        texts.entry(id.clone()).or_default().push_str(&text);
                    }
                }
            }
            Event::GeneralRef(r) if !open.last().is_some_and(|(_, u)| *u) => {
                let name = r.to_string();
                let ch = quick_xml::escape::resolve_predefined_entity(&name)
                    .or_else(|| quick_xml::escape::resolve_html5_entity(&name))
                    .map(str::to_string)
                    .or_else(|| r.resolve_char_ref().ok().flatten().map(String::from))
                    .unwrap_or_default();
                for (id, _) in &open {
                    if let Some(id) = id {
                        texts.entry(id.clone()).or_default().push_str(&ch);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    texts.into_iter().map(|(id, text)| (id, text.split_whitespace().collect::<Vec<_>>().join(" "))).collect()
}

/// Pearson's correlation of two series.
fn correlation(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let (vx, vy): (f64, f64) = (xs.iter().map(|x| (x - mx).powi(2)).sum(), ys.iter().map(|y| (y - my).powi(2)).sum());
    cov / (vx * vy).sqrt()
}

fn resolve(base: &str, href: &str) -> String {
    let mut parts: Vec<&str> = base.rsplit_once('/').map_or_else(Vec::new, |(d, _)| d.split('/').collect());
    for part in href.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." => {}
            part => parts.push(part),
        }
    }
    parts.join("/").replace("%20", " ")
}

/// What [`assert_in_sync`] read off a talking book: its files, each
/// overlay's audio length, and every clip with the text it points at.
pub(crate) struct Synced {
    pub files: BTreeMap<String, Vec<u8>>,
    pub chapter_seconds: Vec<f64>,
    pub clips: Vec<Clip>,
}

/// One `<par>` resolved: its audio file (a name in the book), its clip, and
/// the text of the sentence element it points at, as a reader sees it.
pub(crate) struct Clip {
    pub audio: String,
    pub begin: f64,
    pub end: f64,
    pub text: String,
}

impl Synced {
    pub(crate) fn text(&self, name: &str) -> String {
        String::from_utf8(self.files[name].clone()).unwrap()
    }

    /// The package's `media:narrator` values, in order.
    pub(crate) fn narrators(&self, package: &str) -> Vec<String> {
        let package = self.text(package);
        let open = r#"<meta property="media:narrator">"#;
        package.split(open).skip(1).map(|rest| rest.split("</meta>").next().unwrap().to_string()).collect()
    }

    /// Each clip is as long as its own text: were the clips shifted by one
    /// sentence against the text, this would fall apart.
    pub(crate) fn assert_clips_follow_the_text(&self) {
        let durations: Vec<f64> = self.clips.iter().map(|c| c.end - c.begin).collect();
        let lengths: Vec<f64> = self.clips.iter().map(|c| c.text.chars().count() as f64).collect();
        let matched = correlation(&durations, &lengths);
        let shifted = correlation(&durations[1..], &lengths[..lengths.len() - 1]);
        assert!(
            matched > 0.8 && matched > shifted + 0.2,
            "clip lengths follow the text: {matched:.2} (shifted {shifted:.2})"
        );
    }
}

/// The talking book `out` made from the EPUB `input` (package at
/// `package`): epubcheck finds nothing the book did not have, no file of
/// the book is lost, and the rest of [`assert_synced`].
pub(crate) fn assert_in_sync(input: &Path, out: &Path, package: &str) -> Synced {
    let before: Vec<String> = epubcheck(input).into_iter().map(|(_, m)| m).collect();
    let original: Vec<String> = unzip(&std::fs::read(input).unwrap()).into_iter().map(|(name, _)| name).collect();
    assert_synced(out, package, &before, &original)
}

/// The talking book `out` (package at `package`): epubcheck finds nothing
/// but `before`, the mimetype comes first, none of the files `original` is
/// lost, the package has the media overlay metadata, and in every overlay
/// each wrapped sentence has exactly one par, whose clips are in order,
/// contiguous and inside the audio.
pub(crate) fn assert_synced(out: &Path, package: &str, before: &[String], original: &[String]) -> Synced {
    let added: Vec<(String, String)> =
        epubcheck(out).into_iter().filter(|(severity, m)| severity != "INFO" && !before.contains(m)).collect();
    assert!(added.is_empty(), "epubcheck findings the talking book added: {added:#?}");

    let files = unzip(&std::fs::read(out).unwrap());
    assert_eq!(files[0], ("mimetype".to_string(), b"application/epub+zip".to_vec()), "mimetype comes first");
    let mut synced = Synced { files: files.into_iter().collect(), chapter_seconds: Vec::new(), clips: Vec::new() };
    for name in original {
        // EPUB 2 content documents named `….html` are renamed `….xhtml`.
        let renamed = name.rsplit_once('.').map(|(stem, _)| format!("{stem}.xhtml"));
        let kept = synced.files.contains_key(name) || renamed.is_some_and(|r| synced.files.contains_key(&r));
        assert!(kept, "{name} was lost");
    }
    let package = synced.text(package);
    for meta in ["media:duration", "media:active-class", "media:narrator", "synchronizedAudioText", "auditory"] {
        assert!(package.contains(meta), "the package lacks {meta}");
    }

    let smils: Vec<String> = synced.files.keys().filter(|name| name.ends_with(".smil")).cloned().collect();
    assert!(!smils.is_empty(), "no overlay");
    for smil_name in &smils {
        let pars = pars(&synced.text(smil_name));
        assert!(!pars.is_empty(), "{smil_name} has no par");
        let document = resolve(smil_name, pars[0].text_src.split('#').next().unwrap());
        let audio = resolve(smil_name, &pars[0].audio_src);
        let decoded = common::audio::decode_any(&synced.files[&audio], "mp3");
        let wrapped = wrapped_texts(&synced.text(&document));
        // Every wrapped sentence has exactly one par, and every par a sentence.
        let mut targets: Vec<&str> = pars.iter().map(|p| p.text_src.split('#').nth(1).unwrap()).collect();
        targets.sort_unstable();
        let mut ids: Vec<&str> = wrapped.keys().map(String::as_str).collect();
        ids.sort_unstable();
        assert_eq!(targets, ids, "{smil_name}: pars and wrapped sentences differ");
        // Clips in order, contiguous, inside the audio.
        assert!(pars[0].begin < 0.05, "{smil_name} starts late");
        for pair in pars.windows(2) {
            assert!((pair[0].end - pair[1].begin).abs() < 0.002, "{smil_name}: a gap or overlap");
            assert!(pair[0].begin < pair[0].end);
        }
        let last = pars.last().unwrap().end;
        assert!(
            last <= decoded.seconds() + 0.05,
            "{smil_name}: clips run to {last} s, the audio {} s",
            decoded.seconds()
        );
        assert!(decoded.seconds() - last < 0.5, "{smil_name}: audio after the last clip");
        synced.chapter_seconds.push(decoded.seconds());
        for par in &pars {
            let target = &wrapped[par.text_src.split('#').nth(1).unwrap()];
            assert!(!target.is_empty());
            synced.clips.push(Clip { audio: audio.clone(), begin: par.begin, end: par.end, text: target.clone() });
        }
    }
    synced
}
