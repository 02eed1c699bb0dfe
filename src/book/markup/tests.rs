//! Sentence wrapping, on small documents.

use super::*;

fn marked(body: &str) -> Marked {
    let source = format!(
        "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\"><head><title>T</title></head><body>{body}</body></html>"
    );
    marked_with(&source, false)
}

fn marked_with(source: &str, alt_text: bool) -> Marked {
    let marking = Marking { prefix: "s", fallback_lang: None, head_extra: "<link/>", alt_text };
    mark("c.xhtml", source, &marking).unwrap()
}

fn body(marked: &Marked) -> &str {
    let start = marked.text.find("<body>").unwrap() + 6;
    &marked.text[start..marked.text.find("</body>").unwrap()]
}

#[test]
fn every_sentence_is_wrapped_and_the_markup_kept() {
    let m = marked("<h1>One title</h1><p>First sentence here. Second <em>one</em> is here.</p>");
    assert_eq!(
        body(&m),
        "<h1><span id=\"s-1\">One title</span></h1><p><span id=\"s-2\">First sentence here.</span> <span id=\"s-3\">Second <em>one</em> is here.</span></p>"
    );
    let texts: Vec<&str> = m.units.iter().map(|u| u.text.as_str()).collect();
    assert_eq!(texts, ["One title", "First sentence here.", "Second one is here."]);
    assert_eq!(m.units[0].lang.as_deref(), Some("en"));
    assert!(m.text.contains("<link/></head>"));
}

#[test]
fn sentences_widen_to_whole_elements_or_join_when_markup_cuts_them() {
    let m = marked("<p><em>All of this.</em> Then more.</p>");
    assert_eq!(body(&m), "<p><em><span id=\"s-1\">All of this.</span></em> <span id=\"s-2\">Then more.</span></p>");
    let m = marked("<p><em>All</em> <b>of this.</b></p>");
    assert_eq!(body(&m), "<p><span id=\"s-1\"><em>All</em> <b>of this.</b></span></p>");
    let m = marked("<p>Start <b>here. And</b> end.</p>");
    assert_eq!(body(&m), "<p><span id=\"s-1\">Start <b>here. And</b> end.</span></p>");
    assert_eq!(m.units[0].text, "Start here. And end.");
}

#[test]
fn notes_page_breaks_and_ruby_readings_are_not_read() {
    let m = marked(
        "<p>Text<a epub:type=\"noteref\" href=\"#n1\">1</a> goes on.<span role=\"doc-pagebreak\" id=\"p7\">7</span></p>\
         <aside epub:type=\"footnote\" id=\"n1\"><p>A note.</p></aside><p><ruby>漢<rt>かん</rt></ruby>字。</p>",
    );
    let texts: Vec<&str> = m.units.iter().map(|u| u.text.as_str()).collect();
    assert_eq!(texts, ["Text goes on.", "かん字。"], "a kana reading is spoken for its base");
    assert!(body(&m).contains("<ruby>漢<rt>かん</rt></ruby>字。</span>"), "the text shown is kept");
    let m = marked("<p><ruby><rb>東京</rb><rp>(</rp><rt>とうきょう</rt><rp>)</rp></ruby>へ。<ruby>北京<rt>Běijīng</rt></ruby>。</p>");
    assert_eq!(m.units[0].text, "とうきょうへ。");
    assert_eq!(m.units[1].text, "北京。", "a reading that is not kana is not spoken");
}

#[test]
fn ids_the_document_uses_are_not_reused_and_entities_count_whole() {
    let m = marked("<p id=\"s-1\">Caf&eacute; &amp; th&#xE9;.</p>");
    assert_eq!(m.units[0].id, "s-2");
    assert_eq!(m.units[0].text, "Café & thé.");
    assert!(body(&m).contains("<span id=\"s-2\">Caf&eacute; &amp; th&#xE9;.</span>"));
}

#[test]
fn alternative_text_is_read_where_the_book_says_it_has_it() {
    let body = "<p>Look: <img src=\"a.png\" alt=\"A red  kite.\"/> It flies.</p><img src=\"b.png\" alt=\"\"/>";
    let source =
        format!("<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>T</title></head><body>{body}</body></html>");
    let texts = |m: &Marked| m.units.iter().map(|u| u.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&marked_with(&source, false)), ["Look: It flies."]);
    let read = marked_with(&source, true);
    assert_eq!(texts(&read), ["Look:", "A red kite.", "It flies."]);
    assert!(read.text.contains("<span id=\"s-2\"><img src=\"a.png\" alt=\"A red  kite.\"/></span>"));
}
