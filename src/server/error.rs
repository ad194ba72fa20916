//! Errors as Infisical's API answers them: `{"reqId", "statusCode", "message", "error"}`.
//! Messages come from the control plane, which never puts a token or a secret value in
//! one; a token sent in the request body is scrubbed from the message all the same.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::client::{Error as DoError, Scrubber};
use crate::control::ControlError;

/// One error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Authentication required: send Authorization: Bearer <API key> (do-envsync serve keys create NAME)",
        )
    }

    /// Removes every value `secrets` names from the message.
    pub fn scrubbed(mut self, secrets: &Scrubber) -> Self {
        self.message = secrets.scrub(&self.message).into_owned();
        self
    }

    /// Infisical's `error` names for its status codes.
    fn error_name(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "BadRequest",
            401 => "UnauthorizedError",
            403 => "PermissionDenied",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            413 => "PayloadTooLarge",
            415 => "UnsupportedMediaType",
            502 => "BadGateway",
            _ => "InternalServerError",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "reqId": format!("req-{}", uuid::Uuid::new_v4().simple()),
            "statusCode": self.status.as_u16(),
            "message": crate::client::mask_secrets(&self.message),
            "error": self.error_name(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

/// Infisical's wording for its object kinds.
pub fn kind_name(what: &str) -> &'static str {
    match what {
        "connection" => "App Connection",
        "sync" => "Secret Sync",
        "app" => "DigitalOcean App",
        _ => "object",
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> Self {
        let message = e.one_line();
        match &e {
            ControlError::NotFound { what, name } => {
                Self::not_found(format!("Could not find {} {name:?}", kind_name(what)))
            }
            // Infisical answers a taken name with 400 and this wording.
            ControlError::AlreadyExists { what, name } => Self::bad_request(format!(
                "A{} {} with the name \"{name}\" already exists",
                if *what == "connection" { "n" } else { "" },
                kind_name(what)
            )),
            ControlError::Unsupported { field } => Self::bad_request(format!(
                "{field}: Not supported for DigitalOcean App Platform Connections."
            )),
            ControlError::Invalid { .. }
            | ControlError::InUse { .. }
            | ControlError::Overlap { .. }
            | ControlError::Disabled { .. }
            | ControlError::Source(_)
            | ControlError::DeploymentFailed { .. }
            | ControlError::RemoveBeforeDeleteFailed { .. }
            | ControlError::RunFailed { .. } => Self::bad_request(message),
            // Optimistic concurrency: another writer won; the client may retry.
            ControlError::Concurrent { .. } => Self::new(StatusCode::CONFLICT, message),
            ControlError::Api(api) => from_do_error(api, message),
            ControlError::Sync(crate::sync::SyncError::Internal(_))
            | ControlError::Store(_)
            | ControlError::Crypto(_) => Self::new(StatusCode::INTERNAL_SERVER_ERROR, message),
            ControlError::Sync(_) => Self::bad_request(message),
        }
    }
}

/// DigitalOcean refused or failed. What the caller can fix (a token DigitalOcean rejects, an
/// unknown app, a spec it refuses) is a 400 as in Infisical ("Unable to validate
/// connection"); DigitalOcean being unreachable or failing is a 502.
fn from_do_error(e: &DoError, message: String) -> ApiError {
    match e {
        DoError::NotFound(_) => ApiError::not_found(message),
        DoError::Config(_) | DoError::Validation(_) | DoError::DatabaseCredentialsScope(_) => {
            ApiError::bad_request(message)
        }
        DoError::Authentication(_) | DoError::PermissionDenied(_) => {
            ApiError::bad_request(format!("Unable to validate connection: {message}"))
        }
        _ => ApiError::new(StatusCode::BAD_GATEWAY, message),
    }
}
