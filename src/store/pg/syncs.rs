//! Sync rows in PostgreSQL (as `sqlite::syncs`).

use deadpool_postgres::Object;
use tokio_postgres::Row;

use super::super::{from_micros, LastRun, StoreError, SyncDelete, SyncRecord};
use super::connections::is_unique_violation;
use super::PgStore;

const SELECT: &str = "SELECT s.id, s.name, s.description, s.connection_id, c.name, s.app_id, s.app_name,
    s.source_public, s.source_secret, s.options, s.secret_path, s.is_enabled, s.version,
    s.created_at, s.updated_at, s.sync_status, s.last_sync_job_id, s.last_sync_message,
    s.last_synced_at, s.remove_status, s.last_remove_job_id, s.last_remove_message, s.last_removed_at
    FROM syncs s JOIN connections c ON c.id = s.connection_id";

/// Transaction-scoped advisory lock that serializes sync writes (as SQLite's
/// `BEGIN IMMEDIATE` does), so two processes cannot both add conflicting syncs.
const SYNC_WRITE_LOCK: i64 = 0x0064_6f65_6e76_0002;

fn from_row(row: &Row) -> SyncRecord {
    let at = |i: usize| row.get::<_, Option<i64>>(i).map(from_micros);
    SyncRecord {
        id: row.get(0),
        name: row.get(1),
        description: row.get(2),
        connection_id: row.get(3),
        connection_name: row.get(4),
        app_id: row.get(5),
        app_name: row.get(6),
        source_public: row.get(7),
        source_secret: row.get(8),
        options: row.get(9),
        secret_path: row.get(10),
        is_enabled: row.get(11),
        version: row.get(12),
        created_at: from_micros(row.get(13)),
        updated_at: from_micros(row.get(14)),
        last_sync: LastRun {
            status: row.get(15),
            job_id: row.get(16),
            message: row.get(17),
            succeeded_at: at(18),
        },
        last_remove: LastRun {
            status: row.get(19),
            job_id: row.get(20),
            message: row.get(21),
            succeeded_at: at(22),
        },
    }
}

impl PgStore {
    fn sync_name_taken_or(&self, e: tokio_postgres::Error, name: &str) -> StoreError {
        if is_unique_violation(&e) {
            StoreError::NameTaken {
                kind: "sync",
                name: name.to_owned(),
            }
        } else {
            self.err()(e)
        }
    }

    /// Opens a sync-writing transaction and reads the other syncs of the app in it.
    /// The caller's check runs between this and [`PgStore::finish_sync_write`]; on
    /// any failure the connection is closed, which aborts the transaction.
    fn begin_sync_write(
        &self,
        app_id: &str,
        except_id: &str,
    ) -> Result<(Object, Vec<SyncRecord>), StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client.batch_execute("BEGIN").await.map_err(self.err())?;
            let others = async {
                self.shared.trip();
                client
                    .execute("SELECT pg_advisory_xact_lock($1)", &[&SYNC_WRITE_LOCK])
                    .await?;
                self.shared.trip();
                client
                    .query(
                        &format!("{SELECT} WHERE s.app_id = $1 AND s.id <> $2 ORDER BY s.name"),
                        &[&app_id, &except_id],
                    )
                    .await
            }
            .await;
            match others {
                Ok(rows) => Ok((client, rows.iter().map(from_row).collect())),
                Err(e) => {
                    drop(Object::take(client));
                    Err(self.err()(e))
                }
            }
        })
    }

    /// Runs the write of a sync-writing transaction and commits.
    fn finish_sync_write(
        &self,
        client: Object,
        write: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        name: &str,
    ) -> Result<u64, StoreError> {
        self.block(async {
            let result = async {
                self.shared.trip();
                let n = client.execute(write, params).await?;
                self.shared.trip();
                client.batch_execute("COMMIT").await?;
                Ok(n)
            }
            .await;
            result.map_err(|e| {
                drop(Object::take(client));
                self.sync_name_taken_or(e, name)
            })
        })
    }

    pub fn insert_sync<E: From<StoreError>>(
        &self,
        rec: &SyncRecord,
        check: impl FnOnce(&[SyncRecord]) -> Result<(), E>,
    ) -> Result<(), E> {
        let (client, others) = self.begin_sync_write(&rec.app_id, &rec.id)?;
        if let Err(e) = check(&others) {
            drop(Object::take(client));
            return Err(e);
        }
        self.finish_sync_write(
            client,
            "INSERT INTO syncs (id, name, description, connection_id, app_id, app_name, source_public,
             source_secret, options, secret_path, is_enabled, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            &[
                &rec.id,
                &rec.name,
                &rec.description,
                &rec.connection_id,
                &rec.app_id,
                &rec.app_name,
                &rec.source_public,
                &rec.source_secret,
                &rec.options,
                &rec.secret_path,
                &rec.is_enabled,
                &rec.version,
                &rec.created_at.timestamp_micros(),
                &rec.updated_at.timestamp_micros(),
            ],
            &rec.name,
        )?;
        Ok(())
    }

    pub fn update_sync<E: From<StoreError>>(
        &self,
        rec: &SyncRecord,
        expected_version: i64,
        check: impl FnOnce(&[SyncRecord]) -> Result<(), E>,
    ) -> Result<bool, E> {
        let (client, others) = self.begin_sync_write(&rec.app_id, &rec.id)?;
        if let Err(e) = check(&others) {
            drop(Object::take(client));
            return Err(e);
        }
        let n = self.finish_sync_write(
            client,
            "UPDATE syncs SET name = $2, description = $3, connection_id = $4, app_id = $5,
             app_name = $6, source_public = $7, source_secret = $8, options = $9,
             secret_path = $10, is_enabled = $11, version = $12, updated_at = $13
             WHERE id = $1 AND version = $14",
            &[
                &rec.id,
                &rec.name,
                &rec.description,
                &rec.connection_id,
                &rec.app_id,
                &rec.app_name,
                &rec.source_public,
                &rec.source_secret,
                &rec.options,
                &rec.secret_path,
                &rec.is_enabled,
                &rec.version,
                &rec.updated_at.timestamp_micros(),
                &expected_version,
            ],
            &rec.name,
        )?;
        Ok(n == 1)
    }

    pub fn find_sync(&self, id_or_name: &str) -> Result<Option<SyncRecord>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let row = client
                .query_opt(
                    &format!(
                        "{SELECT} WHERE s.id = $1 UNION ALL {SELECT} WHERE s.name = $1 AND s.id <> $1 LIMIT 1"
                    ),
                    &[&id_or_name],
                )
                .await
                .map_err(self.err())?;
            Ok(row.as_ref().map(from_row))
        })
    }

    pub fn list_syncs(&self) -> Result<Vec<SyncRecord>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let rows = client
                .query(&format!("{SELECT} ORDER BY s.name"), &[])
                .await
                .map_err(self.err())?;
            Ok(rows.iter().map(from_row).collect())
        })
    }

    pub fn delete_sync(&self, id: &str) -> Result<bool, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let n = client
                .execute("DELETE FROM syncs WHERE id = $1", &[&id])
                .await
                .map_err(self.err())?;
            Ok(n == 1)
        })
    }

    pub fn delete_sync_unless_ran(
        &self,
        id: &str,
        last_sync_job: Option<&str>,
    ) -> Result<SyncDelete, StoreError> {
        self.block(async {
            let mut client = self.shared.client().await?;
            let tx = client.transaction().await.map_err(self.err())?;
            self.shared.trip();
            let current: Option<Option<String>> = tx
                .query_opt(
                    "SELECT last_sync_job_id FROM syncs WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .await
                .map_err(self.err())?
                .map(|row| row.get(0));
            let outcome = match current {
                None => SyncDelete::Missing,
                Some(job) if job.as_deref() != last_sync_job => SyncDelete::RanMeanwhile,
                Some(_) => {
                    self.shared.trip();
                    tx.execute("DELETE FROM syncs WHERE id = $1", &[&id])
                        .await
                        .map_err(self.err())?;
                    SyncDelete::Deleted
                }
            };
            self.shared.trip();
            tx.commit().await.map_err(self.err())?;
            Ok(outcome)
        })
    }
}
