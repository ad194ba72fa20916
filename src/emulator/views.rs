//! JSON renderings of stored records, shaped like the OpenAPI bundle's schemas.
//! App and deployment views borrow the stored specs, so a response is serialized
//! once without copying them.

use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::catalog;
use super::spec_walk::{component_names, ENV_COMPONENT_KINDS};
use super::store::{AlertRecord, AppRecord, DeploymentRecord, JobInvocationRecord};
use super::timeline::{active_offset, phase_start, Phase, PhaseState};

pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn fmt_precise(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn plus(t: DateTime<Utc>, offset: Duration) -> DateTime<Utc> {
    t + chrono::Duration::from_std(offset).unwrap_or_default()
}

/// Who owns the emulated account (for owner fields and job triggers).
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub(crate) uuid: String,
    pub(crate) email: String,
    pub(crate) name: String,
}

/// What every view needs: the instant it describes and the phase clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ViewClock {
    pub(crate) now: Instant,
    pub(crate) phase_duration: Duration,
}

#[derive(Serialize)]
pub(crate) struct ComponentRef<'a> {
    name: &'a str,
    source_commit_hash: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct DeploymentView<'a> {
    id: &'a str,
    spec: &'a RawValue,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<ComponentRef<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    static_sites: Vec<ComponentRef<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    workers: Vec<ComponentRef<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    jobs: Vec<ComponentRef<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    functions: Vec<ComponentRef<'a>>,
    phase_last_updated_at: String,
    created_at: String,
    updated_at: String,
    cause: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloned_from: Option<&'a str>,
    progress: Progress<'a>,
    phase: &'static str,
    tier_slug: &'static str,
}

fn tier_of_spec(spec: &Value) -> &'static str {
    let mut slugs = Vec::new();
    for kind in ["services", "workers", "jobs"] {
        if let Some(Value::Array(list)) = spec.get(kind) {
            slugs.extend(
                list.iter()
                    .filter_map(|c| c.get("instance_size_slug").and_then(Value::as_str))
                    .map(str::to_string),
            );
        }
    }
    catalog::tier_of(slugs)
}

pub(crate) fn deployment_view<'a>(
    app: &'a AppRecord,
    deployment: &'a DeploymentRecord,
    state: PhaseState,
    clock: ViewClock,
) -> DeploymentView<'a> {
    let refs = |kind: &str| -> Vec<ComponentRef<'a>> {
        component_names(&deployment.spec, kind)
            .into_iter()
            .map(|name| ComponentRef {
                name,
                source_commit_hash: &deployment.commit_hash,
                namespace: (kind == "functions").then(|| format!("ap-{}", app.id)),
            })
            .collect()
    };
    let changed = fmt_time(plus(deployment.created_at, state.since));
    DeploymentView {
        id: &deployment.id,
        spec: deployment.spec.json(),
        services: refs("services"),
        static_sites: refs("static_sites"),
        workers: refs("workers"),
        jobs: refs("jobs"),
        functions: refs("functions"),
        phase_last_updated_at: changed.clone(),
        created_at: fmt_time(deployment.created_at),
        updated_at: changed,
        cause: &deployment.cause,
        cloned_from: deployment.cloned_from.as_deref(),
        progress: progress_of(deployment, state, clock.phase_duration),
        phase: state.phase.as_str(),
        tier_slug: tier_of_spec(&deployment.spec),
    }
}

fn message_base(kind: &str, verb: &str) -> String {
    let noun = match kind {
        "services" => "service",
        "workers" => "worker",
        "jobs" => "job",
        "static_sites" => "static site",
        _ => "functions",
    };
    format!("{verb} {noun}")
}

#[derive(Default)]
struct StepCounts {
    success: u32,
    running: u32,
    pending: u32,
    error: u32,
}

impl StepCounts {
    fn add(&mut self, status: &str, n: u32) {
        match status {
            "SUCCESS" => self.success += n,
            "RUNNING" => self.running += n,
            "ERROR" => self.error += n,
            _ => self.pending += n,
        }
    }
}

fn step(name: &str, status: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    m.insert("status".into(), status.into());
    m
}

/// A deployment's `progress` tree: the cached JSON once the deployment is final, else
/// rendered for this response.
pub(crate) enum Progress<'a> {
    Final(&'a RawValue),
    Live(Value),
}

impl Serialize for Progress<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Progress::Final(json) => json.serialize(serializer),
            Progress::Live(value) => value.serialize(serializer),
        }
    }
}

/// The progress tree, from the cache once the deployment is final (ACTIVE and
/// SUPERSEDED render the same tree).
fn progress_of<'a>(
    deployment: &'a DeploymentRecord,
    state: PhaseState,
    pd: Duration,
) -> Progress<'a> {
    if let Some(cached) = deployment.final_progress.get() {
        return Progress::Final(cached);
    }
    let rendered = progress(&deployment.spec, state, deployment.created_at, pd);
    if state.phase.is_final() {
        Progress::Final(deployment.final_progress.get_or_init(|| {
            serde_json::value::to_raw_value(&rendered).expect("a JSON value serializes")
        }))
    } else {
        Progress::Live(rendered)
    }
}

/// The `progress` tree of a deployment in a given state.
fn progress(spec: &Value, state: PhaseState, created_at: DateTime<Utc>, pd: Duration) -> Value {
    // Stopped in flight: canceled, or superseded by a newer deployment before it was ACTIVE.
    let superseded = state.phase == Phase::Superseded && state.progress_phase != Phase::Active;
    let canceled = state.phase == Phase::Canceled || superseded;
    let (mut build, mut deploy) = match state.progress_phase {
        Phase::PendingBuild => ("PENDING", "PENDING"),
        Phase::Building => ("RUNNING", "PENDING"),
        Phase::PendingDeploy => ("SUCCESS", "PENDING"),
        Phase::Deploying => ("SUCCESS", "RUNNING"),
        Phase::Active | Phase::Superseded => ("SUCCESS", "SUCCESS"),
        Phase::Error | Phase::Canceled => ("ERROR", "PENDING"),
    };
    // Finished early (the admin surface): every step ended by then.
    let finished_early = state.phase == Phase::Active && state.since < active_offset(pd);
    if canceled {
        build = if build == "RUNNING" { "ERROR" } else { build };
        deploy = if deploy == "RUNNING" { "ERROR" } else { deploy };
    }
    let components: Vec<(&str, &str)> = ENV_COMPONENT_KINDS
        .iter()
        .flat_map(|kind| {
            component_names(spec, kind)
                .into_iter()
                .map(move |name| (*kind, name))
        })
        .collect();
    let n = components.len() as u32;
    let end_offset = |natural_end: Duration| {
        if canceled || finished_early {
            state.since.min(natural_end)
        } else {
            natural_end
        }
    };
    let start_offset = |natural_start: Duration| {
        if finished_early {
            state.since.min(natural_start)
        } else {
            natural_start
        }
    };
    let timed = |mut m: Map<String, Value>, status: &str, start: Duration, end: Duration| {
        if status != "PENDING" {
            m.insert(
                "started_at".into(),
                fmt_precise(plus(created_at, start)).into(),
            );
        }
        if status == "SUCCESS" || status == "ERROR" {
            m.insert("ended_at".into(), fmt_precise(plus(created_at, end)).into());
        }
        if status == "ERROR" {
            let reason = if superseded {
                json!({"code": "DeploymentSuperseded", "message": "The deployment was superseded by a newer deployment."})
            } else if canceled {
                json!({"code": "DeploymentCanceled", "message": "The deployment was canceled."})
            } else {
                json!({"code": "BuildJobFailed", "message": "Your build job failed."})
            };
            m.insert("reason".into(), reason);
        }
        Value::Object(m)
    };

    let build_comps: Vec<Value> = components
        .iter()
        .map(|(kind, name)| {
            let mut m = step(name, build);
            m.insert("component_name".into(), (*name).into());
            m.insert("message_base".into(), message_base(kind, "Building").into());
            Value::Object(m)
        })
        .collect();
    let deploy_comps: Vec<Value> = components
        .iter()
        .map(|(kind, name)| {
            let leaf = |leaf_name: &str, verb: &str| {
                let mut m = step(leaf_name, deploy);
                m.insert("component_name".into(), (*name).into());
                m.insert("message_base".into(), message_base(kind, verb).into());
                Value::Object(m)
            };
            let mut m = step(name, deploy);
            m.insert(
                "steps".into(),
                json!([leaf("deploy", "Deploying"), leaf("wait", "Waiting for")]),
            );
            m.insert("component_name".into(), (*name).into());
            Value::Object(m)
        })
        .collect();

    let (b0, b1) = (
        start_offset(phase_start(1, pd)),
        end_offset(phase_start(2, pd)),
    );
    let (d0, d1) = (
        start_offset(phase_start(3, pd)),
        end_offset(active_offset(pd)),
    );
    let mut build_components = step("components", build);
    build_components.insert("steps".into(), Value::Array(build_comps));
    let mut deploy_components = step("components", deploy);
    deploy_components.insert("steps".into(), Value::Array(deploy_comps));
    let mut build_step = step("build", build);
    build_step.insert(
        "steps".into(),
        json!([
            timed(step("initialize", build), build, b0, b1),
            timed(build_components, build, b0, b1)
        ]),
    );
    let mut deploy_step = step("deploy", deploy);
    deploy_step.insert(
        "steps".into(),
        json!([
            timed(step("initialize", deploy), deploy, d0, d1),
            timed(deploy_components, deploy, d0, d1),
            timed(step("finalize", deploy), deploy, d0, d1)
        ]),
    );

    let mut counts = StepCounts::default();
    counts.add(build, 1 + n);
    counts.add(deploy, 2 + 2 * n);
    let mut out = Map::new();
    for (key, value) in [
        ("success_steps", counts.success),
        ("running_steps", counts.running),
        ("pending_steps", counts.pending),
        ("error_steps", counts.error),
    ] {
        if value > 0 {
            out.insert(key.into(), value.into());
        }
    }
    out.insert("total_steps".into(), (3 + 3 * n).into());
    out.insert(
        "steps".into(),
        json!([
            timed(build_step, build, b0, b1),
            timed(deploy_step, deploy, d0, d1)
        ]),
    );
    Value::Object(out)
}

#[derive(Serialize)]
pub(crate) struct AppView<'a> {
    id: &'a str,
    owner_uuid: &'a str,
    spec: &'a RawValue,
    default_ingress: String,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    active_deployment: Option<DeploymentView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_deployment_created_at: Option<String>,
    live_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_deployment: Option<DeploymentView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_progress_deployment: Option<DeploymentView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned_deployment: Option<DeploymentView<'a>>,
    region: Value,
    tier_slug: &'static str,
    live_url_base: String,
    live_domain: &'a str,
    project_id: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    domains: Vec<Value>,
}

/// Renders an app. `pending` forces `pending_deployment` to a given deployment: create
/// and update responses always show the deployment they started.
pub(crate) fn app_view<'a>(
    app: &'a AppRecord,
    owner: &'a Owner,
    clock: ViewClock,
    pending: Option<&str>,
) -> AppView<'a> {
    let states = app.phases(clock.now, clock.phase_duration);
    let view = |index: usize| deployment_view(app, &app.deployments[index], states[index], clock);
    let newest =
        |pred: &dyn Fn(Phase) -> bool| (0..states.len()).rev().find(|&i| pred(states[i].phase));
    let active = newest(&|p| p == Phase::Active);
    let pending_index = match pending {
        Some(id) => app.deployment_index(id),
        None => newest(&|p| p == Phase::PendingBuild),
    };
    let in_progress = newest(&|p| p.is_in_progress()).filter(|i| Some(*i) != pending_index);
    let pinned = app
        .rollback
        .as_ref()
        .and_then(|r| app.deployment_index(&r.deployment_id));
    let url = format!("https://{}", app.live_domain);
    let region_slug = app
        .spec
        .get("region")
        .and_then(Value::as_str)
        .unwrap_or(catalog::DEFAULT_REGION);
    let domains = match app.spec.get("domains") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|d| {
                let name = d.get("domain").and_then(Value::as_str)?;
                Some(json!({
                    "id": app.domain_ids.get(name).cloned().unwrap_or_default(),
                    "phase": "ACTIVE",
                    "spec": d,
                    "rotate_validation_records": false,
                    "certificate_expires_at": fmt_time(plus(app.created_at, Duration::from_secs(90 * 86_400))),
                }))
            })
            .collect(),
        _ => Vec::new(),
    };
    AppView {
        id: &app.id,
        owner_uuid: &owner.uuid,
        spec: app.spec.json(),
        default_ingress: url.clone(),
        created_at: fmt_time(app.created_at),
        updated_at: fmt_time(app.updated_at),
        active_deployment: active.map(view),
        last_deployment_created_at: app.deployments.last().map(|d| fmt_time(d.created_at)),
        live_url: url.clone(),
        pending_deployment: pending_index.map(view),
        in_progress_deployment: in_progress.map(view),
        pinned_deployment: pinned.map(view),
        region: catalog::region(region_slug),
        tier_slug: tier_of_spec(&app.spec),
        live_url_base: url,
        live_domain: &app.live_domain,
        project_id: &app.project_id,
        domains,
    }
}

/// Job invocation phase from its deployment's phase.
fn invocation_phase(invocation: &JobInvocationRecord, state: PhaseState) -> &'static str {
    if invocation.canceled.is_some() {
        return "CANCELED";
    }
    match state.phase {
        Phase::PendingBuild | Phase::Building | Phase::PendingDeploy => "PENDING",
        Phase::Deploying => "RUNNING",
        // Superseded before it was ACTIVE: its jobs never completed.
        Phase::Superseded if state.progress_phase != Phase::Active => "CANCELED",
        Phase::Active | Phase::Superseded => "SUCCEEDED",
        Phase::Error => "SKIPPED",
        Phase::Canceled => "CANCELED",
    }
}

pub(crate) fn job_invocation_value(
    deployment: &DeploymentRecord,
    invocation: &JobInvocationRecord,
    state: PhaseState,
    owner: &Owner,
    pd: Duration,
) -> Value {
    let phase = invocation_phase(invocation, state);
    let mut m = Map::new();
    m.insert("id".into(), invocation.id.clone().into());
    m.insert("job_name".into(), invocation.job_name.clone().into());
    m.insert("deployment_id".into(), deployment.id.clone().into());
    m.insert("phase".into(), phase.into());
    m.insert("created_at".into(), fmt_time(deployment.created_at).into());
    let started = phase_start(3, pd);
    let reached_run = match invocation.canceled {
        Some(at) => at >= started,
        None => matches!(phase, "RUNNING" | "SUCCEEDED"),
    };
    if reached_run {
        m.insert(
            "started_at".into(),
            fmt_time(plus(deployment.created_at, started)).into(),
        );
    }
    let completed = match (invocation.canceled, phase) {
        (Some(at), _) => Some(at),
        (None, "SUCCEEDED") => Some(active_offset(pd)),
        (None, "CANCELED" | "SKIPPED") => Some(state.since),
        _ => None,
    };
    if let Some(at) = completed {
        m.insert(
            "completed_at".into(),
            fmt_time(plus(deployment.created_at, at)).into(),
        );
    }
    m.insert(
        "trigger".into(),
        json!({"type": "MANUAL", "manual": {"user": {
            "uuid": owner.uuid, "email": owner.email, "full_name": owner.name}}}),
    );
    Value::Object(m)
}

#[derive(Serialize)]
pub(crate) struct EventView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    created_at: String,
    deployment_id: &'a str,
    deployment: DeploymentView<'a>,
}

pub(crate) fn event_view<'a>(
    app: &'a AppRecord,
    deployment: &'a DeploymentRecord,
    state: PhaseState,
    clock: ViewClock,
) -> EventView<'a> {
    EventView {
        id: &deployment.event_id,
        kind: "DEPLOYMENT",
        created_at: fmt_time(deployment.created_at),
        deployment_id: &deployment.id,
        deployment: deployment_view(app, deployment, state, clock),
    }
}

pub(crate) fn alert_value(alert: &AlertRecord, configured_at: DateTime<Utc>) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), alert.id.clone().into());
    if let Some(component) = &alert.component_name {
        m.insert("component_name".into(), component.clone().into());
    }
    m.insert("spec".into(), alert.spec.clone());
    m.insert("emails".into(), json!(alert.emails));
    m.insert(
        "slack_webhooks".into(),
        Value::Array(alert.slack_webhooks.clone()),
    );
    m.insert("phase".into(), "ACTIVE".into());
    let at = fmt_time(configured_at);
    m.insert(
        "progress".into(),
        json!({"steps": [{"name": "alert-configure-insight-alert", "status": "SUCCESS",
            "started_at": at, "ended_at": at}]}),
    );
    Value::Object(m)
}
