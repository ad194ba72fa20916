//! The HTTP server: its own thread and tokio runtime, a custom accept loop (so a fault
//! can drop a connection without answering), and the request pipeline every API request
//! goes through: latency, faults, auth, rate limit, routing, headers, request log.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tower::ServiceExt;

use super::admin;
use super::errors::ApiError;
use super::faults::FaultKind;
use super::ratelimit::{unix_in, RateHeaders};
use super::reqlog::{logged_body, RequestRecord};
use super::routes::{router, Ctx};
use super::scopes;
use super::state::Shared;

/// Request bodies above this size are refused.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Runs the accept loop until `shutdown` fires.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!("emulator could not register its listener: {e}");
            return;
        }
    };
    let base_origin = listener
        .local_addr()
        .map(|a| format!("http://{a}"))
        .unwrap_or_default();
    let router = router(Arc::clone(&shared));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let conn = Connection {
                        shared: Arc::clone(&shared),
                        router: router.clone(),
                        base_origin: base_origin.clone(),
                    };
                    tokio::spawn(conn.run(stream));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("emulator accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

#[derive(Clone)]
struct Connection {
    shared: Arc<Shared>,
    router: Router,
    base_origin: String,
}

impl Connection {
    /// Serves one TCP connection; a reset fault makes it drop the socket with RST.
    async fn run(self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let reset = Arc::new(Notify::new());
        let service = {
            let reset = Arc::clone(&reset);
            let conn = self.clone();
            service_fn(move |req| {
                let conn = conn.clone();
                let reset = Arc::clone(&reset);
                async move { Ok::<_, Infallible>(conn.handle(req, reset).await) }
            })
        };
        let mut served = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        tokio::select! {
            _ = &mut served => {}
            _ = reset.notified() => {
                // Zero linger turns the close into a TCP reset: the client sees a
                // transport error, never a response.
                let parts = served.into_parts();
                let _ = parts.io.inner().set_zero_linger();
                drop(parts);
            }
        }
    }

    async fn handle(&self, req: Request<Incoming>, reset: Arc<Notify>) -> Response<Body> {
        let path = req.uri().path();
        if path == "/_emulator" || path.starts_with("/_emulator/") {
            let origin = origin_of(&req, &self.base_origin);
            return admin::handle(&self.shared, req.map(Body::new), &origin).await;
        }
        self.api(req, reset).await
    }

    async fn api(&self, req: Request<Incoming>, reset: Arc<Notify>) -> Response<Body> {
        let started = Instant::now();
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let origin = origin_of(&req, &self.base_origin);
        let (parts, body) = req.into_parts();
        let method = parts.method.to_string();
        let path = parts.uri.path().to_string();
        let query = parts.uri.query().map(str::to_string);
        let shared = &self.shared;
        let request_id = shared.entropy.uuid();
        let body = match to_bytes(Body::new(body), MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err(_) => Bytes::new(),
        };
        let log = |status: u16, retry_after: Option<u64>| {
            let logged = logged_body(&body, &shared.secrets, || shared.entropy.bytes());
            shared.log.lock().push(RequestRecord {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                status,
                retry_after,
                body: logged,
                ts,
                response_ms: started.elapsed().as_secs_f64() * 1000.0,
            });
        };
        if !shared.latency.is_zero() {
            tokio::time::sleep(shared.latency).await;
        }

        let fault = shared.faults.lock().hit(&method, &path);
        let mut rewrite_next = None;
        let mut truncate = false;
        let mut reset_after = false;
        let mut remaining_zero = None;
        match fault {
            Some(FaultKind::Status {
                status,
                retry_after,
                body: fault_body,
            }) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let bytes = fault_body
                    .map(String::into_bytes)
                    .unwrap_or_else(|| ApiError::for_status(status).body(&request_id));
                let mut rate = shared.limiter.lock().peek(Instant::now());
                rate.retry_after = retry_after;
                log(status.as_u16(), rate.retry_after);
                return respond(status, bytes, &request_id, Some(rate));
            }
            Some(FaultKind::Reset) => {
                log(0, None);
                return hang_up(&reset).await;
            }
            Some(FaultKind::Malformed) if parts.method != http::Method::GET => {
                let rate = shared.limiter.lock().peek(Instant::now());
                log(200, None);
                let cut = br#"{"message":"the response was cut off he"#.to_vec();
                return respond(StatusCode::OK, cut, &request_id, Some(rate));
            }
            Some(FaultKind::Malformed) => truncate = true,
            Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
            Some(FaultKind::OffOriginNext { url }) => rewrite_next = Some(url),
            Some(FaultKind::ApplyThenReset) => reset_after = true,
            Some(FaultKind::RateLimited {
                retry_after,
                reset_in,
            }) => {
                let mut rate = shared.limiter.lock().peek(Instant::now());
                rate.remaining = 0;
                rate.reset = reset_in.map_or(rate.reset, unix_in);
                rate.retry_after = retry_after;
                let err = ApiError::too_many_requests();
                log(err.status.as_u16(), retry_after);
                return respond(err.status, err.body(&request_id), &request_id, Some(rate));
            }
            Some(FaultKind::RemainingZero { reset_in }) => remaining_zero = Some(reset_in),
            None => {}
        }

        let (status, mut bytes, mut rate) = self
            .dispatch(
                parts,
                body.clone(),
                Ctx {
                    request_id: request_id.clone(),
                    origin,
                },
            )
            .await;
        if let (Some(reset_in), Some(rate)) = (remaining_zero, rate.as_mut()) {
            rate.remaining = 0;
            rate.reset = reset_in.map_or(rate.reset, unix_in);
        }
        if let Some(url) = rewrite_next {
            bytes = with_next_link(bytes, &url);
        }
        if reset_after {
            log(0, None);
            return hang_up(&reset).await;
        }
        if truncate {
            let keep = (bytes.len() / 2).max(1).min(bytes.len());
            bytes.truncate(keep);
            log(200, None);
            return respond(StatusCode::OK, bytes, &request_id, rate);
        }
        log(status.as_u16(), rate.and_then(|r| r.retry_after));
        respond(status, bytes, &request_id, rate)
    }

    /// Auth, rate limit and routing; returns status, body and the rate-limit headers.
    async fn dispatch(
        &self,
        parts: http::request::Parts,
        body: Bytes,
        ctx: Ctx,
    ) -> (StatusCode, Bytes, Option<RateHeaders>) {
        let shared = &self.shared;
        let Some(grant) = bearer(&parts.headers).and_then(|t| shared.grant_for(t)) else {
            let rate = shared.limiter.lock().peek(Instant::now());
            let err = ApiError::unauthorized();
            return (err.status, err.body(&ctx.request_id).into(), Some(rate));
        };
        let rate = match shared.limiter.lock().acquire(Instant::now()) {
            Ok(rate) => rate,
            Err(rate) => {
                let err = ApiError::too_many_requests();
                return (err.status, err.body(&ctx.request_id).into(), Some(rate));
            }
        };
        // A scope the token lacks is a 403 before anything is looked up.
        if let Some(scope) = scopes::required_scope(&parts.method, parts.uri.path()) {
            if !grant.allows(scope) {
                let err = scopes::forbidden();
                return (err.status, err.body(&ctx.request_id).into(), Some(rate));
            }
        }
        let request_id = ctx.request_id.clone();
        let mut req = Request::from_parts(parts, Body::from(body));
        req.extensions_mut().insert(ctx);
        req.extensions_mut().insert(grant);
        let response = match self.router.clone().oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        if let Some(err) = response.extensions().get::<ApiError>() {
            return (err.status, err.body(&request_id).into(), Some(rate));
        }
        // The handler's body as it is (no copy).
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        if status.is_client_error() || status.is_server_error() {
            // A framework rejection (e.g. an undecodable path): give it the DO error shape.
            let mut err = ApiError::for_status(status);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if !text.trim().is_empty() {
                    err.message = text.trim().to_string();
                }
            }
            return (status, err.body(&request_id).into(), Some(rate));
        }
        (status, bytes, Some(rate))
    }
}

/// `http://<Host header>`, so links point where the client sent the request.
fn origin_of<B>(req: &Request<B>, fallback: &str) -> String {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ']))
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| fallback.to_string())
}

/// The bearer token of the `Authorization` header, if there is one.
fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, presented) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| presented.trim())
}

/// Whether the request carries `token` as its bearer token (the admin surface's check).
pub(crate) fn authorized(headers: &http::HeaderMap, token: &str) -> bool {
    bearer(headers).is_some_and(|presented| {
        super::scopes::constant_time_eq(presented.as_bytes(), token.as_bytes())
    })
}

/// Signals the connection task to drop the socket, and never answers.
async fn hang_up(reset: &Notify) -> Response<Body> {
    reset.notify_one();
    std::future::pending::<Response<Body>>().await
}

/// Points `links.pages.next` of a JSON list response at `url`.
fn with_next_link(bytes: Bytes, url: &str) -> Bytes {
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return bytes;
    };
    let Some(obj) = value.as_object_mut() else {
        return bytes;
    };
    let Some(links) = obj.get_mut("links").and_then(Value::as_object_mut) else {
        return bytes;
    };
    let pages = links
        .entry("pages")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(pages) = pages.as_object_mut() {
        pages.insert("next".into(), Value::String(url.to_string()));
    }
    serde_json::to_vec(&value).map_or(bytes, Bytes::from)
}

pub(crate) fn respond(
    status: StatusCode,
    body: impl Into<Bytes>,
    request_id: &str,
    rate: Option<RateHeaders>,
) -> Response<Body> {
    let body: Bytes = body.into();
    let mut builder = Response::builder().status(status);
    if !request_id.is_empty() {
        builder = builder.header("x-request-id", request_id);
    }
    if !body.is_empty() {
        builder = builder.header(header::CONTENT_TYPE, "application/json; charset=utf-8");
    }
    if let Some(rate) = rate {
        builder = builder
            .header("ratelimit-limit", rate.limit)
            .header("ratelimit-remaining", rate.remaining)
            .header("ratelimit-reset", rate.reset);
        if let Some(after) = rate.retry_after {
            builder = builder.header(header::RETRY_AFTER, HeaderValue::from(after));
        }
    }
    builder
        .body(Body::from(body))
        .expect("response parts are valid")
}
