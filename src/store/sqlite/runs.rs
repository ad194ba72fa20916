//! Run rows in SQLite.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::super::runs::{names, names_json};
use super::super::{from_micros, RunKind, RunRecord, StoreError};
use super::SqliteStore;

const COLUMNS: &str = "id, sync_id, sync_name, kind, status, message, deployment_id, created, updated, deleted, requests, started_at, finished_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let kind = RunKind::parse(&row.get::<_, String>(3)?).unwrap_or(RunKind::Sync);
    Ok(RunRecord {
        id: row.get(0)?,
        sync_id: row.get(1)?,
        sync_name: row.get(2)?,
        kind,
        status: row.get(4)?,
        message: row.get(5)?,
        deployment_id: row.get(6)?,
        created: names(row.get(7)?),
        updated: names(row.get(8)?),
        deleted: names(row.get(9)?),
        requests: row.get(10)?,
        started_at: from_micros(row.get(11)?),
        finished_at: row.get::<_, Option<i64>>(12)?.map(from_micros),
    })
}

impl SqliteStore {
    /// Records a new run and makes it the sync's latest run of its kind. False when
    /// the sync no longer exists (nothing is written then).
    pub fn begin_run(&self, run: &RunRecord) -> Result<bool, StoreError> {
        let (status_col, job_col, message_col, _) = run.kind.columns();
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql())?;
        let n = tx
            .execute(
                &format!(
                    "UPDATE syncs SET {status_col} = ?2, {job_col} = ?3, {message_col} = NULL WHERE id = ?1"
                ),
                params![run.sync_id, run.status, run.id],
            )
            .map_err(self.sql())?;
        if n == 0 {
            return Ok(false);
        }
        tx.execute(
            &format!("INSERT INTO sync_runs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
            params![
                run.id,
                run.sync_id,
                run.sync_name,
                run.kind.as_str(),
                run.status,
                run.message,
                run.deployment_id,
                names_json(&run.created),
                names_json(&run.updated),
                names_json(&run.deleted),
                run.requests,
                run.started_at.timestamp_micros(),
                run.finished_at.map(|t| t.timestamp_micros()),
            ],
        )
        .map_err(self.sql())?;
        tx.commit().map_err(self.sql())?;
        Ok(true)
    }

    /// Writes a run's current status and results, and mirrors status and message on
    /// the sync while this run is still its latest of the kind (a success also sets
    /// the sync's last-succeeded time).
    pub fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let (status_col, job_col, message_col, at_col) = run.kind.columns();
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql())?;
        tx.execute(
            "UPDATE sync_runs SET status = ?2, message = ?3, deployment_id = ?4, created = ?5,
             updated = ?6, deleted = ?7, requests = ?8, finished_at = ?9 WHERE id = ?1",
            params![
                run.id,
                run.status,
                run.message,
                run.deployment_id,
                names_json(&run.created),
                names_json(&run.updated),
                names_json(&run.deleted),
                run.requests,
                run.finished_at.map(|t| t.timestamp_micros()),
            ],
        )
        .map_err(self.sql())?;
        let succeeded_at = (run.status == "succeeded")
            .then_some(run.finished_at)
            .flatten()
            .map(|t| t.timestamp_micros());
        tx.execute(
            &format!(
                "UPDATE syncs SET {status_col} = ?3, {message_col} = ?4, {at_col} = COALESCE(?5, {at_col})
                 WHERE id = ?1 AND {job_col} = ?2"
            ),
            params![run.sync_id, run.id, run.status, run.message, succeeded_at],
        )
        .map_err(self.sql())?;
        tx.commit().map_err(self.sql())
    }

    /// One run by its job id.
    pub fn find_run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM sync_runs WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()
        .map_err(self.sql())
    }

    /// A sync's runs, newest first.
    pub fn list_runs(
        &self,
        sync_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM sync_runs WHERE sync_id = ?1
             ORDER BY started_at DESC, rowid DESC LIMIT ?2"
        );
        self.rows(&conn, &sql, params![sync_id, limit], from_row)
    }
}
