//! One statement as a chapter: ingested as Herald ingests any statement,
//! its blocks given their languages, and written as an XHTML 5 content
//! document (headings `<h1>`–`<h6>`, paragraphs `<p>`, list items in a
//! `<ul>`, quotes in a `<blockquote>`).
//!
//! The title and the lines of the head (byline, dates, notes) open the
//! chapter, as a heading and paragraphs. A block carries `lang` and
//! `xml:lang` where its language differs from its chapter's: the language
//! its source gives it, else the one Herald detects in it. The chapter's
//! own language is the one its source gives most of its blocks (the first
//! given, in a tie) where the source gives most blocks one, else the one
//! detected over its text.

use crate::book::xml::escape;
use crate::document::{self, BlockKind, InputFormat};
use crate::statements::Statement;
use crate::text::{LangSource, LangTag, LanguageDetector, ParagraphInput};
use std::collections::HashMap;

/// A block as the chapter shows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Shown {
    pub kind: BlockKind,
    pub text: String,
    /// Its language, where it has one of its own.
    pub lang: Option<LangTag>,
}

/// A statement, ready to be written as a content document.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Chapter {
    /// The title of the document, else its first heading, else its file name.
    pub title: String,
    /// Whether the title came from the document (rather than its file name).
    pub titled: bool,
    /// The chapter's language; `None` where nothing names one.
    pub lang: Option<LangTag>,
    pub blocks: Vec<Shown>,
}

/// The chapter of `statement`; the reason it cannot be one otherwise.
pub(super) fn read(statement: &Statement) -> Result<Chapter, String> {
    if statement.format == InputFormat::Ssml {
        return Err("SSML is not made into a book (its voices, rates and pauses have no place in an EPUB); \
                    give text, Markdown or HTML"
            .into());
    }
    let document = document::ingest(&statement.text, statement.format).map_err(|e| e.to_string())?;
    let mut blocks = Vec::new();
    let heading = |text: &str| Shown { kind: BlockKind::Heading { level: 1 }, text: text.to_string(), lang: None };
    blocks.extend(document.title.as_deref().map(heading));
    let meta = document.meta.iter().map(|m| Shown { kind: BlockKind::Paragraph, text: m.text.clone(), lang: None });
    blocks.extend(meta);
    blocks.extend(document.blocks.iter().map(|b| Shown { kind: b.kind, text: b.text.clone(), lang: b.lang.clone() }));
    let first_heading = blocks.iter().find(|b| matches!(b.kind, BlockKind::Heading { .. })).map(|b| b.text.clone());
    let stem = std::path::Path::new(&statement.name).file_stem().map(|s| s.to_string_lossy().into_owned());
    let titled = first_heading.is_some();
    let title = first_heading.or(stem).unwrap_or_else(|| statement.name.clone());
    let lang = assign_languages(&mut blocks);
    Ok(Chapter { title, titled, lang, blocks })
}

/// Gives each block the language it has of its own where it differs from
/// the chapter's (the one its source gives, else the one detected in its
/// own text, as planning detects it); the chapter's language.
fn assign_languages(blocks: &mut [Shown]) -> Option<LangTag> {
    // Each language the source gives: its blocks, and where it first comes.
    let mut hinted: HashMap<&LangTag, (usize, usize)> = HashMap::new();
    for (n, lang) in blocks.iter().enumerate().filter_map(|(n, b)| Some((n, b.lang.as_ref()?))) {
        hinted.entry(lang).or_insert((0, n)).0 += 1;
    }
    let hint = match hinted.values().map(|(count, _)| count).sum::<usize>() {
        given if 2 * given > blocks.len() => {
            let most = hinted.into_iter().max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)));
            most.map(|(lang, _)| lang.clone())
        }
        _ => None,
    };
    let inputs: Vec<ParagraphInput<'_>> =
        blocks.iter().map(|b| ParagraphInput { text: &b.text, sentences: Vec::new(), hint: b.lang.clone() }).collect();
    let assignment = LanguageDetector::default().assign(&inputs, hint.as_ref(), &[]);
    let chapter = Some(assignment.document).filter(|lang| !lang.is_und());
    for (block, found) in blocks.iter_mut().zip(assignment.paragraphs) {
        let own = matches!(found.detection.source, LangSource::Hint | LangSource::Detected);
        let lang = found.detection.lang;
        block.lang = (own && !lang.is_und() && Some(&lang) != chapter.as_ref()).then_some(lang);
    }
    chapter
}

/// The chapter as an XHTML 5 content document in the language `lang`.
pub(super) fn xhtml(chapter: &Chapter, lang: &LangTag) -> String {
    let lang_attributes = |lang: &LangTag| format!(" lang=\"{0}\" xml:lang=\"{0}\"", escape(&xml_text(lang.as_str())));
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\"{}>\n\
         <head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n</head>\n<body>\n",
        lang_attributes(lang),
        escape(&xml_text(&chapter.title))
    );
    // The list or quote open, whose blocks follow one another.
    let mut open: Option<&str> = None;
    for block in &chapter.blocks {
        let container = match block.kind {
            BlockKind::ListItem => Some("ul"),
            BlockKind::Quote => Some("blockquote"),
            _ => None,
        };
        if open != container {
            if let Some(element) = open {
                out.push_str(&format!("</{element}>\n"));
            }
            if let Some(element) = container {
                out.push_str(&format!("<{element}>\n"));
            }
            open = container;
        }
        let element = match block.kind {
            BlockKind::Heading { level } => format!("h{}", level.clamp(1, 6)),
            BlockKind::ListItem => "li".into(),
            BlockKind::Paragraph | BlockKind::Quote => "p".into(),
        };
        let attributes = block.lang.as_ref().filter(|l| *l != lang).map(lang_attributes).unwrap_or_default();
        out.push_str(&format!("<{element}{attributes}>{}</{element}>\n", escape(&xml_text(&block.text))));
    }
    if let Some(element) = open {
        out.push_str(&format!("</{element}>\n"));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// `text` without the characters XML 1.0 cannot carry (C0 controls but
/// tab and line ends, U+FFFE, U+FFFF): a form feed in a text file would
/// otherwise make the document ill-formed.
pub(super) fn xml_text(text: &str) -> String {
    let allowed =
        |c: &char| !matches!(*c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    text.chars().filter(allowed).collect()
}
