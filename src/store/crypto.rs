//! The master key that seals connection tokens and source secrets at rest.
//!
//! The key comes from `DO_ENVSYNC_MASTER_KEY` (64 hex characters, or base64 of 32
//! bytes) or from `<db path>.master.key`, created owner-only on first use. Two keys
//! are derived from it so that no key serves two purposes: one for AES-256-GCM
//! sealing, one for the HMAC behind `credentialsHash`. A third derivation, stored in
//! the database, lets a wrong key be recognized before anything is decrypted.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

use super::{files, private_options, with_suffix, StoreError};

/// Environment variable holding the master key.
pub const MASTER_KEY_ENV: &str = "DO_ENVSYNC_MASTER_KEY";
/// Suffix of the key file beside the database.
pub const MASTER_KEY_FILE_SUFFIX: &str = ".master.key";

/// Format byte in front of every sealed blob, so the layout can evolve.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Master key problems. Never holds key material.
#[derive(Debug, Error)]
pub enum CryptoError {
    #[error("{MASTER_KEY_ENV} is malformed: expected 64 hex characters or the base64 encoding of 32 bytes")]
    MalformedEnv,
    #[error("master key file {} is malformed: expected 64 hex characters", .path.display())]
    MalformedFile { path: PathBuf },
    #[error("cannot {action} master key file {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The key file is a link, another user's, or readable by others.
    #[error(transparent)]
    UnsafeFile(StoreError),
    #[error("the master key ({origin}) is not the one this database's secrets were sealed with (wrong {MASTER_KEY_ENV}?)")]
    WrongKey { origin: String },
    #[error("this database's secrets were sealed with a master key that is not available: set {MASTER_KEY_ENV} or restore {}", .path.display())]
    MissingKey { path: PathBuf },
    #[error("cannot decrypt {what}: the data is corrupt or was sealed with another master key (wrong {MASTER_KEY_ENV}?)")]
    Decrypt { what: String },
}

/// Where a master key came from (shown in errors; never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    Env,
    File(PathBuf),
    Given,
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOrigin::Env => write!(f, "from {MASTER_KEY_ENV}"),
            KeyOrigin::File(path) => write!(f, "from {}", path.display()),
            KeyOrigin::Given => f.write_str("given by the caller"),
        }
    }
}

/// The master key's derived keys. Debug shows only the origin.
#[derive(Clone)]
pub struct MasterKey {
    seal_key: [u8; 32],
    hash_key: [u8; 32],
    check: String,
    origin: KeyOrigin,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// 32 key bytes from 64 hex characters or base64 (standard or URL-safe, padded or not).
fn decode_key_text(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() == 64 {
        if let Ok(bytes) = hex::decode(text) {
            return bytes.try_into().ok();
        }
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(text).ok())
        .and_then(|bytes| bytes.try_into().ok())
}

impl MasterKey {
    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self::with_origin(bytes, KeyOrigin::Given)
    }

    fn with_origin(bytes: [u8; 32], origin: KeyOrigin) -> Self {
        Self {
            seal_key: derive(&bytes, "do-envsync seal v1"),
            hash_key: derive(&bytes, "do-envsync credentials hash v1"),
            check: hex::encode(derive(&bytes, "do-envsync key check v1")),
            origin,
        }
    }

    /// Parses the text of `DO_ENVSYNC_MASTER_KEY`.
    pub fn parse_env(text: &str) -> Result<Self, CryptoError> {
        decode_key_text(text)
            .map(|bytes| Self::with_origin(bytes, KeyOrigin::Env))
            .ok_or(CryptoError::MalformedEnv)
    }

    /// Generates a new random key (not persisted).
    pub fn generate() -> Self {
        Self::from_bytes(rand::random())
    }

    /// The key for the database at `db_path`: `DO_ENVSYNC_MASTER_KEY` when set and
    /// non-empty, else the key file. The file is created only when `may_create`
    /// (the database holds no sealed data yet); otherwise its absence is an error.
    pub fn resolve(db_path: &Path, may_create: bool) -> Result<Self, CryptoError> {
        match std::env::var(MASTER_KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => return Self::parse_env(&text),
            Ok(_) => {}
            Err(std::env::VarError::NotUnicode(_)) => return Err(CryptoError::MalformedEnv),
            Err(std::env::VarError::NotPresent) => {}
        }
        let path = key_file_path(db_path);
        match read_key_file(&path)? {
            Some(key) => Ok(key),
            None if may_create => create_key_file(&path),
            None => Err(CryptoError::MissingKey { path }),
        }
    }

    pub fn origin(&self) -> &KeyOrigin {
        &self.origin
    }

    /// A value that identifies the key without revealing it (stored in the database).
    pub fn check_value(&self) -> &str {
        &self.check
    }

    /// `credentialsHash`: HMAC-SHA256 of the token under the derived hash key, hex.
    pub fn credentials_hash(&self, token: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key).expect("any key length");
        mac.update(token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Seals `plaintext` with a fresh random nonce, bound to `aad` (the owner's id).
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Vec<u8> {
        let cipher = Aes256Gcm::new((&self.seal_key).into());
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a blob made by [`seal`](Self::seal) with the same `aad`; `what` names it in errors.
    pub fn open(&self, sealed: &[u8], aad: &str, what: &str) -> Result<Vec<u8>, CryptoError> {
        let bad = || CryptoError::Decrypt {
            what: what.to_owned(),
        };
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
            return Err(bad());
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_LEN);
        Aes256Gcm::new((&self.seal_key).into())
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| bad())
    }
}

/// `<db path>.master.key`
pub fn key_file_path(db_path: &Path) -> PathBuf {
    with_suffix(db_path, MASTER_KEY_FILE_SUFFIX)
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> CryptoError + 'a {
    move |source| CryptoError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn read_key_file(path: &Path) -> Result<Option<MasterKey>, CryptoError> {
    let mut text = String::new();
    let Some(mut f) =
        files::open_private_read("master key file", path).map_err(CryptoError::UnsafeFile)?
    else {
        return Ok(None);
    };
    f.read_to_string(&mut text).map_err(io_err("read", path))?;
    let text = text.trim();
    let bytes: [u8; 32] = (text.len() == 64)
        .then(|| hex::decode(text).ok())
        .flatten()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CryptoError::MalformedFile {
            path: path.to_owned(),
        })?;
    Ok(Some(MasterKey::with_origin(
        bytes,
        KeyOrigin::File(path.to_owned()),
    )))
}

/// Writes a new key to a private temporary file and hard-links it into place: a
/// concurrent reader never sees half a key, and of two racing creators the second
/// adopts the first one's key.
fn create_key_file(path: &Path) -> Result<MasterKey, CryptoError> {
    let bytes: [u8; 32] = rand::random();
    let tmp = with_suffix(
        path,
        &format!(".tmp-{}-{:016x}", std::process::id(), rand::random::<u64>()),
    );
    let result = (|| {
        let mut f = private_options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err("create", &tmp))?;
        f.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io_err("write", &tmp))?;
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(MasterKey::with_origin(
                bytes,
                KeyOrigin::File(path.to_owned()),
            )),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                read_key_file(path)?.ok_or_else(|| CryptoError::MalformedFile {
                    path: path.to_owned(),
                })
            }
            Err(e) => Err(io_err("create", path)(e)),
        }
    })();
    let _ = fs::remove_file(&tmp);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_is_bound_to_aad() {
        let key = MasterKey::generate();
        let sealed = key.seal(b"dop_v1_canary", "conn-1");
        assert!(!sealed.windows(13).any(|w| w == b"dop_v1_canary"));
        assert_eq!(key.open(&sealed, "conn-1", "t").unwrap(), b"dop_v1_canary");
        assert!(matches!(
            key.open(&sealed, "conn-2", "t"),
            Err(CryptoError::Decrypt { .. })
        ));
        let other = MasterKey::generate();
        assert!(other.open(&sealed, "conn-1", "t").is_err());
        // Fresh nonce per seal.
        assert_ne!(sealed, key.seal(b"dop_v1_canary", "conn-1"));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(&tampered, "conn-1", "t").is_err());
        assert!(key.open(&sealed[..10], "conn-1", "t").is_err());
    }

    #[test]
    fn env_text_formats() {
        let bytes = [7u8; 32];
        let hex_key = MasterKey::parse_env(&hex::encode(bytes)).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let b64_key = MasterKey::parse_env(&format!(" {b64}\n")).unwrap();
        assert_eq!(hex_key.check_value(), b64_key.check_value());
        assert_eq!(hex_key.credentials_hash("t"), b64_key.credentials_hash("t"));
        for bad in ["", "abc", &hex::encode([1u8; 31]), "zz".repeat(32).as_str()] {
            assert!(
                matches!(MasterKey::parse_env(bad), Err(CryptoError::MalformedEnv)),
                "{bad}"
            );
        }
    }

    #[test]
    fn hash_is_keyed_and_debug_is_redacted() {
        let a = MasterKey::from_bytes([1; 32]);
        let b = MasterKey::from_bytes([2; 32]);
        assert_ne!(a.credentials_hash("tok"), b.credentials_hash("tok"));
        assert_eq!(a.credentials_hash("tok"), a.credentials_hash("tok"));
        assert_eq!(a.credentials_hash("tok").len(), 64);
        let shown = format!("{a:?}");
        assert!(!shown.contains(&hex::encode([1u8; 32])), "{shown}");
        assert_ne!(a.check_value(), b.check_value());
    }

    #[test]
    fn key_file_created_once_and_shared() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state.db");
        let path = key_file_path(&db);
        assert!(read_key_file(&path).unwrap().is_none());
        let first = create_key_file(&path).unwrap();
        let second = create_key_file(&path).unwrap();
        assert_eq!(first.check_value(), second.check_value());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            read_key_file(&path),
            Err(CryptoError::MalformedFile { .. })
        ));
    }
}
