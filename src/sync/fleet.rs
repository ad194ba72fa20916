//! Fleet sync: many apps in one call, with the fewest requests the API allows.
//!
//! Every app is read from `GET /v2/apps?per_page=200` (the list carries full specs), so a
//! fleet of N apps costs ceil(N / 200) reads instead of N GETs, and the listing stops as soon
//! as every requested app was seen. Apps are planned from those specs and only the ones that
//! changed get a PUT, several at a time; the client's rate-limit pacing spreads a burst so it
//! never meets a 429. Each app is applied under its own lock, and an app that another sync
//! holds (or wrote since the list was read) is read again with one GET before planning, so a
//! concurrent change is never overwritten. One app's failure does not stop the others.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use indexmap::IndexMap;
use serde_json::Value;

use super::apply::{
    blocking, op, state_digest, take_spec, ApplySettings, Engine, Goal, SyncError, SyncOutcome,
};
use super::deploying::{gate, Gate, InFlightDeployment};
use super::desired::Desired;
use super::options::SyncOptions;
use super::plan::{validate_desired, PlanError};
use crate::client::{ApiError, Error as ApiErrorKind};
use crate::store::StoreError;

/// Default number of apps written at the same time.
pub const DEFAULT_FLEET_CONCURRENCY: usize = 8;

/// Apps whose state is read in one store call (a list page's size).
const STATE_BATCH: usize = 200;

/// Tries per app when its PUT keeps meeting 429 after the client's own retries (a burst
/// limit's retry-after longer than the retry budget).
const RATE_LIMITED_ATTEMPTS: u32 = 3;

/// One app finished (successfully or not).
pub struct FleetEvent<'a> {
    /// Apps finished so far, this one included.
    pub done: usize,
    pub total: usize,
    /// The app id or name as the caller gave it.
    pub target: &'a str,
    pub result: &'a Result<SyncOutcome, SyncError>,
}

/// Called once per app as it finishes, in completion order.
pub type FleetProgress = Arc<dyn Fn(&FleetEvent<'_>) + Send + Sync>;

/// How a fleet sync runs.
#[derive(Clone)]
pub struct FleetSettings {
    /// Apps planned and written at the same time (at least 1).
    pub concurrency: usize,
    /// How long to wait for another sync of the same app to finish.
    pub lock_timeout: Duration,
    pub progress: Option<FleetProgress>,
}

impl Default for FleetSettings {
    fn default() -> Self {
        Self {
            concurrency: DEFAULT_FLEET_CONCURRENCY,
            lock_timeout: Duration::from_secs(30),
            progress: None,
        }
    }
}

impl std::fmt::Debug for FleetSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetSettings")
            .field("concurrency", &self.concurrency)
            .field("lock_timeout", &self.lock_timeout)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What happened to one app of the fleet.
#[derive(Debug)]
pub struct FleetAppResult {
    /// The app's id, once resolved from the list (`None` for an unknown name or bad input).
    pub app_id: Option<String>,
    /// Requests made for this app alone (a re-read GET, the PUT); the shared list pages are
    /// counted in [`FleetReport::list_requests`].
    pub requests: u32,
    pub result: Result<SyncOutcome, SyncError>,
}

/// The outcome of a fleet sync, keyed by the app id or name given, in the order given.
#[derive(Debug)]
pub struct FleetReport {
    pub apps: IndexMap<String, FleetAppResult>,
    /// Pages of `GET /v2/apps` read.
    pub list_requests: u32,
}

impl FleetReport {
    /// Every request the fleet sync made.
    pub fn requests(&self) -> u32 {
        self.list_requests + self.apps.values().map(|a| a.requests).sum::<u32>()
    }

    /// Apps whose PUT started a deployment.
    pub fn deployments(&self) -> usize {
        self.apps
            .values()
            .filter(|a| matches!(&a.result, Ok(o) if o.deployment_id.is_some()))
            .count()
    }

    pub fn failures(&self) -> impl Iterator<Item = (&str, &SyncError)> {
        self.apps.iter().filter_map(|(k, a)| match &a.result {
            Err(e) => Some((k.as_str(), e)),
            Ok(_) => None,
        })
    }
}

/// An app to sync, once found in the list.
struct Resolved {
    target: String,
    app_id: String,
    /// The spec from the list; `None` if the listed app had none (then it is read alone).
    spec: Option<Value>,
    /// The deployment in flight on the listed app.
    in_flight: Option<InFlightDeployment>,
    desired: Desired,
    options: SyncOptions,
}

/// One app of [`Engine::sync_fleet_each`]: an app id or name, its secrets and options.
#[derive(Debug, Clone)]
pub struct FleetTarget {
    pub target: String,
    pub desired: Desired,
    pub options: SyncOptions,
}

fn not_found(target: &str) -> SyncError {
    SyncError::Api(ApiErrorKind::NotFound(ApiError {
        status: 404,
        id: Some("not_found".to_owned()),
        message: format!("no app with id or name {target:?} in this account"),
        request_id: None,
    }))
}

impl Engine {
    /// Syncs many apps: `targets` pairs an app id or name with its desired secrets.
    ///
    /// Requests: the pages of `GET /v2/apps` needed to see every requested app, plus one
    /// PUT per app that changed (and one GET per app that another sync touched meanwhile).
    /// Fails as a whole only when the options are invalid, the store cannot be read or the
    /// list cannot be read; everything else is reported per app.
    pub async fn sync_fleet(
        &self,
        targets: Vec<(String, Desired)>,
        options: SyncOptions,
        settings: FleetSettings,
    ) -> Result<FleetReport, SyncError> {
        options.validate().map_err(PlanError::from)?;
        let targets = targets
            .into_iter()
            .map(|(target, desired)| FleetTarget {
                target,
                desired,
                options: options.clone(),
            })
            .collect();
        self.sync_fleet_each(targets, settings).await
    }

    /// [`sync_fleet`](Self::sync_fleet) with options per app (e.g. one stored sync per
    /// app, each with its own key schema). Invalid options fail their app only.
    pub async fn sync_fleet_each(
        &self,
        targets: Vec<FleetTarget>,
        settings: FleetSettings,
    ) -> Result<FleetReport, SyncError> {
        let total = targets.len();
        let mut apps: IndexMap<String, FleetAppResult> = IndexMap::with_capacity(total);
        let mut wanted: IndexMap<String, (Desired, SyncOptions)> = IndexMap::with_capacity(total);
        let mut order: Vec<String> = Vec::with_capacity(total);
        for FleetTarget {
            target,
            desired,
            options,
        } in targets
        {
            let failed = |e| FleetAppResult {
                app_id: None,
                requests: 0,
                result: Err(e),
            };
            if apps.contains_key(&target) || wanted.contains_key(&target) {
                let e = SyncError::DuplicateTarget {
                    app_id: target.clone(),
                    first: target.clone(),
                    second: target.clone(),
                };
                wanted.shift_remove(&target);
                apps.insert(target, failed(e));
                continue;
            }
            order.push(target.clone());
            // Bad options or keys fail their app before anything is sent.
            let valid = options
                .validate()
                .map_err(PlanError::from)
                .and_then(|()| validate_desired(&desired, &options));
            match valid {
                Ok(()) => {
                    wanted.insert(target, (desired, options));
                }
                Err(e) => {
                    apps.insert(target, failed(e.into()));
                }
            }
        }

        // Taken before the list is read: a sync that writes an app after this point shows
        // up as a different digest, and that app is then read again before planning.
        let digests = self.state_digests().await?;
        let (resolved, list_requests) = self.read_listed(&mut wanted).await?;
        for target in wanted.into_keys() {
            let e = not_found(&target);
            apps.insert(
                target,
                FleetAppResult {
                    app_id: None,
                    requests: 0,
                    result: Err(e),
                },
            );
        }

        // The same app given by id and by name would be written twice: keep the first.
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut runnable = Vec::with_capacity(resolved.len());
        for r in resolved {
            if let Some(first) = seen.get(&r.app_id) {
                let e = SyncError::DuplicateTarget {
                    app_id: r.app_id.clone(),
                    first: first.clone(),
                    second: r.target.clone(),
                };
                apps.insert(
                    r.target,
                    FleetAppResult {
                        app_id: Some(r.app_id),
                        requests: 0,
                        result: Err(e),
                    },
                );
            } else {
                seen.insert(r.app_id.clone(), r.target.clone());
                runnable.push(r);
            }
        }

        let mut done = 0;
        if let Some(progress) = &settings.progress {
            for (target, app) in &apps {
                done += 1;
                progress(&FleetEvent {
                    done,
                    total,
                    target,
                    result: &app.result,
                });
            }
        }
        let apply = ApplySettings {
            lock_timeout: settings.lock_timeout,
            ..ApplySettings::default()
        };
        let empty_digest = state_digest(&[]);
        let mut finished = futures::stream::iter(runnable.into_iter().map(|r| {
            let listed_digest = digests.get(&r.app_id).unwrap_or(&empty_digest).clone();
            let apply = &apply;
            async move {
                let mut requests = 0;
                let result = self
                    .sync_listed_app(&r, &listed_digest, apply, &mut requests)
                    .await;
                (r.target, r.app_id, requests, result)
            }
        }))
        .buffer_unordered(settings.concurrency.max(1));
        while let Some((target, app_id, requests, result)) = finished.next().await {
            done += 1;
            if let Some(progress) = &settings.progress {
                progress(&FleetEvent {
                    done,
                    total,
                    target: &target,
                    result: &result,
                });
            }
            apps.insert(
                target,
                FleetAppResult {
                    app_id: Some(app_id),
                    requests,
                    result,
                },
            );
        }
        drop(finished);

        // Report in the order given, whatever the completion order was.
        let mut ordered = IndexMap::with_capacity(apps.len());
        for target in order {
            if let Some(app) = apps.shift_remove(&target) {
                ordered.insert(target, app);
            }
        }
        Ok(FleetReport {
            apps: ordered,
            list_requests,
        })
    }

    /// One app: lock, re-read if needed, plan against the listed (or re-read) spec, apply.
    /// With a deployment in flight and `if_deploying=wait`, the lock is let go while
    /// waiting, and the app is read again afterwards.
    async fn sync_listed_app(
        &self,
        app: &Resolved,
        listed_digest: &str,
        settings: &ApplySettings,
        requests: &mut u32,
    ) -> Result<SyncOutcome, SyncError> {
        let id = app.app_id.as_str();
        let started = Instant::now();
        let mut waited = false;
        let (_lock, state, planned) = loop {
            let (lock, contended) = match self.lock(id, Duration::ZERO).await {
                Ok(lock) => (lock, false),
                Err(SyncError::Store(StoreError::LockTimeout { .. })) => {
                    (self.lock(id, settings.lock_timeout).await?, true)
                }
                Err(e) => return Err(e),
            };
            let state = self.load_state(id).await?;
            // Another sync had the app or wrote it since the list was read: the listed spec
            // may be older than what DigitalOcean has now.
            let (spec, in_flight) = match &app.spec {
                Some(spec) if !waited && !contended && state_digest(&state) == listed_digest => {
                    (spec.clone(), app.in_flight.clone())
                }
                _ => {
                    *requests += 1;
                    self.fetch_spec(id).await?
                }
            };
            let mut planned = self.plan_read_spec(
                id,
                Goal::Sync(app.desired.clone()),
                app.options.clone(),
                spec,
                &state,
                *requests,
            )?;
            self.attach_in_flight(id, &mut planned.plan, in_flight)
                .await?;
            match gate(id, &planned.plan, &app.options)? {
                Gate::Go => break (lock, state, planned),
                Gate::Wait(deployment) => {
                    drop(lock);
                    let timeout = app.options.deploy_wait_timeout;
                    *requests += self
                        .await_deployment(id, &deployment, started, timeout)
                        .await?;
                    waited = true;
                }
            }
        };
        let mut attempt = 1;
        loop {
            if planned.plan.has_changes() {
                // Counted before sending: a PUT that fails after its retries is still one call.
                *requests += 1;
            }
            match self
                .apply_locked(planned.clone(), state.clone(), settings)
                .await
            {
                // A 429 means the PUT was not applied. It reaches here when the burst
                // limit's retry-after was longer than the retry budget (e.g. other clients
                // of the token filled the window): the pacer now holds every request until
                // retry-after has passed, so the app is tried again. The spent hourly
                // quota is refused by the pacer at once on the next try.
                Err(SyncError::Api(ApiErrorKind::RateLimited { .. }))
                    if attempt < RATE_LIMITED_ATTEMPTS =>
                {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// State digests of every app in the store, read in batches of a list page's size
    /// (one database round trip per batch with PostgreSQL).
    async fn state_digests(&self) -> Result<HashMap<String, String>, SyncError> {
        let store = self.store().clone();
        blocking(move || {
            let mut digests = HashMap::new();
            for ids in store.apps()?.chunks(STATE_BATCH) {
                for (id, records) in ids.iter().zip(store.load_states(ids)?) {
                    digests.insert(id.clone(), state_digest(&records));
                }
            }
            Ok(digests)
        })
        .await
    }

    /// Reads list pages until every wanted app was seen (or the list ends). Found targets
    /// are removed from `wanted`; what remains was not found.
    async fn read_listed(
        &self,
        wanted: &mut IndexMap<String, (Desired, SyncOptions)>,
    ) -> Result<(Vec<Resolved>, u32), SyncError> {
        let mut resolved = Vec::with_capacity(wanted.len());
        let mut requests = 0;
        if wanted.is_empty() {
            return Ok((resolved, requests));
        }
        let mut pages = self.client().pages(op("list"), &[], &[]);
        while !wanted.is_empty() {
            requests += 1;
            let Some(body) = pages.next_page().await? else {
                requests -= 1;
                break;
            };
            let page: Value = serde_json::from_slice(&body)
                .map_err(|e| SyncError::Api(ApiErrorKind::decode(200, &e, &body, None)))?;
            let Some(Value::Array(items)) = page.get("apps") else {
                continue;
            };
            for app in items {
                let Some(id) = app["id"].as_str() else {
                    continue;
                };
                let name = app["spec"]["name"].as_str();
                // An id match wins over a name match; both may be asked for.
                for key in [Some(id), name].into_iter().flatten() {
                    if let Some((desired, options)) = wanted.shift_remove(key) {
                        resolved.push(Resolved {
                            target: key.to_owned(),
                            app_id: id.to_owned(),
                            spec: take_spec(app.clone(), id).ok(),
                            in_flight: InFlightDeployment::of_app(app),
                            desired,
                            options,
                        });
                    }
                }
            }
        }
        Ok((resolved, requests))
    }
}
