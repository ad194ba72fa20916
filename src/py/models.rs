//! Model checks and spec format conversion for `do_envsync.models`.
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::client::OPERATIONS;
use crate::models::{roundtrip_schema, AppSpec};

/// Checks a JSON document against the typed model of `schema`; raises ValueError if it
/// does not fit.
#[pyfunction]
pub fn check_model(py: Python<'_>, schema: &str, data_json: &str) -> PyResult<()> {
    let value: serde_json::Value = serde_json::from_str(data_json)
        .map_err(|e| PyValueError::new_err(format!("not valid JSON: {e}")))?;
    let schema = schema.to_string();
    py.detach(move || match roundtrip_schema(&schema, value) {
        None => Err(PyValueError::new_err(format!("unknown schema {schema:?}"))),
        Some(Err(e)) => Err(PyValueError::new_err(format!("does not fit {schema}: {e}"))),
        Some(Ok(_)) => Ok(()),
    })
}

/// `.do/app.yaml` text to JSON text (key order kept).
#[pyfunction]
pub fn spec_yaml_to_json(text: &str) -> PyResult<String> {
    let spec = AppSpec::from_yaml_str(text).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(spec.to_json_string(false))
}

/// JSON text of an app spec to YAML text (key order kept).
#[pyfunction]
pub fn spec_json_to_yaml(text: &str) -> PyResult<String> {
    let spec = AppSpec::from_json_str(text).map_err(|e| PyValueError::new_err(e.to_string()))?;
    spec.to_yaml_string()
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Every operation: (name, method, path, retry_safe, list_key).
#[pyfunction]
pub fn operations() -> Vec<(String, String, String, bool, Option<String>)> {
    OPERATIONS
        .iter()
        .map(|op| {
            (
                op.name.to_string(),
                op.method.to_string(),
                op.path.to_string(),
                op.retry_safe,
                op.list_key.map(str::to_string),
            )
        })
        .collect()
}

/// Whether `body` has a run of 19 or more ASCII digits: see
/// [`crate::models::has_long_digit_run`].
#[pyfunction]
pub fn has_long_digit_run(body: &[u8]) -> bool {
    crate::models::has_long_digit_run(body)
}
