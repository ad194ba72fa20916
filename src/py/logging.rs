//! The core's `tracing` events in Python's `logging`: tracing's `log` feature turns each event
//! into a `log` record (no tracing subscriber is installed in the extension), and pyo3-log
//! hands it to the logger named after the Rust module (`do_envsync::client::retry` becomes
//! `do_envsync.client.retry`).
//!
//! Loggers and their effective levels are cached, so an event whose level Python has disabled
//! costs a cache lookup and never takes the GIL. The price: a level changed after the first
//! event is seen only after [`refresh_logging`].
use std::sync::OnceLock;

use pyo3::prelude::*;

static RESET: OnceLock<pyo3_log::ResetHandle> = OnceLock::new();

/// Installs the bridge (once per process; a second extension import keeps the first).
pub fn install(py: Python<'_>) -> PyResult<()> {
    if RESET.get().is_some() {
        return Ok(());
    }
    // Only this crate's events: the HTTP stack's own `log` records (connection pools, TLS)
    // would only be noise under other names, each costing the GIL. DEBUG is the ceiling: the
    // core has no TRACE events.
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?
        .filter(log::LevelFilter::Off)
        .filter_target("do_envsync".to_owned(), log::LevelFilter::Debug);
    // Another extension may own the process's `log` logger; then ours stays silent.
    if let Ok(handle) = logger.install() {
        let _ = RESET.set(handle);
    }
    Ok(())
}

/// Forgets the cached loggers and levels, so that levels or handlers changed since the last
/// event take effect.
#[pyfunction]
pub fn refresh_logging() {
    if let Some(handle) = RESET.get() {
        handle.reset();
    }
}
