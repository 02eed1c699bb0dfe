//! Overload protection in front of the handlers: a per-client rate limit
//! (token buckets keyed by peer address, from the `governor` crate; clients
//! on loopback are exempt unless configured otherwise) and a deadline for
//! a request to start its response. Both answer with problem+json.

use super::error::AppError;
use super::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

/// Per-address token buckets, or none when rate limiting is off.
pub(super) struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    loopback: bool,
}

impl RateLimit {
    pub(super) fn new(per_minute: u32, burst: u32, loopback: bool) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        Self { limiter, loopback }
    }

    /// `Err(wait)` when `ip` is over its rate.
    fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        if ip.is_loopback() && !self.loopback {
            return Ok(());
        }
        limiter.check_key(&ip).map_err(|not_until| {
            not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()))
        })
    }

    /// Forgets idle clients (call now and then).
    pub(super) fn shrink(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

pub(super) async fn rate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(ip) = peer {
        if let Err(wait) = state.rate_limit.check(ip) {
            return AppError::TooManyRequests { retry_after_secs: wait.as_secs().max(1) }.into_response();
        }
    }
    next.run(request).await
}

pub(super) async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = Duration::from_secs(state.pipeline.settings().server.request_timeout_secs);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout(limit).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_remote_clients_and_spares_loopback() {
        let limit = RateLimit::new(60, 2, false);
        let remote: IpAddr = "203.0.113.9".parse().unwrap();
        assert!(limit.check(remote).is_ok() && limit.check(remote).is_ok());
        let wait = limit.check(remote).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(limit.check("203.0.113.10".parse().unwrap()).is_ok(), "buckets are per address");
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert!((0..10).all(|_| limit.check(local).is_ok()));
        let strict = RateLimit::new(60, 1, true);
        assert!(strict.check(local).is_ok() && strict.check(local).is_err());
        let off = RateLimit::new(0, 1, true);
        assert!((0..10).all(|_| off.check(remote).is_ok()));
    }
}
