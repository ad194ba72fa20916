//! API keys of `do-envsync serve` in SQLite.

use rusqlite::{params, OptionalExtension, Row};

use super::super::api_keys::ApiKeyRecord;
use super::super::{from_micros, StoreError};
use super::{is_unique_violation, SqliteStore};

const COLUMNS: &str = "id, name, key_hash, created_at, last_used_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        key_hash: row.get(2)?,
        created_at: from_micros(row.get(3)?),
        last_used_at: row.get::<_, Option<i64>>(4)?.map(from_micros),
    })
}

impl SqliteStore {
    /// Inserts a key; a taken name is [`StoreError::NameTaken`].
    pub fn insert_api_key(&self, rec: &ApiKeyRecord) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            &format!("INSERT INTO api_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
            params![
                rec.id,
                rec.name,
                rec.key_hash,
                rec.created_at.timestamp_micros(),
                rec.last_used_at.map(|t| t.timestamp_micros()),
            ],
        )
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::NameTaken {
                    kind: "API key",
                    name: rec.name.clone(),
                }
            } else {
                self.sql()(e)
            }
        })?;
        Ok(())
    }

    /// Every key, by name.
    pub fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY name");
        self.rows(&conn, &sql, [], from_row)
    }

    /// The key with this lookup id.
    pub fn find_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()
        .map_err(self.sql())
    }

    /// Deletes the key named `name`; false when there is none.
    pub fn delete_api_key(&self, name: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn
            .execute("DELETE FROM api_keys WHERE name = ?1", [name])
            .map_err(self.sql())?;
        Ok(n == 1)
    }
}
