//! The unauthenticated `/_emulator/...` control surface, for out-of-process users of a
//! standalone emulator. Admin requests are neither logged nor rate-limited.
//!
//! | Method | Path | Body / query | Answer |
//! |---|---|---|---|
//! | GET | `/_emulator/health` | | `{"ok": true}` |
//! | POST | `/_emulator/reset` | | `{"ok": true}` |
//! | GET | `/_emulator/requests` | | `{"requests": [RequestRecord...]}` |
//! | DELETE | `/_emulator/requests` | | `{"ok": true}` |
//! | GET | `/_emulator/requests/count` | `?method=&path_prefix=` | `{"count": n}` |
//! | POST | `/_emulator/faults` | fault JSON (see `Fault::from_json`) | `{"id": n}` |
//! | DELETE | `/_emulator/faults` | | `{"ok": true}` |
//! | DELETE | `/_emulator/faults/{id}` | | `{"ok": true}` or 404 |
//! | GET | `/_emulator/secrets/reveal` | `?ev=EV[...]` | `{"value": "..."}` or 404 |
//! | POST | `/_emulator/rate_limits` | `{"burst"?, "hourly"?, "burst_window"?, "hourly_window"?}` (windows in seconds) | all four in force |
//! | GET | `/_emulator/apps` | | `{"apps": [...]}` |
//! | POST | `/_emulator/apps` | `{"spec", "project_id"?}` | `{"app": ...}` (seeded, already live) |
//! | POST | `/_emulator/apps/{id}/fail_next_deployment` | | `{"ok": true}` |
//! | GET | `/_emulator/apps/{id}/deployment_count` | | `{"count": n}` |
//! | GET | `/_emulator/logs/{app_id}/{deployment_id}` | `?component=&type=` | plain-text log |

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::errors::ApiError;
use super::faults::Fault;
use super::pagination::Query;
use super::reqlog::count_matching;
use super::server::respond;
use super::spec_walk::ENV_COMPONENT_KINDS;
use super::state::Shared;
use super::timeline::Phase;
use super::validate::spec_of_body;
use super::views::fmt_time;

const MAX_ADMIN_BODY: usize = 32 * 1024 * 1024;

fn ok(value: Value) -> Result<Response<Body>, ApiError> {
    Ok(respond(
        StatusCode::OK,
        serde_json::to_vec(&value).expect("admin reply serializes"),
        "",
        None,
    ))
}

fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::invalid(format!("invalid JSON: {e}")))
}

pub(crate) async fn handle(shared: &Shared, req: Request<Body>, _origin: &str) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = Query::parse(req.uri().query());
    let body = to_bytes(req.into_body(), MAX_ADMIN_BODY)
        .await
        .unwrap_or_default();
    let segments: Vec<&str> = path
        .trim_start_matches("/_emulator")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match route(shared, &method, &segments, &query, &body) {
        Ok(response) => response,
        Err(err) => respond(err.status, err.body(""), "", None),
    }
}

fn route(
    shared: &Shared,
    method: &Method,
    segments: &[&str],
    query: &Query,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    match (method.as_str(), segments) {
        ("GET", ["health"]) => ok(json!({"ok": true})),
        ("POST", ["reset"]) => {
            shared.reset();
            ok(json!({"ok": true}))
        }
        ("GET", ["requests"]) => ok(json!({"requests": *shared.log.lock()})),
        ("DELETE", ["requests"]) => {
            shared.log.lock().clear();
            ok(json!({"ok": true}))
        }
        ("GET", ["requests", "count"]) => {
            let count = count_matching(
                &shared.log.lock(),
                query.get("method"),
                query.get("path_prefix"),
            );
            ok(json!({"count": count}))
        }
        ("POST", ["faults"]) => {
            let fault = Fault::from_json(&json_body(body)?).map_err(ApiError::invalid)?;
            let id = shared.faults.lock().add(fault).map_err(ApiError::invalid)?;
            ok(json!({"id": id}))
        }
        ("DELETE", ["faults"]) => {
            shared.faults.lock().clear();
            ok(json!({"ok": true}))
        }
        ("DELETE", ["faults", id]) => {
            let id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
            if shared.faults.lock().remove(id) {
                ok(json!({"ok": true}))
            } else {
                Err(ApiError::not_found())
            }
        }
        ("GET", ["secrets", "reveal"]) => {
            let ev = query
                .get("ev")
                .ok_or_else(|| ApiError::invalid("ev is required"))?;
            let value = shared.secrets.decrypt(ev).ok_or_else(ApiError::not_found)?;
            ok(json!({"value": value}))
        }
        ("POST", ["rate_limits"]) => {
            let body = json_body(body)?;
            let limit = |key: &str| -> Result<Option<u32>, ApiError> {
                match body.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .map(Some)
                        .ok_or_else(|| {
                            ApiError::invalid(format!("{key} must be a non-negative integer"))
                        }),
                }
            };
            let window = |key: &str| -> Result<Option<std::time::Duration>, ApiError> {
                match body.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v
                        .as_f64()
                        .filter(|secs| *secs > 0.0)
                        .and_then(|secs| std::time::Duration::try_from_secs_f64(secs).ok())
                        .map(Some)
                        .ok_or_else(|| {
                            ApiError::invalid(format!("{key} must be a positive number of seconds"))
                        }),
                }
            };
            let (burst, hourly) = (limit("burst")?, limit("hourly")?);
            let (burst_window, hourly_window) = (window("burst_window")?, window("hourly_window")?);
            let mut limiter = shared.limiter.lock();
            let (old_burst, old_hourly) = limiter.limits();
            let (old_burst_window, old_hourly_window) = limiter.windows();
            let (burst, hourly) = (burst.unwrap_or(old_burst), hourly.unwrap_or(old_hourly));
            let burst_window = burst_window.unwrap_or(old_burst_window);
            let hourly_window = hourly_window.unwrap_or(old_hourly_window);
            limiter.set_limits(burst, hourly);
            limiter.set_windows(burst_window, hourly_window);
            ok(json!({
                "burst": burst,
                "hourly": hourly,
                "burst_window": burst_window.as_secs_f64(),
                "hourly_window": hourly_window.as_secs_f64(),
            }))
        }
        ("GET", ["apps"]) => ok(json!({"apps": shared.all_app_values()})),
        ("POST", ["apps"]) => {
            let body = json_body(body)?;
            let spec = spec_of_body(&body).map_err(ApiError::invalid)?;
            let project = body.get("project_id").and_then(Value::as_str);
            let (id, _) = shared.create_app(spec, project, true)?;
            ok(json!({"app": shared.app_value(&id)?}))
        }
        ("POST", ["apps", id, "fail_next_deployment"]) => {
            shared.store.write().mark_fail_next(id);
            ok(json!({"ok": true}))
        }
        ("GET", ["apps", id, "deployment_count"]) => {
            let count = shared
                .store
                .read()
                .app(id)
                .map(|a| a.deployments.len())
                .unwrap_or(0);
            ok(json!({"count": count}))
        }
        ("GET", ["logs", app_id, deployment_id]) => {
            let text = deployment_log(shared, app_id, deployment_id, query.get("component"))?;
            Ok(Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(Body::from(text))
                .expect("response parts are valid"))
        }
        _ => Err(ApiError::not_found()),
    }
}

/// A plausible build/deploy log for a deployment, as far as it has progressed.
fn deployment_log(
    shared: &Shared,
    app_id: &str,
    deployment_id: &str,
    component: Option<&str>,
) -> Result<String, ApiError> {
    let store = shared.store.read();
    let app = store.app(app_id)?;
    let index = app
        .deployment_index(deployment_id)
        .ok_or_else(ApiError::not_found)?;
    let deployment = &app.deployments[index];
    let state = app.phases(std::time::Instant::now(), shared.phase_duration)[index];
    let stamp = fmt_time(deployment.created_at);
    let mut names: Vec<&str> = ENV_COMPONENT_KINDS
        .iter()
        .flat_map(|kind| super::spec_walk::component_names(&deployment.spec, kind))
        .collect();
    if let Some(component) = component {
        names.retain(|n| *n == component);
    }
    let reached = |phase: Phase| {
        let order = |p: Phase| match p {
            Phase::PendingBuild => 0,
            Phase::Building => 1,
            Phase::PendingDeploy => 2,
            Phase::Deploying => 3,
            _ => 4,
        };
        order(state.progress_phase) >= order(phase)
    };
    let mut out = String::new();
    for name in names {
        if reached(Phase::Building) {
            out.push_str(&format!(
                "{name} {stamp} Building {name} at commit {}\n",
                deployment.commit_hash
            ));
        }
        if reached(Phase::Deploying) {
            out.push_str(&format!("{name} {stamp} Deploying {name}\n"));
        }
        if state.phase == Phase::Error {
            out.push_str(&format!("{name} {stamp} Build failed\n"));
        }
        if matches!(state.phase, Phase::Active | Phase::Superseded) {
            out.push_str(&format!("{name} {stamp} Deployed {name}\n"));
        }
    }
    Ok(out)
}
