//! The route table of the emulated API (38 App Platform operations + account), and
//! what every handler shares: request context, JSON replies, body parsing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use serde_json::{Map, Value};

use super::api_apps as apps;
use super::api_deployments as deployments;
use super::api_operations as ops;
use super::errors::ApiError;
use super::state::Shared;

/// Per-request context set by the pipeline: the request id and the origin
/// (`http://host:port` as the client addressed us) for absolute links.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) request_id: String,
    pub(crate) origin: String,
}

/// A successful JSON reply, serialized once.
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(value: &impl Serialize) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: serde_json::to_vec(value).expect("response serializes"),
        }
    }

    /// `{"<key>": <value>}` without building an intermediate `Value`.
    pub(crate) fn wrap(key: &str, value: &impl Serialize) -> Reply {
        let mut body = Vec::with_capacity(1024);
        body.extend_from_slice(b"{");
        serde_json::to_writer(&mut body, key).expect("key serializes");
        body.extend_from_slice(b":");
        serde_json::to_writer(&mut body, value).expect("response serializes");
        body.extend_from_slice(b"}");
        Reply {
            status: StatusCode::OK,
            body,
        }
    }

    /// 200 with an empty body (App Platform's `no_content` response).
    pub(crate) fn empty() -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Vec::new(),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        if self.body.is_empty() {
            return self.status.into_response();
        }
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            self.body,
        )
            .into_response()
    }
}

pub(crate) type ApiResult = Result<Reply, ApiError>;

/// Parses a JSON request body; an empty body is `{}` unless the body is required.
pub(crate) fn parse_body(bytes: &Bytes, required: bool) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(ApiError::invalid("request body is required"))
        } else {
            Ok(Value::Object(Map::new()))
        };
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid(format!("invalid JSON in request body: {e}")))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(ApiError::invalid(
            "invalid request body: expected a JSON object",
        ))
    }
}

/// An optional boolean body field.
pub(crate) fn body_bool(body: &Value, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a boolean"))),
    }
}

/// An optional string body field.
pub(crate) fn body_str<'a>(body: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED)
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    const APP: &str = "/v2/apps/{app_id}";
    let at = |suffix: &str| format!("{APP}{suffix}");
    Router::new()
        .route("/v2/account", get(ops::account))
        .route("/v2/apps", get(apps::list).post(apps::create))
        .route("/v2/apps/propose", post(ops::propose))
        .route("/v2/apps/regions", get(ops::regions))
        .route("/v2/apps/tiers/instance_sizes", get(ops::instance_sizes))
        .route(
            "/v2/apps/tiers/instance_sizes/{slug}",
            get(ops::instance_size),
        )
        .route(
            "/v2/apps/metrics/bandwidth_daily",
            post(ops::bandwidth_many),
        )
        .route(APP, get(apps::get).put(apps::update).delete(apps::delete))
        .route(&at("/restart"), post(deployments::restart))
        .route(
            &at("/components/{component}/logs"),
            get(deployments::active_component_logs),
        )
        .route(
            &at("/components/{component}/exec"),
            get(deployments::active_component_exec),
        )
        .route(&at("/logs"), get(deployments::active_logs))
        .route(&at("/instances"), get(ops::instances))
        .route(
            &at("/deployments"),
            get(deployments::list).post(deployments::create),
        )
        .route(&at("/deployments/{deployment_id}"), get(deployments::get))
        .route(
            &at("/deployments/{deployment_id}/cancel"),
            post(deployments::cancel),
        )
        .route(
            &at("/deployments/{deployment_id}/logs"),
            get(deployments::logs),
        )
        .route(
            &at("/deployments/{deployment_id}/components/{component}/logs"),
            get(deployments::component_logs),
        )
        .route(
            &at("/deployments/{deployment_id}/components/{component}/exec"),
            get(deployments::component_exec),
        )
        .route(
            &at("/job-invocations"),
            get(deployments::list_job_invocations),
        )
        .route(
            &at("/job-invocations/{invocation_id}"),
            get(deployments::get_job_invocation),
        )
        .route(
            &at("/job-invocations/{invocation_id}/cancel"),
            post(deployments::cancel_job_invocation),
        )
        .route(
            &at("/jobs/{job_name}/invocations/{invocation_id}/logs"),
            get(deployments::job_invocation_logs),
        )
        .route(&at("/events"), get(deployments::list_events))
        .route(&at("/events/{event_id}"), get(deployments::get_event))
        .route(
            &at("/events/{event_id}/cancel"),
            post(deployments::cancel_event),
        )
        .route(&at("/events/{event_id}/logs"), get(deployments::event_logs))
        .route(&at("/alerts"), get(ops::list_alerts))
        .route(
            &at("/alerts/{alert_id}/destinations"),
            post(ops::assign_alert_destinations),
        )
        .route(&at("/rollback"), post(ops::rollback))
        .route(&at("/rollback/validate"), post(ops::validate_rollback))
        .route(&at("/rollback/commit"), post(ops::commit_rollback))
        .route(&at("/rollback/revert"), post(ops::revert_rollback))
        .route(&at("/metrics/bandwidth_daily"), get(ops::bandwidth))
        .route(&at("/health"), get(ops::health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}
