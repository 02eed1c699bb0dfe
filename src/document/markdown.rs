//! Markdown parser (CommonMark through `pulldown-cmark`): headings, paragraphs,
//! list items and block quotes become blocks; emphasis and links keep their
//! text; raw HTML and images are dropped (never spoken, never rendered).

use super::{BlockKind, RawBlock};
use crate::text::normalize::{clean, has_content};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

pub(super) fn parse(input: &str) -> Vec<RawBlock> {
    let mut blocks = Vec::new();
    let mut text = String::new();
    let mut kind: Option<BlockKind> = None;
    let mut lines = 1;
    let mut quote_depth = 0;
    let mut item_depth = 0;
    let mut image_depth = 0;
    let mut flush = |kind: &mut Option<BlockKind>, text: &mut String, lines: &mut usize| {
        let cleaned = clean(text);
        if let Some(k) = kind.take() {
            if has_content(&cleaned) {
                blocks.push(RawBlock { kind: k, text: cleaned, single_line: *lines == 1, lang: None });
            }
        }
        text.clear();
        *lines = 1;
    };
    for event in Parser::new(input) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut kind, &mut text, &mut lines);
                kind = Some(BlockKind::Heading { level: level as u8 });
            }
            Event::Start(Tag::Paragraph | Tag::CodeBlock(_)) if kind.is_none() => {
                kind = Some(match (item_depth, quote_depth) {
                    (d, _) if d > 0 => BlockKind::ListItem,
                    (_, q) if q > 0 => BlockKind::Quote,
                    _ => BlockKind::Paragraph,
                });
            }
            Event::Start(Tag::Item) => {
                flush(&mut kind, &mut text, &mut lines);
                item_depth += 1;
                kind = Some(BlockKind::ListItem);
            }
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth -= 1,
            Event::Start(Tag::Image { .. }) => image_depth += 1,
            Event::End(TagEnd::Image) => image_depth -= 1,
            Event::End(TagEnd::Item) => {
                flush(&mut kind, &mut text, &mut lines);
                item_depth -= 1;
            }
            Event::End(TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::CodeBlock) if item_depth == 0 => {
                flush(&mut kind, &mut text, &mut lines)
            }
            Event::End(TagEnd::Paragraph) => text.push(' '),
            Event::Text(t) | Event::Code(t) if image_depth == 0 => {
                if kind.is_none() {
                    kind = Some(BlockKind::Paragraph);
                }
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => {
                lines += 1;
                text.push(' ');
            }
            _ => {}
        }
    }
    flush(&mut kind, &mut text, &mut lines);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_structure_and_drops_html() {
        let md = "# Title\n\nSome *emphasised* text\nwrapped.\n\n- one\n- two [link](http://x)\n\n> quoted\n\n<script>alert(1)</script>\n\n![alt text](x.png)";
        let got: Vec<(BlockKind, String)> = parse(md).into_iter().map(|b| (b.kind, b.text)).collect();
        assert_eq!(
            got,
            [
                (BlockKind::Heading { level: 1 }, "Title".into()),
                (BlockKind::Paragraph, "Some emphasised text wrapped.".into()),
                (BlockKind::ListItem, "one".into()),
                (BlockKind::ListItem, "two link".into()),
                (BlockKind::Quote, "quoted".into()),
            ]
        );
    }
}
