//! `/api/v1/app-connections/digital-ocean`: Infisical's DigitalOcean connection routes
//! over [`ControlPlane`](crate::control::ControlPlane)'s connection calls.

use axum::extract::{Path, State};
use axum::Json;
use futures::StreamExt;
use serde_json::{json, Map, Value};

use super::body::{token_scrubber, JsonBody};
use super::error::ApiError;
use super::AppState;
use crate::control::{Connection, ConnectionPatch, NewConnection};

pub const BASE: &str = "/api/v1/app-connections/digital-ocean";

fn one(c: &Connection) -> Json<Value> {
    Json(c.to_json())
}

fn inner(c: &Connection) -> Value {
    let mut v = c.to_json();
    v["appConnection"].take()
}

/// Infisical's `method` field: only `api-token` exists for DigitalOcean; it is checked and
/// removed before the control plane sees the object. Also drops Infisical's `app`.
fn strip_method(body: &mut Map<String, Value>) -> Result<(), ApiError> {
    match body.remove("method") {
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if m == "api-token" => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "method: Invalid enum value. Expected 'api-token', received {other}"
            )))
        }
    }
    match body.remove("app") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(a)) if a == "digital-ocean" => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "app: only \"digital-ocean\" connections are served here",
        )),
    }
}

/// A connection by id only (the control plane also finds names; this route must not).
fn by_id(state: &AppState, id: &str) -> Result<Connection, ApiError> {
    let c = state.control().get_connection(id)?;
    if c.id != id {
        return Err(ApiError::not_found(format!(
            "Could not find App Connection with ID {id:?}"
        )));
    }
    Ok(c)
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let all = state.control().list_connections()?;
    Ok(Json(
        json!({"appConnections": all.iter().map(inner).collect::<Vec<_>>()}),
    ))
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
    let c = state.control().get_connection(&name)?;
    if c.name != name {
        return Err(ApiError::not_found(format!(
            "Could not find App Connection with name {name:?}"
        )));
    }
    Ok(one(&c))
}

pub async fn create(
    State(state): State<AppState>,
    JsonBody(mut body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let scrub = token_scrubber(&body);
    let result = async {
        strip_method(&mut body)?;
        let input = NewConnection::from_json(&Value::Object(body))?;
        Ok::<_, ApiError>(state.control().create_connection(input).await?)
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
        strip_method(&mut body)?;
        let patch = ConnectionPatch::from_json(&Value::Object(body))?;
        by_id(&state, &id)?;
        Ok::<_, ApiError>(state.control().update_connection(&id, patch).await?)
    }
    .await;
    Ok(one(&result.map_err(|e| e.scrubbed(&scrub))?))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    by_id(&state, &id)?;
    Ok(one(&state.control().delete_connection(&id, false)?))
}

/// Every app the connection's token can see (all pages), as `{id, spec: {name}}`: the
/// rest of a spec (env values among it) is not the caller's business here.
pub async fn apps(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    by_id(&state, &id)?;
    let pages = state.control().connection_apps(&id)?;
    let mut items = Box::pin(pages.into_item_stream());
    let mut apps = Vec::new();
    while let Some(item) = items.next().await {
        let item = item.map_err(crate::control::ControlError::from)?;
        apps.push(json!({"id": item["id"], "spec": {"name": item["spec"]["name"]}}));
    }
    Ok(Json(json!({ "apps": apps })))
}
