//! DigitalOcean's per-token sliding-window rate limits: each request counts for one
//! full window after it was made (60 s for the burst limit, 3600 s for the hourly one;
//! both windows can be shortened for tests).
//!
//! The headers follow the API reference (seed 004, "Rate Limit"): `ratelimit-limit` is the
//! hourly limit and `ratelimit-reset` the unix time at which the oldest request of the
//! hourly window expires (up to an hour away). `ratelimit-remaining` is what is left of the
//! hourly budget, except that it reads 0 once the burst window is full ("`ratelimit-remaining`
//! reaching zero can also indicate that the burst limit ... was met"). A 429 for the burst
//! limit adds `retry-after` (seconds until the burst window frees a slot); a 429 for the
//! hourly quota has none.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) const BURST_WINDOW: Duration = Duration::from_secs(60);
pub(crate) const HOURLY_WINDOW: Duration = Duration::from_secs(3600);

/// The values of the `ratelimit-*` (and `retry-after`) headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Unix time (seconds) when the oldest request of the hourly window expires.
    pub(crate) reset: u64,
    /// Set on a 429 caused by the burst limit.
    pub(crate) retry_after: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    burst_limit: u32,
    hourly_limit: u32,
    burst_window: Duration,
    hourly_window: Duration,
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

/// Unix time (seconds) `secs` from now: a `ratelimit-reset` for injected faults.
pub(crate) fn unix_in(secs: u64) -> u64 {
    let now = Instant::now();
    unix_at(now + Duration::from_secs(secs), now)
}

/// Whole seconds, rounded up, at least 1: waiting that long is always enough.
fn ceil_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl RateLimiter {
    pub(crate) fn new(burst_limit: u32, hourly_limit: u32) -> RateLimiter {
        RateLimiter {
            burst_limit,
            hourly_limit,
            burst_window: BURST_WINDOW,
            hourly_window: HOURLY_WINDOW,
            burst: VecDeque::new(),
            hourly: VecDeque::new(),
        }
    }

    pub(crate) fn with_windows(
        (burst_limit, hourly_limit): (u32, u32),
        (burst_window, hourly_window): (Duration, Duration),
    ) -> RateLimiter {
        let mut limiter = RateLimiter::new(burst_limit, hourly_limit);
        limiter.set_windows(burst_window, hourly_window);
        limiter
    }

    pub(crate) fn set_limits(&mut self, burst_limit: u32, hourly_limit: u32) {
        self.burst_limit = burst_limit;
        self.hourly_limit = hourly_limit;
    }

    /// Window lengths (DigitalOcean's are 60 s and 3600 s); requests already counted keep
    /// their arrival time and expire by the new windows.
    pub(crate) fn set_windows(&mut self, burst_window: Duration, hourly_window: Duration) {
        self.burst_window = burst_window;
        self.hourly_window = hourly_window;
    }

    /// `(burst, hourly)` limits in force.
    pub(crate) fn limits(&self) -> (u32, u32) {
        (self.burst_limit, self.hourly_limit)
    }

    /// `(burst, hourly)` windows in force.
    pub(crate) fn windows(&self) -> (Duration, Duration) {
        (self.burst_window, self.hourly_window)
    }

    pub(crate) fn clear(&mut self) {
        self.burst.clear();
        self.hourly.clear();
    }

    fn prune(&mut self, now: Instant) {
        let (burst_window, hourly_window) = (self.burst_window, self.hourly_window);
        while self.burst.front().is_some_and(|t| now - *t >= burst_window) {
            self.burst.pop_front();
        }
        while self
            .hourly
            .front()
            .is_some_and(|t| now - *t >= hourly_window)
        {
            self.hourly.pop_front();
        }
    }

    fn headers(&self, now: Instant, retry_after: Option<u64>) -> RateHeaders {
        let burst_left = self.burst_limit.saturating_sub(self.burst.len() as u32);
        let hourly_left = self.hourly_limit.saturating_sub(self.hourly.len() as u32);
        let oldest_expiry = self.hourly.front().map(|t| *t + self.hourly_window);
        RateHeaders {
            limit: self.hourly_limit,
            remaining: if burst_left == 0 { 0 } else { hourly_left },
            reset: unix_at(oldest_expiry.unwrap_or(now), now),
            retry_after,
        }
    }

    /// Counts one request if the limits allow it. `Err` means 429: without `retry_after`
    /// for the hourly quota (retrying before `reset` cannot help), with it for the burst
    /// limit.
    pub(crate) fn acquire(&mut self, now: Instant) -> Result<RateHeaders, RateHeaders> {
        self.prune(now);
        if self.hourly.len() as u32 >= self.hourly_limit {
            let mut headers = self.headers(now, None);
            headers.remaining = 0;
            return Err(headers);
        }
        if self.burst.len() as u32 >= self.burst_limit {
            let wait = self
                .burst
                .front()
                .map(|t| (*t + self.burst_window).saturating_duration_since(now))
                .unwrap_or(self.burst_window);
            let mut headers = self.headers(now, Some(ceil_secs(wait)));
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

    fn unix_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn burst_limit_answers_like_the_reference_sample() {
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
        // ratelimit-limit: hourly; remaining 0; reset: the oldest request's hourly expiry
        // (an hour away, not the burst window's end); retry-after: until a burst slot frees.
        assert_eq!(denied.limit, 100);
        assert_eq!(denied.remaining, 0);
        assert_eq!(denied.retry_after, Some(50));
        let reset_in = denied.reset.saturating_sub(unix_now());
        assert!((3500..=3601).contains(&reset_in), "{reset_in}");
        // The first request leaves the burst window 60 s after it was made, and the
        // hourly count shows again.
        let ok = limiter.acquire(t0 + Duration::from_secs(60)).unwrap();
        assert_eq!(ok.remaining, 0, "the window is full again");
        let ok = limiter.acquire(t0 + Duration::from_secs(200)).unwrap();
        assert_eq!((ok.limit, ok.remaining), (100, 95));
        assert_eq!(ok.retry_after, None);
    }

    #[test]
    fn hourly_limit_has_no_retry_after() {
        let mut limiter = RateLimiter::new(100, 2);
        let t0 = Instant::now();
        limiter.acquire(t0).unwrap();
        limiter.acquire(t0).unwrap();
        let denied = limiter.acquire(t0 + Duration::from_secs(61)).unwrap_err();
        assert_eq!(denied.retry_after, None);
        assert_eq!(denied.remaining, 0);
        assert!(limiter.acquire(t0 + HOURLY_WINDOW).is_ok());
    }

    #[test]
    fn the_hourly_quota_wins_over_the_burst_limit() {
        // Both full: retrying after the burst window would only meet the quota.
        let mut limiter = RateLimiter::new(2, 2);
        let t0 = Instant::now();
        limiter.acquire(t0).unwrap();
        limiter.acquire(t0).unwrap();
        assert_eq!(limiter.acquire(t0).unwrap_err().retry_after, None);
    }

    #[test]
    fn windows_can_be_shortened() {
        let mut limiter = RateLimiter::new(2, 3);
        limiter.set_windows(Duration::from_secs(2), Duration::from_secs(10));
        let t0 = Instant::now();
        limiter.acquire(t0).unwrap();
        limiter.acquire(t0 + Duration::from_millis(500)).unwrap();
        let denied = limiter
            .acquire(t0 + Duration::from_millis(600))
            .unwrap_err();
        assert_eq!(denied.retry_after, Some(2), "1.4 s rounded up");
        let reset_in = denied.reset.saturating_sub(unix_now());
        assert!((8..=11).contains(&reset_in), "{reset_in}");
        limiter.acquire(t0 + Duration::from_secs(2)).unwrap();
        let quota = limiter.acquire(t0 + Duration::from_secs(5)).unwrap_err();
        assert_eq!(quota.retry_after, None);
        assert!(limiter.acquire(t0 + Duration::from_secs(10)).is_ok());
        assert_eq!(
            limiter.windows(),
            (Duration::from_secs(2), Duration::from_secs(10))
        );
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
