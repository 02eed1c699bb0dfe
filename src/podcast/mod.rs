//! Podcasts: a directory (or a list) of statements becomes a show: one MP3
//! episode per statement (44.1 kHz mono, −16 LUFS, ID3 tags and chapters),
//! its captions, transcript and chapters, and an RSS feed with the
//! `itunes:` and `podcast:` namespaces. Incremental (a manifest of source
//! and settings hashes), resumable (atomic writes) and parallel.
//!
//! Every episode goes through the pipeline (plan, speaker, timeline,
//! encoders); nothing here segments, detects languages, synthesizes or
//! encodes by itself.

pub(crate) mod batch;
mod captions;
pub(crate) mod chapters;
pub(crate) mod config;
pub(crate) mod episode;
pub(crate) mod feed;
pub(crate) mod jobs;
pub(crate) mod manifest;
mod queue;
mod shared;
mod tags;

pub(crate) use batch::{run, Batch, Progress, Summary};
pub(crate) use config::Show;

/// Integrated loudness of every episode (EBU R128), in LUFS.
pub(crate) const LOUDNESS_LUFS: f64 = -16.0;
/// The true-peak ceiling while normalising, in dBTP: half a dB under the
/// −1 dBTP an episode must keep, as room for the resampling and the MP3
/// encoder, which can both raise inter-sample peaks a little.
pub(crate) const TRUE_PEAK_DBTP: f64 = -1.5;
/// Sample rate of the episodes' MP3.
pub(crate) const MP3_RATE: u32 = 44_100;
