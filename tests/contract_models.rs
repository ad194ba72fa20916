//! Contract tests for the generated models: every example payload of DigitalOcean's OpenAPI
//! bundle round-trips byte for byte, drift from the schema survives, edits touch only their
//! key, Debug never shows a secret, and the committed generated files are current.

use std::path::PathBuf;
use std::process::Command;

use do_envsync::models::{
    roundtrip_schema, schema_names, App, AppResponse, AppServiceSpec, AppSpec, AppSpecRegion,
    AppVariableDefinition, AppVariableDefinitionScope, AppVariableDefinitionType, AppsDeployment,
    AppsDeploymentPhase, Model, SpecFormatError, OPERATIONS,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundle lives next to the repository (CI clones the repo next to `shared/`). A missing
/// bundle is a failure, never a skip.
fn bundle() -> Value {
    let path = manifest_dir().join("../shared/openapi/apps-bundle.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "the OpenAPI bundle must be at {} (clone the repo next to `shared/`): {err}",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("the bundle is valid JSON")
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON values serialize")
}

/// Round trip through the typed model named `schema`; panics with context on any difference.
fn assert_exact(schema: &str, payload: &Value, origin: &str) {
    let back = roundtrip_schema(schema, payload.clone())
        .unwrap_or_else(|| panic!("{origin}: no typed model for schema {schema}"))
        .unwrap_or_else(|err| panic!("{origin}: {schema} rejected the payload: {err}"));
    assert_eq!(
        compact(&back),
        compact(payload),
        "{origin}: round trip through {schema} changed the JSON"
    );
}

struct Payload {
    schema: String,
    value: Value,
    origin: String,
}

fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// Example values of one media type object: `example`, inline `examples`, `$ref` examples.
fn media_examples(bundle: &Value, media: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if let Some(example) = media.get("example") {
        found.push(("example".to_owned(), example.clone()));
    }
    for (name, example) in media
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let resolved = match example.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let key = reference.rsplit('/').next().unwrap();
                &bundle["components"]["examples"][key]
            }
            None => example,
        };
        let value = resolved
            .get("value")
            .unwrap_or_else(|| panic!("example {name} has no value"));
        found.push((format!("examples/{name}"), value.clone()));
    }
    found
}

/// Payloads of request bodies and responses, with the schema name of their typed model.
fn body_payloads(bundle: &Value) -> Vec<Payload> {
    let mut out = Vec::new();
    let mut push_content = |content: &Value, inline_name: Option<String>, origin: String| {
        let Some(media) = content.get("application/json") else {
            return;
        };
        let schema = &media["schema"];
        let schema_name = match ref_name(schema) {
            Some(name) => name.to_owned(),
            None => inline_name
                .clone()
                .expect("inline bodies only in components.responses"),
        };
        for (label, value) in media_examples(bundle, media) {
            out.push(Payload {
                schema: schema_name.clone(),
                value,
                origin: format!("{origin} {label}"),
            });
        }
    };
    for (name, response) in bundle["components"]["responses"].as_object().unwrap() {
        if let Some(content) = response.get("content") {
            push_content(
                content,
                Some(format!("responses/{name}")),
                format!("components.responses.{name}"),
            );
        }
    }
    for (path, item) in bundle["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(content) = op.get("requestBody").and_then(|b| b.get("content")) {
                push_content(content, None, format!("{method} {path} request"));
            }
            for (code, response) in op["responses"].as_object().unwrap() {
                if let Some(content) = response.get("content") {
                    push_content(content, None, format!("{method} {path} {code}"));
                }
            }
        }
    }
    out
}

/// Object examples written on schemas and their properties (components.schemas), keyed by the
/// schema path that names inline types (`app_job_invocation.trigger.manual`).
fn schema_payloads(bundle: &Value) -> Vec<Payload> {
    fn walk(schema: &Value, path: &str, out: &mut Vec<Payload>) {
        if let Some(example) = schema.get("example") {
            let target = ref_name(schema)
                .map(str::to_owned)
                .unwrap_or_else(|| path.to_owned());
            if example.is_object() {
                out.push(Payload {
                    schema: target,
                    value: example.clone(),
                    origin: format!("schema example at {path}"),
                });
            } else if let (Some(items), Some(item_schema)) =
                (example.as_array(), schema.get("items").and_then(ref_name))
            {
                for (i, item) in items
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| item.is_object())
                {
                    out.push(Payload {
                        schema: item_schema.to_owned(),
                        value: item.clone(),
                        origin: format!("schema example at {path}[{i}]"),
                    });
                }
            }
        }
        for (name, prop) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            walk(prop, &format!("{path}.{name}"), out);
        }
        for member in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if member.get("$ref").is_none() {
                walk(member, path, out);
            }
        }
    }
    let mut out = Vec::new();
    for (name, schema) in bundle["components"]["schemas"].as_object().unwrap() {
        walk(schema, name, &mut out);
    }
    out
}

/// Counts measured on the bundle from upstream commit 7c1300c (36 request/response bodies and 5
/// schema-level object examples); fewer means examples went unchecked.
const MIN_BODY_PAYLOADS: usize = 36;
const MIN_PAYLOADS: usize = 41;

#[test]
fn every_bundle_example_round_trips_exactly() {
    let bundle = bundle();
    let mut payloads = body_payloads(&bundle);
    let from_bodies = payloads.len();
    payloads.extend(schema_payloads(&bundle));
    for payload in &payloads {
        assert_exact(&payload.schema, &payload.value, &payload.origin);
    }
    println!(
        "checked {} example payloads ({} request/response bodies, {} schema examples)",
        payloads.len(),
        from_bodies,
        payloads.len() - from_bodies
    );
    assert!(
        payloads.len() >= MIN_PAYLOADS,
        "only {} payloads checked",
        payloads.len()
    );
    assert!(
        from_bodies >= MIN_BODY_PAYLOADS,
        "only {from_bodies} body payloads checked"
    );
}

#[test]
fn bundle_examples_land_in_typed_fields() {
    let bundle = bundle();
    let example = bundle["components"]["examples"]["app"]["value"].clone();
    let response = AppResponse::from_value(example).unwrap();
    let app: &App = response.app.as_ref().expect("typed app");
    assert!(
        app.extra.is_empty(),
        "unexpected untyped keys: {:?}",
        app.extra.keys()
    );
    let spec = app.spec.as_ref().expect("typed spec");
    assert_eq!(spec.name.as_deref(), Some("sample-golang"));
    let service: &AppServiceSpec = &spec.services.as_ref().unwrap()[0];
    assert!(service.github.is_some() || service.git.is_some() || service.image.is_some());
    let deployment: &AppsDeployment = app.active_deployment.as_ref().expect("typed deployment");
    assert_eq!(deployment.phase, Some(AppsDeploymentPhase::Active));

    let create = &bundle["paths"]["/v2/apps"]["post"]["requestBody"]["content"]["application/json"];
    let request =
        do_envsync::models::AppsCreateAppRequest::from_value(create["example"].clone()).unwrap();
    let spec = request.spec.expect("typed spec");
    assert_eq!(spec.region, Some(AppSpecRegion::Nyc));
    let service = &spec.services.as_ref().unwrap()[0];
    assert_eq!(service.instance_count, Some(2));
    assert_eq!(
        service.instance_size_slug.as_ref().map(|s| s.as_str()),
        Some("apps-s-1vcpu-0.5gb")
    );
    assert!(service.extra.is_empty() && spec.extra.is_empty());
}

#[test]
fn registry_covers_every_component_schema_and_operation() {
    let bundle = bundle();
    let names = schema_names();
    for component in bundle["components"]["schemas"].as_object().unwrap().keys() {
        assert!(
            names.contains(&component.as_str()),
            "no model for schema {component}"
        );
    }
    assert_eq!(
        bundle["components"]["schemas"].as_object().unwrap().len(),
        124
    );
    assert!(roundtrip_schema("no_such_schema", json!({})).is_none());

    let get = OPERATIONS
        .iter()
        .find(|op| op.operation_id == "apps_get")
        .unwrap();
    assert_eq!((get.method, get.path), ("GET", "/v2/apps/{id}"));
    assert_eq!(get.response_schema, Some(AppResponse::SCHEMA));
    let update = OPERATIONS
        .iter()
        .find(|op| op.operation_id == "apps_update")
        .unwrap();
    assert_eq!(update.request_schema, Some("apps_update_app_request"));
    let commit = OPERATIONS
        .iter()
        .find(|op| op.operation_id == "apps_commit_rollback")
        .unwrap();
    assert_eq!(
        commit.response_schema, None,
        "commit rollback answers with an empty body"
    );
    assert_eq!(OPERATIONS.len(), 39);
    for op in OPERATIONS {
        for schema in op.request_schema.iter().chain(op.response_schema.iter()) {
            assert!(
                names.contains(schema),
                "{}: unknown schema {schema}",
                op.operation_id
            );
            assert!(roundtrip_schema(schema, json!({})).unwrap().is_ok());
        }
    }
}

#[test]
fn non_objects_are_rejected_without_echoing_the_value() {
    let err = roundtrip_schema("app_spec", json!("dop_v1_canary_token"))
        .unwrap()
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("AppSpec") && message.contains("a string"),
        "{message}"
    );
    assert!(!message.contains("canary"), "{message}");
    let err = serde_json::from_str::<AppSpec>("[1, 2]").unwrap_err();
    assert!(err.to_string().contains("an array"), "{err}");
    // Enum schemas check the kind too, and keep any string.
    assert_exact("apps_deployment_phase", &json!("SOMETHING_NEW"), "enum");
    assert!(roundtrip_schema("apps_deployment_phase", json!(3))
        .unwrap()
        .is_err());
}

/// The "Update an App" request sample of the API reference (seed 001): an app spec with
/// app-level `envs` and `alerts` (missing from the published schema) and `features`.
const SEED_UPDATE_SPEC: &str = r#"{"alerts":[{"rule":"DEPLOYMENT_FAILED"},{"rule":"DOMAIN_FAILED"}],"domains":[{"domain":"example.com","type":"PRIMARY","zone":"example.com"}],"envs":[{"key":"API_KEY","scope":"RUN_AND_BUILD_TIME","type":"SECRET","value":"EV[1:zqiRIeaaYK/NqctZDYzy6t0pTrtRDez8:wqGpZRrsKN5nPhWQrS479cfBiXT0WQ==]"}],"features":["buildpack-stack=ubuntu-22"],"ingress":{},"name":"example-app","region":"nyc","services":[{"autoscaling":{"max_instance_count":4,"metrics":{"cpu":{"percent":70}},"min_instance_count":2},"git":{"branch":"main","repo_clone_url":"https://github.com/digitalocean/sample-nodejs.git"},"internal_ports":[8080],"log_destinations":[{"name":"your_log_consumer_name","open_search":{"endpoint":"logs.example.com:12345","basic_auth":{"user":"doadmin","password":"1234567890abcdef"},"index_name":"example-index","cluster_name":"example-cluster"}}],"name":"sample-nodejs","run_command":"yarn start","source_dir":"/"}]}"#;

#[test]
fn api_reference_update_spec_is_typed_and_exact() {
    let spec: AppSpec = serde_json::from_str(SEED_UPDATE_SPEC).unwrap();
    assert_eq!(serde_json::to_string(&spec).unwrap(), SEED_UPDATE_SPEC);
    assert_eq!(spec.extra.keys().collect::<Vec<_>>(), ["features"]);
    assert_eq!(spec.alerts.as_ref().map(Vec::len), Some(2));
    let env = &spec.envs.as_ref().unwrap()[0];
    assert!(env.is_secret());
    assert!(env.value.as_deref().unwrap().starts_with("EV[1:"));
    let service = &spec.services.as_ref().unwrap()[0];
    let autoscaling = service.autoscaling.as_ref().unwrap();
    let cpu = autoscaling.metrics.as_ref().unwrap().cpu.as_ref().unwrap();
    assert_eq!(cpu.percent, Some(70));
    assert_eq!(service.internal_ports, Some(vec![8080]));
    let debug = format!("{spec:?}");
    assert!(
        !debug.contains("1234567890abcdef"),
        "open search password leaked: {debug}"
    );
    assert!(!debug.contains("zqiRIeaa"), "ciphertext shown: {debug}");
    assert!(debug.contains("EV[…]"), "{debug}");
}

/// A GET /v2/apps/{id} body as the real API may send it: undocumented keys everywhere, `null`s,
/// undocumented enum values and known keys with values of the wrong type.
const DRIFTED_APP: &str = r#"{"app":{"id":"a1","spec":{"name":"web","region":"nyc",
"features":["buildpack-stack=ubuntu-22"],"disable_edge_cache":true,
"maintenance":{"enabled":false,"new_maintenance_knob":1},"vpc":{"id":"v1"},
"envs":[{"key":"DATABASE_URL","value":"${db.DATABASE_URL}","scope":"RUN_TIME","type":"GENERAL"},
{"key":"API_TOKEN","value":"EV[1:abc:def]","type":"SECRET","scope":"RUN_AND_BUILD_TIME","rotated_at":"2024-01-01"}],
"services":[{"name":"api","instance_count":"2","http_port":8080.0,"unknown_service_knob":{"a":[1,null]},
"envs":[{"key":"X","value":null,"type":"SECRET_V2","scope":"EVERYWHERE","origin":{"k":"v"}}],
"instance_size_slug":"apps-s-1vcpu-1gb","internal_ports":[80,"443"]}],
"jobs":"not-a-list","region_hint":null,"domains":null,"ingress":{"rules":[{"match":{"path":{"prefix":null}},"component":{"name":"api"}}]}},
"active_deployment":{"id":"d1","phase":"TELEPORTING","progress":{"steps":[{"odd":true}]},"cause":42},
"created_at":"2024-01-01T00:00:00Z","last_deployment_active_at":"2024-01-02T00:00:00Z",
"tier_slug":null,"pending_deployment":{"id":"d2","phase":"PENDING_BUILD"}}}"#;

#[test]
fn drift_survives_round_trips_exactly() {
    let input: Value = serde_json::from_str(DRIFTED_APP).unwrap();
    let expected = compact(&input);

    // Through the registry, through serde directly, and through the typed value API.
    assert_exact("app_response", &input, "drifted app");
    let typed: AppResponse = serde_json::from_str(DRIFTED_APP).unwrap();
    assert_eq!(serde_json::to_string(&typed).unwrap(), expected);
    assert_eq!(compact(&typed.to_value()), expected);

    // The typed view: drift is visible but kept.
    let app = typed.app.as_ref().unwrap();
    assert_eq!(
        app.extra.keys().collect::<Vec<_>>(),
        ["last_deployment_active_at", "tier_slug"]
    );
    let spec = app.spec.as_ref().unwrap();
    assert_eq!(spec.disable_edge_cache, Some(true));
    assert_eq!(
        spec.maintenance.as_ref().unwrap().extra["new_maintenance_knob"],
        json!(1)
    );
    let envs = spec
        .envs
        .as_ref()
        .expect("app-level envs are typed (documented gap)");
    assert_eq!(envs[1].r#type, Some(AppVariableDefinitionType::Secret));
    assert_eq!(envs[1].extra["rotated_at"], json!("2024-01-01"));
    assert_eq!(spec.jobs, None);
    assert_eq!(spec.extra["jobs"], json!("not-a-list"));
    assert_eq!(spec.domains, None);
    assert_eq!(spec.extra["domains"], Value::Null);
    assert_eq!(
        spec.extra.keys().collect::<Vec<_>>(),
        ["features", "jobs", "region_hint", "domains"]
    );
    let service = &spec.services.as_ref().unwrap()[0];
    assert_eq!(service.instance_count, None, "\"2\" is not an integer");
    assert_eq!(service.extra["instance_count"], json!("2"));
    assert_eq!(service.http_port, None, "8080.0 is not an integer");
    assert_eq!(service.internal_ports, None, "mixed array kept verbatim");
    let env = &service.envs.as_ref().unwrap()[0];
    assert_eq!(
        env.r#type,
        Some(AppVariableDefinitionType::Other("SECRET_V2".into()))
    );
    assert_eq!(
        env.scope,
        Some(AppVariableDefinitionScope::Other("EVERYWHERE".into()))
    );
    assert_eq!(env.value, None);
    assert_eq!(env.extra["value"], Value::Null);
    let deployment = app.active_deployment.as_ref().unwrap();
    assert_eq!(
        deployment.phase,
        Some(AppsDeploymentPhase::Other("TELEPORTING".into()))
    );
    assert_eq!(deployment.cause, None);

    // A clone compares equal and serializes identically.
    let copy = typed.clone();
    assert_eq!(copy, typed);
    assert_eq!(serde_json::to_string(&copy).unwrap(), expected);
}

#[test]
fn edits_change_only_their_key() {
    let text = r#"{"name":"web","region":"nyc","domains":null,"features":["x"],"services":[{"name":"api","envs":[{"key":"A","value":"1"}]}],"ingress":"weird"}"#;
    let mut spec: AppSpec = serde_json::from_str(text).unwrap();

    // Changing a value keeps its position.
    spec.region = Some(AppSpecRegion::Fra);
    assert_eq!(
        serde_json::to_string(&spec).unwrap(),
        text.replace(r#""region":"nyc""#, r#""region":"fra""#)
    );

    // Clearing a typed field removes its key; a key whose original value was null or of the
    // wrong type stays (it lives in `extra`, remove it there).
    spec.region = None;
    spec.domains = None;
    spec.ingress = None;
    let cleared = serde_json::to_string(&spec).unwrap();
    assert_eq!(cleared, text.replace(r#""region":"nyc","#, ""));
    spec.extra.remove("ingress");
    assert!(!serde_json::to_string(&spec).unwrap().contains("ingress"));

    // Keys set in code come after the original keys, documented ones in schema order, then
    // new extra keys.
    spec.extra.insert("zz_new".into(), json!(1));
    spec.envs = Some(vec![AppVariableDefinition {
        key: Some("GLOBAL".into()),
        value: Some("g".into()),
        ..Default::default()
    }]);
    spec.disable_edge_cache = Some(false);
    let services = spec.services.as_mut().unwrap();
    services[0]
        .envs
        .as_mut()
        .unwrap()
        .push(AppVariableDefinition {
            key: Some("B".into()),
            r#type: Some(AppVariableDefinitionType::Secret),
            value: Some("plain".into()),
            ..Default::default()
        });
    assert_eq!(
        serde_json::to_string(&spec).unwrap(),
        concat!(
            r#"{"name":"web","domains":null,"features":["x"],"services":[{"name":"api","envs":"#,
            r#"[{"key":"A","value":"1"},{"key":"B","type":"SECRET","value":"plain"}]}],"#,
            r#""disable_edge_cache":false,"envs":[{"key":"GLOBAL","value":"g"}],"zz_new":1}"#
        )
    );

    // Setting a documented key that was kept verbatim replaces it in place.
    let mut spec: AppSpec = serde_json::from_str(text).unwrap();
    spec.ingress = Some(Default::default());
    assert_eq!(
        serde_json::to_string(&spec).unwrap(),
        text.replace(r#""ingress":"weird""#, r#""ingress":{}"#)
    );
}

#[test]
fn debug_never_shows_secrets() {
    let canary = "canary-plaintext-7f3a";
    let spec = AppSpec::from_value(json!({
        "name": "web",
        "envs": [
            {"key": "PLAIN", "value": "visible-general", "type": "GENERAL"},
            {"key": "TOKEN", "value": canary, "type": "SECRET"},
            {"key": "ODD", "value": canary, "type": "SOMETHING_NEW"},
            {"key": "CIPHER", "value": "EV[1:cipher-body:more]", "type": "SECRET"}
        ],
        "services": [{
            "name": "api",
            "envs": [{"key": "T2", "value": canary, "type": "SECRET"}],
            "log_destinations": [{"name": "dd", "datadog": {"api_key": canary}}],
            "image": {"registry_credentials": canary},
            "unknown_nested": {"type": "SECRET", "value": canary}
        }],
        "unknown_top": [{"key": "K", "type": "SECRET", "value": canary}]
    }))
    .unwrap();
    for rendered in [format!("{spec:?}"), format!("{spec:#?}")] {
        assert!(!rendered.contains(canary), "secret leaked: {rendered}");
        assert!(
            !rendered.contains("cipher-body"),
            "ciphertext leaked: {rendered}"
        );
        assert!(rendered.contains("visible-general"), "{rendered}");
        assert!(
            rendered.contains("***") && rendered.contains("EV[…]"),
            "{rendered}"
        );
        assert!(rendered
            .replace(['\n', ' '], "")
            .contains(r#"key:"CIPHER",type:Secret,value:"EV[…]""#));
        assert!(rendered.contains("extra_keys"), "{rendered}");
    }
    let env =
        AppVariableDefinition::from_value(json!({"key": "A", "value": canary, "type": 5})).unwrap();
    assert!(env.is_secret(), "a malformed type is treated as secret");
    assert!(!format!("{env:?}").contains(canary));
}

#[test]
fn enums_keep_unknown_values() {
    assert_eq!(
        AppVariableDefinitionType::from("SECRET"),
        AppVariableDefinitionType::Secret
    );
    let other = AppVariableDefinitionType::from("SEALED");
    assert_eq!(other.as_str(), "SEALED");
    assert_eq!(serde_json::to_string(&other).unwrap(), r#""SEALED""#);
    assert_eq!(
        AppVariableDefinitionType::default(),
        AppVariableDefinitionType::General
    );
    assert_eq!(
        AppVariableDefinitionScope::default(),
        AppVariableDefinitionScope::RunAndBuildTime
    );
    assert_eq!(AppSpecRegion::DOCUMENTED.len(), 10);
}

const APP_YAML: &str = r#"name: sample-app
region: nyc
# App-level env vars (not in the published schema, used by the real API).
envs:
  - key: LOG_LEVEL
    value: debug
    scope: RUN_TIME
    type: GENERAL
  - key: API_TOKEN
    value: EV[1:Zm9v:YmFy]
    scope: RUN_AND_BUILD_TIME
    type: SECRET
features:
  - buildpack-stack=ubuntu-22
services:
  - name: api
    github:
      repo: example/api
      branch: main
      deploy_on_push: true
    build_command: npm run build
    run_command: npm start
    http_port: 8080
    instance_count: 2
    instance_size_slug: apps-s-1vcpu-1gb
    envs:
      - key: DATABASE_URL
        value: ${db.DATABASE_URL}
        scope: RUN_TIME
      - key: STRIPE_KEY
        value: sk_test_plain
        type: SECRET
    health_check:
      http_path: /healthz
      initial_delay_seconds: 5
  - name: worker-ish
    image:
      registry_type: DOCKER_HUB
      repository: nginx
      tag: "1.25"
ingress:
  rules:
    - match:
        path:
          prefix: /api
      component:
        name: api
        preserve_path_prefix: "true"
    - match:
        path:
          prefix: /
      redirect:
        uri: /api
        redirect_code: 302
databases:
  - name: db
    engine: PG
    production: false
    version: "16"
"#;

#[test]
fn yaml_json_yaml_keeps_order_and_values() {
    let spec = AppSpec::from_yaml_str(APP_YAML).unwrap();
    assert_eq!(spec.name.as_deref(), Some("sample-app"));
    let envs = spec.envs.as_ref().unwrap();
    assert_eq!(envs[1].r#type, Some(AppVariableDefinitionType::Secret));
    assert_eq!(spec.services.as_ref().unwrap()[0].http_port, Some(8080));
    assert_eq!(spec.extra.keys().collect::<Vec<_>>(), ["features"]);

    let json_text = spec.to_json_string(false);
    assert!(
        json_text.starts_with(r#"{"name":"sample-app","region":"nyc","envs":[{"key":"LOG_LEVEL""#)
    );
    let from_json = AppSpec::from_json_str(&json_text).unwrap();
    assert_eq!(from_json, spec);
    let yaml_again = from_json.to_yaml_string().unwrap();
    let reread = AppSpec::from_yaml_str(&yaml_again).unwrap();
    assert_eq!(
        reread.to_json_string(false),
        json_text,
        "YAML -> JSON -> YAML -> JSON"
    );
    assert_eq!(
        reread.to_yaml_string().unwrap(),
        yaml_again,
        "YAML output is stable"
    );
    // Same data as a plain YAML reading of the original text, in the same key order.
    let plain: Value = serde_yaml_ng::from_str(APP_YAML).unwrap();
    assert_eq!(json_text, compact(&plain));
    assert!(AppSpec::from_json_str(&spec.to_json_string(true)).unwrap() == spec);
}

#[test]
fn spec_format_errors_are_clear() {
    match AppSpec::from_yaml_str("name: x\nservices:\n  - name: a\n   bad: [\n") {
        Err(SpecFormatError::Yaml {
            line: Some(line),
            column: Some(_),
            message,
        }) => {
            assert!(line >= 3, "line {line}: {message}");
        }
        other => panic!("expected a YAML error with a position, got {other:?}"),
    }
    match AppSpec::from_json_str("{\"name\": \"x\",\n \"region\": }") {
        Err(
            err @ SpecFormatError::Json {
                line: Some(2),
                column: Some(_),
                ..
            },
        ) => {
            assert!(err.to_string().contains("line 2"), "{err}");
        }
        other => panic!("expected a JSON error at line 2, got {other:?}"),
    }
    match AppSpec::from_yaml_str("- just\n- a list\n") {
        Err(err @ SpecFormatError::NotAnObject { found: "an array" }) => {
            assert!(err.to_string().contains("an array"));
        }
        other => panic!("expected NotAnObject, got {other:?}"),
    }
}

#[test]
fn committed_generated_files_are_current() {
    let output = Command::new("python3")
        .arg("tools/gen_models.py")
        .arg("--check")
        .current_dir(manifest_dir())
        .output()
        .expect("python3 must be installed to run the generator check");
    assert!(
        output.status.success(),
        "generated files are stale; run `python3 tools/gen_models.py`:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Property test: random JSON objects, with keys the models know, round-trip exactly.

const KNOWN_KEYS: &[&str] = &[
    // App / AppSpec
    "id",
    "spec",
    "name",
    "region",
    "envs",
    "services",
    "workers",
    "jobs",
    "static_sites",
    "functions",
    "databases",
    "domains",
    "ingress",
    "egress",
    "maintenance",
    "vpc",
    "disable_edge_cache",
    "active_deployment",
    "pending_deployment",
    "created_at",
    "tier_slug",
    // components, env vars, ingress
    "key",
    "value",
    "type",
    "scope",
    "instance_count",
    "http_port",
    "internal_ports",
    "github",
    "repo",
    "branch",
    "deploy_on_push",
    "health_check",
    "autoscaling",
    "metrics",
    "cpu",
    "percent",
    "rules",
    "match",
    "path",
    "prefix",
    "component",
    "redirect",
    "cors",
    "allow_origins",
    "phase",
    "progress",
    "steps",
    "log_destinations",
    "datadog",
    "api_key",
    "image",
    "tag",
];

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KNOWN_KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{1,8}",
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        proptest::sample::select(
            &[
                "SECRET",
                "GENERAL",
                "nyc",
                "RUN_TIME",
                "ACTIVE",
                "EV[1:a:b]"
            ][..]
        )
        .prop_map(Value::from),
        ".{0,6}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((json_key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    proptest::collection::vec((json_key(), json_value()), 0..10)
        .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>()))
}

proptest! {
    // No regression file: failures print the minimal input, which is what a fix needs.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_objects_round_trip_exactly(spec in json_object(), app in json_object()) {
        for (schema, value) in [("app_spec", &spec), ("app", &app), ("app_service_spec", &app)] {
            let back = roundtrip_schema(schema, value.clone()).unwrap().unwrap();
            prop_assert_eq!(compact(&back), compact(value));
        }
        // Through text: compare with serde_json's own reading of the same text (its default
        // float parser may differ from the generated f64 in the last digit).
        let text = compact(&spec);
        let parsed: Value = serde_json::from_str(&text).unwrap();
        let typed: AppSpec = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(serde_json::to_string(&typed).unwrap(), compact(&parsed));
        let typed: App = serde_json::from_value(app.clone()).unwrap();
        prop_assert_eq!(compact(&typed.to_value()), compact(&app));
    }
}
