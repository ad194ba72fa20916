//! `Client`: one attempt of a request (auth, pacing, error mapping) wrapped in the retry layer.
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use super::config::ClientBuilder;
use super::db_scope;
use super::error::{ApiError, Error};
use super::operations::Operation;
use super::pagination::Pages;
use super::rate_limit::{Observed, Pacer, RateLimit};
use super::redact::Scrubber;
use super::retry::{self, RetryConfig};
use super::urls;

/// A DigitalOcean API client. Cheap to clone; clones share connections and rate-limit state.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub base_url: Url,
    pub token: SecretString,
    pub retry: RetryConfig,
    pub pacer: Pacer,
    pub max_pages: usize,
    pub observer: Option<super::config::ResponseObserver>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("token", &"[REDACTED]")
            .field("retry", &self.inner.retry)
            .field("max_pages", &self.inner.max_pages)
            .finish()
    }
}

/// A successful (2xx) response.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `x-request-id`, when the server sent one.
    pub request_id: Option<String>,
}

impl fmt::Debug for Response {
    // The body may hold secrets (EV[...] values, plaintext in echoes): only its size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    /// Decodes the JSON body; an empty body decodes as `null` (so `()` and `Option` work).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        serde_json::from_slice(body)
            .map_err(|e| Error::decode(self.status, &e, &self.body, self.request_id.clone()))
    }
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The last `ratelimit-*` headers seen by this client (or any of its clones).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.inner.pacer.last()
    }

    pub(crate) fn max_pages(&self) -> usize {
        self.inner.max_pages
    }

    /// One API operation by its table entry: fills the path parameters (percent-encoded),
    /// sends query and body, applies auth, pacing and retries, maps errors.
    pub async fn send(
        &self,
        op: &'static Operation,
        path_params: &[(&str, &str)],
        query: &[(String, String)],
        body: Option<Bytes>,
    ) -> Result<Response, Error> {
        let url = urls::operation_url(&self.inner.base_url, op, path_params, query)?;
        self.execute(op.method.clone(), url, body, op.is_retryable())
            .await
    }

    /// Like [`Client::send`], but exactly one attempt (auth, pacing and error mapping
    /// included, no retry): for callers that decide themselves whether repeating the
    /// request is safe, e.g. a PUT whose response was lost may have been applied.
    pub async fn send_once(
        &self,
        op: &'static Operation,
        path_params: &[(&str, &str)],
        query: &[(String, String)],
        body: Option<Bytes>,
    ) -> Result<Response, Error> {
        let url = urls::operation_url(&self.inner.base_url, op, path_params, query)?;
        self.execute(op.method.clone(), url, body, false).await
    }

    /// Like [`Client::send`], with the body decoded as JSON.
    pub async fn call<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        path_params: &[(&str, &str)],
        query: &[(String, String)],
        body: Option<Bytes>,
    ) -> Result<T, Error> {
        self.send(op, path_params, query, body).await?.json()
    }

    /// Any endpoint with the same machinery. `path` is `/v2/...` or an absolute URL on the
    /// base origin. GET, HEAD, PUT and DELETE are retried, POST and PATCH are not.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Bytes>,
    ) -> Result<Response, Error> {
        let url = urls::raw_url(&self.inner.base_url, path, query)?;
        let retryable = retry::method_is_idempotent(&method);
        self.execute(method, url, body, retryable).await
    }

    /// A lazy page cursor over a paginated list operation.
    pub fn pages(
        &self,
        op: &'static Operation,
        path_params: &[(&str, &str)],
        query: &[(String, String)],
    ) -> Pages {
        Pages::new(self.clone(), op, path_params, query)
    }

    /// Sends to an already validated URL, retrying when `retryable` allows.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        retryable: bool,
    ) -> Result<Response, Error> {
        let path = url.path();
        retry::run(&self.inner.retry, retryable, &method, path, |attempt| {
            self.attempt(&method, &url, body.clone(), attempt)
        })
        .await
        .map_err(|e| db_scope::recognise(e, &method, path, body.as_deref()))
    }

    /// What an error answer to a request must not repeat: the token, and the SECRET
    /// values of the body sent (a 422 may quote the value it rejects). Built only when
    /// a request failed.
    fn request_scrubber(&self, body: Option<&[u8]>) -> Scrubber {
        let mut scrubber = Scrubber::new();
        scrubber.add(self.inner.token.expose_secret());
        if let Some(json) = body.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok()) {
            scrubber.add_secret_envs(&json);
        }
        scrubber
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<Bytes>,
        attempt: u32,
    ) -> Result<Response, Error> {
        let permit = self.inner.pacer.acquire().await?;
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", self.inner.token.expose_secret()))
                .map_err(|_| Error::Config("the API token is not a valid header value".into()))?;
        auth.set_sensitive(true);
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(header::AUTHORIZATION, auth);
        // Kept (a cheap clone of shared bytes) to scrub an error that echoes it.
        let body_sent = body.clone();
        if let Some(body) = body {
            request = request
                .header(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )
                .body(body);
        }

        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                let error = Error::from_reqwest(err);
                tracing::debug!(%method, path = url.path(), attempt, error = %error, "request failed");
                return Err(error);
            }
        };
        let status = response.status().as_u16();
        if let Some(observer) = &self.inner.observer {
            observer(status);
        }
        let observed = permit.observe(status, response.headers());
        let headers = response.headers().clone();
        let request_id = request_id(&headers);
        let body = response.bytes().await.map_err(Error::from_reqwest)?;
        drop(permit);
        tracing::debug!(
            %method,
            path = url.path(),
            status,
            attempt,
            elapsed_ms = started.elapsed().as_millis() as u64,
            request_id = request_id.as_deref(),
            "response"
        );

        if (200..300).contains(&status) {
            return Ok(Response {
                status,
                headers,
                body,
                request_id,
            });
        }
        // A 429 without `retry-after` and with nothing remaining is the hourly quota: the
        // time until `reset` is when a retry can succeed (`retry::decide` waits for it only
        // when that fits the retry budget).
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
            .or(match observed {
                Observed::HourlyQuota(until_reset) => Some(until_reset),
                Observed::Nothing => None,
            });
        let error = Error::from_status(
            ApiError::from_response(status, &body, request_id),
            retry_after,
        );
        Err(error.scrubbed(&self.request_scrubber(body_sent.as_deref())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn client_and_its_futures_are_send_and_sync() {
        fn assert_sync<T: Send + Sync + Clone>() {}
        assert_sync::<Client>();
        let client = Client::builder()
            .token("dop_v1_test")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
        let op = crate::client::operations::operation("list").unwrap();
        assert_send(&client.send(op, &[], &[], None));
        assert_send(&client.call::<serde_json::Value>(op, &[], &[], None));
        assert_send(&client.request(Method::GET, "/v2/account", &[], None));
        let mut pages = client.pages(op, &[], &[]);
        assert_send(&pages.next_page());
        assert_send(&pages);
    }

    #[test]
    fn response_json_treats_an_empty_body_as_null() {
        let response = Response {
            status: 200,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            request_id: None,
        };
        response.json::<()>().unwrap();
        assert_eq!(response.json::<Option<u8>>().unwrap(), None);
        let response = Response {
            body: Bytes::from_static(b"{\"secret\":\"EV[1:x]\""),
            ..response
        };
        let err = response.json::<serde_json::Value>().unwrap_err();
        assert!(matches!(&err, Error::Decode { excerpt, .. } if !excerpt.contains("EV[1:x]")));
        assert!(!format!("{response:?}").contains("EV["));
    }
}
