//! One statement on a pooled connection: one round trip, counted, with the store's
//! error mapping. For the many methods that are exactly that (transactions and held
//! locks use the pool directly).

use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::super::StoreError;
use super::PgStore;

/// Statement parameters, as the driver takes them.
pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgStore {
    /// Rows changed; a unique violation is `NameTaken { kind, name }`.
    pub(super) fn execute_named(
        &self,
        sql: &str,
        params: Params<'_>,
        kind: &'static str,
        name: &str,
    ) -> Result<u64, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client
                .execute(sql, params)
                .await
                .map_err(|e| self.name_taken_or(e, kind, name))
        })
    }

    /// Rows changed.
    pub(super) fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client.execute(sql, params).await.map_err(self.err())
        })
    }

    pub(super) fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client.query(sql, params).await.map_err(self.err())
        })
    }

    pub(super) fn query_opt(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<Row>, StoreError> {
        self.block(async {
            let client = self.shared.client().await?;
            self.shared.trip();
            client.query_opt(sql, params).await.map_err(self.err())
        })
    }
}
