//! HTML parser (html5ever, through `scraper`): the main content (the first
//! `article`, else `main`, else the body) becomes blocks — headings,
//! paragraphs, list items, quotes — each with the `lang` of its nearest
//! element that has one. Only text is kept: scripts, styles, event handlers,
//! URLs and embedded objects never leave this module. The walk is iterative,
//! so deeply nested input cannot exhaust the stack.

use super::{BlockKind, IngestError, RawBlock};
use crate::text::normalize::{clean, has_content};
use crate::text::LangTag;
use ego_tree::iter::Edge;
use scraper::{Html, Node, Selector};

/// Elements whose content is never spoken.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "nav", "aside", "form", "button", "select", "textarea",
    "iframe", "object", "embed", "canvas", "audio", "video", "head", "title",
];

/// Elements that start a block of their own.
fn block_kind(name: &str) -> Option<BlockKind> {
    Some(match name {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => BlockKind::Heading { level: name[1..].parse().unwrap_or(2) },
        "p" | "pre" | "dt" | "dd" | "figcaption" | "caption" | "td" | "th" | "div" | "section" | "address" => {
            BlockKind::Paragraph
        }
        "li" => BlockKind::ListItem,
        "blockquote" => BlockKind::Quote,
        _ => return None,
    })
}

/// Deepest element nesting accepted. The HTML tree builder does work
/// proportional to the depth for every element, so unbounded depth would
/// mean quadratic time; real pages stay far below this.
pub(crate) const MAX_DEPTH: usize = 512;

pub(super) fn parse(input: &str) -> Result<Vec<RawBlock>, IngestError> {
    if nesting_depth(input) > MAX_DEPTH {
        return Err(IngestError::TooDeep(MAX_DEPTH));
    }
    let html = Html::parse_document(input);
    let root = ["article", "main", "[role=main]", "body"]
        .iter()
        .find_map(|css| html.select(&Selector::parse(css).expect("static selector")).next())
        .map_or_else(|| html.tree.root(), |element| *element);
    let mut walker = Walker::default();
    // Language inherited from outside the content root.
    let inherited =
        root.ancestors().filter_map(|n| n.value().as_element()).find_map(lang_attribute).and_then(parse_lang);
    walker.langs.push(inherited);
    let mut skipping = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(element) => {
                    let name = element.name();
                    if skipping > 0 || SKIPPED.contains(&name) {
                        skipping += 1;
                        continue;
                    }
                    let lang = lang_attribute(element).map_or_else(|| walker.lang(), parse_lang);
                    walker.langs.push(lang);
                    match (name, block_kind(name)) {
                        ("br", _) => walker.text.push(' '),
                        (_, Some(kind)) => walker.open(kind),
                        _ => {}
                    }
                }
                Node::Text(text) if skipping == 0 => walker.text.push_str(text),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(element) = node.value() {
                    if skipping > 0 {
                        skipping -= 1;
                        continue;
                    }
                    if block_kind(element.name()).is_some() {
                        walker.close();
                    }
                    walker.langs.pop();
                }
            }
        }
    }
    walker.flush();
    let mut blocks = walker.blocks;
    // A page without an h1 in its content is titled by its <title>.
    let has_h1 = blocks.iter().any(|b| b.kind == BlockKind::Heading { level: 1 });
    let title = html
        .select(&Selector::parse("head > title").expect("static selector"))
        .next()
        .map(|t| clean(&t.text().collect::<String>()));
    if let (false, Some(title)) = (has_h1, title.filter(|t| has_content(t))) {
        blocks.insert(
            0,
            RawBlock {
                kind: BlockKind::Heading { level: 1 },
                text: title,
                single_line: true,
                lang: walker.langs.first().cloned().flatten(),
            },
        );
    }
    Ok(blocks)
}

/// A fast lexical estimate of the deepest element nesting: start tags open,
/// end tags close; void elements, self-closing tags and elements that HTML
/// closes implicitly (`p`, `li`, …) do not count.
fn nesting_depth(input: &str) -> usize {
    const FLAT: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
        "p", "li", "dt", "dd", "option", "tr", "td", "th", "html", "head", "body",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = input.as_bytes();
    for (at, _) in input.match_indices('<') {
        let rest = &bytes[at + 1..];
        let closing = rest.first() == Some(&b'/');
        let name_start = if closing { &rest[1..] } else { rest };
        let len = name_start.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if len == 0 || !name_start[0].is_ascii_alphabetic() {
            continue;
        }
        let name = String::from_utf8_lossy(&name_start[..len]).to_ascii_lowercase();
        if FLAT.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let tag_end = name_start.iter().position(|&b| b == b'>').unwrap_or(name_start.len());
            if tag_end == 0 || name_start[tag_end - 1] != b'/' {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
    }
    deepest
}

/// An element's language: `lang`, else the XHTML `xml:lang`.
fn lang_attribute(element: &scraper::node::Element) -> Option<&str> {
    element.attr("lang").or_else(|| element.attr("xml:lang"))
}

fn parse_lang(raw: &str) -> Option<LangTag> {
    LangTag::parse(raw).ok()
}

/// Accumulates text into blocks while walking the tree.
#[derive(Default)]
struct Walker {
    blocks: Vec<RawBlock>,
    /// Open block kinds, innermost last; text goes to the innermost.
    open: Vec<BlockKind>,
    text: String,
    /// The `lang` in force at each open element.
    langs: Vec<Option<LangTag>>,
}

impl Walker {
    fn lang(&self) -> Option<LangTag> {
        self.langs.last().cloned().flatten()
    }

    /// A nested block ends the text of its parent so far (e.g. a `p` inside
    /// a `div`); a list item or quote keeps its kind for nested paragraphs.
    fn open(&mut self, kind: BlockKind) {
        self.flush();
        let inherited = match (self.open.last(), kind) {
            (Some(outer @ (BlockKind::ListItem | BlockKind::Quote)), BlockKind::Paragraph) => *outer,
            _ => kind,
        };
        self.open.push(inherited);
    }

    fn close(&mut self) {
        self.flush();
        self.open.pop();
    }

    fn flush(&mut self) {
        let text = clean(&self.text);
        self.text.clear();
        if has_content(&text) {
            let kind = self.open.last().copied().unwrap_or(BlockKind::Paragraph);
            self.blocks.push(RawBlock { kind, text, single_line: true, lang: self.lang() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<(BlockKind, String, Option<String>)> {
        parse(html).unwrap().into_iter().map(|b| (b.kind, b.text, b.lang.map(|l| l.to_string()))).collect()
    }

    #[test]
    fn extracts_the_article_with_languages() {
        let html = r#"<!doctype html><html lang="en"><head><title>Site</title><style>p{}</style></head>
            <body><nav><a href="/">Home</a></nav>
            <article><h1>Joint <em>statement</em></h1>
            <p>First paragraph,<br>on two lines.</p>
            <p lang="fr">Deuxième paragraphe.</p>
            <ul><li>One <b>item</b></li><li><p>Item paragraph</p></li></ul>
            <blockquote><p>Quoted.</p></blockquote>
            <script>alert(1)</script><p onclick="alert(2)">Clicked <a href="javascript:alert(3)">link</a>.</p>
            </article><footer>Footer</footer></body></html>"#;
        let en = Some("en".to_string());
        assert_eq!(
            blocks(html),
            [
                (BlockKind::Heading { level: 1 }, "Joint statement".into(), en.clone()),
                (BlockKind::Paragraph, "First paragraph, on two lines.".into(), en.clone()),
                (BlockKind::Paragraph, "Deuxième paragraphe.".into(), Some("fr".into())),
                (BlockKind::ListItem, "One item".into(), en.clone()),
                (BlockKind::ListItem, "Item paragraph".into(), en.clone()),
                (BlockKind::Quote, "Quoted.".into(), en.clone()),
                (BlockKind::Paragraph, "Clicked link.".into(), en.clone()),
            ]
        );
    }

    #[test]
    fn reads_xhtml_xml_lang() {
        let got = blocks(
            r#"<html xml:lang="da"><body><p>Velkommen.</p><p xml:lang="sv" lang="nb">Velkommen.</p></body></html>"#,
        );
        assert_eq!(got[0].2.as_deref(), Some("da"));
        assert_eq!(got[1].2.as_deref(), Some("nb"), "lang wins over xml:lang");
    }

    #[test]
    fn falls_back_to_body_and_title() {
        let got = blocks("<html><head><title>Page title</title></head><body><div>Loose text</div></body></html>");
        assert_eq!(got[0].1, "Page title");
        assert_eq!(got[1], (BlockKind::Paragraph, "Loose text".into(), None));
    }

    #[test]
    fn refuses_deep_nesting_and_accepts_flat_pages() {
        let nested = |depth| format!("{}deep{}", "<div>".repeat(depth), "</div>".repeat(depth));
        assert_eq!(blocks(&nested(MAX_DEPTH - 10)).len(), 1);
        assert!(matches!(parse(&nested(50_000)), Err(IngestError::TooDeep(_))));
        // Thousands of unclosed paragraphs or self-closed tags are not depth.
        let flat = format!("<body>{}{}</body>", "<p>para ".repeat(5_000), "<span/>".repeat(5_000));
        assert_eq!(nesting_depth(&flat), 0);
        assert_eq!(nesting_depth("<div><span>a</span><b>c</b></div>"), 2);
    }
}
