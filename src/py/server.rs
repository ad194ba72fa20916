//! Bindings of `do-envsync serve`: run the server on the shared runtime with the GIL
//! released, and manage its API keys. No logic here beyond argument conversion.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use serde_json::json;

use super::runtime::runtime;
use super::sync::{store_err, Store};
use crate::server::{self, keys, ServeConfig};

fn key_err(e: keys::KeyError) -> PyErr {
    match e {
        keys::KeyError::Store(e) => store_err(e),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// Serves until SIGINT/SIGTERM (a Python signal handler raising) or `should_stop()`;
/// then requests and runs in flight finish and it returns. A second signal aborts.
/// `on_ready(address, https)` is called once connections are accepted.
#[pyfunction]
#[pyo3(signature = (store, bind, tls_cert, tls_key, insecure_behind_proxy, infisical_url, auto_sync, poll_interval, on_ready, should_stop))]
#[allow(clippy::too_many_arguments)]
pub fn serve(
    py: Python<'_>,
    store: PyRef<'_, Store>,
    bind: &str,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    insecure_behind_proxy: bool,
    infisical_url: Option<String>,
    auto_sync: bool,
    poll_interval: f64,
    on_ready: Option<Py<PyAny>>,
    should_stop: Option<Py<PyAny>>,
) -> PyResult<()> {
    let addr: SocketAddr = bind.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "--bind {bind:?}: expected HOST:PORT with an IP address, e.g. 127.0.0.1:8080"
        ))
    })?;
    let mut config = ServeConfig::new(addr);
    config.tls = match (tls_cert, tls_key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => {
            return Err(PyValueError::new_err(
                "--tls-cert and --tls-key go together",
            ))
        }
    };
    config.insecure_behind_proxy = insecure_behind_proxy;
    config.infisical_url = infisical_url;
    config.auto_sync = auto_sync;
    config.poll_interval = Duration::try_from_secs_f64(poll_interval)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            PyValueError::new_err("poll_interval must be a positive number of seconds")
        })?;
    server::check_bind(&config).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let st = store.inner.clone();
    let stop = tokio_util::sync::CancellationToken::new();
    let (ready_tx, mut ready_rx) = tokio::sync::oneshot::channel::<(SocketAddr, bool)>();
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel();
    let token = stop.clone();
    runtime().spawn(async move {
        let result = server::serve(st, config, token, move |addr, https| {
            let _ = ready_tx.send((addr, https));
        })
        .await;
        let _ = done_tx.send(result);
    });
    let mut ready_reported = false;
    let mut interrupted = false;
    loop {
        let finished = py.detach(|| {
            runtime().block_on(async {
                tokio::time::timeout(Duration::from_millis(50), &mut done_rx).await
            })
        });
        match finished {
            Ok(Ok(Ok(()))) => return Ok(()),
            Ok(Ok(Err(e))) => return Err(PyRuntimeError::new_err(e.to_string())),
            Ok(Err(_)) => {
                return Err(PyRuntimeError::new_err(
                    "the server task stopped without an answer",
                ))
            }
            Err(_elapsed) => {}
        }
        if !ready_reported {
            if let Ok((addr, https)) = ready_rx.try_recv() {
                ready_reported = true;
                if let Some(cb) = &on_ready {
                    cb.call1(py, (addr.to_string(), https))?;
                }
            }
        }
        let asked = match &should_stop {
            Some(f) => f.call0(py)?.is_truthy(py)?,
            None => false,
        };
        let signalled = py.check_signals().is_err();
        if signalled && interrupted {
            stop.cancel();
            return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err(
                "serve interrupted twice",
            ));
        }
        if asked || signalled {
            interrupted |= signalled;
            stop.cancel();
        }
    }
}

/// Creates an API key: returns (record JSON, key). The key is not stored.
#[pyfunction]
pub fn api_key_create(
    py: Python<'_>,
    store: PyRef<'_, Store>,
    name: String,
) -> PyResult<(String, String)> {
    let st = store.inner.clone();
    let (rec, key) = py.detach(|| keys::create(&st, &name)).map_err(key_err)?;
    Ok((record_json(&rec).to_string(), key))
}

/// Every key's name, id and dates (JSON list).
#[pyfunction]
pub fn api_key_list(py: Python<'_>, store: PyRef<'_, Store>) -> PyResult<String> {
    let st = store.inner.clone();
    let all = py.detach(|| st.list_api_keys()).map_err(store_err)?;
    Ok(serde_json::Value::Array(all.iter().map(record_json).collect()).to_string())
}

/// Deletes the key named `name` (ValueError when there is none).
#[pyfunction]
pub fn api_key_revoke(py: Python<'_>, store: PyRef<'_, Store>, name: String) -> PyResult<()> {
    let st = store.inner.clone();
    py.detach(|| keys::revoke(&st, &name)).map_err(key_err)
}

fn record_json(rec: &crate::store::ApiKeyRecord) -> serde_json::Value {
    json!({
        "name": rec.name,
        "id": rec.id,
        "createdAt": rec.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}
