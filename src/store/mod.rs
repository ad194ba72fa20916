//! Sync state in embedded SQLite, the per-app sync lock, and the local
//! fingerprint key.
//!
//! Files, all created owner-only (0600, directories 0700 when created here), and
//! refused when another user owns them, they are links, or others may write them
//! (see [`files`]: the store never changes the mode of a file it finds):
//! - `<path>` (default `<data dir>/do-envsync/state.db`, `DO_ENVSYNC_STATE` overrides):
//!   the SQLite database, in WAL mode (`-wal`/`-shm` beside it get the same mode);
//! - `<path>.key`: the 32-byte fingerprint key, hex. Kept apart from the database so
//!   a copy of the database alone does not allow testing guesses of secret values;
//! - `<path>.locks/<app>.lock`: one file per app for the sync lock.
//!
//! - `<path>.master.key`: the control plane's master key (see [`crypto`]), unless
//!   `DO_ENVSYNC_MASTER_KEY` provides it.
//!
//! Nothing here ever holds a secret plaintext: records carry HMAC fingerprints and
//! the `EV[...]` ciphertexts DigitalOcean returned; connection tokens and source
//! secrets of the control plane are sealed with the master key.

pub mod api_keys;
pub mod connections;
pub mod crypto;
mod files;
mod lock;
pub mod notify;
pub mod runs;
mod schema;
pub mod syncs;

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use thiserror::Error;

use crate::sync::fingerprint::{Fingerprinter, FINGERPRINT_KEY_LEN};
use crate::sync::state::is_ev_string;
pub use crate::sync::{Origin, StateRecord};
use crate::sync::{Scope, VarType};
pub use api_keys::ApiKeyRecord;
pub use connections::ConnectionRecord;
pub use lock::AppLock;
pub use notify::{DeliveryRecord, NotifyTargetRecord};
pub use runs::{RunKind, RunRecord};
pub use schema::SCHEMA_VERSION;
pub use syncs::{LastRun, SyncDelete, SyncRecord};

/// Environment variable that overrides the state database path.
pub const STATE_ENV_VAR: &str = "DO_ENVSYNC_STATE";

/// How long SQLite waits on a busy database before failing a statement.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Failures of the store. Messages name files, apps and keys, never values.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot find the user's data directory; set {STATE_ENV_VAR} to the state file path")]
    NoDataDir,
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("state database {}: {source}", .path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("state database {} has schema version {found}; this version of do-envsync supports up to {supported}", .path.display())]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("fingerprint key file {} is malformed (expected {} hex characters)", .path.display(), FINGERPRINT_KEY_LEN * 2)]
    BadKeyFile { path: PathBuf },
    #[error("timed out after {waited:?} waiting for the sync lock of app {app_id}{}", .holder.as_ref().map(|h| format!(" (held by {h})")).unwrap_or_default())]
    LockTimeout {
        app_id: String,
        waited: Duration,
        holder: Option<String>,
    },
    /// A store file or directory another user could control, or with loose
    /// permissions: refused (never repaired), with the fix.
    #[error("refusing to use {what} {}: {problem}; {fix}", .path.display())]
    UnsafePath {
        what: &'static str,
        path: PathBuf,
        problem: String,
        fix: String,
    },
    #[error("a {kind} named {name:?} already exists")]
    NameTaken { kind: &'static str, name: String },
    #[error("invalid app id {app_id:?}")]
    InvalidAppId { app_id: String },
    #[error("state record {target:?}/{key:?} for app {app_id}: {problem}")]
    InvalidRecord {
        app_id: String,
        target: String,
        key: String,
        problem: &'static str,
    },
}

/// The state store. Safe to share between threads; several processes may open
/// the same file (SQLite serializes writers, [`Store::lock_app`] serializes syncs).
pub struct Store {
    path: PathBuf,
    lock_dir: PathBuf,
    key: [u8; FINGERPRINT_KEY_LEN],
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The state path: `DO_ENVSYNC_STATE` when set and non-empty, else
/// `<user data dir>/do-envsync/state.db`.
pub fn default_path() -> Result<PathBuf, StoreError> {
    if let Some(p) = std::env::var_os(STATE_ENV_VAR).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = dirs::data_dir().ok_or(StoreError::NoDataDir)?;
    Ok(base.join("do-envsync").join("state.db"))
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Owner-only open options for files the store creates.
fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Read the fingerprint key, creating it on first use. Creation writes a
/// temporary file and hard-links it into place, so a concurrent reader never
/// sees a half-written key and two creators agree on one key.
fn load_or_create_key(path: &Path) -> Result<[u8; FINGERPRINT_KEY_LEN], StoreError> {
    let read = |path: &Path| -> Result<Option<[u8; FINGERPRINT_KEY_LEN]>, StoreError> {
        let mut text = String::new();
        let Some(mut f) = files::open_private_read("fingerprint key file", path)? else {
            return Ok(None);
        };
        f.read_to_string(&mut text).map_err(io_err("read", path))?;
        let bytes = hex::decode(text.trim()).map_err(|_| StoreError::BadKeyFile {
            path: path.to_owned(),
        })?;
        let key = bytes.try_into().map_err(|_| StoreError::BadKeyFile {
            path: path.to_owned(),
        })?;
        Ok(Some(key))
    };
    if let Some(key) = read(path)? {
        return Ok(key);
    }
    let key: [u8; FINGERPRINT_KEY_LEN] = rand::random();
    let tmp = with_suffix(
        path,
        &format!(".tmp-{}-{:016x}", std::process::id(), rand::random::<u64>()),
    );
    let result = (|| {
        let mut f = private_options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err("create", &tmp))?;
        f.write_all(format!("{}\n", hex::encode(key)).as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io_err("write", &tmp))?;
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(key),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                read(path)?.ok_or_else(|| StoreError::BadKeyFile {
                    path: path.to_owned(),
                })
            }
            Err(e) => Err(io_err("create", path)(e)),
        }
    })();
    let _ = fs::remove_file(&tmp);
    result
}

/// A stored microsecond timestamp (out-of-range values clamp to the epoch).
pub(crate) fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(err, _)
            if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

fn check_app_id(app_id: &str) -> Result<(), StoreError> {
    if app_id.is_empty() || app_id.chars().any(char::is_control) {
        return Err(StoreError::InvalidAppId {
            app_id: app_id.to_owned(),
        });
    }
    Ok(())
}

impl Store {
    /// Open (creating and migrating as needed) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        // Another user must not be able to plant or swap anything the store opens (see
        // `files`): the directory first, then every file in it, none through a link.
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        files::ensure_private_dir("state directory", &dir, true)?;
        // Create the file owner-only before SQLite opens it (SQLite gives its -wal
        // and -shm files the database file's mode); refuse a link or a foreign file.
        files::create_or_check_db_file("state database", &path)?;
        let key = load_or_create_key(&with_suffix(&path, ".key"))?;
        let lock_dir = with_suffix(&path, ".locks");
        files::refuse_symlink("lock directory", &lock_dir)?;
        files::ensure_private_dir("lock directory", &lock_dir, false)?;
        // Processes opening a fresh file at once would race on the WAL switch and the
        // migration (SQLite can answer "locked" without waiting there): serialize them.
        let open_lock_path = lock_dir.join(".open.lock");
        let open_lock = files::open_private_rw("lock file", &open_lock_path)?;
        fs4::FileExt::lock(&open_lock).map_err(io_err("lock", &open_lock_path))?;

        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(sql)?;
        debug_assert!(mode.eq_ignore_ascii_case("wal"), "journal mode {mode}");
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
            .map_err(sql)?;
        schema::migrate(&mut conn, &path)?;
        for suffix in ["-wal", "-shm"] {
            files::check_existing_file("state database journal", &with_suffix(&path, suffix))?;
        }
        let _ = fs4::FileExt::unlock(&open_lock);
        Ok(Self {
            path,
            lock_dir,
            key,
            conn: Mutex::new(conn),
        })
    }

    /// Open the store at [`default_path`].
    pub fn open_default() -> Result<Self, StoreError> {
        Self::open(default_path()?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The fingerprinter keyed with this store's local key.
    pub fn fingerprinter(&self) -> Fingerprinter {
        Fingerprinter::new(self.key)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the connection cannot leave a transaction open
        // (rusqlite rolls back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every row `sql` returns, mapped by `map` (on `conn`, or a transaction of it).
    fn rows<T, P: rusqlite::Params>(
        &self,
        conn: &Connection,
        sql: &str,
        params: P,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = conn.prepare(sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(params, map)
            .map_err(self.sql())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql())?;
        Ok(rows)
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// The control plane's master key check value, stored by the first caller: returns
    /// the stored value (which is `check` when this call stored it).
    pub fn master_key_check(&self, check: &str) -> Result<String, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO control_meta (name, value) VALUES ('master_key_check', ?1)
             ON CONFLICT (name) DO NOTHING",
            [check],
        )
        .map_err(self.sql())?;
        conn.query_row(
            "SELECT value FROM control_meta WHERE name = 'master_key_check'",
            [],
            |row| row.get(0),
        )
        .map_err(self.sql())
    }

    /// Whether a master key check value has been stored (sealed data may exist).
    pub fn has_master_key_check(&self) -> Result<bool, StoreError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT 1 FROM control_meta WHERE name = 'master_key_check'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
        .map_err(self.sql())
    }

    /// The database's schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::current_version(&self.conn()).map_err(self.sql())
    }

    /// Take the sync lock of `app_id`, waiting up to `timeout`. Hold it across
    /// read (GET), plan, PUT and [`Store::save_state`]; it is released when the
    /// returned guard is dropped, and by the OS if the process dies.
    pub fn lock_app(&self, app_id: &str, timeout: Duration) -> Result<AppLock, StoreError> {
        check_app_id(app_id)?;
        lock::acquire(&self.lock_dir, app_id, timeout)
    }

    /// The app's state records, ordered by target then key.
    pub fn load_state(&self, app_id: &str) -> Result<Vec<StateRecord>, StoreError> {
        check_app_id(app_id)?;
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT target, key, fingerprint, ev, var_type, scope, origin, original, updated_at
                 FROM env_state WHERE app_id = ?1 ORDER BY target, key",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([app_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                    row.get::<_, Option<String>>(7)?,
                    row.get::<_, i64>(8)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (target, key, fingerprint, ev, var_type, scope, origin, original, updated_at) =
                row.map_err(self.sql())?;
            let bad = |problem| StoreError::InvalidRecord {
                app_id: app_id.to_owned(),
                target: target.clone(),
                key: key.clone(),
                problem,
            };
            let var_type: VarType = var_type.parse().map_err(|_| bad("unknown type"))?;
            let scope: Scope = scope.parse().map_err(|_| bad("unknown scope"))?;
            let origin = match origin.as_str() {
                "created" => Origin::Created,
                "adopted" => Origin::Adopted {
                    original: original
                        .map(|text: String| serde_json::from_str::<serde_json::Value>(&text))
                        .transpose()
                        .map_err(|_| bad("original entry is not JSON"))?,
                },
                _ => return Err(bad("unknown origin")),
            };
            let updated_at =
                DateTime::from_timestamp_micros(updated_at).ok_or_else(|| bad("bad timestamp"))?;
            out.push(StateRecord {
                app_id: app_id.to_owned(),
                target,
                key,
                fingerprint,
                ev,
                var_type,
                scope,
                origin,
                updated_at,
            });
        }
        Ok(out)
    }

    /// Replace the app's whole state with `records`, in one transaction: either
    /// all of them are stored and every other row of the app is gone, or (on any
    /// error) the previous state is left exactly as it was. `state_after_apply`
    /// returns the app's full state (records of targets a plan did not touch are
    /// carried forward), which is what this expects. Rows of other apps are never
    /// touched. Call it while holding [`Store::lock_app`] for the app.
    pub fn save_state(&self, app_id: &str, records: &[StateRecord]) -> Result<(), StoreError> {
        check_app_id(app_id)?;
        for r in records {
            let bad = |problem| StoreError::InvalidRecord {
                app_id: app_id.to_owned(),
                target: r.target.clone(),
                key: r.key.clone(),
                problem,
            };
            if r.app_id != app_id {
                return Err(bad("record belongs to another app"));
            }
            // Only ciphertext may be stored beside a fingerprint.
            if r.ev.as_deref().is_some_and(|ev| !is_ev_string(ev)) {
                return Err(bad("ev is not an EV[...] ciphertext"));
            }
        }
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql())?;
        let now = crate::sync::state::now_micros().timestamp_micros();
        tx.execute(
            "INSERT INTO apps (app_id, first_saved_at) VALUES (?1, ?2) ON CONFLICT (app_id) DO NOTHING",
            params![app_id, now],
        )
        .map_err(self.sql())?;
        tx.execute("DELETE FROM env_state WHERE app_id = ?1", [app_id])
            .map_err(self.sql())?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO env_state
                     (app_id, target, key, fingerprint, ev, var_type, scope, origin, original, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(self.sql())?;
            for r in records {
                let (origin, original) = match &r.origin {
                    Origin::Created => ("created", None),
                    Origin::Adopted { original } => {
                        ("adopted", original.as_ref().map(|v| v.to_string()))
                    }
                };
                insert
                    .execute(params![
                        app_id,
                        r.target,
                        r.key,
                        r.fingerprint,
                        r.ev,
                        r.var_type.as_str(),
                        r.scope.as_str(),
                        origin,
                        original,
                        r.updated_at.timestamp_micros(),
                    ])
                    .map_err(self.sql())?;
            }
        }
        tx.commit().map_err(self.sql())
    }

    /// Records the deployment a sync's PUT started (after its state was saved).
    pub fn record_deployment(&self, app_id: &str, deployment_id: &str) -> Result<(), StoreError> {
        check_app_id(app_id)?;
        let now = crate::sync::state::now_micros().timestamp_micros();
        self.conn()
            .execute(
                "INSERT INTO apps (app_id, first_saved_at, last_deployment_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (app_id) DO UPDATE SET last_deployment_id = excluded.last_deployment_id",
                params![app_id, now, deployment_id],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// The deployment the latest PUT of a sync of this app started, if recorded.
    pub fn last_deployment(&self, app_id: &str) -> Result<Option<String>, StoreError> {
        check_app_id(app_id)?;
        self.conn()
            .query_row(
                "SELECT last_deployment_id FROM apps WHERE app_id = ?1",
                [app_id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(self.sql())
    }

    /// Apps with stored state.
    pub fn apps(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        self.rows(
            &conn,
            "SELECT app_id FROM apps ORDER BY app_id",
            [],
            |row| row.get(0),
        )
    }

    /// Forget everything about an app (its rows go with it through the foreign key).
    pub fn forget_app(&self, app_id: &str) -> Result<bool, StoreError> {
        check_app_id(app_id)?;
        let conn = self.conn();
        let existed = conn
            .query_row("SELECT 1 FROM apps WHERE app_id = ?1", [app_id], |_| Ok(()))
            .optional()
            .map_err(self.sql())?
            .is_some();
        conn.execute("DELETE FROM apps WHERE app_id = ?1", [app_id])
            .map_err(self.sql())?;
        Ok(existed)
    }
}
