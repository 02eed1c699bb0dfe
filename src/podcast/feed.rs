//! The show's feed: RSS 2.0 with the `itunes:` (Apple Podcasts) and
//! `podcast:` (Podcasting 2.0) namespaces, written with quick-xml's writer
//! (so every text and attribute is escaped by the library).

use super::config::Show;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::io;
use std::time::SystemTime;

/// One episode as the feed lists it.
#[derive(Debug, Clone)]
pub(crate) struct FeedItem<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub published: SystemTime,
    pub duration: f64,
    /// Size of the MP3 file in bytes.
    pub length: u64,
}

/// Where an episode's files are, relative to the base URL.
pub(crate) fn episode_path(slug: &str, extension: &str) -> String {
    format!("episodes/{slug}.{extension}")
}

/// A GUID for an episode that stays the same across runs and base URLs.
pub(crate) fn guid(show: &Show, slug: &str) -> String {
    let hash = blake3::hash(format!("{}\n{slug}", show.title).as_bytes()).to_hex();
    format!("herald-{}", &hash[..32])
}

/// The feed's bytes; `items` in the order they are listed (newest first).
pub(crate) fn feed(show: &Show, items: &[FeedItem]) -> Vec<u8> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_feed(&mut writer, show, items).expect("writing XML to memory cannot fail");
    let mut bytes = writer.into_inner();
    bytes.push(b'\n');
    bytes
}

fn write_feed(w: &mut Writer<Vec<u8>>, show: &Show, items: &[FeedItem]) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("rss")
        .with_attributes([
            ("version", "2.0"),
            ("xmlns:itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"),
            ("xmlns:podcast", "https://podcastindex.org/namespace/1.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
        ])
        .write_inner_content(|w| {
            w.create_element("channel").write_inner_content(|w| {
                channel(w, show, items)?;
                for item in items {
                    write_item(w, show, item)?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn text(w: &mut Writer<Vec<u8>>, name: &str, content: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(content))?;
    Ok(())
}

fn channel(w: &mut Writer<Vec<u8>>, show: &Show, items: &[FeedItem]) -> io::Result<()> {
    text(w, "title", &show.title)?;
    if !show.link().is_empty() {
        text(w, "link", show.link())?;
    }
    text(w, "description", &show.description)?;
    text(w, "language", &show.language)?;
    text(w, "generator", concat!("Herald ", env!("CARGO_PKG_VERSION")))?;
    if let Some(newest) = items.iter().map(|i| i.published).max() {
        text(w, "lastBuildDate", &httpdate::fmt_http_date(newest))?;
    }
    if !show.base_url.is_empty() {
        let self_url = show.url("feed.xml");
        w.create_element("atom:link")
            .with_attributes([("href", self_url.as_str()), ("rel", "self"), ("type", "application/rss+xml")])
            .write_empty()?;
    }
    text(w, "itunes:author", &show.author)?;
    text(w, "itunes:summary", &show.description)?;
    if !show.image.is_empty() {
        w.create_element("itunes:image").with_attribute(("href", show.url(&show.image).as_str())).write_empty()?;
    }
    let category = w.create_element("itunes:category").with_attribute(("text", show.category.as_str()));
    match &show.subcategory {
        Some(sub) => {
            category.write_inner_content(|w| {
                w.create_element("itunes:category").with_attribute(("text", sub.as_str())).write_empty()?;
                Ok(())
            })?;
        }
        None => {
            category.write_empty()?;
        }
    }
    text(w, "itunes:explicit", if show.explicit { "true" } else { "false" })?;
    text(w, "itunes:type", "episodic")?;
    text(w, "podcast:locked", "no")?;
    Ok(())
}

fn write_item(w: &mut Writer<Vec<u8>>, show: &Show, item: &FeedItem) -> io::Result<()> {
    let url = |extension: &str| show.url(&episode_path(item.slug, extension));
    w.create_element("item").write_inner_content(|w| {
        text(w, "title", item.title)?;
        text(w, "description", item.summary)?;
        w.create_element("guid")
            .with_attribute(("isPermaLink", "false"))
            .write_text_content(BytesText::new(&guid(show, item.slug)))?;
        text(w, "pubDate", &httpdate::fmt_http_date(item.published))?;
        let length = item.length.to_string();
        let mp3 = url("mp3");
        w.create_element("enclosure")
            .with_attributes([("url", mp3.as_str()), ("length", length.as_str()), ("type", "audio/mpeg")])
            .write_empty()?;
        text(w, "itunes:title", item.title)?;
        text(w, "itunes:duration", &duration(item.duration))?;
        text(w, "itunes:explicit", if show.explicit { "true" } else { "false" })?;
        text(w, "itunes:episodeType", "full")?;
        for (extension, media_type) in
            [("vtt", "text/vtt"), ("transcript.json", "application/json"), ("srt", "application/x-subrip")]
        {
            let href = url(extension);
            w.create_element("podcast:transcript")
                .with_attributes([("url", href.as_str()), ("type", media_type), ("rel", "captions")])
                .write_empty()?;
        }
        let chapters = url("chapters.json");
        w.create_element("podcast:chapters")
            .with_attributes([("url", chapters.as_str()), ("type", "application/json+chapters")])
            .write_empty()?;
        Ok(())
    })?;
    Ok(())
}

/// `HH:MM:SS`, rounded to the second.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn feed_escapes_and_lists_every_field() {
        let show: Show = toml::from_str(crate::podcast::config::tests::EXAMPLE).unwrap();
        let show = Show { title: "Statements & <notes>".into(), ..show.checked().unwrap() };
        let published = UNIX_EPOCH + Duration::from_secs(1_680_566_400);
        let items = [FeedItem {
            slug: "joint-statement",
            title: "Joint \"statement\"",
            summary: "Ministers met <today>.",
            published,
            duration: 3725.4,
            length: 12345,
        }];
        let xml = String::from_utf8(feed(&show, &items)).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{xml}");
        assert!(xml.contains("<title>Statements &amp; &lt;notes&gt;</title>"), "{xml}");
        assert!(xml.contains("<pubDate>Tue, 04 Apr 2023 00:00:00 GMT</pubDate>"), "{xml}");
        assert!(xml.contains(
            "<enclosure url=\"https://podcasts.example/statements/episodes/joint-statement.mp3\" length=\"12345\" type=\"audio/mpeg\"/>"
        ), "{xml}");
        assert!(xml.contains("<itunes:duration>01:02:05</itunes:duration>"), "{xml}");
        assert!(xml.contains("<itunes:category text=\"News\">"), "{xml}");
        assert!(xml.contains("type=\"application/json+chapters\""), "{xml}");
        assert!(xml.contains(&format!("<guid isPermaLink=\"false\">{}</guid>", guid(&show, "joint-statement"))));
        assert_eq!(feed(&show, &items), feed(&show, &items), "the same input gives the same bytes");
    }
}
