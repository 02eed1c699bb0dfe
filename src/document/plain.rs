//! Plain-text parser: blank lines separate paragraphs, hard-wrapped lines are
//! joined, list items (`-`, `*`, `•`, `1.`, `a)`) stay separate items, and
//! lines with no letters or digits are dropped as page furniture.

use super::{BlockKind, RawBlock};
use crate::text::normalize::{clean, clean_keep_lines, has_content};

pub(super) fn parse(input: &str) -> Vec<RawBlock> {
    let text = clean_keep_lines(input);
    let mut blocks = Vec::new();
    for group in text.split('\n').collect::<Vec<_>>().split(|line| line.trim().is_empty()) {
        let lines: Vec<&str> = group.iter().copied().filter(|l| has_content(l)).collect();
        if lines.is_empty() {
            continue;
        }
        let single_line = lines.len() == 1;
        let mut current: Option<RawBlock> = None;
        for line in lines {
            match strip_list_marker(line) {
                Some(item) => {
                    blocks.extend(current.take());
                    current = Some(RawBlock { kind: BlockKind::ListItem, text: clean(item), single_line, lang: None });
                }
                None => match current.as_mut() {
                    Some(block) => {
                        block.text.push(' ');
                        block.text.push_str(&clean(line));
                    }
                    None => {
                        current =
                            Some(RawBlock { kind: BlockKind::Paragraph, text: clean(line), single_line, lang: None })
                    }
                },
            }
        }
        blocks.extend(current);
    }
    blocks
}

/// The text of a list item without its marker, or `None` for other lines.
fn strip_list_marker(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    for bullet in ['-', '*', '•', '‣', '◦', '▪', '–', '·'] {
        if let Some(rest) = trimmed.strip_prefix(bullet) {
            if rest.starts_with(char::is_whitespace) {
                return Some(rest.trim());
            }
        }
    }
    // "1." "12)" "a)" followed by a space.
    let marker_len = trimmed.find(|c: char| !c.is_ascii_alphanumeric())?;
    let marker = &trimmed[..marker_len];
    let numbered = (1..=3).contains(&marker.len()) && marker.chars().all(|c| c.is_ascii_digit());
    let lettered = marker.len() == 1 && marker.chars().all(|c| c.is_ascii_lowercase());
    let rest = &trimmed[marker_len..];
    let after = rest.strip_prefix('.').filter(|_| numbered).or_else(|| rest.strip_prefix(')'))?;
    ((numbered || lettered) && after.starts_with(char::is_whitespace)).then(|| after.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds_and_texts(input: &str) -> Vec<(BlockKind, String)> {
        parse(input).into_iter().map(|b| (b.kind, b.text)).collect()
    }

    #[test]
    fn joins_hard_wrapped_lines_and_splits_on_blank_lines() {
        let got = kinds_and_texts("First line\nwrapped here.\n\n  \nSecond paragraph.");
        assert_eq!(
            got,
            [
                (BlockKind::Paragraph, "First line wrapped here.".into()),
                (BlockKind::Paragraph, "Second paragraph.".into())
            ]
        );
    }

    #[test]
    fn keeps_list_items_and_drops_furniture() {
        let got = kinds_and_texts("Intro:\n- one\n  continued\n* two\n1. three\n  • |\n———");
        assert_eq!(
            got,
            [
                (BlockKind::Paragraph, "Intro:".into()),
                (BlockKind::ListItem, "one continued".into()),
                (BlockKind::ListItem, "two".into()),
                (BlockKind::ListItem, "three".into()),
            ]
        );
    }

    #[test]
    fn numbers_are_not_list_markers_without_a_space() {
        assert_eq!(strip_list_marker("3.5 percent"), None);
        assert_eq!(strip_list_marker("2023. It was"), None);
        assert_eq!(strip_list_marker("a) first"), Some("first"));
    }
}
