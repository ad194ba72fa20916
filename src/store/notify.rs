//! Notification targets (webhook URLs sealed with the master key, like connection
//! tokens) and delivery records kept beside the runs they report.
//!
//! A target belongs to one sync, or to the store (`sync_id` NULL: the default for every
//! sync). Deliveries go with their run (and with their target) through foreign keys.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// The schema of this module, applied as one migration (its number is set in `schema`).
/// One stored target. The URL and signing secret are only ever held sealed here.
#[derive(Clone, PartialEq, Eq)]
pub struct NotifyTargetRecord {
    pub id: String,
    pub name: String,
    /// `webhook` or `slack`.
    pub kind: String,
    /// `None`: the store default.
    pub sync_id: Option<String>,
    /// Read from the sync on load; ignored on write.
    pub sync_name: Option<String>,
    pub url_masked: String,
    pub sealed: Vec<u8>,
    /// JSON list of event names.
    pub events: String,
    pub dedup_interval_secs: i64,
    pub is_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for NotifyTargetRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyTargetRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url_masked", &self.url_masked)
            .finish_non_exhaustive()
    }
}

/// One delivery of one event of one run to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: String,
    pub run_id: String,
    pub sync_id: String,
    pub target_id: String,
    pub target_name: String,
    pub event: String,
    /// `pending`, `delivered`, `failed`, `deduplicated` or `abandoned`.
    pub status: String,
    pub attempts: u32,
    /// One line, never the URL or the response body.
    pub last_error: Option<String>,
    pub dedup_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Stores a new target; [`StoreError::NameTaken`] when the name is in use.
    pub fn insert_notify_target(&self, t: &NotifyTargetRecord) -> Result<(), StoreError> {
        on_backend!(self, s => s.insert_notify_target(t))
    }

    /// Replaces every field of the target `t.id` (its name may change). False when it
    /// no longer exists.
    pub fn update_notify_target(&self, t: &NotifyTargetRecord) -> Result<bool, StoreError> {
        on_backend!(self, s => s.update_notify_target(t))
    }

    /// A target by id or name.
    pub fn find_notify_target(
        &self,
        id_or_name: &str,
    ) -> Result<Option<NotifyTargetRecord>, StoreError> {
        on_backend!(self, s => s.find_notify_target(id_or_name))
    }

    /// Every target, by name.
    pub fn list_notify_targets(&self) -> Result<Vec<NotifyTargetRecord>, StoreError> {
        on_backend!(self, s => s.list_notify_targets())
    }

    /// The enabled targets a run of `sync_id` reports to: its own and the store defaults.
    pub fn notify_targets_for(&self, sync_id: &str) -> Result<Vec<NotifyTargetRecord>, StoreError> {
        on_backend!(self, s => s.notify_targets_for(sync_id))
    }

    /// Deletes a target and its delivery records. False when it did not exist.
    pub fn delete_notify_target(&self, id: &str) -> Result<bool, StoreError> {
        on_backend!(self, s => s.delete_notify_target(id))
    }

    pub fn insert_delivery(&self, d: &DeliveryRecord) -> Result<(), StoreError> {
        on_backend!(self, s => s.insert_delivery(d))
    }

    /// Writes a delivery's status, attempts and last error.
    pub fn save_delivery(&self, d: &DeliveryRecord) -> Result<(), StoreError> {
        on_backend!(self, s => s.save_delivery(d))
    }

    /// When the latest delivery of `target_id` for `sync_id` with `dedup_key` that was not
    /// itself suppressed was made, if one was.
    pub fn last_delivery_with_key(
        &self,
        target_id: &str,
        sync_id: &str,
        dedup_key: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        on_backend!(self, s => s.last_delivery_with_key(target_id, sync_id, dedup_key))
    }

    /// Deliveries, newest first: of one run, of one sync, or all.
    pub fn list_deliveries(
        &self,
        run_id: Option<&str>,
        sync_id: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        on_backend!(self, s => s.list_deliveries(run_id, sync_id, limit))
    }

    /// Marks deliveries still `pending` as `abandoned` (the process stops before they end).
    pub fn abandon_deliveries(&self, ids: &[String]) -> Result<(), StoreError> {
        on_backend!(self, s => s.abandon_deliveries(ids))
    }
}
