//! API keys: `dek_<id>_<secret>`. The id finds the stored row; the whole key is compared
//! by SHA-256 in constant time (`subtle`). The key is returned once, at creation.

use chrono::Utc;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{ApiKeyRecord, Store, StoreError};

const PREFIX: &str = "dek_";

/// A new key: the record to store and the key to show once.
pub fn generate(name: &str) -> (ApiKeyRecord, String) {
    let id = hex::encode(rand::random::<[u8; 8]>());
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let key = format!("{PREFIX}{id}_{secret}");
    let rec = ApiKeyRecord {
        id,
        name: name.to_owned(),
        key_hash: hash(&key),
        created_at: Utc::now(),
        last_used_at: None,
    };
    (rec, key)
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Creates and stores a key named `name` (1-64 of `[A-Za-z0-9_.-]`); returns the key.
pub fn create(store: &Store, name: &str) -> Result<(ApiKeyRecord, String), KeyError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(KeyError::BadName(name.to_owned()));
    }
    let (rec, key) = generate(name);
    store.insert_api_key(&rec)?;
    Ok((rec, key))
}

/// Deletes the key named `name`.
pub fn revoke(store: &Store, name: &str) -> Result<(), KeyError> {
    if store.delete_api_key(name)? {
        Ok(())
    } else {
        Err(KeyError::NotFound(name.to_owned()))
    }
}

/// The stored key `presented` is, if any. The hash comparison takes the same time
/// whether or not the id exists and wherever the hashes differ.
pub fn verify(store: &Store, presented: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
    let id = presented
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .map(|(id, _)| id)
        .filter(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    let found = match id {
        Some(id) => store.find_api_key(id)?,
        None => None,
    };
    let wanted = found
        .as_ref()
        .map(|r| r.key_hash.clone())
        .unwrap_or_else(|| "0".repeat(64));
    let matches: bool = hash(presented).as_bytes().ct_eq(wanted.as_bytes()).into();
    Ok(found.filter(|_| matches))
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid key name {0:?}: 1-64 letters, digits, '-', '_' or '.'")]
    BadName(String),
    #[error("no API key named {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_verify_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        let (rec, key) = create(&store, "ci").unwrap();
        assert!(key.starts_with("dek_"));
        assert_eq!(verify(&store, &key).unwrap().unwrap().id, rec.id);
        let mut wrong = key.clone();
        wrong.pop();
        wrong.push(if key.ends_with('0') { '1' } else { '0' });
        assert!(verify(&store, &wrong).unwrap().is_none());
        assert!(verify(&store, "nonsense").unwrap().is_none());
        assert!(matches!(create(&store, "ci"), Err(KeyError::Store(_))));
        assert!(matches!(
            create(&store, "no spaces"),
            Err(KeyError::BadName(_))
        ));
        // Only the hash is stored.
        let listed = store.list_api_keys().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(!format!("{listed:?}").contains(&key[21..]));
        revoke(&store, "ci").unwrap();
        assert!(verify(&store, &key).unwrap().is_none());
        assert!(matches!(revoke(&store, "ci"), Err(KeyError::NotFound(_))));
    }
}
