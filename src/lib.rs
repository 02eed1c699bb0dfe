//! Herald: multilingual text-to-speech and accessible reading.
//!
//! Data flows `document` → `text` → `voice` → `speech` (with `engine`,
//! `cache` and `audio` underneath, `coordination` between replicas) → front doors (`cli`, `web`, `wyoming`, `speechd`, `podcast`). See
//! `DESIGN.md` in the project's shared notes and the README.

pub mod audio;
pub mod book;
pub mod cache;
pub mod cli;
pub mod coordination;
pub mod document;
pub mod engine;
pub mod lines;
pub mod net;
pub mod pipeline;
pub mod podcast;
pub mod prosody;
pub mod render;
pub mod report;
pub mod secret;
pub mod settings;
pub mod speech;
pub mod speechd;
pub mod text;
pub mod voice;
pub mod web;
pub mod wyoming;
