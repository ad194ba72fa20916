//! Validation, canonical forms and split/join of source specs.

use std::path::Path;

use serde_json::json;

use super::*;

fn invalid(value: serde_json::Value) -> String {
    match SourceSpec::from_json(&value) {
        Err(SourceError::Invalid(message)) => message,
        Err(other) => panic!("expected Invalid, got {other:?}"),
        Ok(spec) => panic!("expected an error for {value}, got {spec:?}"),
    }
}

#[test]
fn kinds_and_type_errors() {
    assert!(invalid(json!("dotenv")).contains("must be an object"));
    assert!(invalid(json!({})).contains("needs a \"type\""));
    assert!(invalid(json!({"type": 3})).contains("\"type\" must be a string"));
    assert!(invalid(json!({"type": "vault"})).contains("unknown source type \"vault\""));
}

#[test]
fn unknown_fields_are_rejected_by_name() {
    for (value, field) in [
        (
            json!({"type": "dotenv", "path": ".env", "pathz": 1}),
            "pathz",
        ),
        (
            json!({"type": "env", "prefix": "A_", "strip": true}),
            "strip",
        ),
        (
            json!({"type": "command", "command": "x", "shell": true}),
            "shell",
        ),
        (json!({"type": "inline", "secrets": {}, "keys": []}), "keys"),
        (
            json!({"type": "infisical", "project_id": "p", "environment": "dev",
                   "client_id": "c", "client_secret": "s", "token": "t"}),
            "token",
        ),
    ] {
        let message = invalid(value);
        assert!(
            message.contains(&format!("unknown field \"{field}\"")),
            "{message}"
        );
    }
}

#[test]
fn dotenv_validation_and_forms() {
    let spec = SourceSpec::from_json(&json!({"type": "dotenv", "path": ".env"})).unwrap();
    assert_eq!(spec.watched_paths(), vec![PathBuf::from(".env")]);
    assert_eq!(spec.kind(), "dotenv");
    let spec = SourceSpec::from_json(&json!({"type": "dotenv", "paths": ["a.env", "/abs/b.env"]}))
        .unwrap();
    assert_eq!(spec.describe(), "dotenv: a.env, /abs/b.env");

    assert!(invalid(json!({"type": "dotenv"})).contains("\"paths\" (or \"path\") is required"));
    assert!(invalid(json!({"type": "dotenv", "paths": []})).contains("must not be empty"));
    assert!(invalid(json!({"type": "dotenv", "paths": [""]})).contains("item 0 must not be empty"));
    assert!(invalid(json!({"type": "dotenv", "paths": [1]})).contains("item 0 must be a string"));
    assert!(invalid(json!({"type": "dotenv", "paths": "x"})).contains("must be an array"));
    assert!(invalid(json!({"type": "dotenv", "path": "a", "paths": ["b"]})).contains("not both"));
}

#[test]
fn relative_paths_resolve_against_the_base_dir() {
    let value = json!({"type": "dotenv", "paths": [".env", "./sub/.env.local", "/abs/.env"]});
    let spec = SourceSpec::from_json_in(&value, Path::new("/srv/app")).unwrap();
    assert_eq!(
        spec.watched_paths(),
        vec![
            PathBuf::from("/srv/app/.env"),
            PathBuf::from("/srv/app/sub/.env.local"),
            PathBuf::from("/abs/.env"),
        ]
    );
    let command = json!({"type": "command", "command": ["./get-secrets"]});
    let SourceSpec::Command(c) = SourceSpec::from_json_in(&command, Path::new("/srv/app")).unwrap()
    else {
        panic!("not a command")
    };
    assert_eq!(c.cwd, Some(PathBuf::from("/srv/app")));
    let SourceSpec::Command(c) = SourceSpec::from_json(&command).unwrap() else {
        panic!("not a command")
    };
    assert_eq!(c.cwd, None);
}

#[test]
fn env_validation() {
    let spec = SourceSpec::from_json(&json!({"type": "env", "prefix": "APP_"})).unwrap();
    assert_eq!(
        spec.split().0,
        json!({"type": "env", "prefix": "APP_", "strip_prefix": true})
    );
    assert_eq!(spec.describe(), "env: prefix APP_ (stripped)");
    assert!(invalid(json!({"type": "env", "prefix": ""})).contains("whole environment"));
    assert!(invalid(json!({"type": "env"})).contains("\"prefix\" is required"));
    assert!(invalid(json!({"type": "env", "prefix": "A="})).contains("cannot start"));
    assert!(
        invalid(json!({"type": "env", "prefix": "A_", "strip_prefix": "yes"}))
            .contains("\"strip_prefix\" must be a boolean")
    );
}

#[test]
fn command_validation_and_canonical_form() {
    let spec =
        SourceSpec::from_json(&json!({"type": "command", "command": ["vault", "kv", ""]})).unwrap();
    assert_eq!(
        spec.split(),
        (
            json!({"type": "command", "command": ["vault", "kv", ""], "format": "auto", "timeout": 60}),
            None
        )
    );
    let spec = SourceSpec::from_json(
        &json!({"type": "command", "command": "op inject", "format": "dotenv", "timeout": 2.5}),
    )
    .unwrap();
    assert_eq!(
        spec.split().0,
        json!({"type": "command", "command": "op inject", "format": "dotenv", "timeout": 2.5})
    );
    assert!(invalid(json!({"type": "command", "command": []})).contains("must not be empty"));
    assert!(invalid(json!({"type": "command", "command": "  "})).contains("must not be empty"));
    assert!(invalid(json!({"type": "command", "command": [""]})).contains("program"));
    assert!(invalid(json!({"type": "command", "command": ["a", 1]})).contains("item 1"));
    assert!(invalid(json!({"type": "command", "command": 5})).contains("not a number"));
    assert!(invalid(json!({"type": "command"})).contains("\"command\" is required"));
    assert!(
        invalid(json!({"type": "command", "command": "x", "format": "yaml"}))
            .contains("not one of")
    );
    assert!(invalid(json!({"type": "command", "command": "x", "timeout": 0})).contains("timeout"));
    assert!(
        invalid(json!({"type": "command", "command": "x", "timeout": 99999}))
            .contains("at most 3600")
    );
    assert!(
        invalid(json!({"type": "command", "command": "x", "timeout": "60"}))
            .contains("must be a number")
    );
}

fn infisical_json() -> serde_json::Value {
    json!({"type": "infisical", "project_id": "proj-1", "environment": "prod",
           "client_id": "id-1", "client_secret": "cs-canary-secret"})
}

#[test]
fn infisical_validation_and_defaults() {
    let spec = SourceSpec::from_json(&infisical_json()).unwrap();
    let (public, secret) = spec.split();
    assert_eq!(
        public,
        json!({"type": "infisical", "site_url": "https://app.infisical.com", "project_id": "proj-1",
               "environment": "prod", "secret_path": "/", "recursive": false,
               "include_imports": true, "expand_references": true, "client_id": "id-1"})
    );
    assert_eq!(secret, Some(json!({"client_secret": "cs-canary-secret"})));
    assert_eq!(spec.describe(), "infisical: project proj-1 env prod path /");

    let with = |field: &str, value: serde_json::Value| {
        let mut v = infisical_json();
        v[field] = value;
        v
    };
    assert!(invalid(with("environment", json!("Prod env"))).contains("slug"));
    assert!(invalid(with("secret_path", json!("app"))).contains("must start with /"));
    assert!(
        invalid(with("site_url", json!("http://infisical.example.com"))).contains("non-loopback")
    );
    assert!(invalid(with("recursive", json!(1))).contains("must be a boolean"));
    assert!(invalid(with("client_secret_env", json!("X"))).contains("not both"));
    let mut missing = infisical_json();
    missing.as_object_mut().unwrap().remove("client_secret");
    assert!(invalid(missing.clone()).contains("client_secret"));
    missing.as_object_mut().unwrap().remove("project_id");
    assert!(invalid(missing).contains("\"project_id\" is required"));

    let mut by_env = infisical_json();
    by_env.as_object_mut().unwrap().remove("client_secret");
    by_env["client_secret_env"] = json!("INFISICAL_SECRET");
    by_env["secret_path"] = json!("/backend/");
    let spec = SourceSpec::from_json(&by_env).unwrap();
    let (public, secret) = spec.split();
    assert_eq!(secret, None);
    assert_eq!(public["client_secret_env"], "INFISICAL_SECRET");
    assert_eq!(public["secret_path"], "/backend");
}

#[test]
fn inline_validation() {
    assert!(invalid(json!({"type": "inline", "secrets": {"": "x"}})).contains("empty key"));
    assert!(
        invalid(json!({"type": "inline", "secrets": {"A": 1}})).contains("\"A\" must be a string")
    );
    assert!(invalid(json!({"type": "inline", "secrets": ["A"]})).contains("must be an object"));
    assert!(invalid(json!({"type": "inline"})).contains("\"secrets\" is required"));
}

#[test]
fn split_keeps_secrets_out_of_the_public_part_and_debug() {
    let inline =
        json!({"type": "inline", "secrets": {"B": "inline-canary-b", "A": "inline-canary-a"}});
    for value in [inline, infisical_json()] {
        let spec = SourceSpec::from_json(&value).unwrap();
        let (public, secret) = spec.split();
        let secret = secret.expect("has a secret part");
        assert!(!public.to_string().contains("canary"), "{public}");
        assert!(secret.to_string().contains("canary"));
        assert!(!format!("{spec:?}").contains("canary"), "{spec:?}");
        assert!(!spec.describe().contains("canary"));

        let joined = SourceSpec::join(&public, Some(&secret)).unwrap();
        assert_eq!(joined.split(), (public.clone(), Some(secret)));
        assert!(SourceSpec::join(&public, None).is_err());
    }
}

#[test]
fn inline_public_part_lists_keys_and_join_checks_them() {
    let spec =
        SourceSpec::from_json(&json!({"type": "inline", "secrets": {"B": "1", "A": "2"}})).unwrap();
    let (public, secret) = spec.split();
    assert_eq!(public, json!({"type": "inline", "keys": ["B", "A"]}));
    assert_eq!(spec.describe(), "inline: 2 keys");
    let other = json!({"secrets": {"B": "1"}});
    assert!(SourceSpec::join(&public, Some(&other))
        .unwrap_err()
        .to_string()
        .contains("do not match"));
    assert!(SourceSpec::join(&public, Some(&json!("x"))).is_err());
    let doubled = json!({"type": "infisical", "client_secret": "x"});
    assert!(
        SourceSpec::join(&doubled, Some(&json!({"client_secret": "y"})))
            .unwrap_err()
            .to_string()
            .contains("both the public and the secret part")
    );
    assert!(SourceSpec::join(&public, Some(&secret.unwrap())).is_ok());
}

#[test]
fn public_only_kinds_round_trip() {
    for value in [
        json!({"type": "dotenv", "paths": ["/a/.env", "/a/.env.local"]}),
        json!({"type": "env", "prefix": "APP_", "strip_prefix": false}),
        json!({"type": "command", "command": ["doppler", "secrets", "download"], "format": "json",
               "timeout": 30, "cwd": "/srv"}),
    ] {
        let spec = SourceSpec::from_json(&value).unwrap();
        let (public, secret) = spec.split();
        assert_eq!(public, value);
        assert_eq!(secret, None);
        assert_eq!(SourceSpec::join(&public, None).unwrap().split().0, value);
    }
}

#[test]
fn errors_read_as_one_line() {
    let e = SourceError::Command {
        command: "vault kv get x".into(),
        problem: "failed with exit status 2".into(),
        exit_code: Some(2),
        stderr: Some("permission denied".into()),
    };
    assert_eq!(
        e.to_string(),
        "command `vault kv get x` failed with exit status 2; stderr: permission denied"
    );
    let e = SourceError::Infisical {
        status: Some(404),
        message: "listing secrets failed: Environment not found".into(),
    };
    assert_eq!(
        e.to_string(),
        "infisical (HTTP 404): listing secrets failed: Environment not found"
    );
}
