//! Lines of bounded length from an async reader, for the line-based
//! protocols Herald speaks (Wyoming's event headers, Speech Dispatcher's
//! commands): an overlong line is read past, so the connection stays in
//! step, and reported instead of being held in memory.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// A line as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BoundedLine {
    /// The line's bytes, without its newline (the last line of the input
    /// may have none).
    Line(Vec<u8>),
    /// The line was longer than the limit; it has been read past.
    TooLong,
}

/// Reads one line of at most `max` bytes; `None` at the end of input.
pub(crate) async fn read_bounded_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Option<BoundedLine>> {
    let mut bytes = Vec::new();
    let read = (&mut *reader).take(max as u64 + 1).read_until(b'\n', &mut bytes).await?;
    if read == 0 {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    } else if bytes.len() > max {
        skip_line(reader).await?;
        return Ok(Some(BoundedLine::TooLong));
    }
    Ok(Some(BoundedLine::Line(bytes)))
}

/// Reads past the rest of an overlong line.
async fn skip_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<()> {
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                reader.consume(all);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_past_an_overlong_line_and_keeps_the_next() {
        let mut reader = tokio::io::BufReader::new(&b"abc\nabcdefgh\nlast"[..]);
        let mut lines = Vec::new();
        while let Some(line) = read_bounded_line(&mut reader, 5).await.unwrap() {
            lines.push(line);
        }
        assert_eq!(
            lines,
            [BoundedLine::Line(b"abc".to_vec()), BoundedLine::TooLong, BoundedLine::Line(b"last".to_vec())]
        );
    }
}
