//! App connections: a named DigitalOcean API token (sealed at rest), Infisical's
//! `digital-ocean` / `api-token` connection.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};

use super::validate::{check_description, check_name, opt_timestamp, timestamp};
use super::ControlError;
use crate::store::ConnectionRecord;
use chrono::{DateTime, Utc};

/// Infisical fields that DigitalOcean connections do not support, (camelCase, snake_case).
/// Accepted only when absent, `null` or `false`.
pub const UNSUPPORTED_FIELDS: [(&str, &str); 4] = [
    (
        "isPlatformManagedCredentials",
        "is_platform_managed_credentials",
    ),
    ("gatewayId", "gateway_id"),
    ("isAutoRotationEnabled", "is_auto_rotation_enabled"),
    ("rotation", "rotation"),
];

/// Input of [`ControlPlane::create_connection`](super::ControlPlane::create_connection).
pub struct NewConnection {
    pub name: String,
    pub token: SecretString,
    pub description: Option<String>,
    /// Default `https://api.digitalocean.com`; `http://` only to loopback.
    pub base_url: Option<String>,
    /// Any other field given (Infisical's unsupported ones are rejected as such, the
    /// rest as unknown).
    pub extra: Map<String, Value>,
}

impl NewConnection {
    pub fn new(name: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            token: SecretString::from(token.into()),
            description: None,
            base_url: None,
            extra: Map::new(),
        }
    }

    /// From a JSON object: `name`, `token` (or `credentials: {apiToken}`), `description`,
    /// `baseUrl`/`base_url`; anything else goes to `extra`.
    pub fn from_json(value: &Value) -> Result<Self, ControlError> {
        let mut fields = Fields::of(value)?;
        let name = fields
            .string(&["name"])?
            .ok_or_else(|| ControlError::invalid("name", "is required"))?;
        let token = fields
            .token()?
            .ok_or_else(|| ControlError::invalid("token", "is required"))?;
        let description = fields.nullable_string(&["description"])?.flatten();
        let base_url = fields.nullable_string(&["baseUrl", "base_url"])?.flatten();
        Ok(Self {
            name,
            token,
            description,
            base_url,
            extra: fields.rest,
        })
    }
}

impl std::fmt::Debug for NewConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewConnection")
            .field("name", &self.name)
            .field("token", &"[REDACTED]")
            .field("description", &self.description)
            .field("base_url", &self.base_url)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A PATCH of a connection: only the fields given change.
#[derive(Default)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    /// A new token is checked against the API before it is stored.
    pub token: Option<SecretString>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    /// `Some(None)` resets to the default base URL.
    pub base_url: Option<Option<String>>,
    pub extra: Map<String, Value>,
}

impl ConnectionPatch {
    /// From a JSON object with the fields of [`NewConnection::from_json`], all optional.
    pub fn from_json(value: &Value) -> Result<Self, ControlError> {
        let mut fields = Fields::of(value)?;
        Ok(Self {
            name: fields.string(&["name"])?,
            token: fields.token()?,
            description: fields.nullable_string(&["description"])?,
            base_url: fields.nullable_string(&["baseUrl", "base_url"])?,
            extra: fields.rest,
        })
    }

    /// Whether no field is given at all.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.token.is_none()
            && self.description.is_none()
            && self.base_url.is_none()
            && self.extra.is_empty()
    }
}

impl std::fmt::Debug for ConnectionPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPatch")
            .field("name", &self.name)
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("description", &self.description)
            .field("base_url", &self.base_url)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A stored connection, without its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub base_url: String,
    /// HMAC-SHA256 of the token under a key derived from the master key (hex).
    pub credentials_hash: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Connection {
    pub(crate) fn from_record(rec: &ConnectionRecord) -> Self {
        Self {
            id: rec.id.clone(),
            name: rec.name.clone(),
            description: rec.description.clone(),
            base_url: rec.base_url.clone(),
            credentials_hash: rec.credentials_hash.clone(),
            version: rec.version,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
        }
    }

    /// Infisical's `{"appConnection": {...}}` shape; `credentials` is always `{}`. The
    /// organization and project fields of Infisical's answer (`orgId`, `projectId`,
    /// `project`) are `null`: a connection here belongs to no Infisical organization.
    pub fn to_json(&self) -> Value {
        json!({"appConnection": {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "orgId": null,
            "projectId": null,
            "project": null,
            "app": "digital-ocean",
            "method": "api-token",
            "credentials": {},
            "credentialsHash": self.credentials_hash,
            "version": self.version,
            "createdAt": timestamp(&self.created_at),
            "updatedAt": opt_timestamp(Some(&self.updated_at)),
            "isPlatformManagedCredentials": false,
            "gatewayId": null,
            "isAutoRotationEnabled": false,
            "rotation": null,
            "baseUrl": self.base_url,
        }})
    }
}

/// Rejects Infisical's unsupported fields (when set to anything but `null`/`false`)
/// and every unknown field, by name.
pub(crate) fn check_extra(extra: &Map<String, Value>) -> Result<(), ControlError> {
    for (key, value) in extra {
        match UNSUPPORTED_FIELDS
            .iter()
            .find(|(camel, snake)| key == camel || key == snake)
        {
            Some((camel, _)) => {
                if !matches!(value, Value::Null | Value::Bool(false)) {
                    return Err(ControlError::Unsupported {
                        field: (*camel).to_owned(),
                    });
                }
            }
            None => {
                return Err(ControlError::invalid(
                    key.as_str(),
                    "unknown field for a DigitalOcean connection",
                ))
            }
        }
    }
    Ok(())
}

/// Checks name, description and extra fields of a new connection.
pub(crate) fn check_new(input: &NewConnection) -> Result<(), ControlError> {
    check_name("name", &input.name)?;
    check_description(input.description.as_deref())?;
    check_extra(&input.extra)?;
    if input.token.expose_secret().trim().is_empty() {
        return Err(ControlError::invalid("token", "is empty"));
    }
    Ok(())
}

/// Pulls known fields out of a JSON object; what is left stays in `rest`.
pub(crate) struct Fields {
    pub rest: Map<String, Value>,
}

impl Fields {
    pub fn of(value: &Value) -> Result<Self, ControlError> {
        match value {
            Value::Object(map) => Ok(Self { rest: map.clone() }),
            _ => Err(ControlError::invalid("input", "expected a JSON object")),
        }
    }

    fn take(&mut self, names: &[&str]) -> Result<Option<(String, Value)>, ControlError> {
        let mut found = None;
        for name in names {
            if let Some(v) = self.rest.remove(*name) {
                if found.is_some() {
                    return Err(ControlError::invalid(
                        names[0],
                        format!("given more than once (as {})", names.join(" and ")),
                    ));
                }
                found = Some(((*name).to_owned(), v));
            }
        }
        Ok(found)
    }

    /// A string field; `null` counts as absent.
    pub fn string(&mut self, names: &[&str]) -> Result<Option<String>, ControlError> {
        Ok(self.nullable_string(names)?.flatten())
    }

    /// `None` when absent, `Some(None)` for `null`, `Some(Some(s))` for a string.
    pub fn nullable_string(
        &mut self,
        names: &[&str],
    ) -> Result<Option<Option<String>>, ControlError> {
        match self.take(names)? {
            None => Ok(None),
            Some((_, Value::Null)) => Ok(Some(None)),
            Some((_, Value::String(s))) => Ok(Some(Some(s))),
            Some((name, _)) => Err(ControlError::invalid(name, "must be a string")),
        }
    }

    pub fn bool(&mut self, names: &[&str]) -> Result<Option<bool>, ControlError> {
        match self.take(names)? {
            None | Some((_, Value::Null)) => Ok(None),
            Some((_, Value::Bool(b))) => Ok(Some(b)),
            Some((name, _)) => Err(ControlError::invalid(name, "must be true or false")),
        }
    }

    pub fn value(&mut self, names: &[&str]) -> Result<Option<Value>, ControlError> {
        Ok(self.take(names)?.map(|(_, v)| v))
    }

    /// `token`, or Infisical's `credentials: {apiToken}`. Never echoes the value.
    fn token(&mut self) -> Result<Option<SecretString>, ControlError> {
        let direct = self.take(&["token"])?;
        let nested = match self.take(&["credentials"])? {
            None => None,
            Some((_, Value::Object(mut creds))) => {
                let token = creds.remove("apiToken");
                if let Some(key) = creds.keys().next() {
                    return Err(ControlError::invalid(
                        format!("credentials.{key}"),
                        "unknown field (DigitalOcean connections take credentials.apiToken)",
                    ));
                }
                token.map(|t| ("credentials.apiToken".to_owned(), t))
            }
            Some(_) => {
                return Err(ControlError::invalid(
                    "credentials",
                    "must be an object with apiToken",
                ))
            }
        };
        let token = match (direct, nested) {
            (Some(_), Some(_)) => {
                return Err(ControlError::invalid(
                    "token",
                    "given both as token and as credentials.apiToken",
                ))
            }
            (one, other) => one.or(other),
        };
        match token {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(SecretString::from(s))),
            Some((name, _)) => Err(ControlError::invalid(name, "must be a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_fields() {
        let ok =
            json!({"isPlatformManagedCredentials": false, "gatewayId": null, "rotation": null});
        assert!(check_extra(ok.as_object().unwrap()).is_ok());
        for (field, value) in [
            ("isPlatformManagedCredentials", json!(true)),
            ("gateway_id", json!("3c90c3cc")),
            ("isAutoRotationEnabled", json!(true)),
            ("rotation", json!({"rotationInterval": 1})),
        ] {
            let mut m = Map::new();
            m.insert(field.to_owned(), value);
            let err = check_extra(&m).unwrap_err();
            assert!(matches!(err, ControlError::Unsupported { .. }), "{err}");
            assert!(err
                .to_string()
                .contains("not supported for DigitalOcean connections"));
        }
        let mut m = Map::new();
        m.insert("colour".into(), json!("red"));
        let err = check_extra(&m).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn from_json_keeps_token_out_of_debug() {
        let input = NewConnection::from_json(&json!({
            "name": "prod", "credentials": {"apiToken": "dop_v1_canary"},
            "baseUrl": "http://127.0.0.1:1", "gatewayId": null
        }))
        .unwrap();
        assert_eq!(input.token.expose_secret(), "dop_v1_canary");
        assert!(input.extra.contains_key("gatewayId"));
        assert!(!format!("{input:?}").contains("canary"));
        assert!(NewConnection::from_json(&json!({"name": "x"})).is_err());
        let both = json!({"name": "x", "token": "a", "credentials": {"apiToken": "b"}});
        assert!(NewConnection::from_json(&both).is_err());
        let patch = ConnectionPatch::from_json(&json!({"description": null})).unwrap();
        assert_eq!(patch.description, Some(None));
        assert!(!patch.is_empty());
        assert!(ConnectionPatch::from_json(&json!({})).unwrap().is_empty());
    }
}
