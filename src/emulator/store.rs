//! The emulator's apps, deployments, alerts and job invocations, and the state changes
//! the API makes to them. Specs are stored exactly as accepted (already validated and
//! with SECRET values sealed), shared by `Arc` with the deployments that snapshot them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde_json::value::RawValue;
use serde_json::Value;

use super::entropy::Entropy;
use super::errors::ApiError;
use super::spec_walk::component_names;
use super::timeline::{app_phases, Clock, Phase, PhaseState};

/// A moment on both clocks: monotonic for phase arithmetic, wall for timestamps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moment {
    pub(crate) mono: Instant,
    pub(crate) wall: DateTime<Utc>,
}

impl Moment {
    pub(crate) fn now() -> Moment {
        Moment {
            mono: Instant::now(),
            wall: Utc::now(),
        }
    }

    /// The same moment shifted into the past (for apps seeded as already live).
    pub(crate) fn earlier(self, by: Duration) -> Moment {
        match (
            self.mono.checked_sub(by),
            chrono::Duration::from_std(by).ok(),
        ) {
            (Some(mono), Some(delta)) => Moment {
                mono,
                wall: self.wall - delta,
            },
            _ => self,
        }
    }
}

/// Why a deployment exists, as App Platform's `deployment_types` filter names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeploymentType {
    Manual,
    ManualRollback,
    /// Started by a push to the app's repository (the admin surface's way to start a
    /// deployment "someone else" made).
    DeployOnPush,
}

impl DeploymentType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DeploymentType::Manual => "MANUAL",
            DeploymentType::ManualRollback => "MANUAL_ROLLBACK",
            DeploymentType::DeployOnPush => "DEPLOY_ON_PUSH",
        }
    }
}

/// A spec as stored: never modified once stored (a new spec is a new `StoredSpec`), so
/// its JSON is rendered once, on first use, and reused by every response that shows it
/// (an app view shows it once for the app and once per deployment it includes).
pub(crate) struct StoredSpec {
    value: Value,
    json: OnceLock<Box<RawValue>>,
}

impl StoredSpec {
    pub(crate) fn new(value: Value) -> Self {
        StoredSpec {
            value,
            json: OnceLock::new(),
        }
    }

    /// The spec's compact JSON, byte for byte what serializing the value writes.
    pub(crate) fn json(&self) -> &RawValue {
        self.json.get_or_init(|| {
            serde_json::value::to_raw_value(&self.value).expect("a JSON value serializes")
        })
    }
}

impl std::fmt::Debug for StoredSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

impl std::ops::Deref for StoredSpec {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.value
    }
}

#[derive(Debug)]
pub(crate) struct JobInvocationRecord {
    pub(crate) id: String,
    pub(crate) job_name: String,
    /// Offset from the deployment's creation at which it was canceled.
    pub(crate) canceled: Option<Duration>,
}

#[derive(Debug)]
pub(crate) struct DeploymentRecord {
    pub(crate) id: String,
    pub(crate) event_id: String,
    pub(crate) spec: Arc<StoredSpec>,
    pub(crate) cause: String,
    pub(crate) deployment_type: DeploymentType,
    pub(crate) clock: Clock,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) cloned_from: Option<String>,
    pub(crate) commit_hash: String,
    pub(crate) job_invocations: Vec<JobInvocationRecord>,
    /// The `progress` tree, rendered once the deployment reached a final phase (it
    /// cannot change after that; list responses render it for every app).
    pub(crate) final_progress: OnceLock<Box<RawValue>>,
}

#[derive(Debug)]
pub(crate) struct AlertRecord {
    pub(crate) id: String,
    pub(crate) component_name: Option<String>,
    pub(crate) spec: Value,
    pub(crate) emails: Vec<String>,
    pub(crate) slack_webhooks: Vec<Value>,
}

/// An app pinned to a rollback deployment, waiting for commit or revert.
#[derive(Debug)]
pub(crate) struct RollbackState {
    pub(crate) deployment_id: String,
    pub(crate) previous_spec: Arc<StoredSpec>,
}

#[derive(Debug)]
pub(crate) struct AppRecord {
    pub(crate) id: String,
    pub(crate) spec: Arc<StoredSpec>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) project_id: String,
    pub(crate) live_domain: String,
    /// Oldest first.
    pub(crate) deployments: Vec<DeploymentRecord>,
    pub(crate) alerts: Vec<AlertRecord>,
    pub(crate) domain_ids: HashMap<String, String>,
    pub(crate) rollback: Option<RollbackState>,
}

fn spec_name(spec: &Value) -> &str {
    spec.get("name").and_then(Value::as_str).unwrap_or_default()
}

impl AppRecord {
    pub(crate) fn name(&self) -> &str {
        spec_name(&self.spec)
    }

    pub(crate) fn phases(&self, now: Instant, phase_duration: Duration) -> Vec<PhaseState> {
        let clocks: Vec<Clock> = self.deployments.iter().map(|d| d.clock).collect();
        app_phases(&clocks, now, phase_duration)
    }

    pub(crate) fn deployment_index(&self, id: &str) -> Option<usize> {
        self.deployments.iter().position(|d| d.id == id)
    }

    /// Alerts follow the spec; an alert keeps its id and destinations while its
    /// component and rule stay in the spec.
    fn sync_alerts(&mut self, entropy: &Entropy) {
        let mut wanted: Vec<(Option<String>, Value)> = Vec::new();
        if let Some(Value::Array(alerts)) = self.spec.get("alerts") {
            wanted.extend(alerts.iter().map(|a| (None, a.clone())));
        }
        for kind in ["services", "workers", "jobs", "functions"] {
            if let Some(Value::Array(components)) = self.spec.get(kind) {
                for component in components {
                    let name = component.get("name").and_then(Value::as_str);
                    if let (Some(name), Some(Value::Array(alerts))) =
                        (name, component.get("alerts"))
                    {
                        wanted.extend(alerts.iter().map(|a| (Some(name.to_string()), a.clone())));
                    }
                }
            }
        }
        let mut old = std::mem::take(&mut self.alerts);
        for (component_name, spec) in wanted {
            let rule = spec.get("rule").cloned();
            let reused = old
                .iter()
                .position(|a| {
                    a.component_name == component_name && a.spec.get("rule").cloned() == rule
                })
                .map(|i| old.swap_remove(i));
            self.alerts.push(match reused {
                Some(mut alert) => {
                    alert.spec = spec;
                    alert
                }
                None => AlertRecord {
                    id: entropy.uuid(),
                    component_name,
                    spec,
                    emails: Vec::new(),
                    slack_webhooks: Vec::new(),
                },
            });
        }
    }

    fn sync_domain_ids(&mut self, entropy: &Entropy) {
        let domains: Vec<String> = match self.spec.get("domains") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|d| d.get("domain").and_then(Value::as_str).map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        self.domain_ids.retain(|name, _| domains.contains(name));
        for domain in domains {
            self.domain_ids
                .entry(domain)
                .or_insert_with(|| entropy.uuid());
        }
    }
}

/// Everything the emulator stores, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) apps: IndexMap<String, AppRecord>,
    names: HashMap<String, String>,
    fail_next: HashSet<String>,
    /// The phase clock, to tell which deployments a new one supersedes.
    phase_duration: Duration,
}

/// Context for creating deployments.
pub(crate) struct NewDeployment<'a> {
    pub(crate) cause: &'a str,
    pub(crate) deployment_type: DeploymentType,
    pub(crate) spec: Option<Arc<StoredSpec>>,
    pub(crate) cloned_from: Option<String>,
}

impl Store {
    pub(crate) fn new(phase_duration: Duration) -> Store {
        Store {
            phase_duration,
            ..Store::default()
        }
    }

    pub(crate) fn clear(&mut self) {
        self.apps.clear();
        self.names.clear();
        self.fail_next.clear();
    }

    pub(crate) fn app(&self, id: &str) -> Result<&AppRecord, ApiError> {
        self.apps.get(id).ok_or_else(ApiError::not_found)
    }

    pub(crate) fn app_mut(&mut self, id: &str) -> Result<&mut AppRecord, ApiError> {
        self.apps.get_mut(id).ok_or_else(ApiError::not_found)
    }

    pub(crate) fn app_by_name(&self, name: &str) -> Option<&AppRecord> {
        self.names.get(name).and_then(|id| self.apps.get(id))
    }

    /// True when no app other than `except` uses the name.
    pub(crate) fn name_available(&self, name: &str, except: Option<&str>) -> bool {
        match self.names.get(name) {
            None => true,
            Some(owner) => Some(owner.as_str()) == except,
        }
    }

    fn check_name(&self, spec: &Value, except: Option<&str>) -> Result<(), ApiError> {
        let name = spec_name(spec);
        if self.name_available(name, except) {
            Ok(())
        } else {
            Err(ApiError::conflict(format!(
                "an app with the name \"{name}\" already exists"
            )))
        }
    }

    pub(crate) fn mark_fail_next(&mut self, app_id: &str) {
        self.fail_next.insert(app_id.to_string());
    }

    /// Creates an app and its first deployment. `at` may lie in the past so the app
    /// is already live (fleet seeding).
    pub(crate) fn create_app(
        &mut self,
        spec: Value,
        project_id: String,
        entropy: &Entropy,
        at: Moment,
    ) -> Result<String, ApiError> {
        self.check_name(&spec, None)?;
        let id = entropy.uuid();
        let name = spec_name(&spec).to_string();
        let mut app = AppRecord {
            id: id.clone(),
            live_domain: format!("{name}-{}.ondigitalocean.app", entropy.alnum(5)),
            spec: Arc::new(StoredSpec::new(spec)),
            created_at: at.wall,
            updated_at: at.wall,
            project_id,
            deployments: Vec::new(),
            alerts: Vec::new(),
            domain_ids: HashMap::new(),
            rollback: None,
        };
        app.sync_alerts(entropy);
        app.sync_domain_ids(entropy);
        self.names.insert(name, id.clone());
        self.apps.insert(id.clone(), app);
        self.add_deployment(
            &id,
            NewDeployment {
                cause: "initial deployment",
                deployment_type: DeploymentType::Manual,
                spec: None,
                cloned_from: None,
            },
            entropy,
            at,
        )?;
        Ok(id)
    }

    /// Replaces the spec and starts a deployment: every successful update deploys,
    /// even when the spec is unchanged.
    pub(crate) fn update_app(
        &mut self,
        id: &str,
        spec: Value,
        entropy: &Entropy,
        at: Moment,
    ) -> Result<(), ApiError> {
        self.app(id).and_then(ensure_not_pinned)?;
        self.check_name(&spec, Some(id))?;
        let new_name = spec_name(&spec).to_string();
        let app = self.app_mut(id)?;
        let old_name = app.name().to_string();
        app.spec = Arc::new(StoredSpec::new(spec));
        app.updated_at = at.wall;
        app.sync_alerts(entropy);
        app.sync_domain_ids(entropy);
        if old_name != new_name {
            self.names.remove(&old_name);
            self.names.insert(new_name, id.to_string());
        }
        self.add_deployment(
            id,
            NewDeployment {
                cause: "app spec updated",
                deployment_type: DeploymentType::Manual,
                spec: None,
                cloned_from: None,
            },
            entropy,
            at,
        )?;
        Ok(())
    }

    pub(crate) fn delete_app(&mut self, id: &str) -> Result<(), ApiError> {
        let app = self.apps.shift_remove(id).ok_or_else(ApiError::not_found)?;
        self.names.remove(app.name());
        self.fail_next.remove(id);
        Ok(())
    }

    /// Appends a deployment of the app's current spec (or `new.spec`); returns its id.
    /// Deployments still in flight are superseded by it at that moment.
    pub(crate) fn add_deployment(
        &mut self,
        app_id: &str,
        new: NewDeployment<'_>,
        entropy: &Entropy,
        at: Moment,
    ) -> Result<String, ApiError> {
        let fails = self.fail_next.remove(app_id);
        let phase_duration = self.phase_duration;
        let app = self.app_mut(app_id)?;
        let phases = app.phases(at.mono, phase_duration);
        for (deployment, state) in app.deployments.iter_mut().zip(phases) {
            if !state.phase.is_final() {
                deployment.clock.superseded =
                    Some(at.mono.saturating_duration_since(deployment.clock.created));
            }
        }
        let spec = new.spec.unwrap_or_else(|| Arc::clone(&app.spec));
        let job_invocations = component_names(&spec, "jobs")
            .into_iter()
            .map(|job| JobInvocationRecord {
                id: entropy.uuid(),
                job_name: job.to_string(),
                canceled: None,
            })
            .collect();
        let id = entropy.uuid();
        app.deployments.push(DeploymentRecord {
            id: id.clone(),
            event_id: entropy.uuid(),
            spec,
            cause: new.cause.to_string(),
            deployment_type: new.deployment_type,
            clock: Clock::new(at.mono, fails),
            created_at: at.wall,
            cloned_from: new.cloned_from,
            commit_hash: entropy.hex(40),
            job_invocations,
            final_progress: OnceLock::new(),
        });
        Ok(id)
    }

    /// Cancels a deployment that has not reached a final phase.
    pub(crate) fn cancel_deployment(
        &mut self,
        app_id: &str,
        deployment_id: &str,
        now: Instant,
        phase_duration: Duration,
    ) -> Result<(), ApiError> {
        let app = self.app_mut(app_id)?;
        let index = app
            .deployment_index(deployment_id)
            .ok_or_else(ApiError::not_found)?;
        let phase = app.phases(now, phase_duration)[index].phase;
        if phase.is_final() {
            return Err(ApiError::invalid(format!(
                "deployment {deployment_id} cannot be canceled: it is already {}",
                phase.as_str()
            )));
        }
        let deployment = &mut app.deployments[index];
        deployment.clock.canceled = Some(now.saturating_duration_since(deployment.clock.created));
        Ok(())
    }

    /// Ends a deployment in flight now, as its clock would have (ACTIVE, or ERROR when it
    /// was marked to fail): deployments "someone else" started finish when a test says.
    pub(crate) fn finish_deployment(
        &mut self,
        app_id: &str,
        deployment_id: &str,
        now: Instant,
    ) -> Result<(), ApiError> {
        let phase_duration = self.phase_duration;
        let app = self.app_mut(app_id)?;
        let index = app
            .deployment_index(deployment_id)
            .ok_or_else(ApiError::not_found)?;
        let phase = app.phases(now, phase_duration)[index].phase;
        if phase.is_final() {
            return Err(ApiError::invalid(format!(
                "deployment {deployment_id} has already ended: it is {}",
                phase.as_str()
            )));
        }
        let deployment = &mut app.deployments[index];
        deployment.clock.finished = Some(now.saturating_duration_since(deployment.clock.created));
        Ok(())
    }

    /// Cancels a job invocation that has not finished.
    pub(crate) fn cancel_job_invocation(
        &mut self,
        app_id: &str,
        invocation_id: &str,
        now: Instant,
        phase_duration: Duration,
    ) -> Result<(), ApiError> {
        let app = self.app_mut(app_id)?;
        let phases = app.phases(now, phase_duration);
        let (d_index, j_index) = app
            .deployments
            .iter()
            .enumerate()
            .find_map(|(d, dep)| {
                dep.job_invocations
                    .iter()
                    .position(|j| j.id == invocation_id)
                    .map(|j| (d, j))
            })
            .ok_or_else(ApiError::not_found)?;
        let deployment = &mut app.deployments[d_index];
        let invocation = &mut deployment.job_invocations[j_index];
        if invocation.canceled.is_some() || phases[d_index].phase.is_final() {
            return Err(ApiError::invalid(format!(
                "job invocation {invocation_id} has already finished"
            )));
        }
        invocation.canceled = Some(now.saturating_duration_since(deployment.clock.created));
        Ok(())
    }

    /// Pins the app to a new deployment of an earlier deployment's spec.
    pub(crate) fn rollback(
        &mut self,
        app_id: &str,
        target_id: &str,
        skip_pin: bool,
        entropy: &Entropy,
        at: Moment,
    ) -> Result<String, ApiError> {
        let app = self.app_mut(app_id)?;
        let index = app
            .deployment_index(target_id)
            .ok_or_else(ApiError::not_found)?;
        let target_spec = Arc::clone(&app.deployments[index].spec);
        let previous_spec = std::mem::replace(&mut app.spec, Arc::clone(&target_spec));
        app.updated_at = at.wall;
        app.sync_alerts(entropy);
        app.sync_domain_ids(entropy);
        let old_name = spec_name(&previous_spec).to_string();
        let new_name = spec_name(&target_spec).to_string();
        let new_id = self.add_deployment(
            app_id,
            NewDeployment {
                cause: "manual rollback",
                deployment_type: DeploymentType::ManualRollback,
                spec: Some(target_spec),
                cloned_from: Some(target_id.to_string()),
            },
            entropy,
            at,
        )?;
        if !skip_pin {
            self.app_mut(app_id)?.rollback = Some(RollbackState {
                deployment_id: new_id.clone(),
                previous_spec,
            });
        }
        if old_name != new_name && self.name_available(&new_name, Some(app_id)) {
            self.names.remove(&old_name);
            self.names.insert(new_name, app_id.to_string());
        }
        Ok(new_id)
    }

    pub(crate) fn commit_rollback(&mut self, app_id: &str) -> Result<(), ApiError> {
        let app = self.app_mut(app_id)?;
        app.rollback.take().map(|_| ()).ok_or_else(not_pinned)
    }

    /// Returns to the spec from before the rollback, with a new deployment.
    pub(crate) fn revert_rollback(
        &mut self,
        app_id: &str,
        entropy: &Entropy,
        at: Moment,
    ) -> Result<String, ApiError> {
        let app = self.app_mut(app_id)?;
        let state = app.rollback.take().ok_or_else(not_pinned)?;
        let rolled_back_name = app.name().to_string();
        app.spec = Arc::clone(&state.previous_spec);
        app.updated_at = at.wall;
        app.sync_alerts(entropy);
        app.sync_domain_ids(entropy);
        let restored_name = app.name().to_string();
        if rolled_back_name != restored_name && self.name_available(&restored_name, Some(app_id)) {
            self.names.remove(&rolled_back_name);
            self.names.insert(restored_name, app_id.to_string());
        }
        self.add_deployment(
            app_id,
            NewDeployment {
                cause: "rollback reverted",
                deployment_type: DeploymentType::ManualRollback,
                spec: None,
                cloned_from: None,
            },
            entropy,
            at,
        )
    }
}

fn not_pinned() -> ApiError {
    ApiError::invalid("app is not pinned to a rollback deployment")
}

/// While a rollback is pinned, new deployments are refused until commit or revert.
pub(crate) fn ensure_not_pinned(app: &AppRecord) -> Result<(), ApiError> {
    match &app.rollback {
        Some(state) => Err(ApiError::invalid(format!(
            "app is pinned to rollback deployment {}; commit or revert the rollback first",
            state.deployment_id
        ))),
        None => Ok(()),
    }
}

/// True when a deployment in this state succeeded (ACTIVE, or SUPERSEDED after being
/// ACTIVE), so the app can roll back to it.
pub(crate) fn is_rollback_candidate(state: PhaseState) -> bool {
    matches!(state.phase, Phase::Active | Phase::Superseded)
        && state.progress_phase == Phase::Active
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store_with_app() -> (Store, Entropy, String) {
        let entropy = Entropy::new(Some(1));
        let mut store = Store::default();
        let id = store
            .create_app(
                json!({"name": "app", "jobs": [{"name": "migrate"}], "alerts": [{"rule": "DEPLOYMENT_FAILED"}]}),
                "p".into(),
                &entropy,
                Moment::now(),
            )
            .unwrap();
        (store, entropy, id)
    }

    #[test]
    fn create_update_delete_keep_name_index() {
        let (mut store, entropy, id) = store_with_app();
        assert_eq!(store.app(&id).unwrap().deployments.len(), 1);
        assert_eq!(
            store.app(&id).unwrap().deployments[0].job_invocations.len(),
            1
        );
        let err = store
            .create_app(json!({"name": "app"}), "p".into(), &entropy, Moment::now())
            .unwrap_err();
        assert_eq!(err.status.as_u16(), 409);
        store
            .update_app(&id, json!({"name": "renamed"}), &entropy, Moment::now())
            .unwrap();
        assert_eq!(store.app(&id).unwrap().deployments.len(), 2);
        assert!(store.app_by_name("app").is_none());
        assert_eq!(store.app_by_name("renamed").unwrap().id, id);
        assert!(store.app(&id).unwrap().alerts.is_empty());
        store.delete_app(&id).unwrap();
        assert!(store.app_by_name("renamed").is_none());
        assert_eq!(store.delete_app(&id).unwrap_err().status.as_u16(), 404);
    }

    #[test]
    fn alert_ids_survive_updates() {
        let (mut store, entropy, id) = store_with_app();
        let alert_id = store.app(&id).unwrap().alerts[0].id.clone();
        store
            .update_app(
                &id,
                json!({"name": "app", "alerts": [{"rule": "DEPLOYMENT_FAILED"}, {"rule": "DOMAIN_FAILED"}]}),
                &entropy,
                Moment::now(),
            )
            .unwrap();
        let alerts = &store.app(&id).unwrap().alerts;
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].id, alert_id);
    }

    #[test]
    fn fail_next_marks_only_the_next_deployment() {
        let (mut store, entropy, id) = store_with_app();
        store.mark_fail_next(&id);
        store
            .update_app(&id, json!({"name": "app"}), &entropy, Moment::now())
            .unwrap();
        store
            .update_app(&id, json!({"name": "app"}), &entropy, Moment::now())
            .unwrap();
        let fails: Vec<bool> = store
            .app(&id)
            .unwrap()
            .deployments
            .iter()
            .map(|d| d.clock.fails)
            .collect();
        assert_eq!(fails, vec![false, true, false]);
    }

    #[test]
    fn rollback_pins_until_commit_or_revert() {
        let (mut store, entropy, id) = store_with_app();
        let first = store.app(&id).unwrap().deployments[0].id.clone();
        store
            .update_app(
                &id,
                json!({"name": "app", "region": "ams"}),
                &entropy,
                Moment::now(),
            )
            .unwrap();
        store
            .rollback(&id, &first, false, &entropy, Moment::now())
            .unwrap();
        assert!(store.app(&id).unwrap().spec.get("region").is_none());
        let err = store
            .update_app(&id, json!({"name": "app"}), &entropy, Moment::now())
            .unwrap_err();
        assert!(err.message.contains("pinned"));
        store.revert_rollback(&id, &entropy, Moment::now()).unwrap();
        assert_eq!(store.app(&id).unwrap().spec["region"], "ams");
        assert!(store.commit_rollback(&id).is_err());
        assert_eq!(store.app(&id).unwrap().deployments.len(), 4);
    }
}
