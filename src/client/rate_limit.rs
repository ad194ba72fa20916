//! Rate-limit bookkeeping and pacing.
//!
//! DigitalOcean counts every request against the token for a fixed time (per-request timers,
//! 250/minute burst and 5,000/hour), and reports `ratelimit-limit`, `ratelimit-remaining` and
//! `ratelimit-reset` (unix time at which the *oldest* counted request expires, up to an hour
//! away). The pacer keeps requests flowing untouched while plenty remain, spreads the last
//! few evenly until `reset`, and slows down instead of collecting 429s. A local sliding window
//! additionally keeps this client under the documented burst limit even when the headers only
//! describe the hourly budget.
//!
//! `ratelimit-remaining: 0` is ambiguous: the reference says it "can also indicate that the
//! burst limit ... was met", and then `reset` (the hourly window's oldest request) may be an
//! hour away although a slot frees within a minute. So:
//! - a 429 with `retry-after` (the burst limit) holds every request of the client until
//!   `retry-after` has passed (a shared "not before" instant), then one request at a time
//!   goes until a response reports the budget again;
//! - `remaining: 0` on a success holds requests until `reset` only when `reset` is within one
//!   burst window; with a later `reset` one request at a time probes, and the server's answer
//!   (a success, or a 429 with or without `retry-after`) decides;
//! - only a 429 *without* `retry-after` and with `remaining: 0` is the spent hourly quota:
//!   then requests are held until `reset` (or refused at once when that is longer than the
//!   longest allowed wait).
//!
//! The state sits behind a `std::sync::Mutex` that is never held across an `.await`: waiting
//! happens outside the lock and the decision is re-evaluated after every sleep, so concurrent
//! requests share one view of the budget.
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use tokio::sync::Notify;
// tokio's clock, so that pacing follows a paused test clock like every other tokio timer.
use tokio::time::Instant;

use super::error::{ApiError, Error};
use super::retry::parse_retry_after;

/// The last `ratelimit-*` headers seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds at which the oldest counted request expires.
    pub reset: u64,
    pub observed_at: SystemTime,
}

impl RateLimit {
    /// Reads the three headers; `None` unless all are present and numeric.
    pub fn from_headers(headers: &HeaderMap, observed_at: SystemTime) -> Option<Self> {
        fn number<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
            headers.get(name)?.to_str().ok()?.trim().parse().ok()
        }
        Some(RateLimit {
            limit: number(headers, "ratelimit-limit")?,
            remaining: number(headers, "ratelimit-remaining")?,
            reset: number(headers, "ratelimit-reset")?,
            observed_at,
        })
    }
}

/// Pacing settings (see `ClientBuilder::pacing`, `max_pacing_wait`, `burst_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PacingConfig {
    pub enabled: bool,
    /// A request that would have to wait longer fails with `Error::RateLimited` instead.
    pub max_wait: Duration,
    /// Client-side sliding window: at most this many requests per window.
    pub burst: Option<(u32, Duration)>,
}

impl Default for PacingConfig {
    fn default() -> Self {
        PacingConfig {
            enabled: true,
            max_wait: Duration::from_secs(90),
            burst: Some((250, DEFAULT_BURST_WINDOW)),
        }
    }
}

/// DigitalOcean's burst window.
const DEFAULT_BURST_WINDOW: Duration = Duration::from_secs(60);
/// `ratelimit-reset` has one-second resolution and the server counts a request when it
/// receives it, so budget freed "at reset" is only trusted this much later.
const RESET_MARGIN: Duration = Duration::from_secs(1);
/// Same for the local burst window (our send time precedes the server's receive time).
const BURST_MARGIN: Duration = Duration::from_millis(500);
/// With the budget unknown (none left by the last count, and no `reset` within a burst
/// window), one probe request at a time refreshes the headers; a probe whose response never
/// came frees the way after this long.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// Server clocks closer than this to ours are taken as equal (the `date` header has 1 s resolution).
const MAX_TRUSTED_SKEW: f64 = 2.0;

/// Pacing starts when this few requests remain: 10% of the limit, at least 5.
fn low_threshold(limit: u32) -> i64 {
    i64::from((limit / 10).max(5))
}

/// What a response said about the rate limit, for the caller's error handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observed {
    /// Nothing that changes how the response is handled.
    Nothing,
    /// A 429 without `retry-after` and with `remaining: 0`: the hourly quota is spent until
    /// `reset`, this long from now.
    HourlyQuota(Duration),
}

#[derive(Debug, Default)]
struct State {
    last: Option<RateLimit>,
    /// `remaining` minus the requests sent since, including those still in flight.
    remaining_est: i64,
    /// Local instant at which the oldest counted request expires (margin included).
    reset_at: Option<Instant>,
    /// Set by a 429 with `retry-after` (the burst limit): no request before this instant.
    not_before: Option<Instant>,
    /// Set by a 429 without `retry-after` and with `remaining: 0` (the hourly quota): no
    /// request before this instant (the reported `reset`).
    quota_until: Option<Instant>,
    in_flight: u32,
    /// Send order of requests, and that of the newest request whose headers were applied:
    /// a response overtaken by a later request's response carries stale counts.
    next_seq: u64,
    applied_seq: Option<u64>,
    last_send: Option<Instant>,
    /// When the probe now in flight was sent (see `PROBE_INTERVAL`).
    probe_at: Option<Instant>,
    sends: VecDeque<Instant>,
}

impl State {
    /// No budget left by the last count, and no `reset` within one burst window to wait
    /// for: the count is unknown (burst window full, or hourly budget spent), so requests
    /// go one at a time until a response tells.
    fn probing(&self, config: &PacingConfig, now: Instant) -> bool {
        if self.last.is_none() || self.remaining_est > 0 {
            return false;
        }
        let horizon = config
            .burst
            .map_or(DEFAULT_BURST_WINDOW, |(_, window)| window);
        self.reset_at
            .is_none_or(|reset_at| reset_at <= now || reset_at - now > horizon + RESET_MARGIN)
    }

    /// How long a new request must wait now; zero means it may go.
    fn wait_needed(&mut self, config: &PacingConfig, now: Instant) -> Duration {
        let mut wait = Duration::ZERO;
        if let Some((max, window)) = config.burst {
            while self
                .sends
                .front()
                .is_some_and(|sent| now.duration_since(*sent) >= window + BURST_MARGIN)
            {
                self.sends.pop_front();
            }
            if self.sends.len() >= max as usize {
                let oldest = self.sends[self.sends.len() - max as usize];
                wait = wait.max((oldest + window + BURST_MARGIN).saturating_duration_since(now));
            }
        }
        for hold in [self.not_before, self.quota_until].into_iter().flatten() {
            wait = wait.max(hold.saturating_duration_since(now));
        }
        let Some(last) = self.last else {
            return wait;
        };
        if self.remaining_est > low_threshold(last.limit) {
            return wait;
        }
        if self.probing(config, now) {
            if let Some(probe_at) = self.probe_at {
                wait = wait.max((probe_at + PROBE_INTERVAL).saturating_duration_since(now));
            }
            return wait;
        }
        let Some(reset_at) = self.reset_at else {
            return wait;
        };
        if reset_at <= now {
            return wait;
        }
        if self.remaining_est <= 0 {
            // `reset` is within one burst window: waiting for it costs at most that.
            wait = wait.max(reset_at - now);
        } else {
            // Spread what remains evenly over the time until the oldest request expires.
            let interval = (reset_at - now) / self.remaining_est as u32;
            if let Some(last_send) = self.last_send {
                wait = wait.max((last_send + interval).saturating_duration_since(now));
            }
        }
        wait
    }

    /// Counts a request as sent; returns its sequence number.
    fn record_send(&mut self, config: &PacingConfig, now: Instant) -> u64 {
        if config.burst.is_some() {
            self.sends.push_back(now);
        }
        if self.last.is_some() {
            if self.probing(config, now) {
                self.probe_at = Some(now);
            }
            self.remaining_est -= 1;
        }
        self.last_send = Some(now);
        self.in_flight += 1;
        self.next_seq += 1;
        self.next_seq
    }
}

/// Shared rate-limit state of one client.
#[derive(Debug)]
pub(crate) struct Pacer {
    config: PacingConfig,
    state: Mutex<State>,
    /// Wakes waiting requests when fresh headers arrive, so they re-decide at once.
    changed: Notify,
}

impl Pacer {
    pub fn new(config: PacingConfig) -> Self {
        Pacer {
            config,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is a plain store.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn last(&self) -> Option<RateLimit> {
        self.lock().last
    }

    /// Waits until a request may be sent. Fails with `RateLimited` (without sending anything)
    /// when that would take longer than the configured maximum.
    pub async fn acquire(&self) -> Result<Permit<'_>, Error> {
        loop {
            // Registered before reading the state so that an update in between is not missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = Instant::now();
            let wait = {
                let mut state = self.lock();
                let wait = if self.config.enabled {
                    state.wait_needed(&self.config, now)
                } else {
                    Duration::ZERO
                };
                if wait.is_zero() {
                    let seq = state.record_send(&self.config, now);
                    return Ok(Permit { pacer: self, seq });
                }
                wait
            };
            if wait > self.config.max_wait {
                return Err(Error::RateLimited {
                    error: ApiError {
                        status: 429,
                        id: Some("client_rate_limit".into()),
                        message: format!(
                            "the rate limit allows no request for another {:.1}s (client-side pacing, request not sent)",
                            wait.as_secs_f64()
                        ),
                        request_id: None,
                    },
                    retry_after: Some(wait),
                });
            }
            tracing::debug!(wait_ms = wait.as_millis() as u64, "pacing request");
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = changed => {}
            }
        }
    }
}

/// One request counted by the pacer; dropping it ends the request (success, error or cancel).
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    pacer: &'a Pacer,
    seq: u64,
}

impl Permit<'_> {
    /// Records the `ratelimit-*` and `retry-after` headers of this request's response.
    pub fn observe(&self, status: u16, headers: &HeaderMap) -> Observed {
        self.observe_at(status, headers, SystemTime::now(), Instant::now())
    }

    /// `observe` with the wall clock and the monotonic clock given (`now` corresponds to
    /// `observed_at`).
    fn observe_at(
        &self,
        status: u16,
        headers: &HeaderMap,
        observed_at: SystemTime,
        now: Instant,
    ) -> Observed {
        let rate_limit = RateLimit::from_headers(headers, observed_at);
        let retry_after = (status == 429)
            .then(|| headers.get(http::header::RETRY_AFTER))
            .flatten()
            .and_then(|v| parse_retry_after(v, observed_at));
        let mut state = self.pacer.lock();
        let mut observed = Observed::Nothing;
        // Facts about now, whatever responses overtook this one: a burst 429 holds every
        // request for `retry-after`; a 429 without it and with nothing remaining is the
        // hourly quota, held until `reset`.
        if let Some(retry_after) = retry_after {
            let until = now + retry_after;
            state.not_before = Some(state.not_before.map_or(until, |nb| nb.max(until)));
        }
        let until_reset = rate_limit.map(|rl| until_reset(&rl, headers, observed_at));
        if let (429, None, Some(rl), Some(until_reset)) =
            (status, retry_after, rate_limit, until_reset)
        {
            if rl.remaining == 0 {
                let until = now + until_reset + RESET_MARGIN;
                state.quota_until = Some(state.quota_until.map_or(until, |q| q.max(until)));
                observed = Observed::HourlyQuota(until_reset + RESET_MARGIN);
            }
        }
        let (Some(rate_limit), Some(until_reset)) = (rate_limit, until_reset) else {
            drop(state);
            self.pacer.changed.notify_waiters();
            return observed;
        };
        if state.applied_seq.is_some_and(|applied| applied > self.seq) {
            drop(state);
            self.pacer.changed.notify_waiters();
            return observed;
        }
        // Other requests in flight were sent after ours was counted, or soon will be.
        let others = i64::from(state.in_flight.saturating_sub(1));
        let estimate = i64::from(rate_limit.remaining) - others;
        // While the oldest request has not expired (same reset) the hourly budget cannot
        // grow: a higher count comes from a request the server handled before one already
        // seen. A 0 is no count of the hourly budget (it may only mean a full burst window),
        // so it neither caps nor is capped.
        let same_window = state.last.is_some_and(|last| {
            last.reset == rate_limit.reset && last.remaining > 0 && rate_limit.remaining > 0
        });
        state.remaining_est = if same_window {
            estimate.min(state.remaining_est)
        } else {
            estimate
        };
        if rate_limit.remaining > 0 {
            // Budget is left: whatever quota hold an older 429 set is over.
            state.quota_until = None;
        }
        state.applied_seq = Some(self.seq);
        state.reset_at = Some(now + until_reset + RESET_MARGIN);
        state.probe_at = None;
        state.last = Some(rate_limit);
        drop(state);
        self.pacer.changed.notify_waiters();
        observed
    }
}

/// Time until `reset`, by the server's clock when it is clearly off from ours.
fn until_reset(rate_limit: &RateLimit, headers: &HeaderMap, observed_at: SystemTime) -> Duration {
    let local_unix = observed_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let server_unix = headers
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map(|d| d.timestamp() as f64)
        .filter(|server| (server - local_unix).abs() > MAX_TRUSTED_SKEW)
        .unwrap_or(local_unix);
    Duration::from_secs_f64((rate_limit.reset as f64 - server_unix).clamp(0.0, 86_400.0))
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.pacer.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix_now() -> i64 {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    fn headers(limit: u32, remaining: u32, reset_in: i64) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("ratelimit-limit", limit.into());
        h.insert("ratelimit-remaining", remaining.into());
        h.insert("ratelimit-reset", ((unix_now() + reset_in) as u64).into());
        h
    }

    /// The reference's "Rate Limit Headers When Burst Limit is Reached" sample, with the
    /// oldest request of the hour expiring `reset_in` seconds from now.
    fn burst_429(reset_in: i64, retry_after: u32) -> HeaderMap {
        let mut h = headers(5000, 0, reset_in);
        h.insert(http::header::RETRY_AFTER, retry_after.into());
        h
    }

    fn no_burst() -> PacingConfig {
        PacingConfig {
            burst: None,
            ..PacingConfig::default()
        }
    }

    #[test]
    fn parses_headers_case_insensitively() {
        let mut h = HeaderMap::new();
        h.insert("RateLimit-Limit", "5000".parse().unwrap());
        h.insert("ratelimit-remaining", "4999".parse().unwrap());
        h.insert("rateLimit-reset", "1402425459".parse().unwrap());
        let rl = RateLimit::from_headers(&h, SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(
            (rl.limit, rl.remaining, rl.reset),
            (5000, 4999, 1_402_425_459)
        );
        h.remove("ratelimit-reset");
        assert!(RateLimit::from_headers(&h, SystemTime::UNIX_EPOCH).is_none());
    }

    #[tokio::test]
    async fn no_wait_with_plenty_remaining_and_full_wait_for_a_near_reset() {
        let pacer = Pacer::new(no_burst());
        pacer
            .acquire()
            .await
            .unwrap()
            .observe(200, &headers(250, 200, 30));
        assert_eq!(
            pacer.lock().wait_needed(&no_burst(), Instant::now()),
            Duration::ZERO
        );

        // Nothing left and the oldest request expires within one burst window: wait for it.
        pacer
            .acquire()
            .await
            .unwrap()
            .observe(200, &headers(250, 0, 30));
        let wait = pacer.lock().wait_needed(&no_burst(), Instant::now());
        assert!(
            wait > Duration::from_secs(29) && wait <= Duration::from_secs(31),
            "{wait:?}"
        );
    }

    #[tokio::test]
    async fn spreads_the_last_requests_until_reset() {
        let pacer = Pacer::new(no_burst());
        pacer
            .acquire()
            .await
            .unwrap()
            .observe(200, &headers(250, 10, 19));
        // 10 remaining over ~20 s (19 s + margin): one every ~2 s after the last send.
        let wait = pacer.lock().wait_needed(&no_burst(), Instant::now());
        assert!(
            wait > Duration::from_millis(1800) && wait <= Duration::from_millis(2100),
            "{wait:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_429_with_a_far_reset_holds_every_request_for_retry_after_only() {
        let pacer = Pacer::new(PacingConfig::default());
        let first = pacer.acquire().await.unwrap();
        let observed = first.observe(429, &burst_429(3599, 2));
        assert_eq!(observed, Observed::Nothing, "a burst 429 is no spent quota");
        drop(first);
        let t0 = Instant::now();
        // Three requests at once: none goes before retry-after, none is refused.
        let waiters: Vec<_> = (0..3)
            .map(|_| async {
                let permit = pacer.acquire().await.expect("not refused");
                let sent = Instant::now() - t0;
                // The server answers after 100 ms that the budget is back.
                tokio::time::sleep(Duration::from_millis(100)).await;
                permit.observe(200, &headers(5000, 4000, 3599));
                sent
            })
            .collect();
        let mut sent = futures::future::join_all(waiters).await;
        sent.sort();
        assert!(sent[0] >= Duration::from_secs(2), "{sent:?}");
        assert!(sent[0] < Duration::from_secs(3), "{sent:?}");
        // The count is unknown until the first answer: one probe, then the others together.
        assert!(sent[1] >= sent[0] + Duration::from_millis(100), "{sent:?}");
        assert_eq!(sent[1], sent[2], "{sent:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_zero_on_a_success_with_a_far_reset_probes_one_request_at_a_time() {
        let pacer = Pacer::new(no_burst());
        pacer
            .acquire()
            .await
            .unwrap()
            .observe(200, &headers(5000, 0, 3599));
        // Not an hour's refusal: the next request goes at once, as a probe...
        let probe = pacer.acquire().await.expect("not refused");
        // ...and a second one waits while the probe is out (at most PROBE_INTERVAL).
        let wait = pacer.lock().wait_needed(&no_burst(), Instant::now());
        assert_eq!(wait, PROBE_INTERVAL);
        // The probe meets the burst limit: everyone waits its retry-after.
        probe.observe(429, &burst_429(3599, 5));
        drop(probe);
        let wait = pacer.lock().wait_needed(&no_burst(), Instant::now());
        assert_eq!(wait, Duration::from_secs(5));
        // After it, the next probe finds budget again: requests flow freely.
        let t0 = Instant::now();
        let probe = pacer.acquire().await.unwrap();
        assert_eq!(Instant::now() - t0, Duration::from_secs(5));
        probe.observe(200, &headers(5000, 3000, 3594));
        assert_eq!(
            pacer.lock().wait_needed(&no_burst(), Instant::now()),
            Duration::ZERO
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_count_does_not_cap_the_budget_reported_after_it() {
        let pacer = Pacer::new(no_burst());
        let reset = headers(5000, 4000, 3000);
        pacer.acquire().await.unwrap().observe(200, &reset);
        // The burst window filled (remaining 0, same reset), then freed again.
        let mut zero = reset.clone();
        zero.insert("ratelimit-remaining", 0.into());
        pacer.acquire().await.unwrap().observe(200, &zero);
        let mut back = reset.clone();
        back.insert("ratelimit-remaining", 3990.into());
        pacer.acquire().await.unwrap().observe(200, &back);
        assert_eq!(pacer.lock().remaining_est, 3990);
    }

    #[tokio::test]
    async fn the_hourly_quota_is_refused_locally_with_the_time_to_reset() {
        let config = PacingConfig {
            max_wait: Duration::from_secs(5),
            ..no_burst()
        };
        let pacer = Pacer::new(config);
        let permit = pacer.acquire().await.unwrap();
        // A 429 without retry-after and with nothing remaining: the hourly quota.
        let observed = permit.observe(429, &headers(5000, 0, 600));
        let Observed::HourlyQuota(until) = observed else {
            panic!("{observed:?}");
        };
        assert!(
            until > Duration::from_secs(599) && until <= Duration::from_secs(602),
            "{until:?}"
        );
        drop(permit);
        let err = pacer.acquire().await.unwrap_err();
        assert!(
            matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d > Duration::from_secs(590)),
            "{err:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_hourly_quota_within_the_longest_wait_is_waited_for() {
        let pacer = Pacer::new(no_burst());
        let permit = pacer.acquire().await.unwrap();
        assert!(matches!(
            permit.observe(429, &headers(5000, 0, 20)),
            Observed::HourlyQuota(_)
        ));
        drop(permit);
        let t0 = Instant::now();
        let _permit = pacer.acquire().await.unwrap();
        let waited = Instant::now() - t0;
        // Until reset (20 s, whole seconds, from a clock in between) plus the margin.
        assert!(
            waited > Duration::from_secs(19) && waited <= Duration::from_secs(22),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn a_429_with_budget_left_holds_nothing() {
        let pacer = Pacer::new(no_burst());
        let permit = pacer.acquire().await.unwrap();
        // An injected 429 without retry-after while the headers show plenty: not the
        // quota, only the retry layer's backoff applies.
        assert_eq!(
            permit.observe(429, &headers(5000, 4000, 3000)),
            Observed::Nothing
        );
        drop(permit);
        assert_eq!(
            pacer.lock().wait_needed(&no_burst(), Instant::now()),
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn in_flight_requests_are_subtracted_from_the_reported_remaining() {
        let pacer = Pacer::new(no_burst());
        let a = pacer.acquire().await.unwrap();
        let b = pacer.acquire().await.unwrap();
        let _c = pacer.acquire().await.unwrap();
        a.observe(200, &headers(250, 100, 30));
        assert_eq!(pacer.lock().remaining_est, 98);
        drop(a);
        drop(b);
        assert_eq!(pacer.lock().in_flight, 1);
    }

    #[test]
    fn local_burst_window_caps_requests_per_window() {
        let config = PacingConfig {
            burst: Some((3, Duration::from_secs(10))),
            ..PacingConfig::default()
        };
        let mut state = State::default();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(
                state.wait_needed(&config, t0 + Duration::from_millis(i)),
                Duration::ZERO
            );
            state.record_send(&config, t0 + Duration::from_millis(i));
        }
        let wait = state.wait_needed(&config, t0 + Duration::from_secs(1));
        assert_eq!(wait, Duration::from_secs(9) + BURST_MARGIN);
        let later = t0 + Duration::from_secs(11);
        assert_eq!(state.wait_needed(&config, later), Duration::ZERO);
    }

    #[test]
    fn exhausted_budget_with_stale_reset_sends_one_probe_at_a_time() {
        let config = no_burst();
        let now = Instant::now();
        let mut state = State {
            last: Some(RateLimit {
                limit: 250,
                remaining: 0,
                reset: 0,
                observed_at: SystemTime::now(),
            }),
            remaining_est: 0,
            reset_at: Some(now - Duration::from_millis(1)),
            ..State::default()
        };
        assert_eq!(state.wait_needed(&config, now), Duration::ZERO);
        state.record_send(&config, now);
        assert_eq!(state.wait_needed(&config, now), PROBE_INTERVAL);
    }

    /// A server counting each request at receipt like DigitalOcean. With `hourly: None` it
    /// enforces one sliding window and reports it (`reset` = its oldest request's expiry, a
    /// 429 without `retry-after`). With an hourly window it behaves like the API reference
    /// describes DigitalOcean: the headers describe the hourly window (`reset` up to an hour
    /// away), `remaining` reads 0 once the burst window is full, and a burst 429 carries
    /// `retry-after`.
    struct SimServer {
        burst: (u32, Duration),
        hourly: Option<(u32, Duration)>,
        report_headers: bool,
        in_burst: VecDeque<Instant>,
        in_hour: VecDeque<Instant>,
        accepted: Vec<Instant>,
        rejected: usize,
    }

    impl SimServer {
        fn new(burst: (u32, Duration), hourly: Option<(u32, Duration)>) -> Self {
            SimServer {
                burst,
                hourly,
                report_headers: true,
                in_burst: VecDeque::new(),
                in_hour: VecDeque::new(),
                accepted: Vec::new(),
                rejected: 0,
            }
        }

        fn handle(&mut self, now: Instant, unix_of: impl Fn(Instant) -> f64) -> (u16, HeaderMap) {
            let (burst_limit, burst_window) = self.burst;
            let (hourly_limit, hourly_window) = self.hourly.unwrap_or(self.burst);
            while self
                .in_burst
                .front()
                .is_some_and(|t| now - *t >= burst_window)
            {
                self.in_burst.pop_front();
            }
            while self
                .in_hour
                .front()
                .is_some_and(|t| now - *t >= hourly_window)
            {
                self.in_hour.pop_front();
            }
            let mut retry_after = None;
            let status = if self.in_hour.len() >= hourly_limit as usize {
                429
            } else if self.in_burst.len() >= burst_limit as usize {
                let frees = *self.in_burst.front().unwrap() + burst_window - now;
                retry_after = Some(frees.as_secs() + u64::from(frees.subsec_nanos() > 0));
                429
            } else {
                self.in_burst.push_back(now);
                self.in_hour.push_back(now);
                self.accepted.push(now);
                200
            };
            if status == 429 {
                self.rejected += 1;
            }
            let mut h = HeaderMap::new();
            if self.report_headers {
                let oldest = self.in_hour.front().copied().unwrap_or(now);
                let reset = unix_of(oldest + hourly_window).floor() as u64;
                let burst_full = self.in_burst.len() >= burst_limit as usize;
                let remaining = if burst_full {
                    0
                } else {
                    hourly_limit - self.in_hour.len() as u32
                };
                h.insert("ratelimit-limit", hourly_limit.into());
                h.insert("ratelimit-remaining", remaining.into());
                h.insert("ratelimit-reset", reset.into());
                if let Some(secs) = retry_after.filter(|_| self.hourly.is_some()) {
                    h.insert(http::header::RETRY_AFTER, secs.into());
                }
            }
            (status, h)
        }
    }

    /// Outcome of a simulated tight loop (seconds are simulated).
    struct LoopOutcome {
        rejected: usize,
        accepted: usize,
        /// When the n-th accepted request arrived, for every n.
        accepted_at: Vec<f64>,
        /// Requests the pacer allowed while a `retry-after` it had seen was still running.
        sent_during_retry_after: usize,
        /// Requests the pacer refused locally.
        refused: Vec<Error>,
    }

    impl LoopOutcome {
        /// Seconds until all but the last `reserve` requests were accepted.
        fn secs_until_all_but(&self, reserve: usize) -> f64 {
            self.accepted_at[self.accepted - 1 - reserve]
        }
    }

    /// Four tasks send `total` requests back to back through one pacer, on a paused clock
    /// (simulated minutes pass instantly), with 5-60 ms of latency each way. With
    /// `until_accepted` a rejected request is sent again (after the pacer lets it), until
    /// `total` were accepted; a request the pacer refuses ends its task.
    async fn tight_loop(
        config: PacingConfig,
        server: SimServer,
        total: usize,
        until_accepted: bool,
    ) -> LoopOutcome {
        use rand::{Rng, SeedableRng};
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        use std::sync::Arc;
        let start = Instant::now();
        let start_unix = 1_800_000_000.5;
        let unix_of = move |t: Instant| start_unix + (t - start).as_secs_f64();
        let pacer = Arc::new(Pacer::new(config));
        let server = Arc::new(Mutex::new(server));
        let sent = Arc::new(AtomicUsize::new(0));
        let holds: Arc<Mutex<Vec<(Instant, Instant)>>> = Arc::default();
        let early = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..4u64)
            .map(|task| {
                let (pacer, server, sent) = (pacer.clone(), server.clone(), sent.clone());
                let (holds, early) = (holds.clone(), early.clone());
                // Seeded: the simulated latencies are the same on every run, so a bound
                // that holds once holds always (an unseeded run failed one bound rarely).
                let mut rng = rand::rngs::StdRng::seed_from_u64(task);
                tokio::spawn(async move {
                    while sent.fetch_add(1, SeqCst) < total {
                        loop {
                            let permit = match pacer.acquire().await {
                                Ok(permit) => permit,
                                Err(e) => return Some(e),
                            };
                            let at = Instant::now();
                            if holds
                                .lock()
                                .unwrap()
                                .iter()
                                .any(|(from, to)| (*from..*to).contains(&at))
                            {
                                early.fetch_add(1, SeqCst);
                            }
                            let (out, back) = (rng.random_range(5..60), rng.random_range(5..60));
                            tokio::time::sleep(Duration::from_millis(out)).await;
                            let (status, headers) =
                                server.lock().unwrap().handle(Instant::now(), unix_of);
                            tokio::time::sleep(Duration::from_millis(back)).await;
                            let now = Instant::now();
                            let observed_at =
                                SystemTime::UNIX_EPOCH + Duration::from_secs_f64(unix_of(now));
                            permit.observe_at(status, &headers, observed_at, now);
                            if let Some(secs) = headers
                                .get(http::header::RETRY_AFTER)
                                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                            {
                                holds
                                    .lock()
                                    .unwrap()
                                    .push((now, now + Duration::from_secs(secs)));
                            }
                            if status == 200 || !until_accepted {
                                break;
                            }
                        }
                    }
                    None
                })
            })
            .collect();
        let mut refused = Vec::new();
        for task in tasks {
            refused.extend(task.await.unwrap());
        }
        let server = server.lock().unwrap();
        LoopOutcome {
            rejected: server.rejected,
            accepted: server.accepted.len(),
            accepted_at: server
                .accepted
                .iter()
                .map(|t| (*t - start).as_secs_f64())
                .collect(),
            sent_during_retry_after: early.load(SeqCst),
            refused,
        }
    }

    fn per_minute(limit: u32) -> SimServer {
        SimServer::new((limit, Duration::from_secs(60)), None)
    }

    fn do_like(burst: u32, hourly: u32) -> SimServer {
        SimServer::new(
            (burst, Duration::from_secs(60)),
            Some((hourly, Duration::from_secs(3600))),
        )
    }

    // 1000 requests at 250/minute: the first 250 go at once, the other 750 need 3 minutes.
    // Pacing keeps a reserve of 10% (25) that it spreads over the following window, so the
    // last 25 may come later by design; everything before must keep up with the limit (the
    // one-second margin after each reported reset and the latency cost a few percent).
    const IDEAL_SECS: f64 = 180.0;
    const RESERVE: usize = 25;

    #[tokio::test(start_paused = true)]
    async fn header_pacing_alone_avoids_429_in_a_tight_loop() {
        let outcome = tight_loop(no_burst(), per_minute(250), 1000, false).await;
        assert_eq!((outcome.rejected, outcome.accepted), (0, 1000));
        let secs = outcome.secs_until_all_but(RESERVE);
        assert!(
            (IDEAL_SECS - 1.0..IDEAL_SECS * 1.1).contains(&secs),
            "took {secs:.1}s"
        );
        assert!(
            outcome.accepted_at[999] < secs + 62.0,
            "the reserve within one window"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_burst_window_alone_avoids_429_when_headers_say_nothing() {
        let mut server = per_minute(250);
        server.report_headers = false;
        let outcome = tight_loop(PacingConfig::default(), server, 1000, false).await;
        assert_eq!((outcome.rejected, outcome.accepted), (0, 1000));
        let secs = outcome.accepted_at[999];
        assert!(
            (IDEAL_SECS..IDEAL_SECS * 1.05).contains(&secs),
            "took {secs:.1}s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_together_avoid_429_in_a_tight_loop() {
        let outcome = tight_loop(PacingConfig::default(), per_minute(250), 1000, false).await;
        assert_eq!((outcome.rejected, outcome.accepted), (0, 1000));
        let secs = outcome.secs_until_all_but(RESERVE);
        assert!(secs < IDEAL_SECS * 1.1, "took {secs:.1}s");
    }

    #[tokio::test(start_paused = true)]
    async fn without_pacing_the_same_loop_is_rejected() {
        let config = PacingConfig {
            enabled: false,
            ..PacingConfig::default()
        };
        let rejected = tight_loop(config, per_minute(250), 1000, false)
            .await
            .rejected;
        assert!(
            rejected > 500,
            "the simulation must be able to fail: {rejected}"
        );
    }

    // Against DigitalOcean as the reference describes it (remaining 0 and a reset an hour
    // away once the burst window is full), the local window keeps a tight loop at the
    // burst limit: no 429, no refusal, the same pace as above.
    #[tokio::test(start_paused = true)]
    async fn a_do_like_server_is_kept_to_its_burst_limit_without_stalling() {
        let outcome = tight_loop(PacingConfig::default(), do_like(250, 5000), 1000, true).await;
        assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
        assert_eq!((outcome.rejected, outcome.accepted), (0, 1000));
        let secs = outcome.accepted_at[999];
        assert!(
            (IDEAL_SECS..IDEAL_SECS * 1.1).contains(&secs),
            "took {secs:.1}s"
        );
    }

    // The account's burst limit is lower than the client knows (100 per minute), so the
    // loop does meet burst 429s: every one is waited out for its retry-after (nobody is sent
    // meanwhile), none turns into an hour-long local refusal, and the loop keeps the pace of
    // 100 per minute (1000 requests: 9 more windows after the first).
    #[tokio::test(start_paused = true)]
    async fn burst_429s_from_a_do_like_server_are_waited_out_not_refused() {
        let outcome = tight_loop(PacingConfig::default(), do_like(100, 5000), 1000, true).await;
        assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
        assert_eq!(outcome.accepted, 1000);
        assert!(outcome.rejected > 0, "the simulation must meet the limit");
        assert!(outcome.rejected < 100, "{} 429s", outcome.rejected);
        assert_eq!(outcome.sent_during_retry_after, 0);
        let secs = outcome.accepted_at[999];
        assert!((540.0..540.0 * 1.2).contains(&secs), "took {secs:.1}s");
    }

    // The hourly quota (a 429 without retry-after) is the one case held until reset: other
    // clients of the token spent it ten minutes ago, so the loop stops at once with a local
    // refusal that says how long until the oldest of their requests expires (50 minutes),
    // after at most one 429 per task.
    #[tokio::test(start_paused = true)]
    async fn the_hourly_quota_stops_the_loop_with_the_time_to_reset() {
        let mut server = do_like(250, 5000);
        let spent_at = Instant::now();
        server.in_hour.extend(std::iter::repeat_n(spent_at, 5000));
        tokio::time::advance(Duration::from_secs(600)).await;
        let outcome = tight_loop(PacingConfig::default(), server, 100, true).await;
        assert_eq!(outcome.accepted, 0);
        assert_eq!(outcome.refused.len(), 4, "every task stops");
        for err in &outcome.refused {
            let Error::RateLimited {
                retry_after: Some(wait),
                ..
            } = err
            else {
                panic!("{err:?}");
            };
            assert!(
                *wait > Duration::from_secs(2990) && *wait <= Duration::from_secs(3002),
                "{wait:?}"
            );
        }
        assert!((1..=4).contains(&outcome.rejected), "{}", outcome.rejected);
    }
}
