//! The per-app sync lock: an exclusive OS file lock (flock on Unix, LockFileEx on
//! Windows) on `<state>.locks/<app>.lock`.
//!
//! Why a file lock rather than a row in the database: the OS releases it when the
//! holding process exits or is killed, so a crashed sync never leaves a stale lock
//! and no pid-liveness guessing or heartbeat is needed. Each acquisition opens its
//! own file description, so the lock also excludes other threads of the same
//! process. Lock files are never deleted: deleting one while another process waits
//! on it would let two holders lock different files.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::super::{io_err, StoreError};

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_millis(50);
/// The first pause when the lock is taken (doubling up to [`MAX_BACKOFF`]).
const FIRST_BACKOFF: Duration = Duration::from_millis(2);

/// Proof of holding an app's sync lock; dropping it releases the lock.
#[derive(Debug)]
pub struct AppLock {
    app_id: String,
    path: PathBuf,
    file: File,
}

impl AppLock {
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for AppLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first is explicit.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// A file name for the app's lock: the id itself when it is plainly safe, else a hash.
fn lock_file_name(app_id: &str) -> String {
    let plain = app_id.len() <= 128
        && app_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        format!("{app_id}.lock")
    } else {
        format!(
            "sha256-{}.lock",
            hex::encode(Sha256::digest(app_id.as_bytes()))
        )
    }
}

/// Who holds the lock, as the holder wrote it (diagnostics only).
fn read_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(256).read_to_string(&mut text).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

pub(super) fn acquire(
    lock_dir: &Path,
    app_id: &str,
    timeout: Duration,
) -> Result<AppLock, StoreError> {
    let path = lock_dir.join(lock_file_name(app_id));
    // Never through a link, never truncated on open, only a file of ours that nobody
    // else can write: the holder line below is written into it.
    let mut file = super::super::files::open_private_rw("lock file", &path)?;
    let started = Instant::now();
    let mut backoff = FIRST_BACKOFF;
    loop {
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => break,
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
        }
        let waited = started.elapsed();
        if backoff == FIRST_BACKOFF {
            // Once per wait: another sync of this app (here or in another process) holds it.
            tracing::info!(
                app_id,
                timeout_s = timeout.as_secs_f64(),
                "waiting for the sync lock"
            );
        }
        if waited >= timeout {
            return Err(StoreError::LockTimeout {
                app_id: app_id.to_owned(),
                waited,
                holder: read_holder(&mut file),
            });
        }
        std::thread::sleep(backoff.min(timeout - waited));
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    let holder = format!(
        "pid {} since {}",
        std::process::id(),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    // Diagnostics only: a failure to record the holder does not matter.
    let _ = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(holder.as_bytes()));
    Ok(AppLock {
        app_id: app_id.to_owned(),
        path,
        file,
    })
}
