//! The engine with a deployment already in flight (`if_deploying`), against an emulator
//! whose phases last a minute: a deployment "someone else" started stays in flight until
//! the test finishes it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use do_envsync::client::Client;
use do_envsync::emulator::{Emulator, EmulatorConfig};
use do_envsync::store::Store;
use do_envsync::sync::{
    ApplySettings, Desired, DesiredValue, Engine, FleetSettings, IfDeploying, SyncError,
    SyncOptions,
};
use serde_json::json;

struct Setup {
    emu: Emulator,
    engine: Engine,
    app_id: String,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let emu = Emulator::start(EmulatorConfig {
        phase_duration: Duration::from_secs(60),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let app = emu
        .seed_app(
            json!({"name": "busy", "envs": [{"key": "KEEP", "value": "1", "type": "GENERAL"}]}),
        )
        .unwrap();
    let client = Client::builder()
        .token(emu.token())
        .base_url(&emu.base_url())
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("state.db")).unwrap());
    Setup {
        app_id: app["id"].as_str().unwrap().to_owned(),
        engine: Engine::new(client, store),
        emu,
        _dir: dir,
    }
}

fn desired() -> Desired {
    let mut d = Desired::new();
    d.insert("API_KEY", DesiredValue::new("k-1"));
    d
}

fn options(if_deploying: IfDeploying) -> SyncOptions {
    SyncOptions {
        if_deploying,
        disable_secret_deletion: true,
        ..SyncOptions::default()
    }
}

/// The deployment's phase as `GET /v2/apps/{app}/deployments/{id}` renders it.
async fn phase(emu: &Emulator, app_id: &str, deployment_id: &str) -> String {
    let url = format!(
        "{}/v2/apps/{app_id}/deployments/{deployment_id}",
        emu.base_url()
    );
    let body: serde_json::Value = reqwest::Client::new()
        .get(url)
        .bearer_auth(emu.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["deployment"]["phase"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_refuses_with_the_deployment_and_sends_only_the_get() {
    let s = setup();
    let pushed = s.emu.start_push_deployment(&s.app_id, None).unwrap();
    let pushed_id = pushed["id"].as_str().unwrap();
    s.emu.clear_requests();
    let err = s
        .engine
        .sync(
            &s.app_id,
            desired(),
            options(IfDeploying::Fail),
            &ApplySettings::default(),
        )
        .await
        .unwrap_err();
    match &err {
        SyncError::DeploymentInProgress {
            app_id,
            deployment_id,
            phase,
            waited,
        } => {
            assert_eq!(app_id, &s.app_id);
            assert_eq!(deployment_id, pushed_id);
            assert_eq!(phase, "PENDING_BUILD");
            assert!(waited.is_none());
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("if_deploying=fail"));
    assert_eq!(s.emu.request_count(None, None), 1);
    assert_eq!(s.emu.request_count(Some("GET"), None), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_returns_after_the_deployment_ends_and_puts_once() {
    let s = setup();
    let pushed = s.emu.start_push_deployment(&s.app_id, None).unwrap();
    let pushed_id = pushed["id"].as_str().unwrap().to_owned();
    s.emu.clear_requests();
    let engine = s.engine.clone();
    let app_id = s.app_id.clone();
    let task = tokio::spawn(async move {
        engine
            .sync(
                &app_id,
                desired(),
                options(IfDeploying::Wait),
                &ApplySettings::default(),
            )
            .await
    });
    let poll_path = format!("/v2/apps/{}/deployments/", s.app_id);
    let deadline = Instant::now() + Duration::from_secs(60);
    while s.emu.request_count(Some("GET"), Some(&poll_path)) == 0 {
        assert!(Instant::now() < deadline, "the sync never polled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.emu.request_count(Some("PUT"), None), 0);
    s.emu.finish_deployment(&s.app_id, &pushed_id).unwrap();
    let outcome = task.await.unwrap().unwrap();
    assert!(outcome.deployment_id.is_some());
    assert_eq!(outcome.superseded_deployment_id, None);
    assert_eq!(s.emu.request_count(Some("PUT"), None), 1);
    assert_eq!(outcome.requests as usize, s.emu.request_count(None, None));
    assert_eq!(phase(&s.emu, &s.app_id, &pushed_id).await, "ACTIVE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_times_out_with_the_deployment_named() {
    let s = setup();
    let pushed = s.emu.start_push_deployment(&s.app_id, None).unwrap();
    let mut opts = options(IfDeploying::Wait);
    opts.deploy_wait_timeout = Duration::from_millis(250);
    let err = s
        .engine
        .sync(&s.app_id, desired(), opts, &ApplySettings::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::DeploymentInProgress { deployment_id, waited: Some(w), .. }
            if deployment_id == pushed["id"].as_str().unwrap() && *w >= Duration::from_millis(250)),
        "{err}"
    );
    assert_eq!(s.emu.request_count(Some("PUT"), None), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proceed_supersedes_and_fleet_reports_per_app() {
    let s = setup();
    let pushed = s.emu.start_push_deployment(&s.app_id, None).unwrap();
    let pushed_id = pushed["id"].as_str().unwrap().to_owned();
    let failed = s
        .engine
        .sync_fleet(
            vec![(s.app_id.clone(), desired())],
            options(IfDeploying::Fail),
            FleetSettings::default(),
        )
        .await
        .unwrap();
    assert!(matches!(
        failed.apps[&s.app_id].result,
        Err(SyncError::DeploymentInProgress { .. })
    ));
    assert_eq!(failed.deployments(), 0);
    let report = s
        .engine
        .sync_fleet(
            vec![(s.app_id.clone(), desired())],
            options(IfDeploying::Proceed),
            FleetSettings::default(),
        )
        .await
        .unwrap();
    let outcome = report.apps[&s.app_id].result.as_ref().unwrap();
    assert_eq!(
        outcome.superseded_deployment_id.as_deref(),
        Some(pushed_id.as_str())
    );
    assert_eq!(phase(&s.emu, &s.app_id, &pushed_id).await, "SUPERSEDED");
    // The plan of the next sync sees the fleet's own deployment in flight: no wait, no fail.
    let mut next = desired();
    next.insert("API_KEY", DesiredValue::new("k-2"));
    let planned = s
        .engine
        .plan(&s.app_id, next, options(IfDeploying::Fail))
        .await
        .unwrap();
    let in_flight = planned.plan.in_flight().unwrap();
    assert_eq!(Some(&in_flight.id), outcome.deployment_id.as_ref());
    assert!(in_flight.started_by_sync);
    assert!(planned
        .plan
        .render_table()
        .contains("a previous sync of this app started it"));
    let applied = s
        .engine
        .apply(planned, &ApplySettings::default())
        .await
        .unwrap();
    assert_eq!(applied.superseded_deployment_id, outcome.deployment_id);
}
