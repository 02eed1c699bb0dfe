//! The orchestrator: turns a [`Document`](crate::document::Document) and
//! options into a [`Plan`] (paragraphs, sentences, languages, voices), and a
//! plan into an in-order stream of audio and marks, served from the segment
//! cache where it can and synthesized by the worker pool where it must.
//!
//! Every front door (HTTP, CLI, podcast) goes through here; none of them
//! segments, chooses voices or caches by itself.

pub(crate) mod encoded;
pub(crate) mod events;
pub(crate) mod identity;
pub(crate) mod options;
pub(crate) mod plan;
pub(crate) mod rendered;
pub(crate) mod speaker;
pub(crate) mod stored;
pub(crate) mod timeline;

pub(crate) use encoded::{EncodedEvent, EncodedSpeech};
pub(crate) use events::CacheStatus;
pub use events::{SpeakError, SpeechEvent, SpeechEvents};
pub use options::{Pitch, Rate, SpeechOptions, VoiceScope};
pub use plan::{Paragraph, Plan, PlanError, PlannedSentence, Role, Utterance};
pub(crate) use plan::{PlanCursor, Planner};
pub use rendered::{collect, Rendered};
pub(crate) use speaker::{Speaker, SpeakerSettings};
pub(crate) use stored::{DocumentId, StoredDocument};
pub(crate) use timeline::{MarkTiming, TimedSentence, Timeline, TimelineBuilder};
