//! API keys of `do-envsync serve` in PostgreSQL (as `sqlite::api_keys`).

use tokio_postgres::Row;

use super::super::api_keys::ApiKeyRecord;
use super::super::{from_micros, StoreError};
use super::PgStore;

/// The table of this module, applied as one migration (its number is set in `schema`).
pub(super) const MIGRATION: &str = "CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        key_hash TEXT NOT NULL CHECK (length(key_hash) = 64),
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
    );";

const COLUMNS: &str = "id, name, key_hash, created_at, last_used_at";

fn from_row(row: &Row) -> ApiKeyRecord {
    ApiKeyRecord {
        id: row.get(0),
        name: row.get(1),
        key_hash: row.get(2),
        created_at: from_micros(row.get(3)),
        last_used_at: row.get::<_, Option<i64>>(4).map(from_micros),
    }
}

impl PgStore {
    pub fn insert_api_key(&self, rec: &ApiKeyRecord) -> Result<(), StoreError> {
        self.execute_named(
            &format!("INSERT INTO api_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
            &[
                &rec.id,
                &rec.name,
                &rec.key_hash,
                &rec.created_at.timestamp_micros(),
                &rec.last_used_at.map(|t| t.timestamp_micros()),
            ],
            "API key",
            &rec.name,
        )?;
        Ok(())
    }

    pub fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY name");
        Ok(self.query(&sql, &[])?.iter().map(from_row).collect())
    }

    pub fn find_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1");
        Ok(self.query_opt(&sql, &[&id])?.as_ref().map(from_row))
    }

    pub fn delete_api_key(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.execute("DELETE FROM api_keys WHERE name = $1", &[&name])? == 1)
    }
}
