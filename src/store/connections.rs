//! Connection rows: a DigitalOcean token (sealed), its base URL and bookkeeping.

use chrono::{DateTime, Utc};

/// One stored connection. The token is only ever held sealed here.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub base_url: String,
    /// Sealed with the master key, the id as associated data.
    pub token_sealed: Vec<u8>,
    pub credentials_hash: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for ConnectionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}
