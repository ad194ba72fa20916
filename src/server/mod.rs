//! `do-envsync serve`: Infisical's REST API for DigitalOcean connections and App Platform
//! syncs, over the control plane and the store. No logic of its own: each route converts
//! the request, calls [`ControlPlane`] and answers in Infisical's shapes
//! (`Connection::to_json`, `SyncConfig::to_json`) and error format.
//!
//! - Every `/api` route needs `Authorization: Bearer <key>` ([`keys`]); `/healthz`,
//!   `/metrics` and `/openapi.json` do not (they hold no secret).
//! - Plain HTTP is served on loopback only, unless told it sits behind a proxy; other
//!   binds need TLS ([`tls`]).
//! - Syncs with auto-sync on are run by the `watch` scheduler ([`autosync`]).
//! - Stop: no new connection is accepted, requests in flight (a run among them) finish,
//!   the scheduler finishes its runs in flight.

mod autosync;
mod body;
mod connections;
mod error;
pub mod keys;
mod metrics;
mod openapi;
mod syncs;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::client::ClientBuilder;
use crate::control::{ControlError, ControlPlane};
use crate::store::Store;

pub use error::ApiError;
pub use metrics::Metrics;

/// The machine identity's client id and secret, read from the environment at start
/// (the secret is read again by each Infisical source run, never stored).
pub const INFISICAL_CLIENT_ID_ENV: &str = "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID";
pub const INFISICAL_CLIENT_SECRET_ENV: &str = "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET";

/// Delay of every failed authentication (failures are answered one at a time).
const AUTH_FAILURE_DELAY: Duration = Duration::from_millis(250);

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: SocketAddr,
    /// PEM certificate chain and private key: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Plain HTTP on a non-loopback address, for a TLS-terminating proxy in front.
    pub insecure_behind_proxy: bool,
    /// Infisical site for syncs created with Infisical's `projectId`/`environment`/`secretPath`.
    pub infisical_url: Option<String>,
    /// Run syncs with auto-sync on (default true).
    pub auto_sync: bool,
    /// Poll interval of auto-synced sources without files (default 60 s).
    pub poll_interval: Duration,
    /// Relative paths of `dotenv` sources resolve here (default: the current directory).
    pub base_dir: PathBuf,
}

impl ServeConfig {
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            tls: None,
            insecure_behind_proxy: false,
            infisical_url: None,
            auto_sync: true,
            poll_interval: Duration::from_secs(60),
            base_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("refusing plain HTTP on {0}: it is not a loopback address; give --tls-cert and --tls-key, or --insecure-behind-proxy when a TLS proxy fronts it")]
    PlainHttpNotLoopback(SocketAddr),
    #[error("--infisical-url needs the machine identity in {INFISICAL_CLIENT_ID_ENV} and {INFISICAL_CLIENT_SECRET_ENV}")]
    InfisicalIdentityMissing,
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Control(#[from] ControlError),
}

struct InfisicalSite {
    site_url: String,
    client_id: String,
}

struct Shared {
    control: ControlPlane,
    metrics: Metrics,
    infisical: Option<InfisicalSite>,
    base_dir: PathBuf,
    /// Failed authentications wait their turn here (a slow lane for guessing).
    auth_failures: tokio::sync::Mutex<()>,
    /// Tells the auto-sync scheduler that the set of syncs changed.
    syncs_changed: tokio::sync::Notify,
}

/// The state every handler sees. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

impl AppState {
    /// Opens the control plane on `store` (as the CLI does) with the server's metrics
    /// observing every DigitalOcean response.
    pub fn open(store: Arc<Store>, config: &ServeConfig) -> Result<Self, ServeError> {
        let infisical = match &config.infisical_url {
            None => None,
            Some(url) => {
                let client_id = std::env::var(INFISICAL_CLIENT_ID_ENV)
                    .ok()
                    .filter(|v| !v.trim().is_empty());
                let has_secret =
                    std::env::var_os(INFISICAL_CLIENT_SECRET_ENV).is_some_and(|v| !v.is_empty());
                match client_id {
                    Some(client_id) if has_secret => Some(InfisicalSite {
                        site_url: url.trim_end_matches('/').to_owned(),
                        client_id,
                    }),
                    _ => return Err(ServeError::InfisicalIdentityMissing),
                }
            }
        };
        let metrics = Metrics::new();
        let control = ControlPlane::open_with_client(
            store,
            ClientBuilder::new().observer(metrics.response_observer()),
        )?;
        Ok(Self {
            inner: Arc::new(Shared {
                control,
                metrics,
                infisical,
                base_dir: config.base_dir.clone(),
                auth_failures: tokio::sync::Mutex::new(()),
                syncs_changed: tokio::sync::Notify::new(),
            }),
        })
    }

    pub fn control(&self) -> &ControlPlane {
        &self.inner.control
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    fn base_dir(&self) -> PathBuf {
        self.inner.base_dir.clone()
    }

    fn syncs_changed(&self) {
        self.inner.syncs_changed.notify_one();
    }
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    use connections as c;
    use syncs as s;
    let cb = c::BASE;
    let sb = s::BASE;
    let api = Router::new()
        .route(cb, get(c::list).post(c::create))
        .route(
            &format!("{cb}/connection-name/{{name}}"),
            get(c::get_by_name),
        )
        .route(
            &format!("{cb}/{{id}}"),
            get(c::get).patch(c::update).delete(c::delete),
        )
        .route(&format!("{cb}/{{id}}/apps"), get(c::apps))
        .route(sb, get(s::list).post(s::create))
        .route(&format!("{sb}/sync-name/{{name}}"), get(s::get_by_name))
        .route(
            &format!("{sb}/{{id}}"),
            get(s::get).patch(s::update).delete(s::delete),
        )
        .route(&format!("{sb}/{{id}}/sync-secrets"), post(s::sync_secrets))
        .route(
            &format!("{sb}/{{id}}/remove-secrets"),
            post(s::remove_secrets),
        )
        .route(
            &format!("{sb}/{{id}}/import-secrets"),
            post(s::import_secrets),
        )
        .route_layer(from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!(
        "Route {} {} not found",
        req.method(),
        req.uri().path()
    ))
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "Method {} is not allowed on {}",
            req.method(),
            req.uri().path()
        ),
    )
}

/// `Authorization: Bearer <key>` against the stored keys. A wrong key waits
/// [`AUTH_FAILURE_DELAY`] in a single lane before it is answered.
async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| key.trim().to_owned())
        });
    let guessed = presented.is_some();
    let verified = match presented {
        Some(key) => {
            let store = state.control().store().clone();
            tokio::task::spawn_blocking(move || keys::verify(&store, &key))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
        }
        None => None,
    };
    match verified {
        Some(_) => next.run(req).await,
        None => {
            // A request without a key guesses nothing: answered at once.
            if guessed {
                let _lane = state.inner.auth_failures.lock().await;
                tokio::time::sleep(AUTH_FAILURE_DELAY).await;
            }
            ApiError::unauthorized().into_response()
        }
    }
}

/// One structured log line per request (method, route template, path, status, time; no
/// header, query or body) and the HTTP metrics.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics()
        .record_http(&method, &route, status, elapsed);
    let line = json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": if status >= 500 { "error" } else { "info" },
        "msg": "request",
        "method": method,
        "route": route,
        "path": crate::client::mask_secrets(&path),
        "status": status,
        "durationMs": elapsed.as_secs_f64() * 1000.0,
    });
    eprintln!("{line}");
    response
}

async fn healthz(State(state): State<AppState>) -> Response {
    let store = state.control().store().clone();
    let version = tokio::task::spawn_blocking(move || store.schema_version()).await;
    match version {
        Ok(Ok(v)) => {
            Json(json!({"status": "ok", "store": {"ok": true, "schemaVersion": v}})).into_response()
        }
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "error", "store": {"ok": false, "error": e.to_string()}})),
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "error", "store": {"ok": false, "error": "store check failed"}})),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        state.metrics().render(),
    )
        .into_response()
}

async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        openapi::document_json(),
    )
        .into_response()
}

/// Refuses plain HTTP off loopback unless `insecure_behind_proxy`.
pub fn check_bind(config: &ServeConfig) -> Result<(), ServeError> {
    if config.tls.is_none() && !config.insecure_behind_proxy && !config.bind.ip().is_loopback() {
        return Err(ServeError::PlainHttpNotLoopback(config.bind));
    }
    Ok(())
}

/// Serves until `stop` is cancelled, then finishes what is in flight. `on_ready` is
/// called with the bound address once connections are accepted.
pub async fn serve(
    store: Arc<Store>,
    config: ServeConfig,
    stop: CancellationToken,
    on_ready: impl FnOnce(SocketAddr, bool) + Send,
) -> Result<(), ServeError> {
    check_bind(&config)?;
    let acceptor = config
        .tls
        .as_ref()
        .map(|(cert, key)| tls::acceptor(cert, key))
        .transpose()?;
    let state = AppState::open(store, &config)?;
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.bind,
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: config.bind,
        source,
    })?;
    let scheduler = config.auto_sync.then(|| {
        tokio::spawn(autosync::run(
            state.clone(),
            config.poll_interval,
            stop.clone(),
        ))
    });
    let app = router(state);
    on_ready(local, acceptor.is_some());
    let connections = TaskTracker::new();
    loop {
        let (stream, _) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop.clone();
        let acceptor = acceptor.clone();
        connections.spawn(async move {
            match acceptor {
                Some(acceptor) => {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve_connection(tls, app, stop).await;
                    }
                }
                None => serve_connection(stream, app, stop).await,
            }
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    if let Some(scheduler) = scheduler {
        let _ = scheduler.await;
    }
    Ok(())
}

async fn serve_connection<I>(io: I, app: Router, stop: CancellationToken)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        app.clone().oneshot(req.map(Body::new))
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.cancelled() => {
            // Requests in flight finish; idle keep-alive connections close now.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
