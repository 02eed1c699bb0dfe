//! The orchestrator: turns a [`Document`](crate::document::Document) and
//! options into a [`Plan`] (paragraphs, sentences, languages, voices), and a
//! plan into an in-order stream of audio and marks, served from the segment
//! cache where it can and synthesized by the worker pool where it must.
//!
//! Every front door (HTTP, CLI, podcast) goes through here; none of them
//! segments, chooses voices or caches by itself.

pub mod encoded;
pub mod events;
pub mod identity;
pub mod options;
pub mod plan;
pub mod rendered;
pub mod speaker;
pub mod stored;
pub mod timeline;

pub use encoded::{EncodedEvent, EncodedSpeech};
pub use events::{CacheStatus, SpeakError, SpeechEvent};
pub use identity::AudioIdentity;
pub use options::{Pitch, Rate, SpeechOptions, VoiceScope};
pub use plan::{Paragraph, Plan, PlanCursor, PlanError, PlannedSentence, Planner, Role, Utterance};
pub use rendered::{collect, Rendered};
pub use speaker::{Speaker, SpeakerSettings};
pub use stored::{DocumentId, InvalidDocumentId, StoredDocument};
pub use timeline::{MarkTiming, TimedSentence, Timeline, TimelineBuilder};
