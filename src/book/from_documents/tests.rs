//! The EPUB of statements: its files, its package, and how blocks, text
//! and languages come out in its content documents.

use super::*;
use crate::book::epub::Container;
use crate::book::package::Package;

fn statement(name: &str, text: &str) -> Statement {
    Statement::from_bytes(name, text.as_bytes()).unwrap()
}

fn open(epub: &[u8]) -> (Container, Package) {
    let container = Container::read(epub).unwrap();
    let path = container.package_path().unwrap();
    let package = Package::parse(&path, container.text(&path).unwrap()).unwrap();
    (container, package)
}

const ENGLISH: &str = "Herald reads statements aloud, sentence by sentence, in the voice of their language. \
                       It keeps the text and the audio in step.";
const FRENCH: &str = "Le ministre a rappelé que la coopération entre les deux pays reste essentielle pour la paix.";

#[test]
fn the_epub_has_its_files_in_order_and_a_valid_package() {
    let statements = || vec![statement("b.md", &format!("# Two\n\n{ENGLISH}")), statement("a.txt", ENGLISH)];
    let book = epub("Book", statements()).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&book)).unwrap();
    let first = zip.by_index(0).unwrap();
    assert_eq!((first.name().unwrap(), first.compression()), ("mimetype".into(), zip::CompressionMethod::Stored));
    drop(first);
    let (container, package) = open(&book);
    let mut names: Vec<&str> = container.files().map(|(name, _)| name).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "EPUB/nav.xhtml",
            "EPUB/package.opf",
            "EPUB/text/a.xhtml",
            "EPUB/text/b.xhtml",
            "META-INF/container.xml",
            "mimetype"
        ]
    );
    assert!(package.is_epub3());
    assert_eq!(package.title.as_deref(), Some("Book"), "several statements: the name given");
    assert_eq!(package.languages, ["en"]);
    let order: Vec<&str> = package.reading_order().iter().map(|item| item.path.as_str()).collect();
    assert_eq!(order, ["EPUB/text/b.xhtml", "EPUB/text/a.xhtml"], "the order given");
    assert_eq!(package.item_with("nav").unwrap().path, "EPUB/nav.xhtml");
    let labels = crate::book::nav::labels("EPUB/nav.xhtml", &container.text("EPUB/nav.xhtml").unwrap()).unwrap();
    assert_eq!(labels["EPUB/text/b.xhtml"], "Two");
    assert_eq!(labels["EPUB/text/a.xhtml"], "a", "no heading: the file name");
    let text = package.text.clone();
    assert!(text.contains("<meta property=\"dcterms:modified\">"), "{text}");
    let id = text.split("<dc:identifier id=\"book-id\">").nth(1).unwrap().split('<').next().unwrap();
    assert!(id.starts_with("urn:uuid:") && id.len() == 45, "{id}");
    let again = epub("Book", statements()).unwrap();
    assert!(open(&again).1.text.contains(id), "the same statements, the same identifier");
}

#[test]
fn a_lone_statement_is_titled_by_its_title_else_by_the_name_given() {
    let titled = epub("statement", vec![statement("statement.txt", &format!("Joint statement\n\n{ENGLISH}"))]);
    assert_eq!(open(&titled.unwrap()).1.title.as_deref(), Some("Joint statement"));
    let untitled = epub("statement", vec![statement("statement.txt", ENGLISH)]);
    assert_eq!(open(&untitled.unwrap()).1.title.as_deref(), Some("statement"));
}

#[test]
fn blocks_become_headings_paragraphs_lists_and_quotes() {
    let markdown =
        format!("# Title\n\n## Part\n\n{ENGLISH}\n\n- one item here\n- two items here\n\n> A quote.\n\nAfter.");
    let chapter = chapter::read(&statement("c.md", &markdown)).unwrap();
    let xhtml = chapter::xhtml(&chapter, &LangTag::parse("en").unwrap());
    let body = xhtml.split("<body>\n").nth(1).unwrap();
    assert_eq!(
        body,
        format!(
            "<h1>Title</h1>\n<h2>Part</h2>\n<p>{ENGLISH}</p>\n<ul>\n<li>one item here</li>\n<li>two items here</li>\n\
             </ul>\n<blockquote>\n<p>A quote.</p>\n</blockquote>\n<p>After.</p>\n</body>\n</html>\n"
        )
    );
    assert!(xhtml.contains("<html xmlns=\"http://www.w3.org/1999/xhtml\""));
    assert!(xhtml.contains(" lang=\"en\" xml:lang=\"en\">") && xhtml.contains("<title>Title</title>"));
}

#[test]
fn text_is_escaped_and_cleared_of_what_xml_cannot_carry() {
    let text = "Fish & <chips> \"here\"\n\nA line of text.";
    let book = epub("A < B & C", vec![statement("x&y.txt", text)]).unwrap();
    let (container, package) = open(&book);
    assert_eq!(package.title.as_deref(), Some("Fish & <chips> \"here\""));
    let xhtml = container.text("EPUB/text/x-y.xhtml").unwrap();
    assert!(xhtml.contains("<h1>Fish &amp; &lt;chips&gt; &quot;here&quot;</h1>"), "{xhtml}");
    assert!(xhtml.contains("<p>A line of text.</p>"), "{xhtml}");
    assert_eq!(chapter::xml_text("a\u{c}b\u{7}c\u{1}d\u{fffe}\te\nf"), "abcd\te\nf");
    let several = epub("A < B & C", vec![statement("x.txt", ENGLISH), statement("y.txt", ENGLISH)]).unwrap();
    assert_eq!(open(&several).1.title.as_deref(), Some("A < B & C"));
}

#[test]
fn languages_come_from_the_source_else_from_detection() {
    // HTML gives its own languages: the chapter's and a paragraph's.
    let html =
        format!("<html lang=\"en\"><body><h1>Statement</h1><p>{ENGLISH}</p><p lang=\"fr\">{FRENCH}</p></body></html>");
    let chapter = chapter::read(&statement("s.html", &html)).unwrap();
    assert_eq!(chapter.lang, LangTag::parse("en").ok());
    let xhtml = chapter::xhtml(&chapter, chapter.lang.as_ref().unwrap());
    assert!(xhtml.contains(&format!("<p>{ENGLISH}</p>")), "{xhtml}");
    assert!(xhtml.contains(&format!("<p lang=\"fr\" xml:lang=\"fr\">{FRENCH}</p>")), "{xhtml}");
    // Plain text: detected, the French paragraph marked in an English chapter.
    let text = format!("{ENGLISH}\n\n{ENGLISH}\n\n{FRENCH}");
    let chapter = chapter::read(&statement("s.txt", &text)).unwrap();
    assert_eq!(chapter.lang, LangTag::parse("en").ok());
    let xhtml = chapter::xhtml(&chapter, chapter.lang.as_ref().unwrap());
    assert!(xhtml.contains(&format!("<p lang=\"fr\" xml:lang=\"fr\">{FRENCH}</p>")), "{xhtml}");
    // A French chapter beside English ones: its document is French, the book
    // English first (it has more text), and both languages are declared.
    let book = epub("Book", vec![statement("a.txt", &text), statement("b.txt", FRENCH)]).unwrap();
    let (container, package) = open(&book);
    assert_eq!(package.languages, ["en", "fr"]);
    assert!(container.text("EPUB/text/b.xhtml").unwrap().contains(" lang=\"fr\" xml:lang=\"fr\">"));
    assert!(container.text("EPUB/nav.xhtml").unwrap().contains(" xml:lang=\"en\" lang=\"en\">"));
}

#[test]
fn statements_that_cannot_be_chapters_are_named() {
    let ssml = epub("x", vec![statement("s.ssml", "<speak>Hello there, everyone.</speak>")]).unwrap_err();
    assert!(ssml.to_string().starts_with("s.ssml: SSML is not made into a book"), "{ssml}");
    assert!(matches!(epub("x", Vec::new()), Err(BookError::Missing(_))));
    let big = "word ".repeat(crate::document::MAX_INPUT_BYTES / 4);
    let error = epub("x", vec![statement("ok.txt", ENGLISH), statement("big.txt", &big)]).unwrap_err();
    assert!(error.to_string().starts_with("big.txt: the text is"), "{error}");
}
