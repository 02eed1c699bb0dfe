//! Text normalisation: strips characters that must never reach an engine and
//! folds whitespace.
//!
//! * C0/C1 control characters (byte 0x01 is an espeak-ng embedded-command
//!   escape even in plain text) are removed; tabs and newlines become spaces.
//! * Bidi embedding/override/isolate controls are removed, so text can neither
//!   flip a page nor smuggle reordered content.
//! * Zero-width characters that would split or glue words invisibly are
//!   removed (ZWJ is kept: emoji sequences and Indic shaping need it).
//! * Every run of Unicode white space becomes one ASCII space, trimmed.

/// True for characters Herald removes before any further processing.
pub fn is_stripped(c: char) -> bool {
    matches!(c,
        '\u{00}'..='\u{08}' | '\u{0B}' | '\u{0E}'..='\u{1F}' | '\u{7F}'..='\u{9F}'
        // bidi embeddings, overrides, isolates and marks
        | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        // zero-width space, non-joiner, word joiner, BOM, soft hyphen
        | '\u{200B}' | '\u{200C}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
        // interlinear annotation and object replacement characters
        | '\u{FFF9}'..='\u{FFFC}')
}

/// Removes terminal escape sequences (`ESC [ … final`, `ESC ] … BEL`) whole,
/// so neither their introducer nor their parameters are spoken or logged.
fn strip_escape_sequences(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\u{1b}') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            // CSI: parameters and intermediates, then one final byte.
            Some('[') => {
                chars.next();
                for p in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&p) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                while let Some(p) = chars.next() {
                    if p == '\u{07}' || (p == '\u{1b}' && chars.peek() == Some(&'\\')) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out.into()
}

/// Longest run of characters without a space that is kept whole; beyond it
/// the rest is replaced by a note of how much was left out, so that a
/// 100,000-digit number or a megabyte "word" cannot become hours of audio.
const MAX_TOKEN_CHARS: usize = 600;

/// Removes stripped characters, folds every run of white space into one
/// space (trimming both ends) and shortens absurdly long tokens (see
/// [`MAX_TOKEN_CHARS`]). Line structure is not preserved: call it on one
/// paragraph or line at a time.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1 << 20));
    let mut pending_space = false;
    let mut token_chars = 0usize;
    let mut dropped = 0usize;
    let mut dropped_digits = true;
    let note = |out: &mut String, dropped: &mut usize, digits: bool| {
        if *dropped > 0 {
            let what = if digits { "digits" } else { "characters" };
            out.push_str(&format!(" … ({} more {what})", *dropped));
            *dropped = 0;
        }
    };
    for c in strip_escape_sequences(text).chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if !is_stripped(c) {
            if pending_space {
                note(&mut out, &mut dropped, dropped_digits);
                token_chars = 0;
                dropped_digits = true;
                if !out.is_empty() {
                    out.push(' ');
                }
            }
            pending_space = false;
            token_chars += 1;
            if token_chars > MAX_TOKEN_CHARS {
                dropped += 1;
                dropped_digits &= c.is_ascii_digit();
            } else {
                out.push(c);
            }
        }
    }
    note(&mut out, &mut dropped, dropped_digits);
    out
}

/// Removes stripped characters but keeps line breaks (`\n`), so the document
/// parsers can still see lines and blank-line paragraphs. `\r\n` and lone `\r`
/// become `\n`; other white space is kept as is.
pub(crate) fn clean_keep_lines(text: &str) -> String {
    let text = strip_escape_sequences(text).replace("\r\n", "\n").replace('\r', "\n");
    text.chars().filter(|&c| c == '\n' || c == '\t' || !is_stripped(c)).collect()
}

/// True when the text has at least one letter or digit: lines without any are
/// page furniture (bullets, bars, rules) and are never spoken.
pub(crate) fn has_content(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_espeak_escape_and_controls() {
        assert_eq!(clean("a\u{01}400S b\u{1b}[31mc\u{9b}d\u{1b}]0;title\u{07}e"), "a400S bcde");
        assert_eq!(clean("line\u{85}break"), "line break");
    }

    #[test]
    fn strips_bidi_and_zero_width() {
        assert_eq!(clean("ab\u{202E}cd\u{200B}ef\u{2066}g\u{2069}"), "abcdefg");
    }

    #[test]
    fn folds_unicode_whitespace() {
        assert_eq!(clean("  one\u{00A0}\u{2003} two\n\tthree \u{3000}"), "one two three");
    }

    #[test]
    fn shortens_absurd_tokens() {
        let number = "7".repeat(100_000);
        let got = clean(&format!("The number {number} ends here."));
        assert_eq!(got, format!("The number {} … (99400 more digits) ends here.", "7".repeat(MAX_TOKEN_CHARS)));
        let word = clean(&"ab".repeat(310));
        assert!(word.ends_with(" … (20 more characters)"), "{word}");
        let url = "https://example.org/".to_string() + &"x".repeat(70);
        assert_eq!(clean(&url), url, "ordinary long tokens are kept");
    }

    #[test]
    fn keeps_lines_when_asked() {
        assert_eq!(clean_keep_lines("a\r\nb\rc\u{01}\n\nd"), "a\nb\nc\n\nd");
    }

    #[test]
    fn furniture_has_no_content() {
        assert!(!has_content("  • |  "));
        assert!(!has_content("—— *** ——"));
        assert!(has_content("• 04 Apr. 2023 -"));
    }
}
