//! One tokio runtime for the process, shared by both clients and handed to
//! pyo3-async-runtimes for the awaitables.
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

pub fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("do-envsync")
            .worker_threads(worker_threads())
            .build()
            .expect("building the tokio runtime")
    })
}

/// The work on the runtime is I/O and small parses, which one thread keeps up with; more
/// idle workers only add wake-ups (a sequential `apps.get` cost ~1.5x the CPU with one
/// worker per core). `DO_ENVSYNC_WORKER_THREADS` sets another count.
fn worker_threads() -> usize {
    std::env::var("DO_ENVSYNC_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
}

/// Hands our runtime to pyo3-async-runtimes (called once, at module import).
pub fn install() {
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime());
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
