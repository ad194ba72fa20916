//! A second local user attacking the store's files (issue 14, items 1-4): links planted
//! where lock and state files go, files and directories another user owns, loose
//! permissions. Each test performs the attack and checks that the store refuses it
//! with a message naming the path and the fix, and that nothing was written through a
//! link or changed on a file that is not ours.
//!
//! The other user is simulated by files chowned to uid 65534 (`nobody`), which needs
//! root: the tests run as root in CI.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use do_envsync::store::crypto::{key_file_path, CryptoError, MasterKey, MASTER_KEY_ENV};
use do_envsync::store::{Store, StoreError};

const OTHER_UID: u32 = 65534;

/// Hands `path` to the other user (needs root, as in CI).
fn give_to_other_user(path: &Path) {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "these tests simulate a second user with chown: run them as root (CI does)"
    );
    std::os::unix::fs::lchown(path, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn unsafe_path(err: StoreError) -> (String, PathBuf) {
    let text = err.to_string();
    match err {
        StoreError::UnsafePath { path, .. } => (text, path),
        other => panic!("expected UnsafePath, got {other:?}"),
    }
}

/// A victim's file (`~/.bashrc`) that a link points at.
fn victim_file(dir: &Path) -> (PathBuf, &'static str) {
    let path = dir.join("bashrc");
    let content = "export PATH=$HOME/bin:$PATH\n";
    fs::write(&path, content).unwrap();
    set_mode(&path, 0o644);
    (path, content)
}

#[test]
fn a_lock_file_planted_as_a_link_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let store = Store::open(&db).unwrap();
    let (bashrc, content) = victim_file(dir.path());
    let lock = with_suffix(&db, ".locks").join("app-1.lock");
    symlink(&bashrc, &lock).unwrap();

    let (text, path) = unsafe_path(store.lock_app("app-1", Duration::from_secs(1)).unwrap_err());
    assert_eq!(path, lock);
    assert!(text.contains("symbolic link"), "{text}");
    assert!(text.contains(&lock.display().to_string()), "{text}");
    assert_eq!(
        fs::read_to_string(&bashrc).unwrap(),
        content,
        "written through the link"
    );
    assert_eq!(mode(&bashrc), 0o644);

    // A dangling link creates nothing at its target either.
    let missing = dir.path().join("created-by-link");
    let lock2 = with_suffix(&db, ".locks").join("app-2.lock");
    symlink(&missing, &lock2).unwrap();
    store.lock_app("app-2", Duration::from_secs(1)).unwrap_err();
    assert!(!missing.exists());
}

#[test]
fn a_lock_directory_planted_by_another_user_is_refused() {
    // The scenario: the other user pre-creates `<state>.locks/` (0777) with a
    // link to the victim's file in it.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let (bashrc, content) = victim_file(dir.path());
    let locks = with_suffix(&db, ".locks");
    fs::create_dir(&locks).unwrap();
    set_mode(&locks, 0o777);
    symlink(&bashrc, locks.join("app-1.lock")).unwrap();
    give_to_other_user(&locks);

    let (text, path) = unsafe_path(Store::open(&db).unwrap_err());
    assert_eq!(path, locks);
    assert!(text.contains("lock directory"), "{text}");
    assert!(text.contains("uid 65534"), "{text}");
    assert_eq!(fs::read_to_string(&bashrc).unwrap(), content);
    assert_eq!(mode(&locks), 0o777, "another user's directory was changed");

    // Ours but writable by others: refused too, with the chmod that fixes it.
    std::os::unix::fs::lchown(&locks, Some(0), Some(0)).unwrap();
    let (text, _) = unsafe_path(Store::open(&db).unwrap_err());
    assert!(text.contains("mode 0777"), "{text}");
    assert!(
        text.contains(&format!("chmod go-w {}", locks.display())),
        "{text}"
    );

    // A link in place of the lock directory is refused.
    fs::remove_dir_all(&locks).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    set_mode(&elsewhere, 0o700);
    symlink(&elsewhere, &locks).unwrap();
    let (text, _) = unsafe_path(Store::open(&db).unwrap_err());
    assert!(text.contains("symbolic link"), "{text}");
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn a_state_database_planted_by_another_user_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    fs::write(&db, b"").unwrap();
    set_mode(&db, 0o666);
    give_to_other_user(&db);

    let (text, path) = unsafe_path(Store::open(&db).unwrap_err());
    assert_eq!(path, db);
    assert!(text.contains("state database"), "{text}");
    assert!(text.contains("uid 65534"), "{text}");
    assert!(text.contains("--state"), "the fix is named: {text}");
    let meta = fs::metadata(&db).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (OTHER_UID, 0o666));
    // Nothing else was created beside it.
    assert!(!with_suffix(&db, ".key").exists());
    assert!(!with_suffix(&db, ".locks").exists());
}

#[test]
fn key_files_planted_by_another_user_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    drop(Store::open(&db).unwrap());

    // The fingerprint key.
    let key = with_suffix(&db, ".key");
    fs::remove_file(&key).unwrap();
    fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    set_mode(&key, 0o644);
    give_to_other_user(&key);
    let (text, path) = unsafe_path(Store::open(&db).unwrap_err());
    assert_eq!(path, key);
    assert!(text.contains("fingerprint key file"), "{text}");
    assert_eq!(mode(&key), 0o644);
    fs::remove_file(&key).unwrap();
    drop(Store::open(&db).unwrap());

    // The master key that seals connection tokens.
    let master = key_file_path(&db);
    fs::write(&master, format!("{}\n", "cd".repeat(32))).unwrap();
    set_mode(&master, 0o666);
    give_to_other_user(&master);
    // SAFETY: this test binary reads the variable only here and in the crypto module.
    std::env::remove_var(MASTER_KEY_ENV);
    let err = MasterKey::resolve(&db, true).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CryptoError::UnsafeFile(_)), "{err:?}");
    assert!(text.contains("master key file"), "{text}");
    assert!(text.contains("uid 65534"), "{text}");
    let meta = fs::metadata(&master).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (OTHER_UID, 0o666));

    // Our own key file, readable by others, is reported rather than silently changed.
    std::os::unix::fs::lchown(&master, Some(0), Some(0)).unwrap();
    let text = MasterKey::resolve(&db, true).unwrap_err().to_string();
    assert!(text.contains("mode 0666"), "{text}");
    assert!(
        text.contains(&format!("chmod 600 {}", master.display())),
        "{text}"
    );
    assert_eq!(mode(&master), 0o666);
}

#[test]
fn a_state_path_that_is_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // To an existing file: its mode is not changed, nothing is written to it.
    let (target, content) = victim_file(dir.path());
    let db = dir.path().join("state.db");
    symlink(&target, &db).unwrap();
    let (text, path) = unsafe_path(Store::open(&db).unwrap_err());
    assert_eq!(path, db);
    assert!(text.contains("symbolic link"), "{text}");
    assert!(
        text.contains(&target.display().to_string()),
        "names the target: {text}"
    );
    assert_eq!(mode(&target), 0o644);
    assert_eq!(fs::read_to_string(&target).unwrap(), content);

    // Dangling: no database appears at its target.
    let db2 = dir.path().join("other.db");
    let nowhere = dir.path().join("appears-here.db");
    symlink(&nowhere, &db2).unwrap();
    unsafe_path(Store::open(&db2).unwrap_err());
    assert!(!nowhere.exists());
}

#[test]
fn loose_permissions_are_reported_not_changed() {
    // A state directory anyone can write to (a shared directory).
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    fs::create_dir(&shared).unwrap();
    set_mode(&shared, 0o777);
    let db = shared.join("state.db");
    let (text, path) = unsafe_path(Store::open(&db).unwrap_err());
    assert_eq!(path, shared);
    assert!(
        text.contains("state directory") && text.contains("mode 0777"),
        "{text}"
    );
    assert!(!db.exists(), "nothing is created in an unsafe directory");
    assert_eq!(mode(&shared), 0o777);

    // A state directory of another user.
    set_mode(&shared, 0o700);
    give_to_other_user(&shared);
    let (text, _) = unsafe_path(Store::open(&db).unwrap_err());
    assert!(text.contains("uid 65534"), "{text}");

    // Our own files with loose modes: the database and a lock file.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let store = Store::open(&db).unwrap();
    let lock = with_suffix(&db, ".locks").join("app-1.lock");
    fs::write(&lock, b"").unwrap();
    set_mode(&lock, 0o666);
    let (text, path) = unsafe_path(store.lock_app("app-1", Duration::from_secs(1)).unwrap_err());
    assert_eq!(path, lock);
    assert!(text.contains("mode 0666"), "{text}");
    assert_eq!(mode(&lock), 0o666);
    drop(store);
    set_mode(&db, 0o644);
    let (text, path) = unsafe_path(Store::open(&db).unwrap_err());
    assert_eq!(path, db);
    assert!(
        text.contains(&format!("chmod 600 {}", db.display())),
        "{text}"
    );
    assert_eq!(mode(&db), 0o644);
    // After the fix the store opens again.
    set_mode(&db, 0o600);
    Store::open(&db).unwrap();
}

#[test]
fn fresh_nested_state_directories_are_created_private_and_work() {
    // The normal paths keep working: a fresh nested directory is created 0700.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a").join("b").join("state.db");
    let store = Store::open(&db).unwrap();
    drop(store.lock_app("app-1", Duration::from_secs(1)).unwrap());
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert_eq!(mode(&with_suffix(&db, ".locks")), 0o700);
    assert_eq!(mode(&with_suffix(&db, ".locks").join("app-1.lock")), 0o600);
}
