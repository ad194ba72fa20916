//! Sync state records: what the sync last wrote per (app, target, key), without
//! ever holding a secret plaintext.

use chrono::{DateTime, Utc};

use super::desired::{Scope, VarType};

/// The state-record target of the app-level `envs`.
pub const APP_TARGET: &str = "";

/// Whether the sync created a key or took over one that already existed.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// The key did not exist before the sync wrote it: "remove synced" deletes it.
    Created,
    /// The key existed before; `original` is its env entry as it was then (SECRET
    /// values as their `EV[...]` ciphertext), so "remove synced" can restore it.
    Adopted { original: Option<serde_json::Value> },
}

/// One record per (app, target, key) the sync wrote or adopted.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRecord {
    pub app_id: String,
    /// [`APP_TARGET`] (`""`) for app level, else the component name.
    pub target: String,
    /// Destination key.
    pub key: String,
    /// Lower-case hex HMAC-SHA256 of the plaintext last written (see `Fingerprinter`).
    pub fingerprint: String,
    /// The `EV[...]` string DigitalOcean returned for a SECRET; `None` for GENERAL.
    pub ev: Option<String>,
    pub var_type: VarType,
    pub scope: Scope,
    pub origin: Origin,
    pub updated_at: DateTime<Utc>,
}

/// The current time truncated to microseconds, the precision the store keeps.
pub fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Whether a string is an App Platform secret ciphertext.
pub fn is_ev_string(value: &str) -> bool {
    value.starts_with("EV[") && value.ends_with(']')
}
