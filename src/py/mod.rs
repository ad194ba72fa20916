//! PyO3 bindings: thin wrappers that copy arguments into owned Rust values, release the GIL
//! and call the core. Nothing here holds logic of its own.
use pyo3::prelude::*;

mod client;
mod control;
mod emulator;
mod errors;
mod logging;
mod models;
mod runtime;
mod server;
mod sync;

// Rust's allocations in the extension (plans, JSON, HTTP) go through mimalloc: many small
// allocations, where glibc malloc took ~40% of a plan. Python's own objects are unaffected.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::install();
    logging::install(m.py())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Benchmarks flag figures measured on a debug build.
    m.add("__debug_build__", cfg!(debug_assertions))?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativeAsyncClient>()?;
    m.add_class::<client::PageIterator>()?;
    m.add_class::<client::AsyncPageIterator>()?;
    m.add_class::<emulator::Emulator>()?;
    m.add_class::<sync::Store>()?;
    m.add_class::<sync::NativeSyncPlan>()?;
    m.add_class::<control::NativeControl>()?;
    m.add_class::<emulator::InfisicalStandIn>()?;
    m.add_function(wrap_pyfunction!(control::read_source, m)?)?;
    m.add_function(wrap_pyfunction!(server::serve, m)?)?;
    m.add_function(wrap_pyfunction!(server::api_key_create, m)?)?;
    m.add_function(wrap_pyfunction!(server::api_key_list, m)?)?;
    m.add_function(wrap_pyfunction!(server::api_key_revoke, m)?)?;
    m.add_function(wrap_pyfunction!(models::check_model, m)?)?;
    m.add_function(wrap_pyfunction!(models::spec_yaml_to_json, m)?)?;
    m.add_function(wrap_pyfunction!(models::spec_json_to_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(models::operations, m)?)?;
    m.add_function(wrap_pyfunction!(models::has_long_digit_run, m)?)?;
    m.add_function(wrap_pyfunction!(sync::plan_offline, m)?)?;
    m.add_function(wrap_pyfunction!(client::decode_error, m)?)?;
    m.add_function(wrap_pyfunction!(logging::refresh_logging, m)?)?;
    Ok(())
}
