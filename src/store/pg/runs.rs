//! Run rows in PostgreSQL (as `sqlite::runs`).

use tokio_postgres::Row;

use super::super::runs::{names, names_json};
use super::super::{from_micros, RunKind, RunRecord, StoreError};
use super::PgStore;

const COLUMNS: &str = "id, sync_id, sync_name, kind, status, message, deployment_id, created, updated, deleted, requests, started_at, finished_at";

fn from_row(row: &Row) -> RunRecord {
    RunRecord {
        id: row.get(0),
        sync_id: row.get(1),
        sync_name: row.get(2),
        kind: RunKind::parse(row.get(3)).unwrap_or(RunKind::Sync),
        status: row.get(4),
        message: row.get(5),
        deployment_id: row.get(6),
        created: names(row.get(7)),
        updated: names(row.get(8)),
        deleted: names(row.get(9)),
        requests: u32::try_from(row.get::<_, i64>(10)).unwrap_or(u32::MAX),
        started_at: from_micros(row.get(11)),
        finished_at: row.get::<_, Option<i64>>(12).map(from_micros),
    }
}

impl PgStore {
    pub fn begin_run(&self, run: &RunRecord) -> Result<bool, StoreError> {
        let (status_col, job_col, message_col, _) = run.kind.columns();
        self.block(async {
            let mut client = self.shared.client().await?;
            let tx = client.transaction().await.map_err(self.err())?;
            self.shared.trip();
            let n = tx
                .execute(
                    &format!(
                        "UPDATE syncs SET {status_col} = $2, {job_col} = $3, {message_col} = NULL WHERE id = $1"
                    ),
                    &[&run.sync_id, &run.status, &run.id],
                )
                .await
                .map_err(self.err())?;
            if n == 0 {
                return Ok(false);
            }
            self.shared.trip();
            tx.execute(
                &format!(
                    "INSERT INTO sync_runs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                ),
                &[
                    &run.id,
                    &run.sync_id,
                    &run.sync_name,
                    &run.kind.as_str(),
                    &run.status,
                    &run.message,
                    &run.deployment_id,
                    &names_json(&run.created),
                    &names_json(&run.updated),
                    &names_json(&run.deleted),
                    &i64::from(run.requests),
                    &run.started_at.timestamp_micros(),
                    &run.finished_at.map(|t| t.timestamp_micros()),
                ],
            )
            .await
            .map_err(self.err())?;
            self.shared.trip();
            tx.commit().await.map_err(self.err())?;
            Ok(true)
        })
    }

    pub fn save_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let (status_col, job_col, message_col, at_col) = run.kind.columns();
        let succeeded_at = (run.status == "succeeded")
            .then_some(run.finished_at)
            .flatten()
            .map(|t| t.timestamp_micros());
        self.block(async {
            let mut client = self.shared.client().await?;
            let tx = client.transaction().await.map_err(self.err())?;
            self.shared.trip();
            tx.execute(
                "UPDATE sync_runs SET status = $2, message = $3, deployment_id = $4, created = $5,
                 updated = $6, deleted = $7, requests = $8, finished_at = $9 WHERE id = $1",
                &[
                    &run.id,
                    &run.status,
                    &run.message,
                    &run.deployment_id,
                    &names_json(&run.created),
                    &names_json(&run.updated),
                    &names_json(&run.deleted),
                    &i64::from(run.requests),
                    &run.finished_at.map(|t| t.timestamp_micros()),
                ],
            )
            .await
            .map_err(self.err())?;
            self.shared.trip();
            tx.execute(
                &format!(
                    "UPDATE syncs SET {status_col} = $3, {message_col} = $4, {at_col} = COALESCE($5, {at_col})
                     WHERE id = $1 AND {job_col} = $2"
                ),
                &[&run.sync_id, &run.id, &run.status, &run.message, &succeeded_at],
            )
            .await
            .map_err(self.err())?;
            self.shared.trip();
            tx.commit().await.map_err(self.err())
        })
    }

    pub fn find_run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let row = client
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM sync_runs WHERE id = $1"),
                    &[&id],
                )
                .await
                .map_err(self.err())?;
            Ok(row.as_ref().map(from_row))
        })
    }

    pub fn list_runs(
        &self,
        sync_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let limit = limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let rows = client
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM sync_runs WHERE sync_id = $1
                         ORDER BY started_at DESC, seq DESC LIMIT $2"
                    ),
                    &[&sync_id, &limit],
                )
                .await
                .map_err(self.err())?;
            Ok(rows.iter().map(from_row).collect())
        })
    }
}
