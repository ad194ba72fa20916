//! The env-sync engine's pure core: key schemas, desired secrets, options,
//! fingerprints, state records and the plan (pure: no I/O), and `apply`, the one
//! module that talks to DigitalOcean and the store (`crate::store`).

pub mod apply;
pub mod deploying;
pub mod desired;
pub mod fingerprint;
pub mod fleet;
pub mod key_schema;
pub mod options;
pub mod plan;
pub mod state;

pub use apply::{ApplySettings, Engine, PlannedSync, Progress, SyncError, SyncOutcome};
pub use deploying::InFlightDeployment;
pub use desired::{Desired, DesiredValue, ParseEnumError, Scope, VarType};
pub use fingerprint::{Fingerprinter, FINGERPRINT_KEY_LEN};
pub use fleet::{
    FleetAppResult, FleetEvent, FleetProgress, FleetReport, FleetSettings, FleetTarget,
    DEFAULT_FLEET_CONCURRENCY,
};
pub use key_schema::{is_valid_env_key, InvalidKeyError, KeySchema, KeySchemaError};
pub use options::{
    IfDeploying, InitialSyncBehavior, OptionsError, SyncOptions, Targets,
    DEFAULT_DEPLOY_WAIT_TIMEOUT,
};
pub use plan::{
    check_app_id, plan, plan_removal, plan_removal_shared, plan_shared, same_spec,
    state_after_apply, validate_desired, Action, EnvChange, Plan, PlanError, PlanKind, Reason,
    Warning, MAX_VALUE_BYTES,
};
pub use state::{Origin, StateRecord, APP_TARGET};
