//! Running syncs through the control plane against the emulator: the run lifecycle
//! and history, status seen from another process's control plane while running, a
//! disabled sync, a failing source that never reaches DigitalOcean, removal, and
//! source secrets never on disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use do_envsync::control::{
    ControlError, ControlPlane, NewConnection, NewSync, RunKind, RunSettings, RunStatus,
    SyncOptionsInput, SyncPatch,
};
use do_envsync::emulator::{Emulator, EmulatorConfig};
use do_envsync::store::Store;
use serde_json::{json, Value};

struct Fx {
    emu: Emulator,
    cp: ControlPlane,
    db: PathBuf,
    dir: tempfile::TempDir,
    app_id: String,
}

async fn fx_with(config: EmulatorConfig) -> Fx {
    let emu = Emulator::start(config).unwrap();
    let app = emu
        .seed_app(json!({
            "name": "shop",
            "region": "nyc",
            "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
            "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}],
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let cp = ControlPlane::open(Arc::new(Store::open(&db).unwrap())).unwrap();
    let mut conn = NewConnection::new("main", emu.token());
    conn.base_url = Some(emu.base_url());
    cp.create_connection(conn).await.unwrap();
    Fx {
        app_id: app["id"].as_str().unwrap().to_owned(),
        emu,
        cp,
        db,
        dir,
    }
}

async fn fx() -> Fx {
    fx_with(EmulatorConfig {
        phase_duration: Duration::from_millis(10),
        ..EmulatorConfig::default()
    })
    .await
}

impl Fx {
    async fn sync(&self, name: &str, source: Value, schema: Option<&str>) {
        self.cp
            .create_sync(NewSync {
                name: name.into(),
                connection: "main".into(),
                app: "shop".into(),
                source,
                options: SyncOptionsInput {
                    key_schema: Some(schema.map(str::to_owned)),
                    ..Default::default()
                },
                description: None,
                is_enabled: None,
                secret_path: None,
                base_dir: self.dir.path().to_owned(),
            })
            .await
            .unwrap();
    }

    /// App-level envs: key -> plaintext (secrets revealed through the emulator).
    fn envs(&self) -> Vec<(String, String)> {
        let apps = self.emu.apps_json();
        let app = apps
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == self.app_id.as_str())
            .unwrap()
            .clone();
        app["spec"]["envs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| {
                let v = e["value"].as_str().unwrap_or_default();
                let plain = self.emu.reveal_secret(v).unwrap_or_else(|| v.to_owned());
                (e["key"].as_str().unwrap().to_owned(), plain)
            })
            .collect()
    }

    fn puts(&self) -> usize {
        self.emu.request_count(Some("PUT"), None)
    }
}

fn inline(secrets: Value) -> Value {
    json!({"type": "inline", "secrets": secrets})
}

#[tokio::test]
async fn run_lifecycle_and_history() {
    let fx = fx().await;
    fx.sync(
        "shop",
        inline(json!({"API_KEY": "k1", "DB_URL": "db1"})),
        Some("S_{{secretKey}}"),
    )
    .await;
    let run = fx
        .cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(run.kind, RunKind::Sync);
    assert_eq!(run.created, ["S_API_KEY", "S_DB_URL"]);
    assert!(run.updated.is_empty() && run.deleted.is_empty());
    let dep = run.deployment_id.clone().unwrap();
    assert_eq!(
        run.message.as_deref(),
        Some(format!("created 2, updated 0, deleted 0 (deployment {dep})").as_str())
    );
    assert_eq!(run.requests, 2, "one GET, one PUT");
    assert!(uuid::Uuid::parse_str(&run.id).is_ok());
    assert!(run.finished_at.is_some() && run.duration_ms().is_some());
    let mut envs = fx.envs();
    envs.sort();
    assert_eq!(
        envs,
        [
            ("LOG_LEVEL".into(), "info".into()),
            ("S_API_KEY".into(), "k1".into()),
            ("S_DB_URL".into(), "db1".into())
        ]
    );

    let s = fx.cp.get_sync("shop").unwrap();
    assert_eq!(s.last_sync.status.as_deref(), Some("succeeded"));
    assert_eq!(s.last_sync.job_id.as_deref(), Some(run.id.as_str()));
    assert_eq!(s.last_sync.message, run.message);
    assert_eq!(s.last_sync.succeeded_at, run.finished_at);
    assert_eq!(s.version, 1, "runs do not bump the configuration version");
    let j = s.to_json();
    assert_eq!(j["secretSync"]["syncStatus"], "succeeded");
    assert_eq!(j["secretSync"]["lastSyncJobId"], run.id.as_str());

    // Nothing changed: one GET, no PUT, no deployment.
    let puts = fx.puts();
    let second = fx
        .cp
        .run_sync(&s.id, &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(second.message.as_deref(), Some("no changes"));
    assert_eq!((second.requests, second.deployment_id.clone()), (1, None));
    assert_eq!(fx.puts(), puts);

    // A changed value: updated.
    fx.cp
        .update_sync(
            "shop",
            SyncPatch {
                source: Some(inline(json!({"API_KEY": "k2", "DB_URL": "db1"}))),
                base_dir: Some(fx.dir.path().to_owned()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let third = fx
        .cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(third.updated, ["S_API_KEY"]);

    let history = fx.cp.history("shop", None).unwrap();
    let ids: Vec<&str> = history.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [third.id.as_str(), second.id.as_str(), run.id.as_str()]
    );
    assert_eq!(history[2], run);
    assert_eq!(fx.cp.history("shop", Some(1)).unwrap(), vec![third]);
    assert_eq!(fx.cp.get_run(&run.id).unwrap(), run);

    let j = run.to_json();
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "syncId",
            "syncName",
            "kind",
            "status",
            "message",
            "deploymentId",
            "created",
            "updated",
            "deleted",
            "requests",
            "startedAt",
            "finishedAt",
            "durationMs"
        ]
    );
    assert_eq!(
        (j["kind"].as_str(), j["status"].as_str()),
        (Some("sync"), Some("succeeded"))
    );
    assert!(!j.to_string().contains("k1"));

    // Deleting the sync takes its history with it and leaves the app alone.
    let puts = fx.puts();
    fx.cp.delete_sync("shop").unwrap();
    assert!(fx.cp.get_run(&run.id).is_err());
    assert_eq!(fx.puts(), puts);
    assert_eq!(fx.envs().len(), 3);
}

#[tokio::test]
async fn waiting_follows_the_deployment() {
    let fx = fx().await;
    fx.sync("shop", inline(json!({"K": "v"})), None).await;
    let phases = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let seen = phases.clone();
    let settings = RunSettings {
        wait: true,
        progress: Some(Arc::new(move |p: &str| seen.lock().push(p.to_owned()))),
        ..Default::default()
    };
    let run = fx.cp.run_sync("shop", &settings).await.unwrap();
    assert!(
        run.message.as_deref().unwrap().ends_with(" ACTIVE)"),
        "{:?}",
        run.message
    );
    assert_eq!(phases.lock().last().map(String::as_str), Some("ACTIVE"));

    // A deployment that fails is a failed run (the keys were written, so it says so).
    fx.cp
        .update_sync(
            "shop",
            SyncPatch {
                source: Some(inline(json!({"K": "v2"}))),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    fx.emu.fail_next_deployment(&fx.app_id);
    let err = fx.cp.run_sync("shop", &settings).await.unwrap_err();
    let ControlError::RunFailed { run, cause } = err else {
        panic!("{err}")
    };
    assert!(
        matches!(*cause, ControlError::DeploymentFailed { .. }),
        "{cause}"
    );
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.updated, ["K"]);
    let s = fx.cp.get_sync("shop").unwrap();
    assert_eq!(s.last_sync.status.as_deref(), Some("failed"));
}

#[tokio::test]
async fn a_disabled_sync_is_refused_and_nothing_recorded() {
    let fx = fx().await;
    fx.sync("shop", inline(json!({"K": "v"})), None).await;
    fx.cp
        .update_sync(
            "shop",
            SyncPatch {
                is_enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    fx.emu.clear_requests();
    let err = fx
        .cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ControlError::Disabled { .. }), "{err}");
    assert!(err.to_string().contains("disabled"), "{err}");
    assert!(fx.cp.history("shop", None).unwrap().is_empty());
    assert_eq!(fx.cp.get_sync("shop").unwrap().last_sync.status, None);
    assert!(fx.emu.requests().is_empty());
    // Planning stays possible (read-only).
    let planned = fx.cp.plan_sync("shop").await.unwrap();
    assert!(planned.plan.has_changes());
    assert_eq!(fx.puts(), 0);
}

#[tokio::test]
async fn a_failing_source_never_reaches_digitalocean() {
    let fx = fx().await;
    let env_file = fx.dir.path().join("app.env");
    std::fs::write(&env_file, "A=1\nB=2\n").unwrap();
    fx.sync("shop", json!({"type": "dotenv", "path": "app.env"}), None)
        .await;
    let ok = fx
        .cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(ok.created, ["A", "B"]);
    // No key schema: every key is managed, so the one the source lacks went.
    assert_eq!(ok.deleted, ["LOG_LEVEL"]);
    let synced_at = fx.cp.get_sync("shop").unwrap().last_sync.succeeded_at;

    std::fs::remove_file(&env_file).unwrap();
    fx.emu.clear_requests();
    let err = fx
        .cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap_err();
    let ControlError::RunFailed { run, cause } = err else {
        panic!("{err}")
    };
    assert!(matches!(*cause, ControlError::Source(_)), "{cause}");
    assert_eq!(run.status, RunStatus::Failed);
    let message = run.message.clone().unwrap();
    assert!(message.contains("app.env"), "{message}");
    assert!(!message.contains('\n'));
    assert_eq!(run.requests, 0);
    assert!(
        fx.emu.requests().is_empty(),
        "no request at all: {:?}",
        fx.emu.requests()
    );
    let s = fx.cp.get_sync("shop").unwrap();
    assert_eq!(s.last_sync.status.as_deref(), Some("failed"));
    assert_eq!(s.last_sync.message.as_deref(), Some(message.as_str()));
    assert_eq!(s.last_sync.job_id.as_deref(), Some(run.id.as_str()));
    assert_eq!(
        s.last_sync.succeeded_at, synced_at,
        "lastSyncedAt only moves on success"
    );
    let keys: Vec<String> = fx.envs().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["A", "B"], "nothing was deleted by the failed run");
    let history = fx.cp.history("shop", None).unwrap();
    assert_eq!(history[0].status, RunStatus::Failed);

    // An API failure is recorded the same way, with DigitalOcean's message.
    std::fs::write(&env_file, "A=1\n").unwrap();
    fx.emu.reset();
    let err = fx
        .cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap_err();
    let ControlError::RunFailed { run, cause } = err else {
        panic!("{err}")
    };
    assert!(matches!(*cause, ControlError::Sync(_)), "{cause}");
    assert!(run.message.unwrap().contains("not found"));
}

#[tokio::test]
async fn remove_secrets_deletes_what_the_sync_wrote() {
    let fx = fx().await;
    fx.sync(
        "shop",
        inline(json!({"A": "1", "B": "2"})),
        Some("X_{{secretKey}}"),
    )
    .await;
    fx.cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(fx.envs().len(), 3);
    // Allowed while disabled.
    fx.cp
        .update_sync(
            "shop",
            SyncPatch {
                is_enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let run = fx
        .cp
        .remove_secrets("shop", &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(run.kind, RunKind::Remove);
    assert_eq!(run.deleted, ["X_A", "X_B"]);
    assert_eq!(fx.envs(), [("LOG_LEVEL".to_owned(), "info".to_owned())]);
    let s = fx.cp.get_sync("shop").unwrap();
    assert_eq!(s.last_remove.status.as_deref(), Some("succeeded"));
    assert_eq!(s.last_remove.job_id.as_deref(), Some(run.id.as_str()));
    assert!(s.last_remove.succeeded_at.is_some());
    assert_eq!(
        s.last_sync.status.as_deref(),
        Some("succeeded"),
        "sync status untouched"
    );
    let j = s.to_json();
    assert_eq!(j["secretSync"]["removeStatus"], "succeeded");
    assert_eq!(
        fx.cp.history("shop", None).unwrap()[0].kind,
        RunKind::Remove
    );
}

#[tokio::test]
async fn another_control_plane_sees_the_run_while_it_runs() {
    let fx = fx_with(EmulatorConfig {
        latency: Duration::from_millis(400),
        phase_duration: Duration::from_millis(10),
        ..EmulatorConfig::default()
    })
    .await;
    fx.sync("shop", inline(json!({"K": "v"})), None).await;
    let observer = ControlPlane::open(Arc::new(Store::open(&fx.db).unwrap())).unwrap();
    let cp = fx.cp.clone();
    let handle = tokio::spawn(async move { cp.run_sync("shop", &RunSettings::default()).await });
    let mut seen = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline && !handle.is_finished() {
        let s = observer.get_sync("shop").unwrap();
        if s.last_sync.status.as_deref() == Some("running") {
            seen = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seen = seen.expect("the observer saw the run as running");
    let history = observer.history("shop", None).unwrap();
    assert_eq!(history[0].status, RunStatus::Running);
    assert_eq!(
        seen.last_sync.job_id.as_deref(),
        Some(history[0].id.as_str())
    );
    let run = handle.await.unwrap().unwrap();
    assert_eq!(
        observer.get_run(&run.id).unwrap().status,
        RunStatus::Succeeded
    );
}

#[tokio::test]
async fn a_cancelled_run_is_not_left_running() {
    let fx = fx_with(EmulatorConfig {
        latency: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    fx.sync("shop", inline(json!({"K": "v"})), None).await;
    let settings = RunSettings::default();
    let run = fx.cp.run_sync("shop", &settings);
    assert!(tokio::time::timeout(Duration::from_millis(100), run)
        .await
        .is_err());
    let history = fx.cp.history("shop", None).unwrap();
    assert_eq!(history[0].status, RunStatus::Failed);
    assert_eq!(
        history[0].message.as_deref(),
        Some("interrupted before completion")
    );
    assert_eq!(
        fx.cp.get_sync("shop").unwrap().last_sync.status.as_deref(),
        Some("failed")
    );
}

fn scan(dir: &Path, needle: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, needle);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "{needle} found in {}", path.display());
        }
    }
}

#[tokio::test]
async fn source_secrets_and_values_are_never_on_disk() {
    let fx = fx().await;
    let canary = format!("canary-{}", uuid::Uuid::new_v4().simple());
    fx.sync("shop", inline(json!({"SECRET": canary})), None)
        .await;
    let run = fx
        .cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap();
    assert!(!format!("{run:?} {}", run.to_json()).contains(&canary));
    let s = fx.cp.get_sync("shop").unwrap();
    assert!(!format!("{s:?} {}", s.to_json()).contains(&canary));
    // Still usable: the sealed source opens with the key.
    assert_eq!(
        fx.cp.source_of(&s).unwrap().read().await.unwrap()["SECRET"],
        canary
    );
    scan(fx.db.parent().unwrap(), &canary);
}
