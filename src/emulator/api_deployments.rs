//! Deployments, restarts, events, job invocations, and their logs and exec URLs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::Extension;
use parking_lot::RwLockWriteGuard;
use serde::Serialize;
use serde_json::{json, Value};

use super::errors::ApiError;
use super::pagination::{links, Links, Meta, Page, Query};
use super::routes::{body_bool, parse_body, ApiResult, Ctx, Reply};
use super::spec_walk::{component_names, has_component};
use super::state::Shared;
use super::store::{ensure_not_pinned, AppRecord, DeploymentType, Moment, NewDeployment, Store};
use super::timeline::{Phase, PhaseState};
use super::views::{deployment_view, event_view, job_invocation_value, DeploymentView, EventView};

const LOG_TYPES: &[&str] = &[
    "UNSPECIFIED",
    "BUILD",
    "DEPLOY",
    "RUN",
    "RUN_RESTARTED",
    "AUTOSCALE_EVENT",
];
const DEPLOYMENT_TYPES: &[&str] = &[
    "MANUAL",
    "DEPLOY_ON_PUSH",
    "MAINTENANCE",
    "MANUAL_ROLLBACK",
    "AUTO_ROLLBACK",
    "UPDATE_DATABASE_TRUSTED_SOURCES",
    "AUTOSCALED",
];
const EVENT_TYPES: &[&str] = &["UNKNOWN", "DEPLOYMENT", "AUTOSCALING"];

fn deployment_index(app: &AppRecord, id: &str) -> Result<usize, ApiError> {
    app.deployment_index(id).ok_or_else(ApiError::not_found)
}

/// Renders one deployment of an app as `{"deployment": ...}`.
fn deployment_reply(s: &Shared, store: &Store, app_id: &str, deployment_id: &str) -> ApiResult {
    let app = store.app(app_id)?;
    let index = deployment_index(app, deployment_id)?;
    let clock = s.clock();
    let states = app.phases(clock.now, clock.phase_duration);
    Ok(Reply::wrap(
        "deployment",
        &deployment_view(app, &app.deployments[index], states[index], clock),
    ))
}

/// Starts a deployment of the app's current spec and renders it.
fn start_deployment(s: &Shared, app_id: &str, cause: &str) -> ApiResult {
    let mut store = s.store.write();
    store.app(app_id).and_then(ensure_not_pinned)?;
    let id = store.add_deployment(
        app_id,
        NewDeployment {
            cause,
            deployment_type: DeploymentType::Manual,
            spec: None,
            cloned_from: None,
        },
        &s.entropy,
        Moment::now(),
    )?;
    let store = RwLockWriteGuard::downgrade(store);
    deployment_reply(s, &store, app_id, &id)
}

pub(crate) async fn restart(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    s.store.read().app(&app_id)?;
    let body = parse_body(&body, false)?;
    match body.get("components") {
        None | Some(Value::Null) => {}
        Some(Value::Array(names)) => {
            let store = s.store.read();
            let spec = &store.app(&app_id)?.spec;
            for name in names {
                let Some(name) = name.as_str() else {
                    return Err(ApiError::invalid(
                        "components must be a list of component names",
                    ));
                };
                if !has_component(spec, name) {
                    return Err(ApiError::invalid(format!(
                        "component \"{name}\" does not exist in the app"
                    )));
                }
            }
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "components must be a list of component names",
            ))
        }
    }
    start_deployment(&s, &app_id, "app restart")
}

pub(crate) async fn create(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    s.store.read().app(&app_id)?;
    let body = parse_body(&body, false)?;
    body_bool(&body, "force_build")?;
    start_deployment(&s, &app_id, "manual")
}

#[derive(Serialize)]
struct DeploymentsPage<'a> {
    deployments: Vec<DeploymentView<'a>>,
    links: Links,
    meta: Meta,
}

pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path(app_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let page = Page::from_query(&query)?;
    let types = query.list("deployment_types");
    if let Some(bad) = types
        .iter()
        .find(|t| !DEPLOYMENT_TYPES.contains(&t.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "invalid deployment type \"{bad}\""
        )));
    }
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let clock = s.clock();
    let states = app.phases(clock.now, clock.phase_duration);
    let matching: Vec<usize> = (0..app.deployments.len())
        .rev()
        .filter(|&i| {
            types.is_empty()
                || types
                    .iter()
                    .any(|t| t == app.deployments[i].deployment_type.as_str())
        })
        .collect();
    let total = matching.len();
    let deployments = matching[page.range(total)]
        .iter()
        .map(|&i| deployment_view(app, &app.deployments[i], states[i], clock))
        .collect();
    let path = format!("/v2/apps/{app_id}/deployments");
    Ok(Reply::json(&DeploymentsPage {
        deployments,
        links: links(&ctx.origin, &path, &query, page, total),
        meta: Meta { total },
    }))
}

pub(crate) async fn get(
    State(s): State<Arc<Shared>>,
    Path((app_id, deployment_id)): Path<(String, String)>,
) -> ApiResult {
    deployment_reply(&s, &s.store.read(), &app_id, &deployment_id)
}

pub(crate) async fn cancel(
    State(s): State<Arc<Shared>>,
    Path((app_id, deployment_id)): Path<(String, String)>,
) -> ApiResult {
    let mut store = s.store.write();
    store.cancel_deployment(
        &app_id,
        &deployment_id,
        std::time::Instant::now(),
        s.phase_duration,
    )?;
    let store = RwLockWriteGuard::downgrade(store);
    deployment_reply(&s, &store, &app_id, &deployment_id)
}

/// The deployment "active deployment" endpoints read: the ACTIVE one, else the newest.
fn current_deployment(app: &AppRecord, states: &[PhaseState]) -> Result<usize, ApiError> {
    states
        .iter()
        .rposition(|st| st.phase == Phase::Active)
        .or_else(|| app.deployments.len().checked_sub(1))
        .ok_or_else(ApiError::not_found)
}

fn check_log_type(query: &Query, allowed: &[&str]) -> Result<String, ApiError> {
    let kind = query.get("type").unwrap_or(allowed[0]).to_string();
    if allowed.contains(&kind.as_str()) {
        Ok(kind)
    } else {
        Err(ApiError::invalid(format!(
            "invalid log type \"{kind}\": must be one of {}",
            allowed.join(", ")
        )))
    }
}

/// `{live_url, historic_urls}` pointing at the emulator's own log endpoint.
fn logs_reply(
    ctx: &Ctx,
    app_id: &str,
    deployment_id: &str,
    component: Option<&str>,
    kind: &str,
) -> Reply {
    let mut url = format!(
        "{}/_emulator/logs/{app_id}/{deployment_id}?type={kind}",
        ctx.origin
    );
    if let Some(component) = component {
        url.push_str("&component=");
        url.push_str(component);
    }
    Reply::json(&json!({
        "live_url": format!("{url}&follow=true"),
        "historic_urls": [url],
    }))
}

fn logs_for(
    s: &Shared,
    ctx: &Ctx,
    app_id: &str,
    deployment_id: Option<&str>,
    component: Option<&str>,
    raw: Option<&str>,
) -> ApiResult {
    let query = Query::parse(raw);
    let store = s.store.read();
    let app = store.app(app_id)?;
    let index = match deployment_id {
        Some(id) => deployment_index(app, id)?,
        None => current_deployment(
            app,
            &app.phases(std::time::Instant::now(), s.phase_duration),
        )?,
    };
    let deployment = &app.deployments[index];
    if let Some(component) = component {
        if !has_component(&deployment.spec, component) {
            return Err(ApiError::not_found());
        }
    }
    let kind = check_log_type(&query, LOG_TYPES)?;
    Ok(logs_reply(ctx, app_id, &deployment.id, component, &kind))
}

pub(crate) async fn active_component_logs(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path((app_id, component)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    logs_for(&s, &ctx, &app_id, None, Some(&component), raw.as_deref())
}

pub(crate) async fn active_logs(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path(app_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    logs_for(&s, &ctx, &app_id, None, None, raw.as_deref())
}

pub(crate) async fn logs(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path((app_id, deployment_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    logs_for(
        &s,
        &ctx,
        &app_id,
        Some(&deployment_id),
        None,
        raw.as_deref(),
    )
}

pub(crate) async fn component_logs(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path((app_id, deployment_id, component)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    logs_for(
        &s,
        &ctx,
        &app_id,
        Some(&deployment_id),
        Some(&component),
        raw.as_deref(),
    )
}

fn exec_for(
    s: &Shared,
    ctx: &Ctx,
    app_id: &str,
    deployment_id: Option<&str>,
    component: &str,
) -> ApiResult {
    let store = s.store.read();
    let app = store.app(app_id)?;
    let index = match deployment_id {
        Some(id) => deployment_index(app, id)?,
        None => current_deployment(
            app,
            &app.phases(std::time::Instant::now(), s.phase_duration),
        )?,
    };
    let deployment = &app.deployments[index];
    if !has_component(&deployment.spec, component) {
        return Err(ApiError::not_found());
    }
    let runs = ["services", "workers"]
        .iter()
        .any(|kind| component_names(&deployment.spec, kind).contains(&component));
    if !runs {
        return Err(ApiError::invalid(format!(
            "component \"{component}\" has no running instances to exec into; only services and workers do"
        )));
    }
    let ws_origin = ctx.origin.replacen("http", "ws", 1);
    Ok(Reply::json(&json!({
        "url": format!(
            "{ws_origin}/_emulator/exec/{app_id}/{}/{component}?token={}",
            deployment.id,
            s.entropy.hex(32)
        )
    })))
}

pub(crate) async fn active_component_exec(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path((app_id, component)): Path<(String, String)>,
) -> ApiResult {
    exec_for(&s, &ctx, &app_id, None, &component)
}

pub(crate) async fn component_exec(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path((app_id, deployment_id, component)): Path<(String, String, String)>,
) -> ApiResult {
    exec_for(&s, &ctx, &app_id, Some(&deployment_id), &component)
}

// ---- job invocations ----

/// `(deployment index, invocation index)` of a job invocation.
fn find_invocation(app: &AppRecord, invocation_id: &str) -> Result<(usize, usize), ApiError> {
    app.deployments
        .iter()
        .enumerate()
        .find_map(|(d, dep)| {
            dep.job_invocations
                .iter()
                .position(|j| j.id == invocation_id)
                .map(|j| (d, j))
        })
        .ok_or_else(ApiError::not_found)
}

fn invocation_reply(
    s: &Shared,
    store: &Store,
    app_id: &str,
    invocation_id: &str,
    job_name: Option<&str>,
) -> ApiResult {
    let app = store.app(app_id)?;
    let (d, j) = find_invocation(app, invocation_id)?;
    let deployment = &app.deployments[d];
    let invocation = &deployment.job_invocations[j];
    if job_name.is_some_and(|name| name != invocation.job_name) {
        return Err(ApiError::not_found());
    }
    let states = app.phases(std::time::Instant::now(), s.phase_duration);
    Ok(Reply::json(&job_invocation_value(
        deployment,
        invocation,
        states[d],
        &s.owner,
        s.phase_duration,
    )))
}

/// `app_job_invocations` in the bundle: the list and `links`, no `meta`.
#[derive(Serialize)]
struct InvocationsPage {
    job_invocations: Vec<Value>,
    links: Links,
}

pub(crate) async fn list_job_invocations(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path(app_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let page = Page::from_query(&query)?;
    let job_names = query.list("job_names");
    let deployment_filter = query.get("deployment_id").filter(|d| !d.is_empty());
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let states = app.phases(std::time::Instant::now(), s.phase_duration);
    let matching: Vec<(usize, usize)> = (0..app.deployments.len())
        .rev()
        .filter(|&d| deployment_filter.is_none_or(|id| app.deployments[d].id == id))
        .flat_map(|d| (0..app.deployments[d].job_invocations.len()).map(move |j| (d, j)))
        .filter(|&(d, j)| {
            job_names.is_empty()
                || job_names.contains(&app.deployments[d].job_invocations[j].job_name)
        })
        .collect();
    let total = matching.len();
    let job_invocations = matching[page.range(total)]
        .iter()
        .map(|&(d, j)| {
            let deployment = &app.deployments[d];
            job_invocation_value(
                deployment,
                &deployment.job_invocations[j],
                states[d],
                &s.owner,
                s.phase_duration,
            )
        })
        .collect();
    let path = format!("/v2/apps/{app_id}/job-invocations");
    Ok(Reply::json(&InvocationsPage {
        job_invocations,
        links: links(&ctx.origin, &path, &query, page, total),
    }))
}

pub(crate) async fn get_job_invocation(
    State(s): State<Arc<Shared>>,
    Path((app_id, invocation_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let job_name = query.get("job_name").filter(|n| !n.is_empty());
    invocation_reply(&s, &s.store.read(), &app_id, &invocation_id, job_name)
}

pub(crate) async fn cancel_job_invocation(
    State(s): State<Arc<Shared>>,
    Path((app_id, invocation_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let job_name = query.get("job_name").filter(|n| !n.is_empty());
    let mut store = s.store.write();
    invocation_reply(&s, &store, &app_id, &invocation_id, job_name)?;
    store.cancel_job_invocation(
        &app_id,
        &invocation_id,
        std::time::Instant::now(),
        s.phase_duration,
    )?;
    let store = RwLockWriteGuard::downgrade(store);
    invocation_reply(&s, &store, &app_id, &invocation_id, job_name)
}

pub(crate) async fn job_invocation_logs(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path((app_id, job_name, invocation_id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let (d, j) = find_invocation(app, &invocation_id)?;
    let deployment = &app.deployments[d];
    if deployment.job_invocations[j].job_name != job_name
        || query
            .get("deployment_id")
            .is_some_and(|id| !id.is_empty() && id != deployment.id)
    {
        return Err(ApiError::not_found());
    }
    let kind = check_log_type(&query, &["JOB_INVOCATION"])?;
    Ok(logs_reply(
        &ctx,
        &app_id,
        &deployment.id,
        Some(&job_name),
        &kind,
    ))
}

// ---- events ----

fn event_index(app: &AppRecord, event_id: &str) -> Result<usize, ApiError> {
    app.deployments
        .iter()
        .position(|d| d.event_id == event_id)
        .ok_or_else(ApiError::not_found)
}

fn event_reply(s: &Shared, store: &Store, app_id: &str, event_id: &str) -> ApiResult {
    let app = store.app(app_id)?;
    let index = event_index(app, event_id)?;
    let clock = s.clock();
    let states = app.phases(clock.now, clock.phase_duration);
    Ok(Reply::wrap(
        "event",
        &event_view(app, &app.deployments[index], states[index], clock),
    ))
}

/// `app_events` in the bundle (and seed 001's sample): the list and `links`, no `meta`.
#[derive(Serialize)]
struct EventsPage<'a> {
    events: Vec<EventView<'a>>,
    links: Links,
}

pub(crate) async fn list_events(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path(app_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let page = Page::from_query(&query)?;
    let types = query.list("event_types");
    if let Some(bad) = types.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::invalid(format!("invalid event type \"{bad}\"")));
    }
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let clock = s.clock();
    let states = app.phases(clock.now, clock.phase_duration);
    // Every deployment has a DEPLOYMENT event; the emulator never autoscales.
    let wanted = types.is_empty() || types.iter().any(|t| t == "DEPLOYMENT");
    let total = if wanted { app.deployments.len() } else { 0 };
    let indices: Vec<usize> = (0..total).rev().collect();
    let events = indices[page.range(total)]
        .iter()
        .map(|&i| event_view(app, &app.deployments[i], states[i], clock))
        .collect();
    let path = format!("/v2/apps/{app_id}/events");
    Ok(Reply::json(&EventsPage {
        events,
        links: links(&ctx.origin, &path, &query, page, total),
    }))
}

pub(crate) async fn get_event(
    State(s): State<Arc<Shared>>,
    Path((app_id, event_id)): Path<(String, String)>,
) -> ApiResult {
    event_reply(&s, &s.store.read(), &app_id, &event_id)
}

/// Canceling a deployment event cancels its deployment.
pub(crate) async fn cancel_event(
    State(s): State<Arc<Shared>>,
    Path((app_id, event_id)): Path<(String, String)>,
) -> ApiResult {
    let mut store = s.store.write();
    let app = store.app(&app_id)?;
    let deployment_id = app.deployments[event_index(app, &event_id)?].id.clone();
    store.cancel_deployment(
        &app_id,
        &deployment_id,
        std::time::Instant::now(),
        s.phase_duration,
    )?;
    let store = RwLockWriteGuard::downgrade(store);
    event_reply(&s, &store, &app_id, &event_id)
}

pub(crate) async fn event_logs(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<Ctx>,
    Path((app_id, event_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let query = Query::parse(raw.as_deref());
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let deployment = &app.deployments[event_index(app, &event_id)?];
    let kind = check_log_type(&query, LOG_TYPES)?;
    Ok(logs_reply(&ctx, &app_id, &deployment.id, None, &kind))
}
