//! Run notifications against a local receiver (an axum server in the test): failure,
//! recovery, de-duplication, a receiver answering 500 then 200, a hanging receiver (the
//! sync is not slowed: measured), signature verification, and canaries (no secret value
//! in a payload, no webhook URL in the state database).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use do_envsync::control::notify::{verify_signature, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use do_envsync::control::{
    ControlError, ControlPlane, NewConnection, NewNotifyTarget, NewSync, NotifyEvent,
    NotifySettings, RunSettings, SyncOptionsInput, TargetKind,
};
use do_envsync::emulator::{Emulator, EmulatorConfig};
use do_envsync::store::Store;
use parking_lot::Mutex;
use secrecy::SecretString;
use serde_json::{json, Value};

const CANARY_VALUE: &str = "canary-secret-value-7f3a9c";
const URL_CANARY: &str = "urlcanary-T0-B0-9d8e7f";
const SIGNING_SECRET: &str = "signing-secret-0123456789";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<Received>>,
    /// Per path: how many requests it has answered so far (for "500 then 200").
    counts: Mutex<std::collections::HashMap<String, usize>>,
    arrived: tokio::sync::Notify,
}

async fn receive(
    State(rx): State<Arc<Receiver>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let n = {
        let mut counts = rx.counts.lock();
        let n = counts.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    rx.got.lock().push(Received {
        path: path.clone(),
        headers,
        body: body.to_vec(),
    });
    rx.arrived.notify_waiters();
    if path.starts_with("hang") {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if path.starts_with("flaky") && n == 1 {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::OK
}

async fn start_receiver() -> (Arc<Receiver>, SocketAddr) {
    let rx = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/{*path}", post(receive))
        .with_state(rx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rx, addr)
}

impl Receiver {
    fn on(&self, prefix: &str) -> Vec<Received> {
        self.got
            .lock()
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .cloned()
            .collect()
    }
}

struct Fx {
    _emu: Emulator,
    cp: ControlPlane,
    db: PathBuf,
    dir: tempfile::TempDir,
    env_file: PathBuf,
}

async fn fx() -> Fx {
    let emu = Emulator::start(EmulatorConfig {
        phase_duration: Duration::from_millis(10),
        ..EmulatorConfig::default()
    })
    .unwrap();
    emu.seed_app(json!({
        "name": "shop",
        "region": "nyc",
        "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}],
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let cp = ControlPlane::open(Arc::new(Store::open(&db).unwrap())).unwrap();
    cp.set_notify_settings(NotifySettings {
        timeout: Duration::from_secs(5),
        max_attempts: 3,
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    });
    let mut conn = NewConnection::new("main", emu.token());
    conn.base_url = Some(emu.base_url());
    cp.create_connection(conn).await.unwrap();
    let env_file = dir.path().join(".env");
    std::fs::write(&env_file, format!("API_KEY={CANARY_VALUE}\n")).unwrap();
    cp.create_sync(NewSync {
        name: "shop".into(),
        connection: "main".into(),
        app: "shop".into(),
        source: json!({"type": "dotenv", "paths": [".env"]}),
        options: SyncOptionsInput::default(),
        description: None,
        is_enabled: None,
        secret_path: None,
        base_dir: dir.path().to_owned(),
    })
    .await
    .unwrap();
    Fx {
        _emu: emu,
        cp,
        db,
        dir,
        env_file,
    }
}

impl Fx {
    fn target(&self, name: &str, url: String, events: Option<Vec<NotifyEvent>>) {
        let mut t = NewNotifyTarget::new(name, TargetKind::Webhook, url);
        t.secret = Some(SecretString::from(SIGNING_SECRET));
        t.events = events;
        self.cp.create_notify_target(t).unwrap();
    }

    /// Runs the sync; a failed run is fine (it is what some tests want).
    async fn run(&self) -> do_envsync::control::SyncRun {
        match self.cp.run_sync("shop", &RunSettings::default()).await {
            Ok(run) => run,
            Err(ControlError::RunFailed { run, .. }) => *run,
            Err(e) => panic!("{e}"),
        }
    }

    async fn flush(&self) {
        assert_eq!(
            self.cp.flush_notifications(Duration::from_secs(10)).await,
            0
        );
    }

    fn statuses(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .cp
            .list_deliveries(Some("shop"), None, None)
            .unwrap()
            .into_iter()
            .map(|d| (d.0.event, d.0.status))
            .collect();
        out.reverse();
        out
    }
}

fn body_json(r: &Received) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test]
async fn failure_dedup_recovery_signed_and_without_values() {
    let fx = fx().await;
    let (rx, addr) = start_receiver().await;
    fx.target(
        "ops",
        format!("http://127.0.0.1:{}/ok/{URL_CANARY}", addr.port()),
        None,
    );

    // A first successful run with changes: `changed` is not subscribed, nothing is sent.
    let run = fx.run().await;
    assert_eq!(run.status.as_str(), "succeeded");
    fx.flush().await;
    assert!(rx.on("ok").is_empty());

    // The source disappears: the run fails, one `failed` notification.
    std::fs::remove_file(&fx.env_file).unwrap();
    let failed = fx.run().await;
    assert_eq!(failed.status.as_str(), "failed");
    fx.flush().await;
    let got = rx.on("ok");
    assert_eq!(got.len(), 1);
    let body = body_json(&got[0]);
    assert_eq!(body["event"], "failed");
    assert_eq!(body["sync"]["name"], "shop");
    assert_eq!(body["app"]["name"], "shop");
    assert_eq!(body["run"]["id"], failed.id.as_str());
    assert_eq!(body["run"]["status"], "failed");
    assert_eq!(got[0].headers["x-do-envsync-event"], "failed");
    // The receiver verifies the signature over the exact body, and refuses a tampered one.
    let ts = got[0].headers[TIMESTAMP_HEADER].to_str().unwrap();
    let sig = got[0].headers[SIGNATURE_HEADER].to_str().unwrap();
    let tolerance = Duration::from_secs(300);
    let now = chrono::Utc::now();
    assert!(verify_signature(
        SIGNING_SECRET.as_bytes(),
        ts,
        sig,
        &got[0].body,
        now,
        tolerance
    ));
    let mut tampered = got[0].body.clone();
    tampered.push(b' ');
    assert!(!verify_signature(
        SIGNING_SECRET.as_bytes(),
        ts,
        sig,
        &tampered,
        now,
        tolerance
    ));
    assert!(!verify_signature(
        b"wrong-secret-wrong",
        ts,
        sig,
        &got[0].body,
        now,
        tolerance
    ));

    // The same failure again: suppressed within the interval, recorded as such.
    fx.run().await;
    fx.flush().await;
    assert_eq!(rx.on("ok").len(), 1);

    // Fixed: `recovered` once; the next successful no-op run sends nothing.
    std::fs::write(&fx.env_file, format!("API_KEY={CANARY_VALUE}\n")).unwrap();
    let ok = fx.run().await;
    assert_eq!(ok.status.as_str(), "succeeded");
    fx.run().await;
    fx.flush().await;
    let got = rx.on("ok");
    assert_eq!(got.len(), 2);
    assert_eq!(body_json(&got[1])["event"], "recovered");
    assert_eq!(
        fx.statuses(),
        [
            ("failed".to_owned(), "delivered".to_owned()),
            ("failed".to_owned(), "deduplicated".to_owned()),
            ("recovered".to_owned(), "delivered".to_owned()),
        ]
    );

    // A failure after the recovery is news again, even though it is the same failure.
    std::fs::remove_file(&fx.env_file).unwrap();
    fx.run().await;
    fx.flush().await;
    assert_eq!(rx.on("ok").len(), 3);

    // Canaries: no secret value in any payload; the URL is neither in the database nor in
    // what a target shows.
    for r in rx.on("") {
        assert!(!String::from_utf8_lossy(&r.body).contains(CANARY_VALUE));
    }
    let target = fx.cp.get_notify_target("ops").unwrap();
    assert_eq!(
        target.url_masked,
        format!("http://127.0.0.1:{}/***", addr.port())
    );
    assert!(!target.to_json().to_string().contains(URL_CANARY));
    for file in std::fs::read_dir(fx.dir.path()).unwrap() {
        let path = file.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(URL_CANARY), "{}", path.display());
            assert!(!text.contains(SIGNING_SECRET), "{}", path.display());
        }
    }
    assert!(fx.db.exists());
}

#[tokio::test]
async fn a_receiver_answering_500_then_200_gets_it_on_the_second_attempt() {
    let fx = fx().await;
    let (rx, addr) = start_receiver().await;
    fx.target(
        "flaky",
        format!("http://127.0.0.1:{}/flaky/x", addr.port()),
        Some(vec![NotifyEvent::Changed]),
    );
    let run = fx.run().await;
    fx.flush().await;
    let got = rx.on("flaky");
    assert_eq!(got.len(), 2);
    // One delivery id on every attempt, so a receiver can de-duplicate retries.
    assert_eq!(
        got[0].headers["x-do-envsync-delivery"],
        got[1].headers["x-do-envsync-delivery"]
    );
    assert_eq!(body_json(&got[1])["event"], "changed");
    assert_eq!(body_json(&got[1])["run"]["created"], json!(["API_KEY"]));
    let d = fx.cp.list_deliveries(None, Some(&run.id), None).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].0.status.as_str(), d[0].0.attempts), ("delivered", 2));
    assert_eq!(d[0].0.last_error, None);
}

#[tokio::test]
async fn an_unreachable_receiver_is_retried_and_the_error_has_no_url() {
    let fx = fx().await;
    // Nothing listens on this port once the listener is dropped: connection refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    fx.target(
        "gone",
        format!("http://127.0.0.1:{port}/{URL_CANARY}"),
        Some(vec![NotifyEvent::Changed]),
    );
    fx.run().await;
    fx.flush().await;
    let d = fx.cp.list_deliveries(Some("shop"), None, None).unwrap();
    assert_eq!((d[0].0.status.as_str(), d[0].0.attempts), ("failed", 3));
    let error = d[0].0.last_error.clone().unwrap();
    assert_eq!(error, "could not connect");
}

#[tokio::test]
async fn a_hanging_receiver_does_not_slow_the_sync() {
    // Baseline: the same runs without any target.
    let plain = fx().await;
    let mut baseline = Duration::ZERO;
    for i in 0..3 {
        std::fs::write(&plain.env_file, format!("API_KEY=v{i}\n")).unwrap();
        let t = Instant::now();
        plain.run().await;
        baseline += t.elapsed();
    }

    let fx = fx().await;
    let (rx, addr) = start_receiver().await;
    fx.target(
        "hang",
        format!("http://127.0.0.1:{}/hang/x", addr.port()),
        Some(vec![NotifyEvent::Changed]),
    );
    let mut with_hang = Duration::ZERO;
    for i in 0..3 {
        std::fs::write(&fx.env_file, format!("API_KEY=v{i}\n")).unwrap();
        let t = Instant::now();
        let run = fx.run().await;
        with_hang += t.elapsed();
        assert_eq!(run.status.as_str(), "succeeded");
    }
    // The receiver got the requests and holds them.
    let deadline = Instant::now() + Duration::from_secs(10);
    while rx.on("hang").len() < 3 && Instant::now() < deadline {
        let _ = tokio::time::timeout(Duration::from_millis(200), rx.arrived.notified()).await;
    }
    assert_eq!(rx.on("hang").len(), 3);
    eprintln!(
        "sync wall time for 3 runs: {baseline:?} without targets, {with_hang:?} with a hanging receiver"
    );
    // The receiver holds each request for an hour and the attempt timeout is 5 s: had a
    // run waited for it, 3 runs would take at least 15 s.
    assert!(
        with_hang < baseline + Duration::from_secs(2),
        "{with_hang:?} vs {baseline:?}"
    );
    // A process about to exit waits a bounded time; what is left is recorded as abandoned.
    let t = Instant::now();
    assert_eq!(
        fx.cp.flush_notifications(Duration::from_millis(200)).await,
        3
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    let d = fx.cp.list_deliveries(Some("shop"), None, None).unwrap();
    assert!(d.iter().all(|d| d.0.status == "abandoned"), "{d:?}");
}

#[tokio::test]
async fn targets_are_validated_masked_and_per_sync_or_default() {
    let fx = fx().await;
    let bad = NewNotifyTarget::new(
        "x",
        TargetKind::Webhook,
        format!("http://hooks.example.com/{URL_CANARY}"),
    );
    let e = fx.cp.create_notify_target(bad).unwrap_err().to_string();
    assert!(e.contains("https") && !e.contains(URL_CANARY), "{e}");
    let mut slack = NewNotifyTarget::new(
        "team",
        TargetKind::Slack,
        format!("https://hooks.slack.com/services/{URL_CANARY}"),
    );
    slack.sync = Some("shop".into());
    let (t, generated) = fx.cp.create_notify_target(slack).unwrap();
    assert!(
        generated.is_none(),
        "slack targets are not signed unless asked"
    );
    assert_eq!(t.url_masked, "https://hooks.slack.com/***");
    assert_eq!(t.sync_name.as_deref(), Some("shop"));
    let (hook, generated) = fx
        .cp
        .create_notify_target(NewNotifyTarget::new(
            "hook",
            TargetKind::Webhook,
            "https://example.com/h",
        ))
        .unwrap();
    assert!(
        generated.is_some(),
        "a webhook gets a generated signing secret"
    );
    assert_eq!(hook.sync_id, None);
    assert!(matches!(
        fx.cp.create_notify_target(NewNotifyTarget::new(
            "hook",
            TargetKind::Webhook,
            "https://e.com/"
        )),
        Err(ControlError::AlreadyExists { .. })
    ));
    // Deleting the sync deletes its own targets, not the store defaults.
    fx.cp.delete_sync("shop").unwrap();
    let names: Vec<String> = fx
        .cp
        .list_notify_targets()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["hook"]);
}
