//! Control plane connections against the emulator: CRUD with PATCH semantics, every
//! validation error with nothing written, the token check, the master key (file and
//! mismatch), tokens never on disk, and two control planes on one database.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use do_envsync::client::ClientBuilder;
use do_envsync::control::{
    Connection, ConnectionPatch, ControlError, ControlPlane, NewConnection, DEFAULT_BASE_URL,
};
use do_envsync::emulator::{Emulator, EmulatorConfig};
use do_envsync::store::crypto::{CryptoError, MasterKey};
use do_envsync::store::Store;
use secrecy::SecretString;
use serde_json::{json, Value};

struct Fx {
    emu: Emulator,
    cp: ControlPlane,
    db: PathBuf,
    token: String,
    _dir: tempfile::TempDir,
}

fn canary_token() -> String {
    format!("dop_v1_canary{}", uuid::Uuid::new_v4().simple())
}

fn fx() -> Fx {
    let token = canary_token();
    let emu = Emulator::start(EmulatorConfig {
        token: token.clone(),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let cp = ControlPlane::open(Arc::new(Store::open(&db).unwrap())).unwrap();
    Fx {
        emu,
        cp,
        db,
        token,
        _dir: dir,
    }
}

impl Fx {
    fn new_conn(&self, name: &str) -> NewConnection {
        let mut input = NewConnection::new(name, self.token.clone());
        input.base_url = Some(self.emu.base_url());
        input
    }

    async fn conn(&self, name: &str) -> Connection {
        self.cp
            .create_connection(self.new_conn(name))
            .await
            .unwrap()
    }

    fn account_checks(&self) -> usize {
        self.emu.request_count(Some("GET"), Some("/v2/account"))
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[tokio::test]
async fn create_get_list_and_json_shape() {
    let fx = fx();
    let mut input = fx.new_conn("prod-account");
    input.description = Some("production".into());
    let c = fx.cp.create_connection(input).await.unwrap();
    assert_eq!(fx.account_checks(), 1, "the token is checked once");
    assert_eq!(c.version, 1);
    assert_eq!(c.credentials_hash.len(), 64);

    let v = c.to_json();
    let a = &v["appConnection"];
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "description",
            "orgId",
            "projectId",
            "project",
            "app",
            "method",
            "credentials",
            "credentialsHash",
            "version",
            "createdAt",
            "updatedAt",
            "isPlatformManagedCredentials",
            "gatewayId",
            "isAutoRotationEnabled",
            "rotation",
            "baseUrl"
        ]
    );
    assert_eq!(a["app"], "digital-ocean");
    // Infisical's organization/project fields: a connection here belongs to neither.
    for field in ["orgId", "projectId", "project"] {
        assert_eq!(a[field], Value::Null, "{field}");
    }
    assert_eq!(a["method"], "api-token");
    assert_eq!(a["credentials"], json!({}));
    assert_eq!(a["isPlatformManagedCredentials"], false);
    assert_eq!(a["gatewayId"], Value::Null);
    assert_eq!(a["rotation"], Value::Null);
    assert_eq!(a["baseUrl"], fx.emu.base_url());
    assert_eq!(a["description"], "production");
    assert!(a["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(uuid::Uuid::parse_str(a["id"].as_str().unwrap()).is_ok());

    assert_eq!(fx.cp.get_connection(&c.id).unwrap(), c);
    assert_eq!(fx.cp.get_connection("prod-account").unwrap(), c);
    let other = fx.conn("a-first").await;
    let names: Vec<String> = fx
        .cp
        .list_connections()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["a-first", "prod-account"]);
    assert!(matches!(
        fx.cp.get_connection("nope"),
        Err(ControlError::NotFound {
            what: "connection",
            ..
        })
    ));
    // The token is in no output.
    for shown in [
        format!("{c:?}"),
        c.to_json().to_string(),
        format!("{other:?}"),
        format!("{:?}", fx.new_conn("x")),
    ] {
        assert!(!shown.contains(&fx.token), "{shown}");
    }
}

#[tokio::test]
async fn default_base_url_is_digitalocean() {
    // No request is made: the name is taken, which is checked before the token.
    let fx = fx();
    fx.conn("taken").await;
    let err = fx
        .cp
        .create_connection(NewConnection::new("taken", "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::AlreadyExists {
                what: "connection",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(DEFAULT_BASE_URL, "https://api.digitalocean.com");
}

#[tokio::test]
async fn patch_changes_only_given_fields() {
    let fx = fx();
    let c = fx.conn("prod").await;
    tokio::time::sleep(Duration::from_millis(2)).await;

    let patch = ConnectionPatch {
        description: Some(Some("new words".into())),
        ..Default::default()
    };
    let u = fx.cp.update_connection("prod", patch).await.unwrap();
    assert_eq!(u.version, 2);
    assert!(u.updated_at > c.updated_at);
    assert_ne!(
        u.to_json()["appConnection"]["updatedAt"],
        c.to_json()["appConnection"]["updatedAt"]
    );
    assert_eq!(u.created_at, c.created_at);
    assert_eq!(u.description.as_deref(), Some("new words"));
    assert_eq!((u.name.as_str(), &u.base_url), ("prod", &c.base_url));
    assert_eq!(u.credentials_hash, c.credentials_hash);
    assert_eq!(fx.account_checks(), 1, "no token change, no check");

    // The same token again: no request, the hash is unchanged.
    let same = ConnectionPatch {
        token: Some(SecretString::from(fx.token.clone())),
        ..Default::default()
    };
    let u = fx.cp.update_connection(&c.id, same).await.unwrap();
    assert_eq!((u.version, fx.account_checks()), (3, 1));

    // Clearing the description and renaming.
    let patch =
        ConnectionPatch::from_json(&json!({"description": null, "name": "prod-2"})).unwrap();
    let u = fx.cp.update_connection("prod", patch).await.unwrap();
    assert_eq!((u.version, u.description.clone()), (4, None));
    assert!(fx.cp.get_connection("prod").is_err());
    assert_eq!(fx.cp.get_connection("prod-2").unwrap(), u);

    // An empty patch is an error and changes nothing.
    let err = fx
        .cp
        .update_connection("prod-2", ConnectionPatch::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ControlError::Invalid { .. }), "{err}");
    assert_eq!(fx.cp.get_connection("prod-2").unwrap().version, 4);
}

#[tokio::test]
async fn replaced_token_is_checked_and_a_rejected_one_changes_nothing() {
    let fx = fx();
    let c = fx.conn("prod").await;
    let bad = ConnectionPatch {
        token: Some(SecretString::from("dop_v1_wrong".to_owned())),
        ..Default::default()
    };
    let err = fx.cp.update_connection("prod", bad).await.unwrap_err();
    assert!(matches!(err, ControlError::Api(_)), "{err}");
    assert!(
        err.to_string().contains("Unable to authenticate you"),
        "{err}"
    );
    assert_eq!(fx.account_checks(), 2);
    assert_eq!(fx.cp.get_connection("prod").unwrap(), c);

    // Moving the base URL re-checks the stored token against the new endpoint.
    let other = Emulator::start(EmulatorConfig::default()).unwrap();
    let moved = ConnectionPatch {
        base_url: Some(Some(other.base_url())),
        ..Default::default()
    };
    let err = fx.cp.update_connection("prod", moved).await.unwrap_err();
    assert!(
        err.to_string().contains("Unable to authenticate you"),
        "{err}"
    );
    assert_eq!(fx.cp.get_connection("prod").unwrap(), c);

    // A new token the new endpoint accepts: checked, stored, new hash.
    let moved = ConnectionPatch {
        base_url: Some(Some(other.base_url())),
        token: Some(SecretString::from(other.token())),
        ..Default::default()
    };
    let u = fx.cp.update_connection("prod", moved).await.unwrap();
    assert_ne!(u.credentials_hash, c.credentials_hash);
    assert_eq!(other.request_count(Some("GET"), Some("/v2/account")), 2);
    let client = fx.cp.client_for(&u).unwrap();
    assert_eq!(
        client.base_url().as_str().trim_end_matches('/'),
        other.base_url()
    );
}

#[tokio::test]
async fn every_validation_error_writes_nothing() {
    let fx = fx();
    let base = || fx.new_conn("ok-name");
    let mut cases: Vec<(NewConnection, &str)> = Vec::new();
    let mut c = base();
    c.name = "Not_A_Slug".into();
    cases.push((c, "invalid name"));
    let mut c = base();
    c.name = "a".repeat(65);
    cases.push((c, "invalid name"));
    let mut c = base();
    c.name = String::new();
    cases.push((c, "invalid name"));
    let mut c = base();
    c.description = Some("d".repeat(257));
    cases.push((c, "invalid description"));
    let mut c = base();
    c.base_url = Some("http://api.example.com".into());
    cases.push((c, "invalid baseUrl"));
    let mut c = base();
    c.base_url = Some("not a url".into());
    cases.push((c, "invalid baseUrl"));
    let mut c = base();
    c.token = SecretString::from("   ".to_owned());
    cases.push((c, "invalid token"));
    for (field, value) in [
        ("isPlatformManagedCredentials", json!(true)),
        ("gatewayId", json!("3c90c3cc-0d44-4b50-8888-8dd25736052a")),
        ("is_auto_rotation_enabled", json!(true)),
        ("rotation", json!({"rotationInterval": 3600})),
    ] {
        let mut c = base();
        c.extra.insert(field.into(), value);
        cases.push((c, "not supported for DigitalOcean connections"));
    }
    let mut c = base();
    c.extra.insert("region".into(), json!("nyc"));
    cases.push((c, "invalid region: unknown field"));

    for (input, expected) in cases {
        let err = fx.cp.create_connection(input).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{err} vs {expected}");
        assert!(
            matches!(
                err,
                ControlError::Invalid { .. } | ControlError::Unsupported { .. }
            ),
            "{err:?}"
        );
    }
    assert_eq!(fx.account_checks(), 0, "local validation sends nothing");

    // Set to their defaults, the unsupported fields are accepted.
    let mut c = base();
    for (field, value) in [
        ("isPlatformManagedCredentials", json!(false)),
        ("gatewayId", Value::Null),
        ("isAutoRotationEnabled", json!(false)),
        ("rotation", Value::Null),
    ] {
        c.extra.insert(field.into(), value);
    }
    c.name = "defaults-ok".into();
    fx.cp.create_connection(c).await.unwrap();

    // A token DigitalOcean rejects: its message, nothing stored.
    let mut c = base();
    c.token = SecretString::from("dop_v1_not_the_token".to_owned());
    let err = fx.cp.create_connection(c).await.unwrap_err();
    assert!(matches!(err, ControlError::Api(_)), "{err}");
    assert!(
        err.to_string().contains("Unable to authenticate you"),
        "{err}"
    );
    let names: Vec<String> = fx
        .cp
        .list_connections()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["defaults-ok"]);
}

#[tokio::test]
async fn delete_returns_the_connection() {
    let fx = fx();
    let c = fx.conn("gone").await;
    assert_eq!(fx.cp.delete_connection("gone", false).unwrap(), c);
    assert!(matches!(
        fx.cp.delete_connection("gone", false),
        Err(ControlError::NotFound { .. })
    ));
    assert!(fx.cp.list_connections().unwrap().is_empty());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn token_is_never_on_disk_and_the_hash_is_keyed() {
    let fx = fx();
    let c = fx.conn("prod").await;
    let second = canary_token();
    // A rejected token is not stored either.
    let _ = fx
        .cp
        .update_connection(
            "prod",
            ConnectionPatch {
                token: Some(SecretString::from(second.clone())),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let plain_sha = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(fx.token.as_bytes()))
    };
    assert_ne!(c.credentials_hash, plain_sha);
    let dir = fx.db.parent().unwrap();
    let mut scanned = 0;
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        scanned += 1;
        for needle in [fx.token.as_str(), second.as_str(), "canary"] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle} in {}",
                entry.display()
            );
        }
    }
    assert!(scanned >= 4, "db, wal, key, master key: {scanned}");
    assert!(with_suffix(&fx.db, "-wal").exists());
    // But the token still works: a client can be built and used.
    let client = fx.cp.client_for(&c).unwrap();
    client.account().get().await.unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn master_key_file_is_private_stable_and_required_once_used() {
    let fx = fx();
    let key_path = with_suffix(&fx.db, ".master.key");
    assert!(key_path.exists());
    #[cfg(unix)]
    assert_eq!(mode(&key_path), 0o600);
    let c = fx.conn("prod").await;
    drop(fx.cp);

    // Reopening reads the same key: the token still decrypts.
    let cp = ControlPlane::open(Arc::new(Store::open(&fx.db).unwrap())).unwrap();
    cp.client_for(&c).unwrap().account().get().await.unwrap();
    drop(cp);

    // Another key is refused before anything is decrypted.
    let store = Arc::new(Store::open(&fx.db).unwrap());
    let err = ControlPlane::open_with(store.clone(), MasterKey::generate(), ClientBuilder::new())
        .unwrap_err();
    assert!(
        matches!(err, ControlError::Crypto(CryptoError::WrongKey { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("DO_ENVSYNC_MASTER_KEY"), "{err}");

    // A lost key file is not silently replaced by a new key.
    let saved = std::fs::read(&key_path).unwrap();
    std::fs::remove_file(&key_path).unwrap();
    let err = ControlPlane::open(store.clone()).unwrap_err();
    assert!(
        matches!(err, ControlError::Crypto(CryptoError::MissingKey { .. })),
        "{err}"
    );
    assert!(!key_path.exists());

    // A corrupt key file is a clear error (owner-only, or its mode is refused first).
    std::fs::write(&key_path, "zz").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let err = ControlPlane::open(store.clone()).unwrap_err();
    assert!(
        matches!(err, ControlError::Crypto(CryptoError::MalformedFile { .. })),
        "{err}"
    );
    std::fs::write(&key_path, saved).unwrap();
    ControlPlane::open(store).unwrap();
}

#[tokio::test]
async fn two_control_planes_share_one_database() {
    let fx = fx();
    let other = ControlPlane::open(Arc::new(Store::open(&fx.db).unwrap())).unwrap();
    let c = fx.conn("shared").await;
    assert_eq!(other.get_connection("shared").unwrap(), c);
    // The other process's client decrypts the token with the shared key file.
    other.client_for(&c).unwrap().account().get().await.unwrap();

    let u = other
        .update_connection(
            "shared",
            ConnectionPatch {
                description: Some(Some("from b".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(fx.cp.get_connection("shared").unwrap(), u);
    let err = other
        .create_connection(fx.new_conn("shared"))
        .await
        .unwrap_err();
    assert!(matches!(err, ControlError::AlreadyExists { .. }), "{err}");

    // Concurrent creates of one name from both: exactly one wins.
    let (a, b) = tokio::join!(
        fx.cp.create_connection(fx.new_conn("race")),
        other.create_connection(fx.new_conn("race"))
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} / {b:?}");
    let loser = a.err().or(b.err()).unwrap();
    assert!(
        matches!(loser, ControlError::AlreadyExists { .. }),
        "{loser}"
    );
}

fn app_spec(name: &str) -> Value {
    json!({"name": name, "region": "ams",
           "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}]})
}

#[tokio::test]
async fn connection_apps_pages_lazily_with_the_stored_token() {
    let fx = fx();
    fx.conn("main").await;
    for i in 0..450 {
        fx.emu.seed_app(app_spec(&format!("app-{i:03}"))).unwrap();
    }
    fx.emu.clear_requests();
    let list_reads = || fx.emu.request_count(Some("GET"), Some("/v2/apps"));

    // Nothing is fetched until the first item is asked for; then one page at a time.
    let pages = fx.cp.connection_apps("main").unwrap();
    assert_eq!(list_reads(), 0, "the cursor is lazy");
    let mut items = Box::pin(pages.into_item_stream());
    let first = items.next().await.unwrap().unwrap();
    assert_eq!(list_reads(), 1, "one page for the first app");
    assert!(first["spec"]["name"].as_str().unwrap().starts_with("app-"));
    let mut names = vec![first["spec"]["name"].as_str().unwrap().to_owned()];
    while let Some(app) = items.next().await {
        names.push(app.unwrap()["spec"]["name"].as_str().unwrap().to_owned());
    }
    assert_eq!(names.len(), 450);
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 450, "every app once");
    assert_eq!(list_reads(), 3, "450 apps are 3 pages of 200");
    for r in fx.emu.requests() {
        assert!(
            r.query.as_deref().unwrap_or("").contains("per_page=200"),
            "{r:?}"
        );
    }

    // By id too; an unknown connection fails before any request.
    let id = fx.cp.get_connection("main").unwrap().id;
    assert!(fx.cp.connection_apps(&id).is_ok());
    fx.emu.clear_requests();
    let err = fx.cp.connection_apps("nope").unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::NotFound {
                what: "connection",
                ..
            }
        ),
        "{err}"
    );
    assert!(fx.emu.requests().is_empty());
}
