//! Apply: the I/O half of a sync. Lock the app, read it once, plan, send at most one PUT,
//! record state from the PUT response. Everything that decides *what* to change lives in
//! the pure [`plan`](super::plan) module; this one only talks to DigitalOcean and the store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::deploying::{gate, in_progress_message, Gate, InFlightDeployment};
use super::desired::Desired;
use super::options::SyncOptions;
use super::plan::{
    check_app_id, plan_removal_shared, plan_shared, same_spec, state_after_apply, validate_desired,
    Plan, PlanError, COMPONENT_KINDS,
};
use super::state::{is_ev_string, StateRecord};
use crate::client::retry::{decide, Decision};
use crate::client::{operation, Client, Error as ApiError, Operation, TransportKind};
use crate::store::{AppLock, Store, StoreError};

/// Deployment phases after which nothing more happens.
pub const FINAL_PHASES: [&str; 4] = ["ACTIVE", "ERROR", "CANCELED", "SUPERSEDED"];

/// Called with each new deployment phase while waiting.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// How an apply behaves.
#[derive(Clone)]
pub struct ApplySettings {
    /// How long to wait for another sync of the same app to finish.
    pub lock_timeout: Duration,
    /// A plan older than this is checked against a fresh read of the app before applying.
    pub stale_after: Duration,
    /// When the app changed since planning: re-plan (true) or refuse with a conflict.
    pub replan: bool,
    /// Follow the deployment the PUT started until it reaches a final phase.
    pub wait: bool,
    /// With `wait`: when the deployment ends in ERROR, put back the previous env entries.
    pub rollback_on_failure: bool,
    /// With `wait`: give up waiting after this long (the sync itself has succeeded).
    pub deploy_timeout: Duration,
    pub progress: Option<Progress>,
}

impl Default for ApplySettings {
    fn default() -> Self {
        Self {
            lock_timeout: Duration::from_secs(30),
            stale_after: Duration::from_secs(2),
            replan: false,
            wait: false,
            rollback_on_failure: false,
            deploy_timeout: Duration::from_secs(30 * 60),
            progress: None,
        }
    }
}

impl std::fmt::Debug for ApplySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplySettings")
            .field("lock_timeout", &self.lock_timeout)
            .field("stale_after", &self.stale_after)
            .field("replan", &self.replan)
            .field("wait", &self.wait)
            .field("rollback_on_failure", &self.rollback_on_failure)
            .finish_non_exhaustive()
    }
}

/// Why a sync did not complete. Never holds a secret value.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("app {app_id} changed since the plan was made; plan again (or apply with replan)")]
    Conflict { app_id: String },
    #[error("the response for app {app_id} has no app spec")]
    MissingSpec { app_id: String },
    #[error("deployment {deployment_id} of app {app_id} did not finish within {waited:?}")]
    DeployTimeout {
        app_id: String,
        deployment_id: String,
        waited: Duration,
    },
    /// A deployment was in flight and the sync had changes to send: `if_deploying=fail`
    /// (`waited` is `None`), or it was still in flight after `deploy_wait_timeout`.
    /// Nothing was sent.
    #[error("{}", in_progress_message(.app_id, .deployment_id, .phase, *.waited))]
    DeploymentInProgress {
        app_id: String,
        deployment_id: String,
        phase: String,
        waited: Option<Duration>,
    },
    #[error("app {app_id} is listed more than once in the fleet (as {first:?} and {second:?})")]
    DuplicateTarget {
        app_id: String,
        first: String,
        second: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// What to plan: desired secrets, or the removal of what the sync wrote.
#[derive(Debug, Clone)]
pub(super) enum Goal {
    Sync(Desired),
    Remove,
}

/// A plan together with what is needed to apply it later.
#[derive(Debug, Clone)]
pub struct PlannedSync {
    pub app_id: String,
    pub plan: Plan,
    goal: Goal,
    options: SyncOptions,
    /// Digest of the state the plan was made from: another sync's write shows up here
    /// without a request.
    state_digest: String,
    /// API calls made so far.
    pub requests: u32,
}

/// What an applied sync did.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    pub app_id: String,
    /// The plan that was applied (after any re-plan).
    pub plan: Plan,
    /// The deployment the PUT started; `None` when nothing changed.
    pub deployment_id: Option<String>,
    /// API calls made by this sync (retries of one call count once).
    pub requests: u32,
    /// The deployment's final phase, with `wait`.
    pub deployment_phase: Option<String>,
    /// The env entries were put back after a failed deployment.
    pub rolled_back: bool,
    /// The deployment that was in flight when the PUT was sent (`if_deploying=proceed`,
    /// or one this tool's previous sync of the app started): the PUT superseded it.
    pub superseded_deployment_id: Option<String>,
}

pub(super) fn op(name: &str) -> &'static Operation {
    operation(name).expect("operation table has every App Platform operation")
}

pub(super) fn state_digest(records: &[StateRecord]) -> String {
    let mut h = Sha256::new();
    for r in records {
        for part in [
            r.target.as_str(),
            r.key.as_str(),
            r.fingerprint.as_str(),
            r.ev.as_deref().unwrap_or(""),
            r.var_type.as_str(),
            r.scope.as_str(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
    }
    hex::encode(h.finalize())
}

/// The sync engine: a client and a state store.
#[derive(Clone, Debug)]
pub struct Engine {
    client: Client,
    store: Arc<Store>,
}

impl Engine {
    pub fn new(client: Client, store: Arc<Store>) -> Self {
        Self { client, store }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Reads the app (one GET): its spec and the deployment in flight, if any.
    pub(super) async fn fetch_spec(
        &self,
        app_id: &str,
    ) -> Result<(Value, Option<InFlightDeployment>), SyncError> {
        let app: Value = self
            .client
            .call(op("get"), &[("id", app_id)], &[], None)
            .await?;
        let in_flight = InFlightDeployment::of_app(&app);
        Ok((take_spec(app, app_id)?, in_flight))
    }

    pub(super) async fn load_state(&self, app_id: &str) -> Result<Vec<StateRecord>, SyncError> {
        let store = self.store.clone();
        let app_id = app_id.to_owned();
        blocking(move || store.load_state(&app_id)).await
    }

    async fn save_state(&self, app_id: &str, records: Vec<StateRecord>) -> Result<(), SyncError> {
        let store = self.store.clone();
        let app_id = app_id.to_owned();
        blocking(move || store.save_state(&app_id, &records)).await
    }

    /// Remembers the deployment a PUT started, so the next sync supersedes it without
    /// waiting (see `deploying`).
    async fn record_deployment(
        &self,
        app_id: &str,
        deployment_id: Option<&str>,
    ) -> Result<(), SyncError> {
        let Some(deployment_id) = deployment_id else {
            return Ok(());
        };
        let store = self.store.clone();
        let (app_id, deployment_id) = (app_id.to_owned(), deployment_id.to_owned());
        blocking(move || store.record_deployment(&app_id, &deployment_id)).await
    }

    pub(super) async fn lock(&self, app_id: &str, timeout: Duration) -> Result<AppLock, SyncError> {
        let store = self.store.clone();
        let app_id = app_id.to_owned();
        blocking(move || store.lock_app(&app_id, timeout)).await
    }

    fn make_plan(
        &self,
        goal: &Goal,
        spec: Value,
        options: &SyncOptions,
        state: &[StateRecord],
    ) -> Result<Plan, SyncError> {
        // The plan keeps the spec as read (its base) without a copy.
        let spec = Arc::new(spec);
        Ok(match goal {
            Goal::Sync(desired) => {
                plan_shared(spec, desired, options, state, &self.store.fingerprinter())?
            }
            Goal::Remove => plan_removal_shared(spec, state, options)?,
        })
    }

    async fn plan_goal(
        &self,
        app_id: &str,
        goal: Goal,
        options: SyncOptions,
    ) -> Result<PlannedSync, SyncError> {
        // Options and keys are checked before any request: bad input sends nothing.
        check_app_id(app_id)?;
        validate_goal(&goal, &options)?;
        let (spec, in_flight) = self.fetch_spec(app_id).await?;
        let state = self.load_state(app_id).await?;
        let mut plan = self.make_plan(&goal, spec, &options, &state)?;
        self.attach_in_flight(app_id, &mut plan, in_flight).await?;
        Ok(PlannedSync {
            app_id: app_id.to_owned(),
            plan,
            goal,
            options,
            state_digest: state_digest(&state),
            requests: 1,
        })
    }

    /// Reads the app (one GET) and plans a sync of `desired` into it. Changes nothing.
    pub async fn plan(
        &self,
        app_id: &str,
        desired: Desired,
        options: SyncOptions,
    ) -> Result<PlannedSync, SyncError> {
        self.plan_goal(app_id, Goal::Sync(desired), options).await
    }

    /// Reads the app (one GET) and plans the removal of what the sync wrote.
    pub async fn plan_removal(
        &self,
        app_id: &str,
        options: SyncOptions,
    ) -> Result<PlannedSync, SyncError> {
        self.plan_goal(app_id, Goal::Remove, options).await
    }

    /// Applies a plan made earlier. Takes the app's lock; when the plan is older than
    /// `stale_after` or another sync wrote state since, re-reads the app and refuses
    /// (or re-plans) if it changed. A deployment in flight is handled per the plan's
    /// `if_deploying`; after waiting for one the app is always read again.
    pub async fn apply(
        &self,
        mut planned: PlannedSync,
        settings: &ApplySettings,
    ) -> Result<SyncOutcome, SyncError> {
        let started = Instant::now();
        let mut waited = false;
        loop {
            let lock = self.lock(&planned.app_id, settings.lock_timeout).await?;
            let state = self.load_state(&planned.app_id).await?;
            let stale = planned.plan.planned_at().elapsed() > settings.stale_after;
            if waited || stale || state_digest(&state) != planned.state_digest {
                let (fresh, in_flight) = self.fetch_spec(&planned.app_id).await?;
                planned.requests += 1;
                let spec_changed = !same_spec(&fresh, planned.plan.base_spec());
                if spec_changed && !settings.replan {
                    return Err(SyncError::Conflict {
                        app_id: planned.app_id,
                    });
                }
                if spec_changed || state_digest(&state) != planned.state_digest {
                    planned.plan =
                        self.make_plan(&planned.goal, fresh, &planned.options, &state)?;
                    planned.state_digest = state_digest(&state);
                }
                self.attach_in_flight(&planned.app_id, &mut planned.plan, in_flight)
                    .await?;
            }
            match gate(&planned.app_id, &planned.plan, &planned.options)? {
                Gate::Go => return self.apply_locked(planned, state, settings).await,
                Gate::Wait(deployment) => {
                    // Other syncs of the app may run meanwhile; the app is read again after.
                    drop(lock);
                    let timeout = planned.options.deploy_wait_timeout;
                    planned.requests += self
                        .await_deployment(&planned.app_id, &deployment, started, timeout)
                        .await?;
                    waited = true;
                }
            }
        }
    }

    /// Plans and applies back to back under the app's lock: one request when nothing
    /// changed (the GET), two when something did (GET and PUT).
    pub async fn sync(
        &self,
        app_id: &str,
        desired: Desired,
        options: SyncOptions,
        settings: &ApplySettings,
    ) -> Result<SyncOutcome, SyncError> {
        self.run_locked(app_id, Goal::Sync(desired), options, settings)
            .await
    }

    /// Removes the keys the sync created and restores the keys it adopted.
    pub async fn remove_synced(
        &self,
        app_id: &str,
        options: SyncOptions,
        settings: &ApplySettings,
    ) -> Result<SyncOutcome, SyncError> {
        self.run_locked(app_id, Goal::Remove, options, settings)
            .await
    }

    async fn run_locked(
        &self,
        app_id: &str,
        goal: Goal,
        options: SyncOptions,
        settings: &ApplySettings,
    ) -> Result<SyncOutcome, SyncError> {
        check_app_id(app_id)?;
        validate_goal(&goal, &options)?;
        let started = Instant::now();
        let mut requests = 0;
        loop {
            let lock = self.lock(app_id, settings.lock_timeout).await?;
            let (spec, in_flight) = self.fetch_spec(app_id).await?;
            requests += 1;
            let state = self.load_state(app_id).await?;
            let mut planned = self.plan_read_spec(
                app_id,
                goal.clone(),
                options.clone(),
                spec,
                &state,
                requests,
            )?;
            self.attach_in_flight(app_id, &mut planned.plan, in_flight)
                .await?;
            match gate(app_id, &planned.plan, &options)? {
                Gate::Go => return self.apply_locked(planned, state, settings).await,
                Gate::Wait(deployment) => {
                    // Not holding the lock while waiting: the next round reads the app
                    // again, so whatever changed meanwhile is planned against.
                    drop(lock);
                    let timeout = options.deploy_wait_timeout;
                    requests += self
                        .await_deployment(app_id, &deployment, started, timeout)
                        .await?;
                }
            }
        }
    }

    /// Plans against a spec the caller already read (a GET, or a page of the app list);
    /// `requests` is what reading it cost this app. Pure: no I/O.
    pub(super) fn plan_read_spec(
        &self,
        app_id: &str,
        goal: Goal,
        options: SyncOptions,
        spec: Value,
        state: &[StateRecord],
        requests: u32,
    ) -> Result<PlannedSync, SyncError> {
        let plan = self.make_plan(&goal, spec, &options, state)?;
        Ok(PlannedSync {
            app_id: app_id.to_owned(),
            plan,
            goal,
            options,
            state_digest: state_digest(state),
            requests,
        })
    }

    /// The write half; the caller holds the app's lock.
    pub(super) async fn apply_locked(
        &self,
        planned: PlannedSync,
        previous_state: Vec<StateRecord>,
        settings: &ApplySettings,
    ) -> Result<SyncOutcome, SyncError> {
        let PlannedSync {
            app_id,
            plan,
            mut requests,
            ..
        } = planned;
        let base_spec = plan.shared_base_spec();
        if !plan.has_changes() {
            // Nothing to send: no PUT, no deployment. Matching keys still get recorded.
            self.save_state(&app_id, state_after_apply(&plan, &app_id, &base_spec))
                .await?;
            return Ok(SyncOutcome {
                app_id,
                plan,
                deployment_id: None,
                requests,
                deployment_phase: None,
                rolled_back: false,
                superseded_deployment_id: None,
            });
        }
        // Past the gate, a deployment still in flight is one `proceed` supersedes.
        let superseded_deployment_id = plan.in_flight().map(|d| d.id.clone());
        let put = self.put_spec(&app_id, plan.new_spec(), &base_spec).await?;
        requests += put.calls;
        let deployment_id = put.deployment_id;
        let new_spec = take_spec(put.app, &app_id)?;
        self.save_state(&app_id, state_after_apply(&plan, &app_id, &new_spec))
            .await?;
        self.record_deployment(&app_id, deployment_id.as_deref())
            .await?;

        let mut outcome = SyncOutcome {
            app_id,
            plan,
            deployment_id,
            requests,
            deployment_phase: None,
            rolled_back: false,
            superseded_deployment_id,
        };
        if settings.wait {
            if let Some(dep) = outcome.deployment_id.clone() {
                let (phase, calls) = self.follow(&outcome.app_id, &dep, settings).await?;
                outcome.requests += calls;
                if phase == "ERROR" && settings.rollback_on_failure {
                    let restored = restore_envs(&new_spec, &base_spec, outcome.plan.targets());
                    let put = self.put_spec(&outcome.app_id, &restored, &new_spec).await?;
                    outcome.requests += put.calls;
                    self.record_deployment(&outcome.app_id, put.deployment_id.as_deref())
                        .await?;
                    self.save_state(&outcome.app_id, previous_state).await?;
                    outcome.rolled_back = true;
                }
                outcome.deployment_phase = Some(phase);
            }
        }
        Ok(outcome)
    }

    /// PUTs `spec` (planned from `base`, the spec as read) and returns the app from the
    /// response, with the API calls made.
    ///
    /// Every PUT starts a deployment, so a PUT is never sent twice blindly. When its
    /// response is lost (a timeout, a reset after sending, a 5xx from a gateway, a
    /// truncated body) it may or may not have been applied, so the app is read back:
    /// still `base` means it was not applied and it is sent again after the usual
    /// backoff; holding what was sent (SECRET plaintexts now `EV[...]`) means it was
    /// applied, and the read app stands in for the lost response; anything else means
    /// someone else wrote meanwhile, and the original error is returned rather than
    /// overwriting their change (the next sync plans against it). With retries disabled
    /// the first failure is returned as it is.
    async fn put_spec(
        &self,
        app_id: &str,
        spec: &Value,
        base: &Value,
    ) -> Result<PutOutcome, SyncError> {
        // Serialized from the borrowed spec: `json!` would first copy the whole spec.
        #[derive(serde::Serialize)]
        struct UpdateBody<'s> {
            spec: &'s Value,
        }
        let body = Bytes::from(
            serde_json::to_vec(&UpdateBody { spec })
                .map_err(|e| SyncError::Internal(format!("spec does not serialize: {e}")))?,
        );
        let retry = self.client.inner.retry;
        let started = Instant::now();
        // Retries of the PUT count as one call; each read-back is one more.
        let mut calls = 1;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let sent = self
                .client
                .send_once(op("update"), &[("id", app_id)], &[], Some(body.clone()))
                .await;
            let error = match sent.and_then(|response| response.json::<Value>()) {
                Ok(Value::Object(mut m)) => {
                    let app = m.remove("app").unwrap_or(Value::Null);
                    let deployment_id = deployment_of(&app);
                    return Ok(PutOutcome {
                        app,
                        calls,
                        deployment_id,
                    });
                }
                Ok(_) => {
                    return Ok(PutOutcome {
                        app: Value::Null,
                        calls,
                        deployment_id: None,
                    })
                }
                // A body that does not decode may echo what was sent: scrub it like the
                // client scrubs error answers, before it is logged or returned.
                Err(error) => {
                    let mut scrubber = crate::client::Scrubber::new();
                    scrubber.add_secret_envs(spec);
                    error.scrubbed(&scrubber)
                }
            };
            // With retries disabled (`max_attempts` 1) the caller wants one request and
            // the failure as it came: no read-back either.
            if retry.max_attempts > 1 && may_have_been_applied(&error) {
                let app: Value = self
                    .client
                    .call(op("get"), &[("id", app_id)], &[], None)
                    .await?;
                calls += 1;
                let mut app = match app {
                    Value::Object(mut m) => m.remove("app").unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                match app.get("spec") {
                    Some(current) if current == base => {}
                    Some(current) if holds_sent(current, spec) => {
                        tracing::warn!(
                            app_id,
                            error = %error,
                            "the PUT's response was lost but the app holds what was sent"
                        );
                        // The deployment the PUT started may already be the active one.
                        let deployment_id = deployment_of(&app)
                            .or_else(|| app["active_deployment"]["id"].as_str().map(str::to_owned));
                        return Ok(PutOutcome {
                            app: app.take(),
                            calls,
                            deployment_id,
                        });
                    }
                    _ => return Err(error.into()),
                }
            }
            match decide(&retry, true, &error, attempts, started.elapsed()) {
                Decision::RetryAfter(delay) => tokio::time::sleep(delay).await,
                Decision::GiveUp => return Err(error.into()),
            }
        }
    }

    /// Polls the deployment until a final phase; returns it and the calls made.
    async fn follow(
        &self,
        app_id: &str,
        deployment_id: &str,
        settings: &ApplySettings,
    ) -> Result<(String, u32), SyncError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        let mut last = String::new();
        let mut calls = 0;
        loop {
            let resp: Value = self
                .client
                .call(
                    op("get_deployment"),
                    &[("app_id", app_id), ("deployment_id", deployment_id)],
                    &[],
                    None,
                )
                .await?;
            calls += 1;
            let phase = resp["deployment"]["phase"]
                .as_str()
                .unwrap_or("UNKNOWN")
                .to_owned();
            if phase != last {
                if let Some(progress) = &settings.progress {
                    progress(&phase);
                }
                last = phase.clone();
            }
            if FINAL_PHASES.contains(&phase.as_str()) {
                return Ok((phase, calls));
            }
            if started.elapsed() > settings.deploy_timeout {
                return Err(SyncError::DeployTimeout {
                    app_id: app_id.to_owned(),
                    deployment_id: deployment_id.to_owned(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 3 / 2).min(Duration::from_secs(5));
        }
    }
}

fn validate_goal(goal: &Goal, options: &SyncOptions) -> Result<(), SyncError> {
    match goal {
        Goal::Sync(desired) => validate_desired(desired, options)?,
        Goal::Remove => options.validate().map_err(PlanError::from)?,
    }
    Ok(())
}

pub(super) fn take_spec(app: Value, app_id: &str) -> Result<Value, SyncError> {
    let mut app = match app {
        Value::Object(m) => m,
        _ => {
            return Err(SyncError::MissingSpec {
                app_id: app_id.to_owned(),
            })
        }
    };
    // `GET /v2/apps/{id}` wraps the app in {"app": ...}; the PUT response is unwrapped above.
    if let Some(Value::Object(inner)) = app.remove("app") {
        app = inner;
    }
    match app.remove("spec") {
        Some(spec @ Value::Object(_)) => Ok(spec),
        _ => Err(SyncError::MissingSpec {
            app_id: app_id.to_owned(),
        }),
    }
}

/// What a PUT returned: the app (from the response, or read back when the response was
/// lost), the API calls it took and the deployment it started.
struct PutOutcome {
    app: Value,
    calls: u32,
    deployment_id: Option<String>,
}

/// Whether a failed PUT may still have been applied: the request was sent and no
/// answer saying otherwise came back.
fn may_have_been_applied(error: &ApiError) -> bool {
    match error {
        ApiError::Transport { kind, .. } => !matches!(kind, TransportKind::Connect),
        ApiError::Server(_) | ApiError::Decode { .. } => true,
        _ => false,
    }
}

/// Whether `current` (read back) is `sent` as App Platform stores it: equal, except that
/// a SECRET sent as plaintext may come back as its `EV[...]` ciphertext.
fn holds_sent(current: &Value, sent: &Value) -> bool {
    match (current, sent) {
        (Value::Object(c), Value::Object(s)) => {
            let secret = s.contains_key("key") && s.get("type") == Some(&json!("SECRET"));
            c.len() == s.len()
                && s.iter().all(|(k, sv)| match c.get(k) {
                    None => false,
                    Some(cv) if secret && k == "value" => {
                        cv == sv
                            || (sv.as_str().is_some_and(|v| !is_ev_string(v))
                                && cv.as_str().is_some_and(is_ev_string))
                    }
                    Some(cv) => holds_sent(cv, sv),
                })
        }
        (Value::Array(c), Value::Array(s)) => {
            c.len() == s.len() && c.iter().zip(s).all(|(a, b)| holds_sent(a, b))
        }
        _ => current == sent,
    }
}

fn deployment_of(app: &Value) -> Option<String> {
    ["pending_deployment", "in_progress_deployment"]
        .iter()
        .find_map(|k| app[*k]["id"].as_str())
        .map(str::to_owned)
}

/// `current` with the `envs` of each target put back as they were in `previous`: exactly
/// undoes a sync's change (SECRETs keep their original `EV[...]` strings).
fn restore_envs(current: &Value, previous: &Value, targets: &[String]) -> Value {
    let mut restored = current.clone();
    for target in targets {
        let (Some(dst), Some(src)) = (
            target_mut(&mut restored, target),
            target_ref(previous, target),
        ) else {
            continue;
        };
        match src.get("envs") {
            Some(envs) => {
                dst.insert("envs".to_owned(), envs.clone());
            }
            None => {
                dst.remove("envs");
            }
        }
    }
    restored
}

fn target_ref<'a>(spec: &'a Value, target: &str) -> Option<&'a serde_json::Map<String, Value>> {
    if target.is_empty() {
        return spec.as_object();
    }
    COMPONENT_KINDS.iter().find_map(|kind| {
        spec.get(*kind)?
            .as_array()?
            .iter()
            .find(|c| c["name"].as_str() == Some(target))?
            .as_object()
    })
}

fn target_mut<'a>(
    spec: &'a mut Value,
    target: &str,
) -> Option<&'a mut serde_json::Map<String, Value>> {
    if target.is_empty() {
        return spec.as_object_mut();
    }
    let kind = COMPONENT_KINDS.iter().find(|kind| {
        spec.get(**kind)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|c| c["name"].as_str() == Some(target)))
    })?;
    spec.get_mut(*kind)?
        .as_array_mut()?
        .iter_mut()
        .find(|c| c["name"].as_str() == Some(target))?
        .as_object_mut()
}

pub(super) async fn blocking<T, F>(f: F) -> Result<T, SyncError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Internal(format!("store task failed: {e}")))?
        .map_err(SyncError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_puts_back_only_target_envs() {
        let previous = json!({"name": "a", "envs": [{"key": "A", "value": "EV[1:x:y]"}],
            "services": [{"name": "web", "envs": [{"key": "W", "value": "1"}]}]});
        let current = json!({"name": "a", "envs": [{"key": "A", "value": "EV[1:new:z]"},
            {"key": "B", "value": "EV[1:b:b]"}], "extra": true,
            "services": [{"name": "web", "envs": [{"key": "W", "value": "2"}]}]});
        let restored = restore_envs(&current, &previous, &[String::new()]);
        assert_eq!(restored["envs"], previous["envs"]);
        assert_eq!(restored["services"], current["services"]);
        assert_eq!(restored["extra"], true);
        let restored = restore_envs(&current, &previous, &["web".to_owned()]);
        assert_eq!(
            restored["services"][0]["envs"],
            previous["services"][0]["envs"]
        );
        assert_eq!(restored["envs"], current["envs"]);
    }

    #[test]
    fn restore_removes_envs_the_target_did_not_have() {
        let previous = json!({"name": "a"});
        let current = json!({"name": "a", "envs": [{"key": "A", "value": "1"}]});
        assert_eq!(
            restore_envs(&current, &previous, &[String::new()]),
            previous
        );
    }

    #[test]
    fn spec_is_taken_from_wrapped_and_bare_apps() {
        let wrapped = json!({"app": {"id": "x", "spec": {"name": "a"}}});
        assert_eq!(take_spec(wrapped, "x").unwrap(), json!({"name": "a"}));
        let bare = json!({"id": "x", "spec": {"name": "b"}});
        assert_eq!(take_spec(bare, "x").unwrap(), json!({"name": "b"}));
        assert!(matches!(
            take_spec(json!({"app": {}}), "x"),
            Err(SyncError::MissingSpec { .. })
        ));
    }

    #[test]
    fn a_read_back_spec_holds_what_was_sent_modulo_secret_encryption() {
        let sent = json!({"name": "a", "envs": [
            {"key": "S", "value": "plain", "type": "SECRET"},
            {"key": "G", "value": "g", "type": "GENERAL"},
            {"key": "KEPT", "value": "EV[1:old:x]", "type": "SECRET"}]});
        let stored = json!({"name": "a", "envs": [
            {"key": "S", "value": "EV[1:new:y]", "type": "SECRET"},
            {"key": "G", "value": "g", "type": "GENERAL"},
            {"key": "KEPT", "value": "EV[1:old:x]", "type": "SECRET"}]});
        assert!(holds_sent(&stored, &sent));
        assert!(holds_sent(&sent, &sent));
        // A GENERAL value is never encrypted: a different one is not what was sent.
        let mut other = stored.clone();
        other["envs"][1]["value"] = json!("EV[1:z:z]");
        assert!(!holds_sent(&other, &sent));
        // An issued EV[...] sent back must come back unchanged.
        let mut other = stored.clone();
        other["envs"][2]["value"] = json!("EV[1:rotated:q]");
        assert!(!holds_sent(&other, &sent));
        // An entry more or less, or another field, is someone else's write.
        let mut other = stored.clone();
        other["envs"].as_array_mut().unwrap().pop();
        assert!(!holds_sent(&other, &sent));
        let mut other = stored.clone();
        other["region"] = json!("ams");
        assert!(!holds_sent(&other, &sent));
    }

    #[test]
    fn only_a_sent_request_without_a_definite_answer_may_have_been_applied() {
        let transport = |kind| ApiError::Transport {
            kind,
            message: String::new(),
        };
        assert!(may_have_been_applied(&transport(TransportKind::Timeout)));
        assert!(may_have_been_applied(&transport(TransportKind::Reset)));
        assert!(may_have_been_applied(&transport(TransportKind::Other)));
        assert!(!may_have_been_applied(&transport(TransportKind::Connect)));
        let api = |status| crate::client::ApiError {
            status,
            id: None,
            message: String::new(),
            request_id: None,
        };
        assert!(may_have_been_applied(&ApiError::from_status(
            api(504),
            None
        )));
        assert!(!may_have_been_applied(&ApiError::from_status(
            api(429),
            None
        )));
        assert!(!may_have_been_applied(&ApiError::from_status(
            api(422),
            None
        )));
    }

    #[test]
    fn deployment_id_prefers_pending() {
        let app = json!({"pending_deployment": {"id": "p"}, "in_progress_deployment": {"id": "i"}});
        assert_eq!(deployment_of(&app).as_deref(), Some("p"));
        assert_eq!(deployment_of(&json!({})), None);
    }
}
