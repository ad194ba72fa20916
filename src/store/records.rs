//! State record rows as both backends store them (text columns, microsecond times),
//! and their checked conversion back into [`StateRecord`]s.

use chrono::DateTime;

use super::{Origin, StateRecord, StoreError};
use crate::sync::{Scope, VarType};

/// One `env_state` row as read, before it is checked.
pub(crate) struct RawRecord {
    pub target: String,
    pub key: String,
    pub fingerprint: String,
    pub ev: Option<String>,
    pub var_type: String,
    pub scope: String,
    pub origin: String,
    pub original: Option<String>,
    pub updated_at: i64,
}

impl RawRecord {
    /// The record of `app_id` this row holds; a row that does not decode is an
    /// [`StoreError::InvalidRecord`] naming it.
    pub(crate) fn decode(self, app_id: &str) -> Result<StateRecord, StoreError> {
        let bad = |problem| StoreError::InvalidRecord {
            app_id: app_id.to_owned(),
            target: self.target.clone(),
            key: self.key.clone(),
            problem,
        };
        let var_type: VarType = self.var_type.parse().map_err(|_| bad("unknown type"))?;
        let scope: Scope = self.scope.parse().map_err(|_| bad("unknown scope"))?;
        let origin = match self.origin.as_str() {
            "created" => Origin::Created,
            "adopted" => Origin::Adopted {
                original: self
                    .original
                    .as_deref()
                    .map(serde_json::from_str::<serde_json::Value>)
                    .transpose()
                    .map_err(|_| bad("original entry is not JSON"))?,
            },
            _ => return Err(bad("unknown origin")),
        };
        let updated_at =
            DateTime::from_timestamp_micros(self.updated_at).ok_or_else(|| bad("bad timestamp"))?;
        Ok(StateRecord {
            app_id: app_id.to_owned(),
            target: self.target,
            key: self.key,
            fingerprint: self.fingerprint,
            ev: self.ev,
            var_type,
            scope,
            origin,
            updated_at,
        })
    }
}

/// The `origin` and `original` columns of a record.
pub(crate) fn origin_columns(origin: &Origin) -> (&'static str, Option<String>) {
    match origin {
        Origin::Created => ("created", None),
        Origin::Adopted { original } => ("adopted", original.as_ref().map(|v| v.to_string())),
    }
}
