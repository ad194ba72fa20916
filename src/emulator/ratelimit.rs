//! DigitalOcean's per-token sliding-window rate limits: each request counts for one
//! full window after it was made (60 s for the burst limit, 3600 s for the hourly one).

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) const BURST_WINDOW: Duration = Duration::from_secs(60);
pub(crate) const HOURLY_WINDOW: Duration = Duration::from_secs(3600);

/// The values of the `ratelimit-*` (and `retry-after`) headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Unix time (seconds) when the oldest request of the binding window expires.
    pub(crate) reset: u64,
    /// Set on a 429 caused by the burst limit.
    pub(crate) retry_after: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    burst_limit: u32,
    hourly_limit: u32,
    burst: VecDeque<Instant>,
    hourly: VecDeque<Instant>,
}

fn unix_at(at: Instant, now: Instant) -> u64 {
    let wall_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let wall = if at >= now {
        wall_now + (at - now)
    } else {
        wall_now.saturating_sub(now - at)
    };
    // Round up: the request has not expired before this second.
    wall.as_secs() + u64::from(wall.subsec_nanos() > 0)
}

impl RateLimiter {
    pub(crate) fn new(burst_limit: u32, hourly_limit: u32) -> RateLimiter {
        RateLimiter {
            burst_limit,
            hourly_limit,
            burst: VecDeque::new(),
            hourly: VecDeque::new(),
        }
    }

    pub(crate) fn set_limits(&mut self, burst_limit: u32, hourly_limit: u32) {
        self.burst_limit = burst_limit;
        self.hourly_limit = hourly_limit;
    }

    /// `(burst, hourly)` limits in force.
    pub(crate) fn limits(&self) -> (u32, u32) {
        (self.burst_limit, self.hourly_limit)
    }

    pub(crate) fn clear(&mut self) {
        self.burst.clear();
        self.hourly.clear();
    }

    fn prune(&mut self, now: Instant) {
        while self.burst.front().is_some_and(|t| now - *t >= BURST_WINDOW) {
            self.burst.pop_front();
        }
        while self
            .hourly
            .front()
            .is_some_and(|t| now - *t >= HOURLY_WINDOW)
        {
            self.hourly.pop_front();
        }
    }

    fn headers(&self, now: Instant, retry_after: Option<u64>) -> RateHeaders {
        let burst_left = self.burst_limit.saturating_sub(self.burst.len() as u32);
        let hourly_left = self.hourly_limit.saturating_sub(self.hourly.len() as u32);
        // As DigitalOcean documents: the headers describe the hourly limit; `remaining`
        // drops to 0 (and `reset` follows the burst window) only once the burst limit is hit.
        let (remaining, oldest_expiry) = if burst_left == 0 {
            (0, self.burst.front().map(|t| *t + BURST_WINDOW))
        } else {
            (hourly_left, self.hourly.front().map(|t| *t + HOURLY_WINDOW))
        };
        RateHeaders {
            limit: self.hourly_limit,
            remaining,
            reset: unix_at(oldest_expiry.unwrap_or(now), now),
            retry_after,
        }
    }

    /// Counts one request if the limits allow it. `Err` means 429.
    pub(crate) fn acquire(&mut self, now: Instant) -> Result<RateHeaders, RateHeaders> {
        self.prune(now);
        if self.burst.len() as u32 >= self.burst_limit {
            let wait = self
                .burst
                .front()
                .map(|t| (*t + BURST_WINDOW).saturating_duration_since(now))
                .unwrap_or(BURST_WINDOW);
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut headers = self.headers(now, Some(secs.max(1)));
            headers.remaining = 0;
            return Err(headers);
        }
        if self.hourly.len() as u32 >= self.hourly_limit {
            let mut headers = self.headers(now, None);
            headers.remaining = 0;
            return Err(headers);
        }
        self.burst.push_back(now);
        self.hourly.push_back(now);
        Ok(self.headers(now, None))
    }

    /// Current headers without counting a request (for 401s and injected faults).
    pub(crate) fn peek(&mut self, now: Instant) -> RateHeaders {
        self.prune(now);
        self.headers(now, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_limit_then_expiry() {
        let mut limiter = RateLimiter::new(3, 100);
        let t0 = Instant::now();
        let remaining: Vec<u32> = (0..3)
            .map(|i| {
                limiter
                    .acquire(t0 + Duration::from_millis(i))
                    .unwrap()
                    .remaining
            })
            .collect();
        // The hourly count shows until the burst window is full, then 0.
        assert_eq!(remaining, vec![99, 98, 0]);
        let denied = limiter.acquire(t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(denied.retry_after, Some(50));
        assert_eq!(denied.remaining, 0);
        // The first request expires 60 s after it was made.
        let ok = limiter.acquire(t0 + Duration::from_secs(60)).unwrap();
        assert_eq!(ok.remaining, 0);
        assert_eq!(ok.limit, 100);
    }

    #[test]
    fn hourly_limit_has_no_retry_after() {
        let mut limiter = RateLimiter::new(100, 2);
        let t0 = Instant::now();
        limiter.acquire(t0).unwrap();
        limiter.acquire(t0).unwrap();
        let denied = limiter.acquire(t0 + Duration::from_secs(61)).unwrap_err();
        assert_eq!(denied.retry_after, None);
        assert!(limiter.acquire(t0 + HOURLY_WINDOW).is_ok());
    }

    #[test]
    fn peek_does_not_count() {
        let mut limiter = RateLimiter::new(1, 10);
        let now = Instant::now();
        assert_eq!(limiter.peek(now).remaining, 10);
        assert!(limiter.acquire(now).is_ok());
        assert!(limiter.acquire(now).is_err());
        limiter.clear();
        assert!(limiter.acquire(now).is_ok());
    }
}
