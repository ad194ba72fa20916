//! The SQLite backend: one local file, the embedded default.

mod api_keys;
mod connections;
mod lock;
mod notify;
mod runs;
pub(super) mod schema;
mod syncs;

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::records::origin_columns;
use super::{files, io_err, private_options, with_suffix, RawRecord, StateRecord, StoreError};
use crate::sync::fingerprint::FINGERPRINT_KEY_LEN;
pub use lock::AppLock as FileLock;

/// How long SQLite waits on a busy database before failing a statement.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The state store. Safe to share between threads; several processes may open
/// the same file (SQLite serializes writers, [`Store::lock_app`] serializes syncs).
pub struct SqliteStore {
    path: PathBuf,
    lock_dir: PathBuf,
    key: parking_lot::RwLock<[u8; FINGERPRINT_KEY_LEN]>,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
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

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(err, _)
            if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

impl SqliteStore {
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
            key: parking_lot::RwLock::new(key),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The local fingerprint key (`<path>.key`).
    pub fn fingerprint_key(&self) -> [u8; FINGERPRINT_KEY_LEN] {
        *self.key.read()
    }

    /// Replaces the fingerprint key (`state copy` brings the source's with its records):
    /// the key file is replaced atomically (a new file renamed over it).
    pub fn adopt_fingerprint_key(&self, key: [u8; FINGERPRINT_KEY_LEN]) -> Result<(), StoreError> {
        let path = with_suffix(&self.path, ".key");
        let tmp = with_suffix(
            &path,
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
            fs::rename(&tmp, &path).map_err(io_err("replace", &path))
        })();
        let _ = fs::remove_file(&tmp);
        result?;
        *self.key.write() = key;
        Ok(())
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
    pub fn lock_app(&self, app_id: &str, timeout: Duration) -> Result<FileLock, StoreError> {
        lock::acquire(&self.lock_dir, app_id, timeout)
    }

    /// The state records of each of `app_ids` (ordered by target then key), in one
    /// read transaction.
    pub fn load_states(&self, app_ids: &[String]) -> Result<Vec<Vec<StateRecord>>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(self.sql())?;
        let mut stmt = tx
            .prepare(
                "SELECT target, key, fingerprint, ev, var_type, scope, origin, original, updated_at
                 FROM env_state WHERE app_id = ?1 ORDER BY target, key",
            )
            .map_err(self.sql())?;
        let mut out = Vec::with_capacity(app_ids.len());
        for app_id in app_ids {
            let rows = stmt
                .query_map([app_id], |row| {
                    Ok(RawRecord {
                        target: row.get(0)?,
                        key: row.get(1)?,
                        fingerprint: row.get(2)?,
                        ev: row.get(3)?,
                        var_type: row.get(4)?,
                        scope: row.get(5)?,
                        origin: row.get(6)?,
                        original: row.get(7)?,
                        updated_at: row.get(8)?,
                    })
                })
                .map_err(self.sql())?;
            let mut records = Vec::new();
            for row in rows {
                records.push(row.map_err(self.sql())?.decode(app_id)?);
            }
            out.push(records);
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
                let (origin, original) = origin_columns(&r.origin);
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
