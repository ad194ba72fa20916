//! A deployment already in flight when a sync is about to PUT (`if_deploying`).
//!
//! Every `PUT /v2/apps/{id}` starts a deployment, and one sent while another deployment is
//! in flight (`in_progress_deployment` / `pending_deployment` on the app, e.g. started by
//! a git push) supersedes it. A plan records the deployment it saw; before a PUT the engine
//! waits for it to end (then reads the app again), supersedes it, or refuses. A plan
//! without changes sends nothing, so it never waits or fails. A deployment that this
//! tool's own latest PUT of the app started (recorded in the state store) is superseded
//! without waiting whatever the option: the new PUT carries every change it carried, and
//! back-to-back syncs (`watch`, several processes) would otherwise each wait a full deploy.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::apply::{op, Engine, SyncError, FINAL_PHASES};
use super::options::{IfDeploying, SyncOptions};
use super::plan::Plan;

/// First pause between two reads of an in-flight deployment; it grows to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(200);
const MAX_POLL: Duration = Duration::from_secs(5);

/// A deployment of the app that had not reached a final phase when the app was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlightDeployment {
    pub id: String,
    /// Its phase then (`PENDING_BUILD`, `BUILDING`, `PENDING_DEPLOY`, `DEPLOYING`, ...).
    pub phase: String,
    /// Why it was started (e.g. "commit 9a4df0b pushed to github/..."), when the API says.
    pub cause: Option<String>,
    /// Started by this tool's latest PUT of the app (per the state store).
    pub started_by_sync: bool,
}

impl InFlightDeployment {
    /// The deployment in flight on an app object (bare or wrapped in `{"app": ...}`):
    /// `in_progress_deployment`, else `pending_deployment`, unless its phase is final.
    pub fn of_app(app: &Value) -> Option<Self> {
        let app = app.get("app").unwrap_or(app);
        ["in_progress_deployment", "pending_deployment"]
            .iter()
            .find_map(|field| {
                let d = app.get(*field)?;
                let id = d.get("id")?.as_str().filter(|id| !id.is_empty())?;
                let phase = d.get("phase").and_then(Value::as_str).unwrap_or("UNKNOWN");
                if FINAL_PHASES.contains(&phase) {
                    return None;
                }
                Some(Self {
                    id: id.to_owned(),
                    phase: phase.to_owned(),
                    cause: d.get("cause").and_then(Value::as_str).map(str::to_owned),
                    started_by_sync: false,
                })
            })
    }

    /// One line for a plan: the deployment and what applying will do about it.
    pub fn describe(&self, has_changes: bool, policy: IfDeploying) -> String {
        let consequence = if !has_changes {
            "nothing to apply, so nothing waits for it"
        } else if self.started_by_sync {
            "a previous sync of this app started it; applying supersedes it with a deployment carrying the same changes and more"
        } else {
            match policy {
                IfDeploying::Wait => {
                    "applying waits until it ends, then reads the app again (if_deploying=wait)"
                }
                IfDeploying::Proceed => "applying supersedes it (if_deploying=proceed)",
                IfDeploying::Fail => "applying refuses to deploy over it (if_deploying=fail)",
            }
        };
        format!(
            "deployment {} is in flight ({}): {consequence}",
            self.id, self.phase
        )
    }
}

/// The message of [`SyncError::DeploymentInProgress`].
pub(crate) fn in_progress_message(
    app_id: &str,
    deployment_id: &str,
    phase: &str,
    waited: Option<Duration>,
) -> String {
    match waited {
        None => format!(
            "app {app_id} has deployment {deployment_id} in flight ({phase}); nothing was changed (if_deploying=fail)"
        ),
        Some(w) => format!(
            "deployment {deployment_id} of app {app_id} was still in flight ({phase}) after waiting {:.1}s (deploy_wait_timeout); nothing was changed",
            w.as_secs_f64()
        ),
    }
}

/// What to do with a plan before sending it.
#[derive(Debug)]
pub(super) enum Gate {
    /// Send it (nothing in flight, nothing to send, or `proceed`).
    Go,
    /// Wait for this deployment to end, then read the app again.
    Wait(InFlightDeployment),
}

pub(super) fn gate(app_id: &str, plan: &Plan, options: &SyncOptions) -> Result<Gate, SyncError> {
    let Some(d) = plan.in_flight() else {
        return Ok(Gate::Go);
    };
    if !plan.has_changes() || d.started_by_sync {
        return Ok(Gate::Go);
    }
    match options.if_deploying {
        IfDeploying::Proceed => Ok(Gate::Go),
        IfDeploying::Wait => Ok(Gate::Wait(d.clone())),
        IfDeploying::Fail => Err(SyncError::DeploymentInProgress {
            app_id: app_id.to_owned(),
            deployment_id: d.id.clone(),
            phase: d.phase.clone(),
            waited: None,
        }),
    }
}

impl Engine {
    /// Records in `plan` the deployment in flight when the app was read, noting whether
    /// this tool's latest PUT of the app started it (one store read, only when one is).
    pub(super) async fn attach_in_flight(
        &self,
        app_id: &str,
        plan: &mut Plan,
        in_flight: Option<InFlightDeployment>,
    ) -> Result<(), SyncError> {
        let in_flight = match in_flight {
            Some(mut d) => {
                let store = self.store().clone();
                let id = app_id.to_owned();
                let own = super::apply::blocking(move || store.last_deployment(&id)).await?;
                d.started_by_sync = own.as_deref() == Some(d.id.as_str());
                Some(d)
            }
            None => None,
        };
        plan.set_in_flight(in_flight);
        Ok(())
    }

    /// Reads the deployment until it reaches a final phase; gives up with
    /// `DeploymentInProgress` once `timeout` has passed since `started` (the whole wait
    /// of one sync, however many deployments it waits for). Returns the calls made.
    pub(super) async fn await_deployment(
        &self,
        app_id: &str,
        deployment: &InFlightDeployment,
        started: Instant,
        timeout: Duration,
    ) -> Result<u32, SyncError> {
        let mut phase = deployment.phase.clone();
        let mut delay = FIRST_POLL;
        let mut calls = 0;
        loop {
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                return Err(SyncError::DeploymentInProgress {
                    app_id: app_id.to_owned(),
                    deployment_id: deployment.id.clone(),
                    phase,
                    waited: Some(elapsed),
                });
            }
            tokio::time::sleep(delay.min(timeout - elapsed)).await;
            delay = (delay * 3 / 2).min(MAX_POLL);
            let resp: Value = self
                .client()
                .call(
                    op("get_deployment"),
                    &[("app_id", app_id), ("deployment_id", &deployment.id)],
                    &[],
                    None,
                )
                .await?;
            calls += 1;
            phase = resp["deployment"]["phase"]
                .as_str()
                .unwrap_or("UNKNOWN")
                .to_owned();
            if FINAL_PHASES.contains(&phase.as_str()) {
                tracing::info!(app_id, deployment_id = %deployment.id, %phase, "the in-flight deployment ended");
                return Ok(calls);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn in_flight_prefers_in_progress_and_skips_final_phases() {
        let app = json!({"app": {
            "pending_deployment": {"id": "p", "phase": "PENDING_BUILD"},
            "in_progress_deployment": {"id": "i", "phase": "BUILDING", "cause": "git push"}}});
        let d = InFlightDeployment::of_app(&app).unwrap();
        assert_eq!((d.id.as_str(), d.phase.as_str()), ("i", "BUILDING"));
        assert_eq!(d.cause.as_deref(), Some("git push"));
        let pending = json!({"pending_deployment": {"id": "p", "phase": "PENDING_BUILD"}});
        assert_eq!(InFlightDeployment::of_app(&pending).unwrap().id, "p");
        // A PUT response shows the deployment it started even once it is ACTIVE.
        let done = json!({"pending_deployment": {"id": "p", "phase": "ACTIVE"}});
        assert_eq!(InFlightDeployment::of_app(&done), None);
        assert_eq!(InFlightDeployment::of_app(&json!({"id": "x"})), None);
    }

    #[test]
    fn description_says_what_applying_does() {
        let mut d = InFlightDeployment {
            id: "dep".into(),
            phase: "BUILDING".into(),
            cause: None,
            started_by_sync: false,
        };
        assert!(d
            .describe(false, IfDeploying::Fail)
            .contains("nothing waits"));
        assert!(d
            .describe(true, IfDeploying::Wait)
            .contains("if_deploying=wait"));
        assert!(d
            .describe(true, IfDeploying::Proceed)
            .contains("supersedes"));
        assert!(d
            .describe(true, IfDeploying::Fail)
            .starts_with("deployment dep is in flight (BUILDING)"));
        d.started_by_sync = true;
        assert!(d
            .describe(true, IfDeploying::Wait)
            .contains("a previous sync of this app started it"));
    }
}
