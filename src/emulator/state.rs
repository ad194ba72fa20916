//! State shared by the server thread and every `Emulator` handle.

use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use serde_json::Value;

use super::entropy::Entropy;
use super::errors::ApiError;
use super::faults::FaultSet;
use super::ratelimit::RateLimiter;
use super::reqlog::RequestRecord;
use super::secrets::{seal_spec_secrets, SecretBox};
use super::store::{Moment, Store};
use super::timeline::active_offset;
use super::validate::validate_spec;
use super::views::{app_view, Owner, ViewClock};

pub(crate) struct Shared {
    pub(crate) token: String,
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

    pub(crate) fn reset(&self) {
        self.store.write().clear();
        self.faults.lock().clear();
        self.log.lock().clear();
        let mut limiter = self.limiter.lock();
        limiter.clear();
        limiter.set_limits(self.configured_limits.0, self.configured_limits.1);
        limiter.set_windows(self.configured_windows.0, self.configured_windows.1);
    }
}
