//! The plan function on arbitrary specs, desired secrets, options and state.
//!
//! Invariants: planning never panics; every entry outside the sync's boundary (keys the
//! schema does not manage, envs of targets not synced, every other spec field) is left
//! byte for byte where it was; the spec to PUT is one App Platform accepts (no duplicate
//! keys, valid keys, typed entries); and once the plan is applied (a fake App Platform
//! encrypts SECRETs to `EV[...]`) and its state recorded, planning again changes nothing.
#![no_main]

use std::collections::{HashMap, HashSet};

use arbitrary::Arbitrary;
use do_envsync::sync::{
    is_valid_env_key, plan, state_after_apply, Desired, DesiredValue, Fingerprinter,
    InitialSyncBehavior, KeySchema, Origin, Scope, StateRecord, SyncOptions, Targets, VarType,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const APP: &str = "0f9a4b6e-7c1d-4e2a-9b3f-5d6c7e8f9a0b";
const COMPONENTS: [&str; 3] = ["web", "api", "worker"];
/// Destination-like keys: inside and outside the schemas below, plus collisions.
const KEYS: [&str; 10] = [
    "A",
    "B",
    "APP_A",
    "APP_B",
    "APP_prod_A",
    "A_V1",
    "prod_A_V1",
    "LOG_LEVEL",
    "_X",
    "APP_",
];
const SCHEMAS: [&str; 5] = [
    "APP_{{secretKey}}",
    "{{secretKey}}_V1",
    "APP_{{environment}}_{{secretKey}}",
    "{{environment}}_{{secretKey}}_V1",
    "{{secretKey}}",
];
const VALUES: [&str; 6] = [
    "v1",
    "v2",
    "",
    "${db.DATABASE_URL}",
    "EV[1:forged:x]",
    "caf\u{e9}",
];

#[derive(Arbitrary, Debug)]
struct Entry<'a> {
    key: u8,
    value: Pick<'a>,
    var_type: Option<bool>,
    scope: Option<u8>,
    /// A SECRET already stored: its value is an `EV[...]` the fake server issued.
    stored_secret: bool,
}

#[derive(Arbitrary, Debug)]
enum Pick<'a> {
    Pool(u8),
    Free(&'a str),
}

impl Pick<'_> {
    fn get(&self) -> String {
        match self {
            Pick::Pool(i) => VALUES[*i as usize % VALUES.len()].to_owned(),
            Pick::Free(s) => (*s).to_owned(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Record {
    target: u8,
    key: u8,
    /// The fingerprint of this pool value (or of something else).
    value: u8,
    /// Record the `EV[...]` the spec holds for this key (else a stale one).
    current_ev: bool,
    secret: bool,
    created: bool,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    app_envs: Option<Vec<Entry<'a>>>,
    components: Vec<(u8, Option<Vec<Entry<'a>>>)>,
    desired: Vec<(Pick<'a>, Pick<'a>, Option<bool>, Option<u8>)>,
    records: Vec<Record>,
    schema: Option<u8>,
    environment: Option<bool>,
    disable_deletion: bool,
    behavior: u8,
    target_components: Option<Vec<u8>>,
    new_type_general: bool,
    new_scope: u8,
}

fn scope(i: u8) -> Scope {
    [Scope::RunTime, Scope::BuildTime, Scope::RunAndBuildTime][i as usize % 3]
}

fn fp() -> Fingerprinter {
    Fingerprinter::new([3; 32])
}

/// A fake App Platform: SECRET plaintexts become fresh `EV[...]` strings; an `EV[...]`
/// it issued is kept; a forged one rejects the PUT (as DigitalOcean does, with a 400).
#[derive(Default)]
struct FakeServer {
    issued: HashSet<String>,
    counter: u64,
}

impl FakeServer {
    fn issue(&mut self) -> String {
        self.counter += 1;
        let ev = format!("EV[1:fuzz{}:ct]", self.counter);
        self.issued.insert(ev.clone());
        ev
    }

    fn put(&mut self, body: &Value) -> Option<Value> {
        let mut spec = body.clone();
        for envs in env_lists_mut(&mut spec) {
            for entry in envs.iter_mut() {
                if entry.get("type").and_then(Value::as_str) != Some("SECRET") {
                    continue;
                }
                let value = entry.get("value").and_then(Value::as_str).unwrap_or("");
                if value.starts_with("EV[") && value.ends_with(']') {
                    if !self.issued.contains(value) {
                        return None;
                    }
                } else {
                    entry["value"] = Value::String(self.issue());
                }
            }
        }
        Some(spec)
    }
}

fn env_lists_mut(spec: &mut Value) -> Vec<&mut Vec<Value>> {
    let mut out = Vec::new();
    for (k, v) in spec.as_object_mut().unwrap().iter_mut() {
        match (k.as_str(), v) {
            ("envs", Value::Array(a)) => out.push(a),
            ("services" | "workers", Value::Array(cs)) => {
                for c in cs.iter_mut() {
                    if let Some(Value::Array(a)) = c.get_mut("envs") {
                        out.push(a);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn build_envs(entries: &[Entry<'_>], server: &mut FakeServer) -> Value {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for e in entries {
        let key = KEYS[e.key as usize % KEYS.len()];
        // App Platform refuses a spec with a key twice, so a fetched spec never has one.
        if !seen.insert(key) {
            continue;
        }
        let mut entry = Map::new();
        entry.insert("key".into(), key.into());
        let secret = e.stored_secret || e.var_type == Some(true);
        let value = if secret {
            server.issue()
        } else {
            // App Platform cannot hold a NUL in a value (and the engine refuses to write one):
            // a destination value never has one.
            e.value.get().replace('\0', "")
        };
        entry.insert("value".into(), value.into());
        if let Some(s) = e.scope {
            entry.insert("scope".into(), scope(s).as_str().into());
        }
        if secret {
            entry.insert("type".into(), "SECRET".into());
        } else if e.var_type == Some(false) {
            entry.insert("type".into(), "GENERAL".into());
        }
        out.push(Value::Object(entry));
    }
    Value::Array(out)
}

fn build_spec(input: &Input<'_>, server: &mut FakeServer) -> Value {
    let mut spec = Map::new();
    spec.insert("name".into(), "fuzz".into());
    spec.insert("x_unknown".into(), json!({"keep": [1, null, "x"]}));
    if let Some(envs) = &input.app_envs {
        spec.insert("envs".into(), build_envs(envs, server));
    }
    let mut services = Vec::new();
    let mut names = HashSet::new();
    for (name, envs) in &input.components {
        let name = COMPONENTS[*name as usize % COMPONENTS.len()];
        if !names.insert(name) {
            continue;
        }
        let mut c = Map::new();
        c.insert("name".into(), name.into());
        c.insert("instance_count".into(), 1.into());
        if let Some(envs) = envs {
            c.insert("envs".into(), build_envs(envs, server));
        }
        services.push(Value::Object(c));
    }
    if !services.is_empty() {
        spec.insert("services".into(), Value::Array(services));
    }
    Value::Object(spec)
}

fn target_envs<'v>(spec: &'v Value, target: &str) -> Option<&'v Vec<Value>> {
    if target.is_empty() {
        return spec.get("envs").and_then(Value::as_array);
    }
    spec.get("services")?
        .as_array()?
        .iter()
        .find(|c| c["name"] == target)?
        .get("envs")?
        .as_array()
}

/// The spec with the managed entries of the synced targets taken out: what the sync
/// must never change.
fn outside_boundary(
    spec: &Value,
    targets: &[String],
    schema: Option<(&KeySchema, Option<&str>)>,
) -> Value {
    let managed = |key: &str| match schema {
        Some((s, env)) => s.managed(key, env).ok().flatten().is_some(),
        None => true,
    };
    let filter = |envs: &mut Value| {
        if let Value::Array(a) = envs {
            a.retain(|e| !managed(e["key"].as_str().unwrap_or_default()));
        }
    };
    let mut out = spec.clone();
    // A target without envs may gain an empty list or none; both hold nothing managed.
    let strip_empty = |holder: &mut Map<String, Value>| {
        if holder
            .get("envs")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
        {
            holder.remove("envs");
        }
    };
    let obj = out.as_object_mut().unwrap();
    if targets.iter().any(String::is_empty) {
        if let Some(envs) = obj.get_mut("envs") {
            filter(envs);
        }
        strip_empty(obj);
    }
    if let Some(Value::Array(cs)) = obj.get_mut("services") {
        for c in cs {
            let name = c["name"].as_str().unwrap_or_default().to_owned();
            if targets.contains(&name) {
                let holder = c.as_object_mut().unwrap();
                if let Some(envs) = holder.get_mut("envs") {
                    filter(envs);
                }
                strip_empty(holder);
            }
        }
    }
    out
}

fn build_state(input: &Input<'_>, spec: &Value, targets: &[String]) -> Vec<StateRecord> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for r in &input.records {
        let Some(target) = targets.get(r.target as usize % targets.len().max(1)) else {
            continue;
        };
        let key = KEYS[r.key as usize % KEYS.len()];
        if !seen.insert((target.clone(), key)) {
            continue;
        }
        let entry =
            target_envs(spec, target).and_then(|envs| envs.iter().find(|e| e["key"] == key));
        let ev = if r.current_ev {
            entry
                .and_then(|e| e["value"].as_str())
                .filter(|v| v.starts_with("EV["))
                .map(str::to_owned)
        } else {
            Some("EV[1:stale:ct]".to_owned())
        };
        out.push(StateRecord {
            app_id: APP.to_owned(),
            target: target.clone(),
            key: key.to_owned(),
            fingerprint: fp().fingerprint(VALUES[r.value as usize % VALUES.len()]),
            ev: if r.secret { ev } else { None },
            var_type: if r.secret {
                VarType::Secret
            } else {
                VarType::General
            },
            scope: Scope::RunAndBuildTime,
            origin: if r.created {
                Origin::Created
            } else {
                Origin::Adopted {
                    original: entry.cloned(),
                }
            },
            updated_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        });
    }
    out
}

fn check_put_body(spec: &Value) {
    let check = |envs: &Vec<Value>| {
        let mut keys = HashSet::new();
        for e in envs {
            let key = e["key"].as_str().expect("every entry has a key");
            assert!(keys.insert(key), "the PUT holds {key} twice");
            assert!(
                is_valid_env_key(key),
                "the PUT holds the invalid key {key:?}"
            );
        }
    };
    if let Some(envs) = spec.get("envs").and_then(Value::as_array) {
        check(envs);
    }
    for c in spec
        .get("services")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(envs) = c.get("envs").and_then(Value::as_array) {
            check(envs);
        }
    }
}

fuzz_target!(|input: Input<'_>| {
    let mut server = FakeServer::default();
    let spec = build_spec(&input, &mut server);

    let environment = input
        .environment
        .map(|prod| if prod { "prod" } else { "staging" }.to_owned());
    let key_schema = input
        .schema
        .map(|i| KeySchema::parse(SCHEMAS[i as usize % SCHEMAS.len()]).unwrap());
    let targets = match &input.target_components {
        None => Targets::App,
        Some(list) => Targets::Components(
            list.iter()
                .map(|i| COMPONENTS[*i as usize % COMPONENTS.len()].to_owned())
                .collect(),
        ),
    };
    let target_names: Vec<String> = match &targets {
        Targets::App => vec![String::new()],
        Targets::Components(names) => names.clone(),
    };
    let options = SyncOptions {
        environment: environment.clone(),
        key_schema: key_schema.clone(),
        disable_secret_deletion: input.disable_deletion,
        initial_sync_behavior: [
            InitialSyncBehavior::OverwriteDestination,
            InitialSyncBehavior::ImportPrioritizeSource,
            InitialSyncBehavior::ImportPrioritizeDestination,
        ][input.behavior as usize % 3],
        targets,
        default_type: if input.new_type_general {
            VarType::General
        } else {
            VarType::Secret
        },
        default_scope: scope(input.new_scope),
        // Options the plan does not read (deployment handling) keep their defaults, so a
        // new one never breaks this target again.
        ..SyncOptions::default()
    };
    let mut desired = Desired::new();
    for (key, value, var_type, sc) in &input.desired {
        let mut v = DesiredValue::new(value.get());
        if let Some(secret) = var_type {
            v = v.with_type(if *secret {
                VarType::Secret
            } else {
                VarType::General
            });
        }
        if let Some(s) = sc {
            v = v.with_scope(scope(*s));
        }
        let key = match key {
            Pick::Pool(i) => ["A", "B", "C", "LOG_LEVEL", "X"][*i as usize % 5].to_owned(),
            Pick::Free(s) => (*s).to_owned(),
        };
        desired.insert(key, v);
    }
    let state = build_state(&input, &spec, &target_names);

    let Ok(first) = plan(&spec, &desired, &options, &state, &fp()) else {
        return; // refused cleanly (bad keys, unknown component, ...)
    };
    let boundary = key_schema.as_ref().map(|s| (s, environment.as_deref()));
    assert_eq!(
        outside_boundary(first.new_spec(), &target_names, boundary),
        outside_boundary(&spec, &target_names, boundary),
        "the plan changed something outside its boundary"
    );
    if !first.has_changes() {
        assert_eq!(
            first.new_spec(),
            &spec,
            "a plan without changes must PUT nothing"
        );
    }
    check_put_body(first.new_spec());

    // Apply it, record the state from the response, and plan again.
    let (applied, new_state) = if first.has_changes() {
        let Some(response) = server.put(first.new_spec()) else {
            return; // a forged EV[...] value: DigitalOcean refuses the PUT, nothing changes
        };
        let state = state_after_apply(&first, APP, &response);
        (response, state)
    } else {
        (spec.clone(), state_after_apply(&first, APP, &spec))
    };
    let mut keys = HashMap::new();
    for r in &new_state {
        assert!(
            keys.insert((r.target.clone(), r.key.clone()), ()).is_none(),
            "state holds a key twice"
        );
    }
    // Imports: the source takes the values the plan imported, as the caller would.
    let mut desired_after = desired.clone();
    for (key, value) in first.imports() {
        let kept = desired_after.get(key).cloned();
        let mut v = DesiredValue::new(value.clone());
        if let Some(k) = kept {
            v.var_type = k.var_type;
            v.scope = k.scope;
        }
        desired_after.insert(key.clone(), v);
    }
    // The caller merged the imports into its source: re-planning is empty.
    let second = plan(&applied, &desired_after, &options, &new_state, &fp())
        .unwrap_or_else(|e| panic!("re-planning an applied plan failed: {e}"));
    assert!(
        !second.has_changes(),
        "re-planning after apply is not empty:\nfirst: {first:?}\nsecond: {second:?}"
    );
    // It did not: only imported keys may change (once recorded, the source is the truth
    // again, so a destination value that was prioritized is overwritten by the source's).
    let imported: HashSet<&str> = first.imports().iter().map(|(k, _)| k.as_str()).collect();
    let again = plan(&applied, &desired, &options, &new_state, &fp())
        .unwrap_or_else(|e| panic!("re-planning an applied plan failed: {e}"));
    for change in again.changes() {
        if change.action != do_envsync::sync::Action::Unchanged {
            let source = change.source_key.as_deref().unwrap_or_default();
            assert!(
                imported.contains(source),
                "re-planning changed {change:?}, which was not imported:\nfirst: {first:?}\nagain: {again:?}"
            );
        }
    }
});
