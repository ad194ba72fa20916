//! State shared by the server thread and every `Emulator` handle.

use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

use super::entropy::Entropy;
use super::errors::ApiError;
use super::faults::FaultSet;
use super::ratelimit::RateLimiter;
use super::reqlog::RequestRecord;
use super::scopes::{constant_time_eq, ExtraTokens, Grant};
use super::secrets::{seal_spec_secrets, SecretBox};
use super::store::{ensure_not_pinned, DeploymentType, Moment, NewDeployment, Store};
use super::timeline::active_offset;
use super::validate::validate_spec;
use super::views::{app_view, deployment_view, Owner, ViewClock};

pub(crate) struct Shared {
    pub(crate) token: String,
    /// What the main token may do (full access unless configured with scopes).
    pub(crate) token_grant: Grant,
    /// Tokens added at run time (`add_token`), each with its own grant.
    pub(crate) extra_tokens: Mutex<ExtraTokens>,
    pub(crate) phase_duration: Duration,
    pub(crate) latency: Duration,
    pub(crate) entropy: Entropy,
    pub(crate) secrets: SecretBox,
    pub(crate) owner: Owner,
    pub(crate) team_uuid: String,
    pub(crate) default_project_id: String,
    pub(crate) store: RwLock<Store>,
    pub(crate) faults: Mutex<FaultSet>,
    pub(crate) limiter: Mutex<RateLimiter>,
    /// The limits the emulator started with; `reset` restores them.
    pub(crate) configured_limits: (u32, u32),
    /// The window lengths the emulator started with; `reset` restores them too.
    pub(crate) configured_windows: (std::time::Duration, std::time::Duration),
    pub(crate) log: Mutex<Vec<RequestRecord>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("token", &"<redacted>")
            .field("phase_duration", &self.phase_duration)
            .field("latency", &self.latency)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn clock(&self) -> ViewClock {
        ViewClock {
            now: Instant::now(),
            phase_duration: self.phase_duration,
        }
    }

    /// Validates a spec and seals its SECRET values; the result is what gets stored.
    pub(crate) fn accept_spec(&self, spec: &Value) -> Result<Value, ApiError> {
        validate_spec(spec).map_err(ApiError::invalid)?;
        let mut sealed = spec.clone();
        seal_spec_secrets(&mut sealed, &self.secrets, || self.entropy.bytes::<12>())
            .map_err(ApiError::invalid)?;
        Ok(sealed)
    }

    /// Creates an app (validation, encryption, first deployment); returns its id and
    /// the id of that first deployment. `already_live` backdates the app so its first
    /// deployment is ACTIVE at once (fleet seeding).
    pub(crate) fn create_app(
        &self,
        spec: &Value,
        project_id: Option<&str>,
        already_live: bool,
    ) -> Result<(String, String), ApiError> {
        let sealed = self.accept_spec(spec)?;
        let at = if already_live {
            Moment::now().earlier(active_offset(self.phase_duration))
        } else {
            Moment::now()
        };
        let project = project_id.unwrap_or(&self.default_project_id).to_string();
        let mut store = self.store.write();
        let id = store.create_app(sealed, project, &self.entropy, at)?;
        let deployment = store.app(&id)?.deployments[0].id.clone();
        Ok((id, deployment))
    }

    /// An app as `GET /v2/apps/{id}` renders it.
    pub(crate) fn app_value(&self, id: &str) -> Result<Value, ApiError> {
        let store = self.store.read();
        let view = app_view(store.app(id)?, &self.owner, self.clock(), None);
        Ok(serde_json::to_value(view).expect("app view serializes"))
    }

    /// Every app, in creation order, as `GET /v2/apps` renders them.
    pub(crate) fn all_app_values(&self) -> Vec<Value> {
        let store = self.store.read();
        let clock = self.clock();
        store
            .apps
            .values()
            .map(|app| {
                serde_json::to_value(app_view(app, &self.owner, clock, None))
                    .expect("app view serializes")
            })
            .collect()
    }

    /// The grant of a presented bearer token; `None` for a token the emulator does not know.
    pub(crate) fn grant_for(&self, presented: &str) -> Option<Grant> {
        let extra = self.extra_tokens.lock().grant_of(presented);
        if constant_time_eq(presented.as_bytes(), self.token.as_bytes()) {
            return Some(self.token_grant.clone());
        }
        extra
    }

    /// Adds a token with these scopes (`None`: full access) and returns it.
    pub(crate) fn add_token(&self, scopes: Option<&[String]>) -> Result<String, String> {
        let grant = Grant::from_list(scopes)?;
        let token = format!("dop_v1_{}", self.entropy.hex(64));
        self.extra_tokens.lock().insert(token.clone(), grant);
        Ok(token)
    }

    /// A deployment as `GET /v2/apps/{app_id}/deployments/{id}` renders it (unwrapped).
    pub(crate) fn deployment_value(&self, app_id: &str, id: &str) -> Result<Value, ApiError> {
        let store = self.store.read();
        let app = store.app(app_id)?;
        let index = app.deployment_index(id).ok_or_else(ApiError::not_found)?;
        let clock = self.clock();
        let state = app.phases(clock.now, clock.phase_duration)[index];
        let view = deployment_view(app, &app.deployments[index], state, clock);
        Ok(serde_json::to_value(view).expect("deployment view serializes"))
    }

    /// Starts a deployment of the app's current spec as a git push would (someone else's
    /// deployment, for tests): not logged, no rate-limit use. Like any new deployment it
    /// supersedes one in flight. Returns it as the API renders it.
    pub(crate) fn start_push_deployment(
        &self,
        app_id: &str,
        cause: Option<&str>,
    ) -> Result<Value, ApiError> {
        let id = {
            let mut store = self.store.write();
            store.app(app_id).and_then(ensure_not_pinned)?;
            let cause = match cause {
                Some(c) => c.to_owned(),
                None => format!("commit {} pushed to github", self.entropy.hex(7)),
            };
            store.add_deployment(
                app_id,
                NewDeployment {
                    cause: &cause,
                    deployment_type: DeploymentType::DeployOnPush,
                    spec: None,
                    cloned_from: None,
                },
                &self.entropy,
                Moment::now(),
            )?
        };
        self.deployment_value(app_id, &id)
    }

    /// Ends a deployment in flight now: ACTIVE (ERROR if it was marked to fail).
    pub(crate) fn finish_deployment(&self, app_id: &str, id: &str) -> Result<Value, ApiError> {
        self.store
            .write()
            .finish_deployment(app_id, id, Instant::now())?;
        self.deployment_value(app_id, id)
    }

    pub(crate) fn reset(&self) {
        self.extra_tokens.lock().clear();
        self.store.write().clear();
        self.faults.lock().clear();
        self.log.lock().clear();
        let mut limiter = self.limiter.lock();
        limiter.clear();
        limiter.set_limits(self.configured_limits.0, self.configured_limits.1);
        limiter.set_windows(self.configured_windows.0, self.configured_windows.1);
    }
}
