//! API keys of `do-envsync serve`: a name, the key's lookup id and a SHA-256 of the
//! whole key. The key itself is shown once when created and never stored.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// One stored API key (no key material beyond its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Public lookup id, also the key's second segment (`dek_<id>_<secret>`).
    pub id: String,
    pub name: String,
    /// Hex SHA-256 of the whole key (the secret has 256 random bits: no salt or
    /// slow hash is needed against guessing).
    pub key_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Inserts a key; a taken name is [`StoreError::NameTaken`].
    pub fn insert_api_key(&self, rec: &ApiKeyRecord) -> Result<(), StoreError> {
        on_backend!(self, s => s.insert_api_key(rec))
    }

    /// Every key, by name.
    pub fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        on_backend!(self, s => s.list_api_keys())
    }

    /// The key with this lookup id.
    pub fn find_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        on_backend!(self, s => s.find_api_key(id))
    }

    /// Deletes the key named `name`; false when there is none.
    pub fn delete_api_key(&self, name: &str) -> Result<bool, StoreError> {
        on_backend!(self, s => s.delete_api_key(name))
    }
}
