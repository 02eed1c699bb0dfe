//! A content document's sentences, wrapped: every sentence of the text is
//! put in a `<span id=…>` that its media overlay points at, and all other
//! markup is kept byte for byte (the document is edited, not rewritten).
//!
//! Text is gathered in runs: the text between two block boundaries (`<p>`,
//! `<li>`, `<td>`, …), through inline markup (`<em>`, `<a>`, …). A run is cut
//! into sentences; a span must open and close inside the same element, so
//! a sentence that starts or ends inside inline markup is widened to whole
//! elements where it covers them whole, and joined with the next sentence
//! where it does not. Text that is not read is skipped: `<head>`, scripts,
//! `<rp>`, footnote references and bodies, and page-break markers. Ruby
//! whose reading is kana (Japanese furigana) is spoken by the reading the
//! author gave, not by a guess at the kanji; the text shown is kept.

use super::xml;
use super::BookError;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashSet;

mod spans;

/// One wrapped piece of text: what is spoken, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub id: String,
    pub text: String,
    /// The language the markup gives it (`xml:lang`/`lang`), if any.
    pub lang: Option<String>,
}

/// A content document with its sentences wrapped.
#[derive(Debug)]
pub(crate) struct Marked {
    pub units: Vec<Unit>,
    pub text: String,
    /// Sentences that could not be wrapped (markup they cut across), not spoken.
    pub unwrapped: usize,
}

/// Elements inside which text flows with the text around it.
const INLINE: &[&str] = &[
    "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "img", "ins", "kbd", "label", "mark", "q", "ruby", "rb", "rp", "rt", "s", "samp", "small", "span", "strong", "sub",
    "sup", "time", "tt", "u", "var", "wbr",
];
/// Elements whose text is never read.
const UNREAD: &[&str] = &[
    "head", "script", "style", "rt", "rp", "math", "svg", "template", "noscript", "button", "select", "textarea",
    "object", "audio", "video", "iframe",
];
/// `epub:type` and `role` values of what is not read into the flow.
const UNREAD_TYPES: &[&str] = &[
    "noteref",
    "pagebreak",
    "footnote",
    "footnotes",
    "endnote",
    "endnotes",
    "rearnote",
    "rearnotes",
    "doc-noteref",
    "doc-pagebreak",
    "doc-footnote",
    "doc-endnote",
    "doc-endnotes",
];

/// A character of a run, and where it is in the source.
struct Atom {
    ch: char,
    /// Its bytes in the source (an entity reference counts whole).
    start: usize,
    end: usize,
    /// The inline elements open around it, outermost first.
    open: Vec<usize>,
    /// What is spoken for it.
    say: Say,
}

/// What is spoken for a character of the text.
#[derive(Debug, Clone, PartialEq)]
enum Say {
    /// The character itself.
    Itself,
    /// A reading for the ruby base that starts here.
    Reading(String),
    /// Nothing: part of a ruby base spoken by its reading.
    Nothing,
}

/// An inline element opened inside the current run.
struct Inline {
    /// Where its start tag begins and its end tag ends (once seen).
    start: usize,
    end: Option<usize>,
    /// The first and last atoms inside it that are not white space.
    first: Option<usize>,
    last: Option<usize>,
}

/// An open element.
struct Frame {
    /// Its index in the run's inline elements, if it is inline.
    inline: Option<usize>,
    unread: bool,
    lang: Option<String>,
    /// `<ruby>` or `<rt>`.
    ruby: Option<Ruby>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ruby {
    Base,
    Reading,
}

struct Marker<'a> {
    path: &'a str,
    prefix: &'a str,
    fallback_lang: Option<&'a str>,
    taken: HashSet<String>,
    stack: Vec<Frame>,
    atoms: Vec<Atom>,
    inlines: Vec<Inline>,
    /// Inside `<ruby>`: the atom where the base being annotated starts; and
    /// the text of the `<rt>` being read.
    ruby_base: Option<usize>,
    reading: Option<String>,
    run_lang: Option<String>,
    changes: Vec<(std::ops::Range<usize>, String)>,
    units: Vec<Unit>,
    unwrapped: usize,
    next_id: usize,
}

/// How a content document is marked.
pub(crate) struct Marking<'a> {
    /// Ids are `PREFIX-N`, never one the document already uses.
    pub prefix: &'a str,
    /// The language of text whose markup gives none (the package's).
    pub fallback_lang: Option<&'a str>,
    /// What goes just before `</head>` (the overlay's stylesheet link).
    pub head_extra: &'a str,
    /// Whether images' alternative text is read (where the book says it
    /// has alternative text): each image with one becomes a unit of its own.
    pub alt_text: bool,
}

/// Wraps the sentences of the content document at `path`.
pub(crate) fn mark(path: &str, source: &str, marking: &Marking<'_>) -> Result<Marked, BookError> {
    let Marking { prefix, fallback_lang, head_extra, alt_text } = *marking;
    let broken = |e: &dyn std::fmt::Display| BookError::Broken(format!("{path}: {e}"));
    let taken = xml::attributes_of_all(source, "*", "id").unwrap_or_default().into_iter().collect();
    let mut marker = Marker {
        path,
        prefix,
        fallback_lang,
        taken,
        stack: Vec::new(),
        atoms: Vec::new(),
        inlines: Vec::new(),
        ruby_base: None,
        reading: None,
        run_lang: None,
        changes: Vec::new(),
        units: Vec::new(),
        unwrapped: 0,
        next_id: 1,
    };
    let mut reader = xml::reader(source);
    let mut head_end = None;
    loop {
        let (std::ops::Range { start: before, end: after }, event) = xml::next(&mut reader, path)?;
        match event {
            Event::Start(e) => marker.open(&e, before)?,
            Event::Empty(e) => {
                if alt_text {
                    marker.image(&e, before..after)?;
                }
                marker.open(&e, before)?;
                marker.close(after);
            }
            Event::End(e) => {
                if e.local_name().as_ref() == "head" {
                    head_end = Some(before);
                }
                marker.close(after);
            }
            Event::Text(text) => {
                for (offset, ch) in text.char_indices() {
                    let start = before + offset;
                    marker.push(ch, start, start + ch.len_utf8());
                }
            }
            Event::GeneralRef(reference) => {
                let name: &str = &reference;
                let resolved = xml::entity(name).ok_or_else(|| broken(&format!("unknown entity &{name};")))?;
                for ch in resolved.chars() {
                    marker.push(ch, before, after);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    marker.flush();
    let head_end = head_end.ok_or_else(|| BookError::Broken(format!("{path} has no <head>")))?;
    marker.changes.push((head_end..head_end, head_extra.to_string()));
    Ok(Marked { units: marker.units, text: xml::splice(source, marker.changes), unwrapped: marker.unwrapped })
}

impl Marker<'_> {
    fn unread(&self) -> bool {
        self.stack.last().is_some_and(|frame| frame.unread)
    }

    fn lang(&self) -> Option<String> {
        self.stack.iter().rev().find_map(|frame| frame.lang.clone())
    }

    fn open(&mut self, element: &BytesStart, at: usize) -> Result<(), BookError> {
        let name = xml::local_name(element).to_ascii_lowercase();
        let types = [xml::attribute(element, "epub:type", self.path)?, xml::attribute(element, "role", self.path)?];
        let unread_type = types.iter().flatten().flat_map(|t| t.split_whitespace()).any(|t| UNREAD_TYPES.contains(&t));
        let unread = self.unread() || UNREAD.contains(&name.as_str()) || unread_type;
        let lang = match xml::attribute(element, "xml:lang", self.path)? {
            Some(lang) => Some(lang),
            None => xml::attribute(element, "lang", self.path)?,
        };
        let inline = INLINE.contains(&name.as_str());
        if !inline {
            self.flush();
        }
        let inline = inline.then(|| {
            self.inlines.push(Inline { start: at, end: None, first: None, last: None });
            self.inlines.len() - 1
        });
        let ruby = match name.as_str() {
            "ruby" if !unread => {
                self.ruby_base = Some(self.atoms.len());
                Some(Ruby::Base)
            }
            "rt" if self.ruby_base.is_some() => {
                self.reading = Some(String::new());
                Some(Ruby::Reading)
            }
            _ => None,
        };
        self.stack.push(Frame { inline, unread, lang: lang.filter(|l| !l.is_empty()), ruby });
        Ok(())
    }

    fn close(&mut self, after: usize) {
        let Some(frame) = self.stack.pop() else { return };
        match frame.ruby {
            Some(Ruby::Base) => self.ruby_base = None,
            Some(Ruby::Reading) => self.read_ruby(),
            None => {}
        }
        match frame.inline {
            Some(index) => self.inlines[index].end = Some(after),
            None => self.flush(),
        }
    }

    /// Gives the ruby base read so far the reading just closed, if it is kana.
    fn read_ruby(&mut self) {
        let reading: String = self.reading.take().unwrap_or_default().split_whitespace().collect();
        let Some(base) = self.ruby_base.filter(|&base| base < self.atoms.len()) else { return };
        let kana = |c: char| matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}');
        if !reading.is_empty() && reading.chars().all(kana) {
            for atom in &mut self.atoms[base..] {
                atom.say = Say::Nothing;
            }
            self.atoms[base].say = Say::Reading(reading);
        }
        self.ruby_base = Some(self.atoms.len());
    }

    fn push(&mut self, ch: char, start: usize, end: usize) {
        if let Some(reading) = &mut self.reading {
            reading.push(ch);
            return;
        }
        if self.unread() {
            return;
        }
        if self.atoms.is_empty() {
            self.run_lang = self.lang();
        }
        let open: Vec<usize> = self.stack.iter().filter_map(|frame| frame.inline).collect();
        let index = self.atoms.len();
        if !ch.is_whitespace() {
            for &element in &open {
                let inline = &mut self.inlines[element];
                inline.first.get_or_insert(index);
                inline.last = Some(index);
            }
        }
        self.atoms.push(Atom { ch, start, end, open, say: Say::Itself });
    }

    /// Wraps the sentences of the run gathered so far, and starts a new one.
    fn flush(&mut self) {
        let atoms = std::mem::take(&mut self.atoms);
        // Inline elements still open stay open: later atoms belong to a new run.
        let lang = self.run_lang.take().or_else(|| self.fallback_lang.map(str::to_string));
        if atoms.iter().any(|atom| !atom.ch.is_whitespace()) {
            self.wrap(&atoms, lang);
        }
        let open: HashSet<usize> = self.stack.iter().filter_map(|frame| frame.inline).collect();
        for (index, inline) in self.inlines.iter_mut().enumerate() {
            if open.contains(&index) {
                // Cut by a block: it cannot be widened across.
                inline.first = None;
                inline.last = None;
                inline.start = usize::MAX;
            }
        }
    }

    /// Reads an image's alternative text as a unit of its own, the image
    /// wrapped: the text around it is cut there.
    fn image(&mut self, element: &BytesStart, at: std::ops::Range<usize>) -> Result<(), BookError> {
        if self.unread() || xml::local_name(element) != "img" {
            return Ok(());
        }
        let decorative =
            xml::attribute(element, "role", self.path)?.is_some_and(|r| r == "presentation" || r == "none");
        let alt = xml::attribute(element, "alt", self.path)?.unwrap_or_default();
        let alt = alt.split_whitespace().collect::<Vec<_>>().join(" ");
        if decorative || !crate::text::normalize::has_content(&alt) {
            return Ok(());
        }
        self.flush();
        let id = self.fresh_id();
        self.changes.push((at.start..at.start, format!("<span id=\"{id}\">")));
        self.changes.push((at.end..at.end, "</span>".to_string()));
        let lang = self.lang().or_else(|| self.fallback_lang.map(str::to_string));
        self.units.push(Unit { id, text: alt, lang });
        Ok(())
    }

    fn fresh_id(&mut self) -> String {
        loop {
            let id = format!("{}-{}", self.prefix, self.next_id);
            self.next_id += 1;
            if !self.taken.contains(&id) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests;
