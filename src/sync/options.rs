//! Sync options: environment, key schema, deletion, initial behaviour, targets, defaults.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use super::desired::{ParseEnumError, Scope, VarType};
use super::key_schema::KeySchema;

/// Longest environment slug accepted.
pub const MAX_ENVIRONMENT_LEN: usize = 64;

/// What to do with destination keys the sync has never written (seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InitialSyncBehavior {
    /// The source is the truth: managed destination keys the source lacks are deleted
    /// (unless deletion is disabled) and the source value wins everywhere.
    #[default]
    OverwriteDestination,
    /// Destination-only GENERAL keys are imported instead of deleted; the source wins
    /// for keys on both sides.
    ImportPrioritizeSource,
    /// Destination-only GENERAL keys are imported instead of deleted, and for keys on
    /// both sides that the sync has never written the destination value wins.
    ImportPrioritizeDestination,
}

impl InitialSyncBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OverwriteDestination => "overwrite-destination",
            Self::ImportPrioritizeSource => "import-prioritize-source",
            Self::ImportPrioritizeDestination => "import-prioritize-destination",
        }
    }

    /// Whether destination-only keys are imported rather than deleted.
    pub fn imports(self) -> bool {
        !matches!(self, Self::OverwriteDestination)
    }
}

impl FromStr for InitialSyncBehavior {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "overwrite-destination" => Ok(Self::OverwriteDestination),
            "import-prioritize-source" => Ok(Self::ImportPrioritizeSource),
            "import-prioritize-destination" => Ok(Self::ImportPrioritizeDestination),
            _ => Err(ParseEnumError {
                what: "initial sync behavior",
                value: s.to_owned(),
                expected:
                    "overwrite-destination, import-prioritize-source, import-prioritize-destination",
            }),
        }
    }
}

impl fmt::Display for InitialSyncBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a sync with changes does when the app already has a deployment in flight
/// (`in_progress_deployment` / `pending_deployment`): every PUT starts a deployment, and
/// a PUT while another is in flight supersedes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IfDeploying {
    /// Wait (up to `deploy_wait_timeout`) until it ends, then read the app again and apply.
    #[default]
    Wait,
    /// Apply now; the in-flight deployment is superseded (the result names it).
    Proceed,
    /// Refuse with `SyncError::DeploymentInProgress`; nothing is sent.
    Fail,
}

/// Default bound on waiting for an in-flight deployment.
pub const DEFAULT_DEPLOY_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

impl IfDeploying {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wait => "wait",
            Self::Proceed => "proceed",
            Self::Fail => "fail",
        }
    }
}

impl FromStr for IfDeploying {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "wait" => Ok(Self::Wait),
            "proceed" => Ok(Self::Proceed),
            "fail" => Ok(Self::Fail),
            _ => Err(ParseEnumError {
                what: "if_deploying",
                value: s.to_owned(),
                expected: "wait, proceed, fail",
            }),
        }
    }
}

impl fmt::Display for IfDeploying {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the keys are written: the app-level `envs`, or each named component's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Targets {
    #[default]
    App,
    Components(Vec<String>),
}

/// Options invalid on their own, before looking at any spec.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OptionsError {
    #[error("environment {environment:?} is not a slug: 1-{MAX_ENVIRONMENT_LEN} characters of A-Z, a-z, 0-9, '_' or '-'")]
    InvalidEnvironment { environment: String },
    #[error("key schema {schema:?} uses {{{{environment}}}} but no environment was given")]
    MissingEnvironment { schema: String },
    #[error("key schema {schema:?} renders keys App Platform refuses (e.g. {example:?}); rendered keys must match ^[_A-Za-z][_A-Za-z0-9]*$")]
    InvalidRenderedKeys { schema: String, example: String },
    #[error("the component target list is empty; use the app-level target instead")]
    NoComponents,
    #[error("component name {name:?} is given more than once")]
    DuplicateComponent { name: String },
    #[error("component name is empty")]
    EmptyComponentName,
}

/// Everything that shapes a plan besides the spec, the desired set and the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    pub environment: Option<String>,
    pub key_schema: Option<KeySchema>,
    pub disable_secret_deletion: bool,
    pub initial_sync_behavior: InitialSyncBehavior,
    pub targets: Targets,
    /// Type for new keys whose desired value sets none.
    pub default_type: VarType,
    /// Scope for new keys whose desired value sets none.
    pub default_scope: Scope,
    /// A sync with changes while a deployment is in flight: wait, proceed or fail.
    pub if_deploying: IfDeploying,
    /// With `IfDeploying::Wait`: how long to wait for in-flight deployments in all.
    pub deploy_wait_timeout: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            environment: None,
            key_schema: None,
            disable_secret_deletion: false,
            initial_sync_behavior: InitialSyncBehavior::default(),
            targets: Targets::default(),
            default_type: VarType::Secret,
            default_scope: Scope::RunAndBuildTime,
            if_deploying: IfDeploying::default(),
            deploy_wait_timeout: DEFAULT_DEPLOY_WAIT_TIMEOUT,
        }
    }
}

/// Whether `s` is an acceptable environment slug.
pub fn is_valid_environment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ENVIRONMENT_LEN
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl SyncOptions {
    /// Check the options on their own (components are checked against the spec by `plan`).
    pub fn validate(&self) -> Result<(), OptionsError> {
        if let Some(env) = &self.environment {
            if !is_valid_environment(env) {
                return Err(OptionsError::InvalidEnvironment {
                    environment: env.clone(),
                });
            }
        }
        if let Some(schema) = &self.key_schema {
            if schema.uses_environment() && self.environment.is_none() {
                return Err(OptionsError::MissingEnvironment {
                    schema: schema.as_str().to_owned(),
                });
            }
            // Every key it renders has the same prefix and suffix: one sample tells.
            if let Ok(example) = schema.render("KEY", self.environment.as_deref()) {
                if !super::key_schema::is_valid_env_key(&example) {
                    return Err(OptionsError::InvalidRenderedKeys {
                        schema: schema.as_str().to_owned(),
                        example,
                    });
                }
            }
        }
        if let Targets::Components(names) = &self.targets {
            if names.is_empty() {
                return Err(OptionsError::NoComponents);
            }
            for (i, name) in names.iter().enumerate() {
                if name.is_empty() {
                    return Err(OptionsError::EmptyComponentName);
                }
                if names[..i].contains(name) {
                    return Err(OptionsError::DuplicateComponent { name: name.clone() });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(SyncOptions::default().validate().is_ok());
        let bad_env = SyncOptions {
            environment: Some("pro d".into()),
            ..Default::default()
        };
        assert!(matches!(
            bad_env.validate(),
            Err(OptionsError::InvalidEnvironment { .. })
        ));
        let no_env = SyncOptions {
            key_schema: Some(KeySchema::parse("{{environment}}_{{secretKey}}").unwrap()),
            ..Default::default()
        };
        assert!(matches!(
            no_env.validate(),
            Err(OptionsError::MissingEnvironment { .. })
        ));
        let dup = SyncOptions {
            targets: Targets::Components(vec!["web".into(), "web".into()]),
            ..Default::default()
        };
        assert_eq!(
            dup.validate(),
            Err(OptionsError::DuplicateComponent { name: "web".into() })
        );
        let empty = SyncOptions {
            targets: Targets::Components(vec![]),
            ..Default::default()
        };
        assert_eq!(empty.validate(), Err(OptionsError::NoComponents));
    }

    #[test]
    fn behavior_strings() {
        for b in [
            InitialSyncBehavior::OverwriteDestination,
            InitialSyncBehavior::ImportPrioritizeSource,
            InitialSyncBehavior::ImportPrioritizeDestination,
        ] {
            assert_eq!(b.as_str().parse::<InitialSyncBehavior>().unwrap(), b);
        }
        assert!("overwrite".parse::<InitialSyncBehavior>().is_err());
        for p in [IfDeploying::Wait, IfDeploying::Proceed, IfDeploying::Fail] {
            assert_eq!(p.as_str().parse::<IfDeploying>().unwrap(), p);
        }
        let err = "later".parse::<IfDeploying>().unwrap_err().to_string();
        assert!(
            err.contains("later") && err.contains("wait, proceed, fail"),
            "{err}"
        );
    }
}
