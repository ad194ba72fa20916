//! The one mapping from the core's error enum to `do_envsync.errors`.
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::client::{ApiError, DatabaseScopeError, Error};

fn build(
    py: Python<'_>,
    class: &str,
    message: String,
    api: Option<&ApiError>,
    status: Option<u16>,
    retry_after: Option<f64>,
) -> PyErr {
    let attempt = || -> PyResult<PyErr> {
        let module = py.import("do_envsync.errors")?;
        let cls = module.getattr(class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("status", api.map(|a| a.status).or(status))?;
        kwargs.set_item("error_id", api.and_then(|a| a.id.clone()))?;
        kwargs.set_item("request_id", api.and_then(|a| a.request_id.clone()))?;
        if class == "RateLimitError" {
            kwargs.set_item("retry_after", retry_after)?;
        }
        let exc = cls.call((message,), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    attempt().unwrap_or_else(|e| e)
}

/// `DatabaseCredentialsScopeError`: DigitalOcean's fields plus the app, its database
/// components, the scopes needed and the one-line summary.
fn database_scope(py: Python<'_>, details: &DatabaseScopeError) -> PyErr {
    let attempt = || -> PyResult<PyErr> {
        let cls = py
            .import("do_envsync.errors")?
            .getattr("DatabaseCredentialsScopeError")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("status", details.error.status)?;
        kwargs.set_item("error_id", details.error.id.clone())?;
        kwargs.set_item("request_id", details.error.request_id.clone())?;
        kwargs.set_item("app_id", details.app_id.clone())?;
        kwargs.set_item("app_name", details.app_name.clone())?;
        kwargs.set_item("databases", details.databases.clone())?;
        kwargs.set_item("required_scopes", details.required_scopes.clone())?;
        kwargs.set_item("summary", details.to_string())?;
        let exc = cls.call((details.error.message.clone(),), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    attempt().unwrap_or_else(|e| e)
}

pub fn to_pyerr(py: Python<'_>, err: Error) -> PyErr {
    let text = err.to_string();
    match &err {
        Error::DatabaseCredentialsScope(details) => database_scope(py, details),
        Error::Authentication(a) => build(
            py,
            "AuthenticationError",
            a.message.clone(),
            Some(a),
            None,
            None,
        ),
        Error::PermissionDenied(a) => build(
            py,
            "PermissionDeniedError",
            a.message.clone(),
            Some(a),
            None,
            None,
        ),
        Error::NotFound(a) => build(py, "NotFoundError", a.message.clone(), Some(a), None, None),
        Error::Validation(a) => build(
            py,
            "ValidationError",
            a.message.clone(),
            Some(a),
            None,
            None,
        ),
        Error::Conflict(a) => build(py, "ConflictError", a.message.clone(), Some(a), None, None),
        Error::RateLimited { error, retry_after } => build(
            py,
            "RateLimitError",
            error.message.clone(),
            Some(error),
            None,
            retry_after.map(|d| d.as_secs_f64()),
        ),
        Error::Server(a) => build(py, "ServerError", a.message.clone(), Some(a), None, None),
        Error::Api(a) => build(
            py,
            "DigitalOceanError",
            a.message.clone(),
            Some(a),
            None,
            None,
        ),
        Error::Transport { .. } => build(py, "TransportError", text, None, None, None),
        Error::Decode { status, .. } => build(py, "DecodeError", text, None, Some(*status), None),
        Error::OffOrigin { .. } | Error::PageLimit { .. } => {
            build(py, "DigitalOceanError", text, None, None, None)
        }
        Error::Config(_) => PyValueError::new_err(text),
        #[allow(unreachable_patterns)]
        _ => PyRuntimeError::new_err(text),
    }
}
