//! An audiobook beside the talking book, for plain players: one MP3 per
//! chapter (each content document that has speech), tagged with its title,
//! the book, the author, its track number and the cover, and an M3U
//! playlist in reading order.
//!
//! A file per chapter rather than one file with ID3 chapter frames: every
//! player lists tracks, few read `CHAP`/`CTOC`, and the chapters are the
//! book's own audio files, used as they are.

use super::chapter_audio::from_start;
use id3::frame::{Picture, PictureType};
use id3::{Tag, TagLike, Version};
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// A chapter's audio and what it is called.
#[derive(Debug)]
pub(crate) struct Chapter {
    pub title: String,
    /// MP3 without a tag (a temporary file).
    pub mp3: File,
    pub seconds: f64,
}

/// The book's cover image.
#[derive(Debug, Clone)]
pub(crate) struct Cover {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// What the files are tagged with.
#[derive(Debug, Clone)]
pub(crate) struct BookTags<'a> {
    pub title: &'a str,
    pub author: Option<&'a str>,
    pub cover: Option<&'a Cover>,
}

/// Writes the audiobook into `dir`: the chapters, the playlist, and the
/// cover (if the book has one). Returns the files' names.
pub(crate) fn write(dir: &Path, book: &BookTags<'_>, chapters: &[Chapter]) -> io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let total = chapters.len() as u32;
    let mut names = Vec::new();
    let mut playlist = String::from("#EXTM3U\n");
    for (n, chapter) in chapters.iter().enumerate() {
        let name = format!("{:02} {}.mp3", n + 1, file_name(&chapter.title));
        let seconds = chapter.seconds.round() as u64;
        playlist.push_str(&format!("#EXTINF:{seconds},{}\n{name}\n", one_line(&chapter.title)));
        let mut file = io::BufWriter::new(File::create(dir.join(&name))?);
        file.write_all(&tag(book, &chapter.title, n as u32 + 1, total))?;
        io::copy(&mut from_start(&chapter.mp3)?, &mut file)?;
        file.flush()?;
        names.push(name);
    }
    std::fs::write(dir.join("playlist.m3u8"), playlist)?;
    names.push("playlist.m3u8".into());
    if let Some(cover) = book.cover {
        let name = format!("cover.{}", if cover.media_type == "image/png" { "png" } else { "jpg" });
        std::fs::write(dir.join(&name), &cover.bytes)?;
        names.push(name);
    }
    Ok(names)
}

fn tag(book: &BookTags<'_>, title: &str, track: u32, total: u32) -> Vec<u8> {
    let mut tag = Tag::new();
    tag.set_title(one_line(title));
    tag.set_album(book.title);
    if let Some(author) = book.author {
        tag.set_artist(author);
        tag.set_album_artist(author);
    }
    tag.set_track(track);
    tag.set_total_tracks(total);
    tag.set_genre("Audiobook");
    if let Some(cover) = book.cover {
        tag.add_frame(Picture {
            mime_type: cover.media_type.clone(),
            picture_type: PictureType::CoverFront,
            description: String::new(),
            data: cover.bytes.clone(),
        });
    }
    let mut bytes = Vec::new();
    tag.write_to(&mut bytes, Version::Id3v24).expect("a tag in memory is written");
    bytes
}

/// A title as one line of text.
fn one_line(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A title as a file name: letters, digits, spaces and a few marks, at
/// most 60 characters.
fn file_name(title: &str) -> String {
    let name: String = one_line(title)
        .chars()
        .map(|c| if c.is_alphanumeric() || " -_.,'()".contains(c) { c } else { '_' })
        .take(60)
        .collect();
    let name = name.trim_matches(|c: char| c == '.' || c.is_whitespace()).to_string();
    if name.is_empty() {
        "chapter".into()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_are_tagged_tracks_in_a_playlist() {
        let cover = Cover { media_type: "image/jpeg".into(), bytes: vec![0xFF, 0xD8, 0xFF] };
        let book = BookTags { title: "A Book", author: Some("An Author"), cover: Some(&cover) };
        let audio = |bytes: &[u8]| {
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(bytes).unwrap();
            file
        };
        let chapters = [
            Chapter { title: "One: the start".into(), mp3: audio(&[1, 2, 3]), seconds: 61.4 },
            Chapter { title: "../Two/\nend".into(), mp3: audio(&[4]), seconds: 2.0 },
        ];
        let dir = tempfile::tempdir().unwrap();
        let names = write(dir.path(), &book, &chapters).unwrap();
        assert_eq!(names, ["01 One_ the start.mp3", "02 _Two_ end.mp3", "playlist.m3u8", "cover.jpg"]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4, "nothing else, nothing outside");
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        let playlist = String::from_utf8(read("playlist.m3u8")).unwrap();
        assert_eq!(
            playlist,
            "#EXTM3U\n#EXTINF:61,One: the start\n01 One_ the start.mp3\n#EXTINF:2,../Two/ end\n02 _Two_ end.mp3\n"
        );
        let second = read("02 _Two_ end.mp3");
        let tag = Tag::read_from2(std::io::Cursor::new(&second)).unwrap();
        assert_eq!((tag.title(), tag.album(), tag.artist()), (Some("../Two/ end"), Some("A Book"), Some("An Author")));
        assert_eq!((tag.track(), tag.total_tracks()), (Some(2), Some(2)));
        assert_eq!(tag.pictures().next().unwrap().data, cover.bytes);
        assert!(second.ends_with(&[4]), "the audio follows the tag");
    }
}
