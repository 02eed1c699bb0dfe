//! SSML 1.1 (the subset speech services share) into blocks, with a
//! streaming, non-expanding XML reader (quick-xml): a DTD is refused, so no
//! entity can be defined, let alone expanded, and nothing is fetched; only
//! XML's predefined entities and character references are read. Nesting and
//! size are capped.
//!
//! - `speak`, `p` and `s` give paragraphs and sentences;
//! - `voice` (by `name`, or `xml:lang`) and `lang` set a block's voice and
//!   language hint; `xml:lang` on any element is a language hint;
//! - `break` (`time`, or `strength`) ends a block with a pause of its own;
//! - `prosody` sets `rate` and `pitch` (named or relative); `volume` is
//!   accepted and not applied;
//! - `say-as` spells out `characters`, reads `telephone` digit by digit,
//!   and leaves numbers and dates to the engine;
//! - `sub` speaks its `alias`; `emphasis` and `phoneme` speak their text;
//! - `mark` is reported in the timings;
//! - `audio` is refused; the text of unknown elements is kept.
//!
//! A change of voice, language or prosody inside a paragraph starts a new
//! block, since those belong to blocks.

use super::{Block, BlockKind, IngestError, Speaking, TextMark};
use crate::text::normalize::{clean, has_content};
use crate::text::LangTag;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Deepest element nesting accepted.
pub(crate) const MAX_DEPTH: usize = 64;
/// Longest single `break`, in milliseconds.
const MAX_BREAK_MS: u32 = 10_000;

/// What the open elements say about the text inside them.
#[derive(Debug, Clone, Default, PartialEq)]
struct Context {
    lang: Option<LangTag>,
    voice: Option<String>,
    rate: Option<f32>,
    pitch: Option<f32>,
    say_as: Option<String>,
    /// Inside `sub`: its content is replaced by the alias.
    substituted: bool,
}

impl Context {
    /// What makes two runs of text belong to different blocks.
    fn speaking(&self) -> (Option<&LangTag>, Option<&String>, Option<u32>, Option<u32>) {
        let bits = |v: Option<f32>| v.map(f32::to_bits);
        (self.lang.as_ref(), self.voice.as_ref(), bits(self.rate), bits(self.pitch))
    }
}

/// The blocks being built.
#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    text: String,
    marks: Vec<TextMark>,
    /// The context of the text in `text`.
    context: Context,
}

impl Builder {
    fn push_text(&mut self, text: &str, context: &Context) {
        if context.substituted {
            return;
        }
        if has_content(text) && context.speaking() != self.context.speaking() {
            self.flush(None);
        }
        if has_content(text) || !self.text.is_empty() {
            if self.text.is_empty() {
                self.context = context.clone();
            }
            self.text.push_str(&spoken(text, context.say_as.as_deref()));
        }
    }

    /// Ends the current sentence (`</s>`) if its text has no closing punctuation.
    fn end_sentence(&mut self) {
        let trimmed = self.text.trim_end();
        if has_content(trimmed) && !trimmed.ends_with(['.', '!', '?', '。', '！', '？', '…']) {
            self.text.truncate(trimmed.len());
            self.text.push_str(". ");
        }
    }

    /// A mark at the end of the text so far: where the next word starts.
    fn mark(&mut self, name: String) {
        let before = clean(&self.text).chars().count();
        let gap = usize::from(before > 0 && self.text.ends_with(char::is_whitespace));
        self.marks.push(TextMark { name, offset: before + gap });
    }

    /// Ends the block being built; a pause goes after it (or after the
    /// previous block when there is no text yet).
    fn flush(&mut self, pause_ms: Option<u32>) {
        let text = clean(&self.text);
        if has_content(&text) {
            let context = std::mem::take(&mut self.context);
            self.blocks.push(Block {
                kind: BlockKind::Paragraph,
                text,
                lang: context.lang,
                speaking: Speaking {
                    voice: context.voice,
                    rate: context.rate,
                    pitch: context.pitch,
                    pause_after_ms: pause_ms,
                    marks: std::mem::take(&mut self.marks),
                },
            });
        } else if let (Some(pause), Some(last)) = (pause_ms, self.blocks.last_mut()) {
            let total = last.speaking.pause_after_ms.unwrap_or(0).saturating_add(pause);
            last.speaking.pause_after_ms = Some(total.min(MAX_BREAK_MS));
        }
        self.text.clear();
    }
}

pub(super) fn parse(input: &str) -> Result<Vec<Block>, IngestError> {
    let invalid = |detail: String| IngestError::Ssml(detail);
    let mut reader = Reader::from_str(input);
    let mut stack: Vec<Context> = Vec::new();
    let mut builder = Builder::default();
    let mut saw_speak = false;
    loop {
        let event = reader.read_event().map_err(|e| invalid(format!("not well-formed XML: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(invalid(
                    "a DOCTYPE is not accepted: SSML needs no DTD, and entities are not expanded".into(),
                ))
            }
            Event::Start(element) | Event::Empty(element)
                if stack.is_empty() && element.local_name().as_ref() != "speak" =>
            {
                return Err(invalid("the root element must be <speak>".into()));
            }
            Event::Start(element) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(IngestError::TooDeep(MAX_DEPTH));
                }
                saw_speak = true;
                let parent = stack.last().cloned().unwrap_or_default();
                let context = open(&element, parent, &mut builder)?;
                stack.push(context);
            }
            Event::Empty(element) => {
                saw_speak = true;
                let parent = stack.last().cloned().unwrap_or_default();
                open(&element, parent, &mut builder)?;
                close(element.local_name().as_ref(), &mut builder);
            }
            Event::End(element) => {
                stack.pop();
                close(element.local_name().as_ref(), &mut builder);
            }
            Event::Text(text) => builder.push_text(&text.xml10_content(), &stack.last().cloned().unwrap_or_default()),
            Event::CData(data) => {
                builder.push_text(&data.into_inner(), &stack.last().cloned().unwrap_or_default());
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = reference.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| invalid(format!("the entity `&{name};` is not defined (SSML has no DTD)")))?
                            .to_string()
                    }
                    Err(e) => return Err(invalid(format!("bad character reference: {e}"))),
                };
                builder.push_text(&resolved, &stack.last().cloned().unwrap_or_default());
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !saw_speak {
        return Err(invalid("there is no <speak> element".into()));
    }
    builder.flush(None);
    Ok(builder.blocks)
}

/// The context inside `element`, and what opening it does to the blocks.
fn open(element: &BytesStart<'_>, parent: Context, builder: &mut Builder) -> Result<Context, IngestError> {
    let mut context = Context { say_as: None, ..parent };
    if let Some(lang) = attribute(element, "xml:lang").and_then(|l| LangTag::parse(&l).ok()) {
        context.lang = Some(lang);
    }
    match element.local_name().as_ref() {
        "p" => builder.flush(None),
        "voice" => {
            if let Some(name) = attribute(element, "name") {
                context.voice = Some(name);
            }
        }
        "prosody" => {
            if let Some(rate) = attribute(element, "rate").and_then(|r| relative(&r, RATES)) {
                context.rate = Some(rate);
            }
            if let Some(pitch) = attribute(element, "pitch").and_then(|p| relative(&p, PITCHES)) {
                context.pitch = Some(pitch);
            }
        }
        "say-as" => context.say_as = attribute(element, "interpret-as"),
        "sub" => {
            if let Some(alias) = attribute(element, "alias") {
                builder.push_text(&alias, &context);
            }
            context.substituted = true;
        }
        "break" => builder.flush(Some(break_ms(element))),
        "mark" => {
            if let Some(name) = attribute(element, "name") {
                builder.mark(name);
            }
        }
        "audio" => return Err(IngestError::Ssml("<audio> is not supported: Herald speaks text only".into())),
        _ => {}
    }
    Ok(context)
}

fn close(name: &str, builder: &mut Builder) {
    match name {
        "s" => builder.end_sentence(),
        "p" => builder.flush(None),
        _ => {}
    }
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    let attribute = element.try_get_attribute(name).ok().flatten()?;
    attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.trim().to_string())
}

const RATES: &[(&str, f32)] = &[("x-slow", 0.5), ("slow", 0.75), ("medium", 1.0), ("fast", 1.5), ("x-fast", 2.0)];
const PITCHES: &[(&str, f32)] = &[("x-low", 0.6), ("low", 0.8), ("medium", 1.0), ("high", 1.2), ("x-high", 1.4)];

/// A prosody value as a factor of normal: a name, `N%` (of normal), or
/// `+N%`/`-N%` (relative change). Absolute units (Hz, wpm) are not read.
fn relative(value: &str, names: &[(&str, f32)]) -> Option<f32> {
    if let Some((_, factor)) = names.iter().find(|(name, _)| *name == value) {
        return Some(*factor);
    }
    if value == "default" {
        return Some(1.0);
    }
    let percent: f32 = value.strip_suffix('%')?.trim_start_matches('+').parse().ok()?;
    let factor = if value.starts_with(['+', '-']) { 1.0 + percent / 100.0 } else { percent / 100.0 };
    (factor > 0.0 && factor.is_finite()).then_some(factor)
}

/// A `break`'s length: `time` (`500ms`, `1.5s`), else its `strength`.
fn break_ms(element: &BytesStart<'_>) -> u32 {
    let from_time = attribute(element, "time").and_then(|t| {
        let (number, scale) = match t.strip_suffix("ms") {
            Some(ms) => (ms, 1.0),
            None => (t.strip_suffix('s')?, 1000.0),
        };
        number.trim().parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0).map(|n| n * scale)
    });
    let ms = from_time.unwrap_or_else(|| match attribute(element, "strength").as_deref() {
        Some("none") => 0.0,
        Some("x-weak") => 100.0,
        Some("weak") => 250.0,
        Some("strong") => 750.0,
        Some("x-strong") => 1200.0,
        _ => 500.0,
    });
    ms.min(f64::from(MAX_BREAK_MS)) as u32
}

/// Text as it is to be spoken under `say-as`.
fn spoken(text: &str, say_as: Option<&str>) -> String {
    match say_as {
        Some("characters" | "spell-out" | "verbatim") => spaced(text.chars().filter(|c| !c.is_whitespace())),
        Some("telephone") => spaced(text.chars().filter(char::is_ascii_digit)),
        _ => text.to_string(),
    }
}

fn spaced(chars: impl Iterator<Item = char>) -> String {
    let spaced: Vec<String> = chars.map(String::from).collect();
    format!(" {} ", spaced.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(blocks: &[Block]) -> Vec<&str> {
        blocks.iter().map(|b| b.text.as_str()).collect()
    }

    #[test]
    fn paragraphs_languages_voices_and_breaks() {
        let blocks = parse(
            r#"<speak xml:lang="en"><p>Hello there.<break time="1.5s"/>Again &amp; again.</p>
               <p><voice name="espeak:fr"><lang xml:lang="fr">Bonjour à tous.</lang></voice></p></speak>"#,
        )
        .unwrap();
        assert_eq!(texts(&blocks), ["Hello there.", "Again & again.", "Bonjour à tous."]);
        assert_eq!(blocks[0].speaking.pause_after_ms, Some(1500));
        assert_eq!(blocks[0].lang.as_ref().map(LangTag::as_str), Some("en"));
        assert_eq!(blocks[2].lang.as_ref().map(LangTag::as_str), Some("fr"));
        assert_eq!(blocks[2].speaking.voice.as_deref(), Some("espeak:fr"));
    }

    #[test]
    fn say_as_sub_prosody_and_marks() {
        let blocks = parse(
            r#"<speak><s>Call <say-as interpret-as="telephone">555-0100</say-as></s>
               <s><sub alias="World Health Organization">WHO</sub> says <say-as interpret-as="characters">ABC</say-as></s>
               <prosody rate="slow" pitch="+10%">Slowly <mark name="here"/>now.</prosody></speak>"#,
        )
        .unwrap();
        assert_eq!(texts(&blocks[..1]), ["Call 5 5 5 0 1 0 0. World Health Organization says A B C."]);
        let slow = &blocks[1];
        assert_eq!((slow.speaking.rate, slow.speaking.pitch), (Some(0.75), Some(1.1)));
        assert_eq!(slow.speaking.marks, [TextMark { name: "here".into(), offset: 7 }]);
    }

    #[test]
    fn refuses_dtds_unknown_entities_audio_and_depth() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><speak>&lol2;</speak>"#;
        assert!(matches!(parse(bomb), Err(IngestError::Ssml(d)) if d.contains("DOCTYPE")));
        assert!(matches!(parse("<speak>&ext;</speak>"), Err(IngestError::Ssml(d)) if d.contains("&ext;")));
        assert!(matches!(parse(r#"<speak><audio src="x.wav"/></speak>"#), Err(IngestError::Ssml(_))));
        let deep = format!("<speak>{}x{}</speak>", "<s>".repeat(100), "</s>".repeat(100));
        assert_eq!(parse(&deep), Err(IngestError::TooDeep(MAX_DEPTH)));
        assert!(matches!(parse("<p>no speak</p>"), Err(IngestError::Ssml(_))));
        assert!(matches!(parse("<speak><p>mismatched</s></speak>"), Err(IngestError::Ssml(_))));
    }
}
