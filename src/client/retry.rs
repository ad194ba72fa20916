//! Retry layer: exponential backoff with full jitter, `retry-after`, attempt and time budgets.
//! It only decides *whether and when* to repeat an attempt; the attempt itself lives in
//! `transport`.
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderValue, Method};
use rand::Rng;

use super::error::Error;

/// How failed requests are repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in total, the first one included (1 disables retries).
    pub max_attempts: u32,
    /// Backoff cap of the first retry; doubles for each further retry.
    pub base_delay: Duration,
    /// Upper bound of any single backoff.
    pub max_delay: Duration,
    /// No retry is started once it would end beyond this time since the first attempt.
    pub total_budget: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            total_budget: Duration::from_secs(30),
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn disabled() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..RetryConfig::default()
        }
    }

    /// The upper bound of the backoff before retry number `retry` (1 = first retry):
    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// A backoff with full jitter: uniform in `[0, backoff_cap(retry)]`, which spreads the
    /// retries of many clients instead of synchronising them.
    pub fn backoff(&self, retry: u32) -> Duration {
        let cap = self.backoff_cap(retry);
        if cap.is_zero() {
            return cap;
        }
        let nanos = rand::rng().random_range(0..=cap.as_nanos().min(u64::MAX as u128) as u64);
        Duration::from_nanos(nanos)
    }
}

/// GET, HEAD, PUT, DELETE and OPTIONS can be repeated without a second side effect.
pub fn method_is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Parses `retry-after`: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(date.timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    RetryAfter(Duration),
    GiveUp,
}

/// Decides on a retry after `attempts` attempts have failed, `elapsed` after the first began.
pub(crate) fn decide(
    config: &RetryConfig,
    request_is_retryable: bool,
    error: &Error,
    attempts: u32,
    elapsed: Duration,
) -> Decision {
    if !request_is_retryable || !error.is_retryable() || attempts >= config.max_attempts {
        return Decision::GiveUp;
    }
    let remaining = config.total_budget.saturating_sub(elapsed);
    // The server's retry-after is a floor: waiting less would only earn another 429.
    let delay = match error.retry_after() {
        Some(retry_after) => retry_after,
        None => config.backoff(attempts),
    };
    if delay > remaining {
        Decision::GiveUp
    } else {
        Decision::RetryAfter(delay)
    }
}

/// Runs `attempt` (given the 1-based attempt number) until it succeeds or `decide` gives up.
pub(crate) async fn run<T, F, Fut>(
    config: &RetryConfig,
    request_is_retryable: bool,
    method: &Method,
    path: &str,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let error = match attempt(attempts).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        match decide(
            config,
            request_is_retryable,
            &error,
            attempts,
            started.elapsed(),
        ) {
            Decision::GiveUp => {
                tracing::debug!(%method, path, attempts, status = ?error.status(), "giving up");
                return Err(error);
            }
            Decision::RetryAfter(delay) => {
                tracing::warn!(
                    %method,
                    path,
                    attempt = attempts,
                    status = ?error.status(),
                    delay_ms = delay.as_millis() as u64,
                    "retrying after a retryable failure"
                );
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::error::{ApiError, TransportKind};

    fn config() -> RetryConfig {
        RetryConfig {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            total_budget: Duration::from_secs(2),
        }
    }

    fn server_error(status: u16) -> Error {
        Error::from_status(
            ApiError {
                status,
                id: None,
                message: String::new(),
                request_id: None,
            },
            None,
        )
    }

    #[test]
    fn backoff_grows_exponentially_and_is_capped() {
        let c = config();
        let caps: Vec<_> = (1..=5).map(|r| c.backoff_cap(r).as_millis()).collect();
        assert_eq!(caps, [100, 200, 350, 350, 350]);
        assert_eq!(
            c.backoff_cap(200),
            c.max_delay,
            "no overflow for huge retry numbers"
        );
        for retry in 1..=5 {
            for _ in 0..50 {
                assert!(c.backoff(retry) <= c.backoff_cap(retry));
            }
        }
        // Full jitter: samples are spread, not constant.
        let samples: std::collections::HashSet<_> = (0..20).map(|_| c.backoff(3)).collect();
        assert!(samples.len() > 1);
    }

    #[test]
    fn decisions_follow_method_status_attempts_and_budget() {
        let c = config();
        let e500 = server_error(500);
        assert!(matches!(
            decide(&c, true, &e500, 1, Duration::ZERO),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            decide(&c, false, &e500, 1, Duration::ZERO),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&c, true, &server_error(501), 1, Duration::ZERO),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&c, true, &server_error(404), 1, Duration::ZERO),
            Decision::GiveUp
        );
        assert_eq!(decide(&c, true, &e500, 5, Duration::ZERO), Decision::GiveUp);
        // 1.99 s of a 2 s budget spent: even a tiny backoff of up to 100 ms may not fit, but a
        // budget fully spent never retries.
        assert_eq!(
            decide(&c, true, &e500, 1, Duration::from_secs(2)),
            Decision::GiveUp
        );
        let timeout = Error::Transport {
            kind: TransportKind::Timeout,
            message: String::new(),
        };
        assert!(matches!(
            decide(&c, true, &timeout, 1, Duration::ZERO),
            Decision::RetryAfter(_)
        ));
        let other = Error::Transport {
            kind: TransportKind::Other,
            message: String::new(),
        };
        assert_eq!(
            decide(&c, true, &other, 1, Duration::ZERO),
            Decision::GiveUp
        );
    }

    #[test]
    fn retry_after_is_a_floor_and_respects_the_budget() {
        let c = config();
        let limited = |secs| Error::RateLimited {
            error: ApiError {
                status: 429,
                id: None,
                message: String::new(),
                request_id: None,
            },
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            decide(&c, true, &limited(1), 1, Duration::ZERO),
            Decision::RetryAfter(Duration::from_secs(1))
        );
        assert_eq!(
            decide(&c, true, &limited(3), 1, Duration::ZERO),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&c, true, &limited(1), 1, Duration::from_millis(1500)),
            Decision::GiveUp
        );
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let v = |s: &str| HeaderValue::from_str(s).unwrap();
        assert_eq!(
            parse_retry_after(&v("29"), now),
            Some(Duration::from_secs(29))
        );
        assert_eq!(
            parse_retry_after(&v("0.5"), now),
            Some(Duration::from_millis(500))
        );
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        assert_eq!(
            parse_retry_after(&v("Tue, 14 Nov 2023 22:13:30 GMT"), now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after(&v("Tue, 14 Nov 2023 22:13:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&v("soon"), now), None);
        assert_eq!(parse_retry_after(&v("-3"), now), None);
    }
}
