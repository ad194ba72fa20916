//! Running a sync: read the source, sync (or remove) through the engine, and record
//! the run. Each status change is written at once in its own short transaction, so
//! another process sees `pending` → `running` → `succeeded`/`failed` as it happens.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::validate::{now, opt_timestamp, timestamp};
use super::{ControlError, ControlPlane};
use crate::store::{RunKind, RunRecord, Store, SyncRecord};
use crate::sync::{
    Action, ApplySettings, Desired, DesiredValue, Engine, PlannedSync, Progress, SyncOutcome,
};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RunStatus::Pending),
            "running" => Some(RunStatus::Running),
            "succeeded" => Some(RunStatus::Succeeded),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded run. Key names only, never values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRun {
    /// The job id (UUID v4).
    pub id: String,
    pub sync_id: String,
    pub sync_name: String,
    pub kind: RunKind,
    pub status: RunStatus,
    /// One line: what changed, or why it failed.
    pub message: Option<String>,
    pub deployment_id: Option<String>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: Vec<String>,
    /// API calls made.
    pub requests: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl SyncRun {
    fn from_record(rec: RunRecord) -> Self {
        Self {
            status: RunStatus::parse(&rec.status).unwrap_or(RunStatus::Failed),
            id: rec.id,
            sync_id: rec.sync_id,
            sync_name: rec.sync_name,
            kind: rec.kind,
            message: rec.message,
            deployment_id: rec.deployment_id,
            created: rec.created,
            updated: rec.updated,
            deleted: rec.deleted,
            requests: rec.requests,
            started_at: rec.started_at,
            finished_at: rec.finished_at,
        }
    }

    fn to_record(&self) -> RunRecord {
        RunRecord {
            id: self.id.clone(),
            sync_id: self.sync_id.clone(),
            sync_name: self.sync_name.clone(),
            kind: self.kind,
            status: self.status.as_str().to_owned(),
            message: self.message.clone(),
            deployment_id: self.deployment_id.clone(),
            created: self.created.clone(),
            updated: self.updated.clone(),
            deleted: self.deleted.clone(),
            requests: self.requests,
            started_at: self.started_at,
            finished_at: self.finished_at,
        }
    }

    /// Wall time from start to finish, once finished.
    pub fn duration_ms(&self) -> Option<i64> {
        self.finished_at
            .map(|f| (f - self.started_at).num_milliseconds().max(0))
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "syncId": self.sync_id,
            "syncName": self.sync_name,
            "kind": self.kind.as_str(),
            "status": self.status.as_str(),
            "message": self.message,
            "deploymentId": self.deployment_id,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "requests": self.requests,
            "startedAt": timestamp(&self.started_at),
            "finishedAt": opt_timestamp(self.finished_at.as_ref()),
            "durationMs": self.duration_ms(),
        })
    }
}

/// How a run behaves.
#[derive(Clone)]
pub struct RunSettings {
    /// Follow the deployment the change started until it is final.
    pub wait: bool,
    /// How long to wait for another sync of the same app to finish.
    pub lock_timeout: Duration,
    /// With `wait`: a deployment ending in ERROR puts the previous env entries back.
    pub rollback_on_failure: bool,
    /// With `wait`: give up following the deployment after this long.
    pub deploy_timeout: Duration,
    /// Called with each new deployment phase while waiting.
    pub progress: Option<Progress>,
    /// The run repairs drift a check found (watch's repair mode): its changes are
    /// reported as `drift_repaired`.
    pub drift_repair: bool,
}

impl Default for RunSettings {
    fn default() -> Self {
        let apply = ApplySettings::default();
        Self {
            wait: false,
            lock_timeout: apply.lock_timeout,
            rollback_on_failure: false,
            deploy_timeout: apply.deploy_timeout,
            progress: None,
            drift_repair: false,
        }
    }
}

impl std::fmt::Debug for RunSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunSettings")
            .field("wait", &self.wait)
            .field("lock_timeout", &self.lock_timeout)
            .field("rollback_on_failure", &self.rollback_on_failure)
            .field("deploy_timeout", &self.deploy_timeout)
            .finish_non_exhaustive()
    }
}

impl RunSettings {
    fn apply_settings(&self) -> ApplySettings {
        ApplySettings {
            lock_timeout: self.lock_timeout,
            wait: self.wait,
            rollback_on_failure: self.rollback_on_failure,
            deploy_timeout: self.deploy_timeout,
            progress: self.progress.clone(),
            ..ApplySettings::default()
        }
    }
}

/// Marks a run failed if its future is dropped (cancelled) or panics before it
/// records an outcome, so no run stays `running` forever.
pub(super) struct Unfinished {
    store: Arc<Store>,
    run: Option<RunRecord>,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(mut run) = self.run.take() {
            run.status = RunStatus::Failed.as_str().to_owned();
            run.message = Some("interrupted before completion".to_owned());
            run.finished_at = Some(now());
            let _ = self.store.save_run(&run);
        }
    }
}

/// "created 2, updated 1, deleted 0 (deployment <id>)", or "no changes".
fn summary(outcome: &SyncOutcome) -> String {
    let plan = &outcome.plan;
    if !plan.has_changes() {
        return "no changes".to_owned();
    }
    let mut text = format!(
        "created {}, updated {}, deleted {}",
        plan.keys_with(Action::Create).len(),
        plan.keys_with(Action::Update).len(),
        plan.keys_with(Action::Delete).len()
    );
    if !plan.imports().is_empty() {
        text.push_str(&format!(", imported {}", plan.imports().len()));
    }
    if let Some(dep) = &outcome.deployment_id {
        text.push_str(&format!(" (deployment {dep}"));
        if let Some(phase) = &outcome.deployment_phase {
            text.push_str(&format!(" {phase}"));
        }
        text.push(')');
    }
    if outcome.rolled_back {
        text.push_str("; the deployment failed and the previous env vars were put back");
    }
    if let Some(dep) = &outcome.superseded_deployment_id {
        text.push_str(&format!(
            "; superseded deployment {dep} (if_deploying=proceed)"
        ));
    }
    text
}

fn key_names(outcome: &SyncOutcome, action: Action) -> Vec<String> {
    let mut keys: Vec<String> = outcome
        .plan
        .keys_with(action)
        .into_iter()
        .map(str::to_owned)
        .collect();
    keys.dedup();
    keys
}

impl ControlPlane {
    /// Reads the sync's source and desired set (no request to DigitalOcean).
    pub(super) async fn desired_of(&self, rec: &SyncRecord) -> Result<Desired, ControlError> {
        let source = self.source_of_record(rec)?;
        if matches!(source, crate::sources::SourceSpec::Command(_)) {
            self.withhold_client_secret_vars()?;
        }
        let secrets = source.read().await?;
        if secrets.is_empty() {
            // An empty read is far more often a mistake (a prefix typo, a truncated file,
            // an empty folder) than an intent, and it would delete every managed key.
            return Err(crate::sources::SourceError::Read(format!(
                "{} returned no secrets; refusing to sync an empty set, which would delete every key the sync manages (use remove-secrets to take them off the app)",
                source.describe()
            ))
            .into());
        }
        Ok(secrets
            .into_iter()
            .map(|(k, v)| (k, DesiredValue::new(v)))
            .collect())
    }

    /// Before a command runs: every variable a stored Infisical sync reads its client
    /// secret from is withheld from it, whichever order the syncs were loaded in.
    fn withhold_client_secret_vars(&self) -> Result<(), ControlError> {
        for rec in self.store().list_syncs()? {
            let public = serde_json::from_str::<serde_json::Value>(&rec.source_public);
            if let Some(name) = public
                .ok()
                .and_then(|p| p.get("client_secret_env")?.as_str().map(str::to_owned))
            {
                crate::sources::withhold_var(&name);
            }
        }
        Ok(())
    }

    fn engine_for(&self, rec: &SyncRecord) -> Result<Engine, ControlError> {
        let connection = self.get_connection(&rec.connection_id)?;
        let client = self.client_for(&connection)?;
        Ok(Engine::new(client, self.store().clone()))
    }

    /// Plans a run without changing anything: reads the source and GETs the app.
    pub async fn plan_sync(&self, id_or_name: &str) -> Result<PlannedSync, ControlError> {
        let rec = self.sync_record(id_or_name)?;
        let desired = self.desired_of(&rec).await?;
        let options = super::SyncSettings::from_stored(&rec.options)?.engine_options();
        Ok(self
            .engine_for(&rec)?
            .plan(&rec.app_id, desired, options)
            .await?)
    }

    /// Runs the sync and records the run. A disabled sync is refused (nothing is
    /// recorded); a failed run is recorded and returned as [`ControlError::RunFailed`].
    /// The source is read completely before anything is planned: a source that fails
    /// never leads to a request that changes the app.
    pub async fn run_sync(
        &self,
        id_or_name: &str,
        settings: &RunSettings,
    ) -> Result<SyncRun, ControlError> {
        let rec = self.sync_record(id_or_name)?;
        if !rec.is_enabled {
            return Err(ControlError::Disabled { name: rec.name });
        }
        self.record_run(rec, RunKind::Sync, settings).await
    }

    /// Removes what the sync wrote (keys it created are deleted, adopted keys restored)
    /// and records the run. Allowed on a disabled sync: disabling is the usual first
    /// step before cleaning up.
    pub async fn remove_secrets(
        &self,
        id_or_name: &str,
        settings: &RunSettings,
    ) -> Result<SyncRun, ControlError> {
        let rec = self.sync_record(id_or_name)?;
        self.record_run(rec, RunKind::Remove, settings).await
    }

    async fn record_run(
        &self,
        rec: SyncRecord,
        kind: RunKind,
        settings: &RunSettings,
    ) -> Result<SyncRun, ControlError> {
        let (run, guard) = self.begin_run(&rec, kind).await?;
        let result = self.execute(&rec, kind, settings).await;
        let finished = self.finish_run(run, guard, result).await?;
        self.notify_after_run(&finished.0, settings.drift_repair);
        match finished {
            (run, None) => Ok(run),
            (run, Some(cause)) => Err(ControlError::RunFailed {
                run: Box::new(run),
                cause: Box::new(cause),
            }),
        }
    }

    /// Records a new run as `pending`, then `running`; the guard marks it failed if the
    /// caller never finishes it (cancelled or panicked).
    pub(super) async fn begin_run(
        &self,
        rec: &SyncRecord,
        kind: RunKind,
    ) -> Result<(SyncRun, Unfinished), ControlError> {
        let mut run = SyncRun {
            id: uuid::Uuid::new_v4().to_string(),
            sync_id: rec.id.clone(),
            sync_name: rec.name.clone(),
            kind,
            status: RunStatus::Pending,
            message: None,
            deployment_id: None,
            created: Vec::new(),
            updated: Vec::new(),
            deleted: Vec::new(),
            requests: 0,
            started_at: now(),
            finished_at: None,
        };
        let record = run.to_record();
        let begun = self.db(move |s| Ok(s.begin_run(&record)?)).await?;
        if !begun {
            return Err(ControlError::not_found("sync", rec.name.clone()));
        }
        let mut guard = Unfinished {
            store: self.store().clone(),
            run: Some(run.to_record()),
        };
        run.status = RunStatus::Running;
        self.save_run(&run).await?;
        guard.run = Some(run.to_record());
        Ok((run, guard))
    }

    /// Records how a run ended: the run, and the failure when it failed (`Err` only when
    /// the record itself cannot be written).
    pub(super) async fn finish_run(
        &self,
        mut run: SyncRun,
        mut guard: Unfinished,
        result: Result<SyncOutcome, ControlError>,
    ) -> Result<(SyncRun, Option<ControlError>), ControlError> {
        run.finished_at = Some(now());
        let failure = match result {
            Ok(outcome) => {
                run.deployment_id = outcome.deployment_id.clone();
                run.created = key_names(&outcome, Action::Create);
                run.updated = key_names(&outcome, Action::Update);
                run.deleted = key_names(&outcome, Action::Delete);
                run.requests = outcome.requests;
                run.message = Some(summary(&outcome));
                let failed_phase = outcome
                    .deployment_phase
                    .as_deref()
                    .filter(|p| matches!(*p, "ERROR" | "CANCELED"));
                match failed_phase {
                    None => {
                        run.status = RunStatus::Succeeded;
                        None
                    }
                    Some(phase) => {
                        run.status = RunStatus::Failed;
                        Some(ControlError::DeploymentFailed {
                            app_id: outcome.app_id.clone(),
                            deployment_id: outcome.deployment_id.clone().unwrap_or_default(),
                            phase: phase.to_owned(),
                            rolled_back: outcome.rolled_back,
                        })
                    }
                }
            }
            Err(cause) => {
                run.status = RunStatus::Failed;
                // Stored and shown later: mask anything token- or ciphertext-shaped that
                // a message may still carry (values echoed are scrubbed where they arise).
                run.message = Some(crate::client::mask_secrets(&cause.one_line()).into_owned());
                Some(cause)
            }
        };
        self.save_run(&run).await?;
        guard.run = None;
        Ok((run, failure))
    }

    async fn execute(
        &self,
        rec: &SyncRecord,
        kind: RunKind,
        settings: &RunSettings,
    ) -> Result<SyncOutcome, ControlError> {
        let options = super::SyncSettings::from_stored(&rec.options)?.engine_options();
        let apply = settings.apply_settings();
        match kind {
            RunKind::Sync => {
                // All or nothing: the source is read before the engine is involved.
                let desired = self.desired_of(rec).await?;
                let engine = self.engine_for(rec)?;
                Ok(engine.sync(&rec.app_id, desired, options, &apply).await?)
            }
            RunKind::Remove => {
                let engine = self.engine_for(rec)?;
                Ok(engine.remove_synced(&rec.app_id, options, &apply).await?)
            }
        }
    }

    async fn save_run(&self, run: &SyncRun) -> Result<(), ControlError> {
        let record = run.to_record();
        self.db(move |s| Ok(s.save_run(&record)?)).await
    }

    /// The sync's runs, newest first.
    pub fn history(
        &self,
        id_or_name: &str,
        limit: Option<usize>,
    ) -> Result<Vec<SyncRun>, ControlError> {
        let rec = self.sync_record(id_or_name)?;
        Ok(self
            .store()
            .list_runs(&rec.id, limit)?
            .into_iter()
            .map(SyncRun::from_record)
            .collect())
    }

    /// One run by its job id.
    pub fn get_run(&self, job_id: &str) -> Result<SyncRun, ControlError> {
        self.store()
            .find_run(job_id)?
            .map(SyncRun::from_record)
            .ok_or_else(|| ControlError::not_found("run", job_id))
    }
}
