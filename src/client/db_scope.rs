//! A spec with attached databases written with a token that cannot read database
//! credentials. DigitalOcean answers `PUT /v2/apps/{id}` (and `POST /v2/apps`) of such a
//! spec with 400 "database user password is not accessible" (Infisical issue #6210). The
//! bare message does not say what to do, so the client recognises it and names the app,
//! the database components and the scopes the token needs.
use std::fmt;

use http::Method;
use serde_json::Value;

use super::error::{ApiError, Error};

/// DigitalOcean's message for this failure (matched case-insensitively, as a substring).
pub const DATABASE_PASSWORD_MESSAGE: &str = "database user password is not accessible";
/// The scope that lets a token read (and so bind) database credentials.
pub const DATABASE_CREDENTIALS_SCOPE: &str = "database:view_credentials";

/// The details of [`Error::DatabaseCredentialsScope`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseScopeError {
    /// The app written (`None` when creating one).
    pub app_id: Option<String>,
    /// `spec.name` of the spec sent.
    pub app_name: Option<String>,
    /// `spec.databases[].name` of the spec sent.
    pub databases: Vec<String>,
    /// Every scope the operation needs, the database one included.
    pub required_scopes: Vec<String>,
    /// DigitalOcean's answer, its message verbatim.
    pub error: ApiError,
}

impl fmt::Display for DatabaseScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.app_id.is_some() {
            "update"
        } else {
            "create"
        };
        match (&self.app_name, &self.app_id) {
            (Some(name), Some(id)) => write!(f, "app {name:?} ({id})")?,
            (None, Some(id)) => write!(f, "app {id}")?,
            (Some(name), None) => write!(f, "new app {name:?}")?,
            (None, None) => write!(f, "new app")?,
        }
        let plural = if self.databases.len() == 1 { "" } else { "s" };
        let names: Vec<String> = self.databases.iter().map(|n| format!("{n:?}")).collect();
        write!(
            f,
            ": DigitalOcean refused to {verb} a spec with attached database{plural} {}: {:?} (HTTP {}",
            names.join(", "),
            self.error.message,
            self.error.status,
        )?;
        if let Some(request_id) = &self.error.request_id {
            write!(f, ", request id {request_id}")?;
        }
        write!(
            f,
            "); the token lacks {DATABASE_CREDENTIALS_SCOPE}: grant it {}",
            join_and(&self.required_scopes)
        )
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Turns a 400 "database user password is not accessible" answer to a spec write into
/// [`Error::DatabaseCredentialsScope`]; every other error is returned as it is.
pub(crate) fn recognise(error: Error, method: &Method, path: &str, body: Option<&[u8]>) -> Error {
    let Error::Validation(api) = &error else {
        return error;
    };
    if api.status != 400
        || !api
            .message
            .to_ascii_lowercase()
            .contains(DATABASE_PASSWORD_MESSAGE)
    {
        return error;
    }
    let path = path.trim_end_matches('/');
    let app_id = match (method, path.strip_prefix("/v2/apps/")) {
        (&Method::PUT, Some(id)) if !id.is_empty() && !id.contains('/') => Some(id.to_owned()),
        (&Method::POST, None) if path == "/v2/apps" => None,
        _ => return error,
    };
    let spec = body
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .and_then(|mut v| v.get_mut("spec").map(Value::take))
        .unwrap_or(Value::Null);
    let databases = spec
        .get("databases")
        .and_then(Value::as_array)
        .map(|dbs| {
            dbs.iter()
                .filter_map(|db| db.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut required_scopes: Vec<String> = if app_id.is_some() {
        vec!["app:read".into(), "app:update".into()]
    } else {
        vec!["app:create".into()]
    };
    required_scopes.push(DATABASE_CREDENTIALS_SCOPE.into());
    let Error::Validation(api) = error else {
        unreachable!("checked above")
    };
    Error::DatabaseCredentialsScope(Box::new(DatabaseScopeError {
        app_id,
        app_name: spec.get("name").and_then(Value::as_str).map(str::to_owned),
        databases,
        required_scopes,
        error: api,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(message: &str) -> Error {
        Error::from_status(
            ApiError {
                status: 400,
                id: Some("bad_request".into()),
                message: message.into(),
                request_id: Some("r-1".into()),
            },
            None,
        )
    }

    const BODY: &[u8] =
        br#"{"spec":{"name":"shop","databases":[{"name":"db","engine":"PG"},{"name":"cache"}]}}"#;

    #[test]
    fn a_put_refused_for_database_credentials_names_app_databases_and_scopes() {
        let err = recognise(
            refused(DATABASE_PASSWORD_MESSAGE),
            &Method::PUT,
            "/v2/apps/a1",
            Some(BODY),
        );
        let Error::DatabaseCredentialsScope(details) = &err else {
            panic!("not recognised: {err:?}");
        };
        assert_eq!(details.app_id.as_deref(), Some("a1"));
        assert_eq!(details.app_name.as_deref(), Some("shop"));
        assert_eq!(details.databases, ["db", "cache"]);
        assert_eq!(
            details.required_scopes,
            ["app:read", "app:update", "database:view_credentials"]
        );
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.request_id(), Some("r-1"));
        assert_eq!(
            err.to_string(),
            "app \"shop\" (a1): DigitalOcean refused to update a spec with attached databases \
             \"db\", \"cache\": \"database user password is not accessible\" (HTTP 400, request \
             id r-1); the token lacks database:view_credentials: grant it app:read, app:update \
             and database:view_credentials"
        );
    }

    #[test]
    fn other_errors_and_other_requests_are_left_alone() {
        let other = recognise(
            refused("spec.name is invalid"),
            &Method::PUT,
            "/v2/apps/a1",
            Some(BODY),
        );
        assert!(matches!(other, Error::Validation(_)));
        let elsewhere = recognise(
            refused(DATABASE_PASSWORD_MESSAGE),
            &Method::POST,
            "/v2/apps/a1/rollback",
            Some(BODY),
        );
        assert!(matches!(elsewhere, Error::Validation(_)));
        let create = recognise(
            refused(DATABASE_PASSWORD_MESSAGE),
            &Method::POST,
            "/v2/apps",
            Some(BODY),
        );
        assert!(
            matches!(&create, Error::DatabaseCredentialsScope(d) if d.app_id.is_none()
                && d.required_scopes == ["app:create", "database:view_credentials"]),
            "{create:?}"
        );
    }
}
