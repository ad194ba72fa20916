//! The sync plan: unit cases for every rule, and property tests that apply plans
//! against a simulated App Platform and check convergence and preservation.

use std::collections::HashMap;
use std::sync::Arc;

use do_envsync::sync::{
    plan, plan_removal, plan_shared, same_spec, state_after_apply, Action, Desired, DesiredValue,
    Fingerprinter, InitialSyncBehavior, KeySchema, Origin, Plan, PlanError, Reason, Scope,
    StateRecord, SyncOptions, Targets, VarType, Warning,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const APP: &str = "app-1";

fn fp() -> Fingerprinter {
    Fingerprinter::new([7; 32])
}

/// A fake App Platform: encrypts SECRET plaintexts to fresh `EV[...]` strings on
/// PUT and remembers them, so tests can read what a secret really holds.
#[derive(Default)]
struct FakeServer {
    plaintexts: HashMap<String, String>,
    counter: u64,
}

impl FakeServer {
    fn encrypt(&mut self, plaintext: &str) -> String {
        self.counter += 1;
        let ev = format!("EV[1:fake{}:{}]", self.counter, self.plaintexts.len());
        self.plaintexts.insert(ev.clone(), plaintext.to_owned());
        ev
    }

    fn put(&mut self, body: &Value) -> Value {
        let mut spec = body.clone();
        for envs in env_lists_mut(&mut spec) {
            for entry in envs.iter_mut() {
                let secret = entry.get("type").and_then(Value::as_str) == Some("SECRET");
                if let (true, Some(Value::String(v))) = (secret, entry.get("value")) {
                    if !v.starts_with("EV[") {
                        let ev = self.encrypt(&v.clone());
                        entry["value"] = Value::String(ev);
                    }
                }
            }
        }
        spec
    }

    /// Apply a plan: at most one PUT, then the state from the PUT response.
    fn apply(&mut self, plan: &Plan, spec: &Value) -> (Value, Vec<StateRecord>, bool) {
        if !plan.has_changes() {
            assert_eq!(plan.new_spec(), spec, "a plan without changes PUTs nothing");
            return (spec.clone(), state_after_apply(plan, APP, spec), false);
        }
        let response = self.put(plan.new_spec());
        let state = state_after_apply(plan, APP, &response);
        (response, state, true)
    }
}

fn env_lists_mut(spec: &mut Value) -> Vec<&mut Vec<Value>> {
    let mut out = Vec::new();
    let obj = spec.as_object_mut().unwrap();
    for (k, v) in obj.iter_mut() {
        match (k.as_str(), v) {
            ("envs", Value::Array(a)) => out.push(a),
            ("services" | "workers" | "jobs" | "static_sites" | "functions", Value::Array(cs)) => {
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

fn desired(items: &[(&str, &str)]) -> Desired {
    items
        .iter()
        .map(|(k, v)| (*k, DesiredValue::new(*v)))
        .collect()
}

fn envs_of<'a>(spec: &'a Value, target: &str) -> &'a Vec<Value> {
    if target.is_empty() {
        spec["envs"].as_array().unwrap()
    } else {
        for kind in ["services", "workers", "jobs", "static_sites", "functions"] {
            if let Some(cs) = spec.get(kind).and_then(Value::as_array) {
                for c in cs {
                    if c["name"] == target {
                        return c["envs"].as_array().unwrap();
                    }
                }
            }
        }
        panic!("no component {target}")
    }
}

fn entry<'a>(spec: &'a Value, target: &str, key: &str) -> Option<&'a Value> {
    envs_of(spec, target).iter().find(|e| e["key"] == key)
}

fn change<'a>(
    plan: &'a Plan,
    component: Option<&str>,
    key: &str,
) -> &'a do_envsync::sync::EnvChange {
    plan.changes()
        .iter()
        .find(|c| c.key == key && c.component.as_deref() == component)
        .unwrap_or_else(|| panic!("no change for {key}: {plan:?}"))
}

fn base_spec() -> Value {
    json!({
        "name": "shop",
        "region": "ams",
        "features": ["buildpack-stack=ubuntu-22"],
        "envs": [
            {"key": "PLAIN", "value": "1", "scope": "RUN_TIME", "type": "GENERAL"},
        ],
        "services": [
            {"name": "web", "instance_count": 2, "envs": [{"key": "PORT", "value": "8080"}], "x_future": {"a": 1}},
            {"name": "api", "github": {"repo": "o/r", "branch": "main"}}
        ],
        "workers": [{"name": "jobs-runner"}],
        "maintenance": {"enabled": false}
    })
}

#[test]
fn first_sync_creates_with_defaults_and_second_is_a_no_op() {
    let spec = json!({"name": "a", "services": [{"name": "web"}], "zzz_unknown": [1, 2]});
    let d = desired(&[("DB_PASSWORD", "hunter2"), ("API_KEY", "k1")]);
    let opts = SyncOptions::default();
    let p = plan(&spec, &d, &opts, &[], &fp()).unwrap();
    assert!(p.has_changes() && p.will_deploy());
    assert_eq!(p.keys_with(Action::Create), vec!["DB_PASSWORD", "API_KEY"]);
    assert!(p.changes().iter().all(|c| c.reason == Reason::Missing));
    // envs created at the end of the spec; other fields untouched and in order.
    let keys: Vec<&String> = p.new_spec().as_object().unwrap().keys().collect();
    assert_eq!(keys, ["name", "services", "zzz_unknown", "envs"]);
    assert_eq!(
        p.new_spec()["envs"][0],
        json!({"key": "DB_PASSWORD", "value": "hunter2", "scope": "RUN_AND_BUILD_TIME", "type": "SECRET"})
    );

    let mut server = FakeServer::default();
    let (spec2, state, put) = server.apply(&p, &spec);
    assert!(put);
    assert_eq!(state.len(), 2);
    assert!(state.iter().all(|r| r.origin == Origin::Created));
    let rec = state.iter().find(|r| r.key == "DB_PASSWORD").unwrap();
    assert_eq!(
        rec.ev.as_deref(),
        entry(&spec2, "", "DB_PASSWORD").unwrap()["value"].as_str()
    );
    assert!(fp().matches("hunter2", &rec.fingerprint));
    assert_eq!(rec.var_type, VarType::Secret);

    let again = plan(&spec2, &d, &opts, &state, &fp()).unwrap();
    assert!(!again.has_changes() && !again.will_deploy());
    assert!(again
        .changes()
        .iter()
        .all(|c| c.action == Action::Unchanged && c.reason == Reason::FingerprintMatch));
    assert_eq!(again.new_spec(), &spec2);
}

#[test]
fn general_values_compare_directly_and_edit_in_place() {
    let spec = json!({"envs": [
        {"key": "A", "value": "old", "x_note": "keep", "type": "GENERAL"},
        {"key": "B", "value": "same", "type": "GENERAL", "scope": "BUILD_TIME"},
        {"key": "C", "value": "untyped"}
    ]});
    let d = desired(&[("A", "new"), ("B", "same"), ("C", "untyped")]);
    let p = plan(&spec, &d, &SyncOptions::default(), &[], &fp()).unwrap();
    let a = change(&p, None, "A");
    assert_eq!((a.action, a.reason), (Action::Update, Reason::ValueChanged));
    assert_eq!(
        a.var_type,
        Some(VarType::General),
        "existing type kept, not the SECRET default"
    );
    assert_eq!(
        (change(&p, None, "B").action, change(&p, None, "B").reason),
        (Action::Unchanged, Reason::ValueMatch)
    );
    assert_eq!(change(&p, None, "B").scope, Some(Scope::BuildTime));
    assert_eq!(
        change(&p, None, "C").action,
        Action::Unchanged,
        "absent type means GENERAL"
    );
    assert_eq!(
        serde_json::to_string(&p.new_spec()["envs"][0]).unwrap(),
        r#"{"key":"A","value":"new","x_note":"keep","type":"GENERAL"}"#
    );
    assert_eq!(
        p.new_spec()["envs"][2],
        spec["envs"][2],
        "no fields added to unchanged entries"
    );
}

#[test]
fn secret_without_record_is_written_once_then_tracked() {
    let spec = json!({"envs": [{"key": "S", "value": "EV[1:abc:def]", "type": "SECRET", "scope": "RUN_TIME"}]});
    let d = desired(&[("S", "plain")]);
    let opts = SyncOptions::default();
    let p = plan(&spec, &d, &opts, &[], &fp()).unwrap();
    let c = change(&p, None, "S");
    assert_eq!((c.action, c.reason), (Action::Update, Reason::Initial));
    assert_eq!(c.scope, Some(Scope::RunTime), "existing scope kept");
    assert_eq!(
        p.new_spec()["envs"][0],
        json!({"key": "S", "value": "plain", "type": "SECRET", "scope": "RUN_TIME"})
    );
    let mut server = FakeServer::default();
    let (spec2, state, _) = server.apply(&p, &spec);
    assert_eq!(
        state[0].origin,
        Origin::Adopted {
            original: Some(spec["envs"][0].clone())
        },
        "adopted with its original EV entry"
    );
    assert!(!plan(&spec2, &d, &opts, &state, &fp())
        .unwrap()
        .has_changes());
}

#[test]
fn drift_value_change_and_fingerprint_match() {
    let mut server = FakeServer::default();
    let opts = SyncOptions::default();
    let p = plan(&json!({}), &desired(&[("S", "v1")]), &opts, &[], &fp()).unwrap();
    let (spec, state, _) = server.apply(&p, &json!({}));

    // Changed outside the sync: a new EV for the same key.
    let mut drifted = spec.clone();
    drifted["envs"][0]["value"] = json!(server.encrypt("someone else"));
    let p = plan(&drifted, &desired(&[("S", "v1")]), &opts, &state, &fp()).unwrap();
    assert_eq!(change(&p, None, "S").reason, Reason::Drift);
    assert_eq!(p.new_spec()["envs"][0]["value"], "v1");

    let p = plan(&spec, &desired(&[("S", "v2")]), &opts, &state, &fp()).unwrap();
    assert_eq!(
        (change(&p, None, "S").action, change(&p, None, "S").reason),
        (Action::Update, Reason::ValueChanged)
    );
    let (spec3, state3, _) = server.apply(&p, &spec);
    assert_eq!(
        server.plaintexts[entry(&spec3, "", "S").unwrap()["value"].as_str().unwrap()],
        "v2"
    );
    assert_eq!(state3[0].origin, Origin::Created, "origin survives updates");
    assert!(
        !plan(&spec3, &desired(&[("S", "v2")]), &opts, &state3, &fp())
            .unwrap()
            .has_changes()
    );
}

#[test]
fn type_and_scope_only_change_when_set_for_the_key() {
    let mut server = FakeServer::default();
    let opts = SyncOptions::default();
    let p = plan(&json!({}), &desired(&[("S", "v")]), &opts, &[], &fp()).unwrap();
    let (spec, state, _) = server.apply(&p, &json!({}));
    let ev = entry(&spec, "", "S").unwrap()["value"].clone();

    let mut d = Desired::new();
    d.insert("S", DesiredValue::new("v").with_scope(Scope::RunTime));
    let p = plan(&spec, &d, &opts, &state, &fp()).unwrap();
    let c = change(&p, None, "S");
    assert_eq!(
        (c.action, c.reason, c.scope),
        (Action::Update, Reason::ScopeChanged, Some(Scope::RunTime))
    );
    assert_eq!(
        p.new_spec()["envs"][0]["value"],
        ev,
        "scope-only change re-sends the same EV"
    );
    let (spec2, state2, _) = server.apply(&p, &spec);
    assert!(!plan(&spec2, &d, &opts, &state2, &fp())
        .unwrap()
        .has_changes());

    let mut d = Desired::new();
    d.insert("S", DesiredValue::new("v").with_type(VarType::General));
    let p = plan(&spec2, &d, &opts, &state2, &fp()).unwrap();
    assert_eq!(change(&p, None, "S").reason, Reason::TypeChanged);
    assert_eq!(p.new_spec()["envs"][0]["value"], "v");
    assert_eq!(p.new_spec()["envs"][0]["type"], "GENERAL");
}

#[test]
fn deletion_rules_and_disabled_deletion() {
    let mut server = FakeServer::default();
    let spec = json!({"envs": [{"key": "OLD", "value": "x", "type": "GENERAL"}]});
    let opts = SyncOptions::default();
    let p = plan(
        &spec,
        &desired(&[("A", "1"), ("B", "2")]),
        &opts,
        &[],
        &fp(),
    )
    .unwrap();
    let old = change(&p, None, "OLD");
    assert_eq!(
        (old.action, old.reason),
        (Action::Delete, Reason::NotInSource)
    );
    let (spec2, state, _) = server.apply(&p, &spec);
    assert!(entry(&spec2, "", "OLD").is_none());

    let p = plan(&spec2, &desired(&[("A", "1")]), &opts, &state, &fp()).unwrap();
    assert_eq!(change(&p, None, "B").reason, Reason::RemovedFromSource);
    let (spec3, state3, _) = server.apply(&p, &spec2);
    assert_eq!(state3.len(), 1, "the deleted key's record is dropped");
    assert!(entry(&spec3, "", "B").is_none());

    let keep = SyncOptions {
        disable_secret_deletion: true,
        ..Default::default()
    };
    let p = plan(&spec3, &desired(&[]), &keep, &state3, &fp()).unwrap();
    assert!(!p.has_changes());
    assert_eq!(change(&p, None, "A").reason, Reason::DeletionDisabled);
    assert_eq!(
        state_after_apply(&p, APP, &spec3),
        state3,
        "kept key keeps its record"
    );
}

#[test]
fn key_schema_bounds_what_is_managed() {
    let spec = json!({"envs": [
        {"key": "MANUAL", "value": "m", "type": "GENERAL"},
        {"key": "INF_dev_OLD", "value": "o", "type": "GENERAL"},
        {"key": "INF_prod_X", "value": "p", "type": "GENERAL"}
    ]});
    let opts = SyncOptions {
        environment: Some("dev".into()),
        key_schema: Some(KeySchema::parse("INF_{{environment}}_{{secretKey}}").unwrap()),
        ..Default::default()
    };
    let p = plan(&spec, &desired(&[("DB", "d")]), &opts, &[], &fp()).unwrap();
    assert_eq!(p.keys_with(Action::Create), vec!["INF_dev_DB"]);
    assert_eq!(p.keys_with(Action::Delete), vec!["INF_dev_OLD"]);
    assert_eq!(
        change(&p, None, "INF_dev_DB").source_key.as_deref(),
        Some("DB")
    );
    let keys: Vec<&str> = p.new_spec()["envs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["MANUAL", "INF_prod_X", "INF_dev_DB"]);
    assert_eq!(p.changes().len(), 2, "unmanaged keys are not even listed");
}

#[test]
fn import_prioritize_source() {
    let spec = json!({"envs": [
        {"key": "ONLY_DEST", "value": "d", "type": "GENERAL"},
        {"key": "DEST_SECRET", "value": "EV[1:x:y]", "type": "SECRET"},
        {"key": "BOTH", "value": "dest", "type": "GENERAL"}
    ]});
    let opts = SyncOptions {
        initial_sync_behavior: InitialSyncBehavior::ImportPrioritizeSource,
        ..Default::default()
    };
    let d = desired(&[("BOTH", "src")]);
    let p = plan(&spec, &d, &opts, &[], &fp()).unwrap();
    assert_eq!(p.imports(), [("ONLY_DEST".to_owned(), "d".to_owned())]);
    assert_eq!(
        change(&p, None, "ONLY_DEST").reason,
        Reason::ImportedFromDestination
    );
    assert_eq!(
        change(&p, None, "DEST_SECRET").reason,
        Reason::SecretNotImportable
    );
    assert!(p.warnings().contains(&Warning::SecretNotImportable {
        component: None,
        key: "DEST_SECRET".into()
    }));
    assert_eq!(
        change(&p, None, "BOTH").reason,
        Reason::ValueChanged,
        "the source wins"
    );
    assert!(p.keys_with(Action::Delete).is_empty());

    let mut server = FakeServer::default();
    let (spec2, state, _) = server.apply(&p, &spec);
    assert!(
        state.iter().all(|r| r.key != "ONLY_DEST"),
        "imported keys stay unowned"
    );
    // Without merging the imports, nothing is lost on the next run.
    let p2 = plan(&spec2, &d, &opts, &state, &fp()).unwrap();
    assert!(!p2.has_changes());
}

#[test]
fn import_prioritize_destination() {
    let spec = json!({"envs": [
        {"key": "BOTH", "value": "dest", "type": "GENERAL"},
        {"key": "SECRET_BOTH", "value": "EV[1:x:y]", "type": "SECRET"}
    ]});
    let opts = SyncOptions {
        initial_sync_behavior: InitialSyncBehavior::ImportPrioritizeDestination,
        ..Default::default()
    };
    let d = desired(&[("BOTH", "src"), ("SECRET_BOTH", "s"), ("NEW", "n")]);
    let p = plan(&spec, &d, &opts, &[], &fp()).unwrap();
    assert_eq!(p.imports(), [("BOTH".to_owned(), "dest".to_owned())]);
    let both = change(&p, None, "BOTH");
    assert_eq!(
        (both.action, both.reason),
        (Action::Unchanged, Reason::DestinationPrioritized)
    );
    assert_eq!(
        change(&p, None, "SECRET_BOTH").reason,
        Reason::SecretNotImportable
    );
    assert_eq!(change(&p, None, "NEW").action, Action::Create);
    let mut server = FakeServer::default();
    let (spec2, state, _) = server.apply(&p, &spec);
    // Once recorded, the source is the truth again.
    let p2 = plan(
        &spec2,
        &desired(&[("BOTH", "src2"), ("NEW", "n")]),
        &opts,
        &state,
        &fp(),
    )
    .unwrap();
    assert_eq!(change(&p2, None, "BOTH").reason, Reason::ValueChanged);
}

#[test]
fn warnings_for_shadowing_and_bindables() {
    let spec = base_spec();
    let mut d = desired(&[("PORT", "9000")]);
    d.insert(
        "DATABASE_URL",
        DesiredValue::new("${db.DATABASE_URL}").with_type(VarType::General),
    );
    let p = plan(&spec, &d, &SyncOptions::default(), &[], &fp()).unwrap();
    assert!(p.warnings().contains(&Warning::ShadowedByComponent {
        component: "web".into(),
        key: "PORT".into()
    }));
    assert!(p.warnings().contains(&Warning::BindableValue {
        key: "DATABASE_URL".into()
    }));
    let e = entry(p.new_spec(), "", "DATABASE_URL").unwrap();
    assert_eq!(
        e["value"], "${db.DATABASE_URL}",
        "passed through byte for byte"
    );
    let text = p.render_table();
    assert!(text.contains("overrides the synced app-level value"));
}

#[test]
fn component_targets_write_each_component_only() {
    let spec = base_spec();
    let opts = SyncOptions {
        targets: Targets::Components(vec!["api".into(), "jobs-runner".into()]),
        disable_secret_deletion: true,
        ..Default::default()
    };
    let p = plan(&spec, &desired(&[("K", "v")]), &opts, &[], &fp()).unwrap();
    assert_eq!(p.keys_with(Action::Create), vec!["K", "K"]);
    assert_eq!(p.new_spec()["envs"], spec["envs"]);
    assert_eq!(p.new_spec()["services"][0], spec["services"][0]);
    assert_eq!(p.new_spec()["services"][1]["envs"][0]["key"], "K");
    assert_eq!(p.new_spec()["workers"][0]["envs"][0]["key"], "K");
    let mut server = FakeServer::default();
    let (spec2, state, _) = server.apply(&p, &spec);
    let targets: Vec<&str> = state.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["api", "jobs-runner"]);
    assert!(!plan(&spec2, &desired(&[("K", "v")]), &opts, &state, &fp())
        .unwrap()
        .has_changes());
    // An app-level plan carries the component records forward untouched.
    let app_plan = plan(
        &spec2,
        &desired(&[]),
        &SyncOptions {
            disable_secret_deletion: true,
            ..Default::default()
        },
        &state,
        &fp(),
    )
    .unwrap();
    assert_eq!(state_after_apply(&app_plan, APP, &spec2), state);
}

#[test]
fn plan_errors() {
    let spec = base_spec();
    let fp = fp();
    let schema = |t: &str| Some(KeySchema::parse(t).unwrap());
    let err = plan(
        &spec,
        &desired(&[("a", "1"), ("A", "2")]),
        &SyncOptions {
            key_schema: schema("X_{{secretKey}}"),
            ..Default::default()
        },
        &[],
        &fp,
    );
    assert!(err.is_ok(), "distinct keys stay distinct");

    let opts = SyncOptions {
        environment: Some("prod-eu".into()),
        key_schema: schema("{{secretKey}}_{{environment}}"),
        ..Default::default()
    };
    // A schema whose rendered keys can never be valid is refused with the options,
    // before any key is looked at.
    match plan(&spec, &desired(&[("A", "1"), ("B", "2")]), &opts, &[], &fp) {
        Err(PlanError::Options(do_envsync::sync::OptionsError::InvalidRenderedKeys {
            example,
            ..
        })) => assert_eq!(example, "KEY_prod-eu"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        plan(
            &spec,
            &desired(&[("1X", "1")]),
            &SyncOptions::default(),
            &[],
            &fp
        ),
        Err(PlanError::InvalidDestinationKeys(_))
    ));
    let err = plan(
        &spec,
        &desired(&[("A", "1")]),
        &SyncOptions {
            targets: Targets::Components(vec!["nope".into()]),
            ..Default::default()
        },
        &[],
        &fp,
    )
    .unwrap_err();
    assert_eq!(
        err,
        PlanError::UnknownComponent {
            name: "nope".into(),
            available: vec!["web".into(), "api".into(), "jobs-runner".into()]
        }
    );
    assert!(err.to_string().contains("web, api, jobs-runner"));

    let dup = json!({"envs": [{"key": "A", "value": "1"}, {"key": "A", "value": "2"}]});
    assert_eq!(
        plan(
            &dup,
            &desired(&[("A", "1")]),
            &SyncOptions::default(),
            &[],
            &fp
        )
        .unwrap_err(),
        PlanError::DuplicateDestinationKey {
            component: None,
            key: "A".into()
        }
    );
    // A duplicate outside the schema's boundary is not the sync's business.
    assert!(plan(
        &dup,
        &desired(&[("A", "1")]),
        &SyncOptions {
            key_schema: schema("S_{{secretKey}}"),
            ..Default::default()
        },
        &[],
        &fp
    )
    .is_ok());
    assert!(matches!(
        plan(
            &json!({"envs": {}}),
            &desired(&[]),
            &SyncOptions::default(),
            &[],
            &fp
        ),
        Err(PlanError::MalformedSpec { .. })
    ));
    assert!(matches!(
        plan(
            &json!({"envs": [{"key": "A", "value": "1", "type": "MAGIC"}]}),
            &desired(&[("A", "1")]),
            &SyncOptions::default(),
            &[],
            &fp
        ),
        Err(PlanError::UnrecognizedField { field: "type", .. })
    ));
    assert!(matches!(
        plan(
            &spec,
            &desired(&[]),
            &SyncOptions {
                key_schema: schema("{{environment}}_{{secretKey}}"),
                ..Default::default()
            },
            &[],
            &fp
        ),
        Err(PlanError::Options(_))
    ));
}

#[test]
fn imported_keys_merge_with_source_keys_instead_of_colliding() {
    // Rendering is injective (one {{secretKey}}), so a destination key maps back to
    // exactly one source key: an import of a key the source has merges with it.
    let spec = json!({"envs": [{"key": "P_P_A", "value": "dest", "type": "GENERAL"}]});
    let opts = SyncOptions {
        key_schema: Some(KeySchema::parse("P_{{secretKey}}").unwrap()),
        initial_sync_behavior: InitialSyncBehavior::ImportPrioritizeSource,
        ..Default::default()
    };
    // Source "P_A" renders to P_P_A, which is also the destination-only key imported as
    // source key "P_A": same source, so they merge instead of colliding.
    let p = plan(&spec, &desired(&[("P_A", "src")]), &opts, &[], &fp()).unwrap();
    assert_eq!(change(&p, None, "P_P_A").action, Action::Update);
}

#[test]
fn nothing_shows_values() {
    let canary = "canary-7f3a9c-secret";
    let mut d = desired(&[("S", canary)]);
    d.insert("G", DesiredValue::new(canary).with_type(VarType::General));
    let spec = json!({"envs": [{"key": "OLD", "value": canary, "type": "GENERAL"}]});
    let opts = SyncOptions {
        initial_sync_behavior: InitialSyncBehavior::ImportPrioritizeSource,
        ..Default::default()
    };
    let p = plan(&spec, &d, &opts, &[], &fp()).unwrap();
    assert!(
        p.new_spec().to_string().contains(canary),
        "the PUT body does hold it"
    );
    let mut shown = format!("{p:?}\n{p}\n{}\n{d:?}", p.render_table());
    for c in p.changes() {
        shown += &format!("{c:?}{c}");
    }
    for w in p.warnings() {
        shown += &format!("{w:?}{w}");
    }
    let (_, state, _) = FakeServer::default().apply(&p, &spec);
    shown += &format!("{state:?}");
    assert!(!shown.contains(canary), "{shown}");
    let bad = plan(
        &spec,
        &desired(&[("bad key", canary)]),
        &SyncOptions::default(),
        &[],
        &fp(),
    )
    .unwrap_err();
    assert!(!format!("{bad} {bad:?}").contains(canary));
}

#[test]
fn same_spec_ignores_key_order_only() {
    let a = json!({"a": 1, "b": {"x": [1, 2], "y": "s"}});
    let b: Value = serde_json::from_str(r#"{"b": {"y": "s", "x": [1, 2]}, "a": 1}"#).unwrap();
    assert!(same_spec(&a, &b));
    assert!(!same_spec(
        &a,
        &json!({"a": 1, "b": {"x": [2, 1], "y": "s"}})
    ));
    assert!(!same_spec(
        &a,
        &json!({"a": 1, "b": {"x": [1, 2], "y": "s", "z": null}})
    ));
    assert!(!same_spec(
        &a,
        &json!({"a": 1.0, "b": {"x": [1, 2], "y": "s"}})
    ));
}

#[test]
fn removal_deletes_created_and_restores_adopted() {
    let mut server = FakeServer::default();
    let original_secret =
        json!({"key": "ADOPT_S", "value": "EV[1:orig:1]", "type": "SECRET", "scope": "RUN_TIME"});
    let original_general = json!({"key": "ADOPT_G", "value": "before", "type": "GENERAL"});
    let spec =
        json!({"envs": [original_secret, original_general, {"key": "MANUAL", "value": "m"}]});
    let opts = SyncOptions {
        key_schema: Some(KeySchema::parse("{{secretKey}}").unwrap()),
        disable_secret_deletion: true,
        ..Default::default()
    };
    let d = desired(&[("ADOPT_S", "new-s"), ("ADOPT_G", "after"), ("NEW", "n")]);
    let p = plan(&spec, &d, &opts, &[], &fp()).unwrap();
    let (spec2, state, _) = server.apply(&p, &spec);

    let r = plan_removal(&spec2, &state, &opts).unwrap();
    assert_eq!(change(&r, None, "NEW").reason, Reason::CreatedBySync);
    assert_eq!(change(&r, None, "ADOPT_S").reason, Reason::RestoreOriginal);
    assert!(r.changes().iter().all(|c| c.key != "MANUAL"));
    let restored = server.put(r.new_spec());
    assert_eq!(
        restored, spec,
        "exactly the spec before the sync, original EV included"
    );
    assert!(state_after_apply(&r, APP, &restored).is_empty());
    // Nothing to remove twice.
    assert!(!plan_removal(&restored, &[], &opts).unwrap().has_changes());
}

#[test]
fn removal_leaves_another_syncs_keys_and_records() {
    let mut server = FakeServer::default();
    let spec = json!({"envs": [{"key": "MANUAL", "value": "m"}]});
    let opts_a = SyncOptions {
        key_schema: Some(KeySchema::parse("A_{{secretKey}}").unwrap()),
        ..Default::default()
    };
    let opts_b = SyncOptions {
        key_schema: Some(KeySchema::parse("B_{{secretKey}}").unwrap()),
        ..Default::default()
    };
    let p = plan(&spec, &desired(&[("X", "a")]), &opts_a, &[], &fp()).unwrap();
    let (spec, state, _) = server.apply(&p, &spec);
    let p = plan(&spec, &desired(&[("X", "b")]), &opts_b, &state, &fp()).unwrap();
    let (spec, state, _) = server.apply(&p, &spec);
    assert_eq!(state.len(), 2);

    let r = plan_removal(&spec, &state, &opts_a).unwrap();
    let keys: Vec<&str> = r.changes().iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["A_X"], "only the keys inside A's schema");
    let after = server.put(r.new_spec());
    let left: Vec<&str> = envs_of(&after, "")
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(left, ["MANUAL", "B_X"]);
    let state = state_after_apply(&r, APP, &after);
    assert_eq!(state.len(), 1, "B's record is carried");
    assert_eq!(state[0].key, "B_X");
}

#[test]
fn records_of_keys_gone_everywhere_are_dropped() {
    let mut server = FakeServer::default();
    let opts = SyncOptions::default();
    let p = plan(
        &json!({}),
        &desired(&[("A", "1"), ("B", "2")]),
        &opts,
        &[],
        &fp(),
    )
    .unwrap();
    let (mut spec, state, _) = server.apply(&p, &json!({}));
    spec["envs"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["key"] != "B");
    let p = plan(&spec, &desired(&[("A", "1")]), &opts, &state, &fp()).unwrap();
    assert!(!p.has_changes());
    let after = state_after_apply(&p, APP, &spec);
    assert_eq!(
        after.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["A"]
    );
}

// ---------------------------------------------------------------- properties

const KEY_POOL: &[&str] = &[
    "A", "B", "C", "D", "P_A", "P_B", "P_E", "dev_A", "dev_C", "X_1",
];
const SOURCE_POOL: &[&str] = &["A", "B", "C", "E"];
const COMPONENTS: &[(&str, &str)] = &[
    ("services", "web"),
    ("services", "api"),
    ("workers", "w1"),
    ("static_sites", "site"),
    ("jobs", "migrate"),
];

fn arb_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z ]{0,6}".prop_map(Value::String),
    ]
}

fn arb_unknown() -> impl Strategy<Value = Value> {
    arb_scalar().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,5}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{0,8}",
        Just("${db.DATABASE_URL}".to_owned()),
        Just("x-${APP_URL}/y".to_owned()),
        Just(String::new()),
    ]
}

fn arb_type() -> impl Strategy<Value = Option<VarType>> {
    prop_oneof![
        Just(None),
        Just(Some(VarType::General)),
        Just(Some(VarType::Secret))
    ]
}

fn arb_scope() -> impl Strategy<Value = Option<Scope>> {
    prop_oneof![
        Just(None),
        Just(Some(Scope::RunTime)),
        Just(Some(Scope::BuildTime)),
        Just(Some(Scope::RunAndBuildTime)),
        Just(Some(Scope::Unset))
    ]
}

fn arb_envs() -> impl Strategy<Value = Option<Value>> {
    let entry = (
        arb_type(),
        arb_scope(),
        arb_value(),
        prop::option::of(arb_unknown()),
        any::<u32>(),
    );
    prop::option::of(
        (
            prop::sample::subsequence(KEY_POOL.to_vec(), 0..6),
            prop::collection::vec(entry, 6),
        )
            .prop_map(|(keys, entries)| {
                let list: Vec<Value> = keys
                    .into_iter()
                    .zip(entries)
                    .map(|(key, (t, s, v, extra, n))| {
                        let mut m = serde_json::Map::new();
                        m.insert("key".into(), json!(key));
                        if let Some(x) = extra.clone() {
                            m.insert("x_meta".into(), x);
                        }
                        let value = if t == Some(VarType::Secret) {
                            format!("EV[1:seed{n}:{key}]")
                        } else {
                            v
                        };
                        m.insert("value".into(), json!(value));
                        if let Some(s) = s {
                            m.insert("scope".into(), json!(s.as_str()));
                        }
                        if let Some(t) = t {
                            m.insert("type".into(), json!(t.as_str()));
                        }
                        Value::Object(m)
                    })
                    .collect();
                Value::Array(list)
            }),
    )
}

fn arb_spec() -> impl Strategy<Value = Value> {
    (
        arb_envs(),
        prop::collection::vec(
            (arb_envs(), prop::option::of(arb_unknown())),
            COMPONENTS.len(),
        ),
        prop::sample::subsequence(
            (0..COMPONENTS.len()).collect::<Vec<_>>(),
            0..=COMPONENTS.len(),
        ),
        prop::collection::btree_map("x_[a-z]{1,4}", arb_unknown(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(app_envs, comps, present, unknown, envs_first)| {
            let mut spec = serde_json::Map::new();
            spec.insert("name".into(), json!("app"));
            if envs_first {
                if let Some(e) = app_envs.clone() {
                    spec.insert("envs".into(), e);
                }
            }
            for i in present {
                let (kind, name) = COMPONENTS[i];
                let (envs, extra) = comps[i].clone();
                let mut c = serde_json::Map::new();
                c.insert("name".into(), json!(name));
                if let Some(x) = extra {
                    c.insert("x_component".into(), x);
                }
                if let Some(e) = envs {
                    c.insert("envs".into(), e);
                }
                let list = spec.entry(kind).or_insert_with(|| json!([]));
                list.as_array_mut().unwrap().push(Value::Object(c));
            }
            for (k, v) in unknown {
                spec.insert(k, v);
            }
            if !envs_first {
                if let Some(e) = app_envs {
                    spec.insert("envs".into(), e);
                }
            }
            Value::Object(spec)
        })
}

fn arb_desired() -> impl Strategy<Value = Desired> {
    prop::collection::btree_map(
        prop::sample::select(SOURCE_POOL.to_vec()),
        (arb_value(), arb_type(), arb_scope()),
        0..4,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(k, (value, var_type, scope))| {
                (
                    k,
                    DesiredValue {
                        value,
                        var_type,
                        scope,
                    },
                )
            })
            .collect()
    })
}

fn arb_options(spec: &Value) -> impl Strategy<Value = SyncOptions> {
    let names: Vec<String> = COMPONENTS
        .iter()
        .filter(|(kind, name)| {
            spec.get(*kind)
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|c| c["name"] == *name))
        })
        .map(|(_, n)| n.to_string())
        .collect();
    let targets = if names.is_empty() {
        Just(Targets::App).boxed()
    } else {
        prop_oneof![
            Just(Targets::App),
            prop::sample::subsequence(names.clone(), 1..=names.len()).prop_map(Targets::Components)
        ]
        .boxed()
    };
    (
        prop_oneof![
            Just(None),
            Just(Some("P_{{secretKey}}")),
            Just(Some("{{environment}}_{{secretKey}}"))
        ],
        any::<bool>(),
        prop_oneof![
            Just(InitialSyncBehavior::OverwriteDestination),
            Just(InitialSyncBehavior::ImportPrioritizeSource),
            Just(InitialSyncBehavior::ImportPrioritizeDestination)
        ],
        targets,
        arb_type().prop_map(|t| t.unwrap_or(VarType::Secret)),
        arb_scope().prop_map(|s| s.unwrap_or(Scope::RunAndBuildTime)),
    )
        .prop_map(
            |(schema, disable, behavior, targets, default_type, default_scope)| SyncOptions {
                environment: Some("dev".into()),
                key_schema: schema.map(|s| KeySchema::parse(s).unwrap()),
                disable_secret_deletion: disable,
                initial_sync_behavior: behavior,
                targets,
                default_type,
                default_scope,
                ..SyncOptions::default()
            },
        )
}

fn target_names(opts: &SyncOptions) -> Vec<String> {
    match &opts.targets {
        Targets::App => vec![String::new()],
        Targets::Components(n) => n.clone(),
    }
}

fn managed_src(opts: &SyncOptions, key: &str) -> Option<String> {
    match &opts.key_schema {
        None => Some(key.to_owned()),
        Some(s) => s.managed(key, opts.environment.as_deref()).unwrap(),
    }
}

fn target_envs(spec: &Value, target: &str) -> Vec<Value> {
    if target.is_empty() {
        return spec
            .get("envs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
    }
    for kind in ["services", "workers", "jobs", "static_sites", "functions"] {
        for c in spec
            .get(kind)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if c["name"] == target {
                return c
                    .get("envs")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }
    panic!("no target {target}")
}

/// The spec with the managed entries of the targets removed (and `envs` lists
/// left empty by that removed too), as JSON text: must not change across a sync.
fn unmanaged_text(spec: &Value, opts: &SyncOptions) -> String {
    let mut spec = spec.clone();
    let strip = |holder: &mut Value| {
        if let Some(Value::Array(envs)) = holder.get_mut("envs") {
            envs.retain(|e| {
                e.get("key")
                    .and_then(Value::as_str)
                    .is_none_or(|k| managed_src(opts, k).is_none())
            });
            if envs.is_empty() {
                holder.as_object_mut().unwrap().remove("envs");
            }
        }
    };
    for t in target_names(opts) {
        if t.is_empty() {
            strip(&mut spec);
        } else {
            for kind in ["services", "workers", "jobs", "static_sites", "functions"] {
                if let Some(Value::Array(cs)) = spec.get_mut(kind) {
                    for c in cs.iter_mut().filter(|c| c["name"] == t.as_str()) {
                        strip(c);
                    }
                }
            }
        }
    }
    serde_json::to_string(&spec).unwrap()
}

fn without_fields(entry: &Value, fields: &[&str]) -> String {
    let mut e = entry.clone();
    for f in fields {
        e.as_object_mut().unwrap().remove(*f);
    }
    serde_json::to_string(&e).unwrap()
}

/// The caller's merge of a plan's imports into its source.
fn merged(desired: &Desired, plan: &Plan) -> Desired {
    let mut d = desired.clone();
    for (k, v) in plan.imports() {
        match d.get(k).cloned() {
            Some(mut existing) => {
                existing.value = v.clone();
                d.insert(k.clone(), existing);
            }
            None => d.insert(k.clone(), DesiredValue::new(v.clone())),
        }
    }
    d
}

/// Run one sync and check the three properties; returns the new spec and state.
fn sync_and_check(
    server: &mut FakeServer,
    spec: &Value,
    desired_in: &Desired,
    opts: &SyncOptions,
    state: &[StateRecord],
) -> Result<(Value, Vec<StateRecord>, Desired), TestCaseError> {
    let fp = fp();
    let p = plan(spec, desired_in, opts, state, &fp)
        .map_err(|e| TestCaseError::fail(format!("plan failed: {e}")))?;
    let d = merged(desired_in, &p);
    let (after, new_state, _) = server.apply(&p, spec);

    // (b) everything unmanaged, and every non-env field, is unchanged.
    prop_assert_eq!(unmanaged_text(spec, opts), unmanaged_text(&after, opts));

    let records: HashMap<(&str, &str), &StateRecord> = new_state
        .iter()
        .map(|r| ((r.target.as_str(), r.key.as_str()), r))
        .collect();
    let old_records: HashMap<(&str, &str), &StateRecord> = state
        .iter()
        .map(|r| ((r.target.as_str(), r.key.as_str()), r))
        .collect();
    for target in target_names(opts) {
        let before = target_envs(spec, &target);
        let now = target_envs(&after, &target);
        // (a) managed keys equal the desired set.
        for (src, dv) in d.iter() {
            let key = match &opts.key_schema {
                None => src.to_owned(),
                Some(s) => s.render(src, opts.environment.as_deref()).unwrap(),
            };
            let e = now.iter().find(|e| e["key"] == key.as_str());
            prop_assert!(e.is_some(), "desired key {} missing in {:?}", key, target);
            let e = e.unwrap();
            let old = before.iter().find(|x| x["key"] == key.as_str());
            let kept_secret = p.changes().iter().any(|c| {
                c.target() == target && c.key == key && c.reason == Reason::SecretNotImportable
            });
            if kept_secret {
                prop_assert_eq!(Some(e), old);
                continue;
            }
            let want_type = dv
                .var_type
                .or(old.and_then(VarType::of_entry))
                .unwrap_or(opts.default_type);
            let want_scope = dv
                .scope
                .or(old.and_then(Scope::of_entry))
                .unwrap_or(opts.default_scope);
            prop_assert_eq!(VarType::of_entry(e), Some(want_type));
            prop_assert_eq!(Scope::of_entry(e), Some(want_scope));
            let value = e["value"].as_str().unwrap_or("");
            match want_type {
                VarType::General => prop_assert_eq!(value, dv.value.as_str()),
                VarType::Secret => {
                    let rec = records.get(&(target.as_str(), key.as_str()));
                    prop_assert!(rec.is_some(), "no record for secret {}", key);
                    let rec = rec.unwrap();
                    prop_assert!(fp.matches(&dv.value, &rec.fingerprint));
                    prop_assert_eq!(rec.ev.as_deref(), Some(value));
                    prop_assert_eq!(
                        server.plaintexts.get(value).map(String::as_str),
                        Some(dv.value.as_str())
                    );
                }
            }
            if let Some(old) = old {
                // Edited in place: other fields and their order untouched.
                prop_assert_eq!(
                    without_fields(old, &["value", "type", "scope"]),
                    without_fields(e, &["value", "type", "scope"])
                );
            }
        }
        // Destination-only managed keys: kept or deleted by the rules.
        for old in &before {
            let key = old["key"].as_str().unwrap();
            let Some(src) = managed_src(opts, key) else {
                continue;
            };
            if d.get(&src).is_some() {
                continue;
            }
            let recorded = old_records.contains_key(&(target.as_str(), key));
            let kept =
                opts.disable_secret_deletion || (opts.initial_sync_behavior.imports() && !recorded);
            let present = now.iter().find(|e| e["key"] == key);
            if kept {
                prop_assert_eq!(present, Some(old), "{} should be kept", key);
            } else {
                prop_assert!(present.is_none(), "{} should be deleted", key);
            }
        }
    }
    // (c) a second plan is empty: no PUT, no deployment.
    let again =
        plan(&after, &d, opts, &new_state, &fp).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        !again.has_changes(),
        "second plan not empty: {}",
        again.render_table()
    );
    prop_assert!(
        again.imports().is_empty(),
        "imports were merged, none are left"
    );
    Ok((after, new_state, d))
}

proptest! {
    // PROPTEST_CASES raises the count for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400),
        ..ProptestConfig::default()
    })]

    #[test]
    fn sync_converges_and_preserves_everything_else(
        (spec, opts, opts2) in arb_spec().prop_flat_map(|spec| {
            let o1 = arb_options(&spec);
            let o2 = arb_options(&spec);
            (Just(spec), o1, o2)
        }),
        d1 in arb_desired(),
        d2 in arb_desired(),
        drift in any::<prop::sample::Index>(),
    ) {
        let mut server = FakeServer::default();
        // A first sync from an empty state...
        let (spec1, state1, _) = sync_and_check(&mut server, &spec, &d1, &opts, &[])?;
        // ...someone edits one SECRET outside the sync...
        let mut edited = spec1.clone();
        let mut secrets: Vec<&mut Value> = env_lists_mut(&mut edited)
            .into_iter()
            .flat_map(|l| l.iter_mut())
            .filter(|e| e.get("type").and_then(Value::as_str) == Some("SECRET"))
            .collect();
        if !secrets.is_empty() {
            let i = drift.index(secrets.len());
            let ev = server.encrypt("changed outside");
            secrets[i]["value"] = json!(ev);
        }
        // ...then a second sync with other desired values and options, from that state.
        sync_and_check(&mut server, &edited, &d2, &opts2, &state1)?;
    }
}

#[test]
fn table_is_aligned_and_masked() {
    let spec = json!({"envs": [{"key": "OLD_KEY", "value": "x", "type": "GENERAL"}]});
    let p = plan(
        &spec,
        &desired(&[("DB_PASSWORD", "hunter2")]),
        &SyncOptions::default(),
        &[],
        &fp(),
    )
    .unwrap();
    assert_eq!(
        p.render_table(),
        "TARGET  KEY          ACTION  REASON         TYPE     SCOPE\n\
         (app)   DB_PASSWORD  create  missing        SECRET   RUN_AND_BUILD_TIME\n\
         (app)   OLD_KEY      delete  not_in_source  GENERAL  RUN_AND_BUILD_TIME\n\
         1 to create, 0 to update, 1 to delete, 0 unchanged; applying deploys the app\n"
    );
    assert_eq!(p.to_string(), p.render_table());
}

#[test]
fn a_plan_shares_its_spec_and_copies_it_only_to_build_the_put() {
    let spec =
        Arc::new(json!({"name": "a", "envs": [{"key": "A", "value": "1"}], "x": {"y": [1]}}));
    let shared = |pairs: &[(&str, &str)]| {
        plan_shared(
            Arc::clone(&spec),
            &desired(pairs),
            &SyncOptions::default(),
            &[],
            &fp(),
        )
        .unwrap()
    };
    let same = shared(&[("A", "1")]);
    assert_eq!(
        Arc::strong_count(&spec),
        2,
        "the plan holds the spec, not a copy"
    );
    assert!(!same.has_changes());
    assert!(
        std::ptr::eq(same.new_spec(), same.base_spec()),
        "no changes: nothing built"
    );

    let changed = shared(&[("A", "2"), ("B", "3")]);
    let built = changed.new_spec();
    assert!(std::ptr::eq(built, changed.new_spec()), "built once");
    assert_eq!(
        built,
        &json!({"name": "a", "envs": [{"key": "A", "value": "2"},
            {"key": "B", "value": "3", "scope": "RUN_AND_BUILD_TIME", "type": "SECRET"}], "x": {"y": [1]}})
    );
    assert_eq!(changed.base_spec(), &*spec, "the base is left as read");
    // The borrowing entry point plans the same.
    let lent = plan(
        &spec,
        &desired(&[("A", "2"), ("B", "3")]),
        &SyncOptions::default(),
        &[],
        &fp(),
    )
    .unwrap();
    assert_eq!(lent.new_spec(), built);
    assert_eq!(lent.changes(), changed.changes());
}
