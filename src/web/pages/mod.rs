//! HTML pages: the shared layout, the home page with a form to paste a
//! statement, and (in [`reader`]) the reading page of a document. Rendered
//! with maud, which escapes every interpolated string, so user text can
//! never become markup. Herald's own words on a page are English and marked
//! `lang="en"`; the page's `lang` is the document's.
//!
//! When keys are set, the home form posts with the publishable key of
//! Herald's own pages in its address (`/d?key=pk_…`): a form cannot send
//! headers, and that key works only from Herald's own origin, within its
//! own rate and quota.

mod reader;

pub(super) use reader::{__path_document, document};

use super::assets;
use super::documents::create_document;
use super::{language, AppState};
use crate::document::InputFormat;
use crate::speech::SpeechOptions;
use crate::text::LangTag;
use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

/// The page frame. `lang` is the language of the page's content; Herald's
/// own words carry `lang="en"`. `scripts` are asset names to load (deferred).
fn layout(lang: &str, title: &str, content: Markup, scripts: &[&str]) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Herald" }
                link rel="stylesheet" href=(assets::url("herald.css"));
                @for script in scripts { script src=(assets::url(script)) defer {} }
            }
            body {
                a.skip href="#main" lang="en" { "Skip to content" }
                header lang="en" { p.brand { a href="/" { "Herald" } } }
                main #main tabindex="-1" { (content) }
                footer lang="en" { p { "Herald reads statements aloud in their own languages." } }
            }
        }
    }
}

/// Where the home form posts: with the key of Herald's own pages, if any.
fn form_action(state: &AppState) -> String {
    state.keys.form_key().map_or_else(|| "/d".to_string(), |key| format!("/d?key={key}"))
}

fn home_page(action: &str, error: Option<&str>, text: &str) -> Markup {
    layout(
        "en",
        "Listen to a statement",
        html! {
            h1 { "Listen to a statement" }
            p { "Paste a statement, a speech or an article. Herald detects the language of every paragraph and reads it aloud." }
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            form method="post" action=(action) {
                label for="text" { "Statement text" }
                textarea #text name="text" required aria-describedby="text-hint" { (text) }
                p.hint #text-hint { "Plain text, Markdown or HTML. In plain text, paragraphs are separated by blank lines." }
                label for="format" { "Format" }
                select #format name="format" {
                    option value="text" selected { "Plain text" }
                    option value="markdown" { "Markdown" }
                    option value="html" { "HTML" }
                }
                label for="lang" { "Language (optional)" }
                input #lang name="lang" type="text" autocomplete="off" aria-describedby="lang-hint";
                p.hint #lang-hint { "A language tag such as en, fr or zh. Leave empty to detect it." }
                button type="submit" { "Create and listen" }
            }
            section aria-labelledby="embed-heading" {
                h2 #embed-heading { "A Listen button for your site" }
                p { "Add these two lines to a page, and allow its origin in Herald's " code { "cors_origins" } " setting. When Herald needs keys, give the page a publishable key bound to its origin (" code { "data-herald-key" } "), never a secret key:" }
                pre { code { "<script src=\"https://YOUR-HERALD" (assets::embed_url()) "\" defer></script>\n<div data-herald-listen data-herald-target=\"article\"\n     data-herald-key=\"pk_…\"></div>" } }
            }
        },
        &[],
    )
}

#[utoipa::path(
    get,
    path = "/",
    tag = "pages",
    responses((status = 200, description = "The home page: a form to listen to a statement", body = String, content_type = "text/html"))
)]
pub(super) async fn home(State(state): State<AppState>) -> Markup {
    home_page(&form_action(&state), None, "")
}

/// The home page's form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct HomeForm {
    text: String,
    format: Option<String>,
    lang: Option<String>,
}

#[utoipa::path(
    post,
    path = "/d",
    tag = "pages",
    security((), ("key" = [])),
    request_body(content = HomeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "The document is made: its reading page is at `Location`"),
        (status = "4XX", description = "The form again, saying what is wrong", body = String, content_type = "text/html"),
        (status = "5XX", description = "The form again, saying that Herald failed", body = String, content_type = "text/html"),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<HomeForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return form_error(&state, rejection.status(), &rejection.body_text(), ""),
    };
    let format = form.format.as_deref().and_then(InputFormat::from_extension).unwrap_or_default();
    let lang = match form.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(raw) => match LangTag::parse(raw) {
            Ok(tag) => Some(tag),
            Err(e) => return form_error(&state, StatusCode::UNPROCESSABLE_ENTITY, &e.to_string(), &form.text),
        },
    };
    if !form.text.chars().any(char::is_alphanumeric) {
        return form_error(
            &state,
            StatusCode::BAD_REQUEST,
            "The statement is empty: paste some text to listen to.",
            &form.text,
        );
    }
    let options = SpeechOptions { lang, lang_priors: language::priors(&headers), ..SpeechOptions::default() };
    match create_document(&state, form.text.clone(), format, options).await {
        Ok(document) => Redirect::to(&format!("/d/{}", document.id)).into_response(),
        Err(error) => form_error(&state, error.status(), &error.public_detail(), &form.text),
    }
}

fn form_error(state: &AppState, status: StatusCode, message: &str, text: &str) -> Response {
    (status, home_page(&form_action(state), Some(message), text)).into_response()
}
