//! Custom-scoped tokens against the emulator: 403 for a scope the token lacks, and the
//! 400 "database user password is not accessible" for a spec with attached databases
//! written without `database:view_credentials` (Infisical issue #6210), surfaced by the
//! client, the sync engine, a fleet sync and a stored run as one line naming the app, its
//! database components and the scopes needed. Nothing changes on the app.

use std::sync::Arc;
use std::time::Duration;

use do_envsync::client::{Client, Error, DATABASE_PASSWORD_MESSAGE};
use do_envsync::control::{
    ControlError, ControlPlane, NewConnection, NewSync, RunSettings, RunStatus, SyncOptionsInput,
};
use do_envsync::emulator::{Emulator, EmulatorConfig};
use do_envsync::store::Store;
use do_envsync::sync::{
    ApplySettings, Desired, DesiredValue, Engine, FleetSettings, SyncError, SyncOptions,
};
use serde_json::{json, Value};

const SYNC_SCOPES: &[&str] = &["account:read", "app:read", "app:update"];

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        phase_duration: Duration::from_millis(10),
        ..EmulatorConfig::default()
    })
    .unwrap()
}

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// An app with a service and two attached databases, already live.
fn seed_shop(emu: &Emulator) -> String {
    let app = emu
        .seed_app(json!({
            "name": "shop",
            "region": "nyc",
            "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
            "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}],
            "databases": [
                {"name": "orders-db", "engine": "PG", "cluster_name": "orders", "production": true},
                {"name": "cache", "engine": "REDIS", "cluster_name": "cache", "production": true}
            ],
        }))
        .unwrap();
    app["id"].as_str().unwrap().to_owned()
}

fn client(emu: &Emulator, token: String) -> Client {
    Client::builder()
        .token(token)
        .base_url(&emu.base_url())
        .build()
        .unwrap()
}

async fn raw(
    emu: &Emulator,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", emu.base_url()))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn desired() -> Desired {
    let mut d = Desired::new();
    d.insert("API_KEY", DesiredValue::new("k-1"));
    d
}

/// The one line every layer reports: app, database components, scopes, DO's message.
fn assert_names_app_databases_and_scopes(line: &str, app_id: &str, token: &str) {
    assert!(!line.contains('\n'), "one line: {line}");
    for part in [
        "\"shop\"",
        app_id,
        "\"orders-db\", \"cache\"",
        "\"database user password is not accessible\"",
        "app:read, app:update and database:view_credentials",
    ] {
        assert!(line.contains(part), "{part:?} missing from: {line}");
    }
    assert!(!line.contains(token), "the token leaked into: {line}");
}

#[tokio::test]
async fn a_scoped_token_is_refused_what_it_lacks_with_the_reference_403() {
    let emu = emulator();
    let app_id = seed_shop(&emu);
    let read_only = emu.add_token(Some(&scopes(&["app:read"]))).unwrap();
    let nothing = emu.add_token(Some(&[])).unwrap();
    let path = format!("/v2/apps/{app_id}");

    let (status, body) = raw(&emu, &nothing, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 403);
    assert_eq!(body["id"], "forbidden");
    assert_eq!(
        body["message"],
        "You do not have access for the attempted action."
    );
    assert!(body["request_id"].is_string());
    let (status, _) = raw(&emu, &nothing, reqwest::Method::GET, "/v2/account", None).await;
    assert_eq!(status, 403, "/v2/account needs account:read");

    let (status, app) = raw(&emu, &read_only, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 200);
    let spec = app["app"]["spec"].clone();
    let deployments = emu.deployment_count(&app_id);
    for (method, path, body) in [
        (
            reqwest::Method::PUT,
            path.clone(),
            Some(json!({"spec": spec})),
        ),
        (
            reqwest::Method::POST,
            "/v2/apps".into(),
            Some(json!({"spec": {"name": "other"}})),
        ),
        (reqwest::Method::DELETE, path.clone(), None),
        (
            reqwest::Method::POST,
            format!("{path}/restart"),
            Some(json!({})),
        ),
    ] {
        let (status, body) = raw(&emu, &read_only, method.clone(), &path, body).await;
        assert_eq!(
            (status, body["id"].as_str()),
            (403, Some("forbidden")),
            "{method} {path}"
        );
    }
    assert_eq!(
        emu.deployment_count(&app_id),
        deployments,
        "nothing deployed"
    );
    assert_eq!(
        emu.apps_json().as_array().unwrap().len(),
        1,
        "nothing created or deleted"
    );

    // The main (full-access) token keeps working, and an unknown token is still a 401.
    let (status, _) = raw(&emu, &emu.token(), reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 200);
    let (status, _) = raw(
        &emu,
        "dop_v1_unknown",
        reqwest::Method::GET,
        "/v2/apps",
        None,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_put_with_databases_needs_the_credentials_scope_and_changes_nothing_without_it() {
    let emu = emulator();
    let app_id = seed_shop(&emu);
    let path = format!("/v2/apps/{app_id}");
    let without = emu.add_token(Some(&scopes(SYNC_SCOPES))).unwrap();
    let (_, before) = raw(&emu, &without, reqwest::Method::GET, &path, None).await;
    let mut spec = before["app"]["spec"].clone();
    spec["envs"][0]["value"] = json!("debug");
    let deployments = emu.deployment_count(&app_id);

    let (status, body) = raw(
        &emu,
        &without,
        reqwest::Method::PUT,
        &path,
        Some(json!({"spec": spec})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["id"], "bad_request");
    assert_eq!(body["message"], DATABASE_PASSWORD_MESSAGE);
    let (_, after) = raw(&emu, &without, reqwest::Method::GET, &path, None).await;
    assert_eq!(
        after["app"]["spec"], before["app"]["spec"],
        "spec unchanged"
    );
    assert_eq!(emu.deployment_count(&app_id), deployments, "no deployment");

    // Creating an app with databases is refused the same way.
    let creator = emu.add_token(Some(&scopes(&["app:create"]))).unwrap();
    let (status, body) = raw(
        &emu,
        &creator,
        reqwest::Method::POST,
        "/v2/apps",
        Some(json!({"spec": {"name": "new", "databases": [{"name": "db", "engine": "PG"}]}})),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some(DATABASE_PASSWORD_MESSAGE))
    );
    assert_eq!(emu.apps_json().as_array().unwrap().len(), 1);

    // With the scope the same PUT goes through and deploys.
    let with = emu
        .add_token(Some(&scopes(&[
            "app:read",
            "app:update",
            "database:view_credentials",
        ])))
        .unwrap();
    let (status, _) = raw(
        &emu,
        &with,
        reqwest::Method::PUT,
        &path,
        Some(json!({"spec": spec})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(emu.deployment_count(&app_id), deployments + 1);
}

#[tokio::test]
async fn the_client_raises_a_typed_error_with_app_databases_and_scopes() {
    let emu = emulator();
    let app_id = seed_shop(&emu);
    let token = emu.add_token(Some(&scopes(SYNC_SCOPES))).unwrap();
    let client = client(&emu, token.clone());
    let app = client.apps().get(&app_id).await.unwrap();
    let body = do_envsync::models::AppsUpdateAppRequest {
        spec: app.spec.clone(),
        ..Default::default()
    };
    let err = client.apps().update(&app_id, &body).await.unwrap_err();
    let Error::DatabaseCredentialsScope(details) = &err else {
        panic!("not the typed error: {err:?}");
    };
    assert_eq!(details.app_id.as_deref(), Some(app_id.as_str()));
    assert_eq!(details.app_name.as_deref(), Some("shop"));
    assert_eq!(details.databases, ["orders-db", "cache"]);
    assert_eq!(
        details.required_scopes,
        ["app:read", "app:update", "database:view_credentials"]
    );
    assert_eq!(details.error.message, DATABASE_PASSWORD_MESSAGE);
    assert_eq!(err.status(), Some(400));
    assert!(err.request_id().is_some());
    assert_eq!(
        emu.request_count(Some("PUT"), None),
        1,
        "not retried, no second PUT without databases"
    );
    assert_names_app_databases_and_scopes(&err.to_string(), &app_id, &token);
}

#[tokio::test]
async fn the_sync_engine_and_a_fleet_sync_report_one_line_and_put_nothing_else() {
    let emu = emulator();
    let app_id = seed_shop(&emu);
    let token = emu.add_token(Some(&scopes(SYNC_SCOPES))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("state.db")).unwrap());
    let engine = Engine::new(client(&emu, token.clone()), store);
    let before = emu.apps_json();

    let err = engine
        .sync(
            &app_id,
            desired(),
            SyncOptions::default(),
            &ApplySettings::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Api(Error::DatabaseCredentialsScope(_))),
        "{err:?}"
    );
    assert_names_app_databases_and_scopes(&err.to_string(), &app_id, &token);

    let report = engine
        .sync_fleet(
            vec![(app_id.clone(), desired())],
            SyncOptions::default(),
            FleetSettings::default(),
        )
        .await
        .unwrap();
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, app_id);
    assert_names_app_databases_and_scopes(&failures[0].1.to_string(), &app_id, &token);

    assert_eq!(
        emu.request_count(Some("PUT"), None),
        2,
        "one refused PUT per sync, no retry"
    );
    assert_eq!(emu.apps_json(), before, "the app is unchanged");
}

#[tokio::test]
async fn a_stored_run_records_the_line_as_its_message() {
    let emu = emulator();
    let app_id = seed_shop(&emu);
    let token = emu.add_token(Some(&scopes(SYNC_SCOPES))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cp =
        ControlPlane::open(Arc::new(Store::open(dir.path().join("state.db")).unwrap())).unwrap();
    let mut conn = NewConnection::new("scoped", token.clone());
    conn.base_url = Some(emu.base_url());
    cp.create_connection(conn).await.unwrap();
    cp.create_sync(NewSync {
        name: "shop".into(),
        connection: "scoped".into(),
        app: "shop".into(),
        source: json!({"type": "inline", "secrets": {"API_KEY": "k-1"}}),
        options: SyncOptionsInput::default(),
        description: None,
        is_enabled: None,
        secret_path: None,
        base_dir: dir.path().to_owned(),
    })
    .await
    .unwrap();

    let err = cp
        .run_sync("shop", &RunSettings::default())
        .await
        .unwrap_err();
    let ControlError::RunFailed { run, cause } = err else {
        panic!("not a recorded failure");
    };
    assert_eq!(run.status, RunStatus::Failed);
    let message = run.message.clone().unwrap();
    assert_names_app_databases_and_scopes(&message, &app_id, &token);
    assert_eq!(message, cause.one_line());
    assert_eq!(
        cp.get_run(&run.id).unwrap().message.as_deref(),
        Some(message.as_str())
    );
    assert_eq!(
        emu.deployment_count(&app_id),
        1,
        "no deployment beyond the seeded one"
    );
}
