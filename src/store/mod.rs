//! The state store: sync state records, the per-app sync lock, the fingerprint key
//! and the control plane's rows, behind one [`Store`] with two backends:
//! - SQLite (`sqlite`), the embedded default, for one machine;
//! - PostgreSQL (`pg`), shared by many machines (CI runners, several watchers),
//!   chosen by a `postgres://` or `postgresql://` location.
//!
//! Both behave the same; the engine only sees [`Store`]. SQLite files, all created owner-only (0600, directories 0700 when created here), and
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

/// Calls the same method on whichever backend the store has (defined before the
/// modules so that their `impl Store` blocks can dispatch too).
macro_rules! on_backend {
    ($self:ident, $s:ident => $call:expr) => {
        match &$self.backend {
            $crate::store::Backend::Sqlite($s) => $call,
            $crate::store::Backend::Postgres($s) => $call,
        }
    };
}

pub mod api_keys;
pub mod connections;
pub mod copy;
pub mod crypto;
mod files;
mod location;
pub mod notify;
pub mod pg;
mod records;
pub mod runs;
mod sqlite;
pub mod syncs;

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::sync::fingerprint::{Fingerprinter, FINGERPRINT_KEY_LEN};
use crate::sync::state::is_ev_string;
pub use crate::sync::{Origin, StateRecord};
pub use api_keys::ApiKeyRecord;
pub use connections::ConnectionRecord;
use crypto::{CryptoError, MasterKey, MASTER_KEY_ENV};
pub use location::Location;
pub use notify::{DeliveryRecord, NotifyTargetRecord};
pub(crate) use records::RawRecord;
pub use runs::{RunKind, RunRecord};
pub use sqlite::schema::SCHEMA_VERSION;
pub use syncs::{LastRun, SyncDelete, SyncRecord};

/// Environment variable that overrides the state location (a path or a PostgreSQL URL).
pub const STATE_ENV_VAR: &str = "DO_ENVSYNC_STATE";

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
    #[error("state database {location} has schema version {found}; this version of do-envsync supports up to {supported}")]
    SchemaTooNew {
        /// The file path, or the PostgreSQL URL without its password.
        location: String,
        found: i64,
        supported: i64,
    },
    /// A PostgreSQL failure: `location` never holds the password, `message` is the
    /// driver's or the server's text (which never repeats it either).
    #[error("state database {location}: {message}")]
    Postgres { location: String, message: String },
    #[error("invalid state database URL: {problem}")]
    BadUrl { problem: String },
    #[error("a PostgreSQL state database needs the master key in {MASTER_KEY_ENV} (64 hex characters or base64 of 32 bytes), shared by every machine that uses it: {problem}")]
    MasterKeyRequired { problem: String },
    #[error("cannot {action} {what}: {reason}")]
    Unsupported {
        action: &'static str,
        what: String,
        reason: &'static str,
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

/// The SQLite state path: `DO_ENVSYNC_STATE` when set and non-empty (and not a
/// URL), else `<user data dir>/do-envsync/state.db`.
pub fn default_path() -> Result<PathBuf, StoreError> {
    match default_location()? {
        Location::Path(path) => Ok(path),
        Location::Postgres(url) => Err(StoreError::Unsupported {
            action: "use as a file path",
            what: url.redacted().to_owned(),
            reason: "it is a PostgreSQL URL",
        }),
    }
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

/// A stored microsecond timestamp (out-of-range values clamp to the epoch).
pub(crate) fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn check_app_id(app_id: &str) -> Result<(), StoreError> {
    if app_id.is_empty() || app_id.chars().any(char::is_control) {
        return Err(StoreError::InvalidAppId {
            app_id: app_id.to_owned(),
        });
    }
    Ok(())
}

/// Refuses records that are not the app's or that would put anything but an
/// `EV[...]` ciphertext beside a fingerprint.
fn check_records(app_id: &str, records: &[StateRecord]) -> Result<(), StoreError> {
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
    Ok(())
}

/// The state store. Safe to share between threads and processes (and, with
/// PostgreSQL, machines): [`Store::lock_app`] serializes the syncs of one app.
pub struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite(sqlite::SqliteStore),
    Postgres(pg::PgStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location())
            .finish_non_exhaustive()
    }
}

/// Proof of holding an app's sync lock; dropping it releases the lock (a file lock
/// with SQLite, a PostgreSQL advisory lock with PostgreSQL).
#[derive(Debug)]
pub enum AppLock {
    File(sqlite::FileLock),
    Postgres(Box<pg::PgLock>),
}

impl AppLock {
    pub fn app_id(&self) -> &str {
        match self {
            AppLock::File(l) => l.app_id(),
            AppLock::Postgres(l) => l.app_id(),
        }
    }
}

impl Store {
    /// Open (creating and migrating as needed) the store at `location`: a file path
    /// for SQLite, or a `postgres://` / `postgresql://` URL.
    pub fn open(location: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_location(Location::from_path(location.as_ref())?)
    }

    /// Open the store at a parsed location.
    pub fn open_location(location: Location) -> Result<Self, StoreError> {
        let backend = match location {
            Location::Path(path) => Backend::Sqlite(sqlite::SqliteStore::open(path)?),
            Location::Postgres(url) => Backend::Postgres(pg::PgStore::open(url)?),
        };
        Ok(Self { backend })
    }

    /// Open a PostgreSQL store with an explicit master key (instead of
    /// `DO_ENVSYNC_MASTER_KEY`): for tests and embedders that hold the key themselves.
    pub fn open_postgres(url: &str, master: MasterKey) -> Result<Self, StoreError> {
        let url = location::PgUrl::parse(url)?;
        Ok(Self {
            backend: Backend::Postgres(pg::PgStore::open_with_key(url, master)?),
        })
    }

    /// Open the store at [`default_location`].
    pub fn open_default() -> Result<Self, StoreError> {
        Self::open_location(default_location()?)
    }

    /// The SQLite file, or `None` with PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s.path()),
            Backend::Postgres(_) => None,
        }
    }

    /// Where the state lives, for messages: the path, or the URL without its password.
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Sqlite(s) => s.path().display().to_string(),
            Backend::Postgres(s) => s.location().to_owned(),
        }
    }

    /// Whether the state is in a shared PostgreSQL database.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The fingerprinter: keyed with the local key file (SQLite), or with the key
    /// every machine shares, sealed in the database under the master key (PostgreSQL).
    pub fn fingerprinter(&self) -> Fingerprinter {
        Fingerprinter::new(on_backend!(self, s => s.fingerprint_key()))
    }

    /// The raw fingerprint key (`state copy` carries it to the target store).
    pub(crate) fn fingerprint_key(&self) -> [u8; FINGERPRINT_KEY_LEN] {
        on_backend!(self, s => s.fingerprint_key())
    }

    /// Makes `key` this store's fingerprint key. Only for an empty store: records
    /// fingerprinted under the previous key would no longer match.
    pub(crate) fn adopt_fingerprint_key(
        &self,
        key: [u8; FINGERPRINT_KEY_LEN],
    ) -> Result<(), StoreError> {
        on_backend!(self, s => s.adopt_fingerprint_key(key))
    }

    /// The control plane's master key: `DO_ENVSYNC_MASTER_KEY`, else (SQLite only)
    /// the key file beside the database, created only when `may_create`.
    pub fn master_key(&self, may_create: bool) -> Result<MasterKey, CryptoError> {
        match &self.backend {
            Backend::Sqlite(s) => MasterKey::resolve(s.path(), may_create),
            Backend::Postgres(s) => Ok(s.master_key().clone()),
        }
    }

    /// Database round trips made so far (PostgreSQL; always 0 with SQLite). For
    /// benchmarks and tests that prove reads are batched.
    pub fn round_trips(&self) -> u64 {
        match &self.backend {
            Backend::Sqlite(_) => 0,
            Backend::Postgres(s) => s.round_trips(),
        }
    }

    /// The control plane's master key check value, stored by the first caller: returns
    /// the stored value (which is `check` when this call stored it).
    pub fn master_key_check(&self, check: &str) -> Result<String, StoreError> {
        on_backend!(self, s => s.master_key_check(check))
    }

    /// Whether a master key check value has been stored (sealed data may exist).
    pub fn has_master_key_check(&self) -> Result<bool, StoreError> {
        on_backend!(self, s => s.has_master_key_check())
    }

    /// The database's schema version (each backend has its own list of migrations).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        on_backend!(self, s => s.schema_version())
    }

    /// Take the sync lock of `app_id`, waiting up to `timeout`. Hold it across
    /// read (GET), plan, PUT and [`Store::save_state`]; it is released when the
    /// returned guard is dropped, and when the process dies (by the OS for the
    /// file lock, by the server when the connection drops for PostgreSQL).
    pub fn lock_app(&self, app_id: &str, timeout: Duration) -> Result<AppLock, StoreError> {
        check_app_id(app_id)?;
        Ok(match &self.backend {
            Backend::Sqlite(s) => AppLock::File(s.lock_app(app_id, timeout)?),
            Backend::Postgres(s) => AppLock::Postgres(Box::new(s.lock_app(app_id, timeout)?)),
        })
    }

    /// The app's state records, ordered by target then key.
    pub fn load_state(&self, app_id: &str) -> Result<Vec<StateRecord>, StoreError> {
        let mut states = self.load_states(&[app_id.to_owned()])?;
        Ok(states.pop().unwrap_or_default())
    }

    /// The state records of each of `app_ids`, in the same order: one database round
    /// trip for the whole batch with PostgreSQL.
    pub fn load_states(&self, app_ids: &[String]) -> Result<Vec<Vec<StateRecord>>, StoreError> {
        for app_id in app_ids {
            check_app_id(app_id)?;
        }
        if app_ids.is_empty() {
            return Ok(Vec::new());
        }
        on_backend!(self, s => s.load_states(app_ids))
    }

    /// Replace the app's whole state with `records`, in one transaction: either
    /// all of them are stored and every other row of the app is gone, or (on any
    /// error) the previous state is left exactly as it was. `state_after_apply`
    /// returns the app's full state (records of targets a plan did not touch are
    /// carried forward), which is what this expects. Rows of other apps are never
    /// touched. Call it while holding [`Store::lock_app`] for the app.
    pub fn save_state(&self, app_id: &str, records: &[StateRecord]) -> Result<(), StoreError> {
        check_app_id(app_id)?;
        check_records(app_id, records)?;
        on_backend!(self, s => s.save_state(app_id, records))
    }

    /// Records the deployment a sync's PUT started (after its state was saved).
    pub fn record_deployment(&self, app_id: &str, deployment_id: &str) -> Result<(), StoreError> {
        check_app_id(app_id)?;
        on_backend!(self, s => s.record_deployment(app_id, deployment_id))
    }

    /// The deployment the latest PUT of a sync of this app started, if recorded.
    pub fn last_deployment(&self, app_id: &str) -> Result<Option<String>, StoreError> {
        check_app_id(app_id)?;
        on_backend!(self, s => s.last_deployment(app_id))
    }

    /// Apps with stored state.
    pub fn apps(&self) -> Result<Vec<String>, StoreError> {
        on_backend!(self, s => s.apps())
    }

    /// Forget everything about an app (its rows go with it).
    pub fn forget_app(&self, app_id: &str) -> Result<bool, StoreError> {
        check_app_id(app_id)?;
        on_backend!(self, s => s.forget_app(app_id))
    }

    /// Inserts a new connection; a taken name is [`StoreError::NameTaken`].
    pub fn insert_connection(&self, rec: &ConnectionRecord) -> Result<(), StoreError> {
        on_backend!(self, s => s.insert_connection(rec))
    }

    /// The connection with this id, else the one with this name.
    pub fn find_connection(
        &self,
        id_or_name: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        on_backend!(self, s => s.find_connection(id_or_name))
    }

    /// Every connection, by name.
    pub fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        on_backend!(self, s => s.list_connections())
    }

    /// Replaces a connection's row when its stored version is still `expected_version`
    /// (optimistic concurrency between processes). Returns false when it changed meanwhile.
    pub fn update_connection(
        &self,
        rec: &ConnectionRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        on_backend!(self, s => s.update_connection(rec, expected_version))
    }

    /// Names of the syncs using a connection.
    pub fn syncs_using_connection(&self, connection_id: &str) -> Result<Vec<String>, StoreError> {
        on_backend!(self, s => s.syncs_using_connection(connection_id))
    }

    /// Deletes a connection. Without `with_syncs`, a connection still used by a sync
    /// is kept and the users are returned as `Err(names)`; with it, its syncs and their
    /// runs go in the same transaction. `Ok(false)` when no such connection exists.
    pub fn delete_connection(
        &self,
        id: &str,
        with_syncs: bool,
    ) -> Result<Result<bool, Vec<String>>, StoreError> {
        on_backend!(self, s => s.delete_connection(id, with_syncs))
    }

    /// Inserts a sync. `check` sees the other syncs of the same app inside the writing
    /// transaction, so two processes cannot both add conflicting syncs.
    pub fn insert_sync<E: From<StoreError>>(
        &self,
        rec: &SyncRecord,
        check: impl FnOnce(&[SyncRecord]) -> Result<(), E>,
    ) -> Result<(), E> {
        on_backend!(self, s => s.insert_sync(rec, check))
    }

    /// Replaces a sync's configuration (not its run status) when its stored version is
    /// still `expected_version`; `Ok(false)` when it changed meanwhile. `check` as in
    /// [`Store::insert_sync`].
    pub fn update_sync<E: From<StoreError>>(
        &self,
        rec: &SyncRecord,
        expected_version: i64,
        check: impl FnOnce(&[SyncRecord]) -> Result<(), E>,
    ) -> Result<bool, E> {
        on_backend!(self, s => s.update_sync(rec, expected_version, check))
    }

    /// The sync with this id, else the one with this name.
    pub fn find_sync(&self, id_or_name: &str) -> Result<Option<SyncRecord>, StoreError> {
        on_backend!(self, s => s.find_sync(id_or_name))
    }

    /// Every sync, by name.
    pub fn list_syncs(&self) -> Result<Vec<SyncRecord>, StoreError> {
        on_backend!(self, s => s.list_syncs())
    }

    /// Deletes a sync and its runs; false when it did not exist.
    pub fn delete_sync(&self, id: &str) -> Result<bool, StoreError> {
        on_backend!(self, s => s.delete_sync(id))
    }

    /// Deletes the sync only while its latest sync run is still `last_sync_job` (a sync
    /// that ran meanwhile may have put keys back on the app). One transaction.
    pub fn delete_sync_unless_ran(
        &self,
        id: &str,
        last_sync_job: Option<&str>,
    ) -> Result<SyncDelete, StoreError> {
        on_backend!(self, s => s.delete_sync_unless_ran(id, last_sync_job))
    }

    /// Records a new run and makes it the sync's latest run of its kind. False when
    /// the sync no longer exists (nothing is written then).
    pub fn begin_run(&self, run: &RunRecord) -> Result<bool, StoreError> {
        on_backend!(self, s => s.begin_run(run))
    }

    /// Writes a run's current status and results, and mirrors status and message on
    /// the sync while this run is still its latest of the kind (a success also sets
    /// the sync's last-succeeded time).
    pub fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        on_backend!(self, s => s.save_run(run))
    }

    /// One run by its job id.
    pub fn find_run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        on_backend!(self, s => s.find_run(id))
    }

    /// A sync's runs, newest first.
    pub fn list_runs(
        &self,
        sync_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RunRecord>, StoreError> {
        on_backend!(self, s => s.list_runs(sync_id, limit))
    }
}

/// The state location: `DO_ENVSYNC_STATE` when set and non-empty (a path or a
/// PostgreSQL URL), else `<user data dir>/do-envsync/state.db`.
pub fn default_location() -> Result<Location, StoreError> {
    if let Some(p) = std::env::var_os(STATE_ENV_VAR).filter(|p| !p.is_empty()) {
        return Location::from_path(Path::new(&p));
    }
    let base = dirs::data_dir().ok_or(StoreError::NoDataDir)?;
    Ok(Location::Path(base.join("do-envsync").join("state.db")))
}
