//! The remaining operations: account, propose, catalogs, instances, alerts, rollback,
//! bandwidth metrics and health.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use chrono::{DateTime, Days, NaiveTime, Utc};
use parking_lot::RwLockWriteGuard;
use serde_json::{json, Map, Value};

use super::catalog;
use super::errors::ApiError;
use super::pagination::Query;
use super::routes::{body_bool, body_str, parse_body, ApiResult, Reply};
use super::secrets::seal_spec_secrets;
use super::spec_walk::{component_names, components};
use super::state::Shared;
use super::store::{is_rollback_candidate, AppRecord, Moment};
use super::timeline::Phase;
use super::validate::{spec_of_body, validate_spec};
use super::views::{alert_value, deployment_view, fmt_time};

/// Static sites an account may run for free.
const MAX_FREE_STATIC_APPS: usize = 3;
/// Monthly price of each static site beyond the free ones.
const STATIC_SITE_USD: f64 = 3.0;

pub(crate) async fn account(State(s): State<Arc<Shared>>) -> ApiResult {
    Ok(Reply::json(&json!({"account": {
        "droplet_limit": 25,
        "floating_ip_limit": 5,
        "email": s.owner.email,
        "name": s.owner.name,
        "uuid": s.owner.uuid,
        "email_verified": true,
        "status": "active",
        "status_message": "",
        "team": {"uuid": s.team_uuid, "name": "App Platform Emulator"},
    }})))
}

pub(crate) async fn regions() -> ApiResult {
    Ok(Reply::json(&json!({"regions": catalog::regions()})))
}

pub(crate) async fn instance_sizes() -> ApiResult {
    Ok(Reply::json(
        &json!({"instance_sizes": catalog::instance_sizes(), "discount_percent": 0}),
    ))
}

pub(crate) async fn instance_size(Path(slug): Path<String>) -> ApiResult {
    let size = catalog::instance_size(&slug).ok_or_else(ApiError::not_found)?;
    Ok(Reply::wrap("instance_size", size))
}

fn is_static(spec: &Value) -> bool {
    let only_static = ["services", "workers", "jobs", "functions", "databases"]
        .iter()
        .all(|kind| component_names(spec, kind).is_empty());
    only_static && !component_names(spec, "static_sites").is_empty()
}

/// `(instance_size_slug, instance_count)` of every service, worker and job.
fn instances_of(spec: &Value) -> Vec<(&str, u64)> {
    components(spec)
        .into_iter()
        .filter(|(kind, _)| matches!(*kind, "services" | "workers" | "jobs"))
        .map(|(_, component)| {
            let slug = component
                .get("instance_size_slug")
                .and_then(Value::as_str)
                .unwrap_or("apps-s-1vcpu-0.5gb");
            let count = component
                .get("instance_count")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            (slug, count)
        })
        .collect()
}

/// Monthly cost in USD: instance price times count for services, workers and jobs,
/// plus static sites beyond the free allowance.
fn app_cost(spec: &Value, other_static_apps: usize) -> i64 {
    let mut cost: f64 = instances_of(spec)
        .into_iter()
        .map(|(slug, count)| catalog::monthly_usd(slug) * count as f64)
        .sum();
    if is_static(spec) && other_static_apps >= MAX_FREE_STATIC_APPS {
        cost += STATIC_SITE_USD * component_names(spec, "static_sites").len() as f64;
    }
    cost.round() as i64
}

/// `app_tier_downgrade_cost`: for a professional-tier app, its cost with every
/// professional size replaced by the basic size it downgrades to (`tier_downgrade_to`, which
/// only the legacy sizes have); `None` for a basic-tier app or without such sizes.
fn tier_downgrade_cost(spec: &Value) -> Option<i64> {
    let instances = instances_of(spec);
    if catalog::tier_of(instances.iter().map(|(slug, _)| slug.to_string())) != "professional" {
        return None;
    }
    let mut cost = 0.0;
    for (slug, count) in instances {
        let size = catalog::instance_size(slug)?;
        let basic = if size.get("tier_slug").and_then(Value::as_str) == Some("professional") {
            size.get("tier_downgrade_to").and_then(Value::as_str)?
        } else {
            slug
        };
        cost += catalog::monthly_usd(basic) * count as f64;
    }
    Some(cost.round() as i64)
}

pub(crate) async fn propose(State(s): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let body = parse_body(&body, true)?;
    let spec = spec_of_body(&body).map_err(ApiError::invalid)?;
    let app_id = body_str(&body, "app_id")?.filter(|id| !id.is_empty());
    validate_spec(spec).map_err(ApiError::invalid)?;
    // Echo the spec the way the API would store it: never with plaintext secrets.
    let mut proposed = spec.clone();
    seal_spec_secrets(&mut proposed, &s.secrets, || s.entropy.bytes::<12>())
        .map_err(ApiError::invalid)?;
    let store = s.store.read();
    if let Some(id) = app_id {
        store.app(id)?;
    }
    let name = spec.get("name").and_then(Value::as_str).unwrap_or_default();
    let available = store.name_available(name, app_id);
    let static_apps = store
        .apps
        .values()
        .filter(|a| Some(a.id.as_str()) != app_id && is_static(&a.spec))
        .count();
    let mut out = Map::new();
    out.insert("app_is_static".into(), is_static(spec).into());
    out.insert("app_name_available".into(), available.into());
    if !available {
        let suggestion = (2..)
            .map(|n| {
                let suffix = format!("-{n}");
                let stem: String = name.chars().take(32 - suffix.len()).collect();
                format!("{}{suffix}", stem.trim_end_matches('-'))
            })
            .find(|candidate| store.name_available(candidate, None))
            .expect("some numbered name is free");
        out.insert("app_name_suggestion".into(), suggestion.into());
    }
    out.insert(
        "existing_static_apps".into(),
        static_apps.to_string().into(),
    );
    out.insert(
        "max_free_static_apps".into(),
        MAX_FREE_STATIC_APPS.to_string().into(),
    );
    out.insert("spec".into(), proposed);
    out.insert("app_cost".into(), app_cost(spec, static_apps).into());
    if let Some(cost) = tier_downgrade_cost(spec) {
        out.insert("app_tier_downgrade_cost".into(), cost.into());
    }
    Ok(Reply::json(&out))
}

pub(crate) async fn instances(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
) -> ApiResult {
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let states = app.phases(std::time::Instant::now(), s.phase_duration);
    // Only the live deployment has running instances.
    let mut instances = Vec::new();
    if let Some(index) = states.iter().rposition(|st| st.phase == Phase::Active) {
        let deployment = &app.deployments[index];
        let replica_set = &deployment.commit_hash[..10];
        for (kind, component_type) in [("services", "SERVICE"), ("workers", "WORKER")] {
            let Some(Value::Array(list)) = deployment.spec.get(kind) else {
                continue;
            };
            for component in list {
                let Some(name) = component.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let count = component
                    .get("instance_count")
                    .and_then(Value::as_u64)
                    .unwrap_or(1);
                for i in 0..count {
                    let pod = pod_suffix(&deployment.id, name, i);
                    instances.push(json!({
                        "component_name": name,
                        "instance_name": format!("{name}-{replica_set}-{pod}"),
                        "instance_alias": format!("{name}-{i}"),
                        "component_type": component_type,
                    }));
                }
            }
        }
    }
    Ok(Reply::json(&json!({"instances": instances})))
}

/// A stable 5-character pod suffix, like Kubernetes gives replica pods.
fn pod_suffix(deployment_id: &str, component: &str, replica: u64) -> String {
    const CHARS: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hasher = DefaultHasher::new();
    (deployment_id, component, replica).hash(&mut hasher);
    let mut n = hasher.finish();
    (0..5)
        .map(|_| {
            let c = CHARS[(n % 36) as usize] as char;
            n /= 36;
            c
        })
        .collect()
}

// ---- alerts ----

pub(crate) async fn list_alerts(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
) -> ApiResult {
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let alerts: Vec<Value> = app
        .alerts
        .iter()
        .map(|a| alert_value(a, app.updated_at))
        .collect();
    Ok(Reply::json(&json!({"alerts": alerts})))
}

pub(crate) async fn assign_alert_destinations(
    State(s): State<Arc<Shared>>,
    Path((app_id, alert_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    s.store.read().app(&app_id)?;
    let body = parse_body(&body, false)?;
    let emails = match body.get("emails") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|e| match e.as_str() {
                Some(email) if email.contains('@') => Ok(email.to_string()),
                _ => Err(ApiError::invalid(
                    "emails must be a list of email addresses",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::invalid(
                "emails must be a list of email addresses",
            ))
        }
    };
    let webhooks = match body.get("slack_webhooks") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|w| match w.get("url").and_then(Value::as_str) {
                Some(url) if url.starts_with("https://") => Ok(w.clone()),
                _ => Err(ApiError::invalid(
                    "slack_webhooks entries need an https:// url",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(ApiError::invalid("slack_webhooks must be a list")),
    };
    let mut store = s.store.write();
    let app = store.app_mut(&app_id)?;
    let updated_at = app.updated_at;
    let alert = app
        .alerts
        .iter_mut()
        .find(|a| a.id == alert_id)
        .ok_or_else(ApiError::not_found)?;
    alert.emails = emails;
    alert.slack_webhooks = webhooks;
    Ok(Reply::wrap("alert", &alert_value(alert, updated_at)))
}

// ---- rollback ----

/// The rollback validation verdict: `Err` carries the failing condition.
fn rollback_check(
    s: &Shared,
    app: &AppRecord,
    target_id: &str,
) -> Result<Result<Vec<Value>, Value>, ApiError> {
    let index = app
        .deployment_index(target_id)
        .ok_or_else(ApiError::not_found)?;
    let target = &app.deployments[index];
    let state = app.phases(std::time::Instant::now(), s.phase_duration)[index];
    let phase = state.phase;
    let fail = |code: &str, message: String| Ok(Err(json!({"code": code, "message": message})));
    if let Some(pinned) = &app.rollback {
        return fail(
            "app_pinned",
            format!(
                "app is pinned to rollback deployment {}; commit or revert it first",
                pinned.deployment_id
            ),
        );
    }
    if !is_rollback_candidate(state) {
        return match phase {
            Phase::Error | Phase::Canceled => fail(
                "incompatible_result",
                format!(
                    "deployment result \"{}\" is unsuitable for rollback",
                    if phase == Phase::Error {
                        "failed"
                    } else {
                        "canceled"
                    }
                ),
            ),
            _ => fail(
                "incompatible_phase",
                format!(
                    "deployment phase \"{}\" is unsuitable for rollback",
                    phase.as_str()
                ),
            ),
        };
    }
    let region = |spec: &Value| {
        spec.get("region")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if region(&target.spec) != region(&app.spec) {
        return fail(
            "region_conflict",
            "the deployment's region differs from the app's current region".to_string(),
        );
    }
    let mut warnings = Vec::new();
    let sites = component_names(&target.spec, "static_sites");
    if !sites.is_empty() {
        warnings.push(
            json!({"code": "static_site_requires_rebuild", "components": sites,
            "message": "one or more static sites will be rebuilt from source"}),
        );
    }
    let undigested: Vec<&str> = components(&target.spec)
        .into_iter()
        .filter(|(_, c)| {
            c.get("image")
                .is_some_and(|image| image.get("digest").and_then(Value::as_str).is_none())
        })
        .filter_map(|(_, c)| c.get("name").and_then(Value::as_str))
        .collect();
    if !undigested.is_empty() {
        warnings.push(json!({"code": "image_source_missing_digest", "components": undigested,
            "message": "one or more components are missing an image digest and are not guaranteed rollback to the old version."}));
    }
    Ok(Ok(warnings))
}

fn rollback_target(body: &Value) -> Result<String, ApiError> {
    body_str(body, "deployment_id")?
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::invalid("deployment_id is required"))
}

pub(crate) async fn validate_rollback(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    s.store.read().app(&app_id)?;
    let body = parse_body(&body, true)?;
    let target = rollback_target(&body)?;
    body_bool(&body, "skip_pin")?;
    let store = s.store.read();
    let verdict = rollback_check(&s, store.app(&app_id)?, &target)?;
    Ok(Reply::json(&match verdict {
        Ok(warnings) if warnings.is_empty() => json!({"valid": true}),
        Ok(warnings) => json!({"valid": true, "warnings": warnings}),
        Err(error) => json!({"valid": false, "error": error}),
    }))
}

pub(crate) async fn rollback(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    s.store.read().app(&app_id)?;
    let body = parse_body(&body, true)?;
    let target = rollback_target(&body)?;
    let skip_pin = body_bool(&body, "skip_pin")?.unwrap_or(false);
    let mut store = s.store.write();
    if let Err(error) = rollback_check(&s, store.app(&app_id)?, &target)? {
        let message = error["message"]
            .as_str()
            .unwrap_or("rollback is not possible");
        return Err(ApiError::invalid(message));
    }
    let id = store.rollback(&app_id, &target, skip_pin, &s.entropy, Moment::now())?;
    let store = RwLockWriteGuard::downgrade(store);
    let app = store.app(&app_id)?;
    let index = app.deployment_index(&id).ok_or_else(ApiError::not_found)?;
    let clock = s.clock();
    let state = app.phases(clock.now, clock.phase_duration)[index];
    Ok(Reply::wrap(
        "deployment",
        &deployment_view(app, &app.deployments[index], state, clock),
    ))
}

pub(crate) async fn commit_rollback(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
) -> ApiResult {
    s.store.write().commit_rollback(&app_id)?;
    Ok(Reply::empty())
}

pub(crate) async fn revert_rollback(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
) -> ApiResult {
    let mut store = s.store.write();
    let id = store.revert_rollback(&app_id, &s.entropy, Moment::now())?;
    let store = RwLockWriteGuard::downgrade(store);
    let app = store.app(&app_id)?;
    let index = app.deployment_index(&id).ok_or_else(ApiError::not_found)?;
    let clock = s.clock();
    let state = app.phases(clock.now, clock.phase_duration)[index];
    Ok(Reply::wrap(
        "deployment",
        &deployment_view(app, &app.deployments[index], state, clock),
    ))
}

// ---- metrics and health ----

/// Midnight (UTC) of the requested day; yesterday by default.
fn metrics_day(raw: Option<&str>) -> Result<DateTime<Utc>, ApiError> {
    let day = match raw.filter(|d| !d.is_empty()) {
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map_err(|_| ApiError::invalid("date must be an RFC 3339 timestamp"))?
            .with_timezone(&Utc)
            .date_naive(),
        None => Utc::now()
            .date_naive()
            .checked_sub_days(Days::new(1))
            .expect("yesterday exists"),
    };
    Ok(day.and_time(NaiveTime::MIN).and_utc())
}

/// A stable, plausible daily byte count for an app and day.
fn bandwidth_bytes(app_id: &str, day: DateTime<Utc>) -> String {
    let mut hasher = DefaultHasher::new();
    (app_id, day.timestamp()).hash(&mut hasher);
    (hasher.finish() % 50_000_000).to_string()
}

fn bandwidth_reply(ids: &[String], day: DateTime<Utc>) -> Reply {
    let usage: Vec<Value> = ids
        .iter()
        .map(|id| json!({"app_id": id, "bandwidth_bytes": bandwidth_bytes(id, day)}))
        .collect();
    Reply::json(&json!({"app_bandwidth_usage": usage, "date": fmt_time(day)}))
}

pub(crate) async fn bandwidth(
    State(s): State<Arc<Shared>>,
    Path(app_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    s.store.read().app(&app_id)?;
    let query = Query::parse(raw.as_deref());
    let day = metrics_day(query.get("date"))?;
    Ok(bandwidth_reply(&[app_id], day))
}

pub(crate) async fn bandwidth_many(State(s): State<Arc<Shared>>, body: Bytes) -> ApiResult {
    let body = parse_body(&body, true)?;
    let ids: Vec<String> = match body.get("app_ids") {
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::invalid("app_ids must be a list of app IDs"))?,
        _ => return Err(ApiError::invalid("app_ids is required")),
    };
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::invalid(
            "app_ids must list between 1 and 100 app IDs",
        ));
    }
    let day = metrics_day(body_str(&body, "date")?)?;
    let store = s.store.read();
    for id in &ids {
        store.app(id)?;
    }
    Ok(bandwidth_reply(&ids, day))
}

pub(crate) async fn health(State(s): State<Arc<Shared>>, Path(app_id): Path<String>) -> ApiResult {
    let store = s.store.read();
    let app = store.app(&app_id)?;
    let states = app.phases(std::time::Instant::now(), s.phase_duration);
    let live = states.iter().any(|st| st.phase == Phase::Active);
    let seed = |name: &str, salt: u8| {
        let mut hasher = DefaultHasher::new();
        (app.id.as_str(), name, salt).hash(&mut hasher);
        (hasher.finish() % 6000) as f64 / 100.0
    };
    let mut health_components = Vec::new();
    for kind in ["services", "workers"] {
        let Some(Value::Array(list)) = app.spec.get(kind) else {
            continue;
        };
        for component in list {
            let Some(name) = component.get("name").and_then(Value::as_str) else {
                continue;
            };
            let desired = component
                .get("instance_count")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            let ready = if live { desired } else { 0 };
            health_components.push(json!({
                "name": name,
                "cpu_usage_percent": if live { seed(name, 1) } else { 0.0 },
                "memory_usage_percent": if live { seed(name, 2) } else { 0.0 },
                "replicas_desired": desired,
                "replicas_ready": ready,
                "state": if live && ready == desired { "HEALTHY" } else { "UNHEALTHY" },
            }));
        }
    }
    let functions: Vec<Value> = component_names(&app.spec, "functions")
        .into_iter()
        .map(|name| {
            json!({"name": name, "functions_component_health_metrics": [
                {"metric_label": "activations_count", "metric_value": 0, "time_window": "1h"}]})
        })
        .collect();
    let mut health = Map::new();
    health.insert("components".into(), Value::Array(health_components));
    if !functions.is_empty() {
        health.insert("functions_components".into(), Value::Array(functions));
    }
    Ok(Reply::wrap("app_health", &health))
}
