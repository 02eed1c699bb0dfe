//! The module side of Speech Dispatcher's output-module protocol, as
//! speech-dispatcher 0.11 speaks it (`src/modules/module_process.c` and
//! `src/server/output.c` in brailcom/speechd): command lines in, replies
//! and events out.
//!
//! - A command is one line (`SPEAK`, `STOP`, `LIST VOICES [LANG [VARIANT]]`…).
//! - `SPEAK`, `CHAR`, `KEY` and `SOUND_ICON` are acknowledged (`202`), then
//!   their text follows, line by line, up to a line holding only `.`; a
//!   line that starts with `.` has that dot removed (the server doubles it).
//! - `SET`, `AUDIO` and `LOGLEVEL` are acknowledged (`203`/`207`), then
//!   `NAME=VALUE` lines follow, up to `.`.
//! - Replies are `CODE TEXT` lines (`2xx` fine, `3xx` the server's error,
//!   `4xx` the module's), continued as `CODE-TEXT` lines; events are `7xx`.
//! - Audio goes to the server as `705` events: the track's format as
//!   `705-NAME=VALUE` lines, then `705-AUDIO`, a NUL byte, the samples
//!   with newlines and the escape byte escaped (HDLC-style: `0x7d`, then
//!   the byte with bit 5 inverted), a newline, and `705 AUDIO`.
//!
//! Lines and messages are capped: an overlong one is read past, so the
//! module stays in step with the server, and refused.

use crate::lines::{read_bounded_line, BoundedLine};
use tokio::io::AsyncBufRead;

/// Longest command or text line read; longer ones are read past and refused.
pub(crate) const MAX_LINE_BYTES: usize = crate::document::MAX_INPUT_BYTES;
/// Largest message (all its lines), the same as any other Herald input.
const MAX_MESSAGE_BYTES: usize = crate::document::MAX_INPUT_BYTES;
/// Largest audio event, in bytes of samples (as the speechd modules send).
pub(crate) const MAX_AUDIO_BYTES: usize = 10_000;

/// Replies, as the reference modules word them.
pub(crate) mod reply {
    pub(crate) const INIT_OK: &str =
        "299-Herald: fast voices ready; natural voices load in the background\n299 OK LOADED SUCCESSFULLY";
    pub(crate) const RECEIVING_MESSAGE: &str = "202 OK RECEIVING MESSAGE";
    pub(crate) const SPEAKING: &str = "200 OK SPEAKING";
    pub(crate) const RECEIVING_SETTINGS: &str = "203 OK RECEIVING SETTINGS";
    pub(crate) const SETTINGS_RECEIVED: &str = "203 OK SETTINGS RECEIVED";
    pub(crate) const RECEIVING_AUDIO_SETTINGS: &str = "207 OK RECEIVING AUDIO SETTINGS";
    pub(crate) const AUDIO_INITIALIZED: &str = "203 OK AUDIO INITIALIZED";
    pub(crate) const RECEIVING_LOGLEVEL: &str = "207 OK RECEIVING LOGLEVEL SETTINGS";
    pub(crate) const LOGLEVEL_SET: &str = "203 OK LOGLEVEL SET";
    pub(crate) const VOICE_LIST_SENT: &str = "200 OK VOICE LIST SENT";
    pub(crate) const QUIT: &str = "210 OK QUIT";
    pub(crate) const UNKNOWN_COMMAND: &str = "300 ERR UNKNOWN COMMAND";
    pub(crate) const CANT_SPEAK: &str = "301 ERROR CANT SPEAK";
    pub(crate) const BAD_SYNTAX: &str = "302 ERROR BAD SYNTAX";
    pub(crate) const BAD_PARAM: &str = "303 ERROR INVALID PARAMETER OR VALUE";
    pub(crate) const CANT_OPEN_DEBUG_FILE: &str = "303 CANT OPEN CUSTOM DEBUG FILE";
    pub(crate) const CANT_LIST_VOICES: &str = "304 CANT LIST VOICES";
    pub(crate) const MORE_THAN_ONE_LINE: &str = "305 DATA MORE THAN ONE LINE";
}

/// Events, sent while a message is spoken.
pub(crate) mod event {
    pub(crate) const BEGIN: &str = "701 BEGIN";
    pub(crate) const END: &str = "702 END";
    pub(crate) const STOP: &str = "703 STOP";
    pub(crate) const PAUSE: &str = "704 PAUSE";
}

/// What kind of message a speak command carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageKind {
    /// SSML text (`SPEAK`).
    Text,
    /// One character (`CHAR`).
    Char,
    /// A key name such as `a`, `shift_a` or `kp-enter` (`KEY`).
    Key,
    /// The name of a sound icon (`SOUND_ICON`).
    SoundIcon,
}

/// A command line from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Speak(MessageKind),
    Stop,
    Pause,
    ListVoices { language: Option<String>, variant: Option<String> },
    Set,
    Audio,
    LogLevel,
    Debug(Result<DebugSwitch, ()>),
    Quit,
    Unknown,
}

/// `DEBUG ON FILE` or `DEBUG OFF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DebugSwitch {
    On(String),
    Off,
}

impl Command {
    pub(crate) fn parse(line: &str) -> Self {
        let mut words = line.split_ascii_whitespace();
        match line {
            "SPEAK" => Self::Speak(MessageKind::Text),
            "CHAR" => Self::Speak(MessageKind::Char),
            "KEY" => Self::Speak(MessageKind::Key),
            "SOUND_ICON" => Self::Speak(MessageKind::SoundIcon),
            "STOP" => Self::Stop,
            "PAUSE" => Self::Pause,
            "SET" => Self::Set,
            "AUDIO" => Self::Audio,
            "LOGLEVEL" => Self::LogLevel,
            "QUIT" => Self::Quit,
            _ if line.starts_with("LIST VOICES") && words.nth(1) == Some("VOICES") => Self::ListVoices {
                language: words.next().map(str::to_string),
                variant: words.next().map(str::to_string),
            },
            _ if line.starts_with("DEBUG") && words.next() == Some("DEBUG") => {
                Self::Debug(match (words.next(), words.next()) {
                    (Some("ON"), Some(file)) => Ok(DebugSwitch::On(file.to_string())),
                    (Some("OFF"), _) => Ok(DebugSwitch::Off),
                    _ => Err(()),
                })
            }
            _ => Self::Unknown,
        }
    }
}

/// A line as read: its text (without the newline), or the fact that it
/// was longer than [`MAX_LINE_BYTES`] (and has been read past).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    Text(String),
    TooLong,
}

/// Reads one line; `None` at the end of input. Bytes that are not UTF-8
/// are replaced, never fatal.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Line>> {
    Ok(read_bounded_line(reader, MAX_LINE_BYTES).await?.map(|line| match line {
        BoundedLine::TooLong => Line::TooLong,
        BoundedLine::Line(mut bytes) => {
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            Line::Text(String::from_utf8_lossy(&bytes).into_owned())
        }
    }))
}

/// Why a message or a block of settings was refused (it has been read
/// to its end all the same).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the message is longer than {MAX_MESSAGE_BYTES} bytes")]
    TooLarge,
    #[error("a settings line is not NAME=VALUE")]
    Syntax,
}

/// The lines of a block, up to the line `.`; `None` if the input ends first.
async fn read_block<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Result<Vec<String>, BodyError>>> {
    let (mut lines, mut size, mut too_large) = (Vec::new(), 0, false);
    loop {
        match read_line(reader).await? {
            None => return Ok(None),
            Some(Line::Text(line)) if line == "." => break,
            Some(Line::Text(line)) => {
                size += line.len() + 1;
                if size > MAX_MESSAGE_BYTES {
                    too_large = true;
                    lines.clear();
                } else if !too_large {
                    lines.push(line);
                }
            }
            Some(Line::TooLong) => {
                too_large = true;
                lines.clear();
            }
        }
    }
    Ok(Some(if too_large { Err(BodyError::TooLarge) } else { Ok(lines) }))
}

/// A message's text, up to the line `.`, with the server's dot-doubling
/// undone; its lines are joined with newlines. Also how many lines it had.
pub(crate) async fn read_message<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Result<(String, usize), BodyError>>> {
    Ok(read_block(reader).await?.map(|block| {
        block.map(|lines| {
            let count = lines.len();
            let unescaped: Vec<&str> = lines.iter().map(|l| l.strip_prefix('.').unwrap_or(l)).collect();
            (unescaped.join("\n"), count)
        })
    }))
}

/// `NAME=VALUE` lines, up to the line `.`.
pub(crate) async fn read_params<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Result<Vec<(String, String)>, BodyError>>> {
    Ok(read_block(reader).await?.map(|block| {
        block?
            .into_iter()
            .map(|line| match line.split_once('=') {
                Some((name, value)) if !name.is_empty() && !value.is_empty() => {
                    Ok((name.to_string(), value.to_string()))
                }
                _ => Err(BodyError::Syntax),
            })
            .collect()
    }))
}

/// Text safe to put on one protocol line: no line breaks, no other controls.
pub(crate) fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The `700` event for an index mark.
pub(crate) fn index_mark(name: &str) -> String {
    format!("700-{}\n700 INDEX MARK", one_line(name))
}

/// The `706` event for a sound icon the server plays.
pub(crate) fn sound_icon(name: &str) -> String {
    format!("706-{}\n706 ICON", one_line(name))
}

/// One `705` audio event: 16-bit little-endian mono samples at `rate`.
pub(crate) fn audio(samples: &[i16], rate: u32) -> Vec<u8> {
    const ESCAPE: u8 = 0x7d;
    const INVERT: u8 = 1 << 5;
    let mut out = format!(
        "705-bits=16\n705-num_channels=1\n705-sample_rate={rate}\n705-num_samples={}\n705-big_endian=0\n705-AUDIO\0",
        samples.len()
    )
    .into_bytes();
    out.reserve(samples.len() * 2 + samples.len() / 64 + 16);
    for byte in samples.iter().flat_map(|s| s.to_le_bytes()) {
        if byte == b'\n' || byte == ESCAPE {
            out.extend([ESCAPE, byte ^ INVERT]);
        } else {
            out.push(byte);
        }
    }
    out.extend_from_slice(b"\n705 AUDIO\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines_of(bytes: &[u8]) -> Vec<Option<Line>> {
        let mut reader = tokio::io::BufReader::new(bytes);
        let mut out = Vec::new();
        loop {
            let line = read_line(&mut reader).await.unwrap();
            let end = line.is_none();
            out.push(line);
            if end {
                return out;
            }
        }
    }

    #[test]
    fn parses_the_commands_the_server_sends() {
        assert_eq!(Command::parse("SPEAK"), Command::Speak(MessageKind::Text));
        assert_eq!(Command::parse("KEY"), Command::Speak(MessageKind::Key));
        assert_eq!(Command::parse("LIST VOICES"), Command::ListVoices { language: None, variant: None });
        assert_eq!(
            Command::parse("LIST VOICES fr none"),
            Command::ListVoices { language: Some("fr".into()), variant: Some("none".into()) }
        );
        assert_eq!(Command::parse("DEBUG ON /tmp/log "), Command::Debug(Ok(DebugSwitch::On("/tmp/log".into()))));
        assert_eq!(Command::parse("DEBUG OFF "), Command::Debug(Ok(DebugSwitch::Off)));
        assert_eq!(Command::parse("DEBUG ON"), Command::Debug(Err(())));
        for unknown in ["speak", "SPEAK NOW", "LIST", "LIST VOICE", "DEBUGGING", ""] {
            assert_eq!(Command::parse(unknown), Command::Unknown, "{unknown:?}");
        }
    }

    #[tokio::test]
    async fn reads_past_an_overlong_line_and_stays_in_step() {
        let mut bytes = vec![b'x'; MAX_LINE_BYTES + 5];
        bytes.extend(b"\nSTOP\r\n\xff\n");
        let lines = lines_of(&bytes).await;
        assert_eq!(
            lines,
            [Some(Line::TooLong), Some(Line::Text("STOP".into())), Some(Line::Text("\u{fffd}".into())), None]
        );
    }

    #[tokio::test]
    async fn a_message_undoes_dot_doubling_and_stops_at_the_dot_line() {
        let mut reader = tokio::io::BufReader::new(&b"<speak>One.\n..two\n.\nSTOP\n"[..]);
        let (text, lines) = read_message(&mut reader).await.unwrap().unwrap().unwrap();
        assert_eq!((text.as_str(), lines), ("<speak>One.\n.two", 2));
        assert_eq!(read_line(&mut reader).await.unwrap(), Some(Line::Text("STOP".into())));
        let mut cut = tokio::io::BufReader::new(&b"half a message"[..]);
        assert_eq!(read_message(&mut cut).await.unwrap(), None, "the input ended inside the message");
    }

    #[tokio::test]
    async fn an_oversized_message_is_refused_after_its_end() {
        let line = "y".repeat(1000);
        let mut bytes = Vec::new();
        for _ in 0..(MAX_MESSAGE_BYTES / 1000 + 2) {
            bytes.extend(line.as_bytes());
            bytes.push(b'\n');
        }
        bytes.extend(b".\nQUIT\n");
        let mut reader = tokio::io::BufReader::new(&bytes[..]);
        assert_eq!(read_message(&mut reader).await.unwrap(), Some(Err(BodyError::TooLarge)));
        assert_eq!(read_line(&mut reader).await.unwrap(), Some(Line::Text("QUIT".into())));
    }

    #[tokio::test]
    async fn settings_are_name_value_lines() {
        let mut reader = tokio::io::BufReader::new(&b"rate=20\nlanguage=fr\n.\nbroken\n.\n"[..]);
        let params = read_params(&mut reader).await.unwrap().unwrap().unwrap();
        assert_eq!(params, [("rate".to_string(), "20".to_string()), ("language".to_string(), "fr".to_string())]);
        assert_eq!(read_params(&mut reader).await.unwrap(), Some(Err(BodyError::Syntax)));
    }

    /// Undoes [`audio`]'s escaping, as speech-dispatcher's `output.c` does.
    fn unescape(mut bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        while let [first, rest @ ..] = bytes {
            if *first == 0x7d {
                out.push(rest[0] ^ 0x20);
                bytes = &rest[1..];
            } else {
                out.push(*first);
                bytes = rest;
            }
        }
        out
    }

    #[test]
    fn audio_escapes_newlines_and_the_escape_byte() {
        let samples = [0x0a0a_u16 as i16, 0x7d00, 1, -1];
        let event = audio(&samples, 22050);
        let text = String::from_utf8_lossy(&event);
        assert!(text.starts_with("705-bits=16\n705-num_channels=1\n705-sample_rate=22050\n705-num_samples=4\n"));
        let start = event.iter().position(|&b| b == 0).unwrap() + 1;
        let end = event.len() - "\n705 AUDIO\n".len();
        let body = &event[start..end];
        assert!(!body.contains(&b'\n'), "no raw newline inside the samples");
        let expected: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        assert_eq!(unescape(body), expected);
        assert!(event.ends_with(b"\n705 AUDIO\n"));
    }

    #[test]
    fn mark_names_stay_on_their_line() {
        assert_eq!(index_mark("__spd_3"), "700-__spd_3\n700 INDEX MARK");
        assert_eq!(index_mark("a\nb"), "700-a b\n700 INDEX MARK");
    }
}
