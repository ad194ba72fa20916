//! Notification targets and deliveries in PostgreSQL (as `sqlite::notify`).

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use super::super::notify::{DeliveryRecord, NotifyTargetRecord};
use super::super::{from_micros, StoreError};
use super::PgStore;

/// The tables of this module, applied as one migration (its number is set in `schema`).
pub(super) const MIGRATION: &str = "CREATE TABLE notify_targets (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('webhook', 'slack')),
        -- NULL: a store default, used by every sync.
        sync_id TEXT REFERENCES syncs (id) ON DELETE CASCADE,
        -- scheme://host/... only; the full URL (and signing secret) is in `sealed`.
        url_masked TEXT NOT NULL,
        sealed BYTEA NOT NULL,
        events TEXT NOT NULL,
        dedup_interval_secs BIGINT NOT NULL CHECK (dedup_interval_secs >= 0),
        is_enabled BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE INDEX notify_targets_by_sync ON notify_targets (sync_id);
    CREATE TABLE notify_deliveries (
        seq BIGSERIAL,
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
        sync_id TEXT NOT NULL,
        target_id TEXT NOT NULL REFERENCES notify_targets (id) ON DELETE CASCADE,
        target_name TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'deduplicated', 'abandoned')),
        attempts BIGINT NOT NULL,
        last_error TEXT,
        dedup_key TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE INDEX notify_deliveries_by_run ON notify_deliveries (run_id);
    CREATE INDEX notify_deliveries_by_target ON notify_deliveries (target_id, sync_id, created_at);";

const TARGET_SELECT: &str =
    "SELECT t.id, t.name, t.kind, t.sync_id, s.name, t.url_masked, t.sealed,
    t.events, t.dedup_interval_secs, t.is_enabled, t.created_at, t.updated_at
    FROM notify_targets t LEFT JOIN syncs s ON s.id = t.sync_id";

fn target_from_row(row: &Row) -> NotifyTargetRecord {
    NotifyTargetRecord {
        id: row.get(0),
        name: row.get(1),
        kind: row.get(2),
        sync_id: row.get(3),
        sync_name: row.get(4),
        url_masked: row.get(5),
        sealed: row.get(6),
        events: row.get(7),
        dedup_interval_secs: row.get(8),
        is_enabled: row.get(9),
        created_at: from_micros(row.get(10)),
        updated_at: from_micros(row.get(11)),
    }
}

const DELIVERY_COLUMNS: &str = "id, run_id, sync_id, target_id, target_name, event, status, attempts, last_error, dedup_key, created_at, updated_at";

fn delivery_from_row(row: &Row) -> DeliveryRecord {
    DeliveryRecord {
        id: row.get(0),
        run_id: row.get(1),
        sync_id: row.get(2),
        target_id: row.get(3),
        target_name: row.get(4),
        event: row.get(5),
        status: row.get(6),
        attempts: u32::try_from(row.get::<_, i64>(7)).unwrap_or(u32::MAX),
        last_error: row.get(8),
        dedup_key: row.get(9),
        created_at: from_micros(row.get(10)),
        updated_at: from_micros(row.get(11)),
    }
}

impl PgStore {
    pub fn insert_notify_target(&self, t: &NotifyTargetRecord) -> Result<(), StoreError> {
        self.execute_named(
            "INSERT INTO notify_targets (id, name, kind, sync_id, url_masked, sealed, events,
             dedup_interval_secs, is_enabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &t.id,
                &t.name,
                &t.kind,
                &t.sync_id,
                &t.url_masked,
                &t.sealed,
                &t.events,
                &t.dedup_interval_secs,
                &t.is_enabled,
                &t.created_at.timestamp_micros(),
                &t.updated_at.timestamp_micros(),
            ],
            "notification target",
            &t.name,
        )?;
        Ok(())
    }

    pub fn update_notify_target(&self, t: &NotifyTargetRecord) -> Result<bool, StoreError> {
        let n = self.execute_named(
            "UPDATE notify_targets SET name = $2, kind = $3, sync_id = $4, url_masked = $5,
             sealed = $6, events = $7, dedup_interval_secs = $8, is_enabled = $9, updated_at = $10
             WHERE id = $1",
            &[
                &t.id,
                &t.name,
                &t.kind,
                &t.sync_id,
                &t.url_masked,
                &t.sealed,
                &t.events,
                &t.dedup_interval_secs,
                &t.is_enabled,
                &t.updated_at.timestamp_micros(),
            ],
            "notification target",
            &t.name,
        )?;
        Ok(n == 1)
    }

    pub fn find_notify_target(
        &self,
        id_or_name: &str,
    ) -> Result<Option<NotifyTargetRecord>, StoreError> {
        let sql = format!(
            "{TARGET_SELECT} WHERE t.id = $1 OR t.name = $1 ORDER BY t.id = $1 DESC LIMIT 1"
        );
        Ok(self
            .query_opt(&sql, &[&id_or_name])?
            .as_ref()
            .map(target_from_row))
    }

    pub fn list_notify_targets(&self) -> Result<Vec<NotifyTargetRecord>, StoreError> {
        let sql = format!("{TARGET_SELECT} ORDER BY t.name");
        Ok(self.query(&sql, &[])?.iter().map(target_from_row).collect())
    }

    pub fn notify_targets_for(&self, sync_id: &str) -> Result<Vec<NotifyTargetRecord>, StoreError> {
        let sql = format!(
            "{TARGET_SELECT} WHERE t.is_enabled AND (t.sync_id IS NULL OR t.sync_id = $1) ORDER BY t.name"
        );
        Ok(self
            .query(&sql, &[&sync_id])?
            .iter()
            .map(target_from_row)
            .collect())
    }

    pub fn delete_notify_target(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.execute("DELETE FROM notify_targets WHERE id = $1", &[&id])? == 1)
    }

    pub fn insert_delivery(&self, d: &DeliveryRecord) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO notify_deliveries ({DELIVERY_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        self.execute(
            &sql,
            &[
                &d.id,
                &d.run_id,
                &d.sync_id,
                &d.target_id,
                &d.target_name,
                &d.event,
                &d.status,
                &i64::from(d.attempts),
                &d.last_error,
                &d.dedup_key,
                &d.created_at.timestamp_micros(),
                &d.updated_at.timestamp_micros(),
            ],
        )?;
        Ok(())
    }

    pub fn save_delivery(&self, d: &DeliveryRecord) -> Result<(), StoreError> {
        self.execute(
            "UPDATE notify_deliveries SET status = $2, attempts = $3, last_error = $4, updated_at = $5
             WHERE id = $1",
            &[
                &d.id,
                &d.status,
                &i64::from(d.attempts),
                &d.last_error,
                &d.updated_at.timestamp_micros(),
            ],
        )?;
        Ok(())
    }

    pub fn last_delivery_with_key(
        &self,
        target_id: &str,
        sync_id: &str,
        dedup_key: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = self.query_opt(
            "SELECT MAX(created_at) FROM notify_deliveries
             WHERE target_id = $1 AND sync_id = $2 AND dedup_key = $3 AND status <> 'deduplicated'",
            &[&target_id, &sync_id, &dedup_key],
        )?;
        Ok(row
            .and_then(|r| r.get::<_, Option<i64>>(0))
            .map(from_micros))
    }

    pub fn list_deliveries(
        &self,
        run_id: Option<&str>,
        sync_id: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let limit = limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM notify_deliveries
             WHERE ($1::TEXT IS NULL OR run_id = $1) AND ($2::TEXT IS NULL OR sync_id = $2)
             ORDER BY created_at DESC, seq DESC LIMIT $3"
        );
        Ok(self
            .query(&sql, &[&run_id, &sync_id, &limit])?
            .iter()
            .map(delivery_from_row)
            .collect())
    }

    pub fn abandon_deliveries(&self, ids: &[String]) -> Result<(), StoreError> {
        let now = crate::sync::state::now_micros().timestamp_micros();
        // One statement for the batch: the process is stopping.
        self.execute(
            "UPDATE notify_deliveries SET status = 'abandoned', updated_at = $2,
             last_error = COALESCE(last_error || '; ', '') || 'the process stopped before delivery ended'
             WHERE id = ANY($1) AND status = 'pending'",
            &[&ids, &now],
        )?;
        Ok(())
    }
}
