//! Fleet sync against the emulator: the request-count contract (list pages, one PUT per
//! changed app), name resolution, per-app failures, and concurrent syncs never overwritten.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use do_envsync::client::Client;
use do_envsync::emulator::{Emulator, EmulatorConfig, Fault, FaultKind};
use do_envsync::store::Store;
use do_envsync::sync::{
    Desired, DesiredValue, Engine, FleetReport, FleetSettings, IfDeploying, SyncError, SyncOptions,
};
use serde_json::{json, Value};

struct Fleet {
    emu: Emulator,
    engine: Engine,
    /// name -> id, in creation order.
    apps: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

fn fleet(count: usize, burst_limit: u32) -> Fleet {
    fleet_with(
        count,
        EmulatorConfig {
            burst_limit,
            ..EmulatorConfig::default()
        },
    )
}

/// `count` seeded apps on an emulator with `config`'s limits (hourly limit lifted).
fn fleet_with(count: usize, config: EmulatorConfig) -> Fleet {
    let emu = Emulator::start(EmulatorConfig {
        hourly_limit: 1_000_000,
        phase_duration: Duration::from_millis(20),
        ..config
    })
    .unwrap();
    let apps = (0..count)
        .map(|i| {
            let name = format!("fleet-{i:04}");
            let app = emu
                .seed_app(json!({
                    "name": name,
                    "region": "nyc",
                    "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
                    "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}],
                }))
                .unwrap();
            (name, app["id"].as_str().unwrap().to_owned())
        })
        .collect();
    let client = Client::builder()
        .token(emu.token())
        .base_url(&emu.base_url())
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("state.db")).unwrap());
    Fleet {
        emu,
        engine: Engine::new(client, store),
        apps,
        _dir: dir,
    }
}

fn desired(version: &str) -> Desired {
    let mut d = Desired::new();
    d.insert("API_KEY", DesiredValue::new(format!("key-{version}")));
    d.insert("DB_PASSWORD", DesiredValue::new(format!("pw-{version}")));
    d
}

impl Fleet {
    async fn sync(&self, targets: Vec<(String, Desired)>) -> FleetReport {
        self.emu.clear_requests();
        self.engine
            .sync_fleet(targets, SyncOptions::default(), FleetSettings::default())
            .await
            .unwrap()
    }

    fn all(&self, version: impl Fn(usize) -> String) -> Vec<(String, Desired)> {
        self.apps
            .iter()
            .enumerate()
            .map(|(i, (_, id))| (id.clone(), desired(&version(i))))
            .collect()
    }

    fn puts(&self) -> usize {
        self.emu
            .requests()
            .iter()
            .filter(|r| r.method == "PUT")
            .count()
    }

    fn deployments(&self) -> usize {
        self.apps
            .iter()
            .map(|(_, id)| self.emu.deployment_count(id))
            .sum()
    }
}

/// Every stored app as `GET /v2/apps/{id}` would return it.
fn stored_apps(emu: &Emulator) -> Vec<Value> {
    match emu.apps_json() {
        Value::Array(apps) => apps,
        Value::Object(mut m) => match m.remove("apps") {
            Some(Value::Array(apps)) => apps,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn assert_ok(report: &FleetReport) {
    let failures: Vec<_> = report
        .failures()
        .map(|(k, e)| format!("{k}: {e}"))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_reads_the_list_once_and_puts_only_changed_apps() {
    // 201 apps: two list pages. All three syncs stay within the client's own 250/minute
    // burst window (203 + 2 + 22 requests), so the test never waits on pacing.
    let f = fleet(201, 100_000);
    let seeded = f.deployments();

    let first = f.sync(f.all(|_| "1".into())).await;
    assert_ok(&first);
    assert_eq!(first.list_requests, 2, "201 apps = two pages of 200");
    assert_eq!(first.deployments(), 201);
    assert_eq!(f.puts(), 201);
    assert_eq!(f.emu.request_count(Some("GET"), None), 2);
    assert_eq!(first.requests() as usize, f.emu.requests().len());
    assert_eq!(f.deployments(), seeded + 201);

    // No-op: two list pages, nothing else.
    let noop = f.sync(f.all(|_| "1".into())).await;
    assert_ok(&noop);
    assert_eq!(noop.requests(), 2);
    assert_eq!(f.emu.requests().len(), 2);
    assert_eq!(noop.deployments(), 0);
    assert_eq!(f.deployments(), seeded + 201);
    for app in noop.apps.values() {
        let outcome = app.result.as_ref().unwrap();
        assert!(outcome.deployment_id.is_none());
        assert_eq!(app.requests, 0);
    }

    // 10 % changed: two list pages and exactly 20 PUTs.
    let changed = f
        .sync(f.all(|i| if i % 10 == 3 { "2".into() } else { "1".into() }))
        .await;
    assert_ok(&changed);
    assert_eq!(changed.requests(), 2 + 20);
    assert_eq!(f.puts(), 20);
    assert_eq!(changed.deployments(), 20);
    assert_eq!(f.deployments(), seeded + 221);
    // Results come back in the order given, keyed by what was given.
    let keys: Vec<&String> = changed.apps.keys().collect();
    let given: Vec<&String> = f.apps.iter().map(|(_, id)| id).collect();
    assert_eq!(keys, given);
    // Each PUT wrote the new value, and only there.
    let by_id: BTreeMap<String, Value> = stored_apps(&f.emu)
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), a.clone()))
        .collect();
    for (i, (_, id)) in f.apps.iter().enumerate() {
        let envs = by_id[id]["spec"]["envs"].as_array().unwrap();
        let ev = envs.iter().find(|e| e["key"] == "API_KEY").unwrap()["value"]
            .as_str()
            .unwrap()
            .to_owned();
        let want = if i % 10 == 3 { "key-2" } else { "key-1" };
        assert_eq!(f.emu.reveal_secret(&ev).as_deref(), Some(want));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_stops_once_every_requested_app_was_seen() {
    let f = fleet(201, 100_000);
    let client = f.engine.client().clone();
    let page: Value = client
        .call(
            do_envsync::client::operation("list").unwrap(),
            &[],
            &[("per_page".into(), "200".into())],
            None,
        )
        .await
        .unwrap();
    let on_first_page: Vec<String> = page["apps"].as_array().unwrap()[..3]
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    let report = f
        .sync(
            on_first_page
                .iter()
                .map(|id| (id.clone(), desired("1")))
                .collect(),
        )
        .await;
    assert_ok(&report);
    assert_eq!(report.list_requests, 1, "the second page is never read");
    assert_eq!(report.requests(), 1 + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolve_and_failures_stay_per_app() {
    let f = fleet(12, 100_000);
    let (name0, id0) = f.apps[0].clone();
    let (_, id1) = f.apps[1].clone();
    let (name2, id2) = f.apps[2].clone();
    // The PUT of app 1 fails every time (the client retries 5xx, then gives up).
    f.emu.add_fault(Fault {
        method: Some("PUT".into()),
        path_pattern: Some(format!("^/v2/apps/{id1}$")),
        count: None,
        ..Fault::new(FaultKind::Status {
            status: 500,
            retry_after: None,
            body: None,
        })
    });
    let mut bad = Desired::new();
    bad.insert("not a key!", DesiredValue::new("x"));
    let progress_calls = Arc::new(AtomicUsize::new(0));
    let seen = progress_calls.clone();
    let settings = FleetSettings {
        concurrency: 3,
        progress: Some(Arc::new(move |e| {
            assert_eq!(e.total, 6);
            assert!(e.done >= 1 && e.done <= e.total);
            seen.fetch_add(1, Ordering::SeqCst);
        })),
        ..FleetSettings::default()
    };
    let report = f
        .engine
        .sync_fleet(
            vec![
                (name0.clone(), desired("1")),
                (id1.clone(), desired("1")),
                ("no-such-app".into(), desired("1")),
                (name2.clone(), bad),
                (id2.clone(), desired("1")),
                (f.apps[3].0.clone(), desired("1")),
            ],
            SyncOptions::default(),
            settings,
        )
        .await
        .unwrap();
    assert_eq!(progress_calls.load(Ordering::SeqCst), 6);

    let ok0 = report.apps[&name0].result.as_ref().unwrap();
    assert_eq!(ok0.app_id, id0, "the name resolved to the app's id");
    assert_eq!(report.apps[&name0].app_id.as_deref(), Some(id0.as_str()));
    assert!(matches!(
        report.apps[&id1].result,
        Err(SyncError::Api(ref e)) if e.status() == Some(500)
    ));
    assert!(matches!(
        report.apps["no-such-app"].result,
        Err(SyncError::Api(ref e)) if e.status() == Some(404)
    ));
    assert!(matches!(
        report.apps[&name2].result,
        Err(SyncError::Plan(_))
    ));
    assert!(report.apps[&id2].result.is_ok());
    assert!(report.apps[&f.apps[3].0].result.is_ok());
    assert_eq!(report.deployments(), 3);
    // Nothing was sent for the bad input; the failed PUT counts once.
    assert_eq!(report.apps[&name2].requests, 0);
    assert_eq!(report.apps[&id1].requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_app_by_id_and_name_is_written_once() {
    let f = fleet(3, 100_000);
    let (name, id) = f.apps[0].clone();
    let report = f
        .sync(vec![
            (id.clone(), desired("1")),
            (name.clone(), desired("2")),
        ])
        .await;
    assert!(report.apps[&id].result.is_ok());
    assert!(matches!(
        report.apps[&name].result,
        Err(SyncError::DuplicateTarget { .. })
    ));
    assert_eq!(f.puts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_held_by_another_sync_is_read_again_and_its_change_kept() {
    let f = fleet(4, 100_000);
    let (_, id) = f.apps[1].clone();
    // Another sync holds the app, writes a new key meanwhile, then lets go.
    let lock = f.engine.store().lock_app(&id, Duration::ZERO).unwrap();
    let other = f.engine.client().clone();
    let other_id = id.clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let get = do_envsync::client::operation("get").unwrap();
        let mut app: Value = other
            .call(get, &[("id", &other_id)], &[], None)
            .await
            .unwrap();
        let spec = &mut app["app"]["spec"];
        // A component the app-level sync does not manage: its envs must survive.
        spec["services"][0]["envs"] =
            json!([{"key": "WRITTEN_MEANWHILE", "value": "1", "type": "GENERAL"}]);
        let body = serde_json::to_vec(&json!({ "spec": spec })).unwrap();
        let update = do_envsync::client::operation("update").unwrap();
        let _: Value = other
            .call(update, &[("id", &other_id)], &[], Some(body.into()))
            .await
            .unwrap();
        drop(lock);
    });
    // The other writer's deployment may still be in flight: supersede it, not wait.
    f.emu.clear_requests();
    let options = SyncOptions {
        if_deploying: IfDeploying::Proceed,
        ..SyncOptions::default()
    };
    let report = f
        .engine
        .sync_fleet(f.all(|_| "1".into()), options, FleetSettings::default())
        .await
        .unwrap();
    writer.await.unwrap();
    assert_ok(&report);
    // The held app cost one extra GET; the others were planned from the list.
    assert_eq!(report.apps[&id].requests, 2);
    assert_eq!(report.requests(), 1 + 4 + 1);
    let app = stored_apps(&f.emu)
        .iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap()
        .clone();
    let keys = |envs: &Value| -> Vec<String> {
        envs.as_array()
            .into_iter()
            .flatten()
            .map(|e| e["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        keys(&app["spec"]["services"][0]["envs"]),
        ["WRITTEN_MEANWHILE"]
    );
    assert!(keys(&app["spec"]["envs"]).contains(&"API_KEY".to_owned()));
}

/// Every 429 in the log was answered with `retry-after` (a burst-limit 429) and followed by
/// a retry of the same request that arrived no earlier than `retry-after` later. Returns the
/// number of 429s.
fn assert_each_429_retried_after_retry_after(log: &[do_envsync::emulator::RequestRecord]) -> usize {
    let mut limited = 0;
    for (i, r) in log.iter().enumerate().filter(|(_, r)| r.status == 429) {
        limited += 1;
        let secs = r.retry_after.expect("a burst 429 carries retry-after");
        let retry = log[i + 1..]
            .iter()
            .find(|n| n.method == r.method && n.path == r.path)
            .unwrap_or_else(|| panic!("the 429 of {} {} was never retried", r.method, r.path));
        // Both times are the emulator's arrival times; the client waits from the 429's
        // arrival on, so the gap is at least retry-after (1 ms of float rounding allowed).
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
async fn a_fleet_sync_goes_through_repeated_burst_429s_to_completion() {
    // The account's burst limit (8 per 1 s window) is far below the client's own 250 per
    // minute, so 8 concurrent PUTs meet the burst limit again and again. Every 429 is the
    // reference's burst sample (remaining 0, reset up to an hour away, retry-after 1).
    let f = fleet_with(
        40,
        EmulatorConfig {
            burst_limit: 8,
            burst_window: Duration::from_secs(1),
            ..EmulatorConfig::default()
        },
    );
    let started = std::time::Instant::now();
    let report = f.sync(f.all(|_| "1".into())).await;
    assert_ok(&report);
    assert_eq!(report.deployments(), 40);
    // An app whose PUT ended in a RateLimited error (from the server after the client's
    // retries, or refused by the client's pacing) is tried again by the fleet and counts
    // a second call: one call each means no RateLimited error reached the fleet.
    for (target, app) in &report.apps {
        assert_eq!(app.requests, 1, "{target} was tried {} times", app.requests);
    }
    let log = f.emu.requests();
    let limited = assert_each_429_retried_after_retry_after(&log);
    assert!(
        limited >= 2,
        "the test must meet the burst limit repeatedly: {limited}"
    );
    assert_eq!(
        f.puts(),
        40 + log
            .iter()
            .filter(|r| r.method == "PUT" && r.status == 429)
            .count()
    );
    // 41 accepted requests at 8 per second need about 5 s; an hour-long hold would not end.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}
