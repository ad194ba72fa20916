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

use std::path::PathBuf;

use indexmap::IndexMap;
use serde_json::Value;
use thiserror::Error;

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

/// Placeholder types; the sources module fills these in.
#[derive(Debug, Clone)]
pub struct DotenvSource {
    pub paths: Vec<PathBuf>,
}
#[derive(Debug, Clone)]
pub struct EnvSource {
    pub prefix: String,
    pub strip_prefix: bool,
}
#[derive(Debug, Clone)]
pub struct CommandSource {
    pub argv: Vec<String>,
}
#[derive(Debug, Clone)]
pub struct InfisicalSource {
    pub project_id: String,
}
#[derive(Debug, Clone)]
pub struct InlineSource {
    pub keys: Vec<String>,
}

/// Why a source could not be configured or read. Never holds a secret value.
#[derive(Debug, Error)]
pub enum SourceError {
    #[error("invalid source: {0}")]
    Invalid(String),
    #[error("{0}")]
    Read(String),
}

impl SourceSpec {
    /// Parses and validates user configuration (see the module docs of each kind).
    pub fn from_json(_value: &Value) -> Result<Self, SourceError> {
        Err(SourceError::Invalid("sources are not built yet".into()))
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
    /// (public JSON safe to store and show, secret JSON to encrypt or `None`).
    pub fn split(&self) -> (Value, Option<Value>) {
        (Value::Null, None)
    }
    /// Inverse of [`split`](Self::split).
    pub fn join(public: &Value, _secret: Option<&Value>) -> Result<Self, SourceError> {
        Self::from_json(public)
    }
    /// Files whose change should trigger a run (watch mode); empty for polled kinds.
    pub fn watched_paths(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    /// Reads every secret, or fails as a whole.
    pub async fn read(&self) -> Result<SourceSecrets, SourceError> {
        Err(SourceError::Read("sources are not built yet".into()))
    }
}
