//! Auto-sync: keep syncs running as their sources change.
//!
//! [`watch`] drives a set of syncs through a [`WatchRunner`] until a cancellation token fires:
//! file sources are watched through filesystem events (debounced), other sources are polled,
//! drift can be checked on an interval, runs of one app never overlap and failures back off.
//!
//! Everything is decided by one coordinator task that owns all the state, so the rules
//! (per-app exclusion, coalescing, backoff) need no locks; runs and drift checks are spawned
//! tasks whose results come back to it. The coordinator only wakes up on an event, a finished
//! job or its next deadline: there is no polling loop.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, Id as TaskId, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What the watch loop needs from the control plane.
///
/// Errors and summaries are one-line, human-readable messages; they end up in [`WatchEvent`]s,
/// so they must never contain a secret value.
pub trait WatchRunner: Send + Sync + 'static {
    /// Runs the sync (reads its source, applies the plan, records the run). `Ok` holds a
    /// one-line summary of what changed.
    fn run(&self, sync: &str) -> BoxFuture<'_, Result<String, RunFailure>>;
    /// Like [`run`](Self::run), for a run that repairs drift a check found (so that it
    /// can be reported as such).
    fn run_drift_repair(&self, sync: &str) -> BoxFuture<'_, Result<String, RunFailure>> {
        self.run(sync)
    }
    /// Read-only: whether applying the sync now would change anything.
    fn check_drift(&self, sync: &str) -> BoxFuture<'_, Result<bool, String>>;
}

/// Why a run did not succeed (one-line messages, never a secret value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunFailure {
    /// The run failed; it is retried after a backoff.
    Failed(String),
    /// The sync cannot run any more (disabled or deleted since the watch started): it is no
    /// longer watched, and retrying would only fail again.
    Gone(String),
}

/// One sync to keep up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedSync {
    /// Name (or id) passed to the runner.
    pub name: String,
    /// Destination app: runs of syncs with the same `app_id` never overlap.
    pub app_id: String,
    /// Files whose changes trigger a run. Empty: the sync is polled every
    /// [`WatchSettings::poll_interval`].
    pub paths: Vec<PathBuf>,
}

/// What a drift check does when it finds pending changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DriftMode {
    /// Emit [`WatchEvent::DriftDetected`] only.
    #[default]
    Report,
    /// Emit the event and run the sync.
    Repair,
}

/// Tuning for [`watch`]. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSettings {
    /// Quiet time after the last file event before a run is triggered (default 300 ms).
    /// A steady stream of writes still triggers at least every 10 × `debounce`.
    pub debounce: Duration,
    /// Interval between runs of syncs without files (default 60 s, at least 10 ms). A tick is
    /// skipped when that sync already has a run running or queued.
    pub poll_interval: Duration,
    /// Run every sync once at start (default true).
    pub run_on_start: bool,
    /// Most runs and drift checks in flight at once, across apps (default 4, at least 1).
    pub max_concurrent: usize,
    /// Delay before the first retry of a failed sync (default 2 s); doubles on each failure.
    pub backoff_initial: Duration,
    /// Longest delay between retries (default 5 min).
    pub backoff_max: Duration,
    /// Fraction of each backoff delay that is randomized (default 0.2: the delay is between
    /// 80 % and 100 % of the nominal one), so many failing syncs do not retry in lockstep.
    pub backoff_jitter: f64,
    /// Interval between drift checks of each sync (default `None`: no drift checks). A check is
    /// skipped while that sync has a run running or queued; checks take the app's turn like runs.
    pub drift_interval: Option<Duration>,
    /// What to do when a drift check finds pending changes (default `Report`).
    pub drift_mode: DriftMode,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(300),
            poll_interval: Duration::from_secs(60),
            run_on_start: true,
            max_concurrent: 4,
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            backoff_jitter: 0.2,
            drift_interval: None,
            drift_mode: DriftMode::Report,
        }
    }
}

/// Why a run was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerReason {
    /// A watched file was written, created, replaced or removed.
    FileChanged(PathBuf),
    /// The poll interval elapsed (sync without files, or whose files cannot be watched).
    Poll,
    /// `run_on_start`.
    Start,
    /// A drift check in `Repair` mode found pending changes.
    Drift,
    /// The previous run failed and its backoff ended.
    Retry,
}

impl fmt::Display for TriggerReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FileChanged(path) => write!(f, "file changed: {}", path.display()),
            Self::Poll => f.write_str("poll"),
            Self::Start => f.write_str("start"),
            Self::Drift => f.write_str("drift repair"),
            Self::Retry => f.write_str("retry"),
        }
    }
}

/// Progress of the watch loop, for the CLI (one line each through `Display`) and bindings.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// Watching is set up: `files` are watched, the `polled` syncs are polled.
    Started {
        syncs: Vec<String>,
        files: Vec<PathBuf>,
        polled: Vec<String>,
        poll_interval: Duration,
    },
    /// A file (or its directory) cannot be watched; the sync is polled instead.
    WatchUnavailable {
        sync: String,
        path: PathBuf,
        error: String,
    },
    /// A run of `sync` was queued (several triggers may merge into one run).
    Triggered {
        sync: String,
        reason: TriggerReason,
    },
    RunStarted {
        sync: String,
        reason: TriggerReason,
    },
    RunSucceeded {
        sync: String,
        summary: String,
        duration: Duration,
    },
    /// `retry_in` is `None` when the loop is stopping.
    RunFailed {
        sync: String,
        error: String,
        duration: Duration,
        retry_in: Option<Duration>,
    },
    /// A drift check found changes pending; `repairing` when a run was queued for them.
    DriftDetected {
        sync: String,
        repairing: bool,
    },
    DriftCheckFailed {
        sync: String,
        error: String,
    },
    /// The sync was disabled or deleted meanwhile: it is no longer watched. The watch stops
    /// when no sync is left.
    Unwatched {
        sync: String,
        reason: String,
    },
    /// Stop was requested; `in_flight` runs are being waited for.
    Stopping {
        in_flight: usize,
    },
    Stopped {
        runs: u64,
        succeeded: u64,
        failed: u64,
    },
}

impl fmt::Display for WatchEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Started {
                syncs,
                files,
                polled,
                poll_interval,
            } => {
                write!(
                    f,
                    "watching {} sync{} ({}): {} file{}",
                    syncs.len(),
                    plural(syncs.len()),
                    syncs.join(", "),
                    files.len(),
                    plural(files.len())
                )?;
                if !polled.is_empty() {
                    write!(
                        f,
                        ", {} polled every {}",
                        polled.len(),
                        HumanDuration(*poll_interval)
                    )?;
                }
                Ok(())
            }
            Self::WatchUnavailable { sync, path, error } => write!(
                f,
                "[{sync}] cannot watch {}: {}; polling instead",
                path.display(),
                one_line(error)
            ),
            Self::Triggered { sync, reason } => write!(f, "[{sync}] triggered ({reason})"),
            Self::RunStarted { sync, reason } => write!(f, "[{sync}] run started ({reason})"),
            Self::RunSucceeded {
                sync,
                summary,
                duration,
            } => write!(
                f,
                "[{sync}] run succeeded in {}: {}",
                HumanDuration(*duration),
                one_line(summary)
            ),
            Self::RunFailed {
                sync,
                error,
                duration,
                retry_in,
            } => {
                write!(
                    f,
                    "[{sync}] run failed after {}: {}",
                    HumanDuration(*duration),
                    one_line(error)
                )?;
                match retry_in {
                    Some(delay) => write!(f, "; retrying in {}", HumanDuration(*delay)),
                    None => f.write_str("; not retrying (stopping)"),
                }
            }
            Self::DriftDetected { sync, repairing } => write!(
                f,
                "[{sync}] drift detected: changes pending{}",
                if *repairing { "; repairing" } else { "" }
            ),
            Self::DriftCheckFailed { sync, error } => {
                write!(f, "[{sync}] drift check failed: {}", one_line(error))
            }
            Self::Unwatched { sync, reason } => {
                write!(f, "[{sync}] no longer watched: {}", one_line(reason))
            }
            Self::Stopping { in_flight } => write!(
                f,
                "stopping: waiting for {in_flight} run{} in flight",
                plural(*in_flight)
            ),
            Self::Stopped {
                runs,
                succeeded,
                failed,
            } => write!(
                f,
                "stopped after {runs} run{} ({succeeded} succeeded, {failed} failed)",
                plural(*runs as usize)
            ),
        }
    }
}

/// Counters for one sync over the life of a [`watch`] call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncWatchReport {
    pub name: String,
    pub runs_started: u64,
    pub runs_succeeded: u64,
    pub runs_failed: u64,
    pub drift_checks: u64,
    pub drift_detected: u64,
    /// Error of the last run if it failed.
    pub last_error: Option<String>,
    /// Set when the sync stopped being watched (disabled or deleted meanwhile).
    pub unwatched: Option<String>,
}

/// What [`watch`] did, one entry per sync in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchReport {
    pub syncs: Vec<SyncWatchReport>,
}

impl WatchReport {
    /// The entry for `name` (the first one if names repeat).
    pub fn sync(&self, name: &str) -> Option<&SyncWatchReport> {
        self.syncs.iter().find(|s| s.name == name)
    }
    pub fn runs_started(&self) -> u64 {
        self.syncs.iter().map(|s| s.runs_started).sum()
    }
    pub fn runs_succeeded(&self) -> u64 {
        self.syncs.iter().map(|s| s.runs_succeeded).sum()
    }
    pub fn runs_failed(&self) -> u64 {
        self.syncs.iter().map(|s| s.runs_failed).sum()
    }
    pub fn drift_checks(&self) -> u64 {
        self.syncs.iter().map(|s| s.drift_checks).sum()
    }
}

/// Keeps `syncs` up to date until `stop` is cancelled, then waits for the runs in flight and
/// returns what happened. Returns at once when `syncs` is empty.
///
/// - Triggers (file change, poll, start, drift repair) queue at most one run per sync; a run
///   reads its source when it starts, so later triggers merge into the queued one.
/// - Runs of syncs with the same `app_id` never overlap; queued runs start oldest first.
/// - A failed run is retried after a backoff; triggers during the backoff wait for it. A sync
///   that was disabled or deleted meanwhile ([`RunFailure::Gone`]) is no longer watched, and
///   the watch returns once no sync is left.
/// - On stop no new run starts, drift checks in flight are abandoned (they are read-only),
///   runs in flight finish; queued runs and debounced file changes are dropped.
///
/// `events` is called from the coordinator task for every [`WatchEvent`]; keep it quick.
pub async fn watch(
    syncs: Vec<WatchedSync>,
    runner: Arc<dyn WatchRunner>,
    settings: WatchSettings,
    stop: CancellationToken,
    events: Arc<dyn Fn(&WatchEvent) + Send + Sync>,
) -> WatchReport {
    let mut coordinator = Coordinator::new(syncs, runner, settings, events);
    if coordinator.syncs.is_empty() {
        coordinator.emit(WatchEvent::Stopped {
            runs: 0,
            succeeded: 0,
            failed: 0,
        });
        return coordinator.report();
    }
    // Kept alive for the whole loop: dropping the watcher ends the filesystem events.
    let (fs_events, _watcher) = coordinator.start_file_watching();
    coordinator.run(fs_events, stop).await
}

/// Delay before retry number `failures` (1 = first failure), with `jitter` taken off the top so
/// the result never exceeds `max`. `random` is in [0, 1).
fn backoff_delay(settings: &WatchSettings, failures: u32, random: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(30);
    let nominal = settings
        .backoff_initial
        .saturating_mul(1u32 << doublings)
        .min(settings.backoff_max)
        .min(FAR_FUTURE);
    let jitter = settings.backoff_jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
    nominal.mul_f64(1.0 - jitter)
}

type FsEvent = notify::Result<notify::Event>;

/// Cap for delays: settings may use huge durations to mean "never".
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Floor for `poll_interval` and `drift_interval`.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Run,
    DriftCheck,
}

enum JobOutcome {
    Run(Result<String, RunFailure>),
    Drift(Result<bool, String>),
}

struct Job {
    sync: usize,
    kind: JobKind,
    started: Instant,
    abort: AbortHandle,
}

/// Scheduling state of one sync.
struct SyncState {
    spec: WatchedSync,
    /// Polled rather than file-watched (no paths, or its paths cannot be watched).
    polled: bool,
    /// A run is queued: why, and since when (older queued runs start first).
    pending: Option<(TriggerReason, Instant)>,
    running: bool,
    /// Consecutive failures and the end of the current backoff.
    failures: u32,
    not_before: Option<Instant>,
    /// File events waiting out the debounce: (first event, last changed path).
    debounce: Option<(Instant, Instant, PathBuf)>,
    next_poll: Option<Instant>,
    next_drift: Option<Instant>,
    drift_due: bool,
    report: SyncWatchReport,
}

impl SyncState {
    /// Disabled or deleted meanwhile: nothing triggers it any more.
    fn gone(&self) -> bool {
        self.report.unwatched.is_some()
    }

    /// Stops watching the sync: its refused run counts as failed, and nothing is left
    /// scheduled for it.
    fn unwatch(&mut self, reason: &str) {
        self.report.runs_failed += 1;
        self.report.last_error = Some(reason.to_owned());
        self.report.unwatched = Some(reason.to_owned());
        self.pending = None;
        self.debounce = None;
        self.next_poll = None;
        self.next_drift = None;
        self.drift_due = false;
        self.not_before = None;
    }
}

struct Coordinator {
    syncs: Vec<SyncState>,
    runner: Arc<dyn WatchRunner>,
    settings: WatchSettings,
    events: Arc<dyn Fn(&WatchEvent) + Send + Sync>,
    busy_apps: HashSet<String>,
    jobs: JoinSet<JobOutcome>,
    job_info: HashMap<TaskId, Job>,
    /// Watched (canonical directory, file name) -> syncs that depend on that file.
    watched_files: HashMap<(PathBuf, std::ffi::OsString), Vec<usize>>,
}

impl Coordinator {
    fn new(
        syncs: Vec<WatchedSync>,
        runner: Arc<dyn WatchRunner>,
        mut settings: WatchSettings,
        events: Arc<dyn Fn(&WatchEvent) + Send + Sync>,
    ) -> Self {
        settings.max_concurrent = settings.max_concurrent.max(1);
        // Zero intervals would make the loop spin; nothing needs finer than this.
        settings.poll_interval = settings.poll_interval.max(MIN_INTERVAL);
        settings.drift_interval = settings.drift_interval.map(|d| d.max(MIN_INTERVAL));
        let syncs = syncs
            .into_iter()
            .map(|spec| SyncState {
                polled: spec.paths.is_empty(),
                report: SyncWatchReport {
                    name: spec.name.clone(),
                    ..Default::default()
                },
                spec,
                pending: None,
                running: false,
                failures: 0,
                not_before: None,
                debounce: None,
                next_poll: None,
                next_drift: None,
                drift_due: false,
            })
            .collect();
        Self {
            syncs,
            runner,
            settings,
            events,
            busy_apps: HashSet::new(),
            jobs: JoinSet::new(),
            job_info: HashMap::new(),
            watched_files: HashMap::new(),
        }
    }

    fn emit(&self, event: WatchEvent) {
        (self.events)(&event);
    }

    fn report(&self) -> WatchReport {
        WatchReport {
            syncs: self.syncs.iter().map(|s| s.report.clone()).collect(),
        }
    }

    /// Watches the parent directory of every file (non-recursively, each directory once) so
    /// files replaced by rename or created later are seen. A sync whose files cannot all be
    /// watched falls back to polling. The notify callback runs on its own thread and forwards
    /// into a tokio channel.
    fn start_file_watching(
        &mut self,
    ) -> (
        mpsc::UnboundedReceiver<FsEvent>,
        Option<notify::RecommendedWatcher>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel::<FsEvent>();
        if self.syncs.iter().all(|s| s.spec.paths.is_empty()) {
            return (rx, None);
        }
        let mut watcher = match notify::recommended_watcher(move |event: FsEvent| {
            // The receiver is gone only once watch() is returning.
            let _ = tx.send(event);
        }) {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                let error = err.to_string();
                for i in 0..self.syncs.len() {
                    if let Some(path) = self.syncs[i].spec.paths.first().cloned() {
                        self.syncs[i].polled = true;
                        self.emit(WatchEvent::WatchUnavailable {
                            sync: self.syncs[i].spec.name.clone(),
                            path,
                            error: error.clone(),
                        });
                    }
                }
                None
            }
        };
        let Some(active) = watcher.as_mut() else {
            return (rx, None);
        };
        let mut watched_dirs: HashSet<PathBuf> = HashSet::new();
        for i in 0..self.syncs.len() {
            let paths = self.syncs[i].spec.paths.clone();
            for path in paths {
                match watch_target(&path).and_then(|(dir, name)| {
                    if !watched_dirs.contains(&dir) {
                        active
                            .watch(&dir, RecursiveMode::NonRecursive)
                            .map_err(|e| e.to_string())?;
                        watched_dirs.insert(dir.clone());
                    }
                    Ok((dir, name))
                }) {
                    Ok(key) => {
                        let entry = self.watched_files.entry(key).or_default();
                        if !entry.contains(&i) {
                            entry.push(i);
                        }
                    }
                    Err(error) => {
                        self.syncs[i].polled = true;
                        self.emit(WatchEvent::WatchUnavailable {
                            sync: self.syncs[i].spec.name.clone(),
                            path,
                            error,
                        });
                    }
                }
            }
        }
        (rx, watcher)
    }

    async fn run(
        mut self,
        mut fs_events: mpsc::UnboundedReceiver<FsEvent>,
        stop: CancellationToken,
    ) -> WatchReport {
        let start = Instant::now();
        for state in &mut self.syncs {
            if state.polled {
                state.next_poll = Some(later(start, self.settings.poll_interval));
            }
            state.next_drift = self
                .settings
                .drift_interval
                .map(|every| later(start, every));
        }
        let mut files: Vec<PathBuf> = Vec::new();
        for state in &self.syncs {
            for path in &state.spec.paths {
                if !state.polled && !files.contains(path) {
                    files.push(path.clone());
                }
            }
        }
        self.emit(WatchEvent::Started {
            syncs: self.syncs.iter().map(|s| s.spec.name.clone()).collect(),
            files,
            polled: self
                .syncs
                .iter()
                .filter(|s| s.polled)
                .map(|s| s.spec.name.clone())
                .collect(),
            poll_interval: self.settings.poll_interval,
        });
        if self.settings.run_on_start {
            for i in 0..self.syncs.len() {
                self.trigger(i, TriggerReason::Start, start);
            }
        }
        let mut fs_open = true;
        loop {
            if stop.is_cancelled() {
                break;
            }
            if self.jobs.is_empty() && self.syncs.iter().all(SyncState::gone) {
                break;
            }
            let now = Instant::now();
            self.fire_timers(now);
            self.start_jobs(now);
            let wake_at = self.next_deadline();
            tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                Some(joined) = self.jobs.join_next_with_id(), if !self.jobs.is_empty() => {
                    self.finish_job(joined, false);
                }
                event = fs_events.recv(), if fs_open => match event {
                    Some(event) => self.on_fs_event(event),
                    None => fs_open = false,
                },
                _ = sleep_until_opt(wake_at), if wake_at.is_some() => {}
            }
        }
        self.shut_down().await
    }

    /// Stop: no new job starts; drift checks (read-only) are abandoned, runs are awaited.
    async fn shut_down(mut self) -> WatchReport {
        let in_flight = self
            .job_info
            .values()
            .filter(|job| job.kind == JobKind::Run)
            .count();
        self.emit(WatchEvent::Stopping { in_flight });
        for job in self.job_info.values() {
            if job.kind == JobKind::DriftCheck {
                job.abort.abort();
            }
        }
        while let Some(joined) = self.jobs.join_next_with_id().await {
            self.finish_job(joined, true);
        }
        let report = self.report();
        self.emit(WatchEvent::Stopped {
            runs: report.runs_started(),
            succeeded: report.runs_succeeded(),
            failed: report.runs_failed(),
        });
        report
    }

    fn trigger(&mut self, i: usize, reason: TriggerReason, now: Instant) {
        if self.syncs[i].gone() {
            return;
        }
        self.emit(WatchEvent::Triggered {
            sync: self.syncs[i].spec.name.clone(),
            reason: reason.clone(),
        });
        let state = &mut self.syncs[i];
        // Coalesce: a queued run already covers this trigger (it reads the source when it starts).
        if state.pending.is_none() {
            state.pending = Some((reason, now));
        }
    }

    fn on_fs_event(&mut self, event: FsEvent) {
        let now = Instant::now();
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                // The watcher lost track (e.g. an unreadable path); err on the side of syncing.
                let message = err.to_string();
                let affected: Vec<usize> = if err.paths.is_empty() {
                    (0..self.syncs.len())
                        .filter(|&i| !self.syncs[i].polled)
                        .collect()
                } else {
                    err.paths
                        .iter()
                        .flat_map(|p| self.syncs_for_path(p))
                        .collect()
                };
                for i in affected {
                    let path = self.syncs[i].spec.paths[0].clone();
                    tracing::warn!(sync = %self.syncs[i].spec.name, error = %message, "file watcher error");
                    self.note_change(i, path, now);
                }
                return;
            }
        };
        // Reads (including the runner reading the source) must not trigger runs.
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        if event.need_rescan() {
            // Events were dropped (kernel queue overflow): any watched file may have changed.
            for i in 0..self.syncs.len() {
                if !self.syncs[i].polled && !self.syncs[i].spec.paths.is_empty() {
                    let path = self.syncs[i].spec.paths[0].clone();
                    self.note_change(i, path, now);
                }
            }
            return;
        }
        for path in &event.paths {
            for i in self.syncs_for_path(path) {
                let shown = self.user_path(i, path);
                self.note_change(i, shown, now);
            }
        }
    }

    fn syncs_for_path(&self, path: &Path) -> Vec<usize> {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Vec::new();
        };
        self.watched_files
            .get(&(dir.to_path_buf(), name.to_os_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// The path as the user configured it (events carry the canonical directory).
    fn user_path(&self, i: usize, event_path: &Path) -> PathBuf {
        self.syncs[i]
            .spec
            .paths
            .iter()
            .find(|p| p.file_name() == event_path.file_name())
            .cloned()
            .unwrap_or_else(|| event_path.to_path_buf())
    }

    fn note_change(&mut self, i: usize, path: PathBuf, now: Instant) {
        let state = &mut self.syncs[i];
        if state.gone() {
            return;
        }
        state.debounce = Some(match state.debounce.take() {
            Some((first, _, _)) => (first, now, path),
            None => (now, now, path),
        });
    }

    fn fire_timers(&mut self, now: Instant) {
        let debounce = self.settings.debounce;
        for i in 0..self.syncs.len() {
            if let Some((first, last, _)) = &self.syncs[i].debounce {
                let due = debounce_due(*first, *last, debounce);
                if due <= now {
                    let (_, _, path) = self.syncs[i].debounce.take().expect("checked above");
                    self.trigger(i, TriggerReason::FileChanged(path), now);
                }
            }
            if let Some(at) = self.syncs[i].next_poll {
                if at <= now {
                    self.syncs[i].next_poll = Some(next_tick(at, self.settings.poll_interval, now));
                    let state = &self.syncs[i];
                    if !state.running && state.pending.is_none() {
                        self.trigger(i, TriggerReason::Poll, now);
                    }
                }
            }
            if let (Some(at), Some(every)) =
                (self.syncs[i].next_drift, self.settings.drift_interval)
            {
                if at <= now {
                    let state = &mut self.syncs[i];
                    state.next_drift = Some(next_tick(at, every, now));
                    // A queued or running run makes a check pointless.
                    if !state.running && state.pending.is_none() {
                        state.drift_due = true;
                    }
                }
            }
        }
    }

    fn start_jobs(&mut self, now: Instant) {
        // Runs first, oldest trigger first, so every sync of a busy app gets its turn.
        let mut ready: Vec<(Instant, usize)> = self
            .syncs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.pending {
                Some((_, since)) if !s.running && s.not_before.is_none_or(|t| t <= now) => {
                    Some((*since, i))
                }
                _ => None,
            })
            .collect();
        ready.sort();
        for (_, i) in ready {
            if self.jobs.len() >= self.settings.max_concurrent {
                return;
            }
            if self.busy_apps.contains(&self.syncs[i].spec.app_id) {
                continue;
            }
            let (reason, _) = self.syncs[i].pending.take().expect("filtered on pending");
            self.start_job(i, JobKind::Run, Some(reason), now);
        }
        for i in 0..self.syncs.len() {
            if self.jobs.len() >= self.settings.max_concurrent {
                return;
            }
            let state = &self.syncs[i];
            if !state.drift_due || self.busy_apps.contains(&state.spec.app_id) {
                continue;
            }
            if state.running || state.pending.is_some() {
                self.syncs[i].drift_due = false;
                continue;
            }
            self.start_job(i, JobKind::DriftCheck, None, now);
        }
    }

    fn start_job(&mut self, i: usize, kind: JobKind, reason: Option<TriggerReason>, now: Instant) {
        let state = &mut self.syncs[i];
        state.running = kind == JobKind::Run;
        state.drift_due = false;
        state.not_before = None;
        self.busy_apps.insert(state.spec.app_id.clone());
        let name = state.spec.name.clone();
        let runner = Arc::clone(&self.runner);
        let abort = match kind {
            JobKind::Run => {
                state.report.runs_started += 1;
                let reason = reason.unwrap_or(TriggerReason::Retry);
                let drift = reason == TriggerReason::Drift;
                self.emit(WatchEvent::RunStarted {
                    sync: name.clone(),
                    reason,
                });
                self.jobs.spawn(async move {
                    JobOutcome::Run(if drift {
                        runner.run_drift_repair(&name).await
                    } else {
                        runner.run(&name).await
                    })
                })
            }
            JobKind::DriftCheck => {
                state.report.drift_checks += 1;
                self.jobs
                    .spawn(async move { JobOutcome::Drift(runner.check_drift(&name).await) })
            }
        };
        self.job_info.insert(
            abort.id(),
            Job {
                sync: i,
                kind,
                started: now,
                abort,
            },
        );
    }

    fn finish_job(
        &mut self,
        joined: Result<(TaskId, JobOutcome), tokio::task::JoinError>,
        stopping: bool,
    ) {
        let (id, outcome) = match joined {
            Ok((id, outcome)) => (id, Ok(outcome)),
            Err(err) => (err.id(), Err(err)),
        };
        let Some(job) = self.job_info.remove(&id) else {
            return;
        };
        let now = Instant::now();
        let duration = now.saturating_duration_since(job.started);
        let i = job.sync;
        let app_id = self.syncs[i].spec.app_id.clone();
        self.busy_apps.remove(&app_id);
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(err) if err.is_cancelled() => return, // drift check abandoned at stop
            Err(_) => match job.kind {
                JobKind::Run => {
                    JobOutcome::Run(Err(RunFailure::Failed("the run panicked".to_string())))
                }
                JobKind::DriftCheck => JobOutcome::Drift(Err("the check panicked".to_string())),
            },
        };
        let name = self.syncs[i].spec.name.clone();
        match outcome {
            JobOutcome::Run(result) => {
                self.syncs[i].running = false;
                match result {
                    Ok(summary) => {
                        let state = &mut self.syncs[i];
                        state.report.runs_succeeded += 1;
                        state.report.last_error = None;
                        state.failures = 0;
                        state.not_before = None;
                        self.emit(WatchEvent::RunSucceeded {
                            sync: name,
                            summary,
                            duration,
                        });
                    }
                    Err(RunFailure::Gone(reason)) => {
                        self.syncs[i].unwatch(&reason);
                        self.emit(WatchEvent::Unwatched { sync: name, reason });
                    }
                    Err(RunFailure::Failed(error)) => {
                        let state = &mut self.syncs[i];
                        state.report.runs_failed += 1;
                        state.report.last_error = Some(error.clone());
                        state.failures = state.failures.saturating_add(1);
                        let retry_in = if stopping {
                            None
                        } else {
                            let delay =
                                backoff_delay(&self.settings, state.failures, rand::random());
                            state.not_before = Some(later(now, delay));
                            // A trigger that arrived during the run waits for the backoff too.
                            if state.pending.is_none() {
                                state.pending = Some((TriggerReason::Retry, now));
                            }
                            Some(delay)
                        };
                        self.emit(WatchEvent::RunFailed {
                            sync: name,
                            error,
                            duration,
                            retry_in,
                        });
                    }
                }
            }
            JobOutcome::Drift(Ok(true)) => {
                self.syncs[i].report.drift_detected += 1;
                let repairing = self.settings.drift_mode == DriftMode::Repair && !stopping;
                self.emit(WatchEvent::DriftDetected {
                    sync: name,
                    repairing,
                });
                if repairing {
                    self.trigger(i, TriggerReason::Drift, now);
                }
            }
            JobOutcome::Drift(Ok(false)) => {}
            JobOutcome::Drift(Err(error)) => {
                self.emit(WatchEvent::DriftCheckFailed { sync: name, error });
            }
        }
    }

    /// The earliest moment something may become due. Jobs finishing and file events wake the
    /// loop by themselves, so only timers count here.
    fn next_deadline(&self) -> Option<Instant> {
        let debounce = self.settings.debounce;
        self.syncs
            .iter()
            .flat_map(|s| {
                let backoff = match (&s.pending, s.running) {
                    (Some(_), false) => s.not_before,
                    _ => None,
                };
                [
                    s.debounce
                        .as_ref()
                        .map(|(first, last, _)| debounce_due(*first, *last, debounce)),
                    s.next_poll,
                    s.next_drift,
                    backoff,
                ]
            })
            .flatten()
            .min()
    }
}

/// (canonical parent directory, file name) for a watched file; the directory must exist.
fn watch_target(path: &Path) -> Result<(PathBuf, std::ffi::OsString), String> {
    let absolute = std::path::absolute(path).map_err(|e| e.to_string())?;
    let name = absolute
        .file_name()
        .ok_or_else(|| "not a file path".to_string())?
        .to_os_string();
    let dir = absolute
        .parent()
        .ok_or_else(|| "not a file path".to_string())?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("directory {}: {e}", dir.display()))?;
    Ok((dir, name))
}

/// The first tick of a fixed schedule after `now` (missed ticks are skipped, not replayed).
fn next_tick(at: Instant, every: Duration, now: Instant) -> Instant {
    let every = every.max(Duration::from_millis(1));
    let next = later(at, every);
    if next > now {
        return next;
    }
    let behind = now.duration_since(next).as_nanos() / every.as_nanos() + 1;
    later(
        next,
        every.saturating_mul(u32::try_from(behind).unwrap_or(u32::MAX)),
    )
}

/// `t + d`, saturating far in the future: settings may use huge durations to mean "never".
fn later(t: Instant, d: Duration) -> Instant {
    let mut d = d.min(FAR_FUTURE);
    loop {
        // Halving ends at zero, which always fits.
        match t.checked_add(d) {
            Some(at) => return at,
            None => d /= 2,
        }
    }
}

/// When debounced file events fire: after `debounce` of quiet, or at the latest 10 × `debounce`
/// after the first event so a steady stream of writes still syncs.
fn debounce_due(first: Instant, last: Instant, debounce: Duration) -> Instant {
    later(last, debounce).min(later(first, debounce.saturating_mul(10)))
}

async fn sleep_until_opt(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Messages come from elsewhere; keep each event on one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "250ms", "2.5s", "4m", "1m30s".
struct HumanDuration(Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis < 1000 {
            write!(f, "{millis}ms")
        } else if millis < 60_000 {
            let tenths = millis / 100;
            if tenths % 10 == 0 {
                write!(f, "{}s", tenths / 10)
            } else {
                write!(f, "{}.{}s", tenths / 10, tenths % 10)
            }
        } else {
            let secs = self.0.as_secs();
            let (m, s) = (secs / 60, secs % 60);
            if s == 0 {
                write!(f, "{m}m")
            } else {
                write!(f, "{m}m{s}s")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(initial_ms: u64, max_ms: u64, jitter: f64) -> WatchSettings {
        WatchSettings {
            backoff_initial: Duration::from_millis(initial_ms),
            backoff_max: Duration::from_millis(max_ms),
            backoff_jitter: jitter,
            ..WatchSettings::default()
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = settings(2_000, 300_000, 0.0);
        let delays: Vec<u64> = (1..=10)
            .map(|n| backoff_delay(&s, n, 0.5).as_secs())
            .collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        // Huge failure counts neither overflow nor exceed the cap.
        assert_eq!(backoff_delay(&s, u32::MAX, 0.0), Duration::from_secs(300));
    }

    #[test]
    fn jitter_only_shortens_within_its_fraction() {
        let s = settings(10_000, 300_000, 0.2);
        assert_eq!(backoff_delay(&s, 1, 0.0), Duration::from_secs(10));
        assert_eq!(backoff_delay(&s, 1, 0.5), Duration::from_secs(9));
        let lowest = backoff_delay(&s, 1, 0.999_999);
        assert!(lowest >= Duration::from_secs(8) && lowest < Duration::from_millis(8_001));
        for _ in 0..100 {
            let d = backoff_delay(&s, 3, rand::random());
            assert!(
                d > Duration::from_secs(32) && d <= Duration::from_secs(40),
                "{d:?}"
            );
        }
    }

    #[test]
    fn next_tick_skips_missed_ticks() {
        let t0 = Instant::now();
        let every = Duration::from_secs(10);
        assert_eq!(next_tick(t0, every, t0), t0 + every);
        assert_eq!(
            next_tick(t0, every, t0 + Duration::from_secs(35)),
            t0 + Duration::from_secs(40)
        );
        assert_eq!(
            next_tick(t0, every, t0 + Duration::from_secs(10)),
            t0 + Duration::from_secs(20)
        );
    }

    #[test]
    fn huge_durations_saturate_instead_of_panicking() {
        let t0 = Instant::now();
        assert!(later(t0, Duration::MAX) > t0 + Duration::from_secs(365 * 24 * 3600));
        let due = debounce_due(t0, t0, Duration::MAX);
        assert!(due > t0);
        assert!(next_tick(t0, Duration::MAX, t0) > t0);
        let s = WatchSettings {
            backoff_max: Duration::MAX,
            backoff_jitter: 0.5,
            ..WatchSettings::default()
        };
        assert!(backoff_delay(&s, 40, 0.999) >= Duration::from_secs(1 << 30));
    }

    #[test]
    fn debounce_waits_for_quiet_but_not_forever() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert_eq!(debounce_due(t0, t0 + ms(100), ms(300)), t0 + ms(400));
        assert_eq!(debounce_due(t0, t0 + ms(2_900), ms(300)), t0 + ms(3_000));
    }

    #[test]
    fn durations_read_well() {
        let show = |ms: u64| HumanDuration(Duration::from_millis(ms)).to_string();
        assert_eq!(show(250), "250ms");
        assert_eq!(show(2_000), "2s");
        assert_eq!(show(2_500), "2.5s");
        assert_eq!(show(240_000), "4m");
        assert_eq!(show(90_000), "1m30s");
    }

    #[test]
    fn events_are_single_lines() {
        let event = WatchEvent::RunFailed {
            sync: "web".into(),
            error: "GET /v2/apps/x failed:\n  404 not found".into(),
            duration: Duration::from_millis(1_500),
            retry_in: Some(Duration::from_secs(4)),
        };
        assert_eq!(
            event.to_string(),
            "[web] run failed after 1.5s: GET /v2/apps/x failed: 404 not found; retrying in 4s"
        );
        let started = WatchEvent::Started {
            syncs: vec!["a".into(), "b".into()],
            files: vec![PathBuf::from("/x/.env")],
            polled: vec!["b".into()],
            poll_interval: Duration::from_secs(60),
        };
        assert_eq!(
            started.to_string(),
            "watching 2 syncs (a, b): 1 file, 1 polled every 1m"
        );
        let stopped = WatchEvent::Stopped {
            runs: 1,
            succeeded: 1,
            failed: 0,
        };
        assert_eq!(
            stopped.to_string(),
            "stopped after 1 run (1 succeeded, 0 failed)"
        );
    }
}
