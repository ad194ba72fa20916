//! DO_ENVSYNC_MASTER_KEY: hex and base64 keys work and create no key file, a
//! malformed value is a clear error, and the database remembers which key it uses.
//! One test only: the variable is process-wide.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use do_envsync::control::{ControlError, ControlPlane, NewConnection, MASTER_KEY_ENV};
use do_envsync::emulator::{Emulator, EmulatorConfig};
use do_envsync::store::crypto::CryptoError;
use do_envsync::store::Store;

fn key_file(db: &std::path::Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".master.key");
    PathBuf::from(s)
}

#[tokio::test]
async fn master_key_from_the_environment() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let bytes: [u8; 32] = rand::random();

    std::env::set_var(MASTER_KEY_ENV, "not-a-key");
    let store = Arc::new(Store::open(&db).unwrap());
    let err = ControlPlane::open(store.clone()).unwrap_err();
    assert!(
        matches!(err, ControlError::Crypto(CryptoError::MalformedEnv)),
        "{err}"
    );
    assert!(err.to_string().contains(MASTER_KEY_ENV), "{err}");
    assert!(!err.to_string().contains("not-a-key"), "{err}");

    std::env::set_var(MASTER_KEY_ENV, hex::encode(bytes));
    let cp = ControlPlane::open(store.clone()).unwrap();
    assert!(
        !key_file(&db).exists(),
        "an env key never creates a key file"
    );
    let mut input = NewConnection::new("main", emu.token());
    input.base_url = Some(emu.base_url());
    let c = cp.create_connection(input).await.unwrap();

    // The same key in base64 opens the same tokens.
    std::env::set_var(
        MASTER_KEY_ENV,
        base64::engine::general_purpose::STANDARD.encode(bytes),
    );
    let cp = ControlPlane::open(store.clone()).unwrap();
    cp.client_for(&c).unwrap().account().get().await.unwrap();

    // Another key, or none at all, is refused without creating a key file.
    std::env::set_var(MASTER_KEY_ENV, hex::encode([9u8; 32]));
    let err = ControlPlane::open(store.clone()).unwrap_err();
    assert!(
        matches!(err, ControlError::Crypto(CryptoError::WrongKey { .. })),
        "{err}"
    );
    std::env::remove_var(MASTER_KEY_ENV);
    let err = ControlPlane::open(store).unwrap_err();
    assert!(
        matches!(err, ControlError::Crypto(CryptoError::MissingKey { .. })),
        "{err}"
    );
    assert!(!key_file(&db).exists());
}
