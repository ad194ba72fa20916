//! Migrations of the PostgreSQL state database: their own list (independent of the
//! SQLite one), applied in order on open under an advisory lock so that concurrent
//! openers migrate one at a time, and recorded in `schema_migrations`.

use deadpool_postgres::Object;

use super::{Shared, StoreError};

/// Migrations by version; each runs once, inside the migrating transaction. The
/// tables mirror the SQLite backend's (microsecond times as BIGINT).
const MIGRATIONS: &[(i64, &str)] = &[
    (
    1,
    "CREATE TABLE control_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE apps (
        app_id TEXT PRIMARY KEY,
        first_saved_at BIGINT NOT NULL,
        last_deployment_id TEXT
    );
    -- No plaintext: fingerprint is an HMAC, ev the ciphertext DigitalOcean returned.
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
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (app_id, target, key)
    );
    -- Who holds each app's advisory lock (diagnostics for LockTimeoutError only: the
    -- lock itself is the advisory lock, released by the server when its holder dies).
    CREATE TABLE app_lock_holders (
        app_id TEXT PRIMARY KEY,
        holder TEXT NOT NULL
    );
    CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        base_url TEXT NOT NULL,
        -- AES-256-GCM: version byte, 96-bit nonce, ciphertext and tag; the id is the AAD.
        token_sealed BYTEA NOT NULL,
        credentials_hash TEXT NOT NULL,
        version BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE TABLE syncs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        connection_id TEXT NOT NULL REFERENCES connections (id),
        app_id TEXT NOT NULL,
        app_name TEXT NOT NULL,
        source_public TEXT NOT NULL,
        source_secret BYTEA,
        options TEXT NOT NULL,
        secret_path TEXT,
        is_enabled BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        sync_status TEXT,
        last_sync_job_id TEXT,
        last_sync_message TEXT,
        last_synced_at BIGINT,
        remove_status TEXT,
        last_remove_job_id TEXT,
        last_remove_message TEXT,
        last_removed_at BIGINT
    );
    CREATE INDEX syncs_by_connection ON syncs (connection_id);
    CREATE INDEX syncs_by_app ON syncs (app_id);
    CREATE TABLE sync_runs (
        seq BIGSERIAL,
        id TEXT PRIMARY KEY,
        sync_id TEXT NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
        sync_name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('sync', 'remove')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        message TEXT,
        deployment_id TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        deleted TEXT NOT NULL,
        requests BIGINT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT
    );
    CREATE INDEX sync_runs_by_sync ON sync_runs (sync_id, started_at);",
    ),
    // Failure notifications (issue 17): targets and delivery records.
    (2, super::notify::MIGRATION),
    // API keys of `do-envsync serve` (issue 13): a hash of each key, never the key.
    (3, super::api_keys::MIGRATION),
];

/// The newest PostgreSQL schema version this build knows.
pub const PG_SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Advisory lock key that serializes migrations (transaction-scoped).
const MIGRATION_LOCK: i64 = 0x0064_6f65_6e76_0001;

pub(super) async fn current_version(shared: &Shared, client: &Object) -> Result<i64, StoreError> {
    shared.trip();
    let row = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(shared.err())?;
    Ok(row.get(0))
}

/// Bring the database to [`PG_SCHEMA_VERSION`]; a newer schema is refused.
pub(super) async fn migrate(shared: &Shared, client: &mut Object) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(shared.err())?;
    shared.trip();
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(shared.err())?;
    shared.trip();
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )
    .await
    .map_err(shared.err())?;
    shared.trip();
    let found: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(shared.err())?
        .get(0);
    if found > PG_SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            location: shared.location.clone(),
            found,
            supported: PG_SCHEMA_VERSION,
        });
    }
    let now = crate::sync::state::now_micros().timestamp_micros();
    for (version, script) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        shared.trip();
        tx.batch_execute(script).await.map_err(shared.err())?;
        shared.trip();
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &now],
        )
        .await
        .map_err(shared.err())?;
    }
    shared.trip();
    tx.commit().await.map_err(shared.err())
}
