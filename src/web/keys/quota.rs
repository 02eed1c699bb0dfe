//! What a publishable key may spend: requests per minute (a token bucket
//! from `governor`) and characters per UTC day, and how many characters a
//! request asks to be spoken.
//!
//! Characters are counted before any work is done, from the request body:
//! form bodies after percent-decoding, others as UTF-8 text (markup and JSON
//! syntax count too). A request that would go over the day's quota is
//! refused whole, so the quota is never exceeded.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAY_SECS: u64 = 24 * 60 * 60;

/// Per-key limits, shared by every request carrying the key.
pub(super) struct Allowance {
    rate: DefaultDirectRateLimiter,
    daily_characters: u64,
    /// (UTC day number, characters used that day).
    used: Mutex<(u64, u64)>,
}

/// Why a request may not spend.
#[derive(Debug, PartialEq, thiserror::Error)]
pub(super) enum Refusal {
    #[error("over its rate of requests per minute")]
    Rate { retry_after: Duration },
    #[error("over its daily quota of {limit} characters ({used} used today, {asked} asked)")]
    Quota { limit: u64, used: u64, asked: u64, retry_after: Duration },
}

impl Refusal {
    pub(super) fn retry_after_secs(&self) -> u64 {
        let (Self::Rate { retry_after } | Self::Quota { retry_after, .. }) = self;
        retry_after.as_secs().max(1)
    }
}

impl Allowance {
    pub(super) fn new(per_minute: u32, daily_characters: u64) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self { rate: RateLimiter::direct(Quota::per_minute(per_minute)), daily_characters, used: Mutex::new((0, 0)) }
    }

    /// Takes one request from the rate.
    pub(super) fn take_request(&self) -> Result<(), Refusal> {
        self.rate.check().map_err(|not_until| Refusal::Rate {
            retry_after: not_until
                .wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())),
        })
    }

    /// Spends `characters` of today's quota, or refuses without spending.
    pub(super) fn spend(&self, characters: u64, now: SystemTime) -> Result<(), Refusal> {
        let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let today = since_epoch / DAY_SECS;
        let mut used = self.used.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if used.0 != today {
            *used = (today, 0);
        }
        if used.1 + characters > self.daily_characters {
            let retry_after = Duration::from_secs((today + 1) * DAY_SECS - since_epoch);
            return Err(Refusal::Quota { limit: self.daily_characters, used: used.1, asked: characters, retry_after });
        }
        used.1 += characters;
        Ok(())
    }
}

/// Characters a request body asks to be spoken.
pub(super) fn characters(body: &[u8], form: bool) -> u64 {
    if form {
        String::from_utf8_lossy(&percent_decode(body)).chars().count() as u64
    } else {
        String::from_utf8_lossy(body).chars().count() as u64
    }
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space).
fn percent_decode(body: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'%' if i + 2 < body.len() => match (hex(body[i + 1]), hex(body[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_would_be_spoken() {
        assert_eq!(characters("Grüße".as_bytes(), false), 5);
        let decoded = "text=Grüße dich&format=text".chars().count() as u64;
        assert_eq!(characters(b"text=Gr%C3%BC%C3%9Fe+dich&format=text", true), decoded);
        assert_eq!(characters(b"100%", true), 4, "a stray percent sign is kept");
    }

    #[test]
    fn a_day_has_its_quota_and_the_next_day_starts_afresh() {
        let allowance = Allowance::new(60, 100);
        let noon = UNIX_EPOCH + Duration::from_secs(20_000 * DAY_SECS + DAY_SECS / 2);
        assert_eq!(allowance.spend(60, noon), Ok(()));
        let refused = allowance.spend(41, noon).unwrap_err();
        assert_eq!(refused.retry_after_secs(), DAY_SECS / 2, "until midnight UTC");
        assert_eq!(allowance.spend(40, noon), Ok(()), "a refused request spends nothing");
        assert!(allowance.spend(1, noon).is_err());
        assert_eq!(allowance.spend(100, noon + Duration::from_secs(DAY_SECS)), Ok(()));
    }

    #[test]
    fn the_rate_refuses_with_a_wait() {
        let allowance = Allowance::new(1, 100);
        assert!(allowance.take_request().is_ok());
        let refused = allowance.take_request().unwrap_err();
        assert!(matches!(refused, Refusal::Rate { .. }) && refused.retry_after_secs() >= 1);
    }
}
