//! Content-addressed storage of synthesized segments and of documents.
//!
//! A segment's key is a hash of everything that changes its audio (engine id
//! and version, voice, rate, pitch, normalised text). Segment files are
//! written atomically (temp file + rename), carry a BLAKE3 checksum that is
//! verified on every read (a corrupt file is deleted and reported as a miss),
//! and are evicted least-recently-used beyond a size cap. Documents live
//! beside the segments and are never evicted. Nothing here interprets audio.

pub mod atomic;
pub mod documents;
pub mod renders;
mod segment;

pub use documents::DocumentStore;
pub use renders::RenderStore;
pub use segment::{Segment, SegmentCache, SegmentKey};
