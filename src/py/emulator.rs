//! `_native.Emulator`: the in-process App Platform emulator.
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::emulator::{self, EmulatorConfig, Fault, FaultKind};

#[pyclass(module = "do_envsync._native", subclass, frozen)]
pub struct Emulator {
    inner: emulator::Emulator,
}

fn secs(value: f64, name: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        PyValueError::new_err(format!("{name} must be a non-negative number of seconds"))
    })
}

fn window(value: f64, name: &str) -> PyResult<Duration> {
    match Duration::try_from_secs_f64(value) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(PyValueError::new_err(format!(
            "{name} must be a positive number of seconds"
        ))),
    }
}

#[pymethods]
impl Emulator {
    #[new]
    #[pyo3(signature = (*, port=0, token=None, burst_limit=250, hourly_limit=5000, phase_duration=0.3, latency=0.0, burst_window=60.0, hourly_window=3600.0, token_scopes=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        port: u16,
        token: Option<String>,
        burst_limit: u32,
        hourly_limit: u32,
        phase_duration: f64,
        latency: f64,
        burst_window: f64,
        hourly_window: f64,
        token_scopes: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let mut config = EmulatorConfig {
            port,
            burst_limit,
            hourly_limit,
            burst_window: window(burst_window, "burst_window")?,
            hourly_window: window(hourly_window, "hourly_window")?,
            phase_duration: secs(phase_duration, "phase_duration")?,
            latency: secs(latency, "latency")?,
            token_scopes,
            ..EmulatorConfig::default()
        };
        if let Some(token) = token {
            config.token = token;
        }
        let inner = py
            .detach(|| emulator::Emulator::start(config))
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::InvalidInput => PyValueError::new_err(e.to_string()),
                _ => PyRuntimeError::new_err(format!("emulator failed to start: {e}")),
            })?;
        Ok(Self { inner })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url()
    }

    #[getter]
    fn token(&self) -> String {
        self.inner.token()
    }

    #[getter]
    fn port(&self) -> u16 {
        self.inner.port()
    }

    /// A new token with these scopes (`None`: full access).
    #[pyo3(signature = (scopes=None))]
    fn add_token(&self, scopes: Option<Vec<String>>) -> PyResult<String> {
        self.inner
            .add_token(scopes.as_deref())
            .map_err(PyValueError::new_err)
    }

    fn stop(&self, py: Python<'_>) {
        py.detach(|| self.inner.stop())
    }

    fn reset(&self) {
        self.inner.reset()
    }

    fn requests_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.requests())
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    fn clear_requests(&self) {
        self.inner.clear_requests()
    }

    #[pyo3(signature = (method=None, path=None))]
    fn request_count(&self, method: Option<&str>, path: Option<&str>) -> usize {
        self.inner.request_count(method, path)
    }

    fn deployment_count(&self, app_id: &str) -> usize {
        self.inner.deployment_count(app_id)
    }

    #[pyo3(signature = (kind, *, method=None, path=None, status=None, retry_after=None, body=None, delay=None, url=None, count=None, after=0, reset_in=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_fault(
        &self,
        kind: &str,
        method: Option<String>,
        path: Option<String>,
        status: Option<u16>,
        retry_after: Option<u64>,
        body: Option<String>,
        delay: Option<f64>,
        url: Option<String>,
        count: Option<u32>,
        after: u32,
        reset_in: Option<u64>,
    ) -> PyResult<u64> {
        let kind = match kind {
            "status" => FaultKind::Status {
                status: status.ok_or_else(|| PyValueError::new_err("a 'status' fault needs status="))?,
                retry_after,
                body,
            },
            "delay" => FaultKind::Delay(secs(
                delay.ok_or_else(|| PyValueError::new_err("a 'delay' fault needs delay="))?,
                "delay",
            )?),
            "reset" => FaultKind::Reset,
            "malformed" => FaultKind::Malformed,
            "off_origin_next" => FaultKind::OffOriginNext {
                url: url.unwrap_or_else(|| "http://203.0.113.7/v2/apps?page=2".to_string()),
            },
            "apply_then_reset" => FaultKind::ApplyThenReset,
            "rate_limited" => FaultKind::RateLimited {
                retry_after,
                reset_in,
            },
            "remaining_zero" => FaultKind::RemainingZero { reset_in },
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown fault kind {other:?}: expected status, delay, reset, malformed, off_origin_next, apply_then_reset, rate_limited or remaining_zero"
                )))
            }
        };
        Ok(self.inner.add_fault(Fault {
            method,
            path_pattern: path,
            kind,
            count,
            after,
        }))
    }

    fn clear_faults(&self) {
        self.inner.clear_faults()
    }

    fn reveal_secret(&self, ev: &str) -> Option<String> {
        self.inner.reveal_secret(ev)
    }

    #[pyo3(signature = (burst, hourly, *, burst_window=None, hourly_window=None))]
    fn set_rate_limits(
        &self,
        burst: u32,
        hourly: u32,
        burst_window: Option<f64>,
        hourly_window: Option<f64>,
    ) -> PyResult<()> {
        let (old_burst, old_hourly) = self.inner.rate_windows();
        let burst_window = burst_window
            .map(|w| window(w, "burst_window"))
            .transpose()?
            .unwrap_or(old_burst);
        let hourly_window = hourly_window
            .map(|w| window(w, "hourly_window"))
            .transpose()?
            .unwrap_or(old_hourly);
        self.inner.set_rate_limits(burst, hourly);
        self.inner.set_rate_windows(burst_window, hourly_window);
        Ok(())
    }

    fn fail_next_deployment(&self, app_id: &str) {
        self.inner.fail_next_deployment(app_id)
    }

    #[pyo3(signature = (app_id, cause=None))]
    fn start_push_deployment_json(&self, app_id: &str, cause: Option<&str>) -> PyResult<String> {
        let d = self
            .inner
            .start_push_deployment(app_id, cause)
            .map_err(PyValueError::new_err)?;
        Ok(d.to_string())
    }

    fn finish_deployment_json(&self, app_id: &str, deployment_id: &str) -> PyResult<String> {
        let d = self
            .inner
            .finish_deployment(app_id, deployment_id)
            .map_err(PyValueError::new_err)?;
        Ok(d.to_string())
    }

    fn seed_app_json(&self, spec_json: &str) -> PyResult<String> {
        let spec: serde_json::Value = serde_json::from_str(spec_json)
            .map_err(|e| PyValueError::new_err(format!("spec is not valid JSON: {e}")))?;
        let app = self.inner.seed_app(spec).map_err(PyValueError::new_err)?;
        Ok(app.to_string())
    }

    fn apps_json(&self) -> String {
        self.inner.apps_json().to_string()
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*args))]
    fn __exit__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) {
        let _ = args;
        py.detach(|| self.inner.stop())
    }

    fn __repr__(&self) -> String {
        format!("Emulator(base_url={:?})", self.inner.base_url())
    }
}

/// `_native.InfisicalStandIn`: a local stand-in for Infisical's secrets API.
#[pyclass(module = "do_envsync._native", subclass, frozen)]
pub struct InfisicalStandIn {
    inner: crate::emulator::infisical::InfisicalStandIn,
}

#[pymethods]
impl InfisicalStandIn {
    #[new]
    #[pyo3(signature = (*, port=0, client_id=None, client_secret=None, project_id=None))]
    fn new(
        py: Python<'_>,
        port: u16,
        client_id: Option<String>,
        client_secret: Option<String>,
        project_id: Option<String>,
    ) -> PyResult<Self> {
        let config = crate::emulator::infisical::InfisicalConfig {
            port,
            client_id: client_id.unwrap_or_default(),
            client_secret: client_secret.unwrap_or_default(),
            project_id: project_id.unwrap_or_default(),
            ..Default::default()
        };
        let inner = py
            .detach(|| crate::emulator::infisical::InfisicalStandIn::start(config))
            .map_err(|e| {
                PyRuntimeError::new_err(format!("Infisical stand-in failed to start: {e}"))
            })?;
        Ok(Self { inner })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url()
    }

    #[getter]
    fn client_id(&self) -> String {
        self.inner.client_id()
    }

    #[getter]
    fn client_secret(&self) -> String {
        self.inner.client_secret()
    }

    #[getter]
    fn project_id(&self) -> String {
        self.inner.project_id()
    }

    fn set_secret(&self, environment: &str, path: &str, key: &str, value: &str) -> PyResult<()> {
        self.inner
            .set_secret(environment, path, key, value)
            .map_err(PyValueError::new_err)
    }

    fn remove_secret(&self, environment: &str, path: &str, key: &str) -> bool {
        self.inner.remove_secret(environment, path, key)
    }

    fn revoke_tokens(&self) {
        self.inner.revoke_tokens()
    }

    fn request_count(&self) -> usize {
        self.inner.requests()
    }

    fn stop(&self, py: Python<'_>) {
        py.detach(|| self.inner.stop())
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*args))]
    fn __exit__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) {
        let _ = args;
        py.detach(|| self.inner.stop())
    }

    fn __repr__(&self) -> String {
        format!("InfisicalStandIn(base_url={:?})", self.inner.base_url())
    }
}
