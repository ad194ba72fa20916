//! `_native.NativeControl`: connections, syncs, runs, the config file and watch, over
//! the core's control plane. Objects cross as JSON text (Infisical's shapes); tokens and
//! source secrets only ever travel into the core.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};

use super::client::PageIterator;
use super::errors::to_pyerr;
use super::runtime::runtime;
use super::sync::{store_err, sync_err, NativeSyncPlan, Store};
use crate::control::watch::{self, WatchSettings};
use crate::control::{
    ConnectionPatch, ControlError, ControlPlane, NewConnection, NewNotifyTarget, NewSync,
    NotifyEvent, NotifyTargetPatch, RunSettings, SyncPatch, SyncRun, TargetKind,
};
use crate::sources::{SourceError, SourceSpec};
use crate::sync::Engine;
use secrecy::{ExposeSecret, SecretString};

/// Whether a failure happened while configuring (a bad source is then a configuration
/// error) or while running (a source that fails to read is a `SourceError`).
#[derive(Clone, Copy)]
enum Phase {
    Configure,
    Run,
}

fn exception(py: Python<'_>, class: &str, message: &str, kwargs: &[(&str, Value)]) -> PyErr {
    let attempt = || -> PyResult<PyErr> {
        let cls = py.import("do_envsync.errors")?.getattr(class)?;
        let kw = PyDict::new(py);
        for (k, v) in kwargs {
            match v {
                Value::String(s) => kw.set_item(*k, s)?,
                Value::Null => kw.set_item(*k, py.None())?,
                other => kw.set_item(*k, other.to_string())?,
            }
        }
        Ok(PyErr::from_value(cls.call((message,), Some(&kw))?))
    };
    attempt().unwrap_or_else(|e| e)
}

fn source_err(py: Python<'_>, e: &SourceError, phase: Phase) -> PyErr {
    match (e, phase) {
        (SourceError::Invalid(_), _) | (_, Phase::Configure) => exception(
            py,
            "ConfigurationError",
            &e.to_string(),
            &[("field", Value::String("source".into()))],
        ),
        _ => exception(py, "SourceError", &e.to_string(), &[]),
    }
}

fn control_err(e: ControlError, phase: Phase) -> PyErr {
    Python::attach(|py| control_err_in(py, e, phase))
}

fn control_err_in(py: Python<'_>, e: ControlError, phase: Phase) -> PyErr {
    let message = e.one_line();
    match e {
        ControlError::NotFound { what, name } => exception(
            py,
            "ObjectNotFoundError",
            &message,
            &[
                ("kind", Value::String(what.into())),
                ("name", Value::String(name)),
            ],
        ),
        ControlError::AlreadyExists { .. } => exception(
            py,
            "AlreadyExistsError",
            &message,
            &[("field", Value::String("name".into()))],
        ),
        ControlError::Overlap { .. } => exception(
            py,
            "AlreadyExistsError",
            &message,
            &[("field", Value::String("syncOptions".into()))],
        ),
        ControlError::Invalid { field, .. } => exception(
            py,
            "ConfigurationError",
            &message,
            &[("field", Value::String(field))],
        ),
        ControlError::Unsupported { field } => exception(
            py,
            "UnsupportedFieldError",
            &message,
            &[("field", Value::String(field))],
        ),
        ControlError::InUse { .. } => exception(py, "ConnectionInUseError", &message, &[]),
        ControlError::Concurrent { .. } => exception(
            py,
            "ConflictError",
            &message,
            &[("error_id", Value::String("concurrent_change".into()))],
        ),
        ControlError::Disabled { .. } => exception(py, "SyncDisabledError", &message, &[]),
        ControlError::Source(s) => source_err(py, &s, phase),
        ControlError::Api(api) => to_pyerr(py, api),
        ControlError::Sync(s) => sync_err(s),
        ControlError::Store(s) => store_err(s),
        ControlError::Crypto(_) => exception(py, "MasterKeyError", &message, &[]),
        ControlError::DeploymentFailed { .. } => PyRuntimeError::new_err(message),
        ControlError::RunFailed { run, cause }
        | ControlError::RemoveBeforeDeleteFailed { run, cause, .. } => {
            run_failed(py, &message, &run, *cause)
        }
    }
}

/// `SyncRunError(message, run=SyncRun)` with the typed cause as `__cause__`.
fn run_failed(py: Python<'_>, message: &str, run: &SyncRun, cause: ControlError) -> PyErr {
    let cause = control_err_in(py, cause, Phase::Run);
    let err = (|| -> PyResult<PyErr> {
        let run_obj = py
            .import("do_envsync.control")?
            .getattr("SyncRun")?
            .call_method1("from_json", (run.to_json().to_string(),))?;
        let cls = py.import("do_envsync.errors")?.getattr("SyncRunError")?;
        let kw = PyDict::new(py);
        kw.set_item("run", run_obj)?;
        Ok(PyErr::from_value(cls.call((message,), Some(&kw))?))
    })()
    .unwrap_or_else(|e| e);
    err.set_cause(py, Some(cause));
    err
}

/// Runs `fut` on the shared runtime with the GIL released, interruptible by Ctrl-C.
fn block<T: Send + 'static>(
    py: Python<'_>,
    phase: Phase,
    fut: impl std::future::Future<Output = Result<T, ControlError>> + Send + 'static,
) -> PyResult<T> {
    super::runtime::block_on_with(py, fut, move |_py, e| control_err(e, phase))
}

fn parse_json(text: &str, what: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

fn secs(value: f64, name: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        PyValueError::new_err(format!("{name} must be a non-negative number of seconds"))
    })
}

fn run_settings(wait: bool, lock_timeout: f64) -> PyResult<RunSettings> {
    Ok(RunSettings {
        wait,
        lock_timeout: secs(lock_timeout, "lock_timeout")?,
        ..RunSettings::default()
    })
}

#[pyclass(module = "do_envsync._native", frozen)]
pub struct NativeControl {
    inner: ControlPlane,
}

#[pymethods]
impl NativeControl {
    #[new]
    fn new(py: Python<'_>, store: PyRef<'_, Store>) -> PyResult<Self> {
        let st = store.inner.clone();
        let inner = py
            .detach(|| ControlPlane::open(st))
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok(Self { inner })
    }

    #[pyo3(signature = (name, token, description, base_url, extra_json))]
    fn create_connection(
        &self,
        py: Python<'_>,
        name: String,
        token: String,
        description: Option<String>,
        base_url: Option<String>,
        extra_json: &str,
    ) -> PyResult<String> {
        let extra = match parse_json(extra_json, "extra fields")? {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let mut input = NewConnection::new(name, token);
        input.description = description;
        input.base_url = base_url;
        input.extra = extra;
        let cp = self.inner.clone();
        let conn = block(py, Phase::Configure, async move {
            cp.create_connection(input).await
        })?;
        Ok(conn.to_json().to_string())
    }

    fn get_connection(&self, py: Python<'_>, id_or_name: &str) -> PyResult<String> {
        py.detach(|| self.inner.get_connection(id_or_name))
            .map(|c| c.to_json().to_string())
            .map_err(|e| control_err(e, Phase::Configure))
    }

    fn list_connections(&self, py: Python<'_>) -> PyResult<String> {
        let list = py
            .detach(|| self.inner.list_connections())
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok(Value::Array(list.iter().map(|c| c.to_json()).collect()).to_string())
    }

    #[pyo3(signature = (id_or_name, patch_json, token))]
    fn update_connection(
        &self,
        py: Python<'_>,
        id_or_name: String,
        patch_json: &str,
        token: Option<String>,
    ) -> PyResult<String> {
        let value = parse_json(patch_json, "connection fields")?;
        let mut patch =
            ConnectionPatch::from_json(&value).map_err(|e| control_err(e, Phase::Configure))?;
        if let Some(token) = token {
            patch.token = Some(token.into());
        }
        let cp = self.inner.clone();
        let conn = block(py, Phase::Configure, async move {
            cp.update_connection(&id_or_name, patch).await
        })?;
        Ok(conn.to_json().to_string())
    }

    fn delete_connection(&self, py: Python<'_>, id_or_name: &str, force: bool) -> PyResult<String> {
        py.detach(|| self.inner.delete_connection(id_or_name, force))
            .map(|c| c.to_json().to_string())
            .map_err(|e| control_err(e, Phase::Configure))
    }

    fn create_sync(
        &self,
        py: Python<'_>,
        spec_json: &str,
        source_json: &str,
        base_dir: PathBuf,
    ) -> PyResult<String> {
        let mut spec = parse_json(spec_json, "sync")?;
        let source = parse_json(source_json, "source")?;
        if let Value::Object(map) = &mut spec {
            map.insert("source".into(), source);
        }
        let input =
            NewSync::from_json(&spec, base_dir).map_err(|e| control_err(e, Phase::Configure))?;
        let cp = self.inner.clone();
        let sync = block(
            py,
            Phase::Configure,
            async move { cp.create_sync(input).await },
        )?;
        Ok(sync.to_json().to_string())
    }

    fn get_sync(&self, py: Python<'_>, id_or_name: &str) -> PyResult<String> {
        py.detach(|| self.inner.get_sync(id_or_name))
            .map(|s| s.to_json().to_string())
            .map_err(|e| control_err(e, Phase::Configure))
    }

    fn list_syncs(&self, py: Python<'_>) -> PyResult<String> {
        let list = py
            .detach(|| self.inner.list_syncs())
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok(Value::Array(list.iter().map(|s| s.to_json()).collect()).to_string())
    }

    #[pyo3(signature = (id_or_name, patch_json, source_json, base_dir))]
    fn update_sync(
        &self,
        py: Python<'_>,
        id_or_name: String,
        patch_json: &str,
        source_json: Option<&str>,
        base_dir: PathBuf,
    ) -> PyResult<String> {
        let mut value = parse_json(patch_json, "sync fields")?;
        if let (Some(src), Value::Object(map)) = (source_json, &mut value) {
            map.insert("source".into(), parse_json(src, "source")?);
        }
        let patch = SyncPatch::from_json(&value, Some(base_dir))
            .map_err(|e| control_err(e, Phase::Configure))?;
        let cp = self.inner.clone();
        let sync = block(py, Phase::Configure, async move {
            cp.update_sync(&id_or_name, patch).await
        })?;
        Ok(sync.to_json().to_string())
    }

    fn delete_sync(&self, py: Python<'_>, id_or_name: &str) -> PyResult<String> {
        py.detach(|| self.inner.delete_sync(id_or_name))
            .map(|s| s.to_json().to_string())
            .map_err(|e| control_err(e, Phase::Configure))
    }

    /// Removes the sync's secrets (one recorded run), then deletes it: (sync, run) JSON.
    fn delete_sync_removing_secrets(
        &self,
        py: Python<'_>,
        id_or_name: String,
        wait: bool,
        lock_timeout: f64,
    ) -> PyResult<(String, String)> {
        let settings = run_settings(wait, lock_timeout)?;
        let cp = self.inner.clone();
        let (sync, run) = block(py, Phase::Run, async move {
            cp.delete_sync_removing_secrets(&id_or_name, &settings)
                .await
        })?;
        Ok((sync.to_json().to_string(), run.to_json().to_string()))
    }

    /// The apps a stored connection can see, page by page (its own token and base URL).
    fn connection_apps(&self, py: Python<'_>, id_or_name: &str) -> PyResult<PageIterator> {
        let pages = py
            .detach(|| self.inner.connection_apps(id_or_name))
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok(PageIterator::new(pages))
    }

    fn plan_sync(&self, py: Python<'_>, id_or_name: String) -> PyResult<NativeSyncPlan> {
        let cp = self.inner.clone();
        let (engine, planned) = block(py, Phase::Run, async move {
            let sync = cp.get_sync(&id_or_name)?;
            let connection = cp.get_connection(&sync.connection_id)?;
            let engine = Engine::new(cp.client_for(&connection)?, cp.store().clone());
            let planned = cp.plan_sync(&id_or_name).await?;
            Ok((engine, planned))
        })?;
        Ok(NativeSyncPlan { engine, planned })
    }

    fn run_sync(
        &self,
        py: Python<'_>,
        id_or_name: String,
        wait: bool,
        lock_timeout: f64,
    ) -> PyResult<String> {
        let settings = run_settings(wait, lock_timeout)?;
        let cp = self.inner.clone();
        let run = block(py, Phase::Run, async move {
            cp.run_sync(&id_or_name, &settings).await
        })?;
        Ok(run.to_json().to_string())
    }

    #[pyo3(signature = (progress, lock_timeout))]
    fn run_all(
        &self,
        py: Python<'_>,
        progress: Option<Py<PyAny>>,
        lock_timeout: f64,
    ) -> PyResult<String> {
        let settings = run_settings(false, lock_timeout)?;
        let cp = self.inner.clone();
        let callback: Option<crate::control::RunAllProgress> = progress.map(|cb| {
            Arc::new(move |done: usize, total: usize| {
                Python::attach(|py| {
                    let _ = cb.call1(py, (done, total));
                });
            }) as crate::control::RunAllProgress
        });
        let runs = block(py, Phase::Run, async move {
            cp.run_all(&settings, callback).await
        })?;
        Ok(Value::Array(runs.iter().map(|r| r.to_json()).collect()).to_string())
    }

    fn remove_secrets(
        &self,
        py: Python<'_>,
        id_or_name: String,
        wait: bool,
        lock_timeout: f64,
    ) -> PyResult<String> {
        let settings = run_settings(wait, lock_timeout)?;
        let cp = self.inner.clone();
        let run = block(py, Phase::Run, async move {
            cp.remove_secrets(&id_or_name, &settings).await
        })?;
        Ok(run.to_json().to_string())
    }

    #[pyo3(signature = (id_or_name, limit=None))]
    fn history(&self, py: Python<'_>, id_or_name: &str, limit: Option<usize>) -> PyResult<String> {
        let runs = py
            .detach(|| self.inner.history(id_or_name, limit))
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok(Value::Array(runs.iter().map(|r| r.to_json()).collect()).to_string())
    }

    /// `[{"connection", "token_env", "base_url"}]`: the file's connections whose token
    /// would go elsewhere than DigitalOcean's API (checked before applying).
    #[staticmethod]
    fn config_custom_base_urls(path: PathBuf) -> PyResult<String> {
        let file = crate::control::ConfigFile::load(&path)
            .map_err(|e| control_err(e, Phase::Configure))?;
        let items: Vec<Value> = file
            .custom_base_urls()
            .into_iter()
            .map(|(name, token_env, base_url)| {
                serde_json::json!({"connection": name, "token_env": token_env, "base_url": base_url})
            })
            .collect();
        Ok(Value::Array(items).to_string())
    }

    fn apply_config(&self, py: Python<'_>, path: PathBuf) -> PyResult<String> {
        let cp = self.inner.clone();
        let report = block(py, Phase::Configure, async move {
            let file = crate::control::ConfigFile::load(&path)?;
            crate::control::apply_config(&cp, &file).await
        })?;
        Ok(report.to_json().to_string())
    }

    /// Blocks until Ctrl-C/SIGTERM (a Python signal handler raising) or `should_stop()`
    /// returns true; then stops after the run in flight and returns the report.
    #[pyo3(signature = (syncs, poll_interval, debounce, drift_interval, repair_drift, on_event, should_stop))]
    #[allow(clippy::too_many_arguments)]
    fn watch(
        &self,
        py: Python<'_>,
        syncs: Option<Vec<String>>,
        poll_interval: f64,
        debounce: f64,
        drift_interval: Option<f64>,
        repair_drift: bool,
        on_event: Option<Py<PyAny>>,
        should_stop: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let settings = WatchSettings {
            poll_interval: secs(poll_interval, "poll_interval")?,
            debounce: secs(debounce, "debounce")?,
            drift_interval: drift_interval
                .map(|d| secs(d, "drift_interval"))
                .transpose()?,
            drift_mode: if repair_drift {
                watch::DriftMode::Repair
            } else {
                watch::DriftMode::Report
            },
            ..WatchSettings::default()
        };
        let cp = self.inner.clone();
        let watched = py
            .detach(|| cp.watched_syncs(syncs.as_deref()))
            .map_err(|e| control_err(e, Phase::Configure))?;
        let events: Arc<dyn Fn(&watch::WatchEvent) + Send + Sync> = match on_event {
            Some(cb) => Arc::new(move |event: &watch::WatchEvent| {
                let line = event.to_string();
                Python::attach(|py| {
                    if let Err(err) = cb.call1(py, (line,)) {
                        err.print(py);
                    }
                });
            }),
            None => Arc::new(|_: &watch::WatchEvent| {}),
        };
        let stop = tokio_util::sync::CancellationToken::new();
        let runner: Arc<dyn watch::WatchRunner> = Arc::new(cp.clone());
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        let token = stop.clone();
        runtime().spawn(async move {
            let report = watch::watch(watched, runner, settings, token, events).await;
            let _ = tx.send(report);
        });
        let mut interrupted = false;
        loop {
            let received = py.detach(|| {
                runtime().block_on(async {
                    tokio::time::timeout(Duration::from_millis(50), &mut rx).await
                })
            });
            match received {
                Ok(Ok(report)) => return Ok(report_json(&report).to_string()),
                Ok(Err(_)) => {
                    return Err(PyRuntimeError::new_err(
                        "the watch task stopped without a report",
                    ))
                }
                Err(_elapsed) => {
                    let asked = match &should_stop {
                        Some(f) => f.call0(py)?.is_truthy(py)?,
                        None => false,
                    };
                    // A signal handler that raises (Ctrl-C, the CLI's SIGTERM) asks for a
                    // clean stop: the run in flight finishes first. A second one aborts.
                    let signalled = py.check_signals().is_err();
                    if signalled && interrupted {
                        stop.cancel();
                        return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err(
                            "watch interrupted twice",
                        ));
                    }
                    if asked || signalled {
                        interrupted |= signalled;
                        stop.cancel();
                    }
                }
            }
        }
    }

    /// Creates a notification target: (target JSON, generated signing secret or None).
    #[pyo3(signature = (name, kind, url, secret, sync, events, dedup_interval, enabled))]
    #[allow(clippy::too_many_arguments)]
    fn create_notify_target(
        &self,
        py: Python<'_>,
        name: String,
        kind: &str,
        url: String,
        secret: Option<String>,
        sync: Option<String>,
        events: Option<Vec<String>>,
        dedup_interval: Option<f64>,
        enabled: Option<bool>,
    ) -> PyResult<(String, Option<String>)> {
        let kind = TargetKind::parse(kind).ok_or_else(|| {
            control_err(
                ControlError::Invalid {
                    field: "type".into(),
                    message: format!("{kind:?} is not one of webhook, slack"),
                },
                Phase::Configure,
            )
        })?;
        let mut input = NewNotifyTarget::new(name, kind, url);
        input.secret = secret.map(SecretString::from);
        input.sync = sync;
        input.events = events.as_deref().map(notify_events).transpose()?;
        input.dedup_interval = dedup_interval
            .map(|d| secs(d, "dedup_interval"))
            .transpose()?;
        input.is_enabled = enabled;
        let (target, generated) = py
            .detach(|| self.inner.create_notify_target(input))
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok((
            target.to_json().to_string(),
            generated.map(|s| s.expose_secret().to_owned()),
        ))
    }

    fn get_notify_target(&self, py: Python<'_>, id_or_name: &str) -> PyResult<String> {
        py.detach(|| self.inner.get_notify_target(id_or_name))
            .map(|t| t.to_json().to_string())
            .map_err(|e| control_err(e, Phase::Configure))
    }

    fn list_notify_targets(&self, py: Python<'_>) -> PyResult<String> {
        let list = py
            .detach(|| self.inner.list_notify_targets())
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok(Value::Array(list.iter().map(|t| t.to_json()).collect()).to_string())
    }

    #[pyo3(signature = (id_or_name, name, url, secret, events, dedup_interval, enabled))]
    #[allow(clippy::too_many_arguments)]
    fn update_notify_target(
        &self,
        py: Python<'_>,
        id_or_name: &str,
        name: Option<String>,
        url: Option<String>,
        secret: Option<String>,
        events: Option<Vec<String>>,
        dedup_interval: Option<f64>,
        enabled: Option<bool>,
    ) -> PyResult<String> {
        let patch = NotifyTargetPatch {
            name,
            url: url.map(SecretString::from),
            secret: secret.map(SecretString::from),
            events: events.as_deref().map(notify_events).transpose()?,
            dedup_interval: dedup_interval
                .map(|d| secs(d, "dedup_interval"))
                .transpose()?,
            is_enabled: enabled,
        };
        py.detach(|| self.inner.update_notify_target(id_or_name, patch))
            .map(|t| t.to_json().to_string())
            .map_err(|e| control_err(e, Phase::Configure))
    }

    fn delete_notify_target(&self, py: Python<'_>, id_or_name: &str) -> PyResult<String> {
        py.detach(|| self.inner.delete_notify_target(id_or_name))
            .map(|t| t.to_json().to_string())
            .map_err(|e| control_err(e, Phase::Configure))
    }

    /// Sends a test event now: `{"delivered", "attempts", "lastError"}`.
    fn test_notify_target(&self, py: Python<'_>, id_or_name: String) -> PyResult<String> {
        let cp = self.inner.clone();
        let outcome = block(py, Phase::Configure, async move {
            cp.test_notify_target(&id_or_name).await
        })?;
        Ok(serde_json::json!({
            "delivered": outcome.delivered,
            "attempts": outcome.attempts,
            "lastError": outcome.last_error,
        })
        .to_string())
    }

    #[pyo3(signature = (sync=None, run_id=None, limit=None))]
    fn list_deliveries(
        &self,
        py: Python<'_>,
        sync: Option<String>,
        run_id: Option<String>,
        limit: Option<usize>,
    ) -> PyResult<String> {
        let list = py
            .detach(|| {
                self.inner
                    .list_deliveries(sync.as_deref(), run_id.as_deref(), limit)
            })
            .map_err(|e| control_err(e, Phase::Configure))?;
        Ok(Value::Array(list.iter().map(|d| d.to_json()).collect()).to_string())
    }

    /// Waits up to `timeout` seconds for background deliveries; returns how many were left
    /// (recorded as abandoned).
    fn flush_notifications(&self, py: Python<'_>, timeout: f64) -> PyResult<usize> {
        let timeout = secs(timeout, "timeout")?;
        let cp = self.inner.clone();
        block(py, Phase::Configure, async move {
            Ok(cp.flush_notifications(timeout).await)
        })
    }

    fn notifications_in_flight(&self) -> usize {
        self.inner.notifications_in_flight()
    }

    #[pyo3(signature = (timeout=None, max_attempts=None, backoff=None))]
    fn set_notify_settings(
        &self,
        timeout: Option<f64>,
        max_attempts: Option<u32>,
        backoff: Option<f64>,
    ) -> PyResult<()> {
        let mut s = self.inner.notify_settings();
        if let Some(t) = timeout {
            s.timeout = secs(t, "timeout")?;
        }
        if let Some(n) = max_attempts {
            s.max_attempts = n.max(1);
        }
        if let Some(b) = backoff {
            s.backoff = secs(b, "backoff")?;
        }
        self.inner.set_notify_settings(s);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("NativeControl(store={:?})", self.inner.store().location())
    }
}

/// `{sync: {started, succeeded, failed, drift_checks, drift_detected, last_error, unwatched}}`.
fn report_json(report: &watch::WatchReport) -> Value {
    let mut out = Map::new();
    for s in &report.syncs {
        out.insert(
            s.name.clone(),
            serde_json::json!({
                "started": s.runs_started,
                "succeeded": s.runs_succeeded,
                "failed": s.runs_failed,
                "drift_checks": s.drift_checks,
                "drift_detected": s.drift_detected,
                "last_error": s.last_error,
                "unwatched": s.unwatched,
            }),
        );
    }
    Value::Object(out)
}

fn notify_events(names: &[String]) -> PyResult<Vec<NotifyEvent>> {
    names
        .iter()
        .map(|n| {
            NotifyEvent::parse(n).ok_or_else(|| {
                control_err(
                    ControlError::Invalid {
                        field: "events".into(),
                        message: format!(
                            "{n:?} is not one of failed, recovered, changed, drift_repaired"
                        ),
                    },
                    Phase::Configure,
                )
            })
        })
        .collect()
}

/// Reads a source once (the CLI's ad hoc `plan`/`apply`): key -> value, in order.
#[pyfunction]
pub fn read_source(
    py: Python<'_>,
    source_json: &str,
    base_dir: PathBuf,
) -> PyResult<Vec<(String, String)>> {
    let value = parse_json(source_json, "source")?;
    let spec = SourceSpec::from_json_in(&value, &base_dir)
        .map_err(|e| Python::attach(|py| source_err(py, &e, Phase::Configure)))?;
    let secrets = super::runtime::block_on_with(
        py,
        async move { spec.read().await },
        |py, e: SourceError| source_err(py, &e, Phase::Run),
    )?;
    Ok(secrets.into_iter().collect())
}
