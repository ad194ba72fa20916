//! The per-app sync lock with PostgreSQL: a session-level advisory lock taken on a
//! pooled connection that the guard keeps until it is dropped.
//!
//! Why an advisory lock: it excludes across machines, and the server releases it when
//! the holding session ends, so a crashed or killed holder never leaves a stale lock.
//! The holder (host, pid, time) is written to `app_lock_holders` for the timeout message.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Object;
use sha2::{Digest, Sha256};

use super::{Shared, StoreError};

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_millis(50);
/// The first pause when the lock is taken (doubling up to [`MAX_BACKOFF`]).
const FIRST_BACKOFF: Duration = Duration::from_millis(2);

/// Proof of holding an app's sync lock; dropping it releases the lock.
pub struct PgLock {
    app_id: String,
    key: i64,
    client: Option<Object>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PgLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLock")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl PgLock {
    pub fn app_id(&self) -> &str {
        &self.app_id
    }
}

impl Drop for PgLock {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let key = self.key;
        let shared = self.shared.clone();
        // Unlock without blocking the dropping thread; a connection that cannot be
        // unlocked is closed instead of going back to the pool (closing releases it).
        shared.rt.get().spawn(async move {
            let unlocked = client
                .query_one("SELECT pg_advisory_unlock($1)", &[&key])
                .await
                .map(|row| row.get::<_, bool>(0))
                .unwrap_or(false);
            if !unlocked {
                drop(Object::take(client));
            }
        });
    }
}

/// The advisory lock key of an app: 64 bits of SHA-256 of a prefixed id.
fn lock_key(app_id: &str) -> i64 {
    let digest = Sha256::digest(format!("do-envsync app lock\0{app_id}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// This machine's name, for the holder line.
fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    "unknown host".to_owned()
}

pub(super) fn acquire(
    shared: &Arc<Shared>,
    app_id: &str,
    timeout: Duration,
) -> Result<PgLock, StoreError> {
    let key = lock_key(app_id);
    shared.rt.block(async {
        let started = Instant::now();
        let client =
            match tokio::time::timeout(timeout.max(Duration::from_secs(1)), shared.lock_client())
                .await
            {
                Ok(client) => client?,
                Err(_) => {
                    return Err(StoreError::LockTimeout {
                        app_id: app_id.to_owned(),
                        waited: started.elapsed(),
                        holder: Some(format!(
                            "{} other locks held by this process",
                            super::LOCK_POOL_SIZE
                        )),
                    })
                }
            };
        let mut backoff = FIRST_BACKOFF;
        loop {
            shared.trip();
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(shared.err())?
                .get(0);
            if got {
                break;
            }
            let waited = started.elapsed();
            if backoff == FIRST_BACKOFF {
                // Once per wait: a sync of this app on some machine holds it.
                tracing::info!(
                    app_id,
                    timeout_s = timeout.as_secs_f64(),
                    "waiting for the sync lock"
                );
            }
            if waited >= timeout {
                shared.trip();
                let holder = client
                    .query_opt(
                        "SELECT holder FROM app_lock_holders WHERE app_id = $1",
                        &[&app_id],
                    )
                    .await
                    .ok()
                    .flatten()
                    .map(|row| row.get::<_, String>(0));
                return Err(StoreError::LockTimeout {
                    app_id: app_id.to_owned(),
                    waited,
                    holder,
                });
            }
            tokio::time::sleep(backoff.min(timeout - waited)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        let holder = format!(
            "host {} pid {} since {}",
            host_name(),
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        // Diagnostics only: a failure to record the holder does not matter.
        shared.trip();
        let _ = client
            .execute(
                "INSERT INTO app_lock_holders (app_id, holder) VALUES ($1, $2)
                 ON CONFLICT (app_id) DO UPDATE SET holder = excluded.holder",
                &[&app_id, &holder],
            )
            .await;
        Ok(PgLock {
            app_id: app_id.to_owned(),
            key,
            client: Some(client),
            shared: shared.clone(),
        })
    })
}
