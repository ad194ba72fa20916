//! The OpenAPI 3.1 document of the server, built as utoipa's typed model (so it is a
//! well-formed OpenAPI document by construction) from a compact route table that mirrors
//! [`router`](super::router). `tests` checks that every documented route is served.

use std::sync::OnceLock;

use serde_json::{json, Value};
use utoipa::openapi::OpenApi;

use super::connections::BASE as CONNECTIONS;
use super::syncs::BASE as SYNCS;

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["reqId", "statusCode", "message", "error"],
        "properties": {
            "reqId": {"type": "string"},
            "statusCode": {"type": "integer"},
            "message": {"type": "string"},
            "error": {"type": "string"}
        }
    })
}

fn connection_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "name", "app", "method", "credentials", "version", "createdAt", "updatedAt"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "orgId": {"type": ["string", "null"]},
            "projectId": {"type": ["string", "null"]},
            "app": {"type": "string", "const": "digital-ocean"},
            "method": {"type": "string", "const": "api-token"},
            "credentials": {"type": "object", "maxProperties": 0},
            "credentialsHash": {"type": "string"},
            "version": {"type": "integer"},
            "createdAt": {"type": "string"},
            "updatedAt": {"type": ["string", "null"]},
            "isPlatformManagedCredentials": {"type": "boolean", "const": false},
            "gatewayId": {"type": "null"},
            "isAutoRotationEnabled": {"type": "boolean", "const": false},
            "rotation": {"type": "null"},
            "baseUrl": {"type": "string"}
        }
    })
}

fn sync_schema() -> Value {
    let status = json!({"type": ["string", "null"], "enum": ["pending", "running", "succeeded", "failed", null]});
    let text = json!({"type": ["string", "null"]});
    json!({
        "type": "object",
        "required": ["id", "name", "destination", "connectionId", "syncOptions", "destinationConfig", "syncStatus", "version"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "description": text,
            "destination": {"type": "string", "const": "digital-ocean-app-platform"},
            "isAutoSyncEnabled": {"type": "boolean"},
            "isEnabled": {"type": "boolean"},
            "version": {"type": "integer"},
            "projectId": text,
            "connectionId": {"type": "string"},
            "connection": {"type": "object"},
            "environment": {"type": ["object", "null"]},
            "folder": {"type": ["object", "null"]},
            "source": {"type": "object"},
            "secretPath": text,
            "syncOptions": {"type": "object"},
            "destinationConfig": {
                "type": "object",
                "required": ["appId", "appName"],
                "properties": {"appId": {"type": "string"}, "appName": {"type": "string"}}
            },
            "syncStatus": status, "lastSyncJobId": text, "lastSyncMessage": text, "lastSyncedAt": text,
            "importStatus": status, "lastImportJobId": text, "lastImportMessage": text, "lastImportedAt": text,
            "removeStatus": status, "lastRemoveJobId": text, "lastRemoveMessage": text, "lastRemovedAt": text,
            "createdAt": {"type": "string"},
            "updatedAt": {"type": "string"}
        }
    })
}

fn wrapped(key: &str, item: &str, many: bool) -> Value {
    let reference = json!({"$ref": format!("#/components/schemas/{item}")});
    let inner = if many {
        json!({"type": "array", "items": reference})
    } else {
        reference
    };
    json!({"type": "object", "required": [key], "properties": {key: inner}})
}

fn error_responses(codes: &[u16]) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for code in codes {
        let description = match code {
            400 => "Bad request (nothing was changed)",
            401 => "No or wrong API key",
            404 => "Not found",
            409 => "Changed by another writer meanwhile (nothing was changed)",
            502 => "DigitalOcean could not be reached or failed",
            _ => "Error",
        };
        out.insert(
            code.to_string(),
            json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
    }
    out
}

struct Op {
    method: &'static str,
    path: String,
    id: &'static str,
    summary: &'static str,
    params: &'static [(&'static str, &'static str)],
    body: Option<Value>,
    ok: Value,
    errors: &'static [u16],
}

fn operations() -> Vec<Op> {
    let conn = || wrapped("appConnection", "AppConnection", false);
    let sync = || wrapped("secretSync", "SecretSync", false);
    let any_object = || json!({"type": "object"});
    let c = CONNECTIONS;
    let s = SYNCS;
    const ID: &[(&str, &str)] = &[("id", "path")];
    vec![
        Op { method: "get", path: c.into(), id: "listConnections", summary: "List DigitalOcean connections", params: &[], body: None, ok: wrapped("appConnections", "AppConnection", true), errors: &[401] },
        Op { method: "post", path: c.into(), id: "createConnection", summary: "Create a connection ({name, method: api-token, credentials: {apiToken}, description}; the token is checked with DigitalOcean)", params: &[], body: Some(json!({"type": "object", "required": ["name", "credentials"], "properties": {"name": {"type": "string"}, "method": {"type": "string", "const": "api-token"}, "credentials": {"type": "object", "required": ["apiToken"], "properties": {"apiToken": {"type": "string"}}}, "description": {"type": ["string", "null"]}, "baseUrl": {"type": ["string", "null"]}}})), ok: conn(), errors: &[400, 401, 502] },
        Op { method: "get", path: format!("{c}/connection-name/{{name}}"), id: "getConnectionByName", summary: "Get a connection by name", params: &[("name", "path")], body: None, ok: conn(), errors: &[401, 404] },
        Op { method: "get", path: format!("{c}/{{id}}"), id: "getConnection", summary: "Get a connection by id", params: ID, body: None, ok: conn(), errors: &[401, 404] },
        Op { method: "patch", path: format!("{c}/{{id}}"), id: "updateConnection", summary: "Update a connection (version increments); isPlatformManagedCredentials, gatewayId, isAutoRotationEnabled and rotation are not supported", params: ID, body: Some(json!({"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": ["string", "null"]}, "credentials": {"type": "object"}, "isPlatformManagedCredentials": {"type": "boolean", "const": false}, "gatewayId": {"type": "null"}, "isAutoRotationEnabled": {"type": "boolean", "const": false}, "rotation": {"type": "null"}, "baseUrl": {"type": ["string", "null"]}}})), ok: conn(), errors: &[400, 401, 404, 409, 502] },
        Op { method: "delete", path: format!("{c}/{{id}}"), id: "deleteConnection", summary: "Delete a connection (refused while a sync uses it)", params: ID, body: None, ok: conn(), errors: &[400, 401, 404] },
        Op { method: "get", path: format!("{c}/{{id}}/apps"), id: "listConnectionApps", summary: "The apps the connection can see (all pages)", params: ID, body: None, ok: json!({"type": "object", "required": ["apps"], "properties": {"apps": {"type": "array", "items": {"type": "object", "required": ["id", "spec"], "properties": {"id": {"type": "string"}, "spec": {"type": "object", "properties": {"name": {"type": ["string", "null"]}}}}}}}}), errors: &[401, 404, 502] },
        Op { method: "get", path: s.into(), id: "listSyncs", summary: "List App Platform syncs (optionally of one Infisical projectId)", params: &[("projectId", "query")], body: None, ok: wrapped("secretSyncs", "SecretSync", true), errors: &[401] },
        Op { method: "post", path: s.into(), id: "createSync", summary: "Create a sync: Infisical's request (projectId, environment, secretPath, with --infisical-url) or a source object", params: &[], body: Some(any_object()), ok: sync(), errors: &[400, 401, 404, 502] },
        Op { method: "get", path: format!("{s}/sync-name/{{name}}"), id: "getSyncByName", summary: "Get a sync by name", params: &[("name", "path")], body: None, ok: sync(), errors: &[401, 404] },
        Op { method: "get", path: format!("{s}/{{id}}"), id: "getSync", summary: "Get a sync by id", params: ID, body: None, ok: sync(), errors: &[401, 404] },
        Op { method: "patch", path: format!("{s}/{{id}}"), id: "updateSync", summary: "Update a sync (version increments)", params: ID, body: Some(any_object()), ok: sync(), errors: &[400, 401, 404, 409, 502] },
        Op { method: "delete", path: format!("{s}/{{id}}"), id: "deleteSync", summary: "Delete a sync; removeSecrets=true first removes what it wrote", params: &[("id", "path"), ("removeSecrets", "query")], body: None, ok: sync(), errors: &[400, 401, 404, 409, 502] },
        Op { method: "post", path: format!("{s}/{{id}}/sync-secrets"), id: "syncSecrets", summary: "Run the sync now; answers once the run is recorded (syncStatus succeeded or failed)", params: ID, body: None, ok: sync(), errors: &[400, 401, 404, 502] },
        Op { method: "post", path: format!("{s}/{{id}}/remove-secrets"), id: "removeSecrets", summary: "Remove what the sync wrote; answers once the run is recorded", params: ID, body: None, ok: sync(), errors: &[400, 401, 404, 502] },
        Op { method: "post", path: format!("{s}/{{id}}/import-secrets"), id: "importSecrets", summary: "Not supported for DigitalOcean App Platform (400, as Infisical answers)", params: ID, body: None, ok: sync(), errors: &[400, 401, 404] },
    ]
}

fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for op in operations() {
        let parameters: Vec<Value> = op
            .params
            .iter()
            .map(|(name, place)| {
                let schema = if *name == "removeSecrets" {
                    json!({"type": "string", "enum": ["true", "false"]})
                } else {
                    json!({"type": "string"})
                };
                json!({"name": name, "in": place, "required": *place == "path", "schema": schema})
            })
            .collect();
        let mut responses = error_responses(op.errors);
        responses.insert(
            "200".into(),
            json!({"description": "OK", "content": {"application/json": {"schema": op.ok}}}),
        );
        let mut operation = json!({
            "operationId": op.id,
            "summary": op.summary,
            "parameters": parameters,
            "responses": responses,
            "security": [{"bearer": []}],
        });
        if let Some(body) = op.body {
            operation["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": body}}});
        }
        let item = paths.entry(op.path).or_insert_with(|| json!({}));
        item[op.method] = operation;
    }
    paths.insert(
        "/healthz".into(),
        json!({"get": {"operationId": "healthz", "summary": "Liveness and the store's state (no auth)", "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "store"]}}}},
            "503": {"description": "The store is not usable", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "store"]}}}}
        }}}),
    );
    paths.insert(
        "/metrics".into(),
        json!({"get": {"operationId": "metrics", "summary": "Prometheus (OpenMetrics) text (no auth)", "responses": {
            "200": {"description": "OK", "content": {"application/openmetrics-text": {"schema": {"type": "string"}}}}
        }}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "do-envsync serve",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Infisical's app-connection and secret-sync REST API for DigitalOcean App Platform, self-hosted."
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": error_schema(),
                "AppConnection": connection_schema(),
                "SecretSync": sync_schema()
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key from `do-envsync serve keys create NAME`"}}
        }
    })
}

/// The document as served (built and checked once).
pub fn document_json() -> String {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        let typed: OpenApi =
            serde_json::from_value(document()).expect("the OpenAPI document fits utoipa's model");
        typed.to_json().expect("an OpenAPI document serializes")
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_valid_and_lists_every_route() {
        let doc: Value = serde_json::from_str(&document_json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        assert_eq!(operations().len(), 16);
        for op in operations() {
            assert!(
                paths[&op.path][op.method].is_object(),
                "{} {}",
                op.method,
                op.path
            );
        }
    }
}
