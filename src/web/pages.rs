//! HTML pages: the home page with a form to paste a statement, and the
//! reader page of a document. Rendered with maud, which escapes every
//! interpolated string, so user text can never become markup.

use super::documents::{audio_url, create_document, load, paragraph_audio_url};
use super::error::AppError;
use super::AppState;
use crate::document::InputFormat;
use crate::speech::{Paragraph, Role, SpeechOptions, StoredDocument};
use crate::text::LangTag;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Deserialize;

const STYLESHEET: &str = include_str!("assets/herald.css");

pub(super) async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}

fn layout(lang: &str, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Herald" }
                link rel="stylesheet" href="/assets/herald.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header { p.brand { a href="/" { "Herald" } } }
                main #main { (content) }
                footer { p { "Herald reads statements aloud in their own languages." } }
            }
        }
    }
}

fn home_page(error: Option<&str>, text: &str) -> Markup {
    layout(
        "en",
        "Listen to a statement",
        html! {
            h1 { "Listen to a statement" }
            p { "Paste a statement, a speech or an article. Herald detects the language of every paragraph and reads it aloud." }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form method="post" action="/d" {
                label for="text" { "Statement text" }
                textarea #text name="text" required aria-describedby="text-hint" { (text) }
                p.hint #text-hint { "Plain text or Markdown. Paragraphs are separated by blank lines." }
                label for="format" { "Format" }
                select #format name="format" {
                    option value="text" selected { "Plain text" }
                    option value="markdown" { "Markdown" }
                }
                label for="lang" { "Language (optional)" }
                input #lang name="lang" type="text" autocomplete="off" aria-describedby="lang-hint";
                p.hint #lang-hint { "A language tag such as en, fr or zh. Leave empty to detect it." }
                button type="submit" { "Create and listen" }
            }
        },
    )
}

pub(super) async fn home() -> Markup {
    home_page(None, "")
}

#[derive(Debug, Deserialize)]
pub(super) struct HomeForm {
    text: String,
    format: Option<String>,
    lang: Option<String>,
}

pub(super) async fn create(State(state): State<AppState>, form: Result<Form<HomeForm>, FormRejection>) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return form_error(rejection.status(), &rejection.body_text(), ""),
    };
    let format = match form.format.as_deref() {
        Some("markdown") => InputFormat::Markdown,
        _ => InputFormat::Text,
    };
    let lang = match form.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(raw) => match LangTag::parse(raw) {
            Ok(tag) => Some(tag),
            Err(e) => return form_error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string(), &form.text),
        },
    };
    if !form.text.chars().any(char::is_alphanumeric) {
        return form_error(
            StatusCode::BAD_REQUEST,
            "The statement is empty: paste some text to listen to.",
            &form.text,
        );
    }
    let options = SpeechOptions { lang, ..SpeechOptions::default() };
    match create_document(&state, form.text.clone(), format, options).await {
        Ok(document) => Redirect::to(&format!("/d/{}", document.id)).into_response(),
        Err(error) => form_error(error.status(), &error.public_detail(), &form.text),
    }
}

fn form_error(status: StatusCode, message: &str, text: &str) -> Response {
    (status, home_page(Some(message), text)).into_response()
}

pub(super) async fn document(State(state): State<AppState>, Path(id): Path<String>) -> Result<Markup, AppError> {
    let document = load(&state, &id).await?;
    Ok(reader_page(&document))
}

fn reader_page(document: &StoredDocument) -> Markup {
    let plan = &document.plan;
    let title = plan.title.clone().unwrap_or_else(|| "Untitled statement".into());
    let title_lang = plan.paragraphs.iter().find(|p| p.role == Role::Title).map(|p| p.lang.as_str());
    let spoken: Vec<&Paragraph> = plan.paragraphs.iter().filter(|p| p.role != Role::Title).collect();
    layout(
        plan.lang.as_str(),
        &title,
        html! {
            article {
                h1 lang=[title_lang] { (title) }
                @for meta in &plan.meta {
                    @if !meta.kind.is_spoken() { p.meta { (meta.text) } }
                }
                section aria-labelledby="listen-heading" {
                    h2 #listen-heading { "Listen" }
                    audio controls preload="none" src=(audio_url(&document.id)) aria-label="The whole statement" {
                        a href=(audio_url(&document.id)) { "Download the audio" }
                    }
                    p { a href=(audio_url(&document.id)) download { "Download the audio (WAV)" } }
                }
                section aria-labelledby="text-heading" {
                    h2 #text-heading { "Text" }
                    @for p in &spoken { (paragraph(document, p)) }
                }
            }
        },
    )
}

fn paragraph(document: &StoredDocument, p: &Paragraph) -> Markup {
    let label = format!("Paragraph {}", p.index);
    let role = serde_json::to_value(p.role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    html! {
        div.para #{"p" (p.index)} data-role=(role) {
            @match p.role {
                Role::Heading => h3 lang=(p.lang) { (p.text) },
                Role::Quote => blockquote lang=(p.lang) { (p.text) },
                Role::ListItem => p lang=(p.lang) { (PreEscaped("&bull; ")) (p.text) },
                _ => p lang=(p.lang) { (p.text) },
            }
            audio controls preload="none" src=(paragraph_audio_url(&document.id, p.index)) aria-label=(label) {}
        }
    }
}
