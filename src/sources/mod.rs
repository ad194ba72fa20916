//! Where a sync's desired secrets come from: `.env` files, the process
//! environment, a command's stdout, an Infisical project, or an inline mapping.
//!
//! A [`SourceSpec`] is configuration (validated by [`SourceSpec::from_json`]);
//! [`SourceSpec::read`] produces the secrets or fails as a whole: a source that is
//! only partly read must never reach the planner, since missing keys would be
//! deleted from the app.
//!
//! Secret parts of a spec (an inline mapping's values, an Infisical client secret)
//! are kept apart by [`SourceSpec::split`] so the store can encrypt them.
//!
//! User-facing JSON (every kind rejects unknown fields by name):
//!
//! | kind | fields (defaults) |
//! | --- | --- |
//! | `dotenv` | `paths: [..]` or `path: ".."` |
//! | `env` | `prefix` (required, not empty), `strip_prefix` (true) |
//! | `command` | `command: ["argv", ..]` or `"shell string"` (run with `sh -c`), `format`: `auto` \| `json` \| `dotenv` (auto), `timeout` seconds (60, at most 3600), `cwd` |
//! | `infisical` | `site_url` (`https://app.infisical.com`), `project_id`, `environment` (slug), `secret_path` (`/`), `recursive` (false), `include_imports` (true), `expand_references` (true), `client_id`, and `client_secret` or `client_secret_env` |
//! | `inline` | `secrets: {"KEY": "value"}` |
//!
//! `.env` parsing never expands `$` (see the `dotenv` module): App Platform bindable
//! values such as `${db.DATABASE_URL}` reach the app verbatim, quoted or not.

mod command;
mod dotenv;
mod env;
mod fields;
mod infisical;
mod inline;

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};
use thiserror::Error;

pub use command::{
    withheld_vars, withhold_var, CommandLine, CommandSource, OutputFormat, DEFAULT_COMMAND_TIMEOUT,
    MAX_COMMAND_TIMEOUT, PRODUCT_SECRET_VARS,
};
pub use dotenv::DotenvSource;
pub use env::EnvSource;
pub use infisical::{ClientSecret, InfisicalSource, DEFAULT_SITE_URL};
pub use inline::InlineSource;

use fields::{type_name, Fields};

/// Secrets read from a source, in source order: key → plaintext value.
pub type SourceSecrets = IndexMap<String, String>;

/// A configured source. Debug output never shows a secret.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    Dotenv(DotenvSource),
    Env(EnvSource),
    Command(CommandSource),
    Infisical(InfisicalSource),
    Inline(InlineSource),
}

/// Why a source could not be configured or read. Never holds a secret value, nor a
/// line of a `.env` file or of a command's stdout.
#[derive(Debug, Error)]
pub enum SourceError {
    /// The configuration is wrong (`from_json`, `join`).
    #[error("invalid source: {0}")]
    Invalid(String),
    /// A `.env` file could not be read: missing, unreadable, not UTF-8.
    #[error("cannot read {}: {message}", path.display())]
    File { path: PathBuf, message: String },
    /// A `.env` file is malformed at `line` (1-based).
    #[error("{}: line {line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A command could not run, failed, timed out or printed unusable output.
    #[error("command `{command}` {problem}{}", stderr_suffix(stderr.as_deref()))]
    Command {
        command: String,
        problem: String,
        /// The exit code when the command exited on its own with a failure.
        exit_code: Option<i32>,
        /// The end of its stderr, one line, bounded.
        stderr: Option<String>,
    },
    /// Infisical refused or failed; `status` is the HTTP status when there was one.
    #[error("infisical{}: {message}", status_suffix(*status))]
    Infisical {
        status: Option<u16>,
        message: String,
    },
    /// Any other read failure (e.g. an unset or non-UTF-8 environment variable).
    #[error("{0}")]
    Read(String),
}

fn stderr_suffix(stderr: Option<&str>) -> String {
    stderr.map(|s| format!("; stderr: {s}")).unwrap_or_default()
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

const KINDS: &str = "dotenv, env, command, infisical, inline";

impl SourceSpec {
    /// Parses and validates user configuration; relative paths are kept as given.
    pub fn from_json(value: &Value) -> Result<Self, SourceError> {
        parse(value, None)
    }

    /// Like [`from_json`](Self::from_json), with relative `.env` paths and a
    /// command's relative `cwd` resolved against `base_dir` (stored absolute). A
    /// command without `cwd` runs in `base_dir`, so a config file's commands behave
    /// the same from any working directory.
    pub fn from_json_in(value: &Value, base_dir: &Path) -> Result<Self, SourceError> {
        let base = std::path::absolute(base_dir).map_err(|e| {
            SourceError::Invalid(format!(
                "cannot resolve the base directory {}: {e}",
                base_dir.display()
            ))
        })?;
        parse(value, Some(&base))
    }

    /// The kind: "dotenv", "env", "command", "infisical" or "inline".
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Dotenv(_) => "dotenv",
            Self::Env(_) => "env",
            Self::Command(_) => "command",
            Self::Infisical(_) => "infisical",
            Self::Inline(_) => "inline",
        }
    }

    /// (public JSON, secret JSON or `None`). The public part is the canonical form
    /// with every default written out; it holds no secret and is enough to display
    /// the source. Secrets: an inline source's `{"secrets": {..}}` (its public part
    /// lists the `keys`), an Infisical `{"client_secret": ".."}`.
    pub fn split(&self) -> (Value, Option<Value>) {
        match self {
            Self::Dotenv(s) => (
                json!({
                    "type": "dotenv",
                    "paths": s.paths.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
                }),
                None,
            ),
            Self::Env(s) => (
                json!({"type": "env", "prefix": s.prefix, "strip_prefix": s.strip_prefix}),
                None,
            ),
            Self::Command(s) => {
                let command = match &s.command {
                    CommandLine::Argv(argv) => json!(argv),
                    CommandLine::Shell(script) => json!(script),
                };
                let mut public = json!({
                    "type": "command",
                    "command": command,
                    "format": s.format.as_str(),
                    "timeout": seconds_json(s.timeout),
                });
                if let Some(cwd) = &s.cwd {
                    public["cwd"] = json!(cwd.to_string_lossy());
                }
                if !s.pass_env.is_empty() {
                    public["pass_env"] = json!(s.pass_env);
                }
                (public, None)
            }
            Self::Infisical(s) => {
                let mut public = json!({
                    "type": "infisical",
                    "site_url": s.site_url,
                    "project_id": s.project_id,
                    "environment": s.environment,
                    "secret_path": s.secret_path,
                    "recursive": s.recursive,
                    "include_imports": s.include_imports,
                    "expand_references": s.expand_references,
                    "client_id": s.client_id,
                });
                let secret = match &s.client_secret {
                    ClientSecret::Env(name) => {
                        public["client_secret_env"] = json!(name);
                        None
                    }
                    ClientSecret::Value(secret) => {
                        Some(json!({"client_secret": secret.expose_secret()}))
                    }
                };
                (public, secret)
            }
            Self::Inline(s) => {
                let keys: Vec<&String> = s.secrets.keys().collect();
                let values: Map<String, Value> = s
                    .secrets
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.expose_secret().to_string())))
                    .collect();
                (
                    json!({"type": "inline", "keys": keys}),
                    Some(json!({ "secrets": values })),
                )
            }
        }
    }

    /// Inverse of [`split`](Self::split): the secret part's fields are put back
    /// into the public part and the result is validated like user input.
    pub fn join(public: &Value, secret: Option<&Value>) -> Result<Self, SourceError> {
        let Value::Object(public_map) = public else {
            return Err(SourceError::Invalid(format!(
                "the public part must be an object, not {}",
                type_name(public)
            )));
        };
        let mut merged = public_map.clone();
        let listed_keys = if merged.get("type") == Some(&json!("inline")) {
            merged.remove("keys")
        } else {
            None
        };
        match secret {
            None | Some(Value::Null) => {}
            Some(Value::Object(secret_map)) => {
                for (name, value) in secret_map {
                    if merged.contains_key(name) {
                        return Err(SourceError::Invalid(format!(
                            "field \"{name}\" is in both the public and the secret part"
                        )));
                    }
                    merged.insert(name.clone(), value.clone());
                }
            }
            Some(other) => {
                return Err(SourceError::Invalid(format!(
                    "the secret part must be an object, not {}",
                    type_name(other)
                )))
            }
        }
        let spec = Self::from_json(&Value::Object(merged))?;
        if let (Some(listed), Self::Inline(inline)) = (listed_keys, &spec) {
            let listed: Vec<&str> = listed
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let actual: Vec<&str> = inline.secrets.keys().map(String::as_str).collect();
            if listed != actual {
                return Err(SourceError::Invalid(
                    "inline source: the secret part's keys do not match the public part's keys"
                        .into(),
                ));
            }
        }
        Ok(spec)
    }

    /// Files whose change should trigger a run (watch mode); empty for polled kinds.
    pub fn watched_paths(&self) -> Vec<PathBuf> {
        match self {
            Self::Dotenv(s) => s.paths.clone(),
            _ => Vec::new(),
        }
    }

    /// One line for humans, without secrets, e.g. "dotenv: /x/.env, /x/.env.local".
    pub fn describe(&self) -> String {
        match self {
            Self::Dotenv(s) => format!(
                "dotenv: {}",
                s.paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Env(s) => s.describe(),
            Self::Command(s) => s.describe(),
            Self::Infisical(s) => s.describe(),
            Self::Inline(s) => s.describe(),
        }
    }

    /// Checks what can be checked locally and without side effects: `.env` files exist
    /// and parse. Commands are not run and Infisical is not called here.
    pub fn check(&self) -> Result<(), SourceError> {
        match self {
            Self::Dotenv(s) => s.check(),
            _ => Ok(()),
        }
    }

    /// Reads every secret, or fails as a whole.
    pub async fn read(&self) -> Result<SourceSecrets, SourceError> {
        match self {
            Self::Dotenv(s) => s.read().await,
            Self::Env(s) => s.read(),
            Self::Command(s) => s.read().await,
            Self::Infisical(s) => s.read().await,
            Self::Inline(s) => Ok(s.read()),
        }
    }
}

fn seconds_json(duration: Duration) -> Value {
    if duration.subsec_nanos() == 0 {
        json!(duration.as_secs())
    } else {
        json!(duration.as_secs_f64())
    }
}

fn parse(value: &Value, base: Option<&Path>) -> Result<SourceSpec, SourceError> {
    let Value::Object(map) = value else {
        return Err(SourceError::Invalid(format!(
            "a source must be an object with a \"type\", not {}",
            type_name(value)
        )));
    };
    let kind = match map.get("type") {
        None | Some(Value::Null) => {
            return Err(SourceError::Invalid(format!(
                "a source needs a \"type\" (one of: {KINDS})"
            )))
        }
        Some(Value::String(kind)) => kind.as_str(),
        Some(other) => {
            return Err(SourceError::Invalid(format!(
                "\"type\" must be a string, not {}",
                type_name(other)
            )))
        }
    };
    match kind {
        "dotenv" => parse_dotenv(map, base).map(SourceSpec::Dotenv),
        "env" => parse_env(map).map(SourceSpec::Env),
        "command" => parse_command(map, base).map(SourceSpec::Command),
        "infisical" => parse_infisical(map).map(SourceSpec::Infisical),
        "inline" => parse_inline(map).map(SourceSpec::Inline),
        other => Err(SourceError::Invalid(format!(
            "unknown source type \"{other}\" (one of: {KINDS})"
        ))),
    }
}

fn resolve(path: &str, base: Option<&Path>) -> Result<PathBuf, SourceError> {
    let path = PathBuf::from(path);
    match base {
        Some(base) if path.is_relative() => std::path::absolute(base.join(&path))
            .map_err(|e| SourceError::Invalid(format!("cannot resolve {}: {e}", path.display()))),
        _ => Ok(path),
    }
}

fn parse_dotenv(
    map: &Map<String, Value>,
    base: Option<&Path>,
) -> Result<DotenvSource, SourceError> {
    let f = Fields::new("dotenv", map, &["path", "paths"])?;
    let paths = match (f.opt_nonempty_str("path")?, f.opt_str_list("paths")?) {
        (Some(_), Some(_)) => return Err(f.error("give either \"path\" or \"paths\", not both")),
        (Some(path), None) => vec![path.to_string()],
        (None, Some(paths)) => paths,
        (None, None) => return Err(f.error("field \"paths\" (or \"path\") is required")),
    };
    let paths = paths
        .iter()
        .map(|p| resolve(p, base))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DotenvSource { paths })
}

fn parse_env(map: &Map<String, Value>) -> Result<EnvSource, SourceError> {
    let f = Fields::new("env", map, &["prefix", "strip_prefix"])?;
    let prefix =
        match f.opt_str("prefix")? {
            None => return Err(f.error(
                "field \"prefix\" is required (an empty prefix would sync the whole environment)",
            )),
            Some("") => {
                return Err(f.error(
                    "field \"prefix\" must not be empty: it would sync the whole environment",
                ))
            }
            Some(p) => p,
        };
    if prefix.contains(['=', '\0']) || prefix.chars().any(char::is_whitespace) {
        return Err(f.error(format_args!(
            "prefix {prefix:?} cannot start an environment variable name"
        )));
    }
    Ok(EnvSource {
        prefix: prefix.to_string(),
        strip_prefix: f.opt_bool("strip_prefix")?.unwrap_or(true),
    })
}

fn parse_command(
    map: &Map<String, Value>,
    base: Option<&Path>,
) -> Result<CommandSource, SourceError> {
    let f = Fields::new(
        "command",
        map,
        &["command", "format", "timeout", "cwd", "pass_env"],
    )?;
    let command = match f.get("command") {
        None => return Err(f.error("field \"command\" is required")),
        Some(Value::String(script)) if script.trim().is_empty() => {
            return Err(f.error("field \"command\" must not be empty"))
        }
        Some(Value::String(script)) => CommandLine::Shell(script.clone()),
        Some(Value::Array(items)) => {
            let argv = items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(f.error(format_args!(
                        "field \"command\": item {i} must be a string, not {}",
                        type_name(other)
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            match argv.first() {
                None => return Err(f.error("field \"command\" must not be empty")),
                Some(program) if program.trim().is_empty() => {
                    return Err(f.error("field \"command\": the program (item 0) must not be empty"))
                }
                Some(_) => CommandLine::Argv(argv),
            }
        }
        Some(other) => {
            return Err(f.error(format_args!(
                "field \"command\" must be an array of strings or a shell string, not {}",
                type_name(other)
            )))
        }
    };
    let format = match f.opt_str("format")? {
        None => OutputFormat::Auto,
        Some(text) => OutputFormat::parse(text).ok_or_else(|| {
            f.error(format_args!(
                "format {text:?} is not one of: auto, json, dotenv"
            ))
        })?,
    };
    let timeout = match f.opt_number("timeout")? {
        None => DEFAULT_COMMAND_TIMEOUT,
        Some(secs) if secs > 0.0 && secs <= MAX_COMMAND_TIMEOUT.as_secs_f64() => {
            Duration::from_secs_f64(secs)
        }
        Some(secs) => {
            return Err(f.error(format_args!(
                "timeout {secs} must be more than 0 and at most {} seconds",
                MAX_COMMAND_TIMEOUT.as_secs()
            )))
        }
    };
    let cwd = match (f.opt_nonempty_str("cwd")?, base) {
        (Some(cwd), _) => Some(resolve(cwd, base)?),
        (None, Some(base)) => Some(base.to_path_buf()),
        (None, None) => None,
    };
    let pass_env = f.opt_str_list("pass_env")?.unwrap_or_default();
    let is_env_name =
        |n: &str| !n.is_empty() && !n.contains(['=', '\0']) && !n.chars().any(char::is_whitespace);
    if let Some(i) = pass_env.iter().position(|n| !is_env_name(n)) {
        // Not quoted: it may be a value pasted by mistake.
        return Err(f.error(format_args!(
            "pass_env: item {i} is not an environment variable name"
        )));
    }
    Ok(CommandSource {
        command,
        format,
        timeout,
        cwd,
        pass_env,
    })
}

fn parse_infisical(map: &Map<String, Value>) -> Result<InfisicalSource, SourceError> {
    let f = Fields::new(
        "infisical",
        map,
        &[
            "site_url",
            "project_id",
            "environment",
            "secret_path",
            "recursive",
            "include_imports",
            "expand_references",
            "client_id",
            "client_secret",
            "client_secret_env",
        ],
    )?;
    let site_url =
        infisical::normalize_site_url(f.opt_nonempty_str("site_url")?.unwrap_or(DEFAULT_SITE_URL))
            .map_err(|m| f.error(m))?;
    let project_id = f.required_str("project_id")?;
    if project_id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(f.error("project_id must not contain spaces"));
    }
    let environment = f.required_str("environment")?;
    infisical::check_environment_slug(environment).map_err(|m| f.error(m))?;
    let secret_path = infisical::normalize_secret_path(f.opt_str("secret_path")?.unwrap_or("/"))
        .map_err(|m| f.error(m))?;
    let client_id = f.required_str("client_id")?;
    let client_secret = match (f.has("client_secret"), f.has("client_secret_env")) {
        (true, true) => {
            return Err(f.error("give either \"client_secret\" or \"client_secret_env\", not both"))
        }
        (true, false) => {
            ClientSecret::Value(SecretString::from(f.required_str("client_secret")?.to_string()))
        }
        (false, true) => {
            let name = f.required_str("client_secret_env")?;
            if name.contains(['=', '\0']) || name.chars().any(char::is_whitespace) {
                return Err(f.error(format_args!(
                    "client_secret_env {name:?} is not an environment variable name"
                )));
            }
            command::withhold_var(name);
            ClientSecret::Env(name.to_string())
        }
        (false, false) => {
            return Err(f.error(
                "field \"client_secret\" (or \"client_secret_env\" naming an environment variable) is required",
            ))
        }
    };
    Ok(InfisicalSource {
        site_url,
        project_id: project_id.to_string(),
        environment: environment.to_string(),
        secret_path,
        recursive: f.opt_bool("recursive")?.unwrap_or(false),
        include_imports: f.opt_bool("include_imports")?.unwrap_or(true),
        expand_references: f.opt_bool("expand_references")?.unwrap_or(true),
        client_id: client_id.to_string(),
        client_secret,
    })
}

fn parse_inline(map: &Map<String, Value>) -> Result<InlineSource, SourceError> {
    let f = Fields::new("inline", map, &["secrets"])?;
    let secrets = match f.get("secrets") {
        None => return Err(f.error("field \"secrets\" is required")),
        Some(Value::Object(secrets)) => secrets,
        Some(other) => {
            return Err(f.error(format_args!(
                "field \"secrets\" must be an object of KEY: \"value\", not {}",
                type_name(other)
            )))
        }
    };
    let mut out = IndexMap::with_capacity(secrets.len());
    for (key, value) in secrets {
        if key.is_empty() {
            return Err(f.error("field \"secrets\" has an empty key"));
        }
        match value {
            Value::String(s) => {
                out.insert(key.clone(), SecretString::from(s.clone()));
            }
            other => {
                return Err(f.error(format_args!(
                    "secret \"{key}\" must be a string, not {}",
                    type_name(other)
                )))
            }
        }
    }
    Ok(InlineSource { secrets: out })
}

#[cfg(test)]
mod tests;
