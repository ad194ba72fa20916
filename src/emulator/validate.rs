//! App spec validation, per the AppSpec schema of the OpenAPI bundle and NOTES.md.
//!
//! Messages follow App Platform's style:
//! `error validating app spec field "services[0].envs[1].key": ...`. Validation is pure:
//! it never changes the spec, and a failure means the request changes nothing.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::spec_walk::{env_lists, COMPONENT_KINDS};

static NAME_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$").expect("valid regex"));
static ENV_KEY_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[_A-Za-z][_A-Za-z0-9]*$").expect("valid regex"));

const ENV_SCOPES: &[&str] = &["UNSET", "RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"];
const ENV_TYPES: &[&str] = &["GENERAL", "SECRET"];
const DOMAIN_TYPES: &[&str] = &["UNSPECIFIED", "DEFAULT", "PRIMARY", "ALIAS"];
const TLS_VERSIONS: &[&str] = &["1.2", "1.3"];
const JOB_KINDS: &[&str] = &["UNSPECIFIED", "PRE_DEPLOY", "POST_DEPLOY", "FAILED_DEPLOY"];
const DB_ENGINES: &[&str] = &[
    "UNSET",
    "MYSQL",
    "PG",
    "REDIS",
    "MONGODB",
    "KAFKA",
    "OPENSEARCH",
    "VALKEY",
];
const ALERT_RULES: &[&str] = &[
    "UNSPECIFIED_RULE",
    "CPU_UTILIZATION",
    "MEM_UTILIZATION",
    "RESTART_COUNT",
    "DEPLOYMENT_FAILED",
    "DEPLOYMENT_LIVE",
    "DOMAIN_FAILED",
    "DOMAIN_LIVE",
    "AUTOSCALE_FAILED",
    "AUTOSCALE_SUCCEEDED",
    "FUNCTIONS_ACTIVATION_COUNT",
    "FUNCTIONS_AVERAGE_DURATION_MS",
    "FUNCTIONS_ERROR_RATE_PER_MINUTE",
    "FUNCTIONS_AVERAGE_WAIT_TIME_MS",
    "FUNCTIONS_ERROR_COUNT",
    "FUNCTIONS_GB_RATE_PER_SECOND",
    "REQUESTS_PER_SECOND",
    "REQUEST_DURATION_P95_MS",
];
const ALERT_OPERATORS: &[&str] = &["UNSPECIFIED_OPERATOR", "GREATER_THAN", "LESS_THAN"];
const ALERT_WINDOWS: &[&str] = &[
    "UNSPECIFIED_WINDOW",
    "FIVE_MINUTES",
    "TEN_MINUTES",
    "THIRTY_MINUTES",
    "ONE_HOUR",
];
/// Component kinds that may carry their own `alerts`.
const ALERTING_KINDS: &[&str] = &["services", "workers", "jobs", "functions"];

fn field_error(field: &str, problem: &str) -> String {
    format!("error validating app spec field \"{field}\": {problem}")
}

/// Extracts the `spec` member of a create/update/propose body (validate it with
/// [`validate_spec`]).
pub(crate) fn spec_of_body(body: &Value) -> Result<&Value, String> {
    let Some(obj) = body.as_object() else {
        return Err("invalid request body: expected a JSON object".to_string());
    };
    match obj.get("spec") {
        None | Some(Value::Null) => Err("error validating app spec: spec is required".to_string()),
        Some(spec @ Value::Object(_)) => Ok(spec),
        Some(_) => Err("error validating app spec: spec must be an object".to_string()),
    }
}

/// Validates an app spec; `Err` carries the first problem found.
pub(crate) fn validate_spec(spec: &Value) -> Result<(), String> {
    let Some(obj) = spec.as_object() else {
        return Err("error validating app spec: spec must be an object".to_string());
    };
    match obj.get("name") {
        None | Some(Value::Null) => return Err(field_error("name", "is required")),
        Some(Value::String(name)) => check_name("name", name)?,
        Some(_) => return Err(field_error("name", "must be a string")),
    }
    optional_string(obj, "region", "region")?;
    for kind in COMPONENT_KINDS
        .iter()
        .copied()
        .chain(["envs", "domains", "alerts"])
    {
        match obj.get(kind) {
            None | Some(Value::Null) | Some(Value::Array(_)) => {}
            Some(_) => return Err(field_error(kind, "must be an array")),
        }
    }
    validate_components(obj)?;
    validate_envs(spec)?;
    validate_domains(obj)?;
    validate_alerts(obj.get("alerts"), "alerts")?;
    Ok(())
}

fn check_name(field: &str, name: &str) -> Result<(), String> {
    if NAME_RE.is_match(name) {
        Ok(())
    } else {
        Err(field_error(
            field,
            &format!(
                "\"{name}\" is invalid: must be 2 to 32 characters of lowercase letters, digits and dashes, start with a letter and end with a letter or digit (pattern ^[a-z][a-z0-9-]{{0,30}}[a-z0-9]$)"
            ),
        ))
    }
}

fn optional_string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field_error(field, "must be a string")),
    }
}

fn check_enum(
    obj: &Map<String, Value>,
    key: &str,
    field: &str,
    allowed: &[&str],
) -> Result<(), String> {
    if let Some(value) = optional_string(obj, key, field)? {
        if !allowed.contains(&value) {
            return Err(field_error(
                field,
                &format!("\"{value}\" is not one of {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn validate_components(obj: &Map<String, Value>) -> Result<(), String> {
    let mut seen: HashSet<&str> = HashSet::new();
    for kind in COMPONENT_KINDS {
        let Some(Value::Array(list)) = obj.get(kind) else {
            continue;
        };
        for (index, component) in list.iter().enumerate() {
            let at = format!("{kind}[{index}]");
            let Some(component) = component.as_object() else {
                return Err(field_error(&at, "must be an object"));
            };
            let name_field = format!("{at}.name");
            let name = match component.get("name") {
                None | Some(Value::Null) => return Err(field_error(&name_field, "is required")),
                Some(Value::String(name)) => name.as_str(),
                Some(_) => return Err(field_error(&name_field, "must be a string")),
            };
            check_name(&name_field, name)?;
            if !seen.insert(name) {
                return Err(field_error(
                    &name_field,
                    &format!("component name \"{name}\" is used more than once; component names must be unique across the app"),
                ));
            }
            if let Some(count) = component.get("instance_count") {
                if !count.is_null() && count.as_u64().is_none() {
                    return Err(field_error(
                        &format!("{at}.instance_count"),
                        "must be a non-negative integer",
                    ));
                }
            }
            optional_string(
                component,
                "instance_size_slug",
                &format!("{at}.instance_size_slug"),
            )?;
            match kind {
                "jobs" => check_enum(component, "kind", &format!("{at}.kind"), JOB_KINDS)?,
                "databases" => {
                    check_enum(component, "engine", &format!("{at}.engine"), DB_ENGINES)?
                }
                _ => {}
            }
            if ALERTING_KINDS.contains(&kind) {
                validate_alerts(component.get("alerts"), &format!("{at}.alerts"))?;
            }
            if let Some(envs) = component.get("envs") {
                if !envs.is_null() && !envs.is_array() {
                    return Err(field_error(&format!("{at}.envs"), "must be an array"));
                }
            }
        }
    }
    Ok(())
}

fn validate_envs(spec: &Value) -> Result<(), String> {
    for (path, envs) in env_lists(spec) {
        let prefix = path.display();
        let mut keys: HashSet<&str> = HashSet::new();
        for (index, env) in envs.iter().enumerate() {
            let at = format!("{prefix}[{index}]");
            let Some(env) = env.as_object() else {
                return Err(field_error(&at, "must be an object"));
            };
            let key_field = format!("{at}.key");
            let key = match env.get("key") {
                None | Some(Value::Null) => return Err(field_error(&key_field, "is required")),
                Some(Value::String(key)) => key.as_str(),
                Some(_) => return Err(field_error(&key_field, "must be a string")),
            };
            if !ENV_KEY_RE.is_match(key) {
                return Err(field_error(
                    &key_field,
                    &format!(
                        "\"{key}\" is invalid: env var keys must match ^[_A-Za-z][_A-Za-z0-9]*$"
                    ),
                ));
            }
            if !keys.insert(key) {
                return Err(field_error(
                    &key_field,
                    &format!("duplicate env var key \"{key}\""),
                ));
            }
            optional_string(env, "value", &format!("{at}.value"))?;
            check_enum(env, "scope", &format!("{at}.scope"), ENV_SCOPES)?;
            check_enum(env, "type", &format!("{at}.type"), ENV_TYPES)?;
        }
    }
    Ok(())
}

fn validate_domains(obj: &Map<String, Value>) -> Result<(), String> {
    let Some(Value::Array(domains)) = obj.get("domains") else {
        return Ok(());
    };
    for (index, domain) in domains.iter().enumerate() {
        let at = format!("domains[{index}]");
        let Some(domain) = domain.as_object() else {
            return Err(field_error(&at, "must be an object"));
        };
        if optional_string(domain, "domain", &format!("{at}.domain"))?.is_none() {
            return Err(field_error(&format!("{at}.domain"), "is required"));
        }
        check_enum(domain, "type", &format!("{at}.type"), DOMAIN_TYPES)?;
        check_enum(
            domain,
            "minimum_tls_version",
            &format!("{at}.minimum_tls_version"),
            TLS_VERSIONS,
        )?;
    }
    Ok(())
}

fn validate_alerts(alerts: Option<&Value>, field: &str) -> Result<(), String> {
    let alerts = match alerts {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(alerts)) => alerts,
        Some(_) => return Err(field_error(field, "must be an array")),
    };
    for (index, alert) in alerts.iter().enumerate() {
        let at = format!("{field}[{index}]");
        let Some(alert) = alert.as_object() else {
            return Err(field_error(&at, "must be an object"));
        };
        check_enum(alert, "rule", &format!("{at}.rule"), ALERT_RULES)?;
        check_enum(
            alert,
            "operator",
            &format!("{at}.operator"),
            ALERT_OPERATORS,
        )?;
        check_enum(alert, "window", &format!("{at}.window"), ALERT_WINDOWS)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(spec: Value) -> String {
        validate_spec(&spec).expect_err("spec should be rejected")
    }

    #[test]
    fn accepts_full_spec_with_unknown_fields_and_nulls() {
        let spec = json!({
            "name": "web-app-01", "region": "xyz", "features": ["buildpack-stack=ubuntu-22"],
            "maintenance": {"enabled": false}, "ingress": null,
            "envs": [{"key": "_A1", "value": "${db.DATABASE_URL}", "scope": "RUN_TIME", "type": "GENERAL"},
                     {"key": "B", "value": null, "scope": null}],
            "services": [{"name": "api", "instance_size_slug": "anything", "instance_count": 2,
                          "envs": [{"key": "A", "type": "SECRET", "value": "s"}],
                          "alerts": [{"rule": "CPU_UTILIZATION", "operator": "GREATER_THAN", "window": "FIVE_MINUTES"}]}],
            "workers": [{"name": "worker"}], "jobs": [{"name": "migrate", "kind": "PRE_DEPLOY"}],
            "static_sites": [{"name": "site", "envs": []}], "functions": [{"name": "fn"}],
            "databases": [{"name": "db", "engine": "PG"}],
            "domains": [{"domain": "a.example.com", "type": "PRIMARY", "minimum_tls_version": "1.3"}],
            "alerts": [{"rule": "DEPLOYMENT_FAILED"}]
        });
        validate_spec(&spec).unwrap();
    }

    #[test]
    fn spec_and_name_required() {
        assert!(spec_of_body(&json!({}))
            .unwrap_err()
            .contains("spec is required"));
        assert!(spec_of_body(&json!({"spec": null}))
            .unwrap_err()
            .contains("spec is required"));
        assert!(spec_of_body(&json!({"spec": 3}))
            .unwrap_err()
            .contains("object"));
        assert!(spec_of_body(&json!([])).is_err());
        assert!(err(json!({"region": "nyc"})).contains("\"name\": is required"));
    }

    #[test]
    fn name_pattern() {
        for bad in ["A", "a", "1abc", "abc-", "ab_c", "Abc", &"a".repeat(33)] {
            assert!(err(json!({"name": bad})).contains("\"name\""), "{bad}");
        }
        for good in ["ab", "a1", "a-b", &"a".repeat(32)] {
            validate_spec(&json!({"name": good})).unwrap();
        }
    }

    #[test]
    fn env_key_pattern_and_required() {
        let e = err(json!({"name": "app", "services": [{"name": "web", "envs": [
            {"key": "OK"}, {"key": "1BAD"}]}]}));
        assert!(e.contains("\"services[0].envs[1].key\""), "{e}");
        assert!(err(json!({"name": "app", "envs": [{"value": "v"}]}))
            .contains("\"envs[0].key\": is required"));
        assert!(err(json!({"name": "app", "envs": [{"key": "A-B"}]})).contains("envs[0].key"));
    }

    #[test]
    fn env_scope_and_type_enums() {
        assert!(
            err(json!({"name": "app", "envs": [{"key": "A", "scope": "ALWAYS"}]}))
                .contains("\"envs[0].scope\"")
        );
        assert!(err(json!({"name": "app", "jobs": [{"name": "job", "envs": [{"key": "A", "type": "PASSWORD"}]}]}))
            .contains("\"jobs[0].envs[0].type\""));
        assert!(
            err(json!({"name": "app", "envs": [{"key": "A", "value": 3}]}))
                .contains("\"envs[0].value\": must be a string")
        );
    }

    #[test]
    fn duplicate_env_keys_within_one_list_only() {
        assert!(
            err(json!({"name": "app", "envs": [{"key": "A"}, {"key": "A"}]}))
                .contains("duplicate env var key \"A\"")
        );
        // The same key at app level and in a component is shadowing, not a duplicate.
        validate_spec(&json!({"name": "app", "envs": [{"key": "A"}],
            "services": [{"name": "web", "envs": [{"key": "A"}]}]}))
        .unwrap();
    }

    #[test]
    fn duplicate_component_names_across_kinds() {
        let e = err(
            json!({"name": "app", "services": [{"name": "web"}], "workers": [{"name": "web"}]}),
        );
        assert!(
            e.contains("\"workers[0].name\"") && e.contains("more than once"),
            "{e}"
        );
        assert!(
            err(json!({"name": "app", "services": [{"name": "Web"}]})).contains("services[0].name")
        );
        assert!(err(json!({"name": "app", "services": [{}]}))
            .contains("services[0].name\": is required"));
    }

    #[test]
    fn other_enums_and_shapes() {
        assert!(
            err(json!({"name": "app", "jobs": [{"name": "job", "kind": "SOMETIMES"}]}))
                .contains("jobs[0].kind")
        );
        assert!(
            err(json!({"name": "app", "databases": [{"name": "db", "engine": "ORACLE"}]}))
                .contains("databases[0].engine")
        );
        assert!(err(
            json!({"name": "app", "domains": [{"domain": "a.example.com", "type": "MAIN"}]})
        )
        .contains("domains[0].type"));
        assert!(
            err(json!({"name": "app", "domains": [{"type": "PRIMARY"}]}))
                .contains("domains[0].domain")
        );
        assert!(
            err(json!({"name": "app", "alerts": [{"rule": "NOPE"}]})).contains("alerts[0].rule")
        );
        assert!(err(
            json!({"name": "app", "services": [{"name": "web", "alerts": [{"window": "DAY"}]}]})
        )
        .contains("services[0].alerts[0].window"));
        assert!(err(json!({"name": "app", "services": {"name": "web"}}))
            .contains("\"services\": must be an array"));
        assert!(
            err(json!({"name": "app", "services": [{"name": "web", "instance_count": -1}]}))
                .contains("instance_count")
        );
        assert!(err(json!({"name": "app", "region": 5})).contains("\"region\""));
    }
}
