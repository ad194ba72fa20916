//! A faithful, stateful DigitalOcean App Platform emulator (like moto for AWS).
//!
//! [`Emulator::start`] serves the App Platform API (all 38 operations + `/v2/account`)
//! on a loopback port from its own thread and tokio runtime, so it works from sync
//! code, from Python, and while the caller's runtime is blocked. It keeps specs exactly
//! as received (key order, unknown fields, nulls), encrypts SECRET env values to
//! `EV[...]`, starts a deployment on every successful `PUT`, advances deployment phases
//! with time, enforces DigitalOcean's sliding-window rate limits, and can inject faults.
//!
//! Tests drive it through the Rust API below or, out of process, through the
//! token-guarded `/_emulator/...` admin surface (see the `admin` module docs).

mod admin;
mod api_apps;
mod api_deployments;
mod api_operations;
mod catalog;
mod entropy;
mod errors;
mod faults;
pub mod infisical;
mod pagination;
mod ratelimit;
mod reqlog;
mod routes;
mod scopes;
mod secrets;
mod server;
mod server_thread;
mod spec_walk;
mod state;
mod store;
mod timeline;
mod validate;
mod views;

use server_thread::ServerThread;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use tokio::sync::oneshot;

pub use faults::{Fault, FaultKind};
pub use reqlog::RequestRecord;

use entropy::Entropy;
use faults::FaultSet;
use ratelimit::RateLimiter;
use secrets::SecretBox;
use state::Shared;
use store::Store;
use views::Owner;

/// How to run an emulator. `Default` gives a random token, an ephemeral port,
/// DigitalOcean's real limits and windows (250 per 60 s, 5000 per 3600 s) and 300 ms
/// deployment phases.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The main token the emulator accepts (`Authorization: Bearer <token>`; more can be
    /// added with [`Emulator::add_token`]); empty means generate one from the emulator's randomness (reproducible with `seed`).
    pub token: String,
    /// Loopback port to bind; 0 picks a free one.
    pub port: u16,
    /// Requests per token per sliding 60 s window.
    pub burst_limit: u32,
    /// Requests per token per sliding 3600 s window.
    pub hourly_limit: u32,
    /// Length of the burst window (DigitalOcean: 60 s); shorter makes burst tests fast.
    pub burst_window: Duration,
    /// Length of the hourly window (DigitalOcean: 3600 s).
    pub hourly_window: Duration,
    /// How long each deployment phase lasts.
    pub phase_duration: Duration,
    /// Added to every API response.
    pub latency: Duration,
    /// Makes ids, keys, ciphertexts and the default token reproducible.
    pub seed: Option<u64>,
    /// The main token's scopes (`<resource>:<action>`, e.g. `app:read`); `None` is a
    /// full-access token.
    pub token_scopes: Option<Vec<String>>,
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("token", &"<redacted>")
            .field("port", &self.port)
            .field("burst_limit", &self.burst_limit)
            .field("hourly_limit", &self.hourly_limit)
            .field("burst_window", &self.burst_window)
            .field("hourly_window", &self.hourly_window)
            .field("phase_duration", &self.phase_duration)
            .field("latency", &self.latency)
            .field("seed", &self.seed)
            .field("token_scopes", &self.token_scopes)
            .finish()
    }
}

impl Default for EmulatorConfig {
    fn default() -> EmulatorConfig {
        EmulatorConfig {
            token: format!("dop_v1_{}", Entropy::new(None).hex(64)),
            port: 0,
            burst_limit: 250,
            hourly_limit: 5000,
            burst_window: ratelimit::BURST_WINDOW,
            hourly_window: ratelimit::HOURLY_WINDOW,
            phase_duration: Duration::from_millis(300),
            latency: Duration::ZERO,
            seed: None,
            token_scopes: None,
        }
    }
}

struct Handle {
    shared: Arc<Shared>,
    port: u16,
    server: ServerThread,
}

/// A running emulator. Cheap to clone; the server stops when [`Emulator::stop`] is
/// called or the last handle is dropped.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Handle>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Binds `127.0.0.1:port` and starts serving on a background thread. A malformed
    /// scope in `token_scopes` is an `InvalidInput` error.
    pub fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let token_grant = scopes::Grant::from_list(config.token_scopes.as_deref())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let entropy = Entropy::new(config.seed);
        // An empty token means "make one up" (reproducibly when seeded).
        let token = if config.token.is_empty() {
            format!("dop_v1_{}", entropy.hex(64))
        } else {
            config.token.clone()
        };
        let secrets = SecretBox::new(entropy.bytes::<32>());
        let owner = Owner {
            uuid: entropy.hex(40),
            email: "sammy@emulator.example.com".to_string(),
            name: "Sammy the Emulator".to_string(),
        };
        let team_uuid = entropy.hex(40);
        let default_project_id = entropy.uuid();
        let shared = Arc::new(Shared {
            token,
            token_grant,
            extra_tokens: Mutex::new(Default::default()),
            phase_duration: config.phase_duration,
            latency: config.latency,
            entropy,
            secrets,
            owner,
            team_uuid,
            default_project_id,
            store: RwLock::new(Store::new(config.phase_duration)),
            faults: Mutex::new(FaultSet::default()),
            limiter: Mutex::new(RateLimiter::with_windows(
                (config.burst_limit, config.hourly_limit),
                (config.burst_window, config.hourly_window),
            )),
            configured_limits: (config.burst_limit, config.hourly_limit),
            configured_windows: (config.burst_window, config.hourly_window),
            log: Mutex::new(Vec::new()),
        });

        let listener =
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        // One thread serves everything: a request costs tens of microseconds of CPU, far
        // less than handing it between worker threads (wake-ups and context switches
        // were most of the emulator's time per request with a two-worker pool).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (shutdown, shutdown_rx) = oneshot::channel();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("do-envsync-emulator-{port}"))
            .spawn(move || {
                runtime.block_on(server::serve(listener, server_shared, shutdown_rx));
                runtime.shutdown_timeout(Duration::from_millis(500));
            })?;
        Ok(Emulator {
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

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.port)
    }

    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// The token the emulator accepts.
    pub fn token(&self) -> String {
        self.shared().token.clone()
    }

    /// Adds a token the emulator accepts, with these scopes (`<resource>:<action>`, e.g.
    /// `app:read`; `None` for full access), and returns it. Tokens added so share the
    /// emulator's rate-limit windows and are forgotten by [`Emulator::reset`].
    pub fn add_token(&self, scopes: Option<&[String]>) -> Result<String, String> {
        self.shared().add_token(scopes)
    }

    /// Stops serving and closes every connection. Idempotent.
    pub fn stop(&self) {
        self.inner.server.stop();
    }

    /// Clears apps, deployments, faults, the request log, the rate-limit windows and the
    /// tokens added with [`Emulator::add_token`].
    pub fn reset(&self) {
        self.shared().reset();
    }

    /// Every API request so far (admin requests excluded), oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared().log.lock().clone()
    }

    pub fn clear_requests(&self) {
        self.shared().log.lock().clear();
    }

    /// Logged requests with this method (case-insensitive) and path prefix.
    pub fn request_count(&self, method: Option<&str>, path_prefix: Option<&str>) -> usize {
        reqlog::count_matching(&self.shared().log.lock(), method, path_prefix)
    }

    /// Deployments the app has had (0 for an unknown app).
    pub fn deployment_count(&self, app_id: &str) -> usize {
        self.shared()
            .store
            .read()
            .app(app_id)
            .map(|a| a.deployments.len())
            .unwrap_or(0)
    }

    /// Installs a fault and returns its id.
    ///
    /// # Panics
    /// When `path_pattern` is not a valid regex (use [`Emulator::try_add_fault`] to
    /// handle that as an error).
    pub fn add_fault(&self, fault: Fault) -> u64 {
        self.try_add_fault(fault)
            .unwrap_or_else(|e| panic!("cannot add fault: {e}"))
    }

    /// Installs a fault; `Err` when `path_pattern` is not a valid regex.
    pub fn try_add_fault(&self, fault: Fault) -> Result<u64, String> {
        self.shared().faults.lock().add(fault)
    }

    /// Removes one fault; false when it is unknown or already used up.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.shared().faults.lock().remove(id)
    }

    pub fn clear_faults(&self) {
        self.shared().faults.lock().clear();
    }

    /// Plaintext of an `EV[...]` this emulator issued; `None` for anything else.
    /// The plaintext of an `EV[...]` this emulator issued, or of a SECRET sealed in the
    /// request log (`[REDACTED EV[...]]`).
    pub fn reveal_secret(&self, ev: &str) -> Option<String> {
        self.shared().secrets.decrypt(reqlog::unwrap_logged(ev))
    }

    /// Changes the burst (per 60 s) and hourly (per 3600 s) limits; requests already
    /// counted stay in their windows.
    pub fn set_rate_limits(&self, burst: u32, hourly: u32) {
        self.shared().limiter.lock().set_limits(burst, hourly);
    }

    /// `(burst, hourly)` window lengths in force.
    pub fn rate_windows(&self) -> (Duration, Duration) {
        self.shared().limiter.lock().windows()
    }

    /// Changes the length of the burst and hourly windows (DigitalOcean's are 60 s and
    /// 3600 s): short windows let tests meet burst 429s and their `retry-after` quickly.
    pub fn set_rate_windows(&self, burst_window: Duration, hourly_window: Duration) {
        self.shared()
            .limiter
            .lock()
            .set_windows(burst_window, hourly_window);
    }

    /// The next deployment of this app ends in `ERROR` (after its build phase).
    pub fn fail_next_deployment(&self, app_id: &str) {
        self.shared().store.write().mark_fail_next(app_id);
    }

    /// Starts a deployment of the app as a git push would ("someone else's" deployment,
    /// cause `commit ... pushed to github` unless given), without HTTP: it supersedes a
    /// deployment in flight, and moves through its phases like any other (with a long
    /// `phase_duration` it stays in flight until [`Emulator::finish_deployment`]).
    /// Returns the deployment as the API renders it.
    pub fn start_push_deployment(
        &self,
        app_id: &str,
        cause: Option<&str>,
    ) -> Result<Value, String> {
        self.shared()
            .start_push_deployment(app_id, cause)
            .map_err(|e| e.message)
    }

    /// Ends a deployment in flight now: `ACTIVE` (or `ERROR` when it was marked to fail).
    pub fn finish_deployment(&self, app_id: &str, deployment_id: &str) -> Result<Value, String> {
        self.shared()
            .finish_deployment(app_id, deployment_id)
            .map_err(|e| e.message)
    }

    /// Creates an app directly (no HTTP, no rate-limit use, no request log), with the
    /// same validation and encryption as `POST /v2/apps`. The app is created already
    /// live: its first deployment is ACTIVE at once. Returns the app as
    /// `GET /v2/apps/{id}` renders it; `Err` carries the validation message.
    pub fn seed_app(&self, spec: Value) -> Result<Value, String> {
        let shared = self.shared();
        let (id, _) = shared
            .create_app(&spec, None, true)
            .map_err(|e| e.message)?;
        shared.app_value(&id).map_err(|e| e.message)
    }

    /// All stored apps, in creation order, as `GET /v2/apps` renders them.
    pub fn apps_json(&self) -> Value {
        Value::Array(self.shared().all_app_values())
    }
}
