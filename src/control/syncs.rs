//! Secret syncs: a source, a connection and an App Platform app, with the engine's
//! options. Infisical's DigitalOcean App Platform secret sync, in the shape its API
//! answers (`destination: "digital-ocean-app-platform"`; see [`SyncConfig::to_json`]).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::connections::Fields;
use super::overlap::Managed;
use super::validate::{opt_timestamp, timestamp};
use super::ControlError;
use crate::store::{LastRun, SyncRecord};
use crate::sync::{
    IfDeploying, InitialSyncBehavior, KeySchema, Scope, SyncOptions, Targets, VarType,
};

/// Longest `secretPath`.
pub const MAX_SECRET_PATH_LEN: usize = 1024;

/// Infisical's destination name for App Platform syncs, as its API answers it
/// (`SecretSync.DigitalOceanAppPlatform`).
pub const DESTINATION: &str = "digital-ocean-app-platform";

/// The name Infisical's documentation sample uses; accepted on input as an alias.
pub const DESTINATION_DOCS_ALIAS: &str = "digital-ocean";

/// Accepts a destination given on input: Infisical's own name or the docs' alias.
pub(crate) fn check_destination(field: &str, value: &str) -> Result<(), ControlError> {
    if value == DESTINATION || value == DESTINATION_DOCS_ALIAS {
        return Ok(());
    }
    Err(ControlError::invalid(
        field,
        format!(
            "unsupported destination {value:?}: do-envsync syncs to {DESTINATION:?} (also accepted as {DESTINATION_DOCS_ALIAS:?})"
        ),
    ))
}

/// Sync options as given: every field optional. On create, absent fields take their
/// defaults; on update, absent fields keep their current values. The nullable ones
/// (`Some(None)` clears them) are `Option<Option<_>>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOptionsInput {
    pub environment: Option<Option<String>>,
    pub key_schema: Option<Option<String>>,
    /// `overwrite-destination` (default), `import-prioritize-source`, `import-prioritize-destination`.
    pub initial_sync_behavior: Option<String>,
    pub disable_secret_deletion: Option<bool>,
    /// Default true.
    pub auto_sync_enabled: Option<bool>,
    /// `None`: app-level envs; else these components' envs.
    pub components: Option<Option<Vec<String>>>,
    /// `GENERAL` or `SECRET` (default) for new keys.
    pub default_type: Option<String>,
    /// `RUN_TIME`, `BUILD_TIME`, `RUN_AND_BUILD_TIME` (default) for new keys.
    pub default_scope: Option<String>,
    /// `wait` (default), `proceed` or `fail`: a run with changes while a deployment is in flight.
    pub if_deploying: Option<String>,
    /// With `wait`: seconds to wait for in-flight deployments (default 600).
    pub deploy_wait_timeout: Option<Duration>,
}

impl SyncOptionsInput {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// From a JSON object (camelCase or snake_case keys); unknown keys are rejected.
    pub fn from_json(value: &Value) -> Result<Self, ControlError> {
        let mut f = match value {
            Value::Object(_) => Fields::of(value)?,
            Value::Null => return Ok(Self::default()),
            _ => return Err(ControlError::invalid("syncOptions", "expected an object")),
        };
        let components = match f.value(&["components"])? {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::Array(items)) => Some(Some(
                items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => Err(ControlError::invalid(
                            "syncOptions.components",
                            "must be a list of component names",
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            Some(_) => {
                return Err(ControlError::invalid(
                    "syncOptions.components",
                    "must be a list of component names",
                ))
            }
        };
        let input = Self {
            environment: f.nullable_string(&["environment"])?,
            key_schema: f.nullable_string(&["keySchema", "key_schema"])?,
            initial_sync_behavior: f.string(&["initialSyncBehavior", "initial_sync_behavior"])?,
            disable_secret_deletion: f
                .bool(&["disableSecretDeletion", "disable_secret_deletion"])?,
            auto_sync_enabled: f.bool(&["autoSyncEnabled", "auto_sync_enabled"])?,
            components,
            default_type: f.string(&["defaultType", "default_type"])?,
            default_scope: f.string(&["defaultScope", "default_scope"])?,
            if_deploying: f.string(&["ifDeploying", "if_deploying"])?,
            deploy_wait_timeout: seconds(
                f.value(&["deployWaitTimeout", "deploy_wait_timeout"])?,
                "syncOptions.deployWaitTimeout",
            )?,
        };
        reject_unknown("syncOptions", &f.rest)?;
        Ok(input)
    }
}

/// A number of seconds (non-negative, finite), or absent.
fn seconds(value: Option<Value>, field: &str) -> Result<Option<Duration>, ControlError> {
    match value {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .map(Some)
            .ok_or_else(|| {
                ControlError::invalid(field, "must be a non-negative number of seconds")
            }),
    }
}

fn reject_unknown(prefix: &str, rest: &Map<String, Value>) -> Result<(), ControlError> {
    match rest.keys().next() {
        Some(key) => Err(ControlError::invalid(
            format!("{prefix}{}{key}", if prefix.is_empty() { "" } else { "." }),
            "unknown field",
        )),
        None => Ok(()),
    }
}

/// A sync's resolved options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSettings {
    pub environment: Option<String>,
    pub key_schema: Option<KeySchema>,
    pub initial_sync_behavior: InitialSyncBehavior,
    pub disable_secret_deletion: bool,
    pub auto_sync_enabled: bool,
    pub components: Option<Vec<String>>,
    pub default_type: VarType,
    pub default_scope: Scope,
    pub if_deploying: IfDeploying,
    pub deploy_wait_timeout: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        let engine = SyncOptions::default();
        Self {
            environment: None,
            key_schema: None,
            initial_sync_behavior: engine.initial_sync_behavior,
            disable_secret_deletion: engine.disable_secret_deletion,
            auto_sync_enabled: true,
            components: None,
            default_type: engine.default_type,
            default_scope: engine.default_scope,
            if_deploying: engine.if_deploying,
            deploy_wait_timeout: engine.deploy_wait_timeout,
        }
    }
}

impl SyncSettings {
    /// `input` laid over `self`, validated with the engine's own rules.
    pub fn merged(&self, input: &SyncOptionsInput) -> Result<Self, ControlError> {
        let field = |name: &str| format!("syncOptions.{name}");
        let mut out = self.clone();
        if let Some(env) = &input.environment {
            out.environment = env.clone();
        }
        if let Some(schema) = &input.key_schema {
            out.key_schema = schema
                .as_deref()
                .map(KeySchema::parse)
                .transpose()
                .map_err(|e| ControlError::invalid(field("keySchema"), e.to_string()))?;
        }
        if let Some(b) = &input.initial_sync_behavior {
            out.initial_sync_behavior = b.parse().map_err(|e: crate::sync::ParseEnumError| {
                ControlError::invalid(field("initialSyncBehavior"), e.to_string())
            })?;
        }
        if let Some(v) = input.disable_secret_deletion {
            out.disable_secret_deletion = v;
        }
        if let Some(v) = input.auto_sync_enabled {
            out.auto_sync_enabled = v;
        }
        if let Some(c) = &input.components {
            out.components = c.clone();
        }
        if let Some(t) = &input.default_type {
            out.default_type = t.parse().map_err(|e: crate::sync::ParseEnumError| {
                ControlError::invalid(field("defaultType"), e.to_string())
            })?;
        }
        if let Some(s) = &input.default_scope {
            out.default_scope = s.parse().map_err(|e: crate::sync::ParseEnumError| {
                ControlError::invalid(field("defaultScope"), e.to_string())
            })?;
        }
        if let Some(p) = &input.if_deploying {
            out.if_deploying = p.parse().map_err(|e: crate::sync::ParseEnumError| {
                ControlError::invalid(field("ifDeploying"), e.to_string())
            })?;
        }
        if let Some(t) = input.deploy_wait_timeout {
            out.deploy_wait_timeout = t;
        }
        out.engine_options()
            .validate()
            .map_err(|e| ControlError::invalid("syncOptions", e.to_string()))?;
        Ok(out)
    }

    /// The engine's options.
    pub fn engine_options(&self) -> SyncOptions {
        SyncOptions {
            environment: self.environment.clone(),
            key_schema: self.key_schema.clone(),
            disable_secret_deletion: self.disable_secret_deletion,
            initial_sync_behavior: self.initial_sync_behavior,
            targets: match &self.components {
                None => Targets::App,
                Some(c) => Targets::Components(c.clone()),
            },
            default_type: self.default_type,
            default_scope: self.default_scope,
            if_deploying: self.if_deploying,
            deploy_wait_timeout: self.deploy_wait_timeout,
        }
    }

    /// What the sync manages, for the overlap check.
    pub fn managed(&self) -> Result<Managed, ControlError> {
        let affixes = self
            .key_schema
            .as_ref()
            .map(|s| s.affixes(self.environment.as_deref()))
            .transpose()
            .map_err(|e| ControlError::invalid("syncOptions.keySchema", e.to_string()))?;
        Ok(Managed {
            targets: self.engine_options().targets,
            affixes,
        })
    }

    /// Infisical's `syncOptions` (plus this tool's fields, among them `environment`, the
    /// value of `{{environment}}`).
    pub fn to_json(&self) -> Value {
        json!({
            "initialSyncBehavior": self.initial_sync_behavior.as_str(),
            "environment": self.environment,
            "keySchema": self.key_schema.as_ref().map(KeySchema::as_str),
            "autoSyncEnabled": self.auto_sync_enabled,
            "disableSecretDeletion": self.disable_secret_deletion,
            "components": self.components,
            "defaultType": self.default_type.as_str(),
            "defaultScope": self.default_scope.as_str(),
            "ifDeploying": self.if_deploying.as_str(),
            "deployWaitTimeout": self.deploy_wait_timeout.as_secs_f64(),
        })
    }

    /// The stored form: `syncOptions` with `environment`.
    pub(crate) fn to_stored(&self) -> String {
        self.to_json().to_string()
    }

    pub(crate) fn from_stored(text: &str) -> Result<Self, ControlError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| ControlError::invalid("stored syncOptions", e.to_string()))?;
        let input = SyncOptionsInput::from_json(&value)?;
        Self::default().merged(&input)
    }
}

/// Input of [`ControlPlane::create_sync`](super::ControlPlane::create_sync).
#[derive(Debug, Clone)]
pub struct NewSync {
    pub name: String,
    /// Connection id or name.
    pub connection: String,
    /// App id or name.
    pub app: String,
    /// The source configuration (`{"type": "dotenv", ...}`).
    pub source: Value,
    pub options: SyncOptionsInput,
    pub description: Option<String>,
    /// Default true.
    pub is_enabled: Option<bool>,
    /// Informational (Infisical's folder path).
    pub secret_path: Option<String>,
    /// Relative source paths resolve against this directory.
    pub base_dir: PathBuf,
}

impl NewSync {
    /// From a JSON object: `name`, `connection`/`connectionId`, `app` or
    /// `destinationConfig: {appId | appName}`, `source`, `syncOptions`/`options`,
    /// `environment`, `description`, `isEnabled`, `isAutoSyncEnabled`, `secretPath`, and
    /// `destination` (`digital-ocean-app-platform`, or the docs' `digital-ocean`; checked only).
    pub fn from_json(value: &Value, base_dir: impl Into<PathBuf>) -> Result<Self, ControlError> {
        let mut p = SyncFields::parse(value)?;
        let required = |v: Option<String>, field: &str| {
            v.ok_or_else(|| ControlError::invalid(field, "is required"))
        };
        Ok(Self {
            name: required(p.name.take(), "name")?,
            connection: required(p.connection.take(), "connection")?,
            app: required(p.app.take(), "app")?,
            source: p
                .source
                .take()
                .ok_or_else(|| ControlError::invalid("source", "is required"))?,
            options: p.options,
            description: p.description.flatten(),
            is_enabled: p.is_enabled,
            secret_path: p.secret_path.flatten(),
            base_dir: base_dir.into(),
        })
    }
}

/// A PATCH of a sync: only the fields given change. Changing `connection`, `app` or
/// `options.components` resolves the app again.
#[derive(Debug, Clone, Default)]
pub struct SyncPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub connection: Option<String>,
    pub app: Option<String>,
    pub source: Option<Value>,
    pub options: SyncOptionsInput,
    pub is_enabled: Option<bool>,
    pub secret_path: Option<Option<String>>,
    /// For a new `source`: relative paths resolve here (default: the current directory).
    pub base_dir: Option<PathBuf>,
}

impl SyncPatch {
    /// From a JSON object with the fields of [`NewSync::from_json`], all optional.
    pub fn from_json(value: &Value, base_dir: Option<PathBuf>) -> Result<Self, ControlError> {
        let p = SyncFields::parse(value)?;
        Ok(Self {
            name: p.name,
            description: p.description,
            connection: p.connection,
            app: p.app,
            source: p.source,
            options: p.options,
            is_enabled: p.is_enabled,
            secret_path: p.secret_path,
            base_dir,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.connection.is_none()
            && self.app.is_none()
            && self.source.is_none()
            && self.options.is_empty()
            && self.is_enabled.is_none()
            && self.secret_path.is_none()
    }
}

struct SyncFields {
    name: Option<String>,
    description: Option<Option<String>>,
    connection: Option<String>,
    app: Option<String>,
    source: Option<Value>,
    options: SyncOptionsInput,
    is_enabled: Option<bool>,
    secret_path: Option<Option<String>>,
}

impl SyncFields {
    fn parse(value: &Value) -> Result<Self, ControlError> {
        let mut f = Fields::of(value)?;
        let name = f.string(&["name"])?;
        let description = f.nullable_string(&["description"])?;
        let connection = f.string(&["connection", "connectionId", "connection_id"])?;
        let mut app = f.string(&["app"])?;
        if let Some(dest) = f.value(&["destinationConfig", "destination_config"])? {
            let mut d = Fields::of(&dest)
                .map_err(|_| ControlError::invalid("destinationConfig", "expected an object"))?;
            let id = d.string(&["appId", "app_id"])?;
            let by_name = d.string(&["appName", "app_name"])?;
            reject_unknown("destinationConfig", &d.rest)?;
            if app.is_some() {
                return Err(ControlError::invalid(
                    "app",
                    "given both as app and in destinationConfig",
                ));
            }
            app = id.or(by_name);
        }
        if let Some(dest) = f.string(&["destination"])? {
            check_destination("destination", &dest)?;
        }
        let source = f.value(&["source"])?;
        let mut options = match f.value(&["syncOptions", "sync_options", "options"])? {
            Some(v) => SyncOptionsInput::from_json(&v)?,
            None => SyncOptionsInput::default(),
        };
        // Infisical's API has the auto-sync flag at the top level.
        if let Some(auto) = f.bool(&["isAutoSyncEnabled", "is_auto_sync_enabled"])? {
            if options.auto_sync_enabled.is_some() {
                return Err(ControlError::invalid(
                    "isAutoSyncEnabled",
                    "given both at the top level and in syncOptions",
                ));
            }
            options.auto_sync_enabled = Some(auto);
        }
        if let Some(env) = f.nullable_string(&["environment"])? {
            if options.environment.is_some() {
                return Err(ControlError::invalid(
                    "environment",
                    "given both at the top level and in syncOptions",
                ));
            }
            options.environment = Some(env);
        }
        let is_enabled = f.bool(&["isEnabled", "is_enabled", "enabled"])?;
        let secret_path = f.nullable_string(&["secretPath", "secret_path"])?;
        reject_unknown("", &f.rest)?;
        Ok(Self {
            name,
            description,
            connection,
            app,
            source,
            options,
            is_enabled,
            secret_path,
        })
    }
}

/// A stored sync (the source's secret part stays sealed in the store).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub connection_id: String,
    pub connection_name: String,
    pub app_id: String,
    pub app_name: String,
    /// The source's public JSON (safe to show).
    pub source: Value,
    pub settings: SyncSettings,
    pub secret_path: Option<String>,
    pub is_enabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_sync: LastRun,
    pub last_remove: LastRun,
}

impl SyncConfig {
    pub(crate) fn from_record(rec: &SyncRecord) -> Result<Self, ControlError> {
        let source = serde_json::from_str(&rec.source_public)
            .map_err(|e| ControlError::invalid("stored source", e.to_string()))?;
        Ok(Self {
            id: rec.id.clone(),
            name: rec.name.clone(),
            description: rec.description.clone(),
            connection_id: rec.connection_id.clone(),
            connection_name: rec.connection_name.clone(),
            app_id: rec.app_id.clone(),
            app_name: rec.app_name.clone(),
            source,
            settings: SyncSettings::from_stored(&rec.options)?,
            secret_path: rec.secret_path.clone(),
            is_enabled: rec.is_enabled,
            version: rec.version,
            created_at: rec.created_at,
            updated_at: rec.updated_at,
            last_sync: rec.last_sync.clone(),
            last_remove: rec.last_remove.clone(),
        })
    }

    /// The engine's options for this sync.
    pub fn options(&self) -> SyncOptions {
        self.settings.engine_options()
    }

    /// Infisical's `{"secretSync": {...}}` shape, as Infisical's API answers it (its zod
    /// schemas, not the documentation sample): `destination: "digital-ocean-app-platform"`,
    /// `isAutoSyncEnabled` at the top level, and `projectId`, `folderId`, `environment`
    /// (`{slug, name, id}`) and `folder` (`{id, path}`), filled from an Infisical source and
    /// `null` otherwise (and where Infisical would know a value we do not, such as an id).
    /// This tool's own fields come on top: `isEnabled`, `source`, `secretPath`, and in
    /// `syncOptions` the `{{environment}}` value, `autoSyncEnabled`, components, type, scope.
    pub fn to_json(&self) -> Value {
        let origin = InfisicalOrigin::of(&self.source);
        json!({"secretSync": {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "destination": DESTINATION,
            "isAutoSyncEnabled": self.settings.auto_sync_enabled,
            "version": self.version,
            "projectId": origin.as_ref().map(|o| o.project_id.as_str()),
            "folderId": null,
            "connectionId": self.connection_id,
            "connection": {"id": self.connection_id, "name": self.connection_name, "app": "digital-ocean"},
            "environment": origin.as_ref().map(|o| json!({"slug": o.environment, "name": null, "id": null})),
            "folder": origin.as_ref().map(|o| json!({"id": null, "path": o.secret_path})),
            "isEnabled": self.is_enabled,
            "source": self.source,
            "secretPath": self.secret_path,
            "syncOptions": self.settings.to_json(),
            "destinationConfig": {"appId": self.app_id, "appName": self.app_name},
            "syncStatus": self.last_sync.status,
            "lastSyncJobId": self.last_sync.job_id,
            "lastSyncMessage": self.last_sync.message,
            "lastSyncedAt": opt_timestamp(self.last_sync.succeeded_at.as_ref()),
            "importStatus": null,
            "lastImportJobId": null,
            "lastImportMessage": null,
            "lastImportedAt": null,
            "removeStatus": self.last_remove.status,
            "lastRemoveJobId": self.last_remove.job_id,
            "lastRemoveMessage": self.last_remove.message,
            "lastRemovedAt": opt_timestamp(self.last_remove.succeeded_at.as_ref()),
            "createdAt": timestamp(&self.created_at),
            "updatedAt": timestamp(&self.updated_at),
        }})
    }
}

/// Where an Infisical source reads from: what Infisical's answer would carry as the
/// sync's project, environment and folder.
struct InfisicalOrigin {
    project_id: String,
    environment: String,
    secret_path: String,
}

impl InfisicalOrigin {
    fn of(public_source: &Value) -> Option<Self> {
        if public_source["type"].as_str() != Some("infisical") {
            return None;
        }
        let text = |key: &str| public_source[key].as_str().map(str::to_owned);
        Some(Self {
            project_id: text("project_id")?,
            environment: text("environment")?,
            secret_path: text("secret_path").unwrap_or_else(|| "/".to_owned()),
        })
    }
}

/// `secretPath`: informational, but kept to Infisical's shape (`/`-rooted folder path).
pub(crate) fn check_secret_path(path: Option<&str>) -> Result<(), ControlError> {
    let Some(path) = path else { return Ok(()) };
    if !path.starts_with('/') {
        return Err(ControlError::invalid(
            "secretPath",
            "must start with '/' (a folder path such as /app-secrets)",
        ));
    }
    if path.len() > MAX_SECRET_PATH_LEN || path.chars().any(char::is_control) {
        return Err(ControlError::invalid(
            "secretPath",
            format!("must be at most {MAX_SECRET_PATH_LEN} characters without control characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_merge_and_validate() {
        let base = SyncSettings::default();
        assert!(base.auto_sync_enabled);
        let input = SyncOptionsInput::from_json(&json!({
            "keySchema": "APP_{{environment}}_{{secretKey}}", "environment": "prod",
            "components": ["web"], "default_type": "GENERAL"
        }))
        .unwrap();
        let s = base.merged(&input).unwrap();
        assert_eq!(s.default_type, VarType::General);
        assert_eq!(
            s.managed().unwrap().affixes,
            Some(("APP_prod_".into(), String::new()))
        );
        let back = SyncSettings::from_stored(&s.to_stored()).unwrap();
        assert_eq!(back, s);
        // Clearing the environment while the schema needs it is refused.
        let clear = SyncOptionsInput {
            environment: Some(None),
            ..Default::default()
        };
        let err = s.merged(&clear).unwrap_err();
        assert!(err.to_string().contains("environment"), "{err}");
        for bad in [
            json!({"keySchema": "NOPE"}),
            json!({"initialSyncBehavior": "merge"}),
            json!({"defaultScope": "ALWAYS"}),
            json!({"components": []}),
        ] {
            let input = SyncOptionsInput::from_json(&bad).unwrap();
            assert!(base.merged(&input).is_err(), "{bad}");
        }
        let err = SyncOptionsInput::from_json(&json!({"colour": 1})).unwrap_err();
        assert!(err.to_string().contains("syncOptions.colour"), "{err}");
    }

    #[test]
    fn new_sync_from_json() {
        let s = NewSync::from_json(
            &json!({"name": "web", "connectionId": "c", "destinationConfig": {"appName": "a"},
                    "source": {"type": "inline", "secrets": {}}, "environment": "dev",
                    "isEnabled": false, "secretPath": "/x"}),
            "/tmp",
        )
        .unwrap();
        assert_eq!(s.app, "a");
        assert_eq!(s.options.environment, Some(Some("dev".into())));
        assert_eq!(s.is_enabled, Some(false));
        let err = NewSync::from_json(&json!({"name": "w", "oops": 1}), "/").unwrap_err();
        assert!(err.to_string().contains("oops"), "{err}");
        assert!(SyncPatch::from_json(&json!({}), None).unwrap().is_empty());
        assert!(check_secret_path(Some("relative")).is_err());
        assert!(check_secret_path(Some("/ok/path")).is_ok());
    }
}
