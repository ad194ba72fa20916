//! Run rows: one per sync or removal job, with the sync's status columns kept in
//! step. Every write is its own short transaction so other processes see progress
//! (`running`) at once.

pub use super::syncs::RunKind;
use chrono::{DateTime, Utc};

/// One stored run. Holds key names, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: String,
    pub sync_id: String,
    pub sync_name: String,
    pub kind: RunKind,
    /// `pending`, `running`, `succeeded` or `failed`.
    pub status: String,
    pub message: Option<String>,
    pub deployment_id: Option<String>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: Vec<String>,
    pub requests: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Key names as stored (a JSON list); unreadable text reads as none.
pub(crate) fn names(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

pub(crate) fn names_json(names: &[String]) -> String {
    serde_json::to_string(names).expect("a list of strings serializes")
}
