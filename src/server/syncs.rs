//! `/api/v1/secret-syncs/digital-ocean-app-platform`: Infisical's App Platform sync routes
//! over [`ControlPlane`](crate::control::ControlPlane)'s sync and run calls.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Map, Value};

use super::body::{token_scrubber, JsonBody};
use super::error::ApiError;
use super::AppState;
use crate::control::{ControlError, NewSync, RunSettings, SyncConfig, SyncPatch, SyncRun};

pub const BASE: &str = "/api/v1/secret-syncs/digital-ocean-app-platform";

fn one(s: &SyncConfig) -> Json<Value> {
    Json(s.to_json())
}

fn project_of(s: &SyncConfig) -> Option<String> {
    s.to_json()["secretSync"]["projectId"]
        .as_str()
        .map(str::to_owned)
}

/// A sync by id only (the control plane also finds names; this route must not).
fn by_id(state: &AppState, id: &str) -> Result<SyncConfig, ApiError> {
    let s = state.control().get_sync(id)?;
    if s.id != id {
        return Err(ApiError::not_found(format!(
            "Could not find Secret Sync with ID {id:?}"
        )));
    }
    Ok(s)
}

pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let project = query.get("projectId");
    let all: Vec<Value> = state
        .control()
        .list_syncs()?
        .iter()
        .filter(|s| project.is_none() || project_of(s).as_ref() == project)
        .map(|s| {
            let mut v = s.to_json();
            v["secretSync"].take()
        })
        .collect();
    Ok(Json(json!({ "secretSyncs": all })))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(one(&by_id(&state, &id)?))
}

pub async fn get_by_name(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = state.control().get_sync(&name)?;
    if s.name != name {
        return Err(ApiError::not_found(format!(
            "Could not find Secret Sync with name {name:?}"
        )));
    }
    Ok(one(&s))
}

/// Infisical's request names a project, an `environment` and a `secretPath`; with an
/// Infisical site configured, that is the sync's source. Our own `source` object wins when
/// given. Neither: 400 naming what is missing.
fn resolve_source(state: &AppState, body: &mut Map<String, Value>) -> Result<(), ApiError> {
    let project = match body.remove("projectId") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p),
        Some(_) => return Err(ApiError::bad_request("projectId: expected a string")),
    };
    if body.get("source").is_some_and(|s| !s.is_null()) {
        return Ok(());
    }
    let Some(project) = project else {
        return Err(ApiError::bad_request(
            "missing source: send projectId, environment and secretPath (needs a server started with --infisical-url and a machine identity) or a source object (dotenv, env, command, inline, infisical)",
        ));
    };
    let Some(site) = &state.inner.infisical else {
        return Err(ApiError::bad_request(
            "missing source: this server has no Infisical site configured (start it with --infisical-url and a machine identity in INFISICAL_UNIVERSAL_AUTH_CLIENT_ID / INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET), so projectId cannot be read; send a source object instead",
        ));
    };
    let environment = match body.get("environment") {
        Some(Value::String(e)) => e.clone(),
        _ => {
            return Err(ApiError::bad_request(
                "environment: Required (the Infisical environment slug to read)",
            ))
        }
    };
    let path = match body.get("secretPath") {
        Some(Value::String(p)) => p.clone(),
        None | Some(Value::Null) => "/".to_owned(),
        Some(_) => return Err(ApiError::bad_request("secretPath: expected a string")),
    };
    body.insert(
        "source".into(),
        json!({
            "type": "infisical",
            "site_url": site.site_url,
            "project_id": project,
            "environment": environment,
            "secret_path": path,
            "client_id": site.client_id,
            "client_secret_env": super::INFISICAL_CLIENT_SECRET_ENV,
        }),
    );
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    JsonBody(mut body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let scrub = token_scrubber(&body);
    let result = async {
        resolve_source(&state, &mut body)?;
        let input = NewSync::from_json(&Value::Object(body), state.base_dir())?;
        let created = state.control().create_sync(input).await?;
        state.syncs_changed();
        Ok::<_, ApiError>(created)
    }
    .await;
    Ok(one(&result.map_err(|e| e.scrubbed(&scrub))?))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(mut body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let scrub = token_scrubber(&body);
    let result = async {
        // Infisical's PATCH has no projectId; accepted and ignored when it is the same.
        body.remove("projectId");
        let patch = SyncPatch::from_json(&Value::Object(body), Some(state.base_dir()))?;
        by_id(&state, &id)?;
        let updated = state.control().update_sync(&id, patch).await?;
        state.syncs_changed();
        Ok::<_, ApiError>(updated)
    }
    .await;
    Ok(one(&result.map_err(|e| e.scrubbed(&scrub))?))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let remove = match query.get("removeSecrets").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "removeSecrets: expected true or false",
            ))
        }
    };
    by_id(&state, &id)?;
    let deleted = if remove {
        let started = Instant::now();
        let result = state
            .control()
            .delete_sync_removing_secrets(&id, &RunSettings::default())
            .await;
        let status = if result.is_ok() {
            "succeeded"
        } else {
            "failed"
        };
        state
            .metrics()
            .record_run("remove", "api", status, started.elapsed());
        result?.0
    } else {
        state.control().delete_sync(&id)?
    };
    state.syncs_changed();
    Ok(one(&deleted))
}

/// Runs now and answers with the sync's status fields once the run is recorded (Infisical
/// queues the job and answers at once; here the answer waits for the run). A failed run is
/// a 200 with `syncStatus: "failed"` and the reason in `lastSyncMessage`, as Infisical
/// reports a failed job.
async fn run(state: &AppState, id: &str, kind: &'static str) -> Result<Json<Value>, ApiError> {
    by_id(state, id)?;
    let control = state.control();
    let settings = RunSettings::default();
    let started = Instant::now();
    let result: Result<SyncRun, ControlError> = match kind {
        "sync" => control.run_sync(id, &settings).await,
        _ => control.remove_secrets(id, &settings).await,
    };
    let outcome = match result {
        Ok(_) => "succeeded",
        Err(ControlError::RunFailed { .. }) => "failed",
        Err(e) => return Err(e.into()),
    };
    state
        .metrics()
        .record_run(kind, "api", outcome, started.elapsed());
    Ok(one(&by_id(state, id)?))
}

pub async fn sync_secrets(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    run(&state, &id, "sync").await
}

pub async fn remove_secrets(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    run(&state, &id, "remove").await
}

/// Infisical's answer for DigitalOcean: App Platform returns SECRET values encrypted, so
/// there is nothing to import.
pub async fn import_secrets(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    by_id(&state, &id)?;
    Err(ApiError::bad_request(
        "DigitalOcean App Platform does not support importing secrets.",
    ))
}
