//! The client's error type. Display and Debug never contain the token or a request body, and
//! text taken from response bodies is masked (see `redact`).
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::redact::{excerpt, mask_secrets, Scrubber};

/// A non-2xx answer from the API, decoded from DigitalOcean's `{id, message, request_id}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub id: Option<String>,
    /// DigitalOcean's message verbatim (secrets masked).
    pub message: String,
    pub request_id: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(id) = &self.id {
            write!(f, " {id}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(request_id) = &self.request_id {
            write!(f, " (request id {request_id})")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    id: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

impl ApiError {
    /// Builds the error from a response: the JSON error body when there is one, a generic
    /// message with a masked excerpt otherwise. `header_request_id` is `x-request-id`.
    pub fn from_response(status: u16, body: &[u8], header_request_id: Option<String>) -> Self {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("unexpected status");
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(parsed) if parsed.id.is_some() || parsed.message.is_some() => ApiError {
                status,
                id: parsed.id.map(|id| mask_secrets(&id).into_owned()),
                message: parsed
                    .message
                    .map(|m| mask_secrets(&m).into_owned())
                    .unwrap_or_else(|| reason.to_string()),
                request_id: parsed.request_id.or(header_request_id),
            },
            _ => {
                let message = if body.iter().all(u8::is_ascii_whitespace) {
                    format!("{reason} (empty body)")
                } else {
                    format!("{reason} (non-JSON error body: {})", excerpt(body))
                };
                ApiError {
                    status,
                    id: None,
                    message,
                    request_id: header_request_id,
                }
            }
        }
    }
}

/// What went wrong below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The connection could not be established (nothing was sent).
    Connect,
    /// The attempt exceeded its timeout.
    Timeout,
    /// The connection was reset or closed before the full response arrived.
    Reset,
    Other,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("authentication failed: {0}")]
    Authentication(ApiError),
    #[error("permission denied: {0}")]
    PermissionDenied(ApiError),
    #[error("not found: {0}")]
    NotFound(ApiError),
    #[error("request rejected as invalid: {0}")]
    Validation(ApiError),
    /// A 400 "database user password is not accessible" to a write of a spec with
    /// attached databases: the token lacks `database:view_credentials` (see `db_scope`).
    #[error("{0}")]
    DatabaseCredentialsScope(Box<super::db_scope::DatabaseScopeError>),
    #[error("conflict: {0}")]
    Conflict(ApiError),
    #[error("rate limited: {error}{}", retry_after_suffix(*.retry_after))]
    RateLimited {
        error: ApiError,
        retry_after: Option<Duration>,
    },
    #[error("server error: {0}")]
    Server(ApiError),
    #[error("API error: {0}")]
    Api(ApiError),
    #[error("transport error ({kind:?}): {message}")]
    Transport {
        kind: TransportKind,
        message: String,
    },
    #[error("could not decode the HTTP {status} response{}: {message}; body starts with: {excerpt}", request_id_suffix(.request_id))]
    Decode {
        status: u16,
        message: String,
        /// At most 200 characters of the body, secrets masked.
        excerpt: String,
        request_id: Option<String>,
    },
    #[error("invalid client configuration: {0}")]
    Config(String),
    #[error("stopped after {pages} pages: the page limit was reached")]
    PageLimit { pages: usize },
    #[error("refusing to follow a link to another origin: {url}")]
    OffOrigin { url: String },
}

fn retry_after_suffix(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (retry after {:.3}s)", d.as_secs_f64()),
        None => String::new(),
    }
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {id})"),
        None => String::new(),
    }
}

impl Error {
    /// Maps a non-2xx status to its variant.
    pub fn from_status(api: ApiError, retry_after: Option<Duration>) -> Self {
        match api.status {
            401 => Error::Authentication(api),
            403 => Error::PermissionDenied(api),
            404 => Error::NotFound(api),
            400 | 422 => Error::Validation(api),
            409 => Error::Conflict(api),
            429 => Error::RateLimited {
                error: api,
                retry_after,
            },
            500..=599 => Error::Server(api),
            _ => Error::Api(api),
        }
    }

    /// A decode failure of a successful response body.
    pub fn decode(
        status: u16,
        err: &serde_json::Error,
        body: &[u8],
        request_id: Option<String>,
    ) -> Self {
        // serde_json messages name positions and types, never input text; mask anyway.
        Error::Decode {
            status,
            message: mask_secrets(&err.to_string()).into_owned(),
            excerpt: excerpt(body),
            request_id,
        }
    }

    /// The same error with every value `scrubber` knows (the values a request was
    /// sending, the token) masked in its texts: servers echo input in messages.
    pub fn scrubbed(mut self, scrubber: &Scrubber) -> Self {
        let scrub = |text: &mut String| {
            if let std::borrow::Cow::Owned(clean) = scrubber.scrub(text) {
                *text = clean;
            }
        };
        match &mut self {
            Error::Authentication(api)
            | Error::PermissionDenied(api)
            | Error::NotFound(api)
            | Error::Validation(api)
            | Error::Conflict(api)
            | Error::Server(api)
            | Error::Api(api)
            | Error::RateLimited { error: api, .. } => {
                scrub(&mut api.message);
                if let Some(id) = &mut api.id {
                    scrub(id);
                }
            }
            Error::DatabaseCredentialsScope(details) => {
                scrub(&mut details.error.message);
                if let Some(id) = &mut details.error.id {
                    scrub(id);
                }
            }
            Error::Transport { message, .. } | Error::Config(message) => scrub(message),
            Error::Decode {
                message, excerpt, ..
            } => {
                scrub(message);
                scrub(excerpt);
            }
            Error::PageLimit { .. } | Error::OffOrigin { .. } => {}
        }
        self
    }

    /// The HTTP status behind the error, if an HTTP exchange produced it.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Decode { status, .. } => Some(*status),
            other => other.api().map(|api| api.status),
        }
    }

    /// The decoded API error for non-2xx responses.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Authentication(api)
            | Error::PermissionDenied(api)
            | Error::NotFound(api)
            | Error::Validation(api)
            | Error::Conflict(api)
            | Error::Server(api)
            | Error::Api(api)
            | Error::RateLimited { error: api, .. } => Some(api),
            Error::DatabaseCredentialsScope(details) => Some(&details.error),
            _ => None,
        }
    }

    /// Whether repeating the same request may succeed (429, 500/502/503/504, connect, timeout,
    /// reset). Whether it is *safe* to repeat depends on the operation, see `retry`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::Server(api) => matches!(api.status, 500 | 502 | 503 | 504),
            Error::Transport { kind, .. } => !matches!(kind, TransportKind::Other),
            _ => false,
        }
    }

    /// The request id DigitalOcean attached, for support tickets.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Decode { request_id, .. } => request_id.as_deref(),
            other => other.api().and_then(|api| api.request_id.as_deref()),
        }
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Maps a reqwest failure; the URL (which may carry query values) is dropped.
    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            TransportKind::Timeout
        } else if err.is_connect() {
            TransportKind::Connect
        } else if is_reset(&err) {
            TransportKind::Reset
        } else {
            TransportKind::Other
        };
        let err = err.without_url();
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        Error::Transport {
            kind,
            message: mask_secrets(&message).into_owned(),
        }
    }
}

/// A connection that broke mid-exchange: reset, aborted, closed early, or a truncated body.
fn is_reset(err: &reqwest::Error) -> bool {
    if err.is_body() {
        return true;
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        // hyper reports a peer that closed the connection without answering this way; hyper
        // is not a direct dependency, so its error is recognised by its stable message.
        let text = cause.to_string();
        if text.contains("connection closed before message completed")
            || text.contains("connection reset")
        {
            return true;
        }
        source = cause.source();
    }
    err.is_request()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_digitalocean_error_bodies() {
        let api = ApiError::from_response(
            404,
            br#"{"id":"not_found","message":"The resource you were accessing could not be found.","request_id":"r-1"}"#,
            Some("header-id".into()),
        );
        assert_eq!(api.id.as_deref(), Some("not_found"));
        assert_eq!(api.request_id.as_deref(), Some("r-1"));
        let api = ApiError::from_response(
            403,
            br#"{"id":"forbidden","message":"no"}"#,
            Some("h".into()),
        );
        assert_eq!(
            api.request_id.as_deref(),
            Some("h"),
            "header id used when the body lacks one"
        );
    }

    #[test]
    fn non_json_bodies_get_a_generic_masked_message() {
        let api = ApiError::from_response(
            502,
            b"<html>bad gateway EV[1:zz:yy] dop_v1_abc</html>",
            None,
        );
        assert_eq!(api.id, None);
        assert!(api
            .message
            .starts_with("Bad Gateway (non-JSON error body: <html>bad gateway"));
        assert!(!api.message.contains("zz:yy"));
        assert!(!api.message.contains("dop_v1_abc"));
    }

    #[test]
    fn status_mapping_and_retryability() {
        let api = |status| ApiError {
            status,
            id: None,
            message: String::new(),
            request_id: None,
        };
        assert!(matches!(
            Error::from_status(api(422), None),
            Error::Validation(_)
        ));
        assert!(matches!(
            Error::from_status(api(400), None),
            Error::Validation(_)
        ));
        assert!(matches!(Error::from_status(api(418), None), Error::Api(_)));
        assert!(Error::from_status(api(503), None).is_retryable());
        assert!(!Error::from_status(api(501), None).is_retryable());
        assert!(!Error::from_status(api(409), None).is_retryable());
        assert_eq!(Error::from_status(api(409), None).status(), Some(409));
    }
}
