//! Talking books from Herald's other inputs: the reference statement (plain
//! text) and a folder of a Markdown and an HTML file become EPUB 3 books
//! with media overlays that epubcheck accepts without any finding, a
//! chapter per file in name order, every sentence in sync; a statement
//! Herald cannot read gets its problem and no output.

use super::sync::{assert_synced, epubcheck};
use super::{book, track_titles};
use std::path::Path;

const PACKAGE: &str = "EPUB/package.opf";

/// epubcheck finds nothing at all in `out`.
fn assert_no_finding(out: &Path) {
    let findings = epubcheck(out);
    assert!(findings.is_empty(), "epubcheck findings: {findings:#?}");
}

#[test]
fn a_text_statement_becomes_a_talking_book_titled_by_its_title() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nato-japan-joint-statement-2023-04-04.txt");
    let out = dir.path().join("statement.epub");
    let output = book(&input, &out, &dir.path().join("cache"), &[]);
    assert!(output.status.success(), "herald book failed: {}", String::from_utf8_lossy(&output.stderr));
    assert_no_finding(&out);
    let synced = assert_synced(&out, PACKAGE, &[], &[]);
    synced.assert_clips_follow_the_text();
    assert_eq!(synced.narrators(PACKAGE), ["English (America) (espeak-ng)"]);
    let package = synced.text(PACKAGE);
    assert!(package.contains("<dc:title>Joint statement</dc:title>"), "{package}");
    assert!(package.contains("<dc:language>en</dc:language>"), "{package}");
    let chapter = synced.text("EPUB/text/nato-japan-joint-statement-2023-04-04.xhtml");
    assert!(chapter.contains("<h1><span id=\"herald-1\">Joint statement</span></h1>"), "{chapter}");
    assert!(chapter.contains(">Welcome to NATO Headquarters.</span>"), "{chapter}");
    assert!(synced.text("EPUB/nav.xhtml").contains(">Joint statement</a>"));
}

const OPENING: &str = "# Opening\n\nThis first chapter is written in Markdown. \
    It has a list, a quotation and sentences of many different lengths, so that each clip can be told apart.\n\n\
    - A short point.\n- A second point, which takes rather longer to make than the first one did.\n\n\
    > Words are set apart here.\n";
const CLOSING: &str = "<!doctype html><html lang=\"en\"><head><title>Page</title></head><body>\
    <h1>Second &amp; last</h1><p>The second chapter is HTML. It ends the book after a much longer sentence, \
    which goes on for a while before it stops.</p><p lang=\"fr\">Le second chapitre est écrit en HTML, \
    et il termine ce petit livre.</p></body></html>";

#[test]
fn a_folder_of_markdown_and_html_becomes_a_book_of_a_chapter_per_file_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Chapters");
    std::fs::create_dir(&folder).unwrap();
    // Written last to first: the order is the names', not the files'.
    std::fs::write(folder.join("2-closing.html"), CLOSING).unwrap();
    std::fs::write(folder.join("1-opening.md"), OPENING).unwrap();
    std::fs::write(folder.join("notes.json"), "{}").unwrap();
    let (out, audiobook) = (dir.path().join("chapters.epub"), dir.path().join("audiobook"));
    let extra = [std::ffi::OsStr::new("--audiobook"), audiobook.as_os_str()];
    let output = book(&folder, &out, &dir.path().join("cache"), &extra);
    assert!(output.status.success(), "herald book failed: {}", String::from_utf8_lossy(&output.stderr));
    assert_no_finding(&out);
    let synced = assert_synced(&out, PACKAGE, &[], &[]);
    assert_eq!(synced.chapter_seconds.len(), 2, "an overlay per file");
    assert_eq!(synced.narrators(PACKAGE), ["English (America) (espeak-ng)", "French (France) (espeak-ng)"]);
    let package = synced.text(PACKAGE);
    assert!(package.contains("<dc:title>Chapters</dc:title>"), "the folder's name: {package}");
    let (first, second) = (package.find("text/1-opening.xhtml\""), package.find("text/2-closing.xhtml\""));
    assert!(first.unwrap() < second.unwrap(), "the chapters in name order: {package}");
    let opening = synced.text("EPUB/text/1-opening.xhtml");
    for element in ["<h1>", "<ul>\n<li>", "<blockquote>\n<p>"] {
        assert!(opening.contains(element), "{element}: {opening}");
    }
    let closing = synced.text("EPUB/text/2-closing.xhtml");
    assert!(closing.contains(" lang=\"en\" xml:lang=\"en\">"), "{closing}");
    assert!(closing.contains("<p lang=\"fr\" xml:lang=\"fr\">"), "{closing}");
    assert_eq!(track_titles(&audiobook), ["Opening", "Second & last"]);
}

#[test]
fn statements_herald_cannot_read_get_their_problem_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let empty_folder = dir.path().join("empty");
    std::fs::create_dir(&empty_folder).unwrap();
    write("mixed/1-good.md", b"# Good\n\nThis one is fine.");
    let cases = [
        ("an empty file", write("empty.txt", b" \n \n"), "empty.txt: empty"),
        ("invalid UTF-8", write("bad.md", b"Fine until \xff\xfe here."), "bad.md: not valid UTF-8"),
        ("SSML", write("s.ssml", b"<speak>Hello there.</speak>"), "SSML is not made into a book"),
        ("a folder with nothing to read", empty_folder, "holds no statement"),
        ("a folder with an empty file", write("mixed/2-empty.txt", b"").parent().unwrap().to_path_buf(), "2-empty"),
    ];
    for (what, input, problem) in cases {
        let out = dir.path().join("out").join("book.epub");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let output = book(&input, &out, &dir.path().join("cache"), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.starts_with("herald: ") && stderr.lines().count() == 1, "{what}: one line: {stderr}");
        assert!(stderr.contains(problem), "{what}: the problem should say {problem:?}: {stderr}");
        assert_eq!(std::fs::read_dir(out.parent().unwrap()).unwrap().count(), 0, "{what}: something was written");
    }
}
