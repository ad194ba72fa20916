//! Control plane syncs against the emulator: create (app by name or id), validation,
//! PATCH semantics, the "would fight" refusal, deletes, connection deletes with
//! syncs, and the do-envsync.toml config file.

use std::path::PathBuf;
use std::sync::Arc;

use do_envsync::control::{
    apply_config, ConfigAction, ConfigFile, ControlError, ControlPlane, NewConnection, NewSync,
    RunSettings, SyncOptionsInput, SyncPatch,
};
use do_envsync::emulator::{Emulator, EmulatorConfig, Fault, FaultKind};
use do_envsync::store::Store;
use serde_json::{json, Value};

struct Fx {
    emu: Emulator,
    cp: ControlPlane,
    dir: tempfile::TempDir,
    app_id: String,
}

fn app_spec(name: &str) -> Value {
    json!({
        "name": name,
        "region": "nyc",
        "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
        "services": [
            {"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}},
            {"name": "api", "image": {"registry_type": "DOCR", "repository": "a"}}
        ],
    })
}

async fn fx() -> Fx {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let app = emu.seed_app(app_spec("shop")).unwrap();
    emu.seed_app(app_spec("blog")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cp =
        ControlPlane::open(Arc::new(Store::open(dir.path().join("state.db")).unwrap())).unwrap();
    let mut conn = NewConnection::new("main", emu.token());
    conn.base_url = Some(emu.base_url());
    cp.create_connection(conn).await.unwrap();
    Fx {
        app_id: app["id"].as_str().unwrap().to_owned(),
        emu,
        cp,
        dir,
    }
}

fn inline(secrets: Value) -> Value {
    json!({"type": "inline", "secrets": secrets})
}

impl Fx {
    fn new_sync(&self, name: &str, app: &str) -> NewSync {
        NewSync {
            name: name.into(),
            connection: "main".into(),
            app: app.into(),
            source: inline(json!({"API_KEY": "k1"})),
            options: SyncOptionsInput::default(),
            description: None,
            is_enabled: None,
            secret_path: None,
            base_dir: self.dir.path().to_owned(),
        }
    }

    fn with_schema(
        &self,
        name: &str,
        schema: Option<&str>,
        components: Option<&[&str]>,
    ) -> NewSync {
        let mut s = self.new_sync(name, "shop");
        s.options.key_schema = Some(schema.map(str::to_owned));
        s.options.components =
            components.map(|c| Some(c.iter().map(|s| (*s).to_owned()).collect()));
        s
    }

    fn env_keys(&self) -> Vec<String> {
        let apps = self.emu.apps_json();
        let app = apps
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == self.app_id.as_str())
            .unwrap()
            .clone();
        app["spec"]["envs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap().to_owned())
            .collect()
    }

    fn writes(&self) -> usize {
        self.emu.request_count(Some("PUT"), None) + self.emu.request_count(Some("POST"), None)
    }
}

#[tokio::test]
async fn create_resolves_the_app_and_has_infisicals_shape() {
    let fx = fx().await;
    let mut input = fx.new_sync("shop-prod", "shop");
    input.description = Some("shop secrets".into());
    input.secret_path = Some("/app-secrets".into());
    input.options.environment = Some(Some("prod".into()));
    input.options.key_schema = Some(Some("SHOP_{{environment}}_{{secretKey}}".into()));
    let s = fx.cp.create_sync(input).await.unwrap();
    assert_eq!(
        (s.app_id.as_str(), s.app_name.as_str()),
        (fx.app_id.as_str(), "shop")
    );
    assert_eq!((s.version, s.is_enabled), (1, true));

    let v = s.to_json();
    let j = &v["secretSync"];
    assert_eq!(j["destination"], "digital-ocean-app-platform");
    assert_eq!(
        j["destinationConfig"],
        json!({"appId": fx.app_id, "appName": "shop"})
    );
    let conn = fx.cp.get_connection("main").unwrap();
    assert_eq!(j["connectionId"], conn.id);
    assert_eq!(
        j["connection"],
        json!({"id": conn.id, "name": "main", "app": "digital-ocean"})
    );
    // `{{environment}}` is in syncOptions; the top-level `environment` is Infisical's
    // project environment, which only an Infisical source has.
    assert_eq!(j["environment"], Value::Null);
    assert_eq!(j["secretPath"], "/app-secrets");
    assert_eq!(
        j["syncOptions"],
        json!({
            "initialSyncBehavior": "overwrite-destination",
            "environment": "prod",
            "keySchema": "SHOP_{{environment}}_{{secretKey}}",
            "autoSyncEnabled": true,
            "disableSecretDeletion": false,
            "components": null,
            "defaultType": "SECRET",
            "defaultScope": "RUN_AND_BUILD_TIME",
            "ifDeploying": "wait",
            "deployWaitTimeout": 600.0,
        })
    );
    // The public source lists key names only.
    assert_eq!(j["source"], json!({"type": "inline", "keys": ["API_KEY"]}));
    assert!(!v.to_string().contains("k1"));
    for field in [
        "syncStatus",
        "lastSyncJobId",
        "lastSyncMessage",
        "lastSyncedAt",
        "importStatus",
        "removeStatus",
        "lastRemovedAt",
    ] {
        assert_eq!(j[field], Value::Null, "{field}");
    }
    assert_eq!(j["isEnabled"], true);
    assert_eq!(j["version"], 1);

    // By id, by name, listed; the app by id.
    assert_eq!(fx.cp.get_sync(&s.id).unwrap(), s);
    assert_eq!(fx.cp.get_sync("shop-prod").unwrap(), s);
    let by_id = fx
        .cp
        .create_sync(fx.with_schema("by-id", Some("X_{{secretKey}}"), None))
        .await;
    assert_eq!(by_id.unwrap().app_name, "shop");
    let mut blog = fx.new_sync("blog", "blog");
    blog.app = fx.emu.apps_json()[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(fx.cp.create_sync(blog).await.unwrap().app_name, "blog");
    let names: Vec<String> = fx
        .cp
        .list_syncs()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["blog", "by-id", "shop-prod"]);
    assert_eq!(
        fx.writes(),
        0,
        "creating syncs never writes to DigitalOcean"
    );
}

#[tokio::test]
async fn validation_errors_write_nothing() {
    let fx = fx().await;
    let cases: Vec<(NewSync, &str)> = vec![
        (fx.new_sync("Bad Name", "shop"), "invalid name"),
        (
            fx.new_sync("ok", "no-such-app"),
            "app \"no-such-app\" not found",
        ),
        (
            fx.new_sync("ok", "3c90c3cc-0d44-4b50-8888-8dd25736052a"),
            "not found",
        ),
        (
            NewSync {
                connection: "nope".into(),
                ..fx.new_sync("ok", "shop")
            },
            "connection \"nope\" not found",
        ),
        (
            NewSync {
                source: json!({"type": "carrier-pigeon"}),
                ..fx.new_sync("ok", "shop")
            },
            "invalid source",
        ),
        (
            NewSync {
                description: Some("x".repeat(300)),
                ..fx.new_sync("ok", "shop")
            },
            "invalid description",
        ),
        (
            NewSync {
                secret_path: Some("no-slash".into()),
                ..fx.new_sync("ok", "shop")
            },
            "invalid secretPath",
        ),
        (
            fx.with_schema("ok", Some("NO_PLACEHOLDER"), None),
            "syncOptions.keySchema",
        ),
        (
            fx.with_schema("ok", Some("{{environment}}_{{secretKey}}"), None),
            "no environment was given",
        ),
        (
            fx.with_schema("ok", None, Some(&["worker"])),
            "no component \"worker\"",
        ),
        (
            fx.with_schema("ok", None, Some(&[])),
            "component target list is empty",
        ),
    ];
    for (input, expected) in cases {
        let err = fx.cp.create_sync(input).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{err} vs {expected}");
        assert!(
            matches!(
                err,
                ControlError::Invalid { .. } | ControlError::NotFound { .. }
            ),
            "{err:?}"
        );
    }
    let mut bad_behavior = fx.new_sync("ok", "shop");
    bad_behavior.options.initial_sync_behavior = Some("merge".into());
    let err = fx.cp.create_sync(bad_behavior).await.unwrap_err();
    assert!(err.to_string().contains("initialSyncBehavior"), "{err}");
    assert!(fx.cp.list_syncs().unwrap().is_empty());

    fx.cp
        .create_sync(fx.new_sync("taken", "blog"))
        .await
        .unwrap();
    let err = fx
        .cp
        .create_sync(fx.new_sync("taken", "shop"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ControlError::AlreadyExists { what: "sync", .. }),
        "{err}"
    );
    assert_eq!(fx.writes(), 0);
}

#[tokio::test]
async fn overlapping_syncs_would_fight_and_are_refused() {
    let fx = fx().await;
    fx.cp
        .create_sync(fx.with_schema("prod", Some("PROD_{{secretKey}}"), None))
        .await
        .unwrap();
    // Disjoint prefix: fine. A component target: fine even without a schema.
    fx.cp
        .create_sync(fx.with_schema("dev", Some("DEV_{{secretKey}}"), None))
        .await
        .unwrap();
    fx.cp
        .create_sync(fx.with_schema("web", None, Some(&["web"])))
        .await
        .unwrap();
    // Another app: fine.
    fx.cp
        .create_sync(fx.new_sync("blog", "blog"))
        .await
        .unwrap();

    let fights = [
        fx.with_schema("all", None, None),
        fx.with_schema("nested", Some("PROD_DB_{{secretKey}}"), None),
        fx.with_schema("suffix", Some("{{secretKey}}_X"), None),
        fx.with_schema("web-too", Some("W_{{secretKey}}"), Some(&["api", "web"])),
    ];
    for input in fights {
        let name = input.name.clone();
        let err = fx.cp.create_sync(input).await.unwrap_err();
        assert!(matches!(err, ControlError::Overlap { .. }), "{name}: {err}");
        assert!(err.to_string().contains("would fight"), "{err}");
        assert!(fx.cp.get_sync(&name).is_err());
    }
    fx.cp
        .create_sync(fx.with_schema("api", Some("A_{{secretKey}}"), Some(&["api"])))
        .await
        .unwrap();

    // An update that would start a fight is refused and changes nothing.
    let before = fx.cp.get_sync("dev").unwrap();
    let patch = SyncPatch {
        options: SyncOptionsInput {
            key_schema: Some(Some("PROD_X_{{secretKey}}".into())),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = fx.cp.update_sync("dev", patch).await.unwrap_err();
    assert!(
        err.to_string().contains("would fight sync \"prod\""),
        "{err}"
    );
    assert_eq!(fx.cp.get_sync("dev").unwrap(), before);
}

#[tokio::test]
async fn patch_semantics_and_deletes() {
    let fx = fx().await;
    let s = fx
        .cp
        .create_sync(fx.with_schema("s", Some("S_{{secretKey}}"), None))
        .await
        .unwrap();
    let patch = SyncPatch::from_json(
        &json!({"description": "now described", "syncOptions": {"disableSecretDeletion": true}}),
        None,
    )
    .unwrap();
    let u = fx.cp.update_sync("s", patch).await.unwrap();
    assert_eq!(u.version, 2);
    assert!(u.updated_at > s.updated_at);
    assert_eq!(u.description.as_deref(), Some("now described"));
    assert!(u.settings.disable_secret_deletion);
    // Untouched fields keep their values.
    assert_eq!(u.settings.key_schema, s.settings.key_schema);
    assert_eq!(
        (u.app_id.clone(), u.source.clone()),
        (s.app_id.clone(), s.source.clone())
    );

    // Moving to another app resolves it again.
    let moved = fx
        .cp
        .update_sync(
            "s",
            SyncPatch {
                app: Some("blog".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((moved.app_name.as_str(), moved.version), ("blog", 3));
    let err = fx
        .cp
        .update_sync(
            "s",
            SyncPatch {
                app: Some("nope".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ControlError::NotFound { what: "app", .. }),
        "{err}"
    );
    // A new source replaces the old one; its secret stays out of the public part.
    let u = fx
        .cp
        .update_sync(
            "s",
            SyncPatch {
                source: Some(inline(json!({"B": "2", "A": "1"}))),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(u.source, json!({"type": "inline", "keys": ["B", "A"]}));
    let full = fx.cp.source_of(&u).unwrap();
    assert_eq!(full.describe(), fx.cp.source_of(&u).unwrap().describe());
    // Invalid patches and an empty one change nothing.
    for patch in [
        SyncPatch::default(),
        SyncPatch {
            name: Some("UPPER".into()),
            ..Default::default()
        },
        SyncPatch {
            source: Some(json!({"type": "inline"})),
            ..Default::default()
        },
        SyncPatch {
            connection: Some("missing".into()),
            ..Default::default()
        },
    ] {
        assert!(fx.cp.update_sync("s", patch).await.is_err());
    }
    assert_eq!(fx.cp.get_sync("s").unwrap(), u);

    // Disabling is a field like any other.
    let d = fx
        .cp
        .update_sync(
            "s",
            SyncPatch {
                is_enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!d.is_enabled);

    // A connection in use is not deleted unless forced; force takes its syncs along.
    let err = fx.cp.delete_connection("main", false).unwrap_err();
    assert!(matches!(err, ControlError::InUse { .. }), "{err}");
    assert!(
        err.to_string().contains("\"s\"") || err.to_string().contains(" s"),
        "{err}"
    );
    fx.cp
        .create_sync(fx.new_sync("other", "shop"))
        .await
        .unwrap();
    let deleted = fx.cp.delete_sync("other").unwrap();
    assert_eq!(deleted.name, "other");
    assert!(fx.cp.get_sync("other").is_err());
    fx.cp.delete_connection("main", true).unwrap();
    assert!(fx.cp.list_syncs().unwrap().is_empty());
    assert!(fx.cp.list_connections().unwrap().is_empty());
    assert_eq!(fx.writes(), 0, "deletes never touch the apps");
}

const CONFIG: &str = r#"
[[connections]]
name = "main"
token_env = "CONTROL_SYNCS_TEST_TOKEN"
base_url = "BASE"
description = "from the file"

[[syncs]]
name = "shop-file"
connection = "main"
app = "shop"
description = "declared"
[syncs.source]
type = "dotenv"
path = "secrets/.env"
[syncs.options]
key_schema = "FILE_{{secretKey}}"
"#;

#[tokio::test]
async fn config_file_apply_is_idempotent() {
    let fx = fx().await;
    // Unique per test binary: no other test reads this variable.
    std::env::set_var("CONTROL_SYNCS_TEST_TOKEN", fx.emu.token());
    let cfg_dir = fx.dir.path().join("project");
    std::fs::create_dir_all(cfg_dir.join("secrets")).unwrap();
    std::fs::write(cfg_dir.join("secrets/.env"), "A=1\n").unwrap();
    let path = cfg_dir.join("do-envsync.toml");
    std::fs::write(&path, CONFIG.replace("BASE", &fx.emu.base_url())).unwrap();
    fx.cp.delete_connection("main", true).unwrap();

    let file = ConfigFile::load(&path).unwrap();
    let report = apply_config(&fx.cp, &file).await.unwrap();
    let actions: Vec<_> = report
        .items
        .iter()
        .map(|i| (i.kind, i.name.as_str(), i.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("connection", "main", ConfigAction::Created),
            ("sync", "shop-file", ConfigAction::Created)
        ]
    );
    let sync = fx.cp.get_sync("shop-file").unwrap();
    let env_path: PathBuf = cfg_dir.join("secrets/.env");
    assert_eq!(sync.source["paths"], json!([env_path.to_string_lossy()]));
    let checks = fx.emu.request_count(Some("GET"), Some("/v2/account"));

    // Second apply: nothing changes, no version moves, no token check.
    let again = apply_config(&fx.cp, &ConfigFile::load(&path).unwrap())
        .await
        .unwrap();
    assert!(!again.changed(), "{:?}", again.items);
    assert_eq!(fx.cp.get_sync("shop-file").unwrap().version, 1);
    assert_eq!(fx.cp.get_connection("main").unwrap().version, 1);
    assert_eq!(
        fx.emu.request_count(Some("GET"), Some("/v2/account")),
        checks
    );

    // Edit the file: only what changed is updated.
    let edited = CONFIG.replace("BASE", &fx.emu.base_url()).replace(
        "description = \"declared\"",
        "description = \"edited\"\nenabled = false",
    );
    std::fs::write(&path, edited).unwrap();
    let report = apply_config(&fx.cp, &ConfigFile::load(&path).unwrap())
        .await
        .unwrap();
    assert_eq!(report.items[0].action, ConfigAction::Unchanged);
    assert_eq!(report.items[1].action, ConfigAction::Updated);
    assert_eq!(report.items[1].fields, ["description", "isEnabled"]);
    let s = fx.cp.get_sync("shop-file").unwrap();
    assert_eq!((s.version, s.is_enabled), (2, false));

    // A rotated token is checked and stored.
    let other = Emulator::start(EmulatorConfig::default()).unwrap();
    std::env::set_var("CONTROL_SYNCS_TEST_TOKEN", other.token());
    let err = apply_config(&fx.cp, &ConfigFile::load(&path).unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Unable to authenticate you"),
        "{err}"
    );
    std::env::remove_var("CONTROL_SYNCS_TEST_TOKEN");
    let err = apply_config(&fx.cp, &ConfigFile::load(&path).unwrap())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("CONTROL_SYNCS_TEST_TOKEN"),
        "{err}"
    );
    assert!(
        err.to_string().contains("connections[0].token_env"),
        "{err}"
    );
    assert_eq!(fx.emu.request_count(Some("PUT"), None), 0);
}

/// The keys of Infisical's App Platform sync as its API answers it (zod:
/// `BaseSecretSyncSchema` + the DigitalOcean App Platform extension), with their JSON types.
const INFISICAL_SYNC_KEYS: [(&str, &str); 28] = [
    ("id", "string"),
    ("name", "string"),
    ("description", "string|null"),
    ("destination", "string"),
    ("isAutoSyncEnabled", "bool"),
    ("version", "number"),
    ("destinationConfig", "object"),
    ("syncOptions", "object"),
    ("projectId", "string|null"),
    ("folderId", "string|null"),
    ("connectionId", "string"),
    ("createdAt", "string"),
    ("updatedAt", "string"),
    ("syncStatus", "string|null"),
    ("lastSyncJobId", "string|null"),
    ("lastSyncMessage", "string|null"),
    ("lastSyncedAt", "string|null"),
    ("importStatus", "string|null"),
    ("lastImportJobId", "string|null"),
    ("lastImportMessage", "string|null"),
    ("lastImportedAt", "string|null"),
    ("removeStatus", "string|null"),
    ("lastRemoveJobId", "string|null"),
    ("lastRemoveMessage", "string|null"),
    ("lastRemovedAt", "string|null"),
    ("connection", "object"),
    ("environment", "object|null"),
    ("folder", "object|null"),
];

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn assert_infisical_shape(j: &Value) {
    for (key, types) in INFISICAL_SYNC_KEYS {
        let v = j
            .get(key)
            .unwrap_or_else(|| panic!("{key} is missing from {j}"));
        assert!(
            types.split('|').any(|t| t == json_type(v)),
            "{key}: {v} is not {types}"
        );
    }
    assert_eq!(j["destination"], "digital-ocean-app-platform");
    assert_eq!(j["connection"]["app"], "digital-ocean");
    for (key, types) in [
        ("initialSyncBehavior", "string"),
        ("keySchema", "string|null"),
        ("disableSecretDeletion", "bool"),
    ] {
        let v = &j["syncOptions"][key];
        assert!(
            types.split('|').any(|t| t == json_type(v)),
            "syncOptions.{key}: {v}"
        );
    }
    for (key, expected) in [("appId", "string"), ("appName", "string")] {
        assert_eq!(json_type(&j["destinationConfig"][key]), expected, "{key}");
    }
}

#[tokio::test]
async fn to_json_follows_infisicals_api_and_takes_the_docs_alias() {
    let fx = fx().await;
    // A non-Infisical source: Infisical's project fields are null.
    let mut input = fx.with_schema("plain", Some("PLAIN_{{secretKey}}"), None);
    input.options.auto_sync_enabled = Some(false);
    let plain = fx.cp.create_sync(input).await.unwrap().to_json();
    let j = &plain["secretSync"];
    assert_infisical_shape(j);
    assert_eq!(j["isAutoSyncEnabled"], false);
    assert_eq!(j["syncOptions"]["autoSyncEnabled"], false);
    for key in ["projectId", "folderId", "environment", "folder"] {
        assert_eq!(j[key], Value::Null, "{key}");
    }

    // An Infisical source fills project, environment and folder from where it reads.
    let mut input = fx.new_sync("from-infisical", "shop");
    input.options.key_schema = Some(Some("INF_{{secretKey}}".into()));
    input.source = json!({"type": "infisical", "project_id": "proj-7", "environment": "staging",
                          "secret_path": "/api", "client_id": "cid",
                          "client_secret_env": "CONTROL_SYNCS_UNSET_SECRET"});
    let inf = fx.cp.create_sync(input).await.unwrap().to_json();
    let j = &inf["secretSync"];
    assert_infisical_shape(j);
    assert_eq!(j["isAutoSyncEnabled"], true);
    assert_eq!(j["projectId"], "proj-7");
    assert_eq!(j["environment"]["slug"], "staging");
    assert_eq!(j["folder"]["path"], "/api");
    // What Infisical would know and we cannot (its ids, the environment's display name).
    for v in [
        &j["environment"]["id"],
        &j["environment"]["name"],
        &j["folder"]["id"],
        &j["folderId"],
    ] {
        assert_eq!(*v, Value::Null);
    }

    // Input: Infisical's destination name and the docs' alias are both accepted; the
    // top-level isAutoSyncEnabled sets the option; anything else is refused by name.
    for dest in ["digital-ocean-app-platform", "digital-ocean"] {
        let body = json!({"name": format!("via-{dest}"), "connection": "main", "app": "blog",
                          "destination": dest, "isAutoSyncEnabled": false,
                          "source": inline(json!({"K": "v"}))});
        let s = NewSync::from_json(&body, fx.dir.path()).unwrap();
        assert_eq!(s.options.auto_sync_enabled, Some(false));
        let created = fx.cp.create_sync(s).await.unwrap();
        assert_eq!(
            created.to_json()["secretSync"]["destination"],
            "digital-ocean-app-platform"
        );
        assert!(!created.settings.auto_sync_enabled);
        fx.cp.delete_sync(&created.id).unwrap();
    }
    let bad = json!({"name": "x", "connection": "main", "app": "blog", "destination": "aws-parameter-store",
                     "source": inline(json!({"K": "v"}))});
    let err = NewSync::from_json(&bad, fx.dir.path()).unwrap_err();
    assert!(
        matches!(&err, ControlError::Invalid { field, .. } if field == "destination"),
        "{err}"
    );
    let both =
        json!({"name": "x", "isAutoSyncEnabled": true, "syncOptions": {"autoSyncEnabled": false}});
    assert!(SyncPatch::from_json(&both, None).is_err());
    let patch = SyncPatch::from_json(&json!({"destination": "digital-ocean"}), None).unwrap();
    assert!(patch.is_empty(), "a destination alone changes nothing");

    // The config file takes a destination too (either name), and refuses others.
    let file = |dest: &str| {
        format!(
            "[[syncs]]\nname = \"f\"\nconnection = \"main\"\napp = \"shop\"\ndestination = \"{dest}\"\n[syncs.source]\ntype = \"env\"\nprefix = \"X_\"\n"
        )
    };
    for dest in ["digital-ocean", "digital-ocean-app-platform"] {
        assert!(
            ConfigFile::parse(&file(dest), fx.dir.path()).is_ok(),
            "{dest}"
        );
    }
    let err = ConfigFile::parse(&file("vercel"), fx.dir.path()).unwrap_err();
    assert!(err.to_string().contains("syncs[0].destination"), "{err}");
}

#[tokio::test]
async fn delete_with_remove_secrets_takes_only_its_own_keys_off() {
    let fx = fx().await;
    for (name, schema) in [("a", "A_{{secretKey}}"), ("b", "B_{{secretKey}}")] {
        fx.cp
            .create_sync(fx.with_schema(name, Some(schema), None))
            .await
            .unwrap();
        fx.cp.run_sync(name, &RunSettings::default()).await.unwrap();
    }
    let mut keys = fx.env_keys();
    keys.sort();
    assert_eq!(keys, ["A_API_KEY", "B_API_KEY", "LOG_LEVEL"]);

    // Without remove_secrets, a delete makes no request at all.
    fx.cp
        .create_sync(fx.with_schema("c", Some("C_{{secretKey}}"), None))
        .await
        .unwrap();
    fx.emu.clear_requests();
    fx.cp.delete_sync("c").unwrap();
    assert!(fx.emu.requests().is_empty());

    // With it: a's keys go (one GET, one PUT), then a is gone; b and the unmanaged key stay.
    let (last, run) = fx
        .cp
        .delete_sync_removing_secrets("a", &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(run.deleted, ["A_API_KEY"]);
    assert_eq!(fx.emu.request_count(Some("PUT"), None), 1);
    assert_eq!(fx.emu.request_count(None, None), 2);
    let mut keys = fx.env_keys();
    keys.sort();
    assert_eq!(keys, ["B_API_KEY", "LOG_LEVEL"]);
    // The returned sync records the removal.
    assert_eq!(last.last_remove.status.as_deref(), Some("succeeded"));
    assert_eq!(last.last_remove.job_id.as_deref(), Some(run.id.as_str()));
    assert!(last.last_remove.succeeded_at.is_some());
    assert!(matches!(
        fx.cp.get_sync("a"),
        Err(ControlError::NotFound { what: "sync", .. })
    ));
    assert!(fx.cp.history("a", None).is_err());
    assert!(fx.cp.get_run(&run.id).is_err(), "its runs went with it");
    // b's records survived: its next run changes nothing.
    fx.emu.clear_requests();
    let again = fx.cp.run_sync("b", &RunSettings::default()).await.unwrap();
    assert!(again.deployment_id.is_none());
    assert_eq!(fx.emu.request_count(Some("PUT"), None), 0);

    // A sync that never wrote anything: removal makes no PUT, the sync is deleted.
    fx.cp
        .create_sync(fx.with_schema("d", Some("D_{{secretKey}}"), None))
        .await
        .unwrap();
    fx.emu.clear_requests();
    let (_, run) = fx
        .cp
        .delete_sync_removing_secrets("d", &RunSettings::default())
        .await
        .unwrap();
    assert!(run.deleted.is_empty() && run.deployment_id.is_none());
    assert_eq!(fx.emu.request_count(Some("PUT"), None), 0);
    assert!(fx.cp.get_sync("d").is_err());
    let err = fx
        .cp
        .delete_sync_removing_secrets("d", &RunSettings::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ControlError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn a_failed_removal_keeps_the_sync() {
    let fx = fx().await;
    fx.cp
        .create_sync(fx.with_schema("a", Some("A_{{secretKey}}"), None))
        .await
        .unwrap();
    fx.cp.run_sync("a", &RunSettings::default()).await.unwrap();
    let fault = fx.emu.add_fault(Fault {
        method: Some("PUT".into()),
        path_pattern: Some("^/v2/apps/".into()),
        ..Fault::new(FaultKind::Status {
            status: 500,
            retry_after: None,
            body: None,
        })
    });
    let err = fx
        .cp
        .delete_sync_removing_secrets("a", &RunSettings::default())
        .await
        .unwrap_err();
    let ControlError::RemoveBeforeDeleteFailed { name, run, cause } = &err else {
        panic!("{err}");
    };
    assert_eq!(name, "a");
    assert_eq!(run.status.as_str(), "failed");
    assert!(
        matches!(**cause, ControlError::Sync(_) | ControlError::Api(_)),
        "{cause}"
    );
    assert!(err.to_string().contains("was not deleted"), "{err}");
    // Kept, with the failure recorded; the key is still on the app.
    let kept = fx.cp.get_sync("a").unwrap();
    assert_eq!(kept.last_remove.status.as_deref(), Some("failed"));
    assert!(fx.env_keys().contains(&"A_API_KEY".to_owned()));
    assert_eq!(fx.cp.history("a", None).unwrap()[0].id, run.id);

    fx.emu.remove_fault(fault);
    let (_, run) = fx
        .cp
        .delete_sync_removing_secrets("a", &RunSettings::default())
        .await
        .unwrap();
    assert_eq!(run.deleted, ["A_API_KEY"]);
    assert!(fx.cp.get_sync("a").is_err());
}
