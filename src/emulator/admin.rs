//! The `/_emulator/...` control surface, for out-of-process users of a standalone
//! emulator. Admin requests are neither logged nor rate-limited.
//!
//! It is a test tool on loopback, but a browser on the same machine can reach it, so
//! every request must (checked in this order):
//! - be addressed to a loopback host: `Host` is `127.0.0.1`, `localhost` or `[::1]`,
//!   with or without a port (a DNS-rebinding page sends its own name): else 403;
//! - carry the emulator's token, `Authorization: Bearer <token>`: else 401. Exception:
//!   `GET /_emulator/logs/...`, the live-log URLs the API hands out (like DigitalOcean's
//!   pre-signed log URLs), which hold only generated text;
//! - for anything but GET/HEAD, send `Content-Type: application/json` (a cross-origin
//!   form or `text/plain` fetch cannot): else 415.
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
//! | POST | `/_emulator/tokens` | `{"scopes"?: ["app:read", ...]}` (absent/null: full access) | `{"token": "..."}` |
//! | GET | `/_emulator/apps` | | `{"apps": [...]}` |
//! | POST | `/_emulator/apps` | `{"spec", "project_id"?}` | `{"app": ...}` (seeded, already live) |
//! | POST | `/_emulator/apps/{id}/fail_next_deployment` | | `{"ok": true}` |
//! | GET | `/_emulator/apps/{id}/deployment_count` | | `{"count": n}` |
//! | POST | `/_emulator/apps/{id}/deployments` | `{"cause"?}` | `{"deployment": ...}` (a git push's deployment) |
//! | POST | `/_emulator/apps/{id}/deployments/{dep}/finish` | | `{"deployment": ...}` (ended now) |
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

/// Why an admin request is refused before it is routed (see the module docs).
fn refusal(shared: &Shared, req: &Request<Body>) -> Option<ApiError> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !is_loopback_host(host) {
        return Some(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the emulator's admin surface answers only requests addressed to 127.0.0.1, localhost or [::1]",
        ));
    }
    let is_log = req.uri().path().starts_with("/_emulator/logs/");
    let read_only = matches!(*req.method(), Method::GET | Method::HEAD);
    let public = is_log && read_only;
    if !public && !super::server::authorized(req.headers(), &shared.token) {
        return Some(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the emulator's admin surface needs the emulator's token (Authorization: Bearer <token>)",
        ));
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !read_only && !json {
        return Some(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "requests that change the emulator must be sent as Content-Type: application/json",
        ));
    }
    None
}

/// `127.0.0.1`, `localhost` or `[::1]`, each with or without `:port`.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((inside, port)) if port.is_empty() || port.starts_with(':') => inside,
            _ => return false,
        },
        None => host.split_once(':').map_or(host, |(name, _)| name),
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "::1"
    )
}

pub(crate) async fn handle(shared: &Shared, req: Request<Body>, _origin: &str) -> Response<Body> {
    if let Some(err) = refusal(shared, &req) {
        return respond(err.status, err.body(""), "", None);
    }
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
            let value = shared
                .secrets
                .decrypt(super::reqlog::unwrap_logged(ev))
                .ok_or_else(ApiError::not_found)?;
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
        ("POST", ["tokens"]) => {
            let body = json_body(body)?;
            let scopes: Option<Vec<String>> =
                match body.get("scopes") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| {
                        ApiError::invalid("scopes must be a list of strings or null")
                    })?),
                };
            let token = shared
                .add_token(scopes.as_deref())
                .map_err(ApiError::invalid)?;
            ok(json!({"token": token}))
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
        ("POST", ["apps", id, "deployments"]) => {
            let body = json_body(body)?;
            let cause = match body.get("cause") {
                None | Some(Value::Null) => None,
                Some(Value::String(c)) => Some(c.as_str()),
                Some(_) => return Err(ApiError::invalid("cause must be a string")),
            };
            ok(json!({"deployment": shared.start_push_deployment(id, cause)?}))
        }
        ("POST", ["apps", id, "deployments", deployment_id, "finish"]) => {
            ok(json!({"deployment": shared.finish_deployment(id, deployment_id)?}))
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
        if matches!(state.phase, Phase::Active | Phase::Superseded)
            && state.progress_phase == Phase::Active
        {
            out.push_str(&format!("{name} {stamp} Deployed {name}\n"));
        }
    }
    Ok(out)
}
