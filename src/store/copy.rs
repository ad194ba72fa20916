//! `state copy`: moves everything a store holds to another store, in either direction
//! (SQLite to PostgreSQL when a team outgrows one machine, and back).
//!
//! Sealed tokens and source secrets are re-sealed when the two stores' master keys
//! differ; the fingerprint key goes with the records (the target adopts the source's),
//! so the first sync after a copy matches every record and changes nothing. The target
//! must be empty: a copy never merges two histories.

use thiserror::Error;

use super::crypto::{CryptoError, MasterKey};
use super::{Store, StoreError, SyncRecord};

#[derive(Debug, Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("the target state {location} is not empty ({what}); a copy only fills an empty store")]
    NotEmpty {
        location: String,
        what: &'static str,
    },
    #[error("the source and the target are the same state database")]
    SameStore,
}

/// What a copy moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub connections: usize,
    pub syncs: usize,
    pub runs: usize,
    pub apps: usize,
    pub records: usize,
    pub notify_targets: usize,
    pub deliveries: usize,
    pub api_keys: usize,
}

/// Apps read per batch (one round trip each with PostgreSQL).
const BATCH: usize = 200;

/// Copies connections, syncs, runs, state records and the fingerprint key from `from`
/// into the empty store `to`.
pub fn copy(from: &Store, to: &Store) -> Result<CopyReport, CopyError> {
    if from.location() == to.location() {
        return Err(CopyError::SameStore);
    }
    let not_empty = |what| CopyError::NotEmpty {
        location: to.location(),
        what,
    };
    if !to.apps()?.is_empty() {
        return Err(not_empty("it has state records"));
    }
    if !to.list_connections()?.is_empty() {
        return Err(not_empty("it has connections"));
    }
    let connections = from.list_connections()?;
    let syncs = from.list_syncs()?;
    let targets = from.list_notify_targets()?;
    let mut report = CopyReport::default();
    // Keys only when there is sealed data to carry over.
    let keys: Option<(MasterKey, MasterKey)> =
        if from.has_master_key_check()? && !(connections.is_empty() && targets.is_empty()) {
            let src = from.master_key(false)?;
            let dst = to.master_key(!to.has_master_key_check()?)?;
            let stored = to.master_key_check(dst.check_value())?;
            if stored != dst.check_value() {
                return Err(CryptoError::WrongKey {
                    origin: dst.origin().to_string(),
                }
                .into());
            }
            Some((src, dst))
        } else {
            None
        };
    let reseal = |sealed: &[u8], aad: &str, what: &str| -> Result<Vec<u8>, CopyError> {
        match &keys {
            Some((src, dst)) if src.check_value() != dst.check_value() => {
                Ok(dst.seal(&src.open(sealed, aad, what)?, aad))
            }
            _ => Ok(sealed.to_vec()),
        }
    };
    to.adopt_fingerprint_key(from.fingerprint_key())?;
    for c in &connections {
        let mut c = c.clone();
        c.token_sealed = reseal(
            &c.token_sealed,
            &c.id,
            &format!("the token of connection {:?}", c.name),
        )?;
        to.insert_connection(&c)?;
        report.connections += 1;
    }
    for s in &syncs {
        let mut rec: SyncRecord = s.clone();
        rec.source_secret = rec
            .source_secret
            .as_deref()
            .map(|b| reseal(b, &rec.id, &format!("the source of sync {:?}", rec.name)))
            .transpose()?;
        to.insert_sync(&rec, |_: &[SyncRecord]| Ok::<(), StoreError>(()))?;
        report.syncs += 1;
        // Oldest first, so the sync's latest runs end as its status (as they were).
        let mut runs = from.list_runs(&s.id, None)?;
        runs.reverse();
        for run in &runs {
            to.begin_run(run)?;
            to.save_run(run)?;
            report.runs += 1;
        }
    }
    // Targets after the syncs they belong to, deliveries after the runs they report.
    for t in &targets {
        let mut t = t.clone();
        t.sealed = reseal(
            &t.sealed,
            &t.id,
            &format!("the notification target {:?}", t.name),
        )?;
        to.insert_notify_target(&t)?;
        report.notify_targets += 1;
    }
    let mut deliveries = from.list_deliveries(None, None, None)?;
    deliveries.reverse();
    for d in &deliveries {
        to.insert_delivery(d)?;
        report.deliveries += 1;
    }
    // Only hashes: nothing to re-seal.
    for k in from.list_api_keys()? {
        to.insert_api_key(&k)?;
        report.api_keys += 1;
    }
    let apps = from.apps()?;
    for chunk in apps.chunks(BATCH) {
        let states = from.load_states(chunk)?;
        for (app_id, records) in chunk.iter().zip(states) {
            to.save_state(app_id, &records)?;
            if let Some(dep) = from.last_deployment(app_id)? {
                to.record_deployment(app_id, &dep)?;
            }
            report.apps += 1;
            report.records += records.len();
        }
    }
    Ok(report)
}
