//! Connection rows in SQLite.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::super::{from_micros, ConnectionRecord, StoreError};
use super::{is_unique_violation, SqliteStore};

/// Names of the syncs that use a connection.
const USERS: &str = "SELECT name FROM syncs WHERE connection_id = ?1 ORDER BY name";

const COLUMNS: &str = "id, name, description, base_url, token_sealed, credentials_hash, version, created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<ConnectionRecord> {
    Ok(ConnectionRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        base_url: row.get(3)?,
        token_sealed: row.get(4)?,
        credentials_hash: row.get(5)?,
        version: row.get(6)?,
        created_at: from_micros(row.get(7)?),
        updated_at: from_micros(row.get(8)?),
    })
}

impl SqliteStore {
    /// Inserts a new connection; a taken name is [`StoreError::NameTaken`].
    pub fn insert_connection(&self, rec: &ConnectionRecord) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            &format!(
                "INSERT INTO connections ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                rec.id,
                rec.name,
                rec.description,
                rec.base_url,
                rec.token_sealed,
                rec.credentials_hash,
                rec.version,
                rec.created_at.timestamp_micros(),
                rec.updated_at.timestamp_micros(),
            ],
        )
        .map_err(|e| self.name_taken_or(e, "connection", &rec.name))?;
        Ok(())
    }

    /// The connection with this id, else the one with this name.
    pub fn find_connection(
        &self,
        id_or_name: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            &format!(
                "SELECT {COLUMNS} FROM connections WHERE id = ?1
                 UNION ALL SELECT {COLUMNS} FROM connections WHERE name = ?1 AND id <> ?1 LIMIT 1"
            ),
            [id_or_name],
            from_row,
        )
        .optional()
        .map_err(self.sql())
    }

    /// Every connection, by name.
    pub fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM connections ORDER BY name");
        self.rows(&conn, &sql, [], from_row)
    }

    /// Replaces a connection's row when its stored version is still `expected_version`
    /// (optimistic concurrency between processes). Returns false when it changed meanwhile.
    pub fn update_connection(
        &self,
        rec: &ConnectionRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn
            .execute(
                "UPDATE connections SET name = ?2, description = ?3, base_url = ?4, token_sealed = ?5,
                 credentials_hash = ?6, version = ?7, updated_at = ?8 WHERE id = ?1 AND version = ?9",
                params![
                    rec.id,
                    rec.name,
                    rec.description,
                    rec.base_url,
                    rec.token_sealed,
                    rec.credentials_hash,
                    rec.version,
                    rec.updated_at.timestamp_micros(),
                    expected_version,
                ],
            )
            .map_err(|e| self.name_taken_or(e, "connection", &rec.name))?;
        Ok(n == 1)
    }

    /// Names of the syncs using a connection.
    pub fn syncs_using_connection(&self, connection_id: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        self.rows(&conn, USERS, [connection_id], |row| row.get(0))
    }

    /// Deletes a connection. Without `with_syncs`, a connection still used by a sync
    /// is kept and the users are returned as `Err(names)`; with it, its syncs and their
    /// runs go in the same transaction. `Ok(false)` when no such connection exists.
    pub fn delete_connection(
        &self,
        id: &str,
        with_syncs: bool,
    ) -> Result<Result<bool, Vec<String>>, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql())?;
        let users: Vec<String> = self.rows(&tx, USERS, [id], |row| row.get(0))?;
        if !users.is_empty() {
            if !with_syncs {
                return Ok(Err(users));
            }
            tx.execute("DELETE FROM syncs WHERE connection_id = ?1", [id])
                .map_err(self.sql())?;
        }
        let n = tx
            .execute("DELETE FROM connections WHERE id = ?1", [id])
            .map_err(self.sql())?;
        tx.commit().map_err(self.sql())?;
        Ok(Ok(n == 1))
    }

    fn name_taken_or(&self, e: rusqlite::Error, kind: &'static str, name: &str) -> StoreError {
        if is_unique_violation(&e) {
            StoreError::NameTaken {
                kind,
                name: name.to_owned(),
            }
        } else {
            self.sql()(e)
        }
    }
}
