//! The reading page of a document: its text, each paragraph with its own
//! `lang` (and `dir` for right-to-left scripts) and its words marked with
//! their character offsets, the browser's player for the whole document,
//! download links (MP3 first, then Opus, FLAC and WAV) and the captions.
//! It works without JavaScript; `player.js` replaces the browser's player
//! with Herald's one set of controls, which reads paragraph after paragraph
//! (each rendered on its own, so playback starts at once on any length, and
//! "play from" a paragraph starts rendering there), with sentence and
//! paragraph navigation, speed, the position, word highlighting and
//! keyboard shortcuts. A page view synthesizes nothing.

use super::super::documents::{audio_url, load};
use super::super::error::AppError;
use super::super::AppState;
use super::layout;
use crate::audio::AudioFormat;
use crate::speech::{Paragraph, Role, StoredDocument};
use crate::text::LangTag;
use axum::extract::{Path, State};
use maud::{html, Markup};
use unicode_segmentation::UnicodeSegmentation;

#[utoipa::path(
    get,
    path = "/d/{id}",
    tag = "pages",
    params(("id" = String, Path, description = "The document id")),
    responses(
        (status = 200, description = "The reading page", body = String, content_type = "text/html"),
        crate::web::error::Problems,
    )
)]
pub(in crate::web) async fn document(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Markup, AppError> {
    let document = load(&state, &id).await?;
    Ok(page(&document))
}

/// `rtl` for languages written right to left.
fn direction(lang: &LangTag) -> Option<&'static str> {
    const RTL: &[&str] = &["ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"];
    RTL.contains(&lang.primary()).then_some("rtl")
}

/// Keyboard shortcuts of the player (Alt+Shift, as in Able Player, so they
/// do not clash with screen-reader browse-mode keys).
const SHORTCUTS: &[(&str, &str)] = &[
    ("Alt+Shift+P", "play or pause"),
    ("Alt+Shift+B", "back one sentence"),
    ("Alt+Shift+F", "forward one sentence"),
    ("Alt+Shift+Up", "previous paragraph"),
    ("Alt+Shift+Down", "next paragraph"),
    ("Alt+Shift+U", "faster"),
    ("Alt+Shift+D", "slower"),
];

/// The download links, the default first: MP3 is small and plays
/// everywhere; WAV, for a long document, runs to hundreds of megabytes.
const DOWNLOADS: [(AudioFormat, &str); 4] =
    [(AudioFormat::Mp3, "MP3"), (AudioFormat::Opus, "Opus"), (AudioFormat::Flac, "FLAC"), (AudioFormat::Wav, "WAV")];

fn page(document: &StoredDocument) -> Markup {
    let plan = &document.plan;
    let title_paragraph = plan.paragraphs.iter().find(|p| p.role == Role::Title);
    let title = plan.title.clone().unwrap_or_else(|| "Untitled statement".into());
    // The browser's player plays the default download (MP3) as the render
    // grows: a fifth of WAV's bytes, so it starts sooner on a slow link.
    let [(default_format, default_label), others @ ..] = DOWNLOADS;
    let default_audio = audio_url(&document.id, default_format);
    let content = html! {
        article data-document=(document.id) data-base=(format!("/v1/documents/{}", document.id)) {
            @match title_paragraph {
                Some(p) => h1.para #{"p" (p.index)} data-index=(p.index) data-role="title" lang=(p.lang) dir=[direction(&p.lang)] { (words(&p.text)) },
                None => h1 lang="en" { (title) },
            }
            @for meta in plan.meta.iter().filter(|m| !m.kind.is_spoken()) {
                p.meta { (meta.text) }
            }
            section.listen aria-labelledby="listen-heading" lang="en" {
                h2 #listen-heading { "Listen" }
                audio #player controls preload="none" src=(default_audio) aria-label="The whole statement" {
                    a href=(default_audio) { "Download the audio (" (default_label) ")" }
                }
                div #player-controls role="group" aria-label="Player" hidden {}
                p.downloads {
                    a href=(default_audio) download { "Download the audio (" (default_label) ")" }
                    " · other formats: "
                    @for (k, (format, label)) in others.iter().enumerate() {
                        @if k > 0 { ", " }
                        a href=(audio_url(&document.id, *format)) download {
                            span.visually-hidden { "Download the audio as " } (label)
                        }
                    }
                    " · "
                    a href=(format!("/v1/documents/{}/captions.vtt", document.id)) { "Captions (WebVTT)" }
                }
                details.shortcuts {
                    summary { "Keyboard shortcuts" }
                    dl {
                        @for (keys, action) in SHORTCUTS {
                            dt { kbd { (keys) } }
                            dd { (action) }
                        }
                    }
                }
            }
            section aria-labelledby="text-heading" {
                h2 #text-heading lang="en" { "Text" }
                @for p in plan.paragraphs.iter().filter(|p| p.role != Role::Title) { (paragraph(p)) }
            }
        }
        div #announcer .visually-hidden role="status" aria-live="polite" lang="en" {}
    };
    layout(plan.lang.as_str(), &title, content, &["player.js"])
}

fn paragraph(p: &Paragraph) -> Markup {
    let role = serde_json::to_value(p.role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let dir = direction(&p.lang);
    html! {
        div.para #{"p" (p.index)} data-index=(p.index) data-role=(role) {
            @match p.role {
                Role::Heading => h3.text lang=(p.lang) dir=[dir] { (words(&p.text)) },
                Role::Quote => blockquote.text lang=(p.lang) dir=[dir] { (words(&p.text)) },
                _ => p.text lang=(p.lang) dir=[dir] { (words(&p.text)) },
            }
        }
    }
}

/// A text with each word in a `span.w` whose `data-at` is its offset in
/// characters (Unicode scalar values, as timelines count them), so the
/// player can highlight words as their timings arrive. Words are Unicode
/// (UAX #29) word segments that hold a letter or digit.
fn words(text: &str) -> Markup {
    let mut at = 0;
    let pieces: Vec<(Option<usize>, &str)> = text
        .split_word_bounds()
        .map(|piece| {
            let start = at;
            at += piece.chars().count();
            (piece.chars().any(char::is_alphanumeric).then_some(start), piece)
        })
        .collect();
    html! {
        @for (start, piece) in pieces {
            @match start {
                Some(start) => span.w data-at=(start) { (piece) },
                None => (piece),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_carry_their_character_offsets() {
        let html = words("Né à <Paris>, 2023.").into_string();
        assert_eq!(
            html,
            r#"<span class="w" data-at="0">Né</span> <span class="w" data-at="3">à</span> &lt;<span class="w" data-at="6">Paris</span>&gt;, <span class="w" data-at="14">2023</span>."#
        );
    }
}
