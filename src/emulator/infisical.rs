//! A stand-in for the two Infisical endpoints the `infisical` source uses, served on
//! loopback from its own thread and runtime (like the App Platform emulator):
//!
//! - `POST /api/v1/auth/universal-auth/login` with `{"clientId","clientSecret"}` →
//!   `{"accessToken","expiresIn","accessTokenMaxTTL","tokenType":"Bearer"}`; a wrong
//!   identity gets 401.
//! - `GET /api/v3/secrets/raw?workspaceId&environment&secretPath&recursive
//!   &include_imports&expandSecretReferences` with `Authorization: Bearer <token>` →
//!   `{"secrets":[..],"imports":[..]}`.
//!
//! Errors use Infisical's shape: `{"reqId","statusCode","message","error"}`. One
//! machine identity and one project with a fixed set of environments; secrets live
//! per (environment, folder path) and folders appear when a secret is put in them.
//! A folder path that does not exist lists as empty (as Infisical does); an unknown
//! project or environment is 404. With `expandSecretReferences=true`, `${KEY}` (same
//! folder) and `${env.folder.sub.KEY}` are replaced; a reference that resolves to
//! nothing is left as written.

use super::server_thread::ServerThread;
use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use indexmap::IndexMap;
use parking_lot::Mutex;
use rand::RngCore;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

/// How to run the stand-in. Empty strings are generated at start.
#[derive(Clone)]
pub struct InfisicalConfig {
    /// Loopback port; 0 picks a free one.
    pub port: u16,
    pub client_id: String,
    pub client_secret: String,
    pub project_id: String,
    /// Environment slugs of the project.
    pub environments: Vec<String>,
    /// Lifetime of an access token.
    pub token_ttl: Duration,
}

impl Default for InfisicalConfig {
    fn default() -> Self {
        InfisicalConfig {
            port: 0,
            client_id: String::new(),
            client_secret: String::new(),
            project_id: String::new(),
            environments: vec!["dev".into(), "staging".into(), "prod".into()],
            token_ttl: Duration::from_secs(7200),
        }
    }
}

impl std::fmt::Debug for InfisicalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfisicalConfig")
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("project_id", &self.project_id)
            .field("environments", &self.environments)
            .field("token_ttl", &self.token_ttl)
            .finish()
    }
}

struct StoredSecret {
    id: String,
    value: String,
    version: u32,
    created_at: String,
    updated_at: String,
}

#[derive(Default)]
struct Folder {
    id: String,
    secrets: IndexMap<String, StoredSecret>,
    /// (environment, path) of imported folders, in import order.
    imports: Vec<(String, String)>,
}

struct Shared {
    client_id: String,
    client_secret: String,
    project_id: String,
    environments: Vec<String>,
    token_ttl: Duration,
    /// (environment, folder path) → folder.
    folders: Mutex<BTreeMap<(String, String), Folder>>,
    tokens: Mutex<HashMap<String, Instant>>,
    requests: AtomicUsize,
}

struct Handle {
    shared: Arc<Shared>,
    port: u16,
    server: ServerThread,
}

/// A running stand-in. Cheap to clone; stops on [`stop`](Self::stop) or when the
/// last handle is dropped.
#[derive(Clone)]
pub struct InfisicalStandIn {
    inner: Arc<Handle>,
}

impl std::fmt::Debug for InfisicalStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfisicalStandIn")
            .field("base_url", &self.base_url())
            .field("project_id", &self.project_id())
            .finish_non_exhaustive()
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `/`, or `/a/b` without a trailing slash; `None` when not a folder path.
fn normalize_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Some("/".into());
    }
    if trimmed[1..].split('/').any(|s| s.is_empty()) {
        return None;
    }
    Some(trimmed.to_string())
}

fn is_within(path: &str, root: &str) -> bool {
    root == "/" || path == root || path.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
}

impl InfisicalStandIn {
    /// Binds `127.0.0.1:port` and starts serving on a background thread.
    pub fn start(config: InfisicalConfig) -> std::io::Result<InfisicalStandIn> {
        let or_generate = |value: &str, make: &dyn Fn() -> String| {
            if value.is_empty() {
                make()
            } else {
                value.to_string()
            }
        };
        let environments = if config.environments.is_empty() {
            InfisicalConfig::default().environments
        } else {
            config.environments.clone()
        };
        let shared = Arc::new(Shared {
            client_id: or_generate(&config.client_id, &|| uuid::Uuid::new_v4().to_string()),
            client_secret: or_generate(&config.client_secret, &|| random_hex(32)),
            project_id: or_generate(&config.project_id, &|| uuid::Uuid::new_v4().to_string()),
            environments,
            token_ttl: config.token_ttl,
            folders: Mutex::new(BTreeMap::new()),
            tokens: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
        });
        let listener =
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("do-envsync-infisical-worker")
            .enable_all()
            .build()?;
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let app = router(Arc::clone(&shared));
        let thread = std::thread::Builder::new()
            .name(format!("do-envsync-infisical-{port}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(e) => {
                            tracing::error!("infisical stand-in could not listen: {e}");
                            return;
                        }
                    };
                    let served = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = shutdown_rx.await;
                        })
                        .await;
                    if let Err(e) = served {
                        tracing::error!("infisical stand-in stopped: {e}");
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(500));
            })?;
        Ok(InfisicalStandIn {
            inner: Arc::new(Handle {
                shared,
                port,
                server: ServerThread::new(shutdown, thread),
            }),
        })
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// `http://127.0.0.1:PORT`, the `site_url` to configure.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.port)
    }

    pub fn port(&self) -> u16 {
        self.inner.port
    }

    pub fn client_id(&self) -> String {
        self.shared().client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared().client_secret.clone()
    }

    pub fn project_id(&self) -> String {
        self.shared().project_id.clone()
    }

    pub fn environments(&self) -> Vec<String> {
        self.shared().environments.clone()
    }

    fn check_location(&self, environment: &str, path: &str) -> Result<String, String> {
        if !self.shared().environments.iter().any(|e| e == environment) {
            return Err(format!("unknown environment {environment:?}"));
        }
        normalize_path(path).ok_or_else(|| format!("invalid folder path {path:?}"))
    }

    /// Creates or updates a secret (creating its folder); `Err` for an unknown
    /// environment or a malformed path.
    pub fn set_secret(
        &self,
        environment: &str,
        path: &str,
        key: &str,
        value: &str,
    ) -> Result<(), String> {
        let path = self.check_location(environment, path)?;
        if key.is_empty() {
            return Err("empty secret key".into());
        }
        let mut folders = self.shared().folders.lock();
        let folder = folders
            .entry((environment.to_string(), path))
            .or_insert_with(|| Folder {
                id: uuid::Uuid::new_v4().to_string(),
                ..Folder::default()
            });
        let now = now_iso();
        match folder.secrets.get_mut(key) {
            Some(existing) => {
                existing.value = value.to_string();
                existing.version += 1;
                existing.updated_at = now;
            }
            None => {
                folder.secrets.insert(
                    key.to_string(),
                    StoredSecret {
                        id: uuid::Uuid::new_v4().to_string(),
                        value: value.to_string(),
                        version: 1,
                        created_at: now.clone(),
                        updated_at: now,
                    },
                );
            }
        }
        Ok(())
    }

    /// Deletes a secret; false when there was none.
    pub fn remove_secret(&self, environment: &str, path: &str, key: &str) -> bool {
        let Some(path) = normalize_path(path) else {
            return false;
        };
        self.shared()
            .folders
            .lock()
            .get_mut(&(environment.to_string(), path))
            .is_some_and(|f| f.secrets.shift_remove(key).is_some())
    }

    /// Makes the folder (`environment`, `path`) import (`from_environment`,
    /// `from_path`), as Infisical's secret imports do.
    pub fn add_import(
        &self,
        environment: &str,
        path: &str,
        from_environment: &str,
        from_path: &str,
    ) -> Result<(), String> {
        let path = self.check_location(environment, path)?;
        let from_path = self.check_location(from_environment, from_path)?;
        let mut folders = self.shared().folders.lock();
        let folder = folders
            .entry((environment.to_string(), path))
            .or_insert_with(|| Folder {
                id: uuid::Uuid::new_v4().to_string(),
                ..Folder::default()
            });
        folder
            .imports
            .push((from_environment.to_string(), from_path));
        Ok(())
    }

    /// Invalidates every access token issued so far.
    pub fn revoke_tokens(&self) {
        self.shared().tokens.lock().clear();
    }

    /// API requests served so far (any path, any outcome).
    pub fn requests(&self) -> usize {
        self.shared().requests.load(Ordering::SeqCst)
    }

    /// Stops serving. Idempotent.
    pub fn stop(&self) {
        self.inner.server.stop();
    }
}

/// An error in Infisical's shape.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let name = match status {
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::FORBIDDEN => "PermissionDenied",
        _ => "BadRequest",
    };
    (
        status,
        Json(json!({
            "reqId": format!("req-{}", random_hex(8)),
            "statusCode": status.as_u16(),
            "message": message.into(),
            "error": name,
        })),
    )
        .into_response()
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/auth/universal-auth/login", post(login))
        .route("/api/v3/secrets/raw", get(list_secrets))
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found(State(shared): State<Arc<Shared>>) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    error(StatusCode::NOT_FOUND, "Route not found")
}

async fn login(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Request body must be JSON");
    };
    let (Some(client_id), Some(client_secret)) = (
        body.get("clientId").and_then(Value::as_str),
        body.get("clientSecret").and_then(Value::as_str),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "clientId and clientSecret are required",
        );
    };
    let id_ok = client_id.as_bytes().ct_eq(shared.client_id.as_bytes());
    let secret_ok = client_secret
        .as_bytes()
        .ct_eq(shared.client_secret.as_bytes());
    if !bool::from(id_ok & secret_ok) {
        return error(StatusCode::UNAUTHORIZED, "Invalid credentials");
    }
    let token = format!("st.{}", random_hex(32));
    shared
        .tokens
        .lock()
        .insert(token.clone(), Instant::now() + shared.token_ttl);
    let ttl = shared.token_ttl.as_secs();
    Json(json!({
        "accessToken": token,
        "expiresIn": ttl,
        "accessTokenMaxTTL": ttl,
        "tokenType": "Bearer",
    }))
    .into_response()
}

/// A refusal that becomes an Infisical-shaped error response.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<(), Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "Missing Authorization Header in the request header.".into(),
        ));
    };
    let mut tokens = shared.tokens.lock();
    match tokens.get(token) {
        Some(expiry) if *expiry > Instant::now() => Ok(()),
        Some(_) => {
            tokens.remove(token);
            Err(Refusal(
                StatusCode::UNAUTHORIZED,
                "Access token has expired".into(),
            ))
        }
        None => Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "Invalid access token".into(),
        )),
    }
}

fn flag(query: &HashMap<String, String>, name: &str, default: bool) -> Result<bool, Refusal> {
    match query.get(name).map(String::as_str) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("{name} must be true or false, got {other:?}"),
        )),
    }
}

async fn list_secrets(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    if let Err(denied) = authorized(&shared, &headers) {
        return denied.into_response();
    }
    let Some(project) = query.get("workspaceId").filter(|p| !p.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "workspaceId is required");
    };
    let Some(environment) = query.get("environment").filter(|e| !e.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "environment is required");
    };
    let raw_path = query.get("secretPath").map(String::as_str).unwrap_or("/");
    let Some(path) = normalize_path(raw_path) else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("Invalid secret path {raw_path:?}"),
        );
    };
    let options = (
        flag(&query, "recursive", false),
        flag(&query, "include_imports", true),
        flag(&query, "expandSecretReferences", false),
    );
    let (recursive, include_imports, expand) = match options {
        (Ok(r), Ok(i), Ok(e)) => (r, i, e),
        (Err(refusal), _, _) | (_, Err(refusal), _) | (_, _, Err(refusal)) => {
            return refusal.into_response()
        }
    };
    if *project != shared.project_id {
        return error(
            StatusCode::NOT_FOUND,
            format!("Project with ID '{project}' not found"),
        );
    }
    if !shared.environments.iter().any(|e| e == environment) {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "Environment with slug '{environment}' in project with ID '{project}' not found"
            ),
        );
    }

    let folders = shared.folders.lock();
    let render = |env: &str, folder_path: &str, key: &str, secret: &StoredSecret| {
        let value = if expand {
            expand_references(&folders, env, folder_path, &secret.value)
        } else {
            secret.value.clone()
        };
        json!({
            "id": secret.id,
            "_id": secret.id,
            "workspace": shared.project_id,
            "environment": env,
            "version": secret.version,
            "type": "shared",
            "secretKey": key,
            "secretValue": value,
            "secretComment": "",
            "secretPath": folder_path,
            "secretValueHidden": false,
            "tags": [],
            "secretMetadata": [],
            "createdAt": secret.created_at,
            "updatedAt": secret.updated_at,
        })
    };
    let mut secrets = Vec::new();
    for ((env, folder_path), folder) in folders.iter() {
        let selected = env == environment
            && if recursive {
                is_within(folder_path, &path)
            } else {
                *folder_path == path
            };
        if selected {
            for (key, secret) in &folder.secrets {
                secrets.push(render(env, folder_path, key, secret));
            }
        }
    }
    let mut imports = Vec::new();
    if include_imports {
        if let Some(folder) = folders.get(&(environment.clone(), path.clone())) {
            for (from_env, from_path) in &folder.imports {
                let source = folders.get(&(from_env.clone(), from_path.clone()));
                let imported: Vec<Value> = source
                    .map(|f| {
                        f.secrets
                            .iter()
                            .map(|(key, secret)| render(from_env, from_path, key, secret))
                            .collect()
                    })
                    .unwrap_or_default();
                imports.push(json!({
                    "secretPath": from_path,
                    "environment": from_env,
                    "folderId": source.map(|f| f.id.clone()),
                    "secrets": imported,
                }));
            }
        }
    }
    Json(json!({"secrets": secrets, "imports": imports})).into_response()
}

/// Resolves `${KEY}` (same folder) and `${env.a.b.KEY}` (folder `/a/b` of `env`)
/// once; anything unresolved stays as written.
fn expand_references(
    folders: &BTreeMap<(String, String), Folder>,
    environment: &str,
    folder_path: &str,
    value: &str,
) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let reference = &after[..end];
        let parts: Vec<&str> = reference.split('.').collect();
        let target = match parts.as_slice() {
            [key] => Some((environment.to_string(), folder_path.to_string(), *key)),
            [env, folders_then_key @ ..] if !folders_then_key.is_empty() => {
                let (key, dirs) = folders_then_key.split_last().expect("non-empty");
                let path = if dirs.is_empty() {
                    "/".to_string()
                } else {
                    format!("/{}", dirs.join("/"))
                };
                Some((env.to_string(), path, *key))
            }
            _ => None,
        };
        let resolved = target.and_then(|(env, path, key)| {
            folders
                .get(&(env, path))
                .and_then(|f| f.secrets.get(key))
                .map(|s| s.value.clone())
        });
        match resolved {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}
