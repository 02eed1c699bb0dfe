//! One episode: a statement spoken through the pipeline (plan, speaker,
//! timeline), loudness-normalised, encoded as 44.1 kHz mono MP3 with an ID3
//! tag and chapters, plus its captions, transcript and JSON chapters, all in
//! memory until [`super::batch`] writes them.

use super::chapters;
use super::config::Show;
use super::tags::{self, EpisodeTags};
use super::{captions, LOUDNESS_LUFS, MP3_RATE, TRUE_PEAK_DBTP};
use crate::audio;
use crate::pipeline::{Pipeline, SpeechCut, SpokenPlan};
use crate::speech::{Plan, Role, SpeechOptions};
use crate::statements::Statement;
use std::sync::Arc;
use std::time::SystemTime;

/// The files of an episode, by their extension after the slug.
pub(crate) const EXTENSIONS: [&str; 5] = ["mp3", "vtt", "srt", "chapters.json", "transcript.json"];

/// A finished episode, not yet written.
pub(crate) struct Episode {
    pub title: String,
    /// A sentence or two for the feed and the ID3 comment.
    pub summary: String,
    pub duration: f64,
    /// (extension from [`EXTENSIONS`], bytes), in that order.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// Sentences synthesized by the engine / served from the segment cache.
    pub synthesized: u64,
    pub cached: u64,
    /// Sentences the engine could not speak (left out of the audio).
    pub skipped: usize,
}

/// Why an episode could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EpisodeError {
    #[error("no sentence could be spoken ({0} tried)")]
    Silent(usize),
    #[error("encoding failed")]
    Encode(#[from] audio::EncodeError),
    #[error(transparent)]
    Cut(#[from] SpeechCut),
    #[error("the encoding task did not finish")]
    Task(#[source] tokio::task::JoinError),
}

/// The speech options of the show's episodes. Voices are left to the
/// planner, which picks the best voice of the show's quality for each
/// paragraph's language: this is the one place episodes choose voices.
pub(crate) fn speech_options(show: &Show) -> SpeechOptions {
    SpeechOptions { quality: Some(show.quality), ..SpeechOptions::default() }
}

/// Speaks `statement` (planned with [`speech_options`]) and builds the
/// episode's files.
pub(crate) async fn produce(
    pipeline: &Arc<Pipeline>,
    show: &Show,
    statement: &Statement,
    plan: Plan,
    published: SystemTime,
) -> Result<Episode, EpisodeError> {
    let rate = pipeline.sample_rate();
    let spoken = pipeline.speak_plan(&plan).await?;
    let utterances = (spoken.synthesized + spoken.cached) as usize + spoken.skipped;
    if spoken.skipped == utterances {
        return Err(EpisodeError::Silent(spoken.skipped));
    }
    let SpokenPlan { samples, timeline, synthesized, cached, skipped } = spoken;
    let chapters = chapters::chapters(&plan, &timeline);
    let title = plan.title.clone().unwrap_or_else(|| {
        chapters.first().map_or_else(|| statement.slug.clone(), |c| c.title.trim_end_matches('…').to_string())
    });
    let summary = summary(&plan).unwrap_or_else(|| title.clone());
    let tag = tags::id3_tag(&EpisodeTags {
        title: &title,
        artist: &show.author,
        album: &show.title,
        date: tags::civil_date(published),
        comment: &summary,
        chapters: &chapters,
    });
    let mp3 = tokio::task::spawn_blocking(move || {
        audio::mastered_mp3(&samples, rate, LOUDNESS_LUFS, TRUE_PEAK_DBTP, MP3_RATE)
    })
    .await
    .map_err(EpisodeError::Task)??;
    let files = vec![
        ("mp3", [tag, mp3].concat()),
        ("vtt", timeline.to_vtt(&plan).into_bytes()),
        ("srt", captions::to_srt(&plan, &timeline).into_bytes()),
        ("chapters.json", chapters::to_json(&chapters)),
        ("transcript.json", captions::to_transcript_json(&plan, &timeline)),
    ];
    Ok(Episode { title, summary, duration: timeline.duration, files, synthesized, cached, skipped })
}

/// Words a body paragraph needs to describe the episode (a salutation such
/// as "Minister Hayashi," does not).
const SUMMARY_WORDS: usize = 12;

/// The first substantial body paragraph (else the first), as the episode's description.
fn summary(plan: &Plan) -> Option<String> {
    let mut body = plan.paragraphs.iter().filter(|p| p.role == Role::Body);
    let first = body.clone().next();
    body.find(|p| p.text.split_whitespace().count() >= SUMMARY_WORDS).or(first).map(|p| p.text.clone())
}
