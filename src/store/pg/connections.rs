//! Connection rows in PostgreSQL (as `sqlite::connections`).

use tokio_postgres::Row;

use super::super::{from_micros, ConnectionRecord, StoreError};
use super::PgStore;

const COLUMNS: &str = "id, name, description, base_url, token_sealed, credentials_hash, version, created_at, updated_at";

/// Names of the syncs that use a connection.
const USERS: &str = "SELECT name FROM syncs WHERE connection_id = $1 ORDER BY name";

fn from_row(row: &Row) -> ConnectionRecord {
    ConnectionRecord {
        id: row.get(0),
        name: row.get(1),
        description: row.get(2),
        base_url: row.get(3),
        token_sealed: row.get(4),
        credentials_hash: row.get(5),
        version: row.get(6),
        created_at: from_micros(row.get(7)),
        updated_at: from_micros(row.get(8)),
    }
}

/// A unique violation (SQLSTATE 23505) is a taken name.
pub(super) fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

impl PgStore {
    pub(super) fn name_taken_or(
        &self,
        e: tokio_postgres::Error,
        kind: &'static str,
        name: &str,
    ) -> StoreError {
        if is_unique_violation(&e) {
            StoreError::NameTaken {
                kind,
                name: name.to_owned(),
            }
        } else {
            self.err()(e)
        }
    }

    pub fn insert_connection(&self, rec: &ConnectionRecord) -> Result<(), StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client
                .execute(
                    &format!(
                        "INSERT INTO connections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    ),
                    &[
                        &rec.id,
                        &rec.name,
                        &rec.description,
                        &rec.base_url,
                        &rec.token_sealed,
                        &rec.credentials_hash,
                        &rec.version,
                        &rec.created_at.timestamp_micros(),
                        &rec.updated_at.timestamp_micros(),
                    ],
                )
                .await
                .map_err(|e| self.name_taken_or(e, "connection", &rec.name))?;
            Ok(())
        })
    }

    pub fn find_connection(
        &self,
        id_or_name: &str,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let row = client
                .query_opt(
                    &format!(
                        "SELECT {COLUMNS} FROM connections WHERE id = $1
                         UNION ALL SELECT {COLUMNS} FROM connections WHERE name = $1 AND id <> $1 LIMIT 1"
                    ),
                    &[&id_or_name],
                )
                .await
                .map_err(self.err())?;
            Ok(row.as_ref().map(from_row))
        })
    }

    pub fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let rows = client
                .query(
                    &format!("SELECT {COLUMNS} FROM connections ORDER BY name"),
                    &[],
                )
                .await
                .map_err(self.err())?;
            Ok(rows.iter().map(from_row).collect())
        })
    }

    pub fn update_connection(
        &self,
        rec: &ConnectionRecord,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let n = client
                .execute(
                    "UPDATE connections SET name = $2, description = $3, base_url = $4, token_sealed = $5,
                     credentials_hash = $6, version = $7, updated_at = $8 WHERE id = $1 AND version = $9",
                    &[
                        &rec.id,
                        &rec.name,
                        &rec.description,
                        &rec.base_url,
                        &rec.token_sealed,
                        &rec.credentials_hash,
                        &rec.version,
                        &rec.updated_at.timestamp_micros(),
                        &expected_version,
                    ],
                )
                .await
                .map_err(|e| self.name_taken_or(e, "connection", &rec.name))?;
            Ok(n == 1)
        })
    }

    pub fn syncs_using_connection(&self, connection_id: &str) -> Result<Vec<String>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            let rows = client
                .query(USERS, &[&connection_id])
                .await
                .map_err(self.err())?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    pub fn delete_connection(
        &self,
        id: &str,
        with_syncs: bool,
    ) -> Result<Result<bool, Vec<String>>, StoreError> {
        self.block(async {
            let mut client = self.shared.client().await?;
            let tx = client.transaction().await.map_err(self.err())?;
            self.shared.trip();
            // Lock the row so a sync added meanwhile waits for this decision.
            tx.query("SELECT 1 FROM connections WHERE id = $1 FOR UPDATE", &[&id])
                .await
                .map_err(self.err())?;
            self.shared.trip();
            let users: Vec<String> = tx
                .query(USERS, &[&id])
                .await
                .map_err(self.err())?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if !users.is_empty() {
                if !with_syncs {
                    return Ok(Err(users));
                }
                self.shared.trip();
                tx.execute("DELETE FROM syncs WHERE connection_id = $1", &[&id])
                    .await
                    .map_err(self.err())?;
            }
            self.shared.trip();
            let n = tx
                .execute("DELETE FROM connections WHERE id = $1", &[&id])
                .await
                .map_err(self.err())?;
            self.shared.trip();
            tx.commit().await.map_err(self.err())?;
            Ok(Ok(n == 1))
        })
    }
}
