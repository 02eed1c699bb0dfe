//! Reads the head of a document: the title, the byline, dated lines and
//! editorial notes ("(As delivered)", "[Check against delivery]").
//!
//! Only blocks before the first body paragraph are considered, so a date or a
//! parenthesis inside the speech stays part of the speech.

use super::{Block, BlockKind, Document, MetaKind, MetaLine, RawBlock};

/// Longest line that can be a title, in characters.
const MAX_TITLE_CHARS: usize = 150;
/// Longest line that can be a byline, date or note, in characters.
const MAX_META_CHARS: usize = 200;

pub(super) fn split(raw: Vec<RawBlock>) -> Document {
    let mut rest = raw.into_iter().peekable();
    let title = match rest.peek() {
        Some(first) if is_title(first) => rest.next().map(|b| b.text),
        _ => None,
    };
    let mut meta = Vec::new();
    while let Some(kind) = rest.peek().and_then(meta_kind) {
        let block = rest.next().expect("peeked");
        meta.push(MetaLine { kind, text: trim_separators(&block.text).to_string() });
    }
    let blocks =
        rest.map(|b| Block { kind: b.kind, text: b.text, lang: b.lang, speaking: Default::default() }).collect();
    Document { title, meta, blocks }
}

fn is_title(block: &RawBlock) -> bool {
    match block.kind {
        BlockKind::Heading { level: 1 } => true,
        BlockKind::Paragraph => {
            block.single_line
                && block.text.chars().count() <= MAX_TITLE_CHARS
                && !block.text.ends_with(['.', ',', ';', ':'])
        }
        _ => false,
    }
}

fn meta_kind(block: &RawBlock) -> Option<MetaKind> {
    let text = trim_separators(&block.text);
    if matches!(block.kind, BlockKind::Heading { .. }) || text.chars().count() > MAX_META_CHARS {
        return None;
    }
    let lower = text.to_lowercase();
    // "By the time we met, …" is a sentence, not a byline.
    if lower.starts_with("by ") && !text.ends_with(['.', '!', '?']) {
        Some(MetaKind::Byline)
    } else if is_note(text) {
        Some(MetaKind::Note)
    } else if is_date_line(&lower) {
        Some(MetaKind::Date)
    } else {
        None
    }
}

/// An editorial note: the whole line is in parentheses or brackets.
fn is_note(text: &str) -> bool {
    let wrapped = |open: char, close: char| text.starts_with(open) && text.ends_with(close);
    (wrapped('(', ')') || wrapped('[', ']')) && text.chars().count() <= 120
}

/// A short line with a year in it ("04 Apr. 2023", "Last updated 05 Apr.
/// 2023 10:30", "2023-04-05"), or one that announces a date and has a
/// number in it ("Posted 5 April"; "Posted while we met." is a sentence).
fn is_date_line(lower: &str) -> bool {
    const ANNOUNCERS: &[&str] = &["updated", "last updated", "published", "posted", "date:"];
    let words = lower.split_whitespace().count();
    let has_year = lower
        .split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() == 4 && (run.starts_with("19") || run.starts_with("20")));
    let announced = ANNOUNCERS.iter().any(|a| lower.starts_with(a)) && lower.contains(|c: char| c.is_ascii_digit());
    words <= 10 && (has_year || announced)
}

/// Removes the separators page templates put around metadata ("04 Apr. 2023 -").
fn trim_separators(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | '|' | '•' | '·'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: BlockKind, text: &str, single_line: bool) -> RawBlock {
        RawBlock { kind, text: text.into(), single_line, lang: None }
    }

    #[test]
    fn regression_a_date_line_ate_the_sentence_posted_while_the_database_is_away() {
        for line in ["Posted while the database is away, then again.", "By the time we met, the war had begun."] {
            let doc = split(vec![raw(BlockKind::Paragraph, line, true)]);
            assert!(doc.meta.is_empty(), "{line}: {:?}", doc.meta);
        }
        let doc = split(vec![
            raw(BlockKind::Paragraph, "Joint statement", true),
            raw(BlockKind::Paragraph, "Posted 5 April", true),
            raw(BlockKind::Paragraph, "We met.", true),
        ]);
        assert_eq!(doc.meta.iter().map(|m| m.kind).collect::<Vec<_>>(), [MetaKind::Date]);
    }

    #[test]
    fn lifts_title_byline_dates_and_notes() {
        let doc = split(vec![
            raw(BlockKind::Paragraph, "Joint statement", true),
            raw(BlockKind::Paragraph, "by the Secretary General", true),
            raw(BlockKind::ListItem, "04 Apr. 2023 -", true),
            raw(BlockKind::ListItem, "Last updated 05 Apr. 2023 10:30", true),
            raw(BlockKind::Paragraph, "(As delivered)", true),
            raw(BlockKind::Paragraph, "Minister,", true),
            raw(BlockKind::Paragraph, "(Applause) In 2023 we met.", true),
        ]);
        assert_eq!(doc.title.as_deref(), Some("Joint statement"));
        let meta: Vec<(MetaKind, &str)> = doc.meta.iter().map(|m| (m.kind, m.text.as_str())).collect();
        assert_eq!(
            meta,
            [
                (MetaKind::Byline, "by the Secretary General"),
                (MetaKind::Date, "04 Apr. 2023"),
                (MetaKind::Date, "Last updated 05 Apr. 2023 10:30"),
                (MetaKind::Note, "(As delivered)"),
            ]
        );
        assert_eq!(doc.blocks.len(), 2);
    }

    #[test]
    fn a_sentence_is_not_a_title() {
        let doc = split(vec![raw(BlockKind::Paragraph, "Just one sentence.", true)]);
        assert_eq!(doc.title, None);
        assert_eq!(doc.blocks.len(), 1);
    }
}
