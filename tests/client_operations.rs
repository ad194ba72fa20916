//! The typed Rust client against the emulator: every operation once, and the GET -> PUT
//! round trip of a spec with unknown fields, byte for byte.
use std::collections::BTreeSet;

use do_envsync::client::{Client, Error, OPERATIONS};
use do_envsync::emulator::{Emulator, EmulatorConfig};
use do_envsync::models::{
    AppMetricsBandwidthUsageRequest, AppPropose, AppSpec, AppsAssignAppAlertDestinationsRequest,
    AppsCreateAppRequest, AppsCreateDeploymentRequest, AppsRestartRequest, AppsRollbackAppRequest,
    AppsUpdateAppRequest, Model,
};
use futures::TryStreamExt;
use http::Method;
use serde_json::value::RawValue;
use serde_json::{json, Value};

fn spec_json(name: &str) -> Value {
    json!({
        "name": name,
        "region": "nyc",
        "envs": [
            {"key": "LOG_LEVEL", "value": "info", "scope": "RUN_TIME", "type": "GENERAL"},
            {"key": "API_KEY", "value": "canary-rust-3b1f", "type": "SECRET"}
        ],
        "services": [{
            "name": "web",
            "github": {"repo": "acme/shop", "branch": "main"},
            "instance_count": 2,
            "envs": [{"key": "DATABASE_URL", "value": "${db.DATABASE_URL}"}],
            "future_field": {"nested": [1, 2.5, null, "x"]}
        }],
        "jobs": [{"name": "migrate", "kind": "PRE_DEPLOY", "run_command": "x"}],
        "alerts": [{"rule": "DEPLOYMENT_FAILED"}],
        "features": ["buildpack-stack=ubuntu-22"],
        "disable_edge_cache": true
    })
}

fn setup() -> (Emulator, Client) {
    // Slow phases: deployments and job invocations stay cancellable during the test.
    let emu = Emulator::start(EmulatorConfig {
        phase_duration: std::time::Duration::from_secs(5),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let client = Client::builder()
        .token(emu.token())
        .base_url(&emu.base_url())
        .build()
        .unwrap();
    (emu, client)
}

fn create_request(name: &str) -> AppsCreateAppRequest {
    AppsCreateAppRequest {
        spec: Some(AppSpec::from_value(spec_json(name)).unwrap()),
        ..Default::default()
    }
}

#[tokio::test]
async fn every_operation_is_typed_and_callable() {
    let (emu, client) = setup();
    let apps = client.apps();
    let mut called = BTreeSet::new();
    let mut hit = |name: &str| {
        called.insert(name.to_owned());
    };

    let account = client.account().get().await.unwrap();
    assert_eq!(account.status.as_ref().map(|s| s.as_str()), Some("active"));
    hit("account_get");

    // A seeded app's first deployment is already ACTIVE: a rollback target.
    let id = emu.seed_app(spec_json("ops")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = apps.create(&create_request("second")).await.unwrap();
    hit("create");
    let listed: Vec<_> = apps.list().try_collect().await.unwrap();
    assert_eq!(listed.len(), 2);
    hit("list");
    let got = apps.get(&id).await.unwrap();
    assert_eq!(got.id.as_deref(), Some(id.as_str()));
    hit("get");
    let update = AppsUpdateAppRequest {
        spec: got.spec.clone(),
        ..Default::default()
    };
    apps.update(&id, &update).await.unwrap();
    hit("update");
    let deps: Vec<_> = apps.list_deployments(&id).try_collect().await.unwrap();
    assert_eq!(deps.len(), 2);
    hit("list_deployments");
    let dep_id = deps[0].id.clone().unwrap();
    apps.get_deployment(&id, &dep_id).await.unwrap();
    hit("get_deployment");
    apps.restart(&id, &AppsRestartRequest::default())
        .await
        .unwrap();
    hit("restart");
    apps.get_logs_active_deployment(&id, "web").await.unwrap();
    hit("get_logs_active_deployment");
    apps.get_exec_active_deployment(&id, "web").await.unwrap();
    hit("get_exec_active_deployment");
    apps.get_instances(&id).await.unwrap();
    hit("get_instances");
    let new_dep = apps
        .create_deployment(&id, &AppsCreateDeploymentRequest::default())
        .await
        .unwrap();
    hit("create_deployment");
    let canceled = apps
        .cancel_deployment(&id, new_dep.id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        canceled.phase.as_ref().map(|p| p.as_str()),
        Some("CANCELED")
    );
    hit("cancel_deployment");
    apps.get_logs(&id, &dep_id, "web").await.unwrap();
    hit("get_logs");
    apps.get_logs_aggregate(&id, &dep_id).await.unwrap();
    hit("get_logs_aggregate");
    apps.get_exec(&id, &dep_id, "web").await.unwrap();
    hit("get_exec");
    apps.get_logs_active_deployment_aggregate(&id)
        .await
        .unwrap();
    hit("get_logs_active_deployment_aggregate");
    // A deployment in flight (the restart's was superseded by the cancelled one).
    let fresh = apps
        .create_deployment(&id, &AppsCreateDeploymentRequest::default())
        .await
        .unwrap()
        .id
        .unwrap();
    let invocations: Vec<_> = apps.list_job_invocations(&id).try_collect().await.unwrap();
    hit("list_job_invocations");
    // One still running (the invocations of the cancelled and superseded deployments ended).
    let inv = invocations
        .iter()
        .find(|i| {
            matches!(
                i.phase.as_ref().map(|p| p.as_str()),
                Some("PENDING" | "RUNNING")
            )
        })
        .and_then(|i| i.id.clone())
        .expect("a job invocation still in progress");
    apps.get_job_invocation(&id, &inv).await.unwrap();
    hit("get_job_invocation");
    apps.get_job_invocation_logs(&id, "migrate", &inv)
        .await
        .unwrap();
    hit("get_job_invocation_logs");
    apps.cancel_job_invocation(&id, &inv).await.unwrap();
    hit("cancel_job_invocation");
    let events: Vec<_> = apps.list_events(&id).try_collect().await.unwrap();
    hit("list_events");
    // The event of the deployment still in progress can be cancelled.
    let ev = events
        .iter()
        .find(|e| e.deployment_id.as_deref() == Some(fresh.as_str()))
        .and_then(|e| e.id.clone())
        .expect("an event for the new deployment");
    apps.get_event(&id, &ev).await.unwrap();
    hit("get_event");
    apps.get_event_logs(&id, &ev).await.unwrap();
    hit("get_event_logs");
    apps.cancel_event(&id, &ev).await.unwrap();
    hit("cancel_event");
    let sizes = apps.list_instance_sizes().await.unwrap();
    hit("list_instance_sizes");
    let slug = sizes.instance_sizes.unwrap()[0].slug.clone().unwrap();
    apps.get_instance_size(&slug).await.unwrap();
    hit("get_instance_size");
    assert!(!apps.list_regions().await.unwrap().is_empty());
    hit("list_regions");
    let proposal = AppPropose {
        spec: Some(AppSpec::from_value(spec_json("proposed")).unwrap()),
        ..Default::default()
    };
    let proposed = apps.propose(&proposal).await.unwrap();
    assert_eq!(proposed.app_name_available, Some(true));
    hit("validate_app_spec");
    let alerts = apps.list_alerts(&id).await.unwrap();
    hit("list_alerts");
    let alert_id = alerts[0].id.clone().unwrap();
    let destinations = AppsAssignAppAlertDestinationsRequest {
        emails: Some(vec!["ops@example.com".into()]),
        ..Default::default()
    };
    apps.assign_alert_destinations(&id, &alert_id, &destinations)
        .await
        .unwrap();
    hit("assign_alert_destinations");
    let active = deps
        .iter()
        .find(|d| d.phase.as_ref().map(|p| p.as_str()) == Some("ACTIVE"))
        .and_then(|d| d.id.clone())
        .expect("the seeded deployment is active");
    let rollback = AppsRollbackAppRequest {
        deployment_id: Some(active),
        ..Default::default()
    };
    apps.validate_rollback(&id, &rollback).await.unwrap();
    hit("validate_rollback");
    apps.create_rollback(&id, &rollback).await.unwrap();
    hit("create_rollback");
    apps.revert_rollback(&id).await.unwrap();
    hit("revert_rollback");
    apps.create_rollback(&id, &rollback).await.unwrap();
    apps.commit_rollback(&id).await.unwrap();
    hit("commit_rollback");
    apps.get_metrics_bandwidth_daily(&id).await.unwrap();
    hit("get_metrics_bandwidth_daily");
    let metrics = AppMetricsBandwidthUsageRequest {
        app_ids: Some(vec![id.clone()]),
        ..Default::default()
    };
    apps.list_metrics_bandwidth_daily(&metrics).await.unwrap();
    hit("list_metrics_bandwidth_daily");
    apps.get_health(&id).await.unwrap();
    hit("get_health");
    let second_id = second.id.unwrap();
    let deleted = apps.delete(&second_id).await.unwrap();
    assert_eq!(deleted.id.as_deref(), Some(second_id.as_str()));
    hit("delete");
    assert!(matches!(
        apps.get(&second_id).await,
        Err(Error::NotFound(_))
    ));

    let all: BTreeSet<String> = OPERATIONS.iter().map(|o| o.name.to_owned()).collect();
    assert_eq!(all.len(), 39);
    assert_eq!(called, all);
    drop(emu);
}

/// The raw text of `app.spec` in a `GET /v2/apps/{id}` body.
fn spec_text(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Outer<'a> {
        #[serde(borrow)]
        app: Inner<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Inner<'a> {
        #[serde(borrow)]
        spec: &'a RawValue,
    }
    let outer: Outer<'_> = serde_json::from_slice(body).unwrap();
    outer.app.spec.get().to_owned()
}

#[tokio::test]
async fn typed_get_then_put_is_byte_identical() {
    let (emu, client) = setup();
    let apps = client.apps();
    let id = apps
        .create(&create_request("fidelity"))
        .await
        .unwrap()
        .id
        .unwrap();
    // The spec text exactly as the server sent it, read before the PUT (after it, the
    // server holds whatever the PUT sent, so it could not show a change).
    let raw = client
        .request(Method::GET, &format!("/v2/apps/{id}"), &[], None)
        .await
        .unwrap();
    let served = spec_text(&raw.body);
    let fetched = apps.get(&id).await.unwrap();
    emu.clear_requests();
    let update = AppsUpdateAppRequest {
        spec: fetched.spec.clone(),
        ..Default::default()
    };
    apps.update(&id, &update).await.unwrap();
    let put = emu.requests().pop().unwrap();
    assert_eq!(put.method, "PUT");
    // The spec the typed model sends is, byte for byte, the spec text the GET served.
    let expected = format!("{{\"spec\":{served}}}");
    assert_eq!(put.body.as_deref(), Some(expected.as_str()));
    let spec = fetched.spec.unwrap();
    assert!(spec.envs.as_ref().unwrap()[1]
        .value
        .as_deref()
        .unwrap()
        .starts_with("EV["));
    assert_eq!(spec.extra["features"], json!(["buildpack-stack=ubuntu-22"]));
    assert!(!format!("{spec:?}").contains("canary-rust-3b1f"));
}
