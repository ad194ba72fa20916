//! One tokio runtime for the process (pyo3-async-runtimes'), shared by both clients.
use std::future::Future;
use std::time::Duration;

use pyo3::prelude::*;

pub fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// How often a blocked call wakes up to let Python handle signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `fut` on the shared runtime with the GIL released; a pending KeyboardInterrupt
/// (or any signal handler raising) cancels the future and propagates.
pub fn block_on<T, E, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Into<crate::client::Error> + Send + 'static,
{
    block_on_with(py, fut, |py, e: E| super::errors::to_pyerr(py, e.into()))
}

/// [`block_on`] with the caller's mapping of the future's error to a Python exception.
pub fn block_on_with<T, E, F>(
    py: Python<'_>,
    fut: F,
    to_pyerr: impl Fn(Python<'_>, E) -> PyErr,
) -> PyResult<T>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let task = runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    loop {
        let received = py.detach(|| {
            runtime().block_on(async { tokio::time::timeout(SIGNAL_POLL, &mut rx).await })
        });
        match received {
            Ok(Ok(result)) => return result.map_err(|e| to_pyerr(py, e)),
            Ok(Err(_closed)) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "the background task stopped without a result",
                ))
            }
            Err(_elapsed) => {
                if let Err(err) = py.check_signals() {
                    task.abort();
                    return Err(err);
                }
            }
        }
    }
}
