//! Token scopes, as DigitalOcean's custom-scoped tokens have them (`<resource>:<action>`,
//! e.g. `app:read`). A full-access token may do everything; a scoped token gets 403
//! `forbidden` for an operation whose scope it lacks (the scope of each operation is the
//! one the OpenAPI bundle lists), and a 400 when it writes a spec with attached databases
//! without `database:view_credentials` (the real API cannot bind the database user's
//! password then: Infisical issue #6210).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::errors::ApiError;

/// The scope that lets a token read database credentials.
pub(crate) const DATABASE_CREDENTIALS: &str = "database:view_credentials";
/// DigitalOcean's message, verbatim, for a spec with databases and no credentials scope.
pub(crate) const DATABASE_PASSWORD_MESSAGE: &str = "database user password is not accessible";

/// What a token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grant {
    Full,
    Scoped(Arc<BTreeSet<String>>),
}

impl Grant {
    pub(crate) fn allows(&self, scope: &str) -> bool {
        match self {
            Grant::Full => true,
            Grant::Scoped(scopes) => scopes.contains(scope),
        }
    }

    /// `None` is a full-access token; a list (possibly empty) is a scoped one.
    pub(crate) fn from_list(scopes: Option<&[String]>) -> Result<Grant, String> {
        let Some(scopes) = scopes else {
            return Ok(Grant::Full);
        };
        let mut set = BTreeSet::new();
        for scope in scopes {
            let scope = scope.trim();
            // `read:app` (the order some docs use) is a common mistake: name the right one.
            if let Some((verb @ ("read" | "create" | "update" | "delete"), resource)) =
                scope.split_once(':')
            {
                return Err(format!(
                    "{scope:?} is not a token scope: scopes are `<resource>:<action>`, e.g. {resource}:{verb}"
                ));
            }
            if !is_scope_name(scope) {
                return Err(format!(
                    "{scope:?} is not a token scope: scopes look like `<resource>:<action>`, e.g. app:read"
                ));
            }
            set.insert(scope.to_owned());
        }
        Ok(Grant::Scoped(Arc::new(set)))
    }
}

fn is_scope_name(s: &str) -> bool {
    let part = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    matches!(s.split_once(':'), Some((resource, action)) if part(resource) && part(action))
}

/// The tokens the emulator accepts besides its main one (added at run time).
#[derive(Debug, Default)]
pub(crate) struct ExtraTokens {
    tokens: HashMap<String, Grant>,
}

impl ExtraTokens {
    pub(crate) fn insert(&mut self, token: String, grant: Grant) {
        self.tokens.insert(token, grant);
    }

    pub(crate) fn clear(&mut self) {
        self.tokens.clear();
    }

    /// The grant of a presented token, compared in constant time against each one.
    pub(crate) fn grant_of(&self, presented: &str) -> Option<Grant> {
        let mut found = None;
        for (token, grant) in &self.tokens {
            if constant_time_eq(presented.as_bytes(), token.as_bytes()) {
                found = Some(grant.clone());
            }
        }
        found
    }
}

/// Compares a presented token without leaking where it differs (`subtle`).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// The scope an API request needs, following the bundle's `security` entries: reads are
/// `app:read` (also `POST /v2/apps/propose` and the fleet bandwidth query), console exec
/// is `app:access_console`, creating is `app:create`, deleting `app:delete`, every other
/// write `app:update`, and `/v2/account` is `account:read`. `None` for unknown paths.
pub(crate) fn required_scope(method: &Method, path: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('/');
    if path == "/v2/account" {
        return Some("account:read");
    }
    if path != "/v2/apps" && !path.starts_with("/v2/apps/") {
        return None;
    }
    if path.ends_with("/exec") {
        return Some("app:access_console");
    }
    let scope = match *method {
        Method::GET | Method::HEAD => "app:read",
        Method::POST if path == "/v2/apps" => "app:create",
        Method::POST
            if path == "/v2/apps/propose" || path == "/v2/apps/metrics/bandwidth_daily" =>
        {
            "app:read"
        }
        Method::DELETE => "app:delete",
        _ => "app:update",
    };
    Some(scope)
}

/// The reference's 403 sample, verbatim.
pub(crate) fn forbidden() -> ApiError {
    ApiError::for_status(StatusCode::FORBIDDEN)
}

/// The names of a spec's `databases` entries (unnamed ones as `""`).
pub(crate) fn database_names(spec: &Value) -> Vec<String> {
    spec.get("databases")
        .and_then(Value::as_array)
        .map(|dbs| {
            dbs.iter()
                .map(|db| {
                    db.get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A spec with attached databases written by a token without the credentials scope: 400,
/// DigitalOcean's message verbatim (`bad_request`, the reference's id for a 400).
pub(crate) fn check_database_credentials(grant: &Grant, spec: &Value) -> Result<(), ApiError> {
    if database_names(spec).is_empty() || grant.allows(DATABASE_CREDENTIALS) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_request",
        DATABASE_PASSWORD_MESSAGE,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scope_names_are_resource_colon_action() {
        let ok = [
            "app:read".to_string(),
            "database:view_credentials".to_string(),
        ];
        assert!(matches!(Grant::from_list(Some(&ok)), Ok(Grant::Scoped(s)) if s.len() == 2));
        for bad in [
            "app",
            "App:read",
            "app:",
            ":read",
            "app:read:x",
            "app read",
            "read:app",
        ] {
            assert!(Grant::from_list(Some(&[bad.to_string()])).is_err(), "{bad}");
        }
        assert_eq!(Grant::from_list(None), Ok(Grant::Full));
        assert!(Grant::Full.allows("anything:at_all"));
    }

    #[test]
    fn scopes_follow_the_method_and_path() {
        let cases = [
            (Method::GET, "/v2/account", "account:read"),
            (Method::GET, "/v2/apps", "app:read"),
            (Method::POST, "/v2/apps", "app:create"),
            (Method::PUT, "/v2/apps/x", "app:update"),
            (Method::DELETE, "/v2/apps/x", "app:delete"),
            (Method::POST, "/v2/apps/propose", "app:read"),
            (Method::POST, "/v2/apps/x/restart", "app:update"),
            (
                Method::GET,
                "/v2/apps/x/components/web/exec",
                "app:access_console",
            ),
        ];
        for (method, path, scope) in cases {
            assert_eq!(
                required_scope(&method, path),
                Some(scope),
                "{method} {path}"
            );
        }
        assert_eq!(required_scope(&Method::GET, "/v2/droplets"), None);
    }

    #[test]
    fn databases_need_the_credentials_scope() {
        let spec = json!({"name": "a", "databases": [{"name": "db", "engine": "PG"}]});
        let read_only = Grant::from_list(Some(&["app:update".to_string()])).unwrap();
        let err = check_database_credentials(&read_only, &spec).unwrap_err();
        assert_eq!(
            (err.status, err.message.as_str()),
            (StatusCode::BAD_REQUEST, DATABASE_PASSWORD_MESSAGE)
        );
        let with = Grant::from_list(Some(&[DATABASE_CREDENTIALS.to_string()])).unwrap();
        assert!(check_database_credentials(&with, &spec).is_ok());
        assert!(check_database_credentials(&read_only, &json!({"name": "a"})).is_ok());
    }
}
