//! Herald: multilingual text-to-speech and accessible reading.
//!
//! Data flows `document` → `text` → `voice` → `speech` (with `engine`,
//! `cache` and `audio` underneath, `coordination` between replicas) → front doors (`cli`, `web`, `wyoming`, `speechd`, `podcast`). See
//! `DESIGN.md` in the project's shared notes and the README.

pub mod audio;
pub(crate) mod book;
pub(crate) mod cache;
pub mod cli;
pub(crate) mod coordination;
pub mod document;
pub mod engine;
pub(crate) mod lines;
pub(crate) mod net;
pub mod pipeline;
pub(crate) mod podcast;
pub(crate) mod prosody;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod secret;
pub mod settings;
pub mod speech;
pub mod speechd;
pub(crate) mod statements;
pub mod text;
pub mod voice;
pub mod web;
pub mod wyoming;
