//! The PostgreSQL backend: one database shared by many machines (CI runners,
//! several `watch` processes, laptops), as Terraform's `pg` backend shares its state.
//!
//! - Tables mirror the SQLite ones (one module per table family: [`connections`],
//!   [`syncs`], [`runs`], state here), with their own migration list ([`schema`]).
//! - The per-app sync lock is a session-level advisory lock on a pooled connection
//!   held by the guard ([`lock`]); the server releases it when a holder dies.
//! - The master key must come from `DO_ENVSYNC_MASTER_KEY` (no key file can be shared
//!   by machines); the fingerprint key is random, sealed in the database under it,
//!   so a record written on one machine matches on the next.
//! - Calls block the caller on a small private tokio runtime, so the store stays a
//!   synchronous API (as with SQLite) whatever thread calls it.

mod api_keys;
mod connections;
mod lock;
mod notify;
mod runs;
mod schema;
mod statement;
mod syncs;
mod tls;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::runtime::Runtime;

use super::crypto::{MasterKey, MASTER_KEY_ENV};
use super::location::PgUrl;
use super::records::origin_columns;
use super::{RawRecord, StateRecord, StoreError};
use crate::sync::fingerprint::FINGERPRINT_KEY_LEN;
pub use lock::PgLock;
pub use schema::PG_SCHEMA_VERSION;

/// Connections per process for statements (each is held for one statement or transaction).
const POOL_SIZE: usize = 8;
/// Connections per process for held app locks: a separate pool, so that syncs holding
/// their locks never starve the statements they still have to run (a fleet runs many).
const LOCK_POOL_SIZE: usize = 64;
/// How long opening a connection (TCP, TLS, authentication) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The sealed fingerprint key's AAD and meta row name.
const FINGERPRINT_KEY_NAME: &str = "fingerprint_key";

/// The runtime the driver's futures run on; shut down without blocking when the
/// last user goes (dropping a runtime inside an async context would panic).
struct Rt(Option<Runtime>);

impl Drop for Rt {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Rt {
    fn get(&self) -> &Runtime {
        self.0.as_ref().expect("the runtime lives until drop")
    }

    /// Runs `fut` to completion on this runtime from any thread: directly outside
    /// async code, else on a scoped helper thread (a runtime cannot block a thread
    /// that is already driving one).
    fn block<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let rt = self.get();
        if tokio::runtime::Handle::try_current().is_err() {
            return rt.block_on(fut);
        }
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(fut))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// What the store and its lock guards share.
struct Shared {
    rt: Rt,
    pool: Pool,
    lock_pool: Pool,
    location: String,
    round_trips: AtomicU64,
}

impl Shared {
    fn err(&self) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
        move |e| StoreError::Postgres {
            location: self.location.clone(),
            message: describe(&e),
        }
    }

    /// Counts one statement sent (the benchmarks prove batching with it).
    fn trip(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.checkout(&self.pool).await
    }

    /// A connection to hold an app lock on.
    async fn lock_client(&self) -> Result<Object, StoreError> {
        self.checkout(&self.lock_pool).await
    }

    async fn checkout(&self, pool: &Pool) -> Result<Object, StoreError> {
        pool.get().await.map_err(|e| StoreError::Postgres {
            location: self.location.clone(),
            message: match e {
                deadpool_postgres::PoolError::Backend(e) => describe(&e),
                deadpool_postgres::PoolError::Timeout(_) => {
                    format!("no connection within {}s", CONNECT_TIMEOUT.as_secs())
                }
                other => other.to_string(),
            },
        })
    }
}

/// One line for a driver error: the server's message with its SQLSTATE, or the
/// driver's description and its cause (neither ever holds the password).
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The PostgreSQL store.
pub struct PgStore {
    shared: Arc<Shared>,
    master: MasterKey,
    key: parking_lot::RwLock<[u8; FINGERPRINT_KEY_LEN]>,
}

impl PgStore {
    /// Connects, applies the migrations and loads (or creates) the shared
    /// fingerprint key. The master key is required first: nothing is written without it.
    pub fn open(url: PgUrl) -> Result<Self, StoreError> {
        Self::open_with_key(url, master_key_from_env()?)
    }

    /// As [`PgStore::open`], with the master key given.
    pub fn open_with_key(url: PgUrl, master: MasterKey) -> Result<Self, StoreError> {
        let location = url.redacted().to_owned();
        let (config, tls) = tls::configure(&url)?;
        let manager = || match &tls {
            Some(tls) => Manager::from_config(config.clone(), tls.clone(), manager_config()),
            None => Manager::from_config(config.clone(), tokio_postgres::NoTls, manager_config()),
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("do-envsync-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Postgres {
                location: location.clone(),
                message: format!("cannot start the driver's runtime: {e}"),
            })?;
        let pool = |size: usize, wait: Option<Duration>| {
            Pool::builder(manager())
                .max_size(size)
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .create_timeout(Some(CONNECT_TIMEOUT))
                .wait_timeout(wait)
                .build()
                .map_err(|e| StoreError::Postgres {
                    location: location.clone(),
                    message: e.to_string(),
                })
        };
        let statements = pool(POOL_SIZE, Some(CONNECT_TIMEOUT * 3))?;
        // Waiting for a lock connection is waiting for the lock: bounded by its timeout.
        let locks = pool(LOCK_POOL_SIZE, None)?;
        let shared = Arc::new(Shared {
            rt: Rt(Some(rt)),
            pool: statements,
            lock_pool: locks,
            location,
            round_trips: AtomicU64::new(0),
        });
        let key = shared.rt.block(async {
            let mut client = shared.client().await?;
            schema::migrate(&shared, &mut client).await?;
            load_or_create_key(&shared, &client, &master).await
        })?;
        Ok(Self {
            shared,
            master,
            key: parking_lot::RwLock::new(key),
        })
    }

    pub fn location(&self) -> &str {
        &self.shared.location
    }

    pub fn master_key(&self) -> &MasterKey {
        &self.master
    }

    pub fn fingerprint_key(&self) -> [u8; FINGERPRINT_KEY_LEN] {
        *self.key.read()
    }

    /// Replaces the shared fingerprint key (`state copy` brings the source's).
    pub fn adopt_fingerprint_key(&self, key: [u8; FINGERPRINT_KEY_LEN]) -> Result<(), StoreError> {
        let sealed = hex::encode(self.master.seal(&key, FINGERPRINT_KEY_NAME));
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client
                .execute(
                    "UPDATE control_meta SET value = $2 WHERE name = $1",
                    &[&FINGERPRINT_KEY_NAME, &sealed],
                )
                .await
                .map_err(self.err())
        })?;
        *self.key.write() = key;
        Ok(())
    }

    pub fn round_trips(&self) -> u64 {
        self.shared.round_trips.load(Ordering::Relaxed)
    }

    fn block<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        self.shared.rt.block(fut)
    }

    fn err(&self) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
        self.shared.err()
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            schema::current_version(&self.shared, &client).await
        })
    }

    pub fn master_key_check(&self, check: &str) -> Result<String, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let row = client
                .query_one(
                    "WITH ins AS (
                         INSERT INTO control_meta (name, value) VALUES ('master_key_check', $1)
                         ON CONFLICT (name) DO NOTHING RETURNING value)
                     SELECT value FROM ins
                     UNION ALL SELECT value FROM control_meta WHERE name = 'master_key_check'
                     LIMIT 1",
                    &[&check],
                )
                .await
                .map_err(self.err())?;
            Ok(row.get(0))
        })
    }

    pub fn has_master_key_check(&self) -> Result<bool, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let row = client
                .query_opt(
                    "SELECT 1 FROM control_meta WHERE name = 'master_key_check'",
                    &[],
                )
                .await
                .map_err(self.err())?;
            Ok(row.is_some())
        })
    }

    pub fn lock_app(&self, app_id: &str, timeout: Duration) -> Result<PgLock, StoreError> {
        lock::acquire(&self.shared, app_id, timeout)
    }

    /// Every app's records in one statement (one round trip per batch).
    pub fn load_states(&self, app_ids: &[String]) -> Result<Vec<Vec<StateRecord>>, StoreError> {
        let rows = self.block(async {
            let client = self.shared.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT app_id, target, key, fingerprint, ev, var_type, scope, origin, original,
                     updated_at FROM env_state WHERE app_id = ANY($1) ORDER BY app_id, target, key",
                )
                .await
                .map_err(self.err())?;
            self.shared.trip();
            client.query(&stmt, &[&app_ids]).await.map_err(self.err())
        })?;
        let mut by_app: std::collections::HashMap<String, Vec<StateRecord>> =
            std::collections::HashMap::new();
        for row in rows {
            let app_id: String = row.get(0);
            let raw = RawRecord {
                target: row.get(1),
                key: row.get(2),
                fingerprint: row.get(3),
                ev: row.get(4),
                var_type: row.get(5),
                scope: row.get(6),
                origin: row.get(7),
                original: row.get(8),
                updated_at: row.get(9),
            };
            let record = raw.decode(&app_id)?;
            by_app.entry(app_id).or_default().push(record);
        }
        Ok(app_ids
            .iter()
            .map(|id| by_app.remove(id).unwrap_or_default())
            .collect())
    }

    /// Replaces the app's state in one transaction (as the SQLite backend does).
    pub fn save_state(&self, app_id: &str, records: &[StateRecord]) -> Result<(), StoreError> {
        self.block(async {
            let mut client = self.shared.client().await?;
            let tx = client.transaction().await.map_err(self.err())?;
            let now = crate::sync::state::now_micros().timestamp_micros();
            self.shared.trip();
            tx.execute(
                "INSERT INTO apps (app_id, first_saved_at) VALUES ($1, $2)
                 ON CONFLICT (app_id) DO NOTHING",
                &[&app_id, &now],
            )
            .await
            .map_err(self.err())?;
            self.shared.trip();
            tx.execute("DELETE FROM env_state WHERE app_id = $1", &[&app_id])
                .await
                .map_err(self.err())?;
            // One statement for all rows: arrays unnested server side.
            let mut cols: [Vec<Option<String>>; 8] = Default::default();
            let mut times = Vec::with_capacity(records.len());
            for r in records {
                let (origin, original) = origin_columns(&r.origin);
                let values = [
                    Some(r.target.clone()),
                    Some(r.key.clone()),
                    Some(r.fingerprint.clone()),
                    r.ev.clone(),
                    Some(r.var_type.as_str().to_owned()),
                    Some(r.scope.as_str().to_owned()),
                    Some(origin.to_owned()),
                    original,
                ];
                for (col, v) in cols.iter_mut().zip(values) {
                    col.push(v);
                }
                times.push(r.updated_at.timestamp_micros());
            }
            if !records.is_empty() {
                self.shared.trip();
                tx.execute(
                    "INSERT INTO env_state
                     (app_id, target, key, fingerprint, ev, var_type, scope, origin, original, updated_at)
                     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[],
                                              $6::text[], $7::text[], $8::text[], $9::text[], $10::int8[])",
                    &[
                        &app_id, &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5],
                        &cols[6], &cols[7], &times,
                    ],
                )
                .await
                .map_err(self.err())?;
            }
            self.shared.trip();
            tx.commit().await.map_err(self.err())
        })
    }

    pub fn record_deployment(&self, app_id: &str, deployment_id: &str) -> Result<(), StoreError> {
        let now = crate::sync::state::now_micros().timestamp_micros();
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client
                .execute(
                    "INSERT INTO apps (app_id, first_saved_at, last_deployment_id) VALUES ($1, $2, $3)
                     ON CONFLICT (app_id) DO UPDATE SET last_deployment_id = excluded.last_deployment_id",
                    &[&app_id, &now, &deployment_id],
                )
                .await
                .map_err(self.err())?;
            Ok(())
        })
    }

    pub fn last_deployment(&self, app_id: &str) -> Result<Option<String>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let row = client
                .query_opt(
                    "SELECT last_deployment_id FROM apps WHERE app_id = $1",
                    &[&app_id],
                )
                .await
                .map_err(self.err())?;
            Ok(row.and_then(|r| r.get(0)))
        })
    }

    pub fn apps(&self) -> Result<Vec<String>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let rows = client
                .query("SELECT app_id FROM apps ORDER BY app_id", &[])
                .await
                .map_err(self.err())?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    pub fn forget_app(&self, app_id: &str) -> Result<bool, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let n = client
                .execute("DELETE FROM apps WHERE app_id = $1", &[&app_id])
                .await
                .map_err(self.err())?;
            Ok(n == 1)
        })
    }
}

fn manager_config() -> ManagerConfig {
    ManagerConfig {
        // A connection the server dropped is noticed and replaced on checkout.
        recycling_method: RecyclingMethod::Fast,
    }
}

/// The master key from `DO_ENVSYNC_MASTER_KEY`: required with PostgreSQL (every
/// machine must seal and open with the same key; no key file is shared).
fn master_key_from_env() -> Result<MasterKey, StoreError> {
    match std::env::var(MASTER_KEY_ENV) {
        Ok(text) if !text.trim().is_empty() => {
            MasterKey::parse_env(&text).map_err(|e| StoreError::MasterKeyRequired {
                problem: e.to_string(),
            })
        }
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(StoreError::MasterKeyRequired {
            problem: format!("{MASTER_KEY_ENV} is not set"),
        }),
        Err(std::env::VarError::NotUnicode(_)) => Err(StoreError::MasterKeyRequired {
            problem: format!("{MASTER_KEY_ENV} is not valid UTF-8"),
        }),
    }
}

/// The shared fingerprint key: created sealed by the first opener, read by the others.
async fn load_or_create_key(
    shared: &Shared,
    client: &Object,
    master: &MasterKey,
) -> Result<[u8; FINGERPRINT_KEY_LEN], StoreError> {
    let fresh: [u8; FINGERPRINT_KEY_LEN] = rand::random();
    let sealed = hex::encode(master.seal(&fresh, FINGERPRINT_KEY_NAME));
    shared.trip();
    client
        .execute(
            "INSERT INTO control_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&FINGERPRINT_KEY_NAME, &sealed],
        )
        .await
        .map_err(shared.err())?;
    shared.trip();
    let stored: String = client
        .query_one(
            "SELECT value FROM control_meta WHERE name = $1",
            &[&FINGERPRINT_KEY_NAME],
        )
        .await
        .map_err(shared.err())?
        .get(0);
    let wrong_key = || {
        StoreError::MasterKeyRequired {
        problem: format!(
            "the shared fingerprint key in {} was sealed with another master key (wrong {MASTER_KEY_ENV}?)",
            shared.location
        ),
    }
    };
    let bytes = hex::decode(stored).map_err(|_| wrong_key())?;
    let key = master
        .open(&bytes, FINGERPRINT_KEY_NAME, "the fingerprint key")
        .map_err(|_| wrong_key())?;
    key.try_into().map_err(|_| wrong_key())
}
