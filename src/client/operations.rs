//! The table of DigitalOcean operations this client knows: one entry per operationId of the
//! App Platform OpenAPI bundle plus `account_get`. The typed per-operation methods and the
//! Python bindings are written against these entries.
use http::Method;

/// One API operation: how to call it and how to treat it.
#[derive(Debug, PartialEq, Eq)]
pub struct Operation {
    /// Snake-case name: the operationId without its `apps_` prefix (`account_get` keeps its prefix).
    pub name: &'static str,
    /// The operationId exactly as in DigitalOcean's OpenAPI document.
    pub operation_id: &'static str,
    pub method: Method,
    /// Path template with `{param}` placeholders, e.g. `/v2/apps/{app_id}/deployments/{deployment_id}`.
    pub path: &'static str,
    /// A POST that changes nothing server-side and may therefore be retried like a GET.
    pub retry_safe: bool,
    /// For paginated list operations: the key of the item array in each page.
    pub list_key: Option<&'static str>,
}

impl Operation {
    /// Whether a failed attempt may be repeated without risking a duplicate side effect.
    pub fn is_retryable(&self) -> bool {
        self.retry_safe || crate::client::retry::method_is_idempotent(&self.method)
    }

    /// Names of the `{param}` placeholders of the path template, in order.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }
}

const fn op(
    name: &'static str,
    operation_id: &'static str,
    method: Method,
    path: &'static str,
) -> Operation {
    Operation {
        name,
        operation_id,
        method,
        path,
        retry_safe: false,
        list_key: None,
    }
}

const fn list(
    name: &'static str,
    operation_id: &'static str,
    path: &'static str,
    list_key: &'static str,
) -> Operation {
    Operation {
        name,
        operation_id,
        method: Method::GET,
        path,
        retry_safe: false,
        list_key: Some(list_key),
    }
}

/// A POST that only reads or validates (no side effect), so it may be retried.
const fn read_only_post(
    name: &'static str,
    operation_id: &'static str,
    path: &'static str,
) -> Operation {
    Operation {
        name,
        operation_id,
        method: Method::POST,
        path,
        retry_safe: true,
        list_key: None,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const DELETE: Method = Method::DELETE;

pub static ACCOUNT_GET: Operation = op("account_get", "account_get", GET, "/v2/account");

/// Every operation, in the order of DigitalOcean's OpenAPI document.
pub static OPERATIONS: &[Operation] = &[
    op("account_get", "account_get", GET, "/v2/account"),
    list("list", "apps_list", "/v2/apps", "apps"),
    op("create", "apps_create", POST, "/v2/apps"),
    op("delete", "apps_delete", DELETE, "/v2/apps/{id}"),
    op("get", "apps_get", GET, "/v2/apps/{id}"),
    op("update", "apps_update", PUT, "/v2/apps/{id}"),
    op("restart", "apps_restart", POST, "/v2/apps/{app_id}/restart"),
    op(
        "get_logs_active_deployment",
        "apps_get_logs_active_deployment",
        GET,
        "/v2/apps/{app_id}/components/{component_name}/logs",
    ),
    op(
        "get_exec_active_deployment",
        "apps_get_exec_active_deployment",
        GET,
        "/v2/apps/{app_id}/components/{component_name}/exec",
    ),
    op(
        "get_instances",
        "apps_get_instances",
        GET,
        "/v2/apps/{app_id}/instances",
    ),
    list(
        "list_deployments",
        "apps_list_deployments",
        "/v2/apps/{app_id}/deployments",
        "deployments",
    ),
    op(
        "create_deployment",
        "apps_create_deployment",
        POST,
        "/v2/apps/{app_id}/deployments",
    ),
    op(
        "get_deployment",
        "apps_get_deployment",
        GET,
        "/v2/apps/{app_id}/deployments/{deployment_id}",
    ),
    op(
        "cancel_deployment",
        "apps_cancel_deployment",
        POST,
        "/v2/apps/{app_id}/deployments/{deployment_id}/cancel",
    ),
    op(
        "get_logs",
        "apps_get_logs",
        GET,
        "/v2/apps/{app_id}/deployments/{deployment_id}/components/{component_name}/logs",
    ),
    op(
        "get_logs_aggregate",
        "apps_get_logs_aggregate",
        GET,
        "/v2/apps/{app_id}/deployments/{deployment_id}/logs",
    ),
    op(
        "get_exec",
        "apps_get_exec",
        GET,
        "/v2/apps/{app_id}/deployments/{deployment_id}/components/{component_name}/exec",
    ),
    op(
        "get_logs_active_deployment_aggregate",
        "apps_get_logs_active_deployment_aggregate",
        GET,
        "/v2/apps/{app_id}/logs",
    ),
    list(
        "list_job_invocations",
        "apps_list_job_invocations",
        "/v2/apps/{app_id}/job-invocations",
        "job_invocations",
    ),
    op(
        "get_job_invocation",
        "apps_get_job_invocation",
        GET,
        "/v2/apps/{app_id}/job-invocations/{job_invocation_id}",
    ),
    op(
        "cancel_job_invocation",
        "apps_cancel_job_invocation",
        POST,
        "/v2/apps/{app_id}/job-invocations/{job_invocation_id}/cancel",
    ),
    op(
        "get_job_invocation_logs",
        "apps_get_job_invocation_logs",
        GET,
        "/v2/apps/{app_id}/jobs/{job_name}/invocations/{job_invocation_id}/logs",
    ),
    list(
        "list_events",
        "apps_list_events",
        "/v2/apps/{app_id}/events",
        "events",
    ),
    op(
        "get_event",
        "apps_get_event",
        GET,
        "/v2/apps/{app_id}/events/{event_id}",
    ),
    op(
        "cancel_event",
        "apps_cancel_event",
        POST,
        "/v2/apps/{app_id}/events/{event_id}/cancel",
    ),
    op(
        "get_event_logs",
        "apps_get_event_logs",
        GET,
        "/v2/apps/{app_id}/events/{event_id}/logs",
    ),
    op(
        "list_instance_sizes",
        "apps_list_instanceSizes",
        GET,
        "/v2/apps/tiers/instance_sizes",
    ),
    op(
        "get_instance_size",
        "apps_get_instanceSize",
        GET,
        "/v2/apps/tiers/instance_sizes/{slug}",
    ),
    op("list_regions", "apps_list_regions", GET, "/v2/apps/regions"),
    read_only_post(
        "validate_app_spec",
        "apps_validate_appSpec",
        "/v2/apps/propose",
    ),
    op(
        "list_alerts",
        "apps_list_alerts",
        GET,
        "/v2/apps/{app_id}/alerts",
    ),
    op(
        "assign_alert_destinations",
        "apps_assign_alertDestinations",
        POST,
        "/v2/apps/{app_id}/alerts/{alert_id}/destinations",
    ),
    op(
        "create_rollback",
        "apps_create_rollback",
        POST,
        "/v2/apps/{app_id}/rollback",
    ),
    // Validation only: "check whether an app can be rolled back", nothing is changed.
    read_only_post(
        "validate_rollback",
        "apps_validate_rollback",
        "/v2/apps/{app_id}/rollback/validate",
    ),
    op(
        "commit_rollback",
        "apps_commit_rollback",
        POST,
        "/v2/apps/{app_id}/rollback/commit",
    ),
    op(
        "revert_rollback",
        "apps_revert_rollback",
        POST,
        "/v2/apps/{app_id}/rollback/revert",
    ),
    op(
        "get_metrics_bandwidth_daily",
        "apps_get_metrics_bandwidth_daily",
        GET,
        "/v2/apps/{app_id}/metrics/bandwidth_daily",
    ),
    read_only_post(
        "list_metrics_bandwidth_daily",
        "apps_list_metrics_bandwidth_daily",
        "/v2/apps/metrics/bandwidth_daily",
    ),
    op(
        "get_health",
        "apps_get_health",
        GET,
        "/v2/apps/{app_id}/health",
    ),
];

/// Looks an operation up by its snake name; `propose` is accepted for `validate_app_spec`.
pub fn operation(name: &str) -> Option<&'static Operation> {
    let name = match name {
        "propose" => "validate_app_spec",
        other => other,
    };
    OPERATIONS.iter().find(|op| op.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn bundle() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/openapi/apps-bundle.json"
        );
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("the OpenAPI bundle must be readable at {path}: {e}"));
        serde_json::from_str(&text).expect("the OpenAPI bundle is valid JSON")
    }

    #[test]
    fn table_matches_the_openapi_bundle_exactly() {
        let bundle = bundle();
        let paths = bundle["paths"].as_object().expect("bundle has paths");
        let mut seen = HashSet::new();
        for (path, item) in paths {
            for (method, operation) in item.as_object().unwrap() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if !matches!(
                    method,
                    Method::GET | Method::POST | Method::PUT | Method::DELETE | Method::PATCH
                ) {
                    continue;
                }
                let id = operation["operationId"].as_str().expect("operationId");
                let matching: Vec<_> = OPERATIONS
                    .iter()
                    .filter(|op| op.operation_id == id)
                    .collect();
                assert_eq!(matching.len(), 1, "{id} must appear exactly once");
                let op = matching[0];
                assert_eq!(op.method, method, "method of {id}");
                assert_eq!(op.path, path, "path of {id}");
                assert!(seen.insert(id.to_string()));

                // Paginated exactly when the bundle declares page/per_page query parameters.
                let params = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let has_page = params.iter().any(|p| {
                    p["$ref"]
                        .as_str()
                        .is_some_and(|r| r.ends_with("/page") || r.ends_with("/per_page"))
                        || p["name"] == "per_page"
                });
                assert_eq!(op.list_key.is_some(), has_page, "list_key of {id}");
            }
        }
        assert_eq!(
            seen.len(),
            OPERATIONS.len(),
            "no operation outside the bundle"
        );
        assert_eq!(OPERATIONS.len(), 39);
    }

    #[test]
    fn list_keys_are_properties_of_the_success_schema() {
        let bundle = bundle();
        let resolve = |v: &serde_json::Value| {
            let mut v = v.clone();
            while let Some(r) = v.get("$ref").and_then(|r| r.as_str()).map(str::to_string) {
                v = bundle
                    .pointer(r.trim_start_matches('#'))
                    .expect("ref resolves")
                    .clone();
            }
            v
        };
        for op in OPERATIONS.iter().filter(|op| op.list_key.is_some()) {
            let item = &bundle["paths"][op.path]["get"];
            let response = resolve(&item["responses"]["200"]);
            let schema = resolve(&response["content"]["application/json"]["schema"]);
            let mut names = Vec::new();
            let mut stack = vec![schema];
            while let Some(s) = stack.pop() {
                let s = resolve(&s);
                if let Some(all) = s["allOf"].as_array() {
                    stack.extend(all.iter().cloned());
                }
                if let Some(props) = s["properties"].as_object() {
                    names.extend(props.keys().cloned());
                }
            }
            let key = op.list_key.unwrap();
            assert!(
                names.iter().any(|n| n == key),
                "{}: {key} not in {names:?}",
                op.name
            );
            assert!(names.iter().any(|n| n == "links"), "{} has links", op.name);
        }
    }

    #[test]
    fn names_are_unique_and_lookup_works() {
        let names: HashSet<_> = OPERATIONS.iter().map(|op| op.name).collect();
        assert_eq!(names.len(), OPERATIONS.len());
        assert_eq!(
            operation("propose").unwrap().operation_id,
            "apps_validate_appSpec"
        );
        assert_eq!(operation("list").unwrap().list_key, Some("apps"));
        assert_eq!(*operation("account_get").unwrap(), ACCOUNT_GET);
        assert!(operation("nope").is_none());
        let retry_safe_posts: Vec<_> = OPERATIONS
            .iter()
            .filter(|op| op.method == Method::POST && op.retry_safe)
            .map(|op| op.name)
            .collect();
        assert_eq!(
            retry_safe_posts,
            [
                "validate_app_spec",
                "validate_rollback",
                "list_metrics_bandwidth_daily"
            ]
        );
        assert!(!operation("update").unwrap().retry_safe);
        assert!(
            operation("update").unwrap().is_retryable(),
            "PUT is idempotent"
        );
        assert!(!operation("create").unwrap().is_retryable());
        assert_eq!(
            operation("get_logs")
                .unwrap()
                .path_params()
                .collect::<Vec<_>>(),
            ["app_id", "deployment_id", "component_name"]
        );
    }
}
