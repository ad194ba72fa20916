//! DigitalOcean-shaped API errors: `{"id", "message", "request_id"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub(crate) const NOT_FOUND_MESSAGE: &str = "The resource you requested could not be found.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) id: String,
    pub(crate) message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    id: &'a str,
    message: &'a str,
    request_id: &'a str,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, id: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            id: id.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", NOT_FOUND_MESSAGE)
    }

    /// App Platform reports spec and argument problems as 400 `invalid_argument`.
    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_argument", message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unable to authenticate you.",
        )
    }

    pub(crate) fn too_many_requests() -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "API Rate limit exceeded.",
        )
    }

    /// The generic error for a status (used by status faults and framework rejections).
    pub(crate) fn for_status(status: StatusCode) -> ApiError {
        let (id, message) = match status.as_u16() {
            400 => ("bad_request", "The request could not be understood."),
            401 => return ApiError::unauthorized(),
            403 => (
                "forbidden",
                "You do not have access for the attempted action.",
            ),
            404 => return ApiError::not_found(),
            405 => (
                "method_not_allowed",
                "The method is not allowed for this resource.",
            ),
            409 => ("conflict", "The request conflicts with the current state."),
            422 => (
                "unprocessable_entity",
                "The request could not be processed.",
            ),
            429 => return ApiError::too_many_requests(),
            500 => ("server_error", "Unexpected server-side error"),
            502 => ("bad_gateway", "Bad gateway"),
            503 => ("service_unavailable", "Service temporarily unavailable"),
            504 => ("gateway_timeout", "Gateway timeout"),
            _ => ("error", "An error occurred."),
        };
        ApiError::new(status, id, message)
    }

    pub(crate) fn body(&self, request_id: &str) -> Vec<u8> {
        serde_json::to_vec(&ErrorBody {
            id: &self.id,
            message: &self.message,
            request_id,
        })
        .expect("error body serializes")
    }
}

/// The error travels to the request pipeline as a response extension, which renders it
/// with the request id.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}
