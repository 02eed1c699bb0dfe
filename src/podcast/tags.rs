//! The episode's ID3v2.4 tag (written with the `id3` crate): title, artist,
//! album, date, comment, and its chapters as CHAP frames listed by a
//! top-level CTOC, so players can show and seek to them.

use super::chapters::Chapter;
use id3::frame::{Chapter as ChapterFrame, Comment, Frame, TableOfContents};
use id3::{Tag, TagLike, Timestamp, Version};

/// What the tag says about an episode.
pub(crate) struct EpisodeTags<'a> {
    pub title: &'a str,
    pub artist: &'a str,
    pub album: &'a str,
    /// Publication day as (year, month, day).
    pub date: (i32, u8, u8),
    pub comment: &'a str,
    pub chapters: &'a [Chapter],
}

/// The tag, serialized: prepend it to the MP3 frames.
pub(crate) fn id3_tag(tags: &EpisodeTags) -> Vec<u8> {
    let mut tag = Tag::new();
    tag.set_title(tags.title);
    tag.set_artist(tags.artist);
    tag.set_album(tags.album);
    tag.set_genre("Podcast");
    let (year, month, day) = tags.date;
    tag.set_date_recorded(Timestamp {
        year,
        month: Some(month),
        day: Some(day),
        hour: None,
        minute: None,
        second: None,
    });
    tag.add_frame(Comment { lang: "eng".into(), description: String::new(), text: tags.comment.to_string() });
    let ids: Vec<String> = (0..tags.chapters.len()).map(|i| format!("chp{i}")).collect();
    for (chapter, id) in tags.chapters.iter().zip(&ids) {
        tag.add_frame(ChapterFrame {
            element_id: id.clone(),
            start_time: ms(chapter.start),
            end_time: ms(chapter.end),
            // No byte offsets: times only.
            start_offset: u32::MAX,
            end_offset: u32::MAX,
            frames: vec![Frame::text("TIT2", chapter.title.clone())],
        });
    }
    if !ids.is_empty() {
        tag.add_frame(TableOfContents {
            element_id: "toc".into(),
            top_level: true,
            ordered: true,
            elements: ids,
            frames: vec![Frame::text("TIT2", tags.title)],
        });
    }
    let mut bytes = Vec::new();
    tag.write_to(&mut bytes, Version::Id3v24).expect("writing a tag to memory cannot fail");
    bytes
}

fn ms(seconds: f64) -> u32 {
    (seconds * 1000.0).round().clamp(0.0, f64::from(u32::MAX - 1)) as u32
}

/// (year, month, day) in UTC of a time.
pub(crate) fn civil_date(time: std::time::SystemTime) -> (i32, u8, u8) {
    let days = time.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn tag_reads_back_with_chapters() {
        let chapters = [
            Chapter { title: "Opening".into(), start: 0.0, end: 1.5 },
            Chapter { title: "Défense".into(), start: 1.5, end: 3.25 },
        ];
        let bytes = id3_tag(&EpisodeTags {
            title: "Episode",
            artist: "Press Office",
            album: "Statements",
            date: (2023, 4, 4),
            comment: "A statement.",
            chapters: &chapters,
        });
        let tag = Tag::read_from2(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            (tag.title(), tag.artist(), tag.album()),
            (Some("Episode"), Some("Press Office"), Some("Statements"))
        );
        assert_eq!(tag.date_recorded().map(|d| (d.year, d.month, d.day)), Some((2023, Some(4), Some(4))));
        assert_eq!(tag.comments().next().unwrap().text, "A statement.");
        let read: Vec<(u32, u32, Option<&str>)> = tag
            .chapters()
            .map(|c| (c.start_time, c.end_time, c.frames.iter().find_map(|f| f.content().text())))
            .collect();
        assert_eq!(read, [(0, 1500, Some("Opening")), (1500, 3250, Some("Défense"))]);
        let toc = tag.tables_of_contents().next().unwrap();
        assert!(toc.top_level && toc.ordered);
        assert_eq!(toc.elements, ["chp0", "chp1"]);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(UNIX_EPOCH), (1970, 1, 1));
        assert_eq!(civil_date(UNIX_EPOCH + Duration::from_secs(1_680_566_400)), (2023, 4, 4));
        assert_eq!(civil_date(UNIX_EPOCH + Duration::from_secs(951_782_400)), (2000, 2, 29));
    }
}
