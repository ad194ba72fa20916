//! `do-envsync.toml`: connections and syncs declared in a file, applied idempotently.
//!
//! ```toml
//! [[connections]]
//! name = "prod"
//! token_env = "DO_PROD_TOKEN"        # the token itself is never written in the file
//! base_url = "https://api.digitalocean.com"   # optional
//! description = "production account"         # optional
//!
//! [[syncs]]
//! name = "web-prod"
//! connection = "prod"
//! app = "web"                          # app name or id
//! description = "..."                  # optional
//! enabled = true                       # optional, default true
//! destination = "digital-ocean-app-platform"  # optional ("digital-ocean" also accepted)
//! [syncs.source]
//! type = "dotenv"
//! paths = [".env.prod"]                # relative to this file's directory
//! [syncs.options]                      # optional
//! key_schema = "APP_{{secretKey}}"
//! if_deploying = "wait"                # or "proceed", "fail"; deploy_wait_timeout = 600
//!
//!
//! [[notify]]                           # optional: run notifications (docs/notifications.md)
//! name = "ops"
//! type = "slack"                       # or "webhook" (signed JSON)
//! url_env = "OPS_SLACK_URL"            # the URL is a secret: only its variable is named here
//! secret_env = "OPS_HOOK_SECRET"       # webhook only, required (the signing secret)
//! sync = "web-prod"                    # optional; absent: the default of every sync
//! events = ["failed", "recovered"]     # optional; also "changed", "drift_repaired"
//! dedup_interval = 3600                # optional, seconds
//! enabled = true                       # optional
//! ```
//!
//! Applying creates what is missing and updates what differs; items that already
//! match are left alone (no version bump). A token is re-checked only when it changed
//! (compared through `credentialsHash`). Nothing is deleted for items missing from
//! the file. Applying stops at the first failing item.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::notify::{NewNotifyTarget, NotifyEvent, NotifyTargetPatch, TargetKind};
use super::syncs::{SyncOptionsInput, SyncSettings};
use super::{
    ConnectionPatch, ControlError, ControlPlane, NewConnection, NewSync, SyncPatch,
    DEFAULT_BASE_URL,
};
use crate::sources::SourceSpec;

/// A connection declared in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigConnection {
    pub name: String,
    /// Name of the environment variable holding the token.
    pub token_env: String,
    pub base_url: Option<String>,
    pub description: Option<String>,
}

/// A sync declared in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigSync {
    pub name: String,
    pub connection: String,
    pub app: String,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub source: Value,
    pub options: SyncOptionsInput,
}

/// A notification target declared in the file. Its URL and signing secret are named
/// by environment variable only (both are secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigNotify {
    pub name: String,
    pub kind: TargetKind,
    pub url_env: String,
    pub secret_env: Option<String>,
    /// `None`: a default for every sync.
    pub sync: Option<String>,
    pub events: Option<Vec<NotifyEvent>>,
    pub dedup_interval: Option<std::time::Duration>,
    pub enabled: Option<bool>,
}

/// A parsed `do-envsync.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    /// Relative source paths resolve against this directory.
    pub base_dir: PathBuf,
    pub connections: Vec<ConfigConnection>,
    pub syncs: Vec<ConfigSync>,
    pub notify: Vec<ConfigNotify>,
}

impl ConfigFile {
    /// The connections that send their token somewhere else than DigitalOcean's API:
    /// `(name, token_env, base_url)` for each `base_url` other than the default. Callers
    /// say so (or refuse) before applying: the file alone chose where the token goes.
    pub fn custom_base_urls(&self) -> Vec<(String, String, String)> {
        self.connections
            .iter()
            .filter_map(|c| {
                let url = c.base_url.as_deref()?.trim();
                (url.trim_end_matches('/') != DEFAULT_BASE_URL.trim_end_matches('/'))
                    .then(|| (c.name.clone(), c.token_env.clone(), url.to_owned()))
            })
            .collect()
    }
}

/// What applying did to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigAction {
    Created,
    Updated,
    Unchanged,
}

impl ConfigAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigAction::Created => "created",
            ConfigAction::Updated => "updated",
            ConfigAction::Unchanged => "unchanged",
        }
    }
}

/// One line of a [`ConfigReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigItem {
    /// `connection`, `sync` or `notify`.
    pub kind: &'static str,
    pub name: String,
    pub action: ConfigAction,
    /// The fields that changed (for `Updated`).
    pub fields: Vec<String>,
}

/// What [`apply_config`] did, item by item, connections first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigReport {
    pub items: Vec<ConfigItem>,
}

impl ConfigReport {
    /// Whether anything was created or updated.
    pub fn changed(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.action != ConfigAction::Unchanged)
    }

    pub fn to_json(&self) -> Value {
        Value::Array(
            self.items
                .iter()
                .map(|i| {
                    json!({"kind": i.kind, "name": i.name, "action": i.action.as_str(), "fields": i.fields})
                })
                .collect(),
        )
    }
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> ControlError {
    ControlError::invalid(path, message)
}

/// Reads the fields of one TOML table, rejecting unknown keys by their path.
struct Table<'a> {
    path: String,
    table: &'a toml::Table,
    seen: Vec<&'static str>,
}

impl<'a> Table<'a> {
    fn new(path: String, table: &'a toml::Table) -> Self {
        Self {
            path,
            table,
            seen: Vec::new(),
        }
    }

    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a toml::Value> {
        self.seen.push(key);
        self.table.get(key)
    }

    fn string(&mut self, key: &'static str) -> Result<Option<String>, ControlError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(self.at(key), "must be a string")),
        }
    }

    fn required(&mut self, key: &'static str) -> Result<String, ControlError> {
        self.string(key)?
            .ok_or_else(|| invalid(self.at(key), "is required"))
    }

    fn bool(&mut self, key: &'static str) -> Result<Option<bool>, ControlError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(invalid(self.at(key), "must be true or false")),
        }
    }

    fn table(&mut self, key: &'static str) -> Result<Option<&'a toml::Table>, ControlError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Table(t)) => Ok(Some(t)),
            Some(_) => Err(invalid(self.at(key), "must be a table")),
        }
    }

    fn array_of_tables(&mut self, key: &'static str) -> Result<Vec<&'a toml::Table>, ControlError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(toml::Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_table()
                        .ok_or_else(|| invalid(format!("{}[{i}]", self.at(key)), "must be a table"))
                })
                .collect(),
            Some(_) => Err(invalid(
                self.at(key),
                format!("must be an array of tables ([[{key}]])"),
            )),
        }
    }

    /// Fails on the first key that was never asked for.
    fn finish(self) -> Result<(), ControlError> {
        match self.table.keys().find(|k| !self.seen.contains(&k.as_str())) {
            Some(k) => Err(invalid(self.at(k), "unknown key")),
            None => Ok(()),
        }
    }
}

/// Renames the field of an `Invalid` error to its place in the file.
fn relocate(e: ControlError, from: &str, to: &str) -> ControlError {
    match e {
        ControlError::Invalid { field, message } if field.starts_with(from) => {
            ControlError::Invalid {
                field: format!("{to}{}", &field[from.len()..]),
                message,
            }
        }
        other => other,
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl ConfigFile {
    /// Reads and parses the file; relative paths resolve against its directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ControlError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            invalid(
                path.display().to_string(),
                format!("cannot read the config file: {e}"),
            )
        })?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base_dir = std::path::absolute(&dir).unwrap_or(dir);
        Self::parse(&text, base_dir)
    }

    /// Parses TOML text. Error messages give the line and key path, never a line's text
    /// (which could hold a secret).
    pub fn parse(text: &str, base_dir: impl Into<PathBuf>) -> Result<Self, ControlError> {
        let root: toml::Table = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" (line {})", line_of(text, s.start)))
                .unwrap_or_default();
            invalid("config file", format!("{}{at}", e.message().trim()))
        })?;
        let base_dir = base_dir.into();
        let mut top = Table::new(String::new(), &root);
        let mut connections = Vec::new();
        for (i, t) in top.array_of_tables("connections")?.into_iter().enumerate() {
            let mut t = Table::new(format!("connections[{i}]"), t);
            if t.table.contains_key("token") {
                return Err(invalid(
                    t.at("token"),
                    "a token may not be written in the config file; put it in an environment variable and name that with token_env",
                ));
            }
            let token_env: String = t.required("token_env")?;
            if crate::client::looks_like_token(&token_env) {
                // Never echoed: it is a token written where a variable name goes.
                return Err(invalid(
                    t.at("token_env"),
                    "holds what looks like a token (not shown), not the name of a variable; put the token in an environment variable and name that",
                ));
            }
            let c = ConfigConnection {
                name: t.required("name")?,
                token_env,
                base_url: t.string("base_url")?,
                description: t.string("description")?,
            };
            t.finish()?;
            if connections
                .iter()
                .any(|o: &ConfigConnection| o.name == c.name)
            {
                return Err(invalid(
                    format!("connections[{i}].name"),
                    format!("connection {:?} is declared more than once", c.name),
                ));
            }
            connections.push(c);
        }
        let mut syncs = Vec::new();
        for (i, t) in top.array_of_tables("syncs")?.into_iter().enumerate() {
            let path = format!("syncs[{i}]");
            let mut t = Table::new(path.clone(), t);
            let name = t.required("name")?;
            let connection = t.required("connection")?;
            let app = t.required("app")?;
            let description = t.string("description")?;
            let enabled = t.bool("enabled")?;
            // Optional and checked only: Infisical's name, or its docs' `digital-ocean`.
            if let Some(dest) = t.string("destination")? {
                super::syncs::check_destination(&t.at("destination"), &dest)?;
            }
            let source = t
                .table("source")?
                .ok_or_else(|| invalid(t.at("source"), "is required"))?;
            let source =
                serde_json::to_value(source).map_err(|e| invalid(t.at("source"), e.to_string()))?;
            // A file meant to be committed must not hold secrets: only their variable names.
            if source.get("type").and_then(Value::as_str) == Some("inline") {
                return Err(invalid(
                    t.at("source"),
                    "an inline source would put secret values in the config file; use a dotenv, env, command or infisical source",
                ));
            }
            if source.get("client_secret").is_some() {
                return Err(invalid(
                    format!("{}.client_secret", t.at("source")),
                    "a client secret may not be written in the config file; name the variable holding it with client_secret_env",
                ));
            }
            let options = match t.table("options")? {
                None => SyncOptionsInput::default(),
                Some(o) => {
                    let value = serde_json::to_value(o)
                        .map_err(|e| invalid(t.at("options"), e.to_string()))?;
                    SyncOptionsInput::from_json(&value)
                        .map_err(|e| relocate(e, "syncOptions", &format!("{path}.options")))?
                }
            };
            t.finish()?;
            if syncs.iter().any(|o: &ConfigSync| o.name == name) {
                return Err(invalid(
                    format!("{path}.name"),
                    format!("sync {name:?} is declared more than once"),
                ));
            }
            syncs.push(ConfigSync {
                name,
                connection,
                app,
                description,
                enabled,
                source,
                options,
            });
        }
        let mut notify = Vec::new();
        for (i, t) in top.array_of_tables("notify")?.into_iter().enumerate() {
            let n = parse_notify(Table::new(format!("notify[{i}]"), t))?;
            if notify.iter().any(|o: &ConfigNotify| o.name == n.name) {
                return Err(invalid(
                    format!("notify[{i}].name"),
                    format!(
                        "notification target {:?} is declared more than once",
                        n.name
                    ),
                ));
            }
            notify.push(n);
        }
        top.finish()?;
        Ok(Self {
            base_dir,
            connections,
            syncs,
            notify,
        })
    }
}

fn parse_notify(mut t: Table<'_>) -> Result<ConfigNotify, ControlError> {
    for literal in ["url", "secret"] {
        if t.table.contains_key(literal) {
            return Err(invalid(
                t.at(literal),
                format!("a webhook {literal} is a secret and may not be written in the config file; put it in an environment variable and name that with {literal}_env"),
            ));
        }
    }
    let name = t.required("name")?;
    let kind_text = t.required("type")?;
    let kind = TargetKind::parse(&kind_text)
        .ok_or_else(|| invalid(t.at("type"), "must be \"webhook\" or \"slack\""))?;
    let url_env = t.required("url_env")?;
    if url_env.contains("://") {
        // Never echoed: a URL written where a variable name goes.
        return Err(invalid(
            t.at("url_env"),
            "holds what looks like a URL (not shown), not the name of a variable",
        ));
    }
    let secret_env = t.string("secret_env")?;
    if kind == TargetKind::Webhook && secret_env.is_none() {
        return Err(invalid(
            t.at("secret_env"),
            "is required for a webhook (the receiver verifies signatures with it)",
        ));
    }
    let sync = t.string("sync")?;
    let events = match t.get("events") {
        None => None,
        Some(toml::Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| v.as_str().and_then(NotifyEvent::parse))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    invalid(
                        t.at("events"),
                        "must list events among failed, recovered, changed, drift_repaired",
                    )
                })?,
        ),
        Some(_) => return Err(invalid(t.at("events"), "must be an array of event names")),
    };
    let dedup_interval = match t.get("dedup_interval") {
        None => None,
        Some(toml::Value::Integer(n)) if *n >= 0 => Some(std::time::Duration::from_secs(*n as u64)),
        Some(_) => {
            return Err(invalid(
                t.at("dedup_interval"),
                "must be a whole number of seconds (0 or more)",
            ))
        }
    };
    let enabled = t.bool("enabled")?;
    t.finish()?;
    Ok(ConfigNotify {
        name,
        kind,
        url_env,
        secret_env,
        sync,
        events,
        dedup_interval,
        enabled,
    })
}

fn env_secret(path: String, var: &str, what: &str) -> Result<SecretString, ControlError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(SecretString::from(v)),
        _ => Err(invalid(
            path,
            format!("environment variable {var} ({what}) is not set"),
        )),
    }
}

/// Creates or updates the notification targets of the file (after its syncs, which
/// they may name). The sealed URL and secret are compared, never shown.
async fn apply_notify(
    control: &ControlPlane,
    file: &ConfigFile,
    report: &mut ConfigReport,
) -> Result<(), ControlError> {
    for (i, n) in file.notify.iter().enumerate() {
        let path = format!("notify[{i}]");
        let url = env_secret(
            format!("{path}.url_env"),
            &n.url_env,
            &format!("URL of notification target {:?}", n.name),
        )?;
        let secret = n
            .secret_env
            .as_deref()
            .map(|var| {
                env_secret(
                    format!("{path}.secret_env"),
                    var,
                    &format!("signing secret of notification target {:?}", n.name),
                )
            })
            .transpose()?;
        let relocated = |e: ControlError| match e {
            ControlError::Invalid { field, message } if !field.starts_with("notify[") => {
                ControlError::Invalid {
                    field: format!("{path}.{field}"),
                    message,
                }
            }
            other => other,
        };
        let item = |action, fields| ConfigItem {
            kind: "notify",
            name: n.name.clone(),
            action,
            fields,
        };
        let existing = match control.get_notify_target(&n.name) {
            Ok(t) => t,
            Err(ControlError::NotFound { .. }) => {
                control
                    .create_notify_target(NewNotifyTarget {
                        name: n.name.clone(),
                        kind: n.kind,
                        url,
                        secret,
                        sync: n.sync.clone(),
                        events: n.events.clone(),
                        dedup_interval: n.dedup_interval,
                        is_enabled: n.enabled,
                    })
                    .map_err(relocated)?;
                report.items.push(item(ConfigAction::Created, Vec::new()));
                continue;
            }
            Err(e) => return Err(e),
        };
        if existing.kind != n.kind {
            return Err(invalid(
                format!("{path}.type"),
                format!(
                    "target {:?} exists as a {} target; remove it first to change its type",
                    n.name,
                    existing.kind.as_str()
                ),
            ));
        }
        let wanted_sync = match &n.sync {
            Some(s) => Some(control.get_sync(s).map_err(relocated)?.id),
            None => None,
        };
        if wanted_sync != existing.sync_id {
            return Err(invalid(
                format!("{path}.sync"),
                format!(
                    "target {:?} exists for another sync (or as a default); remove it first to move it",
                    n.name
                ),
            ));
        }
        let mut patch = NotifyTargetPatch::default();
        let mut fields = Vec::new();
        if !control.notify_target_matches(&existing.id, &url, secret.as_ref())? {
            patch.url = Some(url);
            patch.secret = secret;
            fields.push("url".to_owned());
        }
        let events = n
            .events
            .clone()
            .unwrap_or_else(|| vec![NotifyEvent::Failed, NotifyEvent::Recovered]);
        if events != existing.events {
            patch.events = Some(events);
            fields.push("events".to_owned());
        }
        let dedup = n
            .dedup_interval
            .unwrap_or(super::notify::DEFAULT_DEDUP_INTERVAL);
        if dedup != existing.dedup_interval {
            patch.dedup_interval = Some(dedup);
            fields.push("dedupInterval".to_owned());
        }
        let enabled = n.enabled.unwrap_or(true);
        if enabled != existing.is_enabled {
            patch.is_enabled = Some(enabled);
            fields.push("isEnabled".to_owned());
        }
        if fields.is_empty() {
            report.items.push(item(ConfigAction::Unchanged, fields));
        } else {
            control
                .update_notify_target(&existing.id, patch)
                .map_err(relocated)?;
            report.items.push(item(ConfigAction::Updated, fields));
        }
    }
    Ok(())
}

fn token_from_env(index: usize, c: &ConfigConnection) -> Result<SecretString, ControlError> {
    match std::env::var(&c.token_env) {
        Ok(v) if !v.trim().is_empty() => Ok(SecretString::from(v)),
        _ => Err(invalid(
            format!("connections[{index}].token_env"),
            format!(
                "environment variable {} (token of connection {:?}) is not set",
                c.token_env, c.name
            ),
        )),
    }
}

/// Creates or updates every connection, then every sync, of `file`.
pub async fn apply_config(
    control: &ControlPlane,
    file: &ConfigFile,
) -> Result<ConfigReport, ControlError> {
    let mut report = ConfigReport::default();
    for (i, c) in file.connections.iter().enumerate() {
        let token = token_from_env(i, c)?;
        let item = |action, fields| ConfigItem {
            kind: "connection",
            name: c.name.clone(),
            action,
            fields,
        };
        let existing = match control.get_connection(&c.name) {
            Ok(existing) => existing,
            Err(ControlError::NotFound { .. }) => {
                control
                    .create_connection(NewConnection {
                        name: c.name.clone(),
                        token,
                        description: c.description.clone(),
                        base_url: c.base_url.clone(),
                        extra: Default::default(),
                    })
                    .await?;
                report.items.push(item(ConfigAction::Created, Vec::new()));
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut patch = ConnectionPatch::default();
        let mut fields = Vec::new();
        if existing.description != c.description {
            patch.description = Some(c.description.clone());
            fields.push("description".to_owned());
        }
        let base_url = c.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL).trim();
        if existing.base_url != base_url {
            patch.base_url = Some(Some(base_url.to_owned()));
            fields.push("baseUrl".to_owned());
        }
        if control.key().credentials_hash(token.expose_secret()) != existing.credentials_hash {
            patch.token = Some(token);
            fields.push("token".to_owned());
        }
        if fields.is_empty() {
            report.items.push(item(ConfigAction::Unchanged, fields));
        } else {
            control.update_connection(&existing.id, patch).await?;
            report.items.push(item(ConfigAction::Updated, fields));
        }
    }
    for (i, s) in file.syncs.iter().enumerate() {
        let path = format!("syncs[{i}]");
        let item = |action, fields| ConfigItem {
            kind: "sync",
            name: s.name.clone(),
            action,
            fields,
        };
        let existing = match control.get_sync(&s.name) {
            Ok(existing) => existing,
            Err(ControlError::NotFound { what: "sync", .. }) => {
                control
                    .create_sync(NewSync {
                        name: s.name.clone(),
                        connection: s.connection.clone(),
                        app: s.app.clone(),
                        source: s.source.clone(),
                        options: s.options.clone(),
                        description: s.description.clone(),
                        is_enabled: s.enabled,
                        secret_path: None,
                        base_dir: file.base_dir.clone(),
                    })
                    .await
                    .map_err(|e| relocate_sync(e, &path))?;
                report.items.push(item(ConfigAction::Created, Vec::new()));
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut patch = SyncPatch {
            base_dir: Some(file.base_dir.clone()),
            ..Default::default()
        };
        let mut fields = Vec::new();
        if existing.description != s.description {
            patch.description = Some(s.description.clone());
            fields.push("description".to_owned());
        }
        let enabled = s.enabled.unwrap_or(true);
        if existing.is_enabled != enabled {
            patch.is_enabled = Some(enabled);
            fields.push("isEnabled".to_owned());
        }
        let same_connection =
            s.connection == existing.connection_name || s.connection == existing.connection_id;
        if !same_connection {
            patch.connection = Some(s.connection.clone());
            fields.push("connection".to_owned());
        }
        if s.app != existing.app_name && s.app != existing.app_id {
            patch.app = Some(s.app.clone());
            fields.push("app".to_owned());
        }
        let wanted = SyncSettings::default()
            .merged(&s.options)
            .map_err(|e| relocate(e, "syncOptions", &format!("{path}.options")))?;
        if wanted != existing.settings {
            patch.options = full_options(&wanted);
            fields.push("syncOptions".to_owned());
        }
        let new_source = SourceSpec::from_json_in(&s.source, &file.base_dir)
            .map_err(|e| invalid(format!("{path}.source"), e.to_string()))?;
        let current_source = control.source_of(&existing)?;
        if new_source.split() != current_source.split() {
            patch.source = Some(s.source.clone());
            fields.push("source".to_owned());
        }
        if fields.is_empty() {
            report.items.push(item(ConfigAction::Unchanged, fields));
        } else {
            control
                .update_sync(&existing.id, patch)
                .await
                .map_err(|e| relocate_sync(e, &path))?;
            report.items.push(item(ConfigAction::Updated, fields));
        }
    }
    apply_notify(control, file, &mut report).await?;
    Ok(report)
}

fn relocate_sync(e: ControlError, path: &str) -> ControlError {
    let e = relocate(e, "syncOptions", &format!("{path}.options"));
    relocate(e, "source", &format!("{path}.source"))
}

/// Every option set explicitly, so an update makes the sync's options exactly `s`.
fn full_options(s: &SyncSettings) -> SyncOptionsInput {
    SyncOptionsInput {
        environment: Some(s.environment.clone()),
        key_schema: Some(s.key_schema.as_ref().map(|k| k.as_str().to_owned())),
        initial_sync_behavior: Some(s.initial_sync_behavior.as_str().to_owned()),
        disable_secret_deletion: Some(s.disable_secret_deletion),
        auto_sync_enabled: Some(s.auto_sync_enabled),
        components: Some(s.components.clone()),
        default_type: Some(s.default_type.as_str().to_owned()),
        default_scope: Some(s.default_scope.as_str().to_owned()),
        if_deploying: Some(s.if_deploying.as_str().to_owned()),
        deploy_wait_timeout: Some(s.deploy_wait_timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[connections]]
name = "prod"
token_env = "DO_PROD_TOKEN"

[[syncs]]
name = "web"
connection = "prod"
app = "web-app"
enabled = false
[syncs.source]
type = "dotenv"
paths = [".env"]
[syncs.options]
key_schema = "APP_{{secretKey}}"
components = ["web"]
"#;

    #[test]
    fn parses_a_good_file() {
        let f = ConfigFile::parse(GOOD, "/cfg").unwrap();
        assert_eq!(f.connections[0].token_env, "DO_PROD_TOKEN");
        assert_eq!(f.syncs[0].enabled, Some(false));
        assert_eq!(f.syncs[0].source["paths"][0], ".env");
        assert_eq!(
            f.syncs[0].options.key_schema,
            Some(Some("APP_{{secretKey}}".into()))
        );
        assert_eq!(f.base_dir, PathBuf::from("/cfg"));
    }

    fn err(text: &str) -> String {
        ConfigFile::parse(text, "/").unwrap_err().to_string()
    }

    #[test]
    fn rejects_unknown_keys_with_their_path() {
        assert!(err("colour = 1").contains("invalid colour: unknown key"));
        let e = err("[[connections]]\nname = \"a\"\ntoken_env = \"X\"\nregion = \"x\"");
        assert!(e.contains("connections[0].region"), "{e}");
        let e = err(&GOOD.replace("components", "componentz"));
        assert!(e.contains("syncs[0].options.componentz"), "{e}");
        let e = err(&GOOD.replace("enabled = false", "enabled = false\nextra = 1"));
        assert!(e.contains("syncs[0].extra"), "{e}");
    }

    #[test]
    fn refuses_secrets_in_sources() {
        let base = "[[syncs]]\nname = \"s\"\nconnection = \"c\"\napp = \"a\"\n";
        let e = err(&format!(
            "{base}[syncs.source]\ntype = \"inline\"\nsecrets = {{ A = \"canary-inline\" }}"
        ));
        assert!(e.contains("inline") && !e.contains("canary-inline"), "{e}");
        let e = err(&format!(
            "{base}[syncs.source]\ntype = \"infisical\"\nclient_secret = \"canary-cs\""
        ));
        assert!(
            e.contains("client_secret_env") && !e.contains("canary-cs"),
            "{e}"
        );
    }

    #[test]
    fn refuses_literal_tokens_without_echoing_them() {
        let e = err("[[connections]]\nname = \"a\"\ntoken = \"dop_v1_canary\"");
        assert!(e.contains("connections[0].token"), "{e}");
        assert!(!e.contains("canary"), "{e}");
        // A syntax error on a line holding a secret does not quote the line.
        let e = err("[[connections]]\nname = \"a\"\ntoken_env = \"dop_v1_canary");
        assert!(!e.contains("canary"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        // A token written where the variable name goes is refused without echo.
        let e = err("[[connections]]\nname = \"a\"\ntoken_env = \"dop_v1_canary\"");
        assert!(
            e.contains("token_env") && e.contains("looks like a token"),
            "{e}"
        );
        assert!(!e.contains("canary"), "{e}");
    }

    #[test]
    fn rejects_duplicates_and_wrong_types() {
        let dup = "[[connections]]\nname = \"a\"\ntoken_env = \"X\"\n[[connections]]\nname = \"a\"\ntoken_env = \"Y\"";
        assert!(err(dup).contains("more than once"));
        assert!(err("connections = 1").contains("array of tables"));
        let e = err("[[connections]]\nname = 1\ntoken_env = \"X\"");
        assert!(e.contains("connections[0].name: must be a string"), "{e}");
        let e = err("[[syncs]]\nname = \"a\"\nconnection = \"c\"\napp = \"x\"");
        assert!(e.contains("syncs[0].source: is required"), "{e}");
    }

    #[test]
    fn parses_notify_targets_and_refuses_literal_urls_without_echo() {
        let file = ConfigFile::parse(
            "[[notify]]\nname = \"ops\"\ntype = \"webhook\"\nurl_env = \"HOOK_URL\"\nsecret_env = \"HOOK_SECRET\"\nsync = \"web\"\nevents = [\"failed\", \"drift-repaired\"]\ndedup_interval = 60",
            "/tmp",
        )
        .unwrap();
        let n = &file.notify[0];
        assert_eq!(n.kind, TargetKind::Webhook);
        assert_eq!(n.sync.as_deref(), Some("web"));
        assert_eq!(
            n.events.as_deref(),
            Some(&[NotifyEvent::Failed, NotifyEvent::DriftRepaired][..])
        );
        assert_eq!(n.dedup_interval, Some(std::time::Duration::from_secs(60)));

        let e = err(
            "[[notify]]\nname = \"a\"\ntype = \"slack\"\nurl = \"https://hooks.example/CANARY\"",
        );
        assert!(e.contains("notify[0].url") && !e.contains("CANARY"), "{e}");
        let e = err("[[notify]]\nname = \"a\"\ntype = \"slack\"\nurl_env = \"https://hooks.example/CANARY\"");
        assert!(
            e.contains("notify[0].url_env") && !e.contains("CANARY"),
            "{e}"
        );
        let e = err("[[notify]]\nname = \"a\"\ntype = \"webhook\"\nurl_env = \"U\"");
        assert!(e.contains("notify[0].secret_env: is required"), "{e}");
        let e = err(
            "[[notify]]\nname = \"a\"\ntype = \"slack\"\nurl_env = \"U\"\nevents = [\"sometimes\"]",
        );
        assert!(e.contains("notify[0].events"), "{e}");
        let e = err("[[notify]]\nname = \"a\"\ntype = \"pager\"\nurl_env = \"U\"");
        assert!(e.contains("notify[0].type"), "{e}");
    }
}
