//! The sync plan: a pure function of the current app spec, the desired secrets,
//! the options and the sync state. It says, per (target, key), what will happen
//! and why, and holds the exact spec to PUT: the fetched spec with only the
//! managed env entries changed, so every other byte survives.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
// Internal maps only, keyed by the caller's own spec and secrets: no untrusted input to
// defend against hash flooding, so the fast non-keyed hasher instead of SipHash.
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use serde_json::{Map, Value};
use thiserror::Error;

use super::deploying::InFlightDeployment;
use super::desired::{Desired, DesiredValue, Scope, VarType};
use super::fingerprint::{hex_matches, Fingerprinter};
use super::key_schema::{
    is_valid_env_key, render_destination_key, strip_affixes, InvalidKeyError, KeySchemaError,
};
use super::options::{IfDeploying, InitialSyncBehavior, OptionsError, SyncOptions, Targets};
use super::state::{is_ev_string, now_micros, Origin, StateRecord, APP_TARGET};

/// The spec arrays whose entries are components with their own `envs`.
pub const COMPONENT_KINDS: [&str; 5] = ["services", "workers", "jobs", "static_sites", "functions"];

/// What happens to one env key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Create,
    Update,
    Delete,
    Unchanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Unchanged => "unchanged",
        }
    }
}

/// Why an action was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The key is not in the destination yet.
    Missing,
    /// A SECRET with no state record: its current value cannot be read, so it is written once.
    Initial,
    /// The desired value differs from the last one written (or from the GENERAL value).
    ValueChanged,
    /// The recorded `EV[...]` differs from the current one: changed outside the sync.
    Drift,
    /// The caller set a type that differs from the key's current type.
    TypeChanged,
    /// The caller set a scope that differs from the key's current scope.
    ScopeChanged,
    /// A managed key this sync wrote before is no longer in the source.
    RemovedFromSource,
    /// A managed key the sync never wrote is not in the source (overwrite-destination).
    NotInSource,
    /// SECRET up to date: the fingerprint and the `EV[...]` match the record.
    FingerprintMatch,
    /// GENERAL up to date: values compared directly.
    ValueMatch,
    /// Would be deleted, but deletion is disabled.
    DeletionDisabled,
    /// A destination-only GENERAL key imported into the source instead of deleted.
    ImportedFromDestination,
    /// import-prioritize-destination: the destination GENERAL value wins and is imported.
    DestinationPrioritized,
    /// A destination SECRET that an import behaviour keeps: its value cannot be read.
    SecretNotImportable,
    /// Removal: the sync created this key.
    CreatedBySync,
    /// Removal: an adopted key is put back to its entry from before the sync.
    RestoreOriginal,
    /// Removal: an adopted key already holds its original entry.
    AlreadyOriginal,
    /// Removal: an adopted key whose original entry is unknown is left as it is.
    OriginalUnknown,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::Initial => "initial",
            Reason::ValueChanged => "value_changed",
            Reason::Drift => "drift",
            Reason::TypeChanged => "type_changed",
            Reason::ScopeChanged => "scope_changed",
            Reason::RemovedFromSource => "removed_from_source",
            Reason::NotInSource => "not_in_source",
            Reason::FingerprintMatch => "fingerprint_match",
            Reason::ValueMatch => "value_match",
            Reason::DeletionDisabled => "deletion_disabled",
            Reason::ImportedFromDestination => "imported_from_destination",
            Reason::DestinationPrioritized => "destination_prioritized",
            Reason::SecretNotImportable => "secret_not_importable",
            Reason::CreatedBySync => "created_by_sync",
            Reason::RestoreOriginal => "restore_original",
            Reason::AlreadyOriginal => "already_original",
            Reason::OriginalUnknown => "original_unknown",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One (target, key) line of a plan. Holds no value, so Debug is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvChange {
    /// `None` for the app-level `envs`.
    pub component: Option<String>,
    /// Destination key.
    pub key: String,
    /// Source key behind a managed destination key.
    pub source_key: Option<String>,
    pub action: Action,
    pub reason: Reason,
    /// Type after the change (for `Delete`, the deleted entry's); `None` if unknown.
    pub var_type: Option<VarType>,
    /// Scope after the change (for `Delete`, the deleted entry's); `None` if unknown.
    pub scope: Option<Scope>,
}

impl EnvChange {
    /// The state-record target: `""` for app level, else the component name.
    pub fn target(&self) -> &str {
        self.component.as_deref().unwrap_or(APP_TARGET)
    }
}

impl fmt::Display for EnvChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} ({})",
            target_label(self.component.as_deref()),
            self.key,
            self.action,
            self.reason
        )
    }
}

fn target_label(component: Option<&str>) -> String {
    match component {
        None => "(app)".to_owned(),
        Some(c) => c.to_owned(),
    }
}

/// Something worth knowing that does not stop the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A component env with the same key overrides the synced app-level value at run time.
    ShadowedByComponent { component: String, key: String },
    /// The value holds an App Platform bindable reference, passed through untouched.
    BindableValue { key: String },
    /// An import behaviour cannot import a SECRET (DigitalOcean returns ciphertext only);
    /// the destination entry is kept as it is.
    SecretNotImportable {
        component: Option<String>,
        key: String,
    },
    /// Removal: an adopted key's original entry is unknown; it is left as it is.
    OriginalUnknown {
        component: Option<String>,
        key: String,
    },
    /// Removal: the state names a component the spec no longer has.
    TargetMissing { component: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::ShadowedByComponent { component, key } => write!(
                f,
                "component {component:?} has its own env {key}, which overrides the synced app-level value at run time"
            ),
            Warning::BindableValue { key } => write!(
                f,
                "{key} holds a bindable reference (${{...}}) that App Platform resolves; it is passed through unchanged"
            ),
            Warning::SecretNotImportable { component, key } => write!(
                f,
                "{} {key} is a SECRET: DigitalOcean returns only its ciphertext, so it cannot be imported; the destination entry is kept as it is",
                target_label(component.as_deref())
            ),
            Warning::OriginalUnknown { component, key } => write!(
                f,
                "{} {key} was adopted but its original entry is unknown; it is left as it is",
                target_label(component.as_deref())
            ),
            Warning::TargetMissing { component } => write!(
                f,
                "component {component:?} from the sync state is no longer in the app spec; nothing to remove there"
            ),
        }
    }
}

/// Why no plan could be made. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error(transparent)]
    KeySchema(#[from] KeySchemaError),
    #[error("source key is empty")]
    EmptySourceKey,
    #[error("the value of {key:?} is {len} bytes; at most {MAX_VALUE_BYTES} (128 KiB) fit in one environment variable")]
    ValueTooLarge { key: String, len: usize },
    #[error(
        "the value of {key:?} contains a NUL character, which no environment variable can hold"
    )]
    NulInValue { key: String },
    #[error("app id {app_id:?} is not an App Platform app id (a UUID such as 4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf); look an app up by name with apps.get(name=...)")]
    InvalidAppId { app_id: String },
    #[error("{} destination key(s) are invalid; nothing was planned: {}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidDestinationKeys(Vec<InvalidKeyError>),
    #[error("source keys {source_keys:?} all render to the destination key {key:?}")]
    KeyCollision {
        key: String,
        source_keys: Vec<String>,
    },
    #[error("unknown component {name:?}; the app spec has: {}", if .available.is_empty() { "no components".to_owned() } else { .available.join(", ") })]
    UnknownComponent {
        name: String,
        available: Vec<String>,
    },
    #[error("component name {name:?} appears more than once in the app spec")]
    AmbiguousComponent { name: String },
    #[error("{} has the managed key {key:?} more than once; refusing an ambiguous spec", target_label(.component.as_deref()))]
    DuplicateDestinationKey {
        component: Option<String>,
        key: String,
    },
    #[error("{} env {key:?} has an unrecognized {field}", target_label(.component.as_deref()))]
    UnrecognizedField {
        component: Option<String>,
        key: String,
        field: &'static str,
    },
    #[error("malformed app spec at {path}: {problem}")]
    MalformedSpec { path: String, problem: &'static str },
}

/// Whether a plan syncs desired secrets or removes what a sync wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    Sync,
    Removal,
}

/// A state record to write once the plan is applied; the `EV[...]` comes from the PUT response.
#[derive(Debug, Clone)]
struct RecordIntent {
    /// Index into [`Plan::targets`].
    target: usize,
    /// Index into [`Plan::changes`]: that change's key is the record's key.
    change: usize,
    /// Shared by every target the same desired value goes to.
    fingerprint: Arc<str>,
    var_type: VarType,
    scope: Scope,
    origin: IntentOrigin,
    /// `EV[...]` and `updated_at` of the record this one replaces, when nothing changed:
    /// an unchanged record keeps its `updated_at` if its `EV[...]` is still the same.
    previous: Option<(Option<String>, DateTime<Utc>)>,
    changed: bool,
}

/// The origin a record will get.
#[derive(Debug, Clone)]
enum IntentOrigin {
    Known(Origin),
    /// Adopted by this plan and left untouched: the original entry is the one in the
    /// planned spec, looked up when the state is written instead of copied per key here.
    AdoptedUnchanged,
}

/// A computed plan. Its Debug and Display never show a value.
#[derive(Clone)]
pub struct Plan {
    kind: PlanKind,
    changes: Vec<EnvChange>,
    warnings: Vec<Warning>,
    imports: Vec<(String, String)>,
    /// The spec as read, shared with the caller (no copy is made to plan it).
    base: Arc<Value>,
    /// Each target's edits, in target order; the spec to PUT is `base` with these applied.
    edits: Vec<(Location, Vec<Op>)>,
    /// The spec to PUT, built on first use: a plan without changes never copies the spec,
    /// and one with changes copies it once, when it is applied.
    new_spec: OnceLock<Value>,
    targets: Vec<String>,
    intents: Vec<RecordIntent>,
    carried: Vec<StateRecord>,
    planned_at: Instant,
    /// The deployment in flight on the app when it was read, and what applying does then.
    in_flight: Option<InFlightDeployment>,
    if_deploying: IfDeploying,
}

impl Plan {
    /// The deployment that was in flight (`in_progress_deployment` or
    /// `pending_deployment`) when the app was read.
    pub fn in_flight(&self) -> Option<&InFlightDeployment> {
        self.in_flight.as_ref()
    }

    /// What applying this plan does while a deployment is in flight.
    pub fn if_deploying(&self) -> IfDeploying {
        self.if_deploying
    }

    pub(crate) fn set_in_flight(&mut self, in_flight: Option<InFlightDeployment>) {
        self.in_flight = in_flight;
    }

    pub fn kind(&self) -> PlanKind {
        self.kind
    }

    /// One line per (target, key) considered, in spec order then source order.
    pub fn changes(&self) -> &[EnvChange] {
        &self.changes
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// GENERAL values an import behaviour takes from the destination: (source key, value).
    /// The caller merges them into its source.
    pub fn imports(&self) -> &[(String, String)] {
        &self.imports
    }

    /// The spec the plan was made from, as read (`EV[...]` strings included).
    pub fn base_spec(&self) -> &Value {
        &self.base
    }

    pub(crate) fn shared_base_spec(&self) -> Arc<Value> {
        Arc::clone(&self.base)
    }

    /// The spec to PUT (the fetched spec itself when there are no changes), built from the
    /// fetched spec on first call. Holds plaintexts of the secrets being written.
    pub fn new_spec(&self) -> &Value {
        if self.edits.is_empty() {
            return &self.base;
        }
        self.new_spec.get_or_init(|| {
            let mut spec = (*self.base).clone();
            for (location, ops) in &self.edits {
                apply_ops(&mut spec, *location, ops);
            }
            spec
        })
    }

    /// State-record targets the plan covers (`""` for app level).
    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// When the plan was made (apply re-reads the app when the plan is old).
    pub fn planned_at(&self) -> Instant {
        self.planned_at
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::Unchanged)
    }

    /// Every PUT deploys, and a plan PUTs exactly when it has changes.
    pub fn will_deploy(&self) -> bool {
        self.has_changes()
    }

    /// Destination keys with the given action.
    pub fn keys_with(&self, action: Action) -> Vec<&str> {
        self.changes
            .iter()
            .filter(|c| c.action == action)
            .map(|c| c.key.as_str())
            .collect()
    }

    /// A text table (target, key, action, reason, type, scope), without values.
    pub fn render_table(&self) -> String {
        let headers = ["TARGET", "KEY", "ACTION", "REASON", "TYPE", "SCOPE"];
        let rows: Vec<[String; 6]> = self
            .changes
            .iter()
            .map(|c| {
                [
                    target_label(c.component.as_deref()),
                    c.key.clone(),
                    c.action.to_string(),
                    c.reason.to_string(),
                    c.var_type.map_or("?", VarType::as_str).to_owned(),
                    c.scope.map_or("?", Scope::as_str).to_owned(),
                ]
            })
            .collect();
        let mut widths = headers.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str]| {
            let mut s = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(cell);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(widths[i] - cell.chars().count()));
                }
            }
            s.push('\n');
            s
        };
        let mut out = line(&headers);
        for row in &rows {
            out.push_str(&line(&row.each_ref().map(String::as_str)));
        }
        let count = |a| self.changes.iter().filter(|c| c.action == a).count();
        out.push_str(&format!(
            "{} to create, {} to update, {} to delete, {} unchanged; {}\n",
            count(Action::Create),
            count(Action::Update),
            count(Action::Delete),
            count(Action::Unchanged),
            if self.will_deploy() {
                "applying deploys the app"
            } else {
                "nothing to apply, no deployment"
            }
        ));
        if let Some(d) = &self.in_flight {
            out.push_str(&d.describe(self.has_changes(), self.if_deploying));
            out.push('\n');
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out
    }
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("kind", &self.kind)
            .field("changes", &self.changes)
            .field("warnings", &self.warnings)
            .field(
                "imports",
                &self.imports.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("new_spec", &"<redacted>")
            .field("has_changes", &self.has_changes())
            .field("in_flight", &self.in_flight)
            .finish()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_table())
    }
}

/// Whether two specs are the same document: objects compare whatever their key order
/// (DigitalOcean may reorder fields), arrays and scalars exactly. Apply uses it to tell
/// whether an app changed since it was planned.
pub fn same_spec(a: &Value, b: &Value) -> bool {
    // serde_json's maps (IndexMap with `preserve_order`) compare by content, not order.
    a == b
}

/// Where a target's `envs` list lives in the spec.
#[derive(Debug, Clone, Copy)]
enum Location {
    App,
    Component { kind: &'static str, index: usize },
}

/// Edits to one target's `envs`, applied to a copy of the spec.
#[derive(Debug, Clone)]
enum Op {
    /// Set fields of the entry at `index`, in place (existing fields keep their position).
    Set {
        index: usize,
        fields: Vec<(&'static str, Value)>,
    },
    Replace {
        index: usize,
        entry: Value,
    },
    Remove {
        index: usize,
    },
    Append {
        entry: Value,
    },
}

struct ResolvedTarget<'a> {
    /// `None` for the app-level `envs`.
    component: Option<&'a str>,
    location: Location,
    entries: &'a [Value],
}

impl<'a> ResolvedTarget<'a> {
    /// The state-record target name (`""` for app level).
    fn name(&self) -> &'a str {
        self.component.unwrap_or(APP_TARGET)
    }

    fn owned_component(&self) -> Option<String> {
        self.component.map(str::to_owned)
    }
}

/// The components of a spec: name -> location, in spec order.
fn components(spec: &Map<String, Value>) -> Result<Vec<(String, Location, &Value)>, PlanError> {
    let mut out = Vec::new();
    for kind in COMPONENT_KINDS {
        match spec.get(kind) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(name) = item.get("name").and_then(Value::as_str) {
                        out.push((name.to_owned(), Location::Component { kind, index }, item));
                    }
                }
            }
            Some(_) => {
                return Err(PlanError::MalformedSpec {
                    path: kind.to_owned(),
                    problem: "expected an array of components",
                })
            }
        }
    }
    Ok(out)
}

fn env_entries<'s>(holder: &'s Value, path: &str) -> Result<&'s [Value], PlanError> {
    match holder.get("envs") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(PlanError::MalformedSpec {
            path: format!("{path}envs"),
            problem: "expected an array of env entries",
        }),
    }
}

fn entry_key(entry: &Value) -> Option<&str> {
    entry.get("key").and_then(Value::as_str)
}

/// The fields of one env entry the plan reads, found in one pass over the entry's few
/// fields (cheaper than hashing each name for a lookup). Same results as `entry.get(..)`.
#[derive(Clone, Copy)]
struct EntryView<'a> {
    raw: &'a Value,
    key: Option<&'a str>,
    value: Option<&'a Value>,
    var_type: Option<&'a Value>,
    scope: Option<&'a Value>,
}

impl<'a> EntryView<'a> {
    fn of(raw: &'a Value) -> Self {
        let mut view = EntryView {
            raw,
            key: None,
            value: None,
            var_type: None,
            scope: None,
        };
        if let Value::Object(fields) = raw {
            for (name, field) in fields {
                match name.as_str() {
                    "key" => view.key = field.as_str(),
                    "value" => view.value = Some(field),
                    "type" => view.var_type = Some(field),
                    "scope" => view.scope = Some(field),
                    _ => {}
                }
            }
        }
        view
    }

    fn value_str(&self) -> Option<&'a str> {
        self.value.and_then(Value::as_str)
    }

    /// As [`VarType::of_entry`]: absent or null means `GENERAL`, unknown means `None`.
    fn var_type(&self) -> Option<VarType> {
        match self.var_type {
            None | Some(Value::Null) => Some(VarType::General),
            Some(Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        }
    }

    /// As [`Scope::of_entry`]: absent or null means `RUN_AND_BUILD_TIME`, unknown `None`.
    fn scope(&self) -> Option<Scope> {
        match self.scope {
            None | Some(Value::Null) => Some(Scope::RunAndBuildTime),
            Some(Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        }
    }
}

fn resolve_targets<'a>(
    spec: &'a Value,
    targets: &'a Targets,
) -> Result<Vec<ResolvedTarget<'a>>, PlanError> {
    let obj = spec.as_object().ok_or(PlanError::MalformedSpec {
        path: "spec".to_owned(),
        problem: "expected an object",
    })?;
    match targets {
        Targets::App => Ok(vec![ResolvedTarget {
            component: None,
            location: Location::App,
            entries: env_entries(spec, "")?,
        }]),
        Targets::Components(names) => {
            let all = components(obj)?;
            names
                .iter()
                .map(|name| {
                    let mut found = all.iter().filter(|(n, _, _)| n == name);
                    let (_, location, value) =
                        found.next().ok_or_else(|| PlanError::UnknownComponent {
                            name: name.clone(),
                            available: all.iter().map(|(n, _, _)| n.clone()).collect(),
                        })?;
                    if found.next().is_some() {
                        return Err(PlanError::AmbiguousComponent { name: name.clone() });
                    }
                    let path = match location {
                        Location::Component { kind, index } => format!("{kind}[{index}]."),
                        Location::App => String::new(),
                    };
                    Ok(ResolvedTarget {
                        component: Some(name.as_str()),
                        location: *location,
                        entries: env_entries(value, &path)?,
                    })
                })
                .collect()
        }
    }
}

/// Decides which destination keys the sync manages.
struct Boundary {
    affixes: Option<(String, String)>,
}

impl Boundary {
    fn new(options: &SyncOptions) -> Result<Self, PlanError> {
        let affixes = match &options.key_schema {
            Some(schema) => Some(schema.affixes(options.environment.as_deref())?),
            None => None,
        };
        Ok(Self { affixes })
    }

    /// The source key behind a managed destination key.
    fn source_of<'k>(&self, key: &'k str) -> Option<&'k str> {
        match &self.affixes {
            Some((prefix, suffix)) => strip_affixes(key, prefix, suffix),
            None => Some(key),
        }
    }
}

/// A desired entry after rendering its destination key. Borrows the caller's `Desired`
/// (without a key schema the destination key is the source key itself); only imported
/// values and rendered keys are owned.
struct Rendered<'a> {
    dest: Cow<'a, str>,
    source: Cow<'a, str>,
    value: Cow<'a, str>,
    var_type: Option<VarType>,
    scope: Option<Scope>,
    bindable: bool,
}

impl Rendered<'_> {
    fn into_owned(self) -> Rendered<'static> {
        Rendered {
            dest: Cow::Owned(self.dest.into_owned()),
            source: Cow::Owned(self.source.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
            var_type: self.var_type,
            scope: self.scope,
            bindable: self.bindable,
        }
    }
}

/// The longest value a key may hold: Linux refuses to start a process with a larger
/// environment variable (`MAX_ARG_STRLEN`), so the app could never receive it.
pub const MAX_VALUE_BYTES: usize = 128 * 1024;

/// App Platform app ids are hyphenated UUIDs; anything else (a name, a path) is refused
/// before it reaches a URL or the state store.
pub fn check_app_id(app_id: &str) -> Result<(), PlanError> {
    let hyphenated = app_id.len() == 36 && uuid::Uuid::try_parse(app_id).is_ok();
    if hyphenated {
        Ok(())
    } else {
        Err(PlanError::InvalidAppId {
            app_id: app_id.chars().take(80).collect(),
        })
    }
}

/// Checks the options and every rendered destination key without looking at a spec, so
/// bad input is refused before any request is sent.
pub fn validate_desired(desired: &Desired, options: &SyncOptions) -> Result<(), PlanError> {
    options.validate()?;
    render_all(desired, options).map(|_| ())
}

fn render_all<'a>(
    desired: &'a Desired,
    options: &SyncOptions,
) -> Result<Vec<Rendered<'a>>, PlanError> {
    let mut out = Vec::with_capacity(desired.len());
    let mut invalid = Vec::new();
    for (source, value) in desired.iter() {
        if source.is_empty() {
            return Err(PlanError::EmptySourceKey);
        }
        if value.value.len() > MAX_VALUE_BYTES {
            return Err(PlanError::ValueTooLarge {
                key: source.to_owned(),
                len: value.value.len(),
            });
        }
        if value.value.contains('\0') {
            return Err(PlanError::NulInValue {
                key: source.to_owned(),
            });
        }
        // Without a schema the destination key is the source key: borrowed, not rendered.
        let dest = match &options.key_schema {
            None if is_valid_env_key(source) => Ok(Cow::Borrowed(source)),
            None => Err(InvalidKeyError {
                source_key: source.to_owned(),
                key: source.to_owned(),
            }),
            Some(schema) => {
                render_destination_key(Some(schema), source, options.environment.as_deref())?
                    .map(Cow::Owned)
            }
        };
        match dest {
            Ok(dest) => out.push(Rendered {
                dest,
                source: Cow::Borrowed(source),
                value: Cow::Borrowed(value.value.as_str()),
                var_type: value.var_type,
                scope: value.scope,
                bindable: value.is_bindable(),
            }),
            Err(e) => invalid.push(e),
        }
    }
    if !invalid.is_empty() {
        return Err(PlanError::InvalidDestinationKeys(invalid));
    }
    // Distinct source keys render to distinct keys without a schema; with one, two
    // sources may collide.
    if options.key_schema.is_some() {
        let mut seen = FxHashSet::with_capacity_and_hasher(out.len(), FxBuildHasher);
        if !out.iter().all(|r| seen.insert(&*r.dest)) {
            return Err(collision(&out));
        }
    }
    Ok(out)
}

/// The error for the first rendered entry whose destination key several sources share.
fn collision(rendered: &[Rendered<'_>]) -> PlanError {
    let mut by_dest: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
    for r in rendered {
        by_dest.entry(&r.dest).or_default().push(&r.source);
    }
    let r = rendered
        .iter()
        .find(|r| by_dest[&*r.dest].len() > 1)
        .expect("a collision was found");
    PlanError::KeyCollision {
        key: r.dest.to_string(),
        source_keys: by_dest[&*r.dest].iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn unrecognized(target: &ResolvedTarget<'_>, key: &str, field: &'static str) -> PlanError {
    PlanError::UnrecognizedField {
        component: target.owned_component(),
        key: key.to_owned(),
        field,
    }
}

fn new_entry(key: &str, value: &str, scope: Scope, var_type: VarType) -> Value {
    let mut m = Map::new();
    m.insert("key".into(), Value::String(key.to_owned()));
    m.insert("value".into(), Value::String(value.to_owned()));
    m.insert("scope".into(), Value::String(scope.as_str().to_owned()));
    m.insert("type".into(), Value::String(var_type.as_str().to_owned()));
    Value::Object(m)
}

/// What one target leaves behind besides its changes, intents and warnings (which go
/// straight into the plan's lists).
struct TargetOutcome<'a> {
    ops: Vec<Op>,
    /// Managed key -> entry index.
    index: FxHashMap<&'a str, usize>,
    /// Managed keys the plan deletes.
    deleted: FxHashSet<&'a str>,
}

/// Index of managed entries by key, refusing duplicates.
fn managed_index<'a>(
    target: &ResolvedTarget<'a>,
    views: &[EntryView<'a>],
    boundary: &Boundary,
) -> Result<FxHashMap<&'a str, usize>, PlanError> {
    let mut index = FxHashMap::with_capacity_and_hasher(views.len(), FxBuildHasher);
    for (i, view) in views.iter().enumerate() {
        let Some(key) = view.key else {
            continue;
        };
        if boundary.source_of(key).is_none() {
            continue;
        }
        if index.insert(key, i).is_some() {
            return Err(PlanError::DuplicateDestinationKey {
                component: target.owned_component(),
                key: key.to_owned(),
            });
        }
    }
    Ok(index)
}

fn views_of(entries: &[Value]) -> Vec<EntryView<'_>> {
    entries.iter().map(EntryView::of).collect()
}

/// (target name, destination key).
type TargetKey<'a> = (&'a str, &'a str);

/// What the import behaviours take from the destination, decided over all
/// targets before any of them is planned, so that the plan is a fixed point once
/// the caller merges the imports into its source.
#[derive(Default)]
struct ImportPlan<'a> {
    /// Source key -> value the effective source takes; the first target (in the
    /// option's order) holding a key wins.
    values: indexmap::IndexMap<&'a str, &'a str, FxBuildHasher>,
    /// Never-written SECRETs that an import behaviour keeps as they are.
    keep: FxHashSet<TargetKey<'a>>,
    /// Destination-only GENERAL keys whose value was imported.
    imported_here: FxHashSet<TargetKey<'a>>,
    /// Keys on both sides whose destination value won.
    prioritized_here: FxHashSet<TargetKey<'a>>,
}

/// The sync state of the app by (target, key).
type Records<'a> = FxHashMap<TargetKey<'a>, &'a StateRecord>;

/// Pass 1 for the import behaviours: only keys the sync never wrote (no state
/// record) are imported; once a key is recorded the source is the truth.
fn collect_imports<'a>(
    targets: &[ResolvedTarget<'a>],
    rendered: &[Rendered<'_>],
    options: &SyncOptions,
    boundary: &Boundary,
    records: &Records<'_>,
) -> Result<ImportPlan<'a>, PlanError> {
    let mut out = ImportPlan::default();
    let behavior = options.initial_sync_behavior;
    if !behavior.imports() {
        return Ok(out);
    }
    let prioritize_destination = behavior == InitialSyncBehavior::ImportPrioritizeDestination;
    let source_values: FxHashMap<&str, &str> =
        rendered.iter().map(|r| (&*r.dest, &*r.value)).collect();
    // Managed entries the sync never wrote: (target, key, source key, entry).
    let mut unowned = Vec::new();
    for target in targets {
        let name = target.name();
        let views = views_of(target.entries);
        managed_index(target, &views, boundary)?;
        for view in views {
            let Some(key) = view.key else {
                continue;
            };
            let Some(source) = boundary.source_of(key) else {
                continue;
            };
            if !records.contains_key(&(name, key)) {
                unowned.push((name, key, source, view));
            }
        }
    }
    // Readable values first: what the effective source takes.
    for &(_, key, source, view) in &unowned {
        if view.var_type() != Some(VarType::General) {
            continue;
        }
        if source_values.contains_key(key) && !prioritize_destination {
            continue;
        }
        let value = view.value_str().unwrap_or("");
        out.values.entry(source).or_insert(value);
    }
    // Then what each unowned entry becomes against the effective source.
    for &(name, key, source, view) in &unowned {
        let here = (name, key);
        let in_source = source_values.get(key).copied();
        if view.var_type() != Some(VarType::General) {
            // An unreadable value on both sides: the destination wins only when prioritized.
            let in_effective = in_source.is_some() || out.values.contains_key(source);
            if in_effective && prioritize_destination {
                out.keep.insert(here);
            }
            continue;
        }
        let value = view.value_str().unwrap_or("");
        if out.values.get(source).copied() != Some(value) {
            continue;
        }
        match in_source {
            None => {
                out.imported_here.insert(here);
            }
            Some(v) if v != value => {
                out.prioritized_here.insert(here);
            }
            Some(_) => {}
        }
    }
    Ok(out)
}

/// The desired entries with the imported values merged in (imports win, as the
/// caller's merged source would have them).
fn merge_imports<'a>(
    mut rendered: Vec<Rendered<'a>>,
    imports: &ImportPlan<'a>,
    options: &SyncOptions,
) -> Result<Vec<Rendered<'a>>, PlanError> {
    if imports.values.is_empty() {
        return Ok(rendered);
    }
    let by_source: FxHashMap<String, usize> = rendered
        .iter()
        .enumerate()
        .map(|(i, r)| (r.source.to_string(), i))
        .collect();
    let mut extra = Desired::new();
    for (&source, &value) in &imports.values {
        match by_source.get(source) {
            Some(&i) => rendered[i].value = Cow::Borrowed(value),
            None => extra.insert(source, DesiredValue::new(value)),
        }
    }
    let extra = render_all(&extra, options)?;
    for r in extra {
        rendered.push(r.into_owned());
    }
    Ok(rendered)
}

/// A desired value's fingerprint (hex), computed the first time a target needs it and then
/// shared by every target the value goes to.
type CachedFingerprint = Arc<str>;

/// Everything every target is planned against.
struct PlanInputs<'a, 'r> {
    rendered: &'r [Rendered<'a>],
    options: &'a SyncOptions,
    boundary: &'r Boundary,
    records: &'r Records<'a>,
    imports: &'r ImportPlan<'a>,
    fp: &'r Fingerprinter,
}

/// The plan's lists, filled target after target.
#[derive(Default)]
struct PlanLists {
    changes: Vec<EnvChange>,
    intents: Vec<RecordIntent>,
    warnings: Vec<Warning>,
}

impl PlanInputs<'_, '_> {
    fn fingerprint<'c>(
        &self,
        cache: &'c mut [Option<CachedFingerprint>],
        rendered: usize,
    ) -> &'c CachedFingerprint {
        cache[rendered]
            .get_or_insert_with(|| Arc::from(self.fp.fingerprint(&self.rendered[rendered].value)))
    }
}

fn plan_target<'a>(
    target_index: usize,
    target: &ResolvedTarget<'a>,
    inputs: &PlanInputs<'a, '_>,
    cache: &mut [Option<CachedFingerprint>],
    lists: &mut PlanLists,
) -> Result<TargetOutcome<'a>, PlanError> {
    let PlanInputs {
        rendered,
        options,
        boundary,
        records,
        imports,
        fp: _,
    } = *inputs;
    let target_name = target.name();
    let component = target.component;
    let views = views_of(target.entries);
    let index = managed_index(target, &views, boundary)?;
    let mut ops = Vec::new();
    // Entries a desired key matched; the managed entries left over are not in the source.
    let mut matched = vec![false; views.len()];
    let record_of = |key: &str| {
        if records.is_empty() {
            None
        } else {
            records.get(&(target_name, key)).copied()
        }
    };

    for (ri, r) in rendered.iter().enumerate() {
        let record = record_of(&r.dest);
        let Some(&i) = index.get(&*r.dest) else {
            let var_type = r.var_type.unwrap_or(options.default_type);
            let scope = r.scope.unwrap_or(options.default_scope);
            ops.push(Op::Append {
                entry: new_entry(&r.dest, &r.value, scope, var_type),
            });
            lists.changes.push(EnvChange {
                component: component.map(str::to_owned),
                key: r.dest.to_string(),
                source_key: Some(r.source.to_string()),
                action: Action::Create,
                reason: Reason::Missing,
                var_type: Some(var_type),
                scope: Some(scope),
            });
            lists.intents.push(RecordIntent {
                target: target_index,
                change: lists.changes.len() - 1,
                fingerprint: Arc::clone(inputs.fingerprint(cache, ri)),
                var_type,
                scope,
                origin: IntentOrigin::Known(Origin::Created),
                previous: None,
                changed: true,
            });
            continue;
        };
        matched[i] = true;

        let entry = &views[i];
        let current_type = entry
            .var_type()
            .ok_or_else(|| unrecognized(target, &r.dest, "type"))?;
        let current_scope = entry
            .scope()
            .ok_or_else(|| unrecognized(target, &r.dest, "scope"))?;
        let current_value = entry.value_str();

        let here = (target_name, &*r.dest);
        let unchanged = |reason| EnvChange {
            component: component.map(str::to_owned),
            key: r.dest.to_string(),
            source_key: Some(r.source.to_string()),
            action: Action::Unchanged,
            reason,
            var_type: Some(current_type),
            scope: Some(current_scope),
        };
        if !imports.keep.is_empty() && imports.keep.contains(&here) {
            lists.warnings.push(Warning::SecretNotImportable {
                component: component.map(str::to_owned),
                key: r.dest.to_string(),
            });
            lists.changes.push(unchanged(Reason::SecretNotImportable));
            continue;
        }
        let value: &str = &r.value;
        if !imports.imported_here.is_empty()
            && imports.imported_here.contains(&here)
            && current_value.unwrap_or("") == value
        {
            // Imported from here: nothing to write, and no record, so the key stays
            // unowned until the caller merges it into its source.
            lists
                .changes
                .push(unchanged(Reason::ImportedFromDestination));
            continue;
        }
        let prioritized =
            !imports.prioritized_here.is_empty() && imports.prioritized_here.contains(&here);

        let var_type = r.var_type.unwrap_or(current_type);
        let scope = r.scope.unwrap_or(current_scope);
        let mut reason = None;
        let write_value = match (current_type, var_type) {
            (VarType::General, VarType::General) => {
                let differs = current_value.unwrap_or("") != value;
                if differs {
                    reason = Some(Reason::ValueChanged);
                }
                differs
            }
            (VarType::Secret, VarType::Secret) => match record {
                None => {
                    reason = Some(Reason::Initial);
                    true
                }
                Some(rec) if rec.ev.as_deref() != current_value => {
                    reason = Some(Reason::Drift);
                    true
                }
                Some(rec) if !hex_matches(inputs.fingerprint(cache, ri), &rec.fingerprint) => {
                    reason = Some(Reason::ValueChanged);
                    true
                }
                Some(_) => false,
            },
            // A type change needs the plaintext written under the new type.
            _ => {
                reason = Some(Reason::TypeChanged);
                true
            }
        };
        let mut fields = Vec::new();
        if write_value {
            fields.push(("value", Value::String(value.to_owned())));
        }
        if var_type != current_type {
            fields.push(("type", Value::String(var_type.as_str().to_owned())));
        }
        if scope != current_scope {
            reason.get_or_insert(Reason::ScopeChanged);
            fields.push(("scope", Value::String(scope.as_str().to_owned())));
        }
        let changed = !fields.is_empty();
        let (action, reason) = if changed {
            ops.push(Op::Set { index: i, fields });
            (
                Action::Update,
                reason.expect("a reason accompanies every edit"),
            )
        } else if prioritized {
            (Action::Unchanged, Reason::DestinationPrioritized)
        } else if var_type == VarType::Secret {
            (Action::Unchanged, Reason::FingerprintMatch)
        } else {
            (Action::Unchanged, Reason::ValueMatch)
        };
        lists.changes.push(EnvChange {
            component: component.map(str::to_owned),
            key: r.dest.to_string(),
            source_key: Some(r.source.to_string()),
            action,
            reason,
            var_type: Some(var_type),
            scope: Some(scope),
        });
        let origin = match record {
            Some(rec) => IntentOrigin::Known(rec.origin.clone()),
            // An edited entry's original is copied now; an untouched one stays in the
            // planned spec as it is.
            None if changed => IntentOrigin::Known(Origin::Adopted {
                original: Some(entry.raw.clone()),
            }),
            None => IntentOrigin::AdoptedUnchanged,
        };
        lists.intents.push(RecordIntent {
            target: target_index,
            change: lists.changes.len() - 1,
            fingerprint: Arc::clone(inputs.fingerprint(cache, ri)),
            var_type,
            scope,
            origin,
            previous: match record {
                Some(rec) if !changed => Some((rec.ev.clone(), rec.updated_at)),
                _ => None,
            },
            changed,
        });
    }

    // Managed destination keys the source lacks, in spec order.
    let mut deleted = FxHashSet::default();
    for (i, entry) in views.iter().enumerate() {
        let Some(key) = entry.key else {
            continue;
        };
        let Some(source) = boundary.source_of(key) else {
            continue;
        };
        // Managed keys are unique, so the entry a desired key matched is the only one
        // with that key.
        if matched[i] {
            continue;
        }
        let record = record_of(key);
        let var_type = entry.var_type();
        let scope = entry.scope();
        let (action, reason) = if options.initial_sync_behavior.imports() && record.is_none() {
            // GENERAL values were imported into the effective source by
            // `collect_imports`, so only unreadable values reach this point.
            if var_type == Some(VarType::General) {
                (Action::Unchanged, Reason::ImportedFromDestination)
            } else {
                lists.warnings.push(Warning::SecretNotImportable {
                    component: component.map(str::to_owned),
                    key: key.to_owned(),
                });
                (Action::Unchanged, Reason::SecretNotImportable)
            }
        } else if options.disable_secret_deletion {
            // Kept, and so is its record: "remove synced" may still remove it later.
            (Action::Unchanged, Reason::DeletionDisabled)
        } else {
            deleted.insert(key);
            ops.push(Op::Remove { index: i });
            let reason = if record.is_some() {
                Reason::RemovedFromSource
            } else {
                Reason::NotInSource
            };
            (Action::Delete, reason)
        };
        lists.changes.push(EnvChange {
            component: component.map(str::to_owned),
            key: key.to_owned(),
            source_key: Some(source.to_owned()),
            action,
            reason,
            var_type,
            scope,
        });
    }
    Ok(TargetOutcome {
        ops,
        index,
        deleted,
    })
}

fn envs_mut(spec: &mut Value, location: Location) -> &mut Vec<Value> {
    let holder = match location {
        Location::App => spec,
        Location::Component { kind, index } => &mut spec[kind][index],
    };
    let obj = holder
        .as_object_mut()
        .expect("targets were resolved against this spec");
    let envs = obj
        .entry("envs")
        .or_insert_with(|| Value::Array(Vec::new()));
    if envs.is_null() {
        *envs = Value::Array(Vec::new());
    }
    envs.as_array_mut().expect("envs checked to be an array")
}

/// Apply one target's ops: edits in place, then removals, then appends at the end.
/// The plan keeps its ops to build the spec again from its shared base, so values are
/// copied in here rather than moved.
fn apply_ops(spec: &mut Value, location: Location, ops: &[Op]) {
    if ops.is_empty() {
        return;
    }
    let envs = envs_mut(spec, location);
    let mut removed = Vec::new();
    let mut appends = Vec::new();
    for op in ops {
        match op {
            Op::Set { index, fields } => {
                let entry = envs[*index]
                    .as_object_mut()
                    .expect("managed entries are objects");
                for (field, value) in fields {
                    // Replacing in place keeps the field's position, as `insert` does.
                    match entry.get_mut(*field) {
                        Some(slot) => *slot = value.clone(),
                        None => {
                            entry.insert((*field).to_owned(), value.clone());
                        }
                    }
                }
            }
            Op::Replace { index, entry } => envs[*index] = entry.clone(),
            Op::Remove { index } => {
                if removed.is_empty() {
                    removed = vec![false; envs.len()];
                }
                removed[*index] = true;
            }
            Op::Append { entry } => appends.push(entry.clone()),
        }
    }
    if !removed.is_empty() {
        // One pass instead of one shift of the tail per removed entry.
        let mut at = 0;
        envs.retain(|_| {
            at += 1;
            !removed[at - 1]
        });
    }
    envs.extend(appends);
}

fn state_targets(targets: &Targets) -> Vec<String> {
    match targets {
        Targets::App => vec![APP_TARGET.to_owned()],
        Targets::Components(names) => names.clone(),
    }
}

/// Plan a sync: for each target and managed key, what to do and why, plus the spec to PUT.
///
/// `spec` is the app's `spec` object as fetched; `state` the records of this app.
pub fn plan(
    spec: &Value,
    desired: &Desired,
    options: &SyncOptions,
    state: &[StateRecord],
    fp: &Fingerprinter,
) -> Result<Plan, PlanError> {
    plan_shared(Arc::new(spec.clone()), desired, options, state, fp)
}

/// [`plan`] of a spec the caller shares instead of lending: the plan keeps it as its base
/// without copying it (the engine plans every spec it reads this way).
pub fn plan_shared(
    spec: Arc<Value>,
    desired: &Desired,
    options: &SyncOptions,
    state: &[StateRecord],
    fp: &Fingerprinter,
) -> Result<Plan, PlanError> {
    let parts = sync_parts(&spec, desired, options, state, fp)?;
    let mut plan = parts.into_plan(PlanKind::Sync, spec);
    plan.if_deploying = options.if_deploying;
    Ok(plan)
}

/// What a plan holds besides its base spec.
struct PlanParts {
    changes: Vec<EnvChange>,
    warnings: Vec<Warning>,
    imports: Vec<(String, String)>,
    edits: Vec<(Location, Vec<Op>)>,
    targets: Vec<String>,
    intents: Vec<RecordIntent>,
    carried: Vec<StateRecord>,
}

impl PlanParts {
    fn into_plan(self, kind: PlanKind, base: Arc<Value>) -> Plan {
        Plan {
            kind,
            changes: self.changes,
            warnings: self.warnings,
            imports: self.imports,
            base,
            // Targets without edits leave nothing to apply.
            edits: self
                .edits
                .into_iter()
                .filter(|(_, ops)| !ops.is_empty())
                .collect(),
            new_spec: OnceLock::new(),
            targets: self.targets,
            intents: self.intents,
            carried: self.carried,
            planned_at: Instant::now(),
            in_flight: None,
            if_deploying: IfDeploying::default(),
        }
    }
}

fn sync_parts(
    spec: &Value,
    desired: &Desired,
    options: &SyncOptions,
    state: &[StateRecord],
    fp: &Fingerprinter,
) -> Result<PlanParts, PlanError> {
    options.validate()?;
    let boundary = Boundary::new(options)?;
    let rendered = render_all(desired, options)?;
    let targets = resolve_targets(spec, &options.targets)?;
    let records: Records<'_> = state
        .iter()
        .map(|r| ((r.target.as_str(), r.key.as_str()), r))
        .collect();
    let import_plan = collect_imports(&targets, &rendered, options, &boundary, &records)?;
    // Imports the caller must merge: values its source lacks or holds differently.
    let imports: Vec<(String, String)> = import_plan
        .values
        .iter()
        .filter(|(source, value)| desired.get(source).is_none_or(|d| d.value != **value))
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();

    let mut lists = PlanLists {
        changes: Vec::with_capacity(rendered.len() * targets.len()),
        intents: Vec::with_capacity(rendered.len() * targets.len()),
        warnings: Vec::new(),
    };
    for r in &rendered {
        if r.bindable {
            lists.warnings.push(Warning::BindableValue {
                key: r.dest.to_string(),
            });
        }
    }
    if options.targets == Targets::App {
        let obj = spec.as_object().expect("resolved above");
        for (name, _, component) in components(obj)? {
            let keys: FxHashSet<&str> = env_entries(component, "")
                .unwrap_or(&[])
                .iter()
                .filter_map(entry_key)
                .collect();
            for r in &rendered {
                if keys.contains(&*r.dest) {
                    lists.warnings.push(Warning::ShadowedByComponent {
                        component: name.clone(),
                        key: r.dest.to_string(),
                    });
                }
            }
        }
    }

    let effective = merge_imports(rendered, &import_plan, options)?;
    let inputs = PlanInputs {
        rendered: &effective,
        options,
        boundary: &boundary,
        records: &records,
        imports: &import_plan,
        fp,
    };
    let mut fingerprints: Vec<Option<CachedFingerprint>> = std::iter::repeat_with(|| None)
        .take(effective.len())
        .collect();
    let mut edits = Vec::with_capacity(targets.len());
    let mut outcomes = Vec::with_capacity(targets.len());
    for (t, target) in targets.iter().enumerate() {
        let mut outcome = plan_target(t, target, &inputs, &mut fingerprints, &mut lists)?;
        edits.push((target.location, std::mem::take(&mut outcome.ops)));
        outcomes.push(outcome);
    }

    let carried = carried_records(state, &targets, &outcomes, &effective, &boundary);
    Ok(PlanParts {
        changes: lists.changes,
        warnings: lists.warnings,
        imports,
        edits,
        targets: state_targets(&options.targets),
        intents: lists.intents,
        carried,
    })
}

/// Records the plan does not rewrite or drop, carried forward as they are. A record of a
/// planned target is rewritten when its key is desired, dropped when the plan deletes its
/// key or when the key is managed but gone from both the source and the spec.
fn carried_records(
    state: &[StateRecord],
    targets: &[ResolvedTarget<'_>],
    outcomes: &[TargetOutcome<'_>],
    effective: &[Rendered<'_>],
    boundary: &Boundary,
) -> Vec<StateRecord> {
    if state.is_empty() {
        return Vec::new();
    }
    let desired: FxHashSet<&str> = effective.iter().map(|r| &*r.dest).collect();
    let by_name: FxHashMap<&str, &TargetOutcome<'_>> = targets
        .iter()
        .zip(outcomes)
        .map(|(t, o)| (t.name(), o))
        .collect();
    let handled = |r: &StateRecord| {
        let Some(outcome) = by_name.get(r.target.as_str()) else {
            return false;
        };
        let key = r.key.as_str();
        desired.contains(key)
            || (boundary.source_of(key).is_some()
                && (!outcome.index.contains_key(key) || outcome.deleted.contains(key)))
    };
    state.iter().filter(|r| !handled(r)).cloned().collect()
}

/// Plan "remove synced": delete the keys this sync created and put adopted keys
/// back to their original entry, in the option's targets. Keys the sync never
/// wrote are not touched.
pub fn plan_removal(
    spec: &Value,
    state: &[StateRecord],
    options: &SyncOptions,
) -> Result<Plan, PlanError> {
    plan_removal_shared(Arc::new(spec.clone()), state, options)
}

/// [`plan_removal`] of a spec the caller shares (see [`plan_shared`]).
pub fn plan_removal_shared(
    spec: Arc<Value>,
    state: &[StateRecord],
    options: &SyncOptions,
) -> Result<Plan, PlanError> {
    let parts = removal_parts(&spec, state, options)?;
    let mut plan = parts.into_plan(PlanKind::Removal, spec);
    plan.if_deploying = options.if_deploying;
    Ok(plan)
}

fn removal_parts(
    spec: &Value,
    state: &[StateRecord],
    options: &SyncOptions,
) -> Result<PlanParts, PlanError> {
    options.validate()?;
    let obj = spec.as_object().ok_or(PlanError::MalformedSpec {
        path: "spec".to_owned(),
        problem: "expected an object",
    })?;
    let target_names = state_targets(&options.targets);
    let all_components = components(obj)?;
    let mut edits = Vec::new();
    let mut changes = Vec::new();
    let mut warnings = Vec::new();
    // Only keys inside this sync's key schema are its own: another sync of the same app
    // (a disjoint schema) keeps its keys and its records.
    let affixes = match &options.key_schema {
        Some(schema) => Some(schema.affixes(options.environment.as_deref())?),
        None => None,
    };
    let owned = |r: &StateRecord| {
        target_names.contains(&r.target)
            && affixes
                .as_ref()
                .is_none_or(|(p, s)| strip_affixes(&r.key, p, s).is_some())
    };
    for name in &target_names {
        let records: Vec<&StateRecord> = state
            .iter()
            .filter(|r| &r.target == name && owned(r))
            .collect();
        let (component, location, holder) = if name.is_empty() {
            (None, Location::App, spec)
        } else {
            let mut found = all_components.iter().filter(|(n, _, _)| n == name);
            match (found.next(), found.next()) {
                (None, _) => {
                    if !records.is_empty() {
                        warnings.push(Warning::TargetMissing {
                            component: name.clone(),
                        });
                    }
                    continue;
                }
                (Some(_), Some(_)) => {
                    return Err(PlanError::AmbiguousComponent { name: name.clone() })
                }
                (Some((_, location, value)), None) => (Some(name.clone()), *location, *value),
            }
        };
        let entries = env_entries(holder, "")?;
        let mut index: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, entry) in entries.iter().enumerate() {
            if let Some(key) = entry_key(entry) {
                if index.insert(key, i).is_some() && records.iter().any(|r| r.key == key) {
                    return Err(PlanError::DuplicateDestinationKey {
                        component: component.clone(),
                        key: key.to_owned(),
                    });
                }
            }
        }
        let mut ops = Vec::new();
        for rec in records {
            let current = index.get(rec.key.as_str()).map(|&i| (i, &entries[i]));
            let change = |action, reason, entry: Option<&Value>| EnvChange {
                component: component.clone(),
                key: rec.key.clone(),
                source_key: None,
                action,
                reason,
                var_type: entry.map_or(Some(rec.var_type), VarType::of_entry),
                scope: entry.map_or(Some(rec.scope), Scope::of_entry),
            };
            match (&rec.origin, current) {
                (Origin::Created, Some((i, entry))) => {
                    ops.push(Op::Remove { index: i });
                    changes.push(change(Action::Delete, Reason::CreatedBySync, Some(entry)));
                }
                // Created and already gone: nothing to do, the record is dropped.
                (Origin::Created, None) => {}
                (Origin::Adopted { original: None }, entry) => {
                    warnings.push(Warning::OriginalUnknown {
                        component: component.clone(),
                        key: rec.key.clone(),
                    });
                    if let Some((_, entry)) = entry {
                        changes.push(change(
                            Action::Unchanged,
                            Reason::OriginalUnknown,
                            Some(entry),
                        ));
                    }
                }
                (
                    Origin::Adopted {
                        original: Some(original),
                    },
                    Some((i, entry)),
                ) => {
                    if entry == original {
                        changes.push(change(
                            Action::Unchanged,
                            Reason::AlreadyOriginal,
                            Some(entry),
                        ));
                    } else {
                        ops.push(Op::Replace {
                            index: i,
                            entry: original.clone(),
                        });
                        changes.push(change(
                            Action::Update,
                            Reason::RestoreOriginal,
                            Some(original),
                        ));
                    }
                }
                (
                    Origin::Adopted {
                        original: Some(original),
                    },
                    None,
                ) => {
                    ops.push(Op::Append {
                        entry: original.clone(),
                    });
                    changes.push(change(
                        Action::Create,
                        Reason::RestoreOriginal,
                        Some(original),
                    ));
                }
            }
        }
        edits.push((location, ops));
    }
    let carried = state.iter().filter(|r| !owned(r)).cloned().collect();
    Ok(PlanParts {
        changes,
        warnings,
        imports: Vec::new(),
        edits,
        targets: target_names,
        intents: Vec::new(),
        carried,
    })
}

/// The env entries of one state target in a spec (`""` = app level).
fn target_entries<'s>(spec: &'s Value, target: &str) -> Option<&'s [Value]> {
    if target.is_empty() {
        return env_entries(spec, "").ok();
    }
    let obj = spec.as_object()?;
    let all = components(obj).ok()?;
    let (_, _, holder) = all.into_iter().find(|(n, _, _)| n == target)?;
    env_entries(holder, "").ok()
}

/// A target's entries by key; the first entry with a key wins, as a search would find it.
fn entries_by_key(entries: Option<&[Value]>) -> FxHashMap<&str, &Value> {
    let entries = entries.unwrap_or(&[]);
    let mut by_key = FxHashMap::with_capacity_and_hasher(entries.len(), FxBuildHasher);
    for entry in entries {
        if let Some(key) = entry_key(entry) {
            by_key.entry(key).or_insert(entry);
        }
    }
    by_key
}

/// The app's full state after `plan` was applied, from the PUT response's spec
/// (no extra GET): records of the keys the plan wrote or kept in sync, with the
/// `EV[...]` strings DigitalOcean returned, plus the records the plan carried
/// forward. Save it with `Store::save_state`, which replaces the app's rows.
///
/// A SECRET whose returned value is not an `EV[...]` string gets `ev: None`
/// (never a plaintext in the state); the next plan then sees drift and rewrites it.
pub fn state_after_apply(plan: &Plan, app_id: &str, put_response_spec: &Value) -> Vec<StateRecord> {
    let now = now_micros();
    let mut out: Vec<StateRecord> = Vec::with_capacity(plan.carried.len() + plan.intents.len());
    out.extend(plan.carried.iter().map(|r| StateRecord {
        app_id: app_id.to_owned(),
        ..r.clone()
    }));
    // Per target, built on first use: the response's entries and the planned spec's
    // (where an adopted, untouched entry's original is).
    type ByKey<'s> = FxHashMap<&'s str, &'s Value>;
    let mut responded: Vec<Option<ByKey<'_>>> = vec![None; plan.targets.len()];
    let mut planned: Vec<Option<ByKey<'_>>> = vec![None; plan.targets.len()];
    for intent in &plan.intents {
        let target = plan.targets[intent.target].as_str();
        let key = plan.changes[intent.change].key.as_str();
        let entries = responded[intent.target]
            .get_or_insert_with(|| entries_by_key(target_entries(put_response_spec, target)));
        let Some(&entry) = entries.get(key) else {
            continue;
        };
        let var_type = VarType::of_entry(entry).unwrap_or(intent.var_type);
        let scope = Scope::of_entry(entry).unwrap_or(intent.scope);
        let ev = match var_type {
            VarType::Secret => entry
                .get("value")
                .and_then(Value::as_str)
                .filter(|v| is_ev_string(v))
                .map(str::to_owned),
            VarType::General => None,
        };
        let updated_at = match (&intent.previous, intent.changed) {
            (Some((prev_ev, prev_at)), false) if *prev_ev == ev => *prev_at,
            _ => now,
        };
        let origin = match &intent.origin {
            IntentOrigin::Known(origin) => origin.clone(),
            IntentOrigin::AdoptedUnchanged => {
                // The plan left this entry as it was read: the base spec holds it as planned.
                let entries = planned[intent.target]
                    .get_or_insert_with(|| entries_by_key(target_entries(&plan.base, target)));
                Origin::Adopted {
                    original: entries.get(key).map(|&e| e.clone()),
                }
            }
        };
        out.push(StateRecord {
            app_id: app_id.to_owned(),
            target: target.to_owned(),
            key: key.to_owned(),
            fingerprint: intent.fingerprint.to_string(),
            ev,
            var_type,
            scope,
            origin,
            updated_at,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_are_hyphenated_uuids() {
        assert!(check_app_id("4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf").is_ok());
        for bad in [
            "",
            "shop",
            "../x",
            "4f6c71e21e9047629fee6cc4a0a9f2cf",
            "{4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf}",
            "urn:uuid:4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf",
        ] {
            assert!(
                matches!(check_app_id(bad), Err(PlanError::InvalidAppId { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn values_are_bounded_and_free_of_nul() {
        let opts = SyncOptions::default();
        let one = |v: String| -> Desired { [("K", DesiredValue::new(v))].into_iter().collect() };
        assert!(validate_desired(&one("x".repeat(MAX_VALUE_BYTES)), &opts).is_ok());
        let err = validate_desired(&one("x".repeat(MAX_VALUE_BYTES + 1)), &opts).unwrap_err();
        assert_eq!(
            err,
            PlanError::ValueTooLarge {
                key: "K".into(),
                len: MAX_VALUE_BYTES + 1
            }
        );
        let err = validate_desired(&one("a\0b".into()), &opts).unwrap_err();
        assert_eq!(err, PlanError::NulInValue { key: "K".into() });
    }

    use serde_json::json;

    #[test]
    fn entry_view_reads_fields_like_value_get() {
        let entries = [
            json!({"key": "A", "value": "1", "type": "SECRET", "scope": "RUN_TIME"}),
            json!({"key": "B"}),
            json!({"key": 5, "value": 7, "type": null, "scope": null}),
            json!({"key": "C", "type": "secret", "scope": "BUILD"}),
            json!({"key": "D", "type": 1, "scope": ["RUN_TIME"]}),
            json!(["key", "value"]),
            json!("key"),
            json!({"scope": "UNSET", "type": "GENERAL", "other": "x", "key": "E"}),
        ];
        for entry in &entries {
            let view = EntryView::of(entry);
            assert_eq!(view.key, entry_key(entry), "{entry}");
            assert_eq!(view.value, entry.get("value"), "{entry}");
            assert_eq!(view.value_str(), entry.get("value").and_then(Value::as_str));
            assert_eq!(view.var_type(), VarType::of_entry(entry), "{entry}");
            assert_eq!(view.scope(), Scope::of_entry(entry), "{entry}");
        }
    }

    #[test]
    fn removals_keep_the_order_of_the_rest() {
        let mut spec = json!({"envs": [{"key": "A"}, {"key": "B"}, {"key": "C"}, {"key": "D"}]});
        apply_ops(
            &mut spec,
            Location::App,
            &[
                Op::Remove { index: 3 },
                Op::Append {
                    entry: json!({"key": "E"}),
                },
                Op::Remove { index: 1 },
                Op::Set {
                    index: 0,
                    fields: vec![("value", json!("new")), ("scope", json!("RUN_TIME"))],
                },
            ],
        );
        assert_eq!(
            spec,
            json!({"envs": [{"key": "A", "value": "new", "scope": "RUN_TIME"}, {"key": "C"}, {"key": "E"}]})
        );
    }
}
