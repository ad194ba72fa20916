//! The store against a real PostgreSQL server (tests/support/pg.rs), and the behaviours
//! both backends must share, run on each: records, control-plane rows, the per-app lock
//! (across processes, released when a holder is killed), the shared fingerprint key,
//! batched reads, migrations, the master key rule, and no secret in errors or in pg_dump.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use do_envsync::store::crypto::MasterKey;
use do_envsync::store::pg::PG_SCHEMA_VERSION;
use do_envsync::store::{
    ConnectionRecord, LastRun, RunKind, RunRecord, Store, StoreError, SyncDelete, SyncRecord,
};
use do_envsync::sync::state::now_micros;
use do_envsync::sync::{Origin, Scope, StateRecord, VarType};
use support::pg::PgCluster;

const CHILD_ENV: &str = "DO_ENVSYNC_STORE_PG_TEST_CHILD";
const MASTER: [u8; 32] = [7; 32];

fn master() -> MasterKey {
    MasterKey::from_bytes(MASTER)
}

fn pg_store() -> (Store, String) {
    let url = PgCluster::shared().fresh_database();
    (Store::open_postgres(&url, master()).unwrap(), url)
}

/// One store per backend, each fresh.
fn backends() -> Vec<(&'static str, Store, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(dir.path().join("state.db")).unwrap();
    let (pg, _) = pg_store();
    vec![
        ("sqlite", sqlite, tempfile::tempdir().unwrap()),
        ("postgres", pg, dir),
    ]
}

fn record(app: &str, target: &str, key: &str, n: u8) -> StateRecord {
    StateRecord {
        app_id: app.to_owned(),
        target: target.to_owned(),
        key: key.to_owned(),
        fingerprint: format!("{n:02x}").repeat(32),
        ev: Some(format!("EV[1:{key}:{n}]")),
        var_type: VarType::Secret,
        scope: Scope::RunAndBuildTime,
        origin: Origin::Created,
        updated_at: now_micros(),
    }
}

#[test]
fn state_records_round_trip_and_replace_on_both_backends() {
    for (name, store, _dir) in backends() {
        let mut adopted = record("app", "web", "B", 2);
        adopted.origin = Origin::Adopted {
            original: Some(serde_json::json!({"key": "B", "value": "EV[old]"})),
        };
        adopted.ev = None;
        adopted.var_type = VarType::General;
        let first = vec![record("app", "", "A", 1), adopted];
        store.save_state("app", &first).unwrap();
        store
            .save_state("other", &[record("other", "", "Z", 9)])
            .unwrap();
        assert_eq!(store.load_state("app").unwrap(), first, "{name}");
        // A save replaces the app's whole state and leaves other apps alone.
        store
            .save_state("app", &[record("app", "", "C", 3)])
            .unwrap();
        let keys: Vec<_> = store
            .load_state("app")
            .unwrap()
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(keys, ["C"], "{name}");
        assert_eq!(store.load_state("other").unwrap().len(), 1, "{name}");
        // Many apps in one call, in the order asked, unknown apps empty.
        let ids = ["other", "nope", "app"].map(str::to_owned);
        let states = store.load_states(&ids).unwrap();
        assert_eq!(
            states.iter().map(Vec::len).collect::<Vec<_>>(),
            [1, 0, 1],
            "{name}"
        );
        // Plaintext never goes beside a fingerprint; a bad record changes nothing.
        let mut bad = record("app", "", "D", 4);
        bad.ev = Some("plaintext".into());
        assert!(matches!(
            store.save_state("app", &[bad]),
            Err(StoreError::InvalidRecord { .. })
        ));
        assert_eq!(store.load_state("app").unwrap().len(), 1, "{name}");
        store.record_deployment("app", "dep-1").unwrap();
        assert_eq!(
            store.last_deployment("app").unwrap().as_deref(),
            Some("dep-1")
        );
        assert_eq!(store.apps().unwrap(), ["app", "other"], "{name}");
        assert!(store.forget_app("app").unwrap());
        assert!(store.load_state("app").unwrap().is_empty(), "{name}");
        assert!(!store.forget_app("app").unwrap());
    }
}

fn connection(id: &str, name: &str) -> ConnectionRecord {
    ConnectionRecord {
        id: id.into(),
        name: name.into(),
        description: Some("d".into()),
        base_url: "http://127.0.0.1:1".into(),
        token_sealed: master().seal(b"dop_v1_canary_token_0123456789", id),
        credentials_hash: "h".repeat(64),
        version: 1,
        created_at: now_micros(),
        updated_at: now_micros(),
    }
}

fn sync(id: &str, name: &str, conn: &str, app: &str) -> SyncRecord {
    SyncRecord {
        id: id.into(),
        name: name.into(),
        description: None,
        connection_id: conn.into(),
        connection_name: String::new(),
        app_id: app.into(),
        app_name: format!("{app}-name"),
        source_public: "{\"type\":\"inline\"}".into(),
        source_secret: Some(master().seal(b"source-secret-canary-value", id)),
        options: "{}".into(),
        secret_path: None,
        is_enabled: true,
        version: 1,
        created_at: now_micros(),
        updated_at: now_micros(),
        last_sync: LastRun::default(),
        last_remove: LastRun::default(),
    }
}

#[test]
fn control_rows_behave_the_same_on_both_backends() {
    for (name, store, _dir) in backends() {
        store.insert_connection(&connection("c1", "main")).unwrap();
        assert!(matches!(
            store.insert_connection(&connection("c2", "main")),
            Err(StoreError::NameTaken {
                kind: "connection",
                ..
            })
        ));
        assert_eq!(store.find_connection("main").unwrap().unwrap().id, "c1");
        let mut changed = connection("c1", "renamed");
        changed.version = 2;
        assert!(store.update_connection(&changed, 1).unwrap(), "{name}");
        assert!(
            !store.update_connection(&changed, 1).unwrap(),
            "stale version, {name}"
        );
        let no_check = |_: &[SyncRecord]| Ok::<(), StoreError>(());
        let s1 = sync("s1", "one", "c1", "app");
        store.insert_sync(&s1, no_check).unwrap();
        let seen = std::cell::RefCell::new(Vec::new());
        store
            .insert_sync(
                &sync("s2", "two", "c1", "app"),
                |others: &[SyncRecord]| {
                    seen.borrow_mut()
                        .extend(others.iter().map(|s| s.name.clone()));
                    Ok::<(), StoreError>(())
                },
            )
            .unwrap();
        assert_eq!(
            *seen.borrow(),
            ["one"],
            "the check sees the app's other syncs, {name}"
        );
        // A refused check writes nothing.
        let refused = store.insert_sync(&sync("s3", "three", "c1", "app"), |_: &[SyncRecord]| {
            Err(StoreError::InvalidAppId {
                app_id: "refused".into(),
            })
        });
        assert!(refused.is_err());
        assert!(store.find_sync("three").unwrap().is_none(), "{name}");
        assert!(matches!(
            store.insert_sync(&sync("s4", "one", "c1", "app"), no_check),
            Err(StoreError::NameTaken { kind: "sync", .. })
        ));
        let found = store.find_sync("one").unwrap().unwrap();
        assert_eq!(found.connection_name, "renamed", "{name}");
        assert_eq!(
            found,
            SyncRecord {
                connection_name: "renamed".into(),
                ..s1
            },
            "{name}"
        );
        let mut updated = found.clone();
        updated.version = 2;
        updated.is_enabled = false;
        assert!(store.update_sync(&updated, 1, no_check).unwrap(), "{name}");
        assert!(!store.find_sync("s1").unwrap().unwrap().is_enabled);

        let run = RunRecord {
            id: "r1".into(),
            sync_id: "s1".into(),
            sync_name: "one".into(),
            kind: RunKind::Sync,
            status: "running".into(),
            message: None,
            deployment_id: None,
            created: vec![],
            updated: vec![],
            deleted: vec![],
            requests: 0,
            started_at: now_micros(),
            finished_at: None,
        };
        assert!(store.begin_run(&run).unwrap());
        let done = RunRecord {
            status: "succeeded".into(),
            created: vec!["A".into()],
            requests: 3,
            deployment_id: Some("dep".into()),
            finished_at: Some(now_micros()),
            ..run.clone()
        };
        store.save_run(&done).unwrap();
        assert_eq!(store.find_run("r1").unwrap().unwrap(), done, "{name}");
        let second = RunRecord {
            id: "r2".into(),
            ..run.clone()
        };
        assert!(store.begin_run(&second).unwrap());
        let runs: Vec<_> = store
            .list_runs("s1", None)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(runs.len(), 2, "{name}");
        assert_eq!(store.list_runs("s1", Some(1)).unwrap().len(), 1);
        let s1 = store.find_sync("s1").unwrap().unwrap();
        assert_eq!(s1.last_sync.job_id.as_deref(), Some("r2"), "{name}");
        assert!(s1.last_sync.succeeded_at.is_some(), "{name}");
        assert_eq!(
            store.delete_sync_unless_ran("s1", Some("r1")).unwrap(),
            SyncDelete::RanMeanwhile,
            "{name}"
        );
        assert_eq!(
            store.delete_sync_unless_ran("s1", Some("r2")).unwrap(),
            SyncDelete::Deleted
        );
        assert!(
            store.find_run("r1").unwrap().is_none(),
            "runs go with their sync, {name}"
        );
        assert_eq!(
            store.delete_connection("c1", false).unwrap(),
            Err(vec!["two".to_owned()])
        );
        assert_eq!(
            store.delete_connection("c1", true).unwrap(),
            Ok(true),
            "{name}"
        );
        assert!(store.list_syncs().unwrap().is_empty(), "{name}");
        assert!(store.list_connections().unwrap().is_empty(), "{name}");
        assert!(!store.has_master_key_check().unwrap());
        assert_eq!(store.master_key_check("check-a").unwrap(), "check-a");
        assert_eq!(
            store.master_key_check("check-b").unwrap(),
            "check-a",
            "{name}"
        );
        assert!(store.has_master_key_check().unwrap());
    }
}

#[test]
fn the_fingerprint_key_is_shared_by_every_machine() {
    let (a, url) = pg_store();
    let b = Store::open_postgres(&url, master()).unwrap();
    assert_eq!(
        a.fingerprinter().fingerprint("secret"),
        b.fingerprinter().fingerprint("secret")
    );
    // Another database has another key.
    let (c, _) = pg_store();
    assert_ne!(
        a.fingerprinter().fingerprint("secret"),
        c.fingerprinter().fingerprint("secret")
    );
    // A wrong master key is refused on open, before anything is written.
    let err = Store::open_postgres(&url, MasterKey::from_bytes([8; 32])).unwrap_err();
    assert!(matches!(err, StoreError::MasterKeyRequired { .. }), "{err}");
    assert!(err.to_string().contains("another master key"), "{err}");
}

#[test]
fn reads_for_many_apps_are_one_round_trip() {
    let (store, _) = pg_store();
    let ids: Vec<String> = (0..200).map(|i| format!("app-{i:03}")).collect();
    for id in ids.iter().step_by(10) {
        store.save_state(id, &[record(id, "", "K", 1)]).unwrap();
    }
    let before = store.round_trips();
    let states = store.load_states(&ids).unwrap();
    assert_eq!(store.round_trips() - before, 1);
    assert_eq!(states.iter().filter(|s| !s.is_empty()).count(), 20);
}

#[test]
fn a_newer_schema_is_refused_clearly() {
    let (store, url) = pg_store();
    assert_eq!(store.schema_version().unwrap(), PG_SCHEMA_VERSION);
    drop(store);
    let name = url.rsplit('/').next().unwrap().to_owned();
    let admin = PgCluster::shared();
    // Written through a store-independent connection: the server's own table.
    let db_url = admin.database_url(&name);
    run_sql(&db_url, "INSERT INTO schema_migrations VALUES (99, 0)");
    let err = Store::open_postgres(&url, master()).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains(&admin.password()), "{err}");
}

fn run_sql(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            let task = tokio::spawn(conn);
            client.batch_execute(&sql).await.unwrap();
            drop(client);
            let _ = task.await;
        })
    })
    .join()
    .unwrap();
}

#[test]
fn bad_urls_wrong_passwords_and_dead_servers_are_one_clear_line_without_the_password() {
    let cluster = PgCluster::shared();
    let url = cluster.fresh_database();
    let password = cluster.password();
    let wrong = url.replace(&password, "wrong-pass-canary");
    let dead = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("postgresql://u:dead-pass-canary@127.0.0.1:{port}/db?connect_timeout=2")
    };
    for (case, url, canary) in [
        ("wrong password", wrong.as_str(), "wrong-pass-canary"),
        ("unreachable", dead.as_str(), "dead-pass-canary"),
        (
            "bad sslmode",
            &format!("{url}?sslmode=sometimes"),
            password.as_str(),
        ),
    ] {
        let started = Instant::now();
        let err = Store::open_postgres(url, master()).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains(canary), "{case}: {text}");
        assert!(!text.contains('\n'), "{case}: {text}");
        assert!(started.elapsed() < Duration::from_secs(15), "{case}");
        match case {
            "wrong password" => assert!(text.contains("28P01"), "{text}"),
            "bad sslmode" => assert!(matches!(err, StoreError::BadUrl { .. }), "{text}"),
            _ => assert!(matches!(err, StoreError::Postgres { .. }), "{text}"),
        }
    }
    // The location a store shows never holds the password either.
    let store = Store::open_postgres(&url, master()).unwrap();
    assert!(!store.location().contains(&password));
    assert!(!format!("{store:?}").contains(&password));
}

#[test]
fn the_master_key_must_come_from_the_environment() {
    // Only this test touches the variable: it runs in a child process of its own.
    if std::env::var(CHILD_ENV).as_deref() == Ok("no-key") {
        let url = std::env::var("STORE_PG_URL").unwrap();
        let err = Store::open(&url).unwrap_err();
        println!("ERR {err}");
        return;
    }
    let url = PgCluster::shared().fresh_database();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "the_master_key_must_come_from_the_environment",
            "--nocapture",
        ])
        .env(CHILD_ENV, "no-key")
        .env("STORE_PG_URL", &url)
        .env_remove("DO_ENVSYNC_MASTER_KEY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "ERR a PostgreSQL state database needs the master key in DO_ENVSYNC_MASTER_KEY"
        ),
        "{text}"
    );
    // Nothing was written: not even the schema.
    let store = Store::open_postgres(&url, master()).unwrap();
    assert_eq!(store.schema_version().unwrap(), PG_SCHEMA_VERSION);
}

/// Kills a child that would otherwise outlive a failed test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_lock_excludes_other_processes_names_its_holder_and_dies_with_it() {
    if std::env::var(CHILD_ENV).as_deref() == Ok("hold") {
        let url = std::env::var("STORE_PG_URL").unwrap();
        let store = Store::open_postgres(&url, master()).unwrap();
        let _lock = store
            .lock_app("shared-app", Duration::from_secs(10))
            .unwrap();
        println!("LOCKED");
        std::thread::sleep(Duration::from_secs(120));
        return;
    }
    let (store, url) = pg_store();
    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "the_lock_excludes_other_processes_names_its_holder_and_dies_with_it",
                "--nocapture",
            ])
            .env(CHILD_ENV, "hold")
            .env("STORE_PG_URL", &url)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child_pid = child.0.id();
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().contains("LOCKED")));
    let err = store
        .lock_app("shared-app", Duration::from_millis(200))
        .unwrap_err();
    match &err {
        StoreError::LockTimeout { holder, .. } => {
            let holder = holder.as_deref().unwrap();
            assert!(holder.contains(&format!("pid {child_pid}")), "{holder}");
            assert!(holder.contains("host "), "{holder}");
        }
        other => panic!("{other:?}"),
    }
    // Other apps are free meanwhile.
    drop(store.lock_app("another-app", Duration::ZERO).unwrap());
    // Killed without a chance to unlock: the server releases the lock with the session.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let started = Instant::now();
    let lock = store
        .lock_app("shared-app", Duration::from_secs(10))
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    // Dropping the guard releases it for the next holder at once.
    drop(lock);
    let other = Store::open_postgres(&url, master()).unwrap();
    drop(
        other
            .lock_app("shared-app", Duration::from_secs(2))
            .unwrap(),
    );
}

#[test]
fn the_lock_serializes_threads_sharing_one_store() {
    let (store, _) = pg_store();
    let store = std::sync::Arc::new(store);
    let inside = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (store, inside) = (store.clone(), inside.clone());
            std::thread::spawn(move || {
                for i in 0..5 {
                    let _lock = store.lock_app("app", Duration::from_secs(20)).unwrap();
                    assert_eq!(inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst), 0);
                    let mut state = store.load_state("app").unwrap();
                    state.push(record("app", "", &format!("K{t}_{i}"), 1));
                    store.save_state("app", &state).unwrap();
                    inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.load_state("app").unwrap().len(), 20, "no update lost");
}

/// Scenario 5 at the store level: a pg_dump of a database holding connections, syncs,
/// runs and records holds no token, secret value, master key or fingerprint key.
#[test]
fn pg_dump_holds_no_secret() {
    let (store, url) = pg_store();
    store.insert_connection(&connection("c1", "main")).unwrap();
    store
        .insert_sync(&sync("s1", "one", "c1", "app"), |_: &[SyncRecord]| {
            Ok::<(), StoreError>(())
        })
        .unwrap();
    let fp = store.fingerprinter();
    let mut rec = record("app", "", "DB_PASSWORD", 1);
    rec.fingerprint = fp.fingerprint("plain-secret-canary");
    store.save_state("app", &[rec]).unwrap();
    let dump = PgCluster::shared().pg_dump(&url);
    assert!(dump.contains("DB_PASSWORD"), "the dump has the data");
    for canary in [
        "dop_v1_canary_token".to_owned(),
        "source-secret-canary".to_owned(),
        "plain-secret-canary".to_owned(),
        hex::encode(MASTER),
        PgCluster::shared().password(),
    ] {
        assert!(!dump.contains(&canary), "{canary} in pg_dump");
    }
}
