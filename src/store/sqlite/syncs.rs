//! Sync rows in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction, TransactionBehavior};

use super::super::{from_micros, LastRun, StoreError, SyncDelete, SyncRecord};
use super::{is_unique_violation, SqliteStore};

const SELECT: &str = "SELECT s.id, s.name, s.description, s.connection_id, c.name, s.app_id, s.app_name,
    s.source_public, s.source_secret, s.options, s.secret_path, s.is_enabled, s.version,
    s.created_at, s.updated_at, s.sync_status, s.last_sync_job_id, s.last_sync_message,
    s.last_synced_at, s.remove_status, s.last_remove_job_id, s.last_remove_message, s.last_removed_at
    FROM syncs s JOIN connections c ON c.id = s.connection_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<SyncRecord> {
    let at = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(row.get::<_, Option<i64>>(i)?.map(from_micros))
    };
    Ok(SyncRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        connection_id: row.get(3)?,
        connection_name: row.get(4)?,
        app_id: row.get(5)?,
        app_name: row.get(6)?,
        source_public: row.get(7)?,
        source_secret: row.get(8)?,
        options: row.get(9)?,
        secret_path: row.get(10)?,
        is_enabled: row.get(11)?,
        version: row.get(12)?,
        created_at: from_micros(row.get(13)?),
        updated_at: from_micros(row.get(14)?),
        last_sync: LastRun {
            status: row.get(15)?,
            job_id: row.get(16)?,
            message: row.get(17)?,
            succeeded_at: at(18)?,
        },
        last_remove: LastRun {
            status: row.get(19)?,
            job_id: row.get(20)?,
            message: row.get(21)?,
            succeeded_at: at(22)?,
        },
    })
}

impl SqliteStore {
    fn syncs_on_app(
        &self,
        tx: &Transaction<'_>,
        app_id: &str,
        except_id: &str,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        let sql = format!("{SELECT} WHERE s.app_id = ?1 AND s.id <> ?2 ORDER BY s.name");
        self.rows(tx, &sql, [app_id, except_id], from_row)
    }

    /// Inserts a sync. `check` sees the other syncs of the same app inside the writing
    /// transaction, so two processes cannot both add conflicting syncs.
    pub fn insert_sync<E: From<StoreError>>(
        &self,
        rec: &SyncRecord,
        check: impl FnOnce(&[SyncRecord]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql())?;
        check(&self.syncs_on_app(&tx, &rec.app_id, &rec.id)?)?;
        tx.execute(
            "INSERT INTO syncs (id, name, description, connection_id, app_id, app_name, source_public,
             source_secret, options, secret_path, is_enabled, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                rec.id,
                rec.name,
                rec.description,
                rec.connection_id,
                rec.app_id,
                rec.app_name,
                rec.source_public,
                rec.source_secret,
                rec.options,
                rec.secret_path,
                rec.is_enabled,
                rec.version,
                rec.created_at.timestamp_micros(),
                rec.updated_at.timestamp_micros(),
            ],
        )
        .map_err(|e| self.sync_name_taken_or(e, &rec.name))?;
        tx.commit().map_err(self.sql())?;
        Ok(())
    }

    /// Replaces a sync's configuration (not its run status) when its stored version is
    /// still `expected_version`; `Ok(false)` when it changed meanwhile. `check` as in
    /// [`Store::insert_sync`].
    pub fn update_sync<E: From<StoreError>>(
        &self,
        rec: &SyncRecord,
        expected_version: i64,
        check: impl FnOnce(&[SyncRecord]) -> Result<(), E>,
    ) -> Result<bool, E> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql())?;
        check(&self.syncs_on_app(&tx, &rec.app_id, &rec.id)?)?;
        let n = tx
            .execute(
                "UPDATE syncs SET name = ?2, description = ?3, connection_id = ?4, app_id = ?5,
                 app_name = ?6, source_public = ?7, source_secret = ?8, options = ?9,
                 secret_path = ?10, is_enabled = ?11, version = ?12, updated_at = ?13
                 WHERE id = ?1 AND version = ?14",
                params![
                    rec.id,
                    rec.name,
                    rec.description,
                    rec.connection_id,
                    rec.app_id,
                    rec.app_name,
                    rec.source_public,
                    rec.source_secret,
                    rec.options,
                    rec.secret_path,
                    rec.is_enabled,
                    rec.version,
                    rec.updated_at.timestamp_micros(),
                    expected_version,
                ],
            )
            .map_err(|e| self.sync_name_taken_or(e, &rec.name))?;
        tx.commit().map_err(self.sql())?;
        Ok(n == 1)
    }

    /// The sync with this id, else the one with this name.
    pub fn find_sync(&self, id_or_name: &str) -> Result<Option<SyncRecord>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            &format!(
                "{SELECT} WHERE s.id = ?1 UNION ALL {SELECT} WHERE s.name = ?1 AND s.id <> ?1 LIMIT 1"
            ),
            [id_or_name],
            from_row,
        )
        .optional()
        .map_err(self.sql())
    }

    /// Every sync, by name.
    pub fn list_syncs(&self) -> Result<Vec<SyncRecord>, StoreError> {
        let conn = self.conn();
        self.rows(&conn, &format!("{SELECT} ORDER BY s.name"), [], from_row)
    }

    /// Deletes a sync and its runs; false when it did not exist.
    pub fn delete_sync(&self, id: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn
            .execute("DELETE FROM syncs WHERE id = ?1", [id])
            .map_err(self.sql())?;
        Ok(n == 1)
    }

    /// Deletes the sync only while its latest sync run is still `last_sync_job` (a sync
    /// that ran meanwhile may have put keys back on the app). One transaction.
    pub fn delete_sync_unless_ran(
        &self,
        id: &str,
        last_sync_job: Option<&str>,
    ) -> Result<SyncDelete, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql())?;
        let current: Option<Option<String>> = tx
            .query_row(
                "SELECT last_sync_job_id FROM syncs WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .optional()
            .map_err(self.sql())?;
        let outcome = match current {
            None => SyncDelete::Missing,
            Some(job) if job.as_deref() != last_sync_job => SyncDelete::RanMeanwhile,
            Some(_) => {
                tx.execute("DELETE FROM syncs WHERE id = ?1", [id])
                    .map_err(self.sql())?;
                SyncDelete::Deleted
            }
        };
        tx.commit().map_err(self.sql())?;
        Ok(outcome)
    }

    fn sync_name_taken_or(&self, e: rusqlite::Error, name: &str) -> StoreError {
        if is_unique_violation(&e) {
            StoreError::NameTaken {
                kind: "sync",
                name: name.to_owned(),
            }
        } else {
            self.sql()(e)
        }
    }
}
