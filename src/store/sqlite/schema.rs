//! Schema migrations of the state database, applied in order and recorded in
//! `schema_migrations`.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::super::StoreError;

/// Migrations by version; each runs once, inside the migrating transaction.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE apps (
        app_id TEXT PRIMARY KEY NOT NULL,
        first_saved_at INTEGER NOT NULL
    );
    -- One row per (app, target, key) the sync wrote or adopted. No plaintext:
    -- fingerprint is an HMAC, ev the ciphertext DigitalOcean returned.
    CREATE TABLE env_state (
        app_id TEXT NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),
        ev TEXT CHECK (ev IS NULL OR ev LIKE 'EV[%]'),
        var_type TEXT NOT NULL CHECK (var_type IN ('GENERAL', 'SECRET')),
        scope TEXT NOT NULL CHECK (scope IN ('RUN_TIME', 'BUILD_TIME', 'RUN_AND_BUILD_TIME', 'UNSET')),
        origin TEXT NOT NULL CHECK (origin IN ('created', 'adopted')),
        original TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (app_id, target, key)
    ) WITHOUT ROWID;",
    ),
    (
        2,
        "-- Control plane: connections (tokens sealed with the master key), syncs and their runs.
    CREATE TABLE control_meta (
        name TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    );
    CREATE TABLE connections (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        base_url TEXT NOT NULL,
        -- AES-256-GCM: version byte, 96-bit nonce, ciphertext and tag; the id is the AAD.
        token_sealed BLOB NOT NULL,
        credentials_hash TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE syncs (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        connection_id TEXT NOT NULL REFERENCES connections (id),
        app_id TEXT NOT NULL,
        app_name TEXT NOT NULL,
        source_public TEXT NOT NULL,
        source_secret BLOB,
        options TEXT NOT NULL,
        secret_path TEXT,
        is_enabled INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sync_status TEXT,
        last_sync_job_id TEXT,
        last_sync_message TEXT,
        last_synced_at INTEGER,
        remove_status TEXT,
        last_remove_job_id TEXT,
        last_remove_message TEXT,
        last_removed_at INTEGER
    );
    CREATE INDEX syncs_by_connection ON syncs (connection_id);
    CREATE INDEX syncs_by_app ON syncs (app_id);
    CREATE TABLE sync_runs (
        id TEXT PRIMARY KEY NOT NULL,
        sync_id TEXT NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
        sync_name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('sync', 'remove')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        message TEXT,
        deployment_id TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        deleted TEXT NOT NULL,
        requests INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER
    );
    CREATE INDEX sync_runs_by_sync ON sync_runs (sync_id, started_at);",
    ),
    (
        3,
        "-- The deployment the latest PUT of a sync started: a sync supersedes its own
    -- deployment in flight without waiting for it (if_deploying).
    ALTER TABLE apps ADD COLUMN last_deployment_id TEXT;",
    ),
    (4, super::notify::MIGRATION),
    (
        5,
        "-- API keys of `do-envsync serve`: a hash of each key, never the key.
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL UNIQUE,
        key_hash TEXT NOT NULL CHECK (length(key_hash) = 64),
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
    );",
    ),
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub(super) fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )
}

/// Bring the database to [`SCHEMA_VERSION`]. `BEGIN IMMEDIATE` makes concurrent
/// openers migrate one at a time; the later ones find nothing to do.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sql = |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY NOT NULL,
            applied_at INTEGER NOT NULL
        )",
    )
    .map_err(sql)?;
    let found = current_version(&tx).map_err(sql)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            location: path.display().to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let now = crate::sync::state::now_micros().timestamp_micros();
    for (version, script) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.execute_batch(script).map_err(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, now],
        )
        .map_err(sql)?;
    }
    tx.commit().map_err(sql)
}
