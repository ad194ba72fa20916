//! Sync bindings: `Store`, `NativeSyncPlan` and the conversions for `plan_sync`, `sync`
//! and `remove_synced` (the client methods themselves are in `client.rs`).
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyBaseException, PyOSError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use serde_json::json;

use super::errors::to_pyerr;
use super::runtime::block_on_with;
use crate::store::copy::CopyError;
use crate::store::{Store as CoreStore, StoreError};
use crate::sync::{
    Action, ApplySettings, Desired, DesiredValue, Engine, Fingerprinter, FleetEvent, FleetProgress,
    FleetReport, FleetSettings, IfDeploying, InitialSyncBehavior, KeySchema, Origin, PlannedSync,
    Scope, SyncError, SyncOptions, SyncOutcome, Targets, VarType,
};

/// The state store, SQLite or PostgreSQL (fingerprints and `EV[...]` strings, never plaintexts).
#[pyclass(module = "do_envsync._native", subclass, frozen)]
pub struct Store {
    pub(crate) inner: Arc<CoreStore>,
}

pub fn store_err(e: StoreError) -> PyErr {
    match e {
        StoreError::LockTimeout { .. } => lock_timeout(e.to_string()),
        StoreError::InvalidAppId { .. } | StoreError::InvalidRecord { .. } => {
            PyValueError::new_err(e.to_string())
        }
        _ => PyOSError::new_err(e.to_string()),
    }
}

fn lock_timeout(message: String) -> PyErr {
    Python::attach(|py| {
        py.import("do_envsync.errors")
            .and_then(|m| m.getattr("LockTimeoutError"))
            .and_then(|cls| cls.call1((message.clone(),)))
            .map(PyErr::from_value)
            .unwrap_or_else(|_| PyTimeoutError::new_err(message))
    })
}

#[pymethods]
impl Store {
    #[new]
    #[pyo3(signature = (path=None))]
    fn new(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        // A path, or a postgresql:// URL (kept out of every message with its password).
        let store = py
            .detach(|| match path {
                Some(p) => CoreStore::open(p),
                None => CoreStore::open_default(),
            })
            .map_err(store_err)?;
        Ok(Self {
            inner: Arc::new(store),
        })
    }

    #[getter]
    fn path(&self) -> String {
        self.inner.location()
    }

    /// Database statements sent so far (PostgreSQL; 0 with SQLite): benchmarks count
    /// the state's round trips with it.
    #[getter]
    fn round_trips(&self) -> u64 {
        self.inner.round_trips()
    }

    /// The records of one app as JSON: fingerprints and `EV[...]` strings only.
    fn state_json(&self, py: Python<'_>, app_id: &str) -> PyResult<String> {
        let records = py
            .detach(|| self.inner.load_state(app_id))
            .map_err(store_err)?;
        let rows: Vec<_> = records
            .iter()
            .map(|r| {
                json!({
                    "target": r.target,
                    "key": r.key,
                    "fingerprint": r.fingerprint,
                    "ev": r.ev,
                    "type": r.var_type.as_str(),
                    "scope": r.scope.as_str(),
                    "origin": match r.origin { Origin::Created => "created", Origin::Adopted { .. } => "adopted" },
                    "updated_at": r.updated_at.to_rfc3339(),
                })
            })
            .collect();
        Ok(serde_json::Value::Array(rows).to_string())
    }

    fn apps(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.apps()).map_err(store_err)
    }

    fn forget_app(&self, py: Python<'_>, app_id: &str) -> PyResult<bool> {
        py.detach(|| self.inner.forget_app(app_id))
            .map_err(store_err)
    }

    /// Copies everything this store holds into the empty store `target` (`state copy`):
    /// counts of connections, syncs, runs, apps and records copied.
    fn copy_to(
        &self,
        py: Python<'_>,
        target: &Store,
    ) -> PyResult<std::collections::BTreeMap<&'static str, usize>> {
        let (from, to) = (self.inner.clone(), target.inner.clone());
        let report = py
            .detach(move || crate::store::copy::copy(&from, &to))
            .map_err(|e| match e {
                CopyError::Store(e) => store_err(e),
                CopyError::NotEmpty { .. } | CopyError::SameStore => {
                    PyValueError::new_err(e.to_string())
                }
                CopyError::Crypto(_) => PyOSError::new_err(e.to_string()),
            })?;
        Ok([
            ("connections", report.connections),
            ("syncs", report.syncs),
            ("runs", report.runs),
            ("apps", report.apps),
            ("records", report.records),
            ("notify_targets", report.notify_targets),
            ("deliveries", report.deliveries),
            ("api_keys", report.api_keys),
        ]
        .into_iter()
        .collect())
    }

    fn __repr__(&self) -> String {
        format!("Store(path={:?})", self.inner.location())
    }
}

/// One desired secret from Python: (key, value, type, scope).
pub type SecretTuple = (String, String, Option<String>, Option<String>);

pub fn desired_from(secrets: Vec<SecretTuple>) -> PyResult<Desired> {
    let mut desired = Desired::new();
    for (key, value, var_type, scope) in secrets {
        let mut v = DesiredValue::new(value);
        if let Some(t) = var_type {
            v = v.with_type(
                t.parse::<VarType>()
                    .map_err(|e| PyValueError::new_err(format!("{key}: {e}")))?,
            );
        }
        if let Some(s) = scope {
            v = v.with_scope(
                s.parse::<Scope>()
                    .map_err(|e| PyValueError::new_err(format!("{key}: {e}")))?,
            );
        }
        desired.insert(key, v);
    }
    Ok(desired)
}

/// Sync options from the Python keywords.
#[derive(Default)]
pub struct OptionArgs {
    pub environment: Option<String>,
    pub key_schema: Option<String>,
    pub disable_secret_deletion: bool,
    pub initial_sync_behavior: Option<String>,
    pub components: Option<Vec<String>>,
    pub var_type: Option<String>,
    pub scope: Option<String>,
    pub deploying: DeployingArgs,
}

/// `if_deploying` and `deploy_wait_timeout` from the Python keywords.
#[derive(Default)]
pub struct DeployingArgs {
    pub if_deploying: Option<String>,
    pub deploy_wait_timeout: Option<f64>,
}

impl DeployingArgs {
    pub fn new(if_deploying: Option<String>, deploy_wait_timeout: Option<f64>) -> Self {
        Self {
            if_deploying,
            deploy_wait_timeout,
        }
    }

    fn apply(self, options: &mut SyncOptions) -> PyResult<()> {
        if let Some(p) = self.if_deploying {
            options.if_deploying = p
                .parse::<IfDeploying>()
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
        }
        if let Some(t) = self.deploy_wait_timeout {
            options.deploy_wait_timeout = Duration::try_from_secs_f64(t).map_err(|_| {
                PyValueError::new_err("deploy_wait_timeout must be a non-negative number")
            })?;
        }
        Ok(())
    }
}

impl OptionArgs {
    pub fn build(self) -> PyResult<SyncOptions> {
        let value_err = |e: &dyn std::fmt::Display| PyValueError::new_err(e.to_string());
        let mut options = SyncOptions {
            environment: self.environment,
            disable_secret_deletion: self.disable_secret_deletion,
            ..SyncOptions::default()
        };
        if let Some(schema) = self.key_schema {
            options.key_schema = Some(KeySchema::parse(&schema).map_err(|e| value_err(&e))?);
        }
        if let Some(b) = self.initial_sync_behavior {
            options.initial_sync_behavior = b
                .parse::<InitialSyncBehavior>()
                .map_err(|e| value_err(&e))?;
        }
        if let Some(components) = self.components {
            options.targets = Targets::Components(components);
        }
        if let Some(t) = self.var_type {
            options.default_type = t.parse::<VarType>().map_err(|e| value_err(&e))?;
        }
        if let Some(s) = self.scope {
            options.default_scope = s.parse::<Scope>().map_err(|e| value_err(&e))?;
        }
        self.deploying.apply(&mut options)?;
        options.validate().map_err(|e| value_err(&e))?;
        Ok(options)
    }
}

pub struct SettingsArgs {
    pub wait: bool,
    pub rollback_on_failure: bool,
    pub replan: bool,
    pub progress: Option<Py<PyAny>>,
    pub lock_timeout: f64,
}

impl SettingsArgs {
    pub fn build(self) -> PyResult<ApplySettings> {
        let lock_timeout = Duration::try_from_secs_f64(self.lock_timeout)
            .map_err(|_| PyValueError::new_err("lock_timeout must be a non-negative number"))?;
        let progress = self.progress.map(|cb| {
            let cb = Arc::new(cb);
            let f: crate::sync::Progress = Arc::new(move |phase: &str| {
                Python::attach(|py| {
                    if let Err(err) = cb.call1(py, (phase,)) {
                        err.write_unraisable(py, None);
                    }
                })
            });
            f
        });
        Ok(ApplySettings {
            lock_timeout,
            wait: self.wait,
            rollback_on_failure: self.rollback_on_failure,
            replan: self.replan,
            progress,
            ..ApplySettings::default()
        })
    }
}

/// Maps the engine's error onto Python's: API errors keep their classes, bad input is a
/// ValueError, a changed app a ConflictError, a busy app a LockTimeoutError.
pub fn sync_err(e: SyncError) -> PyErr {
    match e {
        SyncError::Api(api) => Python::attach(|py| to_pyerr(py, api)),
        SyncError::Plan(p) => PyValueError::new_err(p.to_string()),
        SyncError::Store(s) => store_err(s),
        SyncError::Conflict { .. } => Python::attach(|py| {
            let message = e.to_string();
            py.import("do_envsync.errors")
                .and_then(|m| m.getattr("ConflictError"))
                .and_then(|cls| {
                    let kwargs = pyo3::types::PyDict::new(py);
                    kwargs.set_item("error_id", "plan_conflict")?;
                    cls.call((message.clone(),), Some(&kwargs))
                })
                .map(PyErr::from_value)
                .unwrap_or_else(|err| err)
        }),
        SyncError::MissingSpec { .. } => Python::attach(|py| {
            to_pyerr(
                py,
                crate::client::Error::Decode {
                    status: 200,
                    message: e.to_string(),
                    excerpt: String::new(),
                    request_id: None,
                },
            )
        }),
        SyncError::DeployTimeout { .. } => PyTimeoutError::new_err(e.to_string()),
        SyncError::DeploymentInProgress {
            ref app_id,
            ref deployment_id,
            ref phase,
            waited,
        } => Python::attach(|py| {
            let message = e.to_string();
            py.import("do_envsync.errors")
                .and_then(|m| m.getattr("DeploymentInProgressError"))
                .and_then(|cls| {
                    let kwargs = pyo3::types::PyDict::new(py);
                    kwargs.set_item("app_id", app_id)?;
                    kwargs.set_item("deployment_id", deployment_id)?;
                    kwargs.set_item("phase", phase)?;
                    kwargs.set_item("waited", waited.map(|w| w.as_secs_f64()))?;
                    cls.call((message.clone(),), Some(&kwargs))
                })
                .map(PyErr::from_value)
                .unwrap_or_else(|err| err)
        }),
        SyncError::DuplicateTarget { .. } => PyValueError::new_err(e.to_string()),
        SyncError::Internal(_) => PyRuntimeError::new_err(e.to_string()),
    }
}

/// The JSON a `SyncResult` is built from (key names, never values).
pub fn outcome_json(o: &SyncOutcome) -> String {
    outcome_value(o).to_string()
}

fn outcome_value(o: &SyncOutcome) -> serde_json::Value {
    json!({
        "app_id": o.app_id,
        "deployment_id": o.deployment_id,
        "requests": o.requests,
        "deployment_phase": o.deployment_phase,
        "rolled_back": o.rolled_back,
        "superseded_deployment_id": o.superseded_deployment_id,
        "changes": changes_json(&o.plan),
        "warnings": o.plan.warnings().iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    })
}

fn changes_json(plan: &crate::sync::Plan) -> serde_json::Value {
    plan.changes()
        .iter()
        .map(|c| {
            json!([
                c.key,
                c.component,
                c.action.as_str(),
                c.reason.as_str(),
                c.var_type.map(VarType::as_str),
                c.scope.map(Scope::as_str),
                c.source_key,
            ])
        })
        .collect()
}

/// Runs an engine future to a Python result, blocking (GIL released, Ctrl-C honoured).
pub fn run_blocking<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T, SyncError>> + Send + 'static,
    T: Send + 'static,
{
    block_on_with(py, fut, |_, e| sync_err(e))
}

/// A plan made by `plan_sync`; `apply` (blocking) or `apply_async` (awaitable).
#[pyclass(module = "do_envsync._native", frozen)]
pub struct NativeSyncPlan {
    pub(crate) engine: Engine,
    pub(crate) planned: PlannedSync,
}

#[pymethods]
impl NativeSyncPlan {
    #[getter]
    fn app_id(&self) -> String {
        self.planned.app_id.clone()
    }

    #[getter]
    fn has_changes(&self) -> bool {
        self.planned.plan.has_changes()
    }

    #[getter]
    fn will_deploy(&self) -> bool {
        self.planned.plan.will_deploy()
    }

    #[getter]
    fn requests(&self) -> u32 {
        self.planned.requests
    }

    /// Seconds since the plan was made.
    #[getter]
    fn age(&self) -> f64 {
        self.planned.plan.planned_at().elapsed().as_secs_f64()
    }

    fn changes_json(&self) -> String {
        changes_json(&self.planned.plan).to_string()
    }

    fn warnings(&self) -> Vec<String> {
        self.planned
            .plan
            .warnings()
            .iter()
            .map(|w| w.to_string())
            .collect()
    }

    /// GENERAL values an import behaviour took from the destination.
    fn imports(&self) -> Vec<(String, String)> {
        self.planned.plan.imports().to_vec()
    }

    #[pyo3(signature = (*, wait=false, rollback_on_failure=false, replan=false, progress=None, lock_timeout=30.0))]
    fn apply(
        &self,
        py: Python<'_>,
        wait: bool,
        rollback_on_failure: bool,
        replan: bool,
        progress: Option<Py<PyAny>>,
        lock_timeout: f64,
    ) -> PyResult<String> {
        let settings = SettingsArgs {
            wait,
            rollback_on_failure,
            replan,
            progress,
            lock_timeout,
        }
        .build()?;
        let engine = self.engine.clone();
        let planned = self.planned.clone();
        let outcome = run_blocking(py, async move { engine.apply(planned, &settings).await })?;
        Ok(outcome_json(&outcome))
    }

    #[pyo3(signature = (*, wait=false, rollback_on_failure=false, replan=false, progress=None, lock_timeout=30.0))]
    fn apply_async<'py>(
        &self,
        py: Python<'py>,
        wait: bool,
        rollback_on_failure: bool,
        replan: bool,
        progress: Option<Py<PyAny>>,
        lock_timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let settings = SettingsArgs {
            wait,
            rollback_on_failure,
            replan,
            progress,
            lock_timeout,
        }
        .build()?;
        let engine = self.engine.clone();
        let planned = self.planned.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = engine.apply(planned, &settings).await.map_err(sync_err)?;
            Ok(outcome_json(&outcome))
        })
    }

    fn table(&self) -> String {
        self.planned.plan.render_table()
    }

    /// The deployment in flight when the app was read, as JSON (`null` when none):
    /// `{"id", "phase", "cause", "if_deploying", "note"}` (`note`: one line for display).
    fn in_flight_json(&self) -> String {
        let plan = &self.planned.plan;
        match plan.in_flight() {
            None => "null".to_owned(),
            Some(d) => json!({
                "id": d.id,
                "phase": d.phase,
                "cause": d.cause,
                "started_by_sync": d.started_by_sync,
                "if_deploying": plan.if_deploying().as_str(),
                "note": d.describe(plan.has_changes(), plan.if_deploying()),
            })
            .to_string(),
        }
    }
}

/// One fleet entry from Python: (app id or name, secrets).
pub type FleetTarget = (String, Vec<SecretTuple>);

pub fn fleet_targets(targets: Vec<FleetTarget>) -> PyResult<Vec<(String, Desired)>> {
    targets
        .into_iter()
        .map(|(app, secrets)| Ok((app, desired_from(secrets)?)))
        .collect()
}

/// Fleet settings from the Python keywords; `progress(done, total)` after each app.
pub fn fleet_settings(
    concurrency: usize,
    lock_timeout: f64,
    progress: Option<Py<PyAny>>,
) -> PyResult<FleetSettings> {
    if concurrency == 0 {
        return Err(PyValueError::new_err("concurrency must be at least 1"));
    }
    let lock_timeout = Duration::try_from_secs_f64(lock_timeout)
        .map_err(|_| PyValueError::new_err("lock_timeout must be a non-negative number"))?;
    let progress = progress.map(|cb| {
        let f: FleetProgress = Arc::new(move |event: &FleetEvent<'_>| {
            Python::attach(|py| {
                if let Err(err) = cb.call1(py, (event.done, event.total)) {
                    err.write_unraisable(py, None);
                }
            })
        });
        f
    });
    Ok(FleetSettings {
        concurrency,
        lock_timeout,
        progress,
    })
}

/// (results JSON, [(app, exception)]).
pub type FleetReportPy = (String, Vec<(String, Py<PyBaseException>)>);

/// A fleet report for Python: the JSON of the successful results and request counts, and
/// each failed app's exception (the same classes a single sync raises).
pub fn fleet_report_py(report: FleetReport) -> FleetReportPy {
    let mut results = serde_json::Map::new();
    let mut requests = serde_json::Map::new();
    let mut errors = Vec::new();
    let (total_requests, deployments) = (report.requests(), report.deployments());
    for (target, app) in report.apps {
        requests.insert(target.clone(), json!(app.requests));
        match app.result {
            Ok(outcome) => {
                results.insert(target, outcome_value(&outcome));
            }
            Err(e) => {
                let exc = Python::attach(|py| sync_err(e).into_value(py));
                errors.push((target, exc));
            }
        }
    }
    let text = json!({
        "results": results,
        "app_requests": requests,
        "list_requests": report.list_requests,
        "requests": total_requests,
        "deployments": deployments,
    })
    .to_string();
    (text, errors)
}

/// Plans a sync against a spec given as JSON, with no I/O: for measuring the planner from
/// Python. State comes from `store` for `app_id` when both are given (none otherwise).
/// Returns (creates, updates, deletes, unchanged, seconds spent in the planner alone,
/// seconds then spent building the spec to PUT, which applying the plan would do).
#[pyfunction]
#[pyo3(signature = (spec_json, secrets, store=None, app_id=None, *, environment=None, key_schema=None, disable_secret_deletion=false, initial_sync_behavior=None, components=None, var_type=None, scope=None))]
#[allow(clippy::too_many_arguments)]
pub fn plan_offline(
    py: Python<'_>,
    spec_json: &str,
    secrets: Vec<SecretTuple>,
    store: Option<PyRef<'_, Store>>,
    app_id: Option<String>,
    environment: Option<String>,
    key_schema: Option<String>,
    disable_secret_deletion: bool,
    initial_sync_behavior: Option<String>,
    components: Option<Vec<String>>,
    var_type: Option<String>,
    scope: Option<String>,
) -> PyResult<(usize, usize, usize, usize, f64, f64)> {
    let desired = desired_from(secrets)?;
    let options = OptionArgs {
        environment,
        key_schema,
        disable_secret_deletion,
        initial_sync_behavior,
        components,
        var_type,
        scope,
        deploying: DeployingArgs::default(),
    }
    .build()?;
    let store = store.map(|s| s.inner.clone());
    py.detach(move || {
        let spec: serde_json::Value = serde_json::from_str(spec_json)
            .map_err(|e| PyValueError::new_err(format!("spec_json is not JSON: {e}")))?;
        let spec = std::sync::Arc::new(spec);
        let (state, fp) = match (&store, &app_id) {
            (Some(store), Some(app_id)) => (
                store.load_state(app_id).map_err(store_err)?,
                store.fingerprinter(),
            ),
            (Some(store), None) => (Vec::new(), store.fingerprinter()),
            (None, _) => (Vec::new(), Fingerprinter::new(rand::random())),
        };
        let started = std::time::Instant::now();
        let plan = crate::sync::plan_shared(spec, &desired, &options, &state, &fp)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let elapsed = started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        std::hint::black_box(plan.new_spec());
        let build_spec = started.elapsed().as_secs_f64();
        let count = |action: Action| plan.changes().iter().filter(|c| c.action == action).count();
        Ok((
            count(Action::Create),
            count(Action::Update),
            count(Action::Delete),
            count(Action::Unchanged),
            elapsed,
            build_spec,
        ))
    })
}
