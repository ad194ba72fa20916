//! The state store: schema, permissions, round trips, atomic saves, the per-app
//! lock across threads and processes, and no plaintext on disk.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use do_envsync::store::{default_path, Store, StoreError, SCHEMA_VERSION, STATE_ENV_VAR};
use do_envsync::sync::state::now_micros;
use do_envsync::sync::{
    plan, state_after_apply, Desired, DesiredValue, Origin, Scope, StateRecord, SyncOptions,
    VarType,
};
use serde_json::{json, Value};

const CHILD_ENV: &str = "DO_ENVSYNC_STORE_TEST_CHILD";

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

fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("nested").join("state.db")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn opens_migrates_and_keeps_files_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store
        .save_state("app", &[record("app", "", "K", 1)])
        .unwrap();
    let fingerprint = store.fingerprinter().fingerprint("x");
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        for suffix in ["-wal", "-shm", ".key"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            assert_eq!(mode(Path::new(&p)), 0o600, "{suffix}");
        }
    }
    let journal: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal.to_lowercase(), "wal");
    drop(store);
    // Reopening migrates nothing twice and keeps the same fingerprint key.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.fingerprinter().fingerprint("x"), fingerprint);
    assert_eq!(store.load_state("app").unwrap().len(), 1);
}

#[test]
fn refuses_a_newer_schema_and_a_broken_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)",
            [],
        )
        .unwrap();
    match Store::open(&path) {
        Err(StoreError::SchemaTooNew { found: 99, .. }) => {}
        other => panic!("{other:?}"),
    }
    let other = dir.path().join("b.db");
    let key = dir.path().join("b.db.key");
    std::fs::write(&key, "not hex").unwrap();
    #[cfg(unix)]
    {
        // Owner-only, or it is refused for its mode before it is read.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert!(matches!(
        Store::open(&other),
        Err(StoreError::BadKeyFile { .. })
    ));
}

#[test]
fn default_path_honours_the_environment() {
    // The only test touching this variable.
    std::env::set_var(STATE_ENV_VAR, "/tmp/custom/state.db");
    assert_eq!(
        default_path().unwrap(),
        PathBuf::from("/tmp/custom/state.db")
    );
    std::env::remove_var(STATE_ENV_VAR);
    let p = default_path().unwrap();
    assert!(p.ends_with("do-envsync/state.db"), "{p:?}");
}

#[test]
fn save_and_load_round_trip_and_replace() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_in(&dir)).unwrap();
    let mut records = vec![
        record("app", "", "A", 1),
        StateRecord {
            var_type: VarType::General,
            ev: None,
            scope: Scope::BuildTime,
            origin: Origin::Adopted {
                original: Some(json!({"key": "B", "value": "EV[1:o:1]", "zeta": 1, "alpha": [1]})),
            },
            ..record("app", "", "B", 2)
        },
        StateRecord {
            origin: Origin::Adopted { original: None },
            scope: Scope::Unset,
            ..record("app", "web", "A", 3)
        },
    ];
    store.save_state("app", &records).unwrap();
    store
        .save_state("other", &[record("other", "", "Z", 9)])
        .unwrap();
    let loaded = store.load_state("app").unwrap();
    records.sort_by(|a, b| (&a.target, &a.key).cmp(&(&b.target, &b.key)));
    assert_eq!(loaded, records);
    // Key order of an original entry survives.
    if let Origin::Adopted { original: Some(o) } = &loaded[1].origin {
        assert_eq!(
            o.to_string(),
            r#"{"key":"B","value":"EV[1:o:1]","zeta":1,"alpha":[1]}"#
        );
    } else {
        panic!("{:?}", loaded[1]);
    }
    // A save replaces the app's rows, and only that app's.
    store.save_state("app", &records[..1]).unwrap();
    assert_eq!(store.load_state("app").unwrap(), records[..1].to_vec());
    assert_eq!(store.load_state("other").unwrap().len(), 1);
    assert_eq!(store.apps().unwrap(), ["app", "other"]);
    assert!(store.forget_app("other").unwrap());
    assert!(store.load_state("other").unwrap().is_empty());
    assert!(!store.forget_app("other").unwrap());
}

#[test]
fn a_failed_save_leaves_the_previous_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_in(&dir)).unwrap();
    let before = vec![record("app", "", "A", 1), record("app", "", "B", 1)];
    store.save_state("app", &before).unwrap();
    // The second row violates the primary key after the delete and first insert ran.
    let broken = vec![record("app", "", "C", 2), record("app", "", "C", 3)];
    let err = store.save_state("app", &broken).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{err}");
    assert_eq!(store.load_state("app").unwrap(), before);
    // Checks made before writing anything.
    let plaintext = StateRecord {
        ev: Some("plain".into()),
        ..record("app", "", "P", 1)
    };
    assert!(matches!(
        store.save_state("app", &[plaintext]),
        Err(StoreError::InvalidRecord { .. })
    ));
    assert!(matches!(
        store.save_state("app", &[record("elsewhere", "", "X", 1)]),
        Err(StoreError::InvalidRecord { .. })
    ));
    assert!(matches!(
        store.load_state(""),
        Err(StoreError::InvalidAppId { .. })
    ));
    assert_eq!(store.load_state("app").unwrap(), before);
}

/// Read-modify-write of the app's state under the lock: adds one record.
fn locked_append(store: &Store, app: &str, key: &str, hold: Duration) {
    let _lock = store.lock_app(app, Duration::from_secs(60)).unwrap();
    let mut state = store.load_state(app).unwrap();
    std::thread::sleep(hold);
    state.push(record(app, "", key, 1));
    store.save_state(app, &state).unwrap();
}

#[test]
fn lock_serializes_threads() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(db_in(&dir)).unwrap());
    let inside = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            let inside = inside.clone();
            std::thread::spawn(move || {
                for i in 0..5 {
                    let _lock = store.lock_app("app", Duration::from_secs(60)).unwrap();
                    assert_eq!(
                        inside.fetch_add(1, Ordering::SeqCst),
                        0,
                        "two holders at once"
                    );
                    let mut state = store.load_state("app").unwrap();
                    std::thread::sleep(Duration::from_millis(2));
                    state.push(record("app", "", &format!("K{t}_{i}"), 1));
                    store.save_state("app", &state).unwrap();
                    inside.fetch_sub(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.load_state("app").unwrap().len(), 40, "no update lost");
}

#[test]
fn lock_timeout_names_the_app_and_other_apps_are_free() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db_in(&dir)).unwrap();
    let held = store.lock_app("app-42", Duration::from_secs(1)).unwrap();
    assert_eq!(held.app_id(), "app-42");
    let started = Instant::now();
    let err = store
        .lock_app("app-42", Duration::from_millis(150))
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(150));
    match &err {
        StoreError::LockTimeout { app_id, holder, .. } => {
            assert_eq!(app_id, "app-42");
            assert!(holder
                .as_deref()
                .unwrap()
                .contains(&std::process::id().to_string()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("app-42"), "{err}");
    // A second handle on the same file sees the same lock; other apps are independent.
    let store2 = Store::open(store.path().unwrap()).unwrap();
    assert!(store2.lock_app("app-42", Duration::ZERO).is_err());
    let other = store2
        .lock_app("other app/with:odd chars", Duration::ZERO)
        .unwrap();
    drop(held);
    store2.lock_app("app-42", Duration::ZERO).unwrap();
    drop(other);
}

/// Kills a child that would otherwise outlive a failed test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs as the child when re-executed with CHILD_ENV set, as the parent otherwise.
#[test]
fn cross_process_locking() {
    if let Ok(role) = std::env::var(CHILD_ENV) {
        let (mode, rest) = role.split_once(':').unwrap();
        let (path, arg) = rest.rsplit_once('|').unwrap();
        let store = Store::open(path).unwrap();
        match mode {
            "hold" => {
                let _lock = store
                    .lock_app("shared-app", Duration::from_secs(10))
                    .unwrap();
                println!("LOCKED");
                // Held until the parent kills this process.
                std::thread::sleep(Duration::from_secs(120));
            }
            "append" => {
                for i in 0..5 {
                    locked_append(
                        &store,
                        "shared-app",
                        &format!("{arg}_{i}"),
                        Duration::from_millis(3),
                    );
                }
            }
            other => panic!("unknown child role {other}"),
        }
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    let store = Store::open(&path).unwrap();
    let child = |role: &str, arg: &str| {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "cross_process_locking",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, format!("{role}:{}|{arg}", path.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // A lock held by another process times out here, naming the app and the holder...
    let mut holder = KillOnDrop(child("hold", ""));
    let stdout = holder.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    assert!(
        lines.any(|l| l.map(|l| l.trim_end().ends_with("LOCKED")).unwrap_or(false)),
        "child never took the lock"
    );
    match store.lock_app("shared-app", Duration::from_millis(200)) {
        Err(StoreError::LockTimeout {
            app_id,
            holder: who,
            ..
        }) => {
            assert_eq!(app_id, "shared-app");
            assert!(who.unwrap().contains(&holder.0.id().to_string()));
        }
        other => panic!("{other:?}"),
    }
    // ...and is recovered as soon as that process dies, however it dies.
    holder.0.kill().unwrap();
    holder.0.wait().unwrap();
    let started = Instant::now();
    drop(
        store
            .lock_app("shared-app", Duration::from_secs(10))
            .unwrap(),
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // Read-modify-write from 4 processes and this one: nothing lost.
    let children: Vec<_> = (0..4).map(|n| child("append", &format!("P{n}"))).collect();
    for i in 0..5 {
        locked_append(
            &store,
            "shared-app",
            &format!("MAIN_{i}"),
            Duration::from_millis(3),
        );
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let keys: Vec<String> = store
        .load_state("shared-app")
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(keys.len(), 25, "{keys:?}");
}

fn file_bytes(path: &Path, suffix: &str) -> Vec<u8> {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    std::fs::read(Path::new(&p)).unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn canary_plaintext_never_reaches_the_disk() {
    let canary = "CANARY-d41d8cd98f00b204e9800998ecf8427e";
    let dir = tempfile::tempdir().unwrap();
    let path = db_in(&dir);
    let store = Store::open(&path).unwrap();
    let fp = store.fingerprinter();

    let spec =
        json!({"name": "a", "envs": [{"key": "OLD", "value": "EV[1:old:1]", "type": "SECRET"}]});
    let mut desired = Desired::new();
    desired.insert("OLD", DesiredValue::new(canary));
    desired.insert("NEW_SECRET", DesiredValue::new(format!("{canary}-2")));
    desired.insert(
        "NEW_GENERAL",
        DesiredValue::new(format!("{canary}-3")).with_type(VarType::General),
    );
    let p = plan(&spec, &desired, &SyncOptions::default(), &[], &fp).unwrap();
    // What DigitalOcean answers: SECRET values as ciphertext.
    let mut response = p.new_spec().clone();
    for (i, e) in response["envs"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        if e["type"] == "SECRET" {
            e["value"] = Value::String(format!("EV[1:c{i}:x]"));
        }
    }
    let state = state_after_apply(&p, "app", &response);
    assert_eq!(state.len(), 3);
    store.save_state("app", &state).unwrap();
    let mut sorted = state.clone();
    sorted.sort_by(|a, b| (&a.target, &a.key).cmp(&(&b.target, &b.key)));
    assert_eq!(store.load_state("app").unwrap(), sorted);
    let lock = store.lock_app("app", Duration::from_secs(1)).unwrap();

    let check = |when: &str| {
        for suffix in ["", "-wal", "-shm", ".key", ".locks/app.lock"] {
            let bytes = file_bytes(&path, suffix);
            assert!(
                !contains(&bytes, canary.as_bytes()),
                "canary in {suffix} ({when})"
            );
        }
    };
    check("open, before checkpoint");
    assert!(
        !file_bytes(&path, "-wal").is_empty(),
        "the WAL was written and checked"
    );
    drop(lock);
    drop(store);
    check("closed");
    assert!(!format!("{state:?}").contains(canary));
}
