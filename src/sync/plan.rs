//! The sync plan: a pure function of the current app spec, the desired secrets,
//! the options and the sync state. It says, per (target, key), what will happen
//! and why, and holds the exact spec to PUT: the fetched spec with only the
//! managed env entries changed, so every other byte survives.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Instant;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::desired::{Desired, DesiredValue, Scope, VarType};
use super::fingerprint::Fingerprinter;
use super::key_schema::{render_destination_key, strip_affixes, InvalidKeyError, KeySchemaError};
use super::options::{InitialSyncBehavior, OptionsError, SyncOptions, Targets};
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
    target: String,
    key: String,
    fingerprint: String,
    var_type: VarType,
    scope: Scope,
    origin: Origin,
    /// The record this one replaces, kept when nothing changed (for `updated_at`).
    previous: Option<StateRecord>,
    changed: bool,
}

/// A computed plan. Its Debug and Display never show a value.
#[derive(Clone)]
pub struct Plan {
    kind: PlanKind,
    changes: Vec<EnvChange>,
    warnings: Vec<Warning>,
    imports: Vec<(String, String)>,
    new_spec: Value,
    base_fingerprint: String,
    targets: Vec<String>,
    intents: Vec<RecordIntent>,
    carried: Vec<StateRecord>,
    planned_at: Instant,
}

impl Plan {
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

    /// The spec to PUT (equal to the fetched spec when there are no changes).
    /// Holds plaintexts of the secrets being written.
    pub fn new_spec(&self) -> &Value {
        &self.new_spec
    }

    /// SHA-256 (hex) of the canonical JSON of the spec this plan was made from.
    pub fn base_fingerprint(&self) -> &str {
        &self.base_fingerprint
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
            .field("base_fingerprint", &self.base_fingerprint)
            .field("has_changes", &self.has_changes())
            .finish()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_table())
    }
}

/// SHA-256 (hex) of a JSON value's canonical form (object keys sorted, no spaces),
/// so the same spec fingerprints the same whatever its key order.
pub fn spec_fingerprint(spec: &Value) -> String {
    // Canonical JSON (object keys sorted) streamed straight into the hash: no
    // intermediate string, no allocation per key or scalar.
    fn write(v: &Value, h: &mut Sha256) {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                h.update(b"{");
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        h.update(b",");
                    }
                    serde_json::to_writer(&mut *h, k).expect("hashing cannot fail");
                    h.update(b":");
                    write(v, h);
                }
                h.update(b"}");
            }
            Value::Array(items) => {
                h.update(b"[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        h.update(b",");
                    }
                    write(item, h);
                }
                h.update(b"]");
            }
            other => serde_json::to_writer(&mut *h, other).expect("hashing cannot fail"),
        }
    }
    let mut hasher = Sha256::new();
    write(spec, &mut hasher);
    hex::encode(hasher.finalize())
}

/// Where a target's `envs` list lives in the spec.
#[derive(Debug, Clone, Copy)]
enum Location {
    App,
    Component { kind: &'static str, index: usize },
}

/// Edits to one target's `envs`, applied to a clone of the spec.
#[derive(Debug)]
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

struct ResolvedTarget<'s> {
    component: Option<String>,
    location: Location,
    entries: &'s [Value],
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

fn resolve_targets<'s>(
    spec: &'s Value,
    targets: &Targets,
) -> Result<Vec<ResolvedTarget<'s>>, PlanError> {
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
                        component: Some(name.clone()),
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

/// A desired entry after rendering its destination key.
struct Rendered {
    dest: String,
    source: String,
    value: DesiredValue,
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

fn render_all(desired: &Desired, options: &SyncOptions) -> Result<Vec<Rendered>, PlanError> {
    let mut out = Vec::with_capacity(desired.len());
    let mut invalid = Vec::new();
    let mut by_dest: HashMap<String, Vec<String>> = HashMap::new();
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
        match render_destination_key(
            options.key_schema.as_ref(),
            source,
            options.environment.as_deref(),
        )? {
            Ok(dest) => {
                by_dest
                    .entry(dest.clone())
                    .or_default()
                    .push(source.to_owned());
                out.push(Rendered {
                    dest,
                    source: source.to_owned(),
                    value: value.clone(),
                });
            }
            Err(e) => invalid.push(e),
        }
    }
    if !invalid.is_empty() {
        return Err(PlanError::InvalidDestinationKeys(invalid));
    }
    if let Some(r) = out.iter().find(|r| by_dest[&r.dest].len() > 1) {
        return Err(PlanError::KeyCollision {
            key: r.dest.clone(),
            source_keys: by_dest[&r.dest].clone(),
        });
    }
    Ok(out)
}

fn entry_type(entry: &Value, component: &Option<String>, key: &str) -> Result<VarType, PlanError> {
    VarType::of_entry(entry).ok_or_else(|| PlanError::UnrecognizedField {
        component: component.clone(),
        key: key.to_owned(),
        field: "type",
    })
}

fn entry_scope(entry: &Value, component: &Option<String>, key: &str) -> Result<Scope, PlanError> {
    Scope::of_entry(entry).ok_or_else(|| PlanError::UnrecognizedField {
        component: component.clone(),
        key: key.to_owned(),
        field: "scope",
    })
}

fn new_entry(key: &str, value: &str, scope: Scope, var_type: VarType) -> Value {
    let mut m = Map::new();
    m.insert("key".into(), Value::String(key.to_owned()));
    m.insert("value".into(), Value::String(value.to_owned()));
    m.insert("scope".into(), Value::String(scope.as_str().to_owned()));
    m.insert("type".into(), Value::String(var_type.as_str().to_owned()));
    Value::Object(m)
}

/// Everything one target contributes to the plan.
#[derive(Default)]
struct TargetOutcome {
    changes: Vec<EnvChange>,
    ops: Vec<Op>,
    intents: Vec<RecordIntent>,
    warnings: Vec<Warning>,
    /// Keys whose records the intents or deletions account for.
    handled: HashSet<String>,
}

/// Index of managed entries by key, refusing duplicates.
fn managed_index<'e>(
    target: &ResolvedTarget<'e>,
    boundary: &Boundary,
) -> Result<HashMap<&'e str, usize>, PlanError> {
    let mut index = HashMap::new();
    for (i, entry) in target.entries.iter().enumerate() {
        let Some(key) = entry_key(entry) else {
            continue;
        };
        if boundary.source_of(key).is_none() {
            continue;
        }
        if index.insert(key, i).is_some() {
            return Err(PlanError::DuplicateDestinationKey {
                component: target.component.clone(),
                key: key.to_owned(),
            });
        }
    }
    Ok(index)
}

/// What the import behaviours take from the destination, decided over all
/// targets before any of them is planned, so that the plan is a fixed point once
/// the caller merges the imports into its source.
#[derive(Default)]
struct ImportPlan {
    /// Source key -> value the effective source takes; the first target (in the
    /// option's order) holding a key wins.
    values: indexmap::IndexMap<String, String>,
    /// (target, key) of never-written SECRETs that an import behaviour keeps as they are.
    keep: HashSet<(String, String)>,
    /// (target, key) of destination-only GENERAL keys whose value was imported.
    imported_here: HashSet<(String, String)>,
    /// (target, key) of keys on both sides whose destination value won.
    prioritized_here: HashSet<(String, String)>,
}

/// Pass 1 for the import behaviours: only keys the sync never wrote (no state
/// record) are imported; once a key is recorded the source is the truth.
fn collect_imports(
    targets: &[ResolvedTarget<'_>],
    rendered: &[Rendered],
    options: &SyncOptions,
    boundary: &Boundary,
    records: &HashMap<(&str, &str), &StateRecord>,
) -> Result<ImportPlan, PlanError> {
    let mut out = ImportPlan::default();
    let behavior = options.initial_sync_behavior;
    if !behavior.imports() {
        return Ok(out);
    }
    let prioritize_destination = behavior == InitialSyncBehavior::ImportPrioritizeDestination;
    let source_values: HashMap<&str, &str> = rendered
        .iter()
        .map(|r| (r.dest.as_str(), r.value.value.as_str()))
        .collect();
    // Managed entries the sync never wrote: (target, key, source key, entry).
    let mut unowned = Vec::new();
    for target in targets {
        let name = target.component.as_deref().unwrap_or(APP_TARGET);
        managed_index(target, boundary)?;
        for entry in target.entries {
            let Some(key) = entry_key(entry) else {
                continue;
            };
            let Some(source) = boundary.source_of(key) else {
                continue;
            };
            if !records.contains_key(&(name, key)) {
                unowned.push((name, key, source, entry));
            }
        }
    }
    // Readable values first: what the effective source takes.
    for &(_, key, source, entry) in &unowned {
        if VarType::of_entry(entry) != Some(VarType::General) {
            continue;
        }
        if source_values.contains_key(key) && !prioritize_destination {
            continue;
        }
        let value = entry.get("value").and_then(Value::as_str).unwrap_or("");
        out.values
            .entry(source.to_owned())
            .or_insert_with(|| value.to_owned());
    }
    // Then what each unowned entry becomes against the effective source.
    for &(name, key, source, entry) in &unowned {
        let here = (name.to_owned(), key.to_owned());
        let in_source = source_values.get(key).copied();
        if VarType::of_entry(entry) != Some(VarType::General) {
            // An unreadable value on both sides: the destination wins only when prioritized.
            let in_effective = in_source.is_some() || out.values.contains_key(source);
            if in_effective && prioritize_destination {
                out.keep.insert(here);
            }
            continue;
        }
        let value = entry.get("value").and_then(Value::as_str).unwrap_or("");
        if out.values.get(source).map(String::as_str) != Some(value) {
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
fn merge_imports(
    mut rendered: Vec<Rendered>,
    imports: &ImportPlan,
    options: &SyncOptions,
) -> Result<Vec<Rendered>, PlanError> {
    let mut extra = Desired::new();
    for (source, value) in &imports.values {
        match rendered.iter_mut().find(|r| &r.source == source) {
            Some(r) => r.value.value.clone_from(value),
            None => extra.insert(source.clone(), DesiredValue::new(value.clone())),
        }
    }
    rendered.extend(render_all(&extra, options)?);
    Ok(rendered)
}

#[allow(clippy::too_many_arguments)]
fn plan_target(
    target: &ResolvedTarget<'_>,
    rendered: &[Rendered],
    options: &SyncOptions,
    boundary: &Boundary,
    records: &HashMap<(&str, &str), &StateRecord>,
    imports: &ImportPlan,
    fp: &Fingerprinter,
) -> Result<TargetOutcome, PlanError> {
    let component = &target.component;
    let target_name = component.as_deref().unwrap_or(APP_TARGET);
    let index = managed_index(target, boundary)?;
    let mut out = TargetOutcome::default();

    for r in rendered {
        let record = records.get(&(target_name, r.dest.as_str())).copied();
        out.handled.insert(r.dest.clone());
        let Some(&i) = index.get(r.dest.as_str()) else {
            let var_type = r.value.var_type.unwrap_or(options.default_type);
            let scope = r.value.scope.unwrap_or(options.default_scope);
            out.ops.push(Op::Append {
                entry: new_entry(&r.dest, &r.value.value, scope, var_type),
            });
            out.changes.push(EnvChange {
                component: component.clone(),
                key: r.dest.clone(),
                source_key: Some(r.source.clone()),
                action: Action::Create,
                reason: Reason::Missing,
                var_type: Some(var_type),
                scope: Some(scope),
            });
            out.intents.push(RecordIntent {
                target: target_name.to_owned(),
                key: r.dest.clone(),
                fingerprint: fp.fingerprint(&r.value.value),
                var_type,
                scope,
                origin: Origin::Created,
                previous: None,
                changed: true,
            });
            continue;
        };

        let entry = &target.entries[i];
        let current_type = entry_type(entry, component, &r.dest)?;
        let current_scope = entry_scope(entry, component, &r.dest)?;
        let current_value = entry.get("value").and_then(Value::as_str);
        let origin = match record {
            Some(rec) => rec.origin.clone(),
            None => Origin::Adopted {
                original: Some(entry.clone()),
            },
        };

        let here = (target_name.to_owned(), r.dest.clone());
        if imports.keep.contains(&here) {
            out.warnings.push(Warning::SecretNotImportable {
                component: component.clone(),
                key: r.dest.clone(),
            });
            out.changes.push(EnvChange {
                component: component.clone(),
                key: r.dest.clone(),
                source_key: Some(r.source.clone()),
                action: Action::Unchanged,
                reason: Reason::SecretNotImportable,
                var_type: Some(current_type),
                scope: Some(current_scope),
            });
            continue;
        }
        let value: &str = &r.value.value;
        if imports.imported_here.contains(&here) && current_value.unwrap_or("") == value {
            // Imported from here: nothing to write, and no record, so the key stays
            // unowned until the caller merges it into its source.
            out.changes.push(EnvChange {
                component: component.clone(),
                key: r.dest.clone(),
                source_key: Some(r.source.clone()),
                action: Action::Unchanged,
                reason: Reason::ImportedFromDestination,
                var_type: Some(current_type),
                scope: Some(current_scope),
            });
            continue;
        }
        let prioritized = imports.prioritized_here.contains(&here);

        let var_type = r.value.var_type.unwrap_or(current_type);
        let scope = r.value.scope.unwrap_or(current_scope);
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
                Some(rec) if !fp.matches(value, &rec.fingerprint) => {
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
            out.ops.push(Op::Set { index: i, fields });
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
        out.changes.push(EnvChange {
            component: component.clone(),
            key: r.dest.clone(),
            source_key: Some(r.source.clone()),
            action,
            reason,
            var_type: Some(var_type),
            scope: Some(scope),
        });
        out.intents.push(RecordIntent {
            target: target_name.to_owned(),
            key: r.dest.clone(),
            fingerprint: fp.fingerprint(value),
            var_type,
            scope,
            origin,
            previous: record.cloned(),
            changed,
        });
    }

    // Managed destination keys the source lacks, in spec order.
    let desired_keys: HashSet<&str> = rendered.iter().map(|r| r.dest.as_str()).collect();
    for (i, entry) in target.entries.iter().enumerate() {
        let Some(key) = entry_key(entry) else {
            continue;
        };
        let Some(source) = boundary.source_of(key) else {
            continue;
        };
        if desired_keys.contains(key) {
            continue;
        }
        let record = records.get(&(target_name, key)).copied();
        let var_type = VarType::of_entry(entry);
        let scope = Scope::of_entry(entry);
        let (action, reason) = if options.initial_sync_behavior.imports() && record.is_none() {
            // GENERAL values were imported into the effective source by
            // `collect_imports`, so only unreadable values reach this point.
            if var_type == Some(VarType::General) {
                (Action::Unchanged, Reason::ImportedFromDestination)
            } else {
                out.warnings.push(Warning::SecretNotImportable {
                    component: component.clone(),
                    key: key.to_owned(),
                });
                (Action::Unchanged, Reason::SecretNotImportable)
            }
        } else if options.disable_secret_deletion {
            // Kept, and so is its record: "remove synced" may still remove it later.
            (Action::Unchanged, Reason::DeletionDisabled)
        } else {
            out.handled.insert(key.to_owned());
            out.ops.push(Op::Remove { index: i });
            let reason = if record.is_some() {
                Reason::RemovedFromSource
            } else {
                Reason::NotInSource
            };
            (Action::Delete, reason)
        };
        out.changes.push(EnvChange {
            component: component.clone(),
            key: key.to_owned(),
            source_key: Some(source.to_owned()),
            action,
            reason,
            var_type,
            scope,
        });
    }
    Ok(out)
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
fn apply_ops(spec: &mut Value, location: Location, ops: Vec<Op>) {
    if ops.is_empty() {
        return;
    }
    let envs = envs_mut(spec, location);
    let mut removals = Vec::new();
    let mut appends = Vec::new();
    for op in ops {
        match op {
            Op::Set { index, fields } => {
                let entry = envs[index]
                    .as_object_mut()
                    .expect("managed entries are objects");
                for (field, value) in fields {
                    entry.insert(field.to_owned(), value);
                }
            }
            Op::Replace { index, entry } => envs[index] = entry,
            Op::Remove { index } => removals.push(index),
            Op::Append { entry } => appends.push(entry),
        }
    }
    removals.sort_unstable_by(|a, b| b.cmp(a));
    for index in removals {
        envs.remove(index);
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
    options.validate()?;
    let boundary = Boundary::new(options)?;
    let rendered = render_all(desired, options)?;
    let targets = resolve_targets(spec, &options.targets)?;
    let records: HashMap<(&str, &str), &StateRecord> = state
        .iter()
        .map(|r| ((r.target.as_str(), r.key.as_str()), r))
        .collect();
    let import_plan = collect_imports(&targets, &rendered, options, &boundary, &records)?;
    // Imports the caller must merge: values its source lacks or holds differently.
    let imports: Vec<(String, String)> = import_plan
        .values
        .iter()
        .filter(|(source, value)| desired.get(source).is_none_or(|d| &d.value != *value))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    let mut warnings = Vec::new();
    for r in &rendered {
        if r.value.is_bindable() {
            warnings.push(Warning::BindableValue {
                key: r.dest.clone(),
            });
        }
    }
    if options.targets == Targets::App {
        let obj = spec.as_object().expect("resolved above");
        for (name, _, component) in components(obj)? {
            let keys: HashSet<&str> = env_entries(component, "")
                .unwrap_or(&[])
                .iter()
                .filter_map(entry_key)
                .collect();
            for r in &rendered {
                if keys.contains(r.dest.as_str()) {
                    warnings.push(Warning::ShadowedByComponent {
                        component: name.clone(),
                        key: r.dest.clone(),
                    });
                }
            }
        }
    }

    let effective = merge_imports(rendered, &import_plan, options)?;
    let mut new_spec = spec.clone();
    let mut changes = Vec::new();
    let mut intents = Vec::new();
    let mut handled: HashSet<(String, String)> = HashSet::new();
    for target in &targets {
        let outcome = plan_target(
            target,
            &effective,
            options,
            &boundary,
            &records,
            &import_plan,
            fp,
        )?;
        let name = target.component.clone().unwrap_or_default();
        // Records of managed keys gone from both the source and the spec are dropped.
        let present: HashSet<&str> = target.entries.iter().filter_map(entry_key).collect();
        for r in state.iter().filter(|r| r.target == name) {
            if boundary.source_of(&r.key).is_some() && !present.contains(r.key.as_str()) {
                handled.insert((name.clone(), r.key.clone()));
            }
        }
        handled.extend(outcome.handled.into_iter().map(|k| (name.clone(), k)));
        changes.extend(outcome.changes);
        warnings.extend(outcome.warnings);
        intents.extend(outcome.intents);
        apply_ops(&mut new_spec, target.location, outcome.ops);
    }

    // Records the plan does not rewrite or drop are carried forward as they are.
    let carried = state
        .iter()
        .filter(|r| !handled.contains(&(r.target.clone(), r.key.clone())))
        .cloned()
        .collect();
    Ok(Plan {
        kind: PlanKind::Sync,
        changes,
        warnings,
        imports,
        new_spec,
        base_fingerprint: spec_fingerprint(spec),
        targets: state_targets(&options.targets),
        intents,
        carried,
        planned_at: Instant::now(),
    })
}

/// Plan "remove synced": delete the keys this sync created and put adopted keys
/// back to their original entry, in the option's targets. Keys the sync never
/// wrote are not touched.
pub fn plan_removal(
    spec: &Value,
    state: &[StateRecord],
    options: &SyncOptions,
) -> Result<Plan, PlanError> {
    options.validate()?;
    let obj = spec.as_object().ok_or(PlanError::MalformedSpec {
        path: "spec".to_owned(),
        problem: "expected an object",
    })?;
    let target_names = state_targets(&options.targets);
    let all_components = components(obj)?;
    let mut new_spec = spec.clone();
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
        let mut index: HashMap<&str, usize> = HashMap::new();
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
        apply_ops(&mut new_spec, location, ops);
    }
    let carried = state.iter().filter(|r| !owned(r)).cloned().collect();
    Ok(Plan {
        kind: PlanKind::Removal,
        changes,
        warnings,
        imports: Vec::new(),
        new_spec,
        base_fingerprint: spec_fingerprint(spec),
        targets: target_names,
        intents: Vec::new(),
        carried,
        planned_at: Instant::now(),
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

/// The app's full state after `plan` was applied, from the PUT response's spec
/// (no extra GET): records of the keys the plan wrote or kept in sync, with the
/// `EV[...]` strings DigitalOcean returned, plus the records the plan carried
/// forward. Save it with `Store::save_state`, which replaces the app's rows.
///
/// A SECRET whose returned value is not an `EV[...]` string gets `ev: None`
/// (never a plaintext in the state); the next plan then sees drift and rewrites it.
pub fn state_after_apply(plan: &Plan, app_id: &str, put_response_spec: &Value) -> Vec<StateRecord> {
    let now = now_micros();
    let mut out: Vec<StateRecord> = plan.carried.clone();
    let mut entries_cache: HashMap<&str, Option<&[Value]>> = HashMap::new();
    for intent in &plan.intents {
        let entries = *entries_cache
            .entry(intent.target.as_str())
            .or_insert_with(|| target_entries(put_response_spec, &intent.target));
        let Some(entry) = entries
            .unwrap_or(&[])
            .iter()
            .find(|e| entry_key(e) == Some(intent.key.as_str()))
        else {
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
            (Some(prev), false) if prev.ev == ev => prev.updated_at,
            _ => now,
        };
        out.push(StateRecord {
            app_id: app_id.to_owned(),
            target: intent.target.clone(),
            key: intent.key.clone(),
            fingerprint: intent.fingerprint.clone(),
            ev,
            var_type,
            scope,
            origin: intent.origin.clone(),
            updated_at,
        });
    }
    for r in &mut out {
        r.app_id = app_id.to_owned();
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
}
