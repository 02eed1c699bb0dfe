//! A talking book made from an EPUB: each linear content document has its
//! sentences wrapped, is planned and spoken through the service, and gets
//! an MP3 and a SMIL file; the package announces them; everything else in
//! the book is kept as it was.

use super::audiobook::{self, BookTags, Chapter, Cover};
use super::chapter_audio::{from_start, ChapterAudio};
use super::epub::{relative, Container};
use super::markup::{self, Marked};
use super::overlay::{self, Clip, ExistingClaims};
use super::package::{Package, PackageEdits};
use super::upgrade;
use super::BookError;
use crate::document::{Block, BlockKind, Document, Speaking};
use crate::pipeline::Pipeline;
use crate::speech::SpeechOptions;
use crate::text::LangTag;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Loudness of a book's audio (EBU R128), in LUFS: the middle of what
/// audiobook publishers ask for (−18 to −23).
const LOUDNESS_LUFS: f64 = -20.0;
/// True-peak ceiling, in dBTP (audiobook publishers ask for −3 dB peaks).
const TRUE_PEAK_DBTP: f64 = -3.5;
/// Sample rate of the book's MP3.
const MP3_RATE: u32 = 44_100;
/// The folder, beside the package document, that holds what Herald adds.
const FOLDER: &str = "herald";

/// How far a book is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Content documents spoken, of all.
    pub documents_done: usize,
    pub documents: usize,
}

/// A finished talking book (written where it was asked for).
#[derive(Debug)]
pub(crate) struct MadeBook {
    pub title: Option<String>,
    pub author: Option<String>,
    pub cover: Option<Cover>,
    /// Each content document with speech, in reading order, titled as the
    /// navigation document names it (else by its first sentence).
    pub chapters: Vec<Chapter>,
    /// Seconds of audio, and sentences spoken.
    pub seconds: f64,
    pub sentences: usize,
    /// Sentences that could not be spoken (left out of the overlays).
    pub skipped: usize,
    /// Sentences markup cut across, so that they could not be wrapped (not read).
    pub unwrapped: usize,
    /// The chapters' text, as Herald's reading page reads it.
    pub pages: Vec<Page>,
}

/// A chapter's text, for Herald's reading page.
#[derive(Debug)]
pub(crate) struct Page {
    pub title: String,
    /// The content document (XHTML) with its sentences wrapped, and with
    /// the book's language on its root where it gives none.
    pub html: String,
}

/// One content document, marked and spoken.
struct Spoken {
    path: String,
    marked: Marked,
    clips: Vec<Clip>,
    /// The document's MP3, in a temporary file; `None` if nothing in it is read.
    mp3: Option<File>,
    seconds: f64,
    skipped: usize,
}

/// Makes the talking book of `epub`, spoken with `options`, at `out`
/// (which appears only once the book is whole).
pub(crate) async fn make(
    pipeline: &Arc<Pipeline>,
    epub: Vec<u8>,
    options: &SpeechOptions,
    out: &Path,
    progress: impl Fn(Progress),
) -> Result<MadeBook, BookError> {
    let (container, package) =
        tokio::task::spawn_blocking(move || open(&epub)).await.map_err(|e| BookError::Broken(e.to_string()))??;
    let documents: Vec<String> = package.reading_order().iter().map(|item| item.path.clone()).collect();
    if documents.is_empty() {
        return Err(BookError::Broken("the spine reads no XHTML content document".into()));
    }
    let fallback_lang = package.languages.first().cloned();
    // Images are described where the book says its images have alternative text.
    let alt_text = package.metas.iter().any(|(p, v)| p == "schema:accessibilityFeature" && v == "alternativeText");
    let folder = folder(&package.path);
    let stylesheet = format!("{folder}/overlay.css");
    let mut spoken = Vec::new();
    let mut narrators = BTreeSet::new();
    progress(Progress { documents_done: 0, documents: documents.len() });
    for (n, path) in documents.iter().enumerate() {
        let text = container.text(path)?;
        let link = format!("<link rel=\"stylesheet\" type=\"text/css\" href=\"{}\"/>", relative(path, &stylesheet));
        let marking =
            markup::Marking { prefix: "herald", fallback_lang: fallback_lang.as_deref(), head_extra: &link, alt_text };
        let marked = markup::mark(path, &text, &marking)?;
        let document = speakable(&marked);
        let (clips, mp3, seconds, skipped) = match document {
            Some(document) => speak(pipeline, document, &marked, options, &mut narrators).await?,
            None => (Vec::new(), None, 0.0, 0),
        };
        spoken.push(Spoken { path: path.clone(), marked, clips, mp3, seconds, skipped });
        progress(Progress { documents_done: n + 1, documents: documents.len() });
    }
    let narrators: Vec<String> = narrators.into_iter().collect();
    let (title, author) = (package.title.clone(), package.author.clone());
    let chapters = chapters(&container, &package, &spoken)?;
    let pages = pages(&spoken, &chapters, fallback_lang.as_deref());
    let cover = package.item_with("cover-image").and_then(|item| {
        let bytes = container.file(&item.path)?.to_vec();
        Some(Cover { media_type: item.media_type.clone(), bytes })
    });
    let (seconds, sentences, skipped) = (
        spoken.iter().map(|s| s.seconds).sum(),
        spoken.iter().map(|s| s.clips.len()).sum(),
        spoken.iter().map(|s| s.skipped).sum(),
    );
    let unwrapped = spoken.iter().map(|s| s.marked.unwrapped).sum();
    let out = out.to_path_buf();
    tokio::task::spawn_blocking(move || write(&container, &package, &spoken, &narrators, &out))
        .await
        .map_err(|e| BookError::Write(e.to_string()))??;
    Ok(MadeBook { title, author, cover, chapters, seconds, sentences, skipped, unwrapped, pages })
}

impl MadeBook {
    /// Writes the audiobook into `dir` (see [`audiobook`]); the files' names.
    pub(crate) fn write_audiobook(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        let tags = BookTags {
            title: self.title.as_deref().unwrap_or("Untitled"),
            author: self.author.as_deref(),
            cover: self.cover.as_ref(),
        };
        audiobook::write(dir, &tags, &self.chapters)
    }
}

/// The documents with speech as chapters, titled by the navigation document.
fn chapters(container: &Container, package: &Package, spoken: &[Spoken]) -> Result<Vec<Chapter>, BookError> {
    let labels = match package.item_with("nav") {
        Some(nav) => super::nav::labels(&nav.path, &container.text(&nav.path)?)?,
        None => Default::default(),
    };
    let mut chapters = Vec::new();
    for document in spoken.iter().filter(|document| !document.clips.is_empty()) {
        let Some(mp3) = &document.mp3 else { continue };
        let first = document.marked.units.first().map(|unit| unit.text.chars().take(80).collect());
        let title = labels.get(&document.path).cloned().or(first).unwrap_or_default();
        let mp3 = mp3.try_clone().map_err(|e| BookError::Write(e.to_string()))?;
        chapters.push(Chapter { title, mp3, seconds: document.seconds });
    }
    Ok(chapters)
}

/// The text of each chapter (the documents with speech, as [`chapters`]
/// lists them), titled as the chapter is.
fn pages(spoken: &[Spoken], chapters: &[Chapter], lang: Option<&str>) -> Vec<Page> {
    let read = spoken.iter().filter(|document| !document.clips.is_empty() && document.mp3.is_some());
    read.zip(chapters)
        .map(|(document, chapter)| Page { title: chapter.title.clone(), html: with_lang(&document.marked.text, lang) })
        .collect()
}

/// `xhtml` with `lang` on its `<html>` where that gives no language.
fn with_lang(xhtml: &str, lang: Option<&str>) -> String {
    let Some(lang) = lang else { return xhtml.to_string() };
    let Some(start) = xhtml.find("<html") else { return xhtml.to_string() };
    let Some(end) = xhtml[start..].find('>').map(|end| start + end) else { return xhtml.to_string() };
    if xhtml[start..end].contains("lang=") {
        return xhtml.to_string();
    }
    format!("{} lang=\"{}\"{}", &xhtml[..start + 5], super::xml::escape(lang), &xhtml[start + 5..])
}

/// Reads the container and its package; an EPUB 2 book is made EPUB 3
/// first, as media overlays need.
pub(super) fn open(epub: &[u8]) -> Result<(Container, Package), BookError> {
    let mut container = Container::read(epub)?;
    let path = container.package_path()?;
    let package = Package::parse(&path, container.text(&path)?)?;
    if package.is_epub3() {
        return Ok((container, package));
    }
    if !package.version.starts_with('2') {
        return Err(BookError::UnknownVersion(package.version.clone()));
    }
    let nav = format!("{}/nav.xhtml", folder(&path));
    let package = upgrade::to_epub3(&mut container, &package, &nav)?;
    Ok((container, package))
}

/// The folder Herald's files go in, beside the package document.
fn folder(package_path: &str) -> String {
    match package_path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{FOLDER}"),
        None => FOLDER.to_string(),
    }
}

/// The wrapped sentences as a document to plan: a block each, with the
/// language the markup gives it.
fn speakable(marked: &Marked) -> Option<Document> {
    let blocks: Vec<Block> = marked
        .units
        .iter()
        .map(|unit| Block {
            kind: BlockKind::Paragraph,
            text: unit.text.clone(),
            lang: unit.lang.as_deref().and_then(|l| LangTag::parse(l).ok()),
            speaking: Speaking::default(),
        })
        .collect();
    (!blocks.is_empty()).then_some(Document { title: None, meta: Vec::new(), blocks })
}

/// Speaks one content document: its clips, its MP3, its length, and the
/// sentences left out.
async fn speak(
    pipeline: &Arc<Pipeline>,
    document: Document,
    marked: &Marked,
    options: &SpeechOptions,
    narrators: &mut BTreeSet<String>,
) -> Result<(Vec<Clip>, Option<File>, f64, usize), BookError> {
    let plan = pipeline.plan_document(document, options).await.map_err(|e| BookError::Plan(e.to_string()))?;
    if plan.paragraphs.len() != marked.units.len() {
        return Err(BookError::Broken("planning changed the number of sentences".into()));
    }
    for voice in plan.voices() {
        narrators.insert(pipeline.voice_name(voice));
    }
    let mut audio = ChapterAudio::new(pipeline.sample_rate()).map_err(|e| BookError::Write(e.to_string()))?;
    let spoken = pipeline
        .speak_plan_into(&plan, |samples| audio.push(samples))
        .await
        .map_err(|e| BookError::Plan(e.to_string()))?;
    let skipped = spoken.skipped;
    let duration = spoken.timeline.duration;
    let mut clips: Vec<Clip> = spoken
        .timeline
        .paragraphs
        .iter()
        .filter(|timing| timing.end > timing.start)
        .map(|timing| Clip { id: marked.units[timing.index].id.clone(), begin: timing.start, end: timing.end })
        .collect();
    // Contiguous: the pause after a sentence is the end of its clip.
    let next_begins: Vec<f64> = clips.iter().skip(1).map(|clip| clip.begin).chain([duration]).collect();
    for (clip, next) in clips.iter_mut().zip(next_begins) {
        clip.end = next.max(clip.end);
    }
    let mp3 = tokio::task::spawn_blocking(move || audio.into_mp3(LOUDNESS_LUFS, TRUE_PEAK_DBTP, MP3_RATE))
        .await
        .map_err(|e| BookError::Write(e.to_string()))?
        .map_err(|e| BookError::Write(e.to_string()))?;
    Ok((clips, Some(mp3), duration, skipped))
}

/// The new book: the original files (content documents and package
/// edited), the overlays, the audio and the stylesheet. The `mimetype`
/// comes first and uncompressed, as OCF requires.
fn write(
    container: &Container,
    package: &Package,
    spoken: &[Spoken],
    narrators: &[String],
    out: &Path,
) -> Result<(), BookError> {
    let folder = folder(&package.path);
    let mut edits = PackageEdits { modified: modified_now(), ..PackageEdits::default() };
    let mut added: Vec<(String, Vec<u8>)> = Vec::new();
    let mut audio: Vec<(String, &File)> = Vec::new();
    let mut durations = Vec::new();
    for (n, document) in spoken.iter().enumerate() {
        let (false, Some(mp3)) = (document.clips.is_empty(), &document.mp3) else { continue };
        let stem = format!("{}-{}", n + 1, stem(&document.path));
        let (smil_path, audio_path) = (format!("{folder}/{stem}.smil"), format!("{folder}/{stem}.mp3"));
        let smil =
            overlay::smil(&relative(&smil_path, &document.path), &relative(&smil_path, &audio_path), &document.clips);
        let (overlay_id, audio_id) = (format!("herald-mo-{}", n + 1), format!("herald-audio-{}", n + 1));
        let content_id = package.manifest.iter().find(|i| i.path == document.path).map(|i| i.id.clone());
        edits.overlays.extend(content_id.map(|id| (id, overlay_id.clone())));
        edits.manifest.push_str(&item(&overlay_id, &relative(&package.path, &smil_path), "application/smil+xml"));
        edits.manifest.push_str(&item(&audio_id, &relative(&package.path, &audio_path), "audio/mpeg"));
        durations.push((overlay_id, document.seconds));
        added.push((smil_path, smil.into_bytes()));
        audio.push((audio_path, mp3));
    }
    let stylesheet = format!("{folder}/overlay.css");
    edits.manifest.push_str(&item("herald-overlay-css", &relative(&package.path, &stylesheet), "text/css"));
    added.push((stylesheet, overlay::STYLESHEET.as_bytes().to_vec()));
    edits.metadata = overlay::metadata(&durations, narrators, &claims(package));
    let package_text = package.edited(&edits);

    let failed = |e: &dyn std::fmt::Display| BookError::Write(format!("{}: {e}", out.display()));
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file = tempfile::NamedTempFile::new_in(dir).map_err(|e| failed(&e))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut put = |path: &str, bytes: &mut dyn Read, options| -> Result<(), BookError> {
        zip.start_file(path, options).map_err(|e| failed(&e))?;
        std::io::copy(bytes, &mut zip).map(drop).map_err(|e| failed(&e))
    };
    put("mimetype", &mut &b"application/epub+zip"[..], stored)?;
    for (path, bytes) in container.files() {
        if path == "mimetype" {
            continue;
        }
        let edited = spoken.iter().find(|d| d.path == path).map(|d| d.marked.text.as_bytes());
        let bytes = if path == package.path { package_text.as_bytes() } else { edited.unwrap_or(bytes) };
        put(path, &mut &bytes[..], deflated)?;
    }
    for (path, bytes) in &added {
        put(path, &mut &bytes[..], deflated)?;
    }
    for (path, mp3) in audio {
        put(&path, &mut from_start(mp3).map_err(|e| failed(&e))?, stored)?;
    }
    let file = zip.finish().map_err(|e| failed(&e))?.into_inner().map_err(|e| failed(&e.into_error()))?;
    file.persist(out).map(drop).map_err(|e| failed(&e.error))
}

fn item(id: &str, href: &str, media_type: &str) -> String {
    format!("    <item id=\"{id}\" href=\"{}\" media-type=\"{media_type}\"/>\n", super::xml::escape(href))
}

/// A file name's stem, reduced to letters, digits and `-`.
fn stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    stem.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// The accessibility claims the package already makes.
fn claims(package: &Package) -> ExistingClaims {
    let values = |property: &str| -> Vec<String> {
        package.metas.iter().filter(|(p, _)| p == property).map(|(_, v)| v.clone()).collect()
    };
    ExistingClaims {
        access_modes: values("schema:accessMode"),
        sufficient: values("schema:accessModeSufficient"),
        features: values("schema:accessibilityFeature"),
        hazard: !values("schema:accessibilityHazard").is_empty(),
        summary: !values("schema:accessibilitySummary").is_empty(),
    }
}

/// Now, as `dcterms:modified` wants it (`CCYY-MM-DDThh:mm:ssZ`).
fn modified_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
