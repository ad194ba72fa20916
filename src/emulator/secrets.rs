//! `EV[...]` secret encryption, as App Platform does for `type: SECRET` env values.
//!
//! A plaintext SECRET value is replaced by `EV[1:<base64 nonce>:<base64 ciphertext>]`
//! (AES-256-GCM, fresh random nonce per encryption, so one plaintext never gives the
//! same EV twice). An `EV[...]` string this emulator issued is accepted back unchanged;
//! anything else shaped like `EV[...]` that does not decrypt is rejected.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;

use super::spec_walk::{env_lists_mut, EnvListPath};

const NONCE_LEN: usize = 12;

/// Encrypts and decrypts `EV[...]` strings with one per-emulator key.
pub(crate) struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub(crate) fn new(key: [u8; 32]) -> SecretBox {
        SecretBox {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    /// Encrypts `plaintext` with the given nonce (the caller supplies fresh random bytes).
    pub(crate) fn encrypt(&self, plaintext: &str, nonce: [u8; NONCE_LEN]) -> String {
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        format!("EV[1:{}:{}]", B64.encode(nonce), B64.encode(ciphertext))
    }

    /// The plaintext of an `EV[...]` issued by this box, `None` for anything else.
    pub(crate) fn decrypt(&self, ev: &str) -> Option<String> {
        let inner = ev.strip_prefix("EV[")?.strip_suffix(']')?;
        let mut parts = inner.splitn(3, ':');
        let (version, nonce, ciphertext) = (parts.next()?, parts.next()?, parts.next()?);
        if version != "1" {
            return None;
        }
        let nonce = B64.decode(nonce).ok()?;
        if nonce.len() != NONCE_LEN {
            return None;
        }
        let ciphertext = B64.decode(ciphertext).ok()?;
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// True when a value has the `EV[...]` shape (whether or not it decrypts).
pub(crate) fn looks_encrypted(value: &str) -> bool {
    value.starts_with("EV[") && value.ends_with(']')
}

/// Encrypts every plaintext SECRET value of `spec` in place (app-level `envs` and every
/// component's `envs`), keeping issued `EV[...]` strings byte-identical.
///
/// Returns a DigitalOcean-style validation message when a SECRET carries an `EV[...]`
/// this emulator did not issue (forged or corrupted ciphertext).
pub(crate) fn seal_spec_secrets(
    spec: &mut Value,
    secrets: &SecretBox,
    mut fresh_nonce: impl FnMut() -> [u8; NONCE_LEN],
) -> Result<(), String> {
    for (path, envs) in env_lists_mut(spec) {
        for (index, env) in envs.iter_mut().enumerate() {
            let Some(env) = env.as_object_mut() else {
                continue;
            };
            if env.get("type").and_then(Value::as_str) != Some("SECRET") {
                continue;
            }
            let Some(Value::String(value)) = env.get_mut("value") else {
                continue;
            };
            if looks_encrypted(value) {
                if secrets.decrypt(value).is_none() {
                    return Err(format!(
                        "error validating app spec field \"{}\": encrypted value is invalid or was not issued for this account",
                        field_path(&path, index)
                    ));
                }
            } else {
                *value = secrets.encrypt(value, fresh_nonce());
            }
        }
    }
    Ok(())
}

fn field_path(path: &EnvListPath, index: usize) -> String {
    format!("{}[{index}].value", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sealed(spec: Value) -> Result<Value, String> {
        let secrets = SecretBox::new([7u8; 32]);
        let mut counter = 0u8;
        let mut spec = spec;
        seal_spec_secrets(&mut spec, &secrets, || {
            counter += 1;
            [counter; NONCE_LEN]
        })?;
        Ok(spec)
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let secrets = SecretBox::new([1u8; 32]);
        let a = secrets.encrypt("hunter2", [1; NONCE_LEN]);
        let b = secrets.encrypt("hunter2", [2; NONCE_LEN]);
        assert_ne!(a, b);
        assert!(a.starts_with("EV[1:") && a.ends_with(']'));
        assert_eq!(secrets.decrypt(&a).as_deref(), Some("hunter2"));
        assert_eq!(secrets.decrypt(&b).as_deref(), Some("hunter2"));
    }

    #[test]
    fn foreign_or_corrupt_ev_does_not_decrypt() {
        let ours = SecretBox::new([1u8; 32]);
        let theirs = SecretBox::new([2u8; 32]);
        let ev = theirs.encrypt("x", [3; NONCE_LEN]);
        assert_eq!(ours.decrypt(&ev), None);
        assert_eq!(ours.decrypt("EV[1:AAAA:BBBB]"), None);
        assert_eq!(ours.decrypt("EV[2:x:y]"), None);
        let mut corrupt = ours.encrypt("x", [3; NONCE_LEN]);
        corrupt.insert(corrupt.len() - 2, 'A');
        assert_eq!(ours.decrypt(&corrupt), None);
    }

    #[test]
    fn seals_app_and_component_secrets_only() {
        let spec = sealed(json!({
            "name": "a",
            "envs": [{"key": "S", "value": "p", "type": "SECRET"}, {"key": "G", "value": "g"}],
            "workers": [{"name": "w", "envs": [{"key": "T", "value": "q", "type": "SECRET"}]}]
        }))
        .unwrap();
        let s = spec["envs"][0]["value"].as_str().unwrap();
        assert!(looks_encrypted(s));
        assert_eq!(spec["envs"][1]["value"], "g");
        assert!(looks_encrypted(
            spec["workers"][0]["envs"][0]["value"].as_str().unwrap()
        ));
    }

    #[test]
    fn issued_ev_kept_forged_rejected() {
        let secrets = SecretBox::new([7u8; 32]);
        let ev = secrets.encrypt("v", [9; NONCE_LEN]);
        let spec =
            sealed(json!({"name": "a", "envs": [{"key": "S", "value": ev, "type": "SECRET"}]}))
                .unwrap();
        assert_eq!(spec["envs"][0]["value"], ev.as_str());
        let err = sealed(json!({"name": "a", "services": [{"name": "web", "envs": [
            {"key": "S", "value": "EV[1:Zm9v:YmFy]", "type": "SECRET"}]}]}))
        .unwrap_err();
        assert!(err.contains("services[0].envs[0].value"), "{err}");
        assert!(!err.contains("Zm9v"));
    }
}
