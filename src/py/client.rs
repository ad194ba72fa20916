//! `NativeClient` / `NativeAsyncClient` and their page iterators.
//!
//! Bodies cross the boundary as JSON bytes: Python encodes and decodes them with its C json
//! module, which keeps key order and so keeps GET -> PUT byte-identical.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pyo3::exceptions::{PyStopAsyncIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use tokio::sync::Mutex;

use super::errors::to_pyerr;
use super::runtime::{block_on, runtime};
use super::sync::{
    desired_from, fleet_report_py, fleet_settings, fleet_targets, outcome_json, run_blocking,
    sync_err, DeployingArgs, FleetReportPy, FleetTarget, NativeSyncPlan, OptionArgs, SecretTuple,
    SettingsArgs, Store,
};
use crate::client::{operation, Client, Error, Operation, PageItems, PrefetchPages, RetryConfig};
use crate::sync::Engine;

fn build_client(
    token: Option<String>,
    base_url: Option<String>,
    timeout: Option<f64>,
    max_attempts: Option<u32>,
    retry_budget: Option<f64>,
    pacing: bool,
    burst_limit: Option<u32>,
) -> PyResult<Client> {
    let mut builder = Client::builder().pacing(pacing);
    if let Some(limit) = burst_limit {
        if limit == 0 {
            return Err(PyValueError::new_err("burst_limit must be at least 1"));
        }
        builder = builder.burst_limit(Some((limit, Duration::from_secs(60))));
    }
    if let Some(token) = token {
        builder = builder.token(token);
    }
    if let Some(url) = base_url {
        builder = builder.base_url(&url);
    }
    if let Some(t) = timeout {
        builder = builder.timeout(secs(t, "timeout")?);
    }
    if max_attempts.is_some() || retry_budget.is_some() {
        let mut retry = RetryConfig::default();
        if let Some(n) = max_attempts {
            if n == 0 {
                return Err(PyValueError::new_err("max_attempts must be at least 1"));
            }
            retry.max_attempts = n;
        }
        if let Some(b) = retry_budget {
            retry.total_budget = secs(b, "retry_budget")?;
        }
        builder = builder.retry(retry);
    }
    // Building never does I/O, but reqwest wants a runtime context for its connector.
    let _guard = runtime().enter();
    builder
        .build()
        .map_err(|e| Python::attach(|py| to_pyerr(py, e)))
}

fn secs(value: f64, name: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        PyValueError::new_err(format!("{name} must be a non-negative number of seconds"))
    })
}

fn op(name: &str) -> PyResult<&'static Operation> {
    operation(name).ok_or_else(|| PyValueError::new_err(format!("unknown operation {name:?}")))
}

type Query = Vec<(String, String)>;

async fn call(
    client: Client,
    op: &'static Operation,
    path: HashMap<String, String>,
    query: Query,
    body: Option<Vec<u8>>,
) -> Result<Bytes, Error> {
    let params: Vec<(&str, &str)> = path.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let resp = client
        .send(op, &params, &query, body.map(Bytes::from))
        .await?;
    // Not parsed here: Python decodes it (see `decode_error`).
    Ok(resp.body)
}

async fn raw_request(
    client: Client,
    method: String,
    path: String,
    query: Query,
    body: Option<Vec<u8>>,
) -> Result<Bytes, Error> {
    let method = http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Error::Config(format!("invalid HTTP method {method:?}")))?;
    let resp = client
        .request(method, &path, &query, body.map(Bytes::from))
        .await?;
    Ok(resp.body)
}

/// The `DecodeError` for a 2xx body Python could not decode: serde_json's message and a
/// short masked excerpt, never the whole body.
#[pyfunction]
pub fn decode_error(py: Python<'_>, body: &[u8]) -> Py<PyAny> {
    let error = match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Err(e) => Error::decode(200, &e, body, None),
        Ok(_) => Error::Decode {
            status: 200,
            message: "a number in the body cannot be represented".to_owned(),
            excerpt: crate::client::excerpt(body),
            request_id: None,
        },
    };
    to_pyerr(py, error).into_value(py).into_any()
}

fn rate_limit(client: &Client) -> Option<(u32, u32, u64)> {
    client.rate_limit().map(|r| (r.limit, r.remaining, r.reset))
}

/// A response body for an awaitable: it becomes `bytes` when pyo3-async-runtimes resolves
/// the Python future, under the GIL it takes for that anyway, so the runtime worker that
/// finished the request never blocks waiting for the GIL (one acquisition per request
/// instead of two; under concurrency the workers kept stalling on it).
struct BodyBytes(Bytes);

impl<'py> IntoPyObject<'py> for BodyBytes {
    type Target = PyBytes;
    type Output = Bound<'py, PyBytes>;
    type Error = std::convert::Infallible;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(PyBytes::new(py, &self.0))
    }
}

/// A page's items for Python: one `bytes` of JSON per item, so each is decoded only when
/// the iteration reaches it and the page never exists as one large Python object.
struct ItemList(PageItems);

impl<'py> IntoPyObject<'py> for ItemList {
    type Target = PyList;
    type Output = Bound<'py, PyList>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        PyList::new(py, self.0.items().map(|item| PyBytes::new(py, item)))
    }
}

#[pyclass(module = "do_envsync._native", frozen)]
pub struct NativeClient {
    client: Client,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (token=None, *, base_url=None, timeout=None, max_attempts=None, retry_budget=None, pacing=true, burst_limit=None))]
    fn new(
        token: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        max_attempts: Option<u32>,
        retry_budget: Option<f64>,
        pacing: bool,
        burst_limit: Option<u32>,
    ) -> PyResult<Self> {
        let client = build_client(
            token,
            base_url,
            timeout,
            max_attempts,
            retry_budget,
            pacing,
            burst_limit,
        )?;
        Ok(Self { client })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.client.base_url().to_string()
    }

    fn rate_limit(&self) -> Option<(u32, u32, u64)> {
        rate_limit(&self.client)
    }

    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        path: HashMap<String, String>,
        query: Query,
        body: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let body = block_on(
            py,
            call(self.client.clone(), self::op(op)?, path, query, body),
        )?;
        Ok(PyBytes::new(py, &body))
    }

    fn request<'py>(
        &self,
        py: Python<'py>,
        method: String,
        path: String,
        query: Query,
        body: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let body = block_on(
            py,
            raw_request(self.client.clone(), method, path, query, body),
        )?;
        Ok(PyBytes::new(py, &body))
    }

    fn pages(
        &self,
        op: &str,
        path: HashMap<String, String>,
        query: Query,
    ) -> PyResult<PageIterator> {
        let params: Vec<(&str, &str)> =
            path.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let pages = self.client.pages(self::op(op)?, &params, &query);
        Ok(PageIterator::new(pages))
    }

    #[pyo3(signature = (app_id, secrets, store, *, environment=None, key_schema=None, disable_secret_deletion=false, initial_sync_behavior=None, components=None, var_type=None, scope=None, if_deploying=None, deploy_wait_timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn plan_sync(
        &self,
        py: Python<'_>,
        app_id: String,
        secrets: Vec<SecretTuple>,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        disable_secret_deletion: bool,
        initial_sync_behavior: Option<String>,
        components: Option<Vec<String>>,
        var_type: Option<String>,
        scope: Option<String>,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
    ) -> PyResult<NativeSyncPlan> {
        let desired = desired_from(secrets)?;
        let options = OptionArgs {
            environment,
            key_schema,
            disable_secret_deletion,
            initial_sync_behavior,
            components,
            var_type,
            scope,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
        }
        .build()?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        let e = engine.clone();
        let planned = run_blocking(py, async move { e.plan(&app_id, desired, options).await })?;
        Ok(NativeSyncPlan { engine, planned })
    }

    #[pyo3(signature = (app_id, secrets, store, *, environment=None, key_schema=None, disable_secret_deletion=false, initial_sync_behavior=None, components=None, var_type=None, scope=None, if_deploying=None, deploy_wait_timeout=None, wait=false, rollback_on_failure=false, progress=None, lock_timeout=30.0))]
    #[allow(clippy::too_many_arguments)]
    fn sync(
        &self,
        py: Python<'_>,
        app_id: String,
        secrets: Vec<SecretTuple>,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        disable_secret_deletion: bool,
        initial_sync_behavior: Option<String>,
        components: Option<Vec<String>>,
        var_type: Option<String>,
        scope: Option<String>,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
        wait: bool,
        rollback_on_failure: bool,
        progress: Option<Py<PyAny>>,
        lock_timeout: f64,
    ) -> PyResult<String> {
        let desired = desired_from(secrets)?;
        let options = OptionArgs {
            environment,
            key_schema,
            disable_secret_deletion,
            initial_sync_behavior,
            components,
            var_type,
            scope,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
        }
        .build()?;
        let settings = SettingsArgs {
            wait,
            rollback_on_failure,
            replan: false,
            progress,
            lock_timeout,
        }
        .build()?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        let outcome = run_blocking(py, async move {
            engine.sync(&app_id, desired, options, &settings).await
        })?;
        Ok(outcome_json(&outcome))
    }

    #[pyo3(signature = (app_id, store, *, environment=None, key_schema=None, components=None, wait=false, lock_timeout=30.0, if_deploying=None, deploy_wait_timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn remove_synced(
        &self,
        py: Python<'_>,
        app_id: String,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        components: Option<Vec<String>>,
        wait: bool,
        lock_timeout: f64,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
    ) -> PyResult<String> {
        let options = OptionArgs {
            environment,
            key_schema,
            components,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
            ..OptionArgs::default()
        }
        .build()?;
        let settings = SettingsArgs {
            wait,
            rollback_on_failure: false,
            replan: false,
            progress: None,
            lock_timeout,
        }
        .build()?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        let outcome = run_blocking(py, async move {
            engine.remove_synced(&app_id, options, &settings).await
        })?;
        Ok(outcome_json(&outcome))
    }

    #[pyo3(signature = (targets, store, *, environment=None, key_schema=None, disable_secret_deletion=false, initial_sync_behavior=None, components=None, var_type=None, scope=None, if_deploying=None, deploy_wait_timeout=None, concurrency=8, progress=None, lock_timeout=30.0))]
    #[allow(clippy::too_many_arguments)]
    fn sync_fleet(
        &self,
        py: Python<'_>,
        targets: Vec<FleetTarget>,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        disable_secret_deletion: bool,
        initial_sync_behavior: Option<String>,
        components: Option<Vec<String>>,
        var_type: Option<String>,
        scope: Option<String>,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
        concurrency: usize,
        progress: Option<Py<PyAny>>,
        lock_timeout: f64,
    ) -> PyResult<FleetReportPy> {
        let targets = fleet_targets(targets)?;
        let options = OptionArgs {
            environment,
            key_schema,
            disable_secret_deletion,
            initial_sync_behavior,
            components,
            var_type,
            scope,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
        }
        .build()?;
        let settings = fleet_settings(concurrency, lock_timeout, progress)?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        let report = run_blocking(py, async move {
            engine.sync_fleet(targets, options, settings).await
        })?;
        Ok(fleet_report_py(report))
    }

    fn __repr__(&self) -> String {
        format!(
            "NativeClient(base_url={:?})",
            self.client.base_url().as_str()
        )
    }
}

#[pyclass(module = "do_envsync._native", frozen)]
pub struct PageIterator {
    pages: Arc<Mutex<PrefetchPages>>,
}

impl PageIterator {
    /// A lazy page iterator over `pages` (reading ahead from the second page on).
    pub(super) fn new(pages: crate::client::Pages) -> Self {
        Self {
            pages: Arc::new(Mutex::new(PrefetchPages::new(pages))),
        }
    }
}

#[pymethods]
impl PageIterator {
    #[getter]
    fn pages_fetched(&self) -> usize {
        self.pages
            .try_lock()
            .map(|p| p.pages_delivered())
            .unwrap_or(0)
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let pages = self.pages.clone();
        let page = block_on(py, async move { pages.lock().await.next().await })?;
        page.map(|items| ItemList(items).into_pyobject(py))
            .transpose()
    }
}

#[pyclass(module = "do_envsync._native", frozen)]
pub struct NativeAsyncClient {
    client: Client,
}

#[pymethods]
impl NativeAsyncClient {
    #[new]
    #[pyo3(signature = (token=None, *, base_url=None, timeout=None, max_attempts=None, retry_budget=None, pacing=true, burst_limit=None))]
    fn new(
        token: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        max_attempts: Option<u32>,
        retry_budget: Option<f64>,
        pacing: bool,
        burst_limit: Option<u32>,
    ) -> PyResult<Self> {
        let client = build_client(
            token,
            base_url,
            timeout,
            max_attempts,
            retry_budget,
            pacing,
            burst_limit,
        )?;
        Ok(Self { client })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.client.base_url().to_string()
    }

    fn rate_limit(&self) -> Option<(u32, u32, u64)> {
        rate_limit(&self.client)
    }

    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        path: HashMap<String, String>,
        query: Query,
        body: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = call(self.client.clone(), self::op(op)?, path, query, body);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            match fut.await {
                Ok(body) => Ok(BodyBytes(body)),
                Err(e) => Err(Python::attach(|py| to_pyerr(py, e))),
            }
        })
    }

    fn request<'py>(
        &self,
        py: Python<'py>,
        method: String,
        path: String,
        query: Query,
        body: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fut = raw_request(self.client.clone(), method, path, query, body);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            match fut.await {
                Ok(body) => Ok(BodyBytes(body)),
                Err(e) => Err(Python::attach(|py| to_pyerr(py, e))),
            }
        })
    }

    fn pages(
        &self,
        op: &str,
        path: HashMap<String, String>,
        query: Query,
    ) -> PyResult<AsyncPageIterator> {
        let params: Vec<(&str, &str)> =
            path.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let pages = self.client.pages(self::op(op)?, &params, &query);
        Ok(AsyncPageIterator {
            pages: Arc::new(Mutex::new(PrefetchPages::new(pages))),
        })
    }

    #[pyo3(signature = (app_id, secrets, store, *, environment=None, key_schema=None, disable_secret_deletion=false, initial_sync_behavior=None, components=None, var_type=None, scope=None, if_deploying=None, deploy_wait_timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn plan_sync<'py>(
        &self,
        py: Python<'py>,
        app_id: String,
        secrets: Vec<SecretTuple>,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        disable_secret_deletion: bool,
        initial_sync_behavior: Option<String>,
        components: Option<Vec<String>>,
        var_type: Option<String>,
        scope: Option<String>,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let desired = desired_from(secrets)?;
        let options = OptionArgs {
            environment,
            key_schema,
            disable_secret_deletion,
            initial_sync_behavior,
            components,
            var_type,
            scope,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
        }
        .build()?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let planned = engine
                .plan(&app_id, desired, options)
                .await
                .map_err(sync_err)?;
            Ok(NativeSyncPlan { engine, planned })
        })
    }

    #[pyo3(signature = (app_id, secrets, store, *, environment=None, key_schema=None, disable_secret_deletion=false, initial_sync_behavior=None, components=None, var_type=None, scope=None, if_deploying=None, deploy_wait_timeout=None, wait=false, rollback_on_failure=false, progress=None, lock_timeout=30.0))]
    #[allow(clippy::too_many_arguments)]
    fn sync<'py>(
        &self,
        py: Python<'py>,
        app_id: String,
        secrets: Vec<SecretTuple>,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        disable_secret_deletion: bool,
        initial_sync_behavior: Option<String>,
        components: Option<Vec<String>>,
        var_type: Option<String>,
        scope: Option<String>,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
        wait: bool,
        rollback_on_failure: bool,
        progress: Option<Py<PyAny>>,
        lock_timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let desired = desired_from(secrets)?;
        let options = OptionArgs {
            environment,
            key_schema,
            disable_secret_deletion,
            initial_sync_behavior,
            components,
            var_type,
            scope,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
        }
        .build()?;
        let settings = SettingsArgs {
            wait,
            rollback_on_failure,
            replan: false,
            progress,
            lock_timeout,
        }
        .build()?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = engine
                .sync(&app_id, desired, options, &settings)
                .await
                .map_err(sync_err)?;
            Ok(outcome_json(&outcome))
        })
    }

    #[pyo3(signature = (app_id, store, *, environment=None, key_schema=None, components=None, wait=false, lock_timeout=30.0, if_deploying=None, deploy_wait_timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn remove_synced<'py>(
        &self,
        py: Python<'py>,
        app_id: String,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        components: Option<Vec<String>>,
        wait: bool,
        lock_timeout: f64,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = OptionArgs {
            environment,
            key_schema,
            components,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
            ..OptionArgs::default()
        }
        .build()?;
        let settings = SettingsArgs {
            wait,
            rollback_on_failure: false,
            replan: false,
            progress: None,
            lock_timeout,
        }
        .build()?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = engine
                .remove_synced(&app_id, options, &settings)
                .await
                .map_err(sync_err)?;
            Ok(outcome_json(&outcome))
        })
    }

    #[pyo3(signature = (targets, store, *, environment=None, key_schema=None, disable_secret_deletion=false, initial_sync_behavior=None, components=None, var_type=None, scope=None, if_deploying=None, deploy_wait_timeout=None, concurrency=8, progress=None, lock_timeout=30.0))]
    #[allow(clippy::too_many_arguments)]
    fn sync_fleet<'py>(
        &self,
        py: Python<'py>,
        targets: Vec<FleetTarget>,
        store: PyRef<'_, Store>,
        environment: Option<String>,
        key_schema: Option<String>,
        disable_secret_deletion: bool,
        initial_sync_behavior: Option<String>,
        components: Option<Vec<String>>,
        var_type: Option<String>,
        scope: Option<String>,
        if_deploying: Option<String>,
        deploy_wait_timeout: Option<f64>,
        concurrency: usize,
        progress: Option<Py<PyAny>>,
        lock_timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let targets = fleet_targets(targets)?;
        let options = OptionArgs {
            environment,
            key_schema,
            disable_secret_deletion,
            initial_sync_behavior,
            components,
            var_type,
            scope,
            deploying: DeployingArgs::new(if_deploying, deploy_wait_timeout),
        }
        .build()?;
        let settings = fleet_settings(concurrency, lock_timeout, progress)?;
        let engine = Engine::new(self.client.clone(), store.inner.clone());
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let report = engine
                .sync_fleet(targets, options, settings)
                .await
                .map_err(sync_err)?;
            Ok(fleet_report_py(report))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "NativeAsyncClient(base_url={:?})",
            self.client.base_url().as_str()
        )
    }
}

#[pyclass(module = "do_envsync._native", frozen)]
pub struct AsyncPageIterator {
    pages: Arc<Mutex<PrefetchPages>>,
}

#[pymethods]
impl AsyncPageIterator {
    #[getter]
    fn pages_fetched(&self) -> usize {
        self.pages
            .try_lock()
            .map(|p| p.pages_delivered())
            .unwrap_or(0)
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pages = self.pages.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let next = pages.lock().await.next().await;
            match next {
                Ok(Some(items)) => Ok(ItemList(items)),
                Ok(None) => Err(PyStopAsyncIteration::new_err(())),
                Err(e) => Err(Python::attach(|py| to_pyerr(py, e))),
            }
        })
    }
}
