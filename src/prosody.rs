//! Rate and pitch of speech, parsed at the boundary: a [`Rate`] or
//! [`Pitch`] that exists is within range. A leaf: engines, the planner and
//! every front door speak of them without depending on one another.

use serde::{Deserialize, Serialize};

/// Speaking rate in words per minute, 80–600 (default 175).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Rate(u32);

/// Base pitch, 0–100 (default 50, the voice's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Pitch(u32);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OptionError {
    #[error("rate {0} is out of range: use {min}–{max} words per minute", min = Rate::MIN, max = Rate::MAX)]
    Rate(u32),
    #[error("pitch {0} is out of range: use 0–100")]
    Pitch(u32),
}

impl Rate {
    pub const MIN: u32 = 80;
    pub const MAX: u32 = 600;
    /// The default, and the pace every engine calls its normal rate.
    pub const NORMAL: u32 = 175;

    pub fn new(wpm: u32) -> Result<Self, OptionError> {
        (Self::MIN..=Self::MAX).contains(&wpm).then_some(Self(wpm)).ok_or(OptionError::Rate(wpm))
    }

    pub fn wpm(self) -> u32 {
        self.0
    }
}

impl Default for Rate {
    fn default() -> Self {
        Self(Self::NORMAL)
    }
}

impl TryFrom<u32> for Rate {
    type Error = OptionError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Rate> for u32 {
    fn from(r: Rate) -> u32 {
        r.0
    }
}

impl Pitch {
    pub fn new(value: u32) -> Result<Self, OptionError> {
        (value <= 100).then_some(Self(value)).ok_or(OptionError::Pitch(value))
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

impl Default for Pitch {
    fn default() -> Self {
        Self(50)
    }
}

impl TryFrom<u32> for Pitch {
    type Error = OptionError;
    fn try_from(v: u32) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Pitch> for u32 {
    fn from(p: Pitch) -> u32 {
        p.0
    }
}
