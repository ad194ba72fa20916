//! The auto-sync loop (`control::watch`) against fake runners: real temp files for the
//! filesystem paths, paused tokio time for timers-only behaviour. One test runs the real
//! control plane against the emulator's burst limit.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use do_envsync::control::watch::{
    watch, DriftMode, RunFailure, TriggerReason, WatchEvent, WatchReport, WatchRunner,
    WatchSettings, WatchedSync,
};
use do_envsync::control::{ControlPlane, NewConnection, NewSync};
use do_envsync::emulator::{Emulator, EmulatorConfig, RequestRecord};
use do_envsync::store::Store;
use futures::future::BoxFuture;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct FakeState {
    /// Start instant of every run, per sync.
    calls: HashMap<String, Vec<Instant>>,
    running_apps: HashSet<String>,
    running_now: usize,
    peak_running: usize,
    /// Runs that started while another run of the same app was in flight.
    overlaps: usize,
    finished: usize,
    /// Remaining runs that fail, per sync.
    failures_left: HashMap<String, u32>,
    /// Syncs disabled or deleted meanwhile: their runs are refused.
    gone: HashSet<String>,
    /// Syncs whose drift check reports pending changes (until they run).
    drifted: HashSet<String>,
    drift_checks: usize,
}

/// Counts calls, detects overlapping runs of one app, fails or drifts on demand.
struct FakeRunner {
    app_of: HashMap<String, String>,
    run_time: Duration,
    /// Files each run reads, like a dotenv source does (reads must not trigger runs).
    reads: HashMap<String, Vec<PathBuf>>,
    state: Mutex<FakeState>,
}

impl FakeRunner {
    fn new(syncs: &[WatchedSync], run_time: Duration) -> Arc<Self> {
        Arc::new(Self {
            app_of: syncs
                .iter()
                .map(|s| (s.name.clone(), s.app_id.clone()))
                .collect(),
            run_time,
            reads: syncs
                .iter()
                .map(|s| (s.name.clone(), s.paths.clone()))
                .collect(),
            state: Mutex::new(FakeState::default()),
        })
    }

    fn calls(&self, sync: &str) -> Vec<Instant> {
        let state = self.state.lock().unwrap();
        state.calls.get(sync).cloned().unwrap_or_default()
    }

    fn total_calls(&self) -> usize {
        self.state
            .lock()
            .unwrap()
            .calls
            .values()
            .map(Vec::len)
            .sum()
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

impl WatchRunner for FakeRunner {
    fn run(&self, sync: &str) -> BoxFuture<'_, Result<String, RunFailure>> {
        let sync = sync.to_string();
        Box::pin(async move {
            if self.with(|s| s.gone.contains(&sync)) {
                self.with(|s| {
                    s.calls
                        .entry(sync.clone())
                        .or_default()
                        .push(Instant::now())
                });
                return Err(RunFailure::Gone(format!("sync {sync:?} is disabled")));
            }
            let app = self.app_of[&sync].clone();
            let fail = self.with(|s| {
                s.calls
                    .entry(sync.clone())
                    .or_default()
                    .push(Instant::now());
                if !s.running_apps.insert(app.clone()) {
                    s.overlaps += 1;
                }
                s.running_now += 1;
                s.peak_running = s.peak_running.max(s.running_now);
                match s.failures_left.get_mut(&sync) {
                    Some(n) if *n > 0 => {
                        *n -= 1;
                        true
                    }
                    _ => false,
                }
            });
            let mut read = 0;
            for path in &self.reads[&sync] {
                if let Ok(text) = std::fs::read_to_string(path) {
                    read += text.len();
                }
            }
            tokio::time::sleep(self.run_time).await;
            self.with(|s| {
                s.running_apps.remove(&app);
                s.running_now -= 1;
                s.finished += 1;
                if !fail {
                    s.drifted.remove(&sync);
                }
            });
            if fail {
                Err(RunFailure::Failed(format!(
                    "{sync}: destination unavailable"
                )))
            } else {
                Ok(format!("{sync}: read {read} bytes, 0 changes"))
            }
        })
    }

    fn check_drift(&self, sync: &str) -> BoxFuture<'_, Result<bool, String>> {
        let sync = sync.to_string();
        Box::pin(async move {
            Ok(self.with(|s| {
                s.drift_checks += 1;
                s.drifted.contains(&sync)
            }))
        })
    }
}

struct Events {
    rx: mpsc::UnboundedReceiver<WatchEvent>,
    all: Arc<Mutex<Vec<WatchEvent>>>,
}

impl Events {
    /// Waits for the next event matching `pred` (earlier non-matching events are skipped),
    /// generously: on a loaded machine an event may come late without being wrong.
    async fn wait_for(&mut self, what: &str, pred: impl Fn(&WatchEvent) -> bool) -> WatchEvent {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(event)) if pred(&event) => return event,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("watch ended before {what}"),
                Err(_) => panic!("timed out waiting for {what}; events: {:?}", self.lines()),
            }
        }
    }

    fn snapshot(&self) -> Vec<WatchEvent> {
        self.all.lock().unwrap().clone()
    }

    fn lines(&self) -> Vec<String> {
        self.snapshot().iter().map(ToString::to_string).collect()
    }
}

struct Running {
    stop: CancellationToken,
    handle: JoinHandle<WatchReport>,
    events: Events,
}

impl Running {
    async fn stop(self) -> (WatchReport, Vec<WatchEvent>) {
        self.stop.cancel();
        let report = tokio::time::timeout(Duration::from_secs(10), self.handle)
            .await
            .expect("watch returns after stop")
            .expect("watch does not panic");
        let events = self.events.snapshot();
        (report, events)
    }
}

fn start<R: WatchRunner + 'static>(
    syncs: Vec<WatchedSync>,
    runner: Arc<R>,
    settings: WatchSettings,
) -> Running {
    let (tx, rx) = mpsc::unbounded_channel();
    let all = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&all);
    let on_event = Arc::new(move |event: &WatchEvent| {
        sink.lock().unwrap().push(event.clone());
        let _ = tx.send(event.clone());
    });
    let stop = CancellationToken::new();
    let handle = tokio::spawn(watch(syncs, runner, settings, stop.clone(), on_event));
    Running {
        stop,
        handle,
        events: Events { rx, all },
    }
}

fn sync(name: &str, app: &str, paths: &[&Path]) -> WatchedSync {
    WatchedSync {
        name: name.into(),
        app_id: app.into(),
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
    }
}

/// Settings for filesystem tests: no start run, no polling in the way.
fn fs_settings() -> WatchSettings {
    WatchSettings {
        run_on_start: false,
        poll_interval: Duration::from_secs(3600),
        ..WatchSettings::default()
    }
}

fn is_started(e: &WatchEvent) -> bool {
    matches!(e, WatchEvent::Started { .. })
}

fn run_succeeded(name: &str) -> impl Fn(&WatchEvent) -> bool + '_ {
    move |e| matches!(e, WatchEvent::RunSucceeded { sync, .. } if sync == name)
}

fn run_started(name: &str) -> impl Fn(&WatchEvent) -> bool + '_ {
    move |e| matches!(e, WatchEvent::RunStarted { sync, .. } if sync == name)
}

fn offsets(t0: Instant, calls: &[Instant]) -> Vec<Duration> {
    calls.iter().map(|t| t.duration_since(t0)).collect()
}

fn secs(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|s| Duration::from_secs(*s)).collect()
}

#[tokio::test]
async fn file_change_triggers_one_run_after_the_debounce() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(&env, "A=1\n").unwrap();
    let syncs = vec![sync("web", "app-1", &[&env])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(20));
    let mut w = start(syncs, runner.clone(), fs_settings());
    w.events.wait_for("start", is_started).await;

    let changed_at = Instant::now();
    std::fs::write(&env, "A=2\n").unwrap();
    let event = w.events.wait_for("run", run_succeeded("web")).await;
    let elapsed = changed_at.elapsed();
    // Triggered by the file watcher: the poll interval (3600 s) would take far longer.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    // Debounced: not before the quiet time.
    assert!(elapsed >= Duration::from_millis(300), "took {elapsed:?}");
    assert!(event.to_string().starts_with("[web] run succeeded in "));

    // The run read the file: reads must not trigger another run.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(runner.total_calls(), 1);
    let (report, events) = w.stop().await;
    assert_eq!(report.sync("web").unwrap().runs_started, 1);
    assert_eq!(report.runs_succeeded(), 1);
    let triggers: Vec<&TriggerReason> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Triggered { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(triggers, [&TriggerReason::FileChanged(env.clone())]);
    assert!(matches!(
        events.last(),
        Some(WatchEvent::Stopped {
            runs: 1,
            succeeded: 1,
            failed: 0
        })
    ));
}

#[tokio::test]
async fn burst_of_writes_is_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(&env, "A=0\n").unwrap();
    let syncs = vec![sync("web", "app-1", &[&env])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(20));
    let mut w = start(syncs, runner.clone(), fs_settings());
    w.events.wait_for("start", is_started).await;

    // Writes 5 ms apart are one burst; a loaded machine may stretch a gap past the
    // debounce, and each such gap may rightly start one more run.
    let debounce = WatchSettings::default().debounce;
    let mut written = Vec::new();
    for i in 0..20 {
        std::fs::write(&env, format!("A={i}\n")).unwrap();
        written.push(Instant::now());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let long_gaps = written
        .windows(2)
        .filter(|w| w[1] - w[0] >= debounce)
        .count();
    w.events.wait_for("run", run_succeeded("web")).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let runs = runner.total_calls();
    assert!(
        (1..=2 + long_gaps).contains(&runs),
        "{runs} runs for one burst ({long_gaps} gaps past the debounce)"
    );
    let (report, _) = w.stop().await;
    assert_eq!(report.runs_started(), runs as u64);
}

#[tokio::test]
async fn files_replaced_by_rename_or_created_later_are_seen_and_others_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    let local = dir.path().join(".env.local"); // does not exist yet
    std::fs::write(&env, "A=1\n").unwrap();
    let syncs = vec![sync("web", "app-1", &[&env, &local])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(10));
    let settings = WatchSettings {
        debounce: Duration::from_millis(100),
        ..fs_settings()
    };
    let mut w = start(syncs, runner.clone(), settings);
    w.events.wait_for("start", is_started).await;

    // Unrelated files in the same directory do not count.
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(runner.total_calls(), 0);

    // Editor-style save: write a temp file, rename it over the watched one.
    let tmp = dir.path().join(".env.swp");
    std::fs::write(&tmp, "A=2\n").unwrap();
    std::fs::rename(&tmp, &env).unwrap();
    let started = w
        .events
        .wait_for("run after rename", run_started("web"))
        .await;
    assert_eq!(
        started,
        WatchEvent::RunStarted {
            sync: "web".into(),
            reason: TriggerReason::FileChanged(env.clone())
        }
    );
    w.events.wait_for("run", run_succeeded("web")).await;

    std::fs::write(&local, "B=1\n").unwrap();
    let started = w
        .events
        .wait_for("run after create", run_started("web"))
        .await;
    assert_eq!(
        started,
        WatchEvent::RunStarted {
            sync: "web".into(),
            reason: TriggerReason::FileChanged(local.clone())
        }
    );
    w.events.wait_for("run", run_succeeded("web")).await;
    let (report, _) = w.stop().await;
    assert_eq!(report.runs_succeeded(), 2);
}

#[tokio::test(start_paused = true)]
async fn polling_sync_runs_on_its_interval() {
    let syncs = vec![sync("vault", "app-1", &[])];
    let runner = FakeRunner::new(&syncs, Duration::from_secs(1));
    let settings = WatchSettings {
        poll_interval: Duration::from_secs(10),
        ..WatchSettings::default()
    };
    let t0 = Instant::now();
    let w = start(syncs, runner.clone(), settings);
    tokio::time::sleep(Duration::from_millis(35_500)).await;
    let (report, events) = w.stop().await;
    assert_eq!(offsets(t0, &runner.calls("vault")), secs(&[0, 10, 20, 30]));
    assert_eq!(report.sync("vault").unwrap().runs_succeeded, 4);
    let reasons: Vec<&TriggerReason> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::RunStarted { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            &TriggerReason::Start,
            &TriggerReason::Poll,
            &TriggerReason::Poll,
            &TriggerReason::Poll
        ]
    );
    assert_eq!(
        events[0].to_string(),
        "watching 1 sync (vault): 0 files, 1 polled every 10s"
    );
}

#[tokio::test(start_paused = true)]
async fn unwatchable_file_falls_back_to_polling() {
    let missing = PathBuf::from("/nonexistent-do-envsync-dir/.env");
    let syncs = vec![sync("web", "app-1", &[&missing])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(10));
    let settings = WatchSettings {
        run_on_start: false,
        poll_interval: Duration::from_secs(10),
        ..WatchSettings::default()
    };
    let w = start(syncs, runner.clone(), settings);
    tokio::time::sleep(Duration::from_secs(25)).await;
    let (report, events) = w.stop().await;
    assert_eq!(report.runs_succeeded(), 2);
    assert!(
        matches!(&events[0], WatchEvent::WatchUnavailable { sync, path, .. } if sync == "web" && *path == missing),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], WatchEvent::Started { files, polled, .. } if files.is_empty() && polled == &["web".to_string()])
    );
}

#[tokio::test(start_paused = true)]
async fn runs_of_one_app_never_overlap_and_triggers_coalesce() {
    // a and b share an app; c is another app. All poll far faster than a run takes.
    let syncs = vec![
        sync("a", "app-x", &[]),
        sync("b", "app-x", &[]),
        sync("c", "app-y", &[]),
    ];
    let runner = FakeRunner::new(&syncs, Duration::from_secs(1));
    let settings = WatchSettings {
        poll_interval: Duration::from_millis(250),
        ..WatchSettings::default()
    };
    let t0 = Instant::now();
    let w = start(syncs, runner.clone(), settings);
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let (report, events) = w.stop().await;

    runner.with(|s| {
        assert_eq!(s.overlaps, 0, "runs of one app overlapped");
        assert_eq!(s.peak_running, 2, "different apps run concurrently");
    });
    // app-x is busy back to back, a and b taking turns: a at 0, b at 1, a at 2, ...
    let mut app_x: Vec<(Instant, &str)> = runner
        .calls("a")
        .into_iter()
        .map(|t| (t, "a"))
        .chain(runner.calls("b").into_iter().map(|t| (t, "b")))
        .collect();
    app_x.sort();
    let order: Vec<&str> = app_x.iter().map(|(_, n)| *n).collect();
    assert_eq!(order, ["a", "b", "a", "b", "a"]);
    assert_eq!(
        offsets(t0, &app_x.iter().map(|(t, _)| *t).collect::<Vec<_>>()),
        secs(&[0, 1, 2, 3, 4])
    );
    // Many poll ticks, each merged into the one queued run.
    let b_triggers = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::Triggered { sync, .. } if sync == "b"))
        .count();
    // b: queued at 0, ~2 and ~4 s (the last one still queued at stop).
    assert_eq!(b_triggers, 3, "one trigger per queued run: {events:?}");
    assert_eq!(report.sync("a").unwrap().runs_started, 3);
    assert_eq!(report.sync("b").unwrap().runs_started, 2);
    // c never waits on app-x.
    assert_eq!(runner.calls("c")[0], t0);
}

#[tokio::test]
async fn file_triggers_during_a_run_of_the_app_merge_into_one_follow_up_per_sync() {
    let dir = tempfile::tempdir().unwrap();
    let a_env = dir.path().join("a.env");
    let b_env = dir.path().join("b.env");
    std::fs::write(&a_env, "A=0\n").unwrap();
    std::fs::write(&b_env, "B=0\n").unwrap();
    let syncs = vec![sync("a", "app-x", &[&a_env]), sync("b", "app-x", &[&b_env])];
    // a's first run lasts long enough for the writes below to land during it, even on a
    // loaded machine.
    let run_time = Duration::from_secs(3);
    let runner = FakeRunner::new(&syncs, run_time);
    let settings = WatchSettings {
        debounce: Duration::from_millis(40),
        ..fs_settings()
    };
    let mut w = start(syncs, runner.clone(), settings);
    w.events.wait_for("start", is_started).await;

    std::fs::write(&a_env, "A=1\n").unwrap();
    w.events.wait_for("first run of a", run_started("a")).await;
    // While a runs: separate bursts for a (each its own trigger) and one change of b.
    for i in 2..5 {
        std::fs::write(&a_env, format!("A={i}\n")).unwrap();
        tokio::time::sleep(Duration::from_millis(70)).await;
    }
    std::fs::write(&b_env, "B=1\n").unwrap();

    w.events.wait_for("b's run", run_succeeded("b")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (report, events) = w.stop().await;
    assert_eq!(runner.calls("a").len(), 2, "{:?}", events);
    assert_eq!(runner.calls("b").len(), 1);
    runner.with(|s| assert_eq!(s.overlaps, 0));
    // a's follow-up was queued first, so it ran before b, and b waited for it.
    let a_second = runner.calls("a")[1];
    let b_first = runner.calls("b")[0];
    assert!(b_first >= a_second + run_time);
    let a_triggers = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::Triggered { sync, .. } if sync == "a"))
        .count();
    assert!(a_triggers >= 3, "several triggers merged: {events:?}");
    assert_eq!(report.runs_succeeded(), 3);
}

#[tokio::test(start_paused = true)]
async fn concurrency_across_apps_is_bounded() {
    let syncs = vec![
        sync("a", "app-1", &[]),
        sync("b", "app-2", &[]),
        sync("c", "app-3", &[]),
    ];
    let runner = FakeRunner::new(&syncs, Duration::from_secs(1));
    let settings = WatchSettings {
        max_concurrent: 2,
        poll_interval: Duration::from_secs(3600),
        ..WatchSettings::default()
    };
    let t0 = Instant::now();
    let w = start(syncs, runner.clone(), settings);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (report, _) = w.stop().await;
    assert_eq!(report.runs_succeeded(), 3);
    runner.with(|s| assert_eq!(s.peak_running, 2));
    let mut starts: Vec<Duration> = ["a", "b", "c"]
        .iter()
        .flat_map(|n| offsets(t0, &runner.calls(n)))
        .collect();
    starts.sort();
    assert_eq!(starts, secs(&[0, 0, 1]));
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_exponentially_and_success_resets() {
    let syncs = vec![sync("web", "app-1", &[])];
    let runner = FakeRunner::new(&syncs, Duration::ZERO);
    runner.with(|s| s.failures_left.insert("web".into(), 3));
    let settings = WatchSettings {
        poll_interval: Duration::from_secs(10),
        backoff_initial: Duration::from_secs(1),
        backoff_max: Duration::from_secs(3),
        backoff_jitter: 0.0,
        ..WatchSettings::default()
    };
    let t0 = Instant::now();
    let w = start(syncs, runner.clone(), settings);
    tokio::time::sleep(Duration::from_secs(8)).await;
    // Two more failures from the 10 s poll on: the backoff starts over at 1 s.
    runner.with(|s| s.failures_left.insert("web".into(), 2));
    tokio::time::sleep(Duration::from_secs(13)).await;
    let (report, events) = w.stop().await;

    // 0 F, +1 F, +2 F, +3 (capped from 4) ok; poll 10 F, +1 F, +2 ok; poll 20 ok.
    assert_eq!(
        offsets(t0, &runner.calls("web")),
        secs(&[0, 1, 3, 6, 10, 11, 13, 20])
    );
    let retries: Vec<Option<Duration>> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::RunFailed { retry_in, .. } => Some(*retry_in),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        [1, 2, 3, 1, 2]
            .map(|s| Some(Duration::from_secs(s)))
            .to_vec()
    );
    let failed = events
        .iter()
        .find(|e| matches!(e, WatchEvent::RunFailed { .. }))
        .unwrap();
    assert_eq!(
        failed.to_string(),
        "[web] run failed after 0ms: web: destination unavailable; retrying in 1s"
    );
    // Retries are announced by RunFailed and start with reason Retry.
    assert!(events.contains(&WatchEvent::RunStarted {
        sync: "web".into(),
        reason: TriggerReason::Retry
    }));
    let web = report.sync("web").unwrap();
    assert_eq!((web.runs_failed, web.runs_succeeded), (5, 3));
    assert_eq!(web.last_error, None);
}

#[tokio::test]
async fn file_change_during_backoff_waits_for_it_then_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(&env, "A=1\n").unwrap();
    let syncs = vec![sync("web", "app-1", &[&env])];
    let runner = FakeRunner::new(&syncs, Duration::ZERO);
    runner.with(|s| s.failures_left.insert("web".into(), 1));
    let settings = WatchSettings {
        run_on_start: true,
        debounce: Duration::from_millis(40),
        backoff_initial: Duration::from_secs(1),
        backoff_jitter: 0.0,
        ..fs_settings()
    };
    let mut w = start(syncs, runner.clone(), settings);
    w.events
        .wait_for("failure", |e| matches!(e, WatchEvent::RunFailed { .. }))
        .await;
    let failed_at = runner.calls("web")[0];
    for i in 0..3 {
        std::fs::write(&env, format!("A={i}\n")).unwrap();
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    w.events.wait_for("retry", run_succeeded("web")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (report, _) = w.stop().await;
    let calls = runner.calls("web");
    assert_eq!(
        calls.len(),
        2,
        "one run after the backoff, not one per change"
    );
    let waited = calls[1].duration_since(failed_at);
    assert!(
        waited >= Duration::from_millis(990),
        "retried after {waited:?}"
    );
    // Not left to the poll interval (3600 s); slack for a loaded machine.
    assert!(waited < Duration::from_secs(10), "retried after {waited:?}");
    assert_eq!(report.sync("web").unwrap().runs_failed, 1);
}

fn drift_settings(mode: DriftMode) -> WatchSettings {
    WatchSettings {
        run_on_start: false,
        poll_interval: Duration::from_secs(3600),
        drift_interval: Some(Duration::from_secs(10)),
        drift_mode: mode,
        ..WatchSettings::default()
    }
}

#[tokio::test(start_paused = true)]
async fn drift_report_mode_only_reports() {
    let syncs = vec![sync("web", "app-1", &[]), sync("api", "app-2", &[])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(100));
    runner.with(|s| s.drifted.insert("web".into()));
    let w = start(syncs, runner.clone(), drift_settings(DriftMode::Report));
    tokio::time::sleep(Duration::from_secs(25)).await;
    let (report, events) = w.stop().await;
    assert_eq!(runner.total_calls(), 0);
    assert_eq!(runner.with(|s| s.drift_checks), 4);
    let web = report.sync("web").unwrap();
    assert_eq!((web.drift_checks, web.drift_detected), (2, 2));
    assert_eq!(report.sync("api").unwrap().drift_detected, 0);
    let detected: Vec<String> = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::DriftDetected { .. }))
        .map(ToString::to_string)
        .collect();
    assert_eq!(detected, ["[web] drift detected: changes pending"; 2]);
}

#[tokio::test(start_paused = true)]
async fn drift_repair_mode_runs_when_changes_are_pending() {
    let syncs = vec![sync("web", "app-1", &[]), sync("api", "app-2", &[])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(100));
    runner.with(|s| s.drifted.insert("web".into()));
    let t0 = Instant::now();
    let w = start(syncs, runner.clone(), drift_settings(DriftMode::Repair));
    tokio::time::sleep(Duration::from_secs(25)).await;
    let (report, events) = w.stop().await;
    // Checked at 10 s (drift: repaired right away), again at 20 s (clean).
    assert_eq!(offsets(t0, &runner.calls("web")), secs(&[10]));
    assert!(runner.calls("api").is_empty());
    assert!(events.contains(&WatchEvent::RunStarted {
        sync: "web".into(),
        reason: TriggerReason::Drift
    }));
    assert!(events.contains(&WatchEvent::DriftDetected {
        sync: "web".into(),
        repairing: true
    }));
    let web = report.sync("web").unwrap();
    assert_eq!(
        (web.drift_checks, web.drift_detected, web.runs_succeeded),
        (2, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn stop_waits_for_the_run_in_flight_and_starts_nothing_new() {
    let syncs = vec![sync("web", "app-1", &[]), sync("worker", "app-1", &[])];
    let runner = FakeRunner::new(&syncs, Duration::from_secs(5));
    let settings = WatchSettings {
        poll_interval: Duration::from_secs(3600),
        ..WatchSettings::default()
    };
    let t0 = Instant::now();
    let mut w = start(syncs, runner.clone(), settings);
    w.events.wait_for("first run", run_started("web")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // worker is queued behind web (same app) when the stop comes.
    let (report, events) = w.stop().await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(5),
        "returned when the run ended"
    );
    assert_eq!(runner.with(|s| s.finished), 1);
    assert!(runner.calls("worker").is_empty());
    assert_eq!(report.sync("web").unwrap().runs_succeeded, 1);
    assert_eq!(report.sync("worker").unwrap().runs_started, 0);
    let tail: Vec<String> = events[events.len() - 3..]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(tail[0], "stopping: waiting for 1 run in flight");
    assert!(
        tail[1].starts_with("[web] run succeeded in 5s: "),
        "{tail:?}"
    );
    assert_eq!(tail[2], "stopped after 1 run (1 succeeded, 0 failed)");
}

#[tokio::test]
async fn stop_when_idle_returns_promptly_and_empty_input_returns_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(&env, "A=1\n").unwrap();
    let syncs = vec![sync("web", "app-1", &[&env])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(10));
    let mut w = start(syncs, runner.clone(), fs_settings());
    w.events.wait_for("start", is_started).await;
    let asked = Instant::now();
    let (report, _) = w.stop().await;
    // Promptly: not after the debounce or poll timers (3600 s) of an idle watch.
    assert!(asked.elapsed() < Duration::from_secs(5));
    assert_eq!(report.runs_started(), 0);

    let w = start(
        Vec::new(),
        FakeRunner::new(&[], Duration::ZERO),
        fs_settings(),
    );
    let report = tokio::time::timeout(Duration::from_secs(10), w.handle)
        .await
        .expect("returns without a stop")
        .unwrap();
    assert!(report.syncs.is_empty());
}

/// Fails by panicking on its first run, then succeeds.
struct PanicsOnce(Mutex<u32>);

impl WatchRunner for PanicsOnce {
    fn run(&self, _sync: &str) -> BoxFuture<'_, Result<String, RunFailure>> {
        Box::pin(async move {
            let n = {
                let mut calls = self.0.lock().unwrap();
                *calls += 1;
                *calls
            };
            if n == 1 {
                panic!("runner bug");
            }
            Ok("ok".to_string())
        })
    }

    fn check_drift(&self, _sync: &str) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async { Err("not supported".to_string()) })
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_run_counts_as_a_failure_and_the_loop_goes_on() {
    let runner = Arc::new(PanicsOnce(Mutex::new(0)));
    let (tx, mut rx) = mpsc::unbounded_channel::<WatchEvent>();
    let stop = CancellationToken::new();
    let settings = WatchSettings {
        poll_interval: Duration::from_secs(3600),
        backoff_initial: Duration::from_secs(1),
        backoff_jitter: 0.0,
        drift_interval: Some(Duration::from_secs(5)),
        ..WatchSettings::default()
    };
    let handle = tokio::spawn(watch(
        vec![sync("web", "app-1", &[])],
        runner.clone(),
        settings,
        stop.clone(),
        Arc::new(move |e: &WatchEvent| {
            let _ = tx.send(e.clone());
        }),
    ));
    tokio::time::sleep(Duration::from_secs(6)).await;
    stop.cancel();
    let report = handle.await.unwrap();
    let mut lines = Vec::new();
    while let Ok(event) = rx.try_recv() {
        lines.push(event.to_string());
    }
    assert_eq!(*runner.0.lock().unwrap(), 2);
    let web = report.sync("web").unwrap();
    assert_eq!((web.runs_failed, web.runs_succeeded), (1, 1));
    assert!(
        lines.contains(&"[web] run failed after 0ms: the run panicked; retrying in 1s".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"[web] drift check failed: not supported".to_string()),
        "{lines:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_sync_disabled_meanwhile_is_unwatched_and_the_others_go_on() {
    let syncs = vec![sync("vault", "app-1", &[]), sync("env", "app-2", &[])];
    let runner = FakeRunner::new(&syncs, Duration::from_secs(1));
    let settings = WatchSettings {
        poll_interval: Duration::from_secs(10),
        ..WatchSettings::default()
    };
    let t0 = Instant::now();
    let mut w = start(syncs, runner.clone(), settings);
    w.events
        .wait_for("the first run", run_succeeded("vault"))
        .await;
    runner.with(|s| s.gone.insert("vault".to_string()));
    // The next poll (10 s) runs into the disabled sync.
    tokio::time::sleep(Duration::from_millis(9_500)).await;
    let event = w
        .events
        .wait_for(
            "vault unwatched",
            |e| matches!(e, WatchEvent::Unwatched { sync, .. } if sync == "vault"),
        )
        .await;
    assert_eq!(
        event.to_string(),
        "[vault] no longer watched: sync \"vault\" is disabled"
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (report, events) = w.stop().await;
    // One refused run at the next poll, then neither polls nor retries.
    assert_eq!(offsets(t0, &runner.calls("vault")), secs(&[0, 10]));
    assert!(
        runner.calls("env").len() >= 7,
        "the other sync keeps its schedule"
    );
    let vault = report.sync("vault").unwrap();
    assert_eq!(
        vault.unwatched.as_deref(),
        Some("sync \"vault\" is disabled")
    );
    assert_eq!((vault.runs_succeeded, vault.runs_failed), (1, 1));
    assert!(!events
        .iter()
        .any(|e| matches!(e, WatchEvent::RunFailed { sync, .. } if sync == "vault")));
}

#[tokio::test(start_paused = true)]
async fn the_watch_returns_once_no_sync_is_left() {
    let syncs = vec![sync("vault", "app-1", &[])];
    let runner = FakeRunner::new(&syncs, Duration::from_millis(100));
    runner.with(|s| s.gone.insert("vault".to_string()));
    let w = start(syncs, runner.clone(), WatchSettings::default());
    let report = tokio::time::timeout(Duration::from_secs(10), w.handle)
        .await
        .expect("returns without a stop")
        .unwrap();
    assert!(report.sync("vault").unwrap().unwatched.is_some());
    let lines: Vec<String> = w
        .events
        .snapshot()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines.last().map(String::as_str),
        Some("stopped after 1 run (0 succeeded, 1 failed)"),
        "{lines:?}"
    );
}

// ---------------------------------------------------------------- against the emulator

/// Every 429 in the log was a burst-limit 429 (with `retry-after`) followed by a retry of the
/// same request that arrived no earlier than `retry-after` later. Returns the number of 429s.
fn assert_each_429_retried_after_retry_after(log: &[RequestRecord]) -> usize {
    let mut limited = 0;
    for (i, r) in log.iter().enumerate().filter(|(_, r)| r.status == 429) {
        limited += 1;
        let secs = r.retry_after.expect("a burst 429 carries retry-after");
        let retry = log[i + 1..]
            .iter()
            .find(|n| n.method == r.method && n.path == r.path)
            .unwrap_or_else(|| panic!("the 429 of {} {} was never retried", r.method, r.path));
        let gap = retry.ts - r.ts;
        assert!(
            gap >= secs as f64 - 0.001,
            "{} {} retried {gap:.3}s after a 429 with retry-after {secs}",
            r.method,
            r.path
        );
    }
    limited
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_runs_through_repeated_burst_429s() {
    // Four apps and four `.env` syncs; the account allows 3 requests per 1 s window, so the
    // watch's start runs (a GET and a PUT each, 4 at a time) and the runs after every file
    // changed meet burst 429s again and again.
    let emu = Emulator::start(EmulatorConfig {
        phase_duration: Duration::from_millis(10),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("state.db")).unwrap());
    let cp = Arc::new(ControlPlane::open(store).unwrap());
    let mut conn = NewConnection::new("main", emu.token());
    conn.base_url = Some(emu.base_url());
    cp.create_connection(conn).await.unwrap();
    let names: Vec<String> = (0..4).map(|i| format!("app-{i}")).collect();
    for name in &names {
        emu.seed_app(json!({
            "name": name,
            "region": "nyc",
            "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}],
        }))
        .unwrap();
        std::fs::write(dir.path().join(format!("{name}.env")), "TOKEN=v1\n").unwrap();
        let new = NewSync::from_json(
            &json!({
                "name": name,
                "connection": "main",
                "app": name,
                "source": {"type": "dotenv", "path": format!("{name}.env")},
            }),
            dir.path(),
        )
        .unwrap();
        cp.create_sync(new).await.unwrap();
    }
    // The low limit only from here: the setup above is not what is tested.
    emu.set_rate_limits(3, 5000);
    emu.set_rate_windows(Duration::from_secs(1), Duration::from_secs(3600));
    emu.clear_requests();

    let syncs = cp.watched_syncs(Some(&names)).unwrap();
    let settings = WatchSettings {
        debounce: Duration::from_millis(50),
        poll_interval: Duration::from_secs(3600),
        ..WatchSettings::default()
    };
    let w = start(syncs, cp.clone(), settings);
    // Rate-limited rounds take seconds: wait for events, not for a fixed time.
    let succeeded = |events: &Events| {
        events
            .snapshot()
            .iter()
            .filter(|e| matches!(e, WatchEvent::RunSucceeded { .. }))
            .count()
    };
    let wait_until = |target: usize| {
        let events = &w.events;
        async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            while succeeded(events) < target {
                assert!(Instant::now() < deadline, "{:?}", events.lines());
                // A failed run (a 429 the client gave up on, or its own refusal) is the
                // regression this test is about: report it at once.
                let failed = events
                    .snapshot()
                    .iter()
                    .any(|e| matches!(e, WatchEvent::RunFailed { .. }));
                assert!(!failed, "{:?}", events.lines());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_until(4).await;
    for name in &names {
        std::fs::write(dir.path().join(format!("{name}.env")), "TOKEN=v2\n").unwrap();
    }
    wait_until(8).await;
    let (report, events) = w.stop().await;

    // No run failed: neither a 429 after the client's retries nor a client-side refusal.
    let failed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::RunFailed { .. }))
        .map(ToString::to_string)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!((report.runs_succeeded(), report.runs_failed()), (8, 0));
    let log = emu.requests();
    let limited = assert_each_429_retried_after_retry_after(&log);
    assert!(
        limited >= 2,
        "the test must meet the burst limit repeatedly: {limited}"
    );
    // Every app holds the second value.
    for app in emu.apps_json().as_array().unwrap() {
        let env = &app["spec"]["envs"][0];
        assert_eq!(env["key"], "TOKEN");
        let value = env["value"].as_str().unwrap();
        let plain = emu.reveal_secret(value).unwrap_or_else(|| value.to_owned());
        assert_eq!(plain, "v2", "{}", app["spec"]["name"]);
    }
}
