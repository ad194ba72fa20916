//! The control plane's one error type. Messages are one line and never hold a token
//! or a secret value.

use thiserror::Error;

use super::runs::SyncRun;
use crate::sources::SourceError;
use crate::store::crypto::CryptoError;
use crate::store::StoreError;
use crate::sync::SyncError;

/// Why a control-plane operation failed. Variants map one to one onto exception
/// classes of the Python binding.
#[derive(Debug, Error)]
pub enum ControlError {
    /// No connection/sync/app/run with that id or name.
    #[error("{what} {name:?} not found")]
    NotFound { what: &'static str, name: String },
    /// The name is taken.
    #[error("a {what} named {name:?} already exists")]
    AlreadyExists { what: &'static str, name: String },
    /// Input that fails validation; nothing was written.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// A field Infisical has that DigitalOcean connections do not support.
    #[error("{field} is not supported for DigitalOcean connections")]
    Unsupported { field: String },
    /// The connection is still used by syncs.
    #[error("{message}")]
    InUse { message: String },
    /// Two syncs of one app would manage the same keys (they would fight).
    #[error("{message}")]
    Overlap { message: String },
    /// Another process changed the object meanwhile; nothing was written.
    #[error("{message}")]
    Concurrent { message: String },
    /// The sync is disabled; nothing was recorded.
    #[error("sync {name:?} is disabled; enable it to run it")]
    Disabled { name: String },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Api(#[from] crate::client::Error),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(StoreError),
    /// Bad or wrong master key, or sealed data that does not decrypt.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// With `wait`: the deployment the change started ended in ERROR or CANCELED.
    #[error("deployment {deployment_id} of app {app_id} ended in {phase}{}", if *.rolled_back { "; the previous env vars were put back" } else { "" })]
    DeploymentFailed {
        app_id: String,
        deployment_id: String,
        phase: String,
        rolled_back: bool,
    },
    /// `delete(remove_secrets)`: removing the sync's secrets failed (the run is recorded),
    /// so the sync was kept.
    #[error("sync {name:?} was not deleted: removing its secrets failed (job {}): {cause}", .run.id)]
    RemoveBeforeDeleteFailed {
        name: String,
        run: Box<SyncRun>,
        cause: Box<ControlError>,
    },
    /// The run was recorded as failed; `cause` says why.
    #[error("{} {} failed (job {}): {cause}", .run.kind, .run.sync_name, .run.id)]
    RunFailed {
        run: Box<SyncRun>,
        cause: Box<ControlError>,
    },
}

impl From<StoreError> for ControlError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NameTaken { kind, name } => {
                ControlError::AlreadyExists { what: kind, name }
            }
            other => ControlError::Store(other),
        }
    }
}

impl ControlError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ControlError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        ControlError::NotFound {
            what,
            name: name.into(),
        }
    }

    /// The message on one line (for run records and status fields).
    pub fn one_line(&self) -> String {
        let text = self.to_string();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}
