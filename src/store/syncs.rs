//! Sync rows: which source goes to which app through which connection, the sync's
//! options, and the status of its latest sync and removal runs.

use chrono::{DateTime, Utc};

/// Status of the latest run of one kind (sync or remove), as shown on the sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastRun {
    /// `pending`, `running`, `succeeded` or `failed`; `None` before the first run.
    pub status: Option<String>,
    pub job_id: Option<String>,
    pub message: Option<String>,
    /// When the latest successful run finished.
    pub succeeded_at: Option<DateTime<Utc>>,
}

/// One stored sync. The source's secret part is only ever held sealed here.
#[derive(Clone, PartialEq, Eq)]
pub struct SyncRecord {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub connection_id: String,
    /// Read from the connection on load; ignored on write.
    pub connection_name: String,
    pub app_id: String,
    pub app_name: String,
    /// The source's public JSON.
    pub source_public: String,
    /// The source's secret JSON, sealed with the master key (the sync id as AAD).
    pub source_secret: Option<Vec<u8>>,
    /// The sync options as JSON (`syncOptions` plus `environment`).
    pub options: String,
    pub secret_path: Option<String>,
    pub is_enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_sync: LastRun,
    pub last_remove: LastRun,
}

impl std::fmt::Debug for SyncRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("connection_id", &self.connection_id)
            .field("app_id", &self.app_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// What [`Store::delete_sync_unless_ran`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncDelete {
    Deleted,
    /// No such sync (deleted by someone else).
    Missing,
    /// A sync run started since the caller looked; nothing was deleted.
    RanMeanwhile,
}

/// Which status columns a run updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Sync,
    Remove,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Sync => "sync",
            RunKind::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sync" => Some(RunKind::Sync),
            "remove" => Some(RunKind::Remove),
            _ => None,
        }
    }

    pub(crate) fn columns(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            RunKind::Sync => (
                "sync_status",
                "last_sync_job_id",
                "last_sync_message",
                "last_synced_at",
            ),
            RunKind::Remove => (
                "remove_status",
                "last_remove_job_id",
                "last_remove_message",
                "last_removed_at",
            ),
        }
    }
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
