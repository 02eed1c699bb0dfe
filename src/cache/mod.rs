//! Content-addressed storage of synthesized segments, documents and
//! renders, in a local directory or an S3-compatible object store
//! ([`store`]).
//!
//! A segment's key is a hash of everything that changes its audio (engine id
//! and version, voice, rate, pitch, normalised text). Segments are written
//! whole (locally: temp file + rename), carry a BLAKE3 checksum that is
//! verified on every read (a corrupt file is deleted and reported as a miss),
//! and are evicted least-recently-used beyond a size cap. Documents live
//! beside the segments and are never evicted. Nothing here interprets audio.

pub(crate) mod atomic;
pub(crate) mod documents;
mod episodes;
pub(crate) mod renders;
mod segment;
pub(crate) mod store;

pub(crate) use documents::DocumentStore;
pub(crate) use episodes::EpisodeFiles;
pub(crate) use renders::{RemoteRender, RenderStore, StoredRender};
pub(crate) use segment::{Segment, SegmentCache, SegmentKey};
