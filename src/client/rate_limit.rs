//! Rate-limit bookkeeping and pacing.
//!
//! DigitalOcean counts every request against the token for a fixed time (per-request timers,
//! 250/minute burst and 5,000/hour), and reports `ratelimit-limit`, `ratelimit-remaining` and
//! `ratelimit-reset` (unix time at which the *oldest* counted request expires). The pacer
//! keeps requests flowing untouched while plenty remain, spreads the last few evenly until
//! `reset`, and holds requests until `reset` once none remain, so a busy client slows down
//! instead of collecting 429s. A local sliding window additionally keeps this client under the
//! documented burst limit even when the headers only describe the hourly budget.
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
            burst: Some((250, Duration::from_secs(60))),
        }
    }
}

/// `ratelimit-reset` has one-second resolution and the server counts a request when it
/// receives it, so budget freed "at reset" is only trusted this much later.
const RESET_MARGIN: Duration = Duration::from_secs(1);
/// Same for the local burst window (our send time precedes the server's receive time).
const BURST_MARGIN: Duration = Duration::from_millis(500);
/// With no budget left and a stale reset, one probe request per interval refreshes the headers.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// Server clocks closer than this to ours are taken as equal (the `date` header has 1 s resolution).
const MAX_TRUSTED_SKEW: f64 = 2.0;

/// Pacing starts when this few requests remain: 10% of the limit, at least 5.
fn low_threshold(limit: u32) -> i64 {
    i64::from((limit / 10).max(5))
}

#[derive(Debug, Default)]
struct State {
    last: Option<RateLimit>,
    /// `remaining` minus the requests sent since, including those still in flight.
    remaining_est: i64,
    /// Local instant at which the oldest counted request expires (margin included).
    reset_at: Option<Instant>,
    in_flight: u32,
    /// Send order of requests, and that of the newest request whose headers were applied:
    /// a response overtaken by a later request's response carries stale counts.
    next_seq: u64,
    applied_seq: Option<u64>,
    last_send: Option<Instant>,
    probe_at: Option<Instant>,
    sends: VecDeque<Instant>,
}

impl State {
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
        let Some(last) = self.last else {
            return wait;
        };
        if self.remaining_est > low_threshold(last.limit) {
            return wait;
        }
        let Some(reset_at) = self.reset_at else {
            return wait;
        };
        if self.remaining_est <= 0 {
            if reset_at > now {
                wait = wait.max(reset_at - now);
            } else if let Some(probe_at) = self.probe_at {
                // The oldest request has expired since the headers were read: budget is
                // freeing up but the count is unknown. One probe at a time until fresh
                // headers arrive.
                wait = wait.max((probe_at + PROBE_INTERVAL).saturating_duration_since(now));
            }
        } else if reset_at > now {
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
            if self.remaining_est <= 0 && self.reset_at.is_none_or(|r| r <= now) {
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
                            "the rate-limit budget is exhausted for another {:.1}s (client-side pacing, request not sent)",
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
    /// Records the `ratelimit-*` headers of this request's response.
    pub fn observe(&self, headers: &HeaderMap) {
        self.observe_at(headers, SystemTime::now(), Instant::now());
    }

    /// `observe` with the wall clock and the monotonic clock given (`now` corresponds to
    /// `observed_at`).
    fn observe_at(&self, headers: &HeaderMap, observed_at: SystemTime, now: Instant) {
        let Some(rate_limit) = RateLimit::from_headers(headers, observed_at) else {
            return;
        };
        // Seconds until reset by the server's clock when it is clearly off from ours.
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
        let until_reset = (rate_limit.reset as f64 - server_unix).clamp(0.0, 86_400.0);
        let mut state = self.pacer.lock();
        if state.applied_seq.is_some_and(|applied| applied > self.seq) {
            return;
        }
        // Other requests in flight were sent after ours was counted, or soon will be.
        let others = i64::from(state.in_flight.saturating_sub(1));
        let estimate = i64::from(rate_limit.remaining) - others;
        // While the oldest request has not expired (same reset) the budget cannot grow: a
        // higher count comes from a request the server handled before one already seen.
        let same_window = state
            .last
            .is_some_and(|last| last.reset == rate_limit.reset);
        state.remaining_est = if same_window {
            estimate.min(state.remaining_est)
        } else {
            estimate
        };
        state.applied_seq = Some(self.seq);
        state.reset_at = Some(now + Duration::from_secs_f64(until_reset) + RESET_MARGIN);
        state.probe_at = None;
        state.last = Some(rate_limit);
        drop(state);
        self.pacer.changed.notify_waiters();
    }
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

    fn headers(limit: u32, remaining: u32, reset_in: i64) -> HeaderMap {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let mut h = HeaderMap::new();
        h.insert("ratelimit-limit", limit.into());
        h.insert("ratelimit-remaining", remaining.into());
        h.insert("ratelimit-reset", ((now + reset_in) as u64).into());
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
    async fn no_wait_with_plenty_remaining_and_full_wait_when_exhausted() {
        let pacer = Pacer::new(no_burst());
        pacer
            .acquire()
            .await
            .unwrap()
            .observe(&headers(250, 200, 30));
        assert_eq!(
            pacer.lock().wait_needed(&no_burst(), Instant::now()),
            Duration::ZERO
        );

        pacer.acquire().await.unwrap().observe(&headers(250, 0, 30));
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
            .observe(&headers(250, 10, 19));
        // 10 remaining over ~20 s (19 s + margin): one every ~2 s after the last send.
        let wait = pacer.lock().wait_needed(&no_burst(), Instant::now());
        assert!(
            wait > Duration::from_millis(1800) && wait <= Duration::from_millis(2100),
            "{wait:?}"
        );
    }

    #[tokio::test]
    async fn too_long_a_wait_fails_without_sending() {
        let config = PacingConfig {
            max_wait: Duration::from_secs(5),
            ..no_burst()
        };
        let pacer = Pacer::new(config);
        pacer
            .acquire()
            .await
            .unwrap()
            .observe(&headers(5000, 0, 600));
        let err = pacer.acquire().await.unwrap_err();
        assert!(
            matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d > Duration::from_secs(590))
        );
    }

    #[tokio::test]
    async fn in_flight_requests_are_subtracted_from_the_reported_remaining() {
        let pacer = Pacer::new(no_burst());
        let a = pacer.acquire().await.unwrap();
        let b = pacer.acquire().await.unwrap();
        let _c = pacer.acquire().await.unwrap();
        a.observe(&headers(250, 100, 30));
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
    /// A server enforcing `limit` requests per sliding `window`, counting each request at
    /// receipt like DigitalOcean, and reporting `ratelimit-reset` as the (floored) unix second
    /// at which the oldest counted request expires.
    struct SlidingWindowServer {
        limit: u32,
        window: Duration,
        report_headers: bool,
        received: VecDeque<Instant>,
        accepted: Vec<Instant>,
        rejected: usize,
    }

    impl SlidingWindowServer {
        fn handle(&mut self, now: Instant, unix_of: impl Fn(Instant) -> f64) -> HeaderMap {
            while self
                .received
                .front()
                .is_some_and(|t| now - *t >= self.window)
            {
                self.received.pop_front();
            }
            if self.received.len() >= self.limit as usize {
                self.rejected += 1;
            } else {
                self.received.push_back(now);
                self.accepted.push(now);
            }
            let mut h = HeaderMap::new();
            if self.report_headers {
                let oldest = self.received.front().copied().unwrap_or(now);
                let reset = unix_of(oldest + self.window).floor() as u64;
                h.insert("ratelimit-limit", self.limit.into());
                h.insert(
                    "ratelimit-remaining",
                    (self.limit - self.received.len() as u32).into(),
                );
                h.insert("ratelimit-reset", reset.into());
            }
            h
        }
    }

    /// Outcome of a simulated tight loop (seconds are simulated).
    struct LoopOutcome {
        rejected: usize,
        accepted: usize,
        /// When the n-th accepted request arrived, for every n.
        accepted_at: Vec<f64>,
    }

    impl LoopOutcome {
        /// Seconds until all but the last `reserve` requests were accepted.
        fn secs_until_all_but(&self, reserve: usize) -> f64 {
            self.accepted_at[self.accepted - 1 - reserve]
        }
    }

    /// Four tasks send `total` requests back to back through one pacer, on a paused clock
    /// (simulated minutes pass instantly), with 5-60 ms of latency each way.
    async fn tight_loop(config: PacingConfig, report_headers: bool, total: usize) -> LoopOutcome {
        use rand::Rng;
        let start = Instant::now();
        let start_unix = 1_800_000_000.5;
        let unix_of = move |t: Instant| start_unix + (t - start).as_secs_f64();
        let pacer = std::sync::Arc::new(Pacer::new(config));
        let server = std::sync::Arc::new(Mutex::new(SlidingWindowServer {
            limit: 250,
            window: Duration::from_secs(60),
            report_headers,
            received: VecDeque::new(),
            accepted: Vec::new(),
            rejected: 0,
        }));
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (pacer, server, sent) = (pacer.clone(), server.clone(), sent.clone());
                tokio::spawn(async move {
                    while sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < total {
                        let permit = pacer.acquire().await.expect("never beyond max wait");
                        let leg = || Duration::from_millis(rand::rng().random_range(5..60));
                        tokio::time::sleep(leg()).await;
                        let headers = server.lock().unwrap().handle(Instant::now(), unix_of);
                        tokio::time::sleep(leg()).await;
                        let now = Instant::now();
                        let observed_at =
                            SystemTime::UNIX_EPOCH + Duration::from_secs_f64(unix_of(now));
                        permit.observe_at(&headers, observed_at, now);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
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
        }
    }

    // 1000 requests at 250/minute: the first 250 go at once, the other 750 need 3 minutes.
    // Pacing keeps a reserve of 10% (25) that it spreads over the following window, so the
    // last 25 may come later by design; everything before must keep up with the limit (the
    // one-second margin after each reported reset and the latency cost a few percent).
    const IDEAL_SECS: f64 = 180.0;
    const RESERVE: usize = 25;

    #[tokio::test(start_paused = true)]
    async fn header_pacing_alone_avoids_429_in_a_tight_loop() {
        let outcome = tight_loop(no_burst(), true, 1000).await;
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
        let outcome = tight_loop(PacingConfig::default(), false, 1000).await;
        assert_eq!((outcome.rejected, outcome.accepted), (0, 1000));
        let secs = outcome.accepted_at[999];
        assert!(
            (IDEAL_SECS..IDEAL_SECS * 1.05).contains(&secs),
            "took {secs:.1}s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_together_avoid_429_in_a_tight_loop() {
        let outcome = tight_loop(PacingConfig::default(), true, 1000).await;
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
        let rejected = tight_loop(config, true, 1000).await.rejected;
        assert!(
            rejected > 500,
            "the simulation must be able to fail: {rejected}"
        );
    }
}
