//! Reading every kind of source end to end: files on disk, the process environment,
//! real child processes and the Infisical stand-in over loopback HTTP.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use do_envsync::emulator::infisical::{InfisicalConfig, InfisicalStandIn};
use do_envsync::sources::{SourceError, SourceSecrets, SourceSpec};
use serde_json::{json, Value};

fn spec(value: Value) -> SourceSpec {
    SourceSpec::from_json(&value).unwrap_or_else(|e| panic!("invalid spec {value}: {e}"))
}

async fn read(value: Value) -> Result<SourceSecrets, SourceError> {
    spec(value).read().await
}

fn pairs(secrets: &SourceSecrets) -> Vec<(&str, &str)> {
    secrets
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

// ---------------------------------------------------------------------------
// dotenv

#[tokio::test]
async fn dotenv_parses_quotes_multiline_export_and_comments() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        ".env",
        b"# app settings\n\
          export API_URL=https://api.example.com # trailing comment\n\
          SINGLE='it is # literal'\n\
          DOUBLE=\"say \\\"hi\\\"\"\n\
          PEM=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\n\
          EMPTY=\n",
    );
    let secrets = read(json!({"type": "dotenv", "path": path})).await.unwrap();
    assert_eq!(
        pairs(&secrets),
        vec![
            ("API_URL", "https://api.example.com"),
            ("SINGLE", "it is # literal"),
            ("DOUBLE", "say \"hi\""),
            ("PEM", "-----BEGIN KEY-----\nabc\n-----END KEY-----"),
            ("EMPTY", ""),
        ]
    );
    // Parsed only: nothing is loaded into the process environment.
    assert!(std::env::var("SINGLE").is_err() && std::env::var("PEM").is_err());
}

#[tokio::test]
async fn dotenv_later_file_wins() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", b"A=base\nB=base\n");
    write(dir.path(), ".env.local", b"B=local\nC=local\n");
    let value = json!({"type": "dotenv", "paths": [".env", ".env.local"]});
    let spec = SourceSpec::from_json_in(&value, dir.path()).unwrap();
    assert_eq!(
        spec.watched_paths(),
        vec![dir.path().join(".env"), dir.path().join(".env.local")]
    );
    let secrets = spec.read().await.unwrap();
    assert_eq!(
        pairs(&secrets),
        vec![("A", "base"), ("B", "local"), ("C", "local")]
    );
}

#[tokio::test]
async fn dotenv_keeps_app_platform_bindable_values_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let var = "DO_ENVSYNC_TEST_BINDABLE_HOST_7F3A";
    std::env::set_var(var, "from-process-env");
    let path = write(
        dir.path(),
        ".env",
        format!(
            "DATABASE_URL=${{db.DATABASE_URL}}\n\
             QUOTED=\"${{APP_URL}}/hook\"\n\
             SINGLE='${{_self.PRIVATE_URL}}'\n\
             PROCESS=${{{var}}}\n"
        )
        .as_bytes(),
    );
    let secrets = read(json!({"type": "dotenv", "path": path})).await.unwrap();
    assert_eq!(
        pairs(&secrets),
        vec![
            ("DATABASE_URL", "${db.DATABASE_URL}"),
            ("QUOTED", "${APP_URL}/hook"),
            ("SINGLE", "${_self.PRIVATE_URL}"),
            ("PROCESS", format!("${{{var}}}").as_str()),
        ]
    );
}

#[tokio::test]
async fn dotenv_malformed_file_names_path_and_line_but_not_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        ".env",
        b"OK=1\nMULTI=\"a\nb\"\nBROKEN=canary value with spaces\n",
    );
    let err = read(json!({"type": "dotenv", "path": path}))
        .await
        .unwrap_err();
    match &err {
        SourceError::Syntax { path: p, line, .. } => {
            assert_eq!(p, &path);
            assert_eq!(*line, 4);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("line 4"),
        "{text}"
    );
    assert!(!text.contains("canary"), "{text}");
}

#[tokio::test]
async fn dotenv_missing_file_fails_the_whole_source() {
    let dir = tempfile::tempdir().unwrap();
    let present = write(dir.path(), ".env", b"A=1\n");
    let missing = dir.path().join(".env.missing");
    let err = read(json!({"type": "dotenv", "paths": [present, missing]}))
        .await
        .unwrap_err();
    match &err {
        SourceError::File { path, message } => {
            assert_eq!(path, &missing);
            assert_eq!(message, "no such file");
        }
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[tokio::test]
async fn dotenv_rejects_non_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), ".env", b"A=1\nB=caf\xe9\n");
    let err = read(json!({"type": "dotenv", "path": path}))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SourceError::File { .. }), "{err:?}");
    assert!(text.contains("not valid UTF-8 (line 2)"), "{text}");
}

// ---------------------------------------------------------------------------
// env

#[tokio::test]
async fn env_prefix_stripped_or_kept() {
    let prefix = "DO_ENVSYNC_TEST_ENVSRC_91C2_";
    std::env::set_var(format!("{prefix}B_KEY"), "b-value");
    std::env::set_var(format!("{prefix}A_KEY"), "${db.DATABASE_URL}");
    std::env::set_var("DO_ENVSYNC_TEST_ENVSRC_91C2X_OTHER", "not selected");

    let stripped = read(json!({"type": "env", "prefix": prefix}))
        .await
        .unwrap();
    assert_eq!(
        pairs(&stripped),
        vec![("A_KEY", "${db.DATABASE_URL}"), ("B_KEY", "b-value")]
    );

    let kept = read(json!({"type": "env", "prefix": prefix, "strip_prefix": false}))
        .await
        .unwrap();
    let a = format!("{prefix}A_KEY");
    let b = format!("{prefix}B_KEY");
    assert_eq!(
        pairs(&kept),
        vec![(a.as_str(), "${db.DATABASE_URL}"), (b.as_str(), "b-value")]
    );
}

#[tokio::test]
async fn env_variable_equal_to_the_prefix_is_an_empty_key() {
    let prefix = "DO_ENVSYNC_TEST_ENVSRC_EXACT_44D1";
    std::env::set_var(prefix, "x");
    let err = read(json!({"type": "env", "prefix": prefix}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("empty key"), "{err}");
    let kept = read(json!({"type": "env", "prefix": prefix, "strip_prefix": false}))
        .await
        .unwrap();
    assert_eq!(pairs(&kept), vec![(prefix, "x")]);
}

// ---------------------------------------------------------------------------
// command

#[tokio::test]
async fn command_json_output() {
    let secrets = read(json!({
        "type": "command",
        "command": ["sh", "-c", r#"printf '{"B":"2","A":"${db.DATABASE_URL}"}'"#],
        "format": "json",
    }))
    .await
    .unwrap();
    assert_eq!(
        pairs(&secrets),
        vec![("B", "2"), ("A", "${db.DATABASE_URL}")]
    );
}

#[tokio::test]
async fn command_dotenv_output() {
    let secrets = read(json!({
        "type": "command",
        "command": "printf 'export A=1\\nB=\"two words\"\\n'",
        "format": "dotenv",
    }))
    .await
    .unwrap();
    assert_eq!(pairs(&secrets), vec![("A", "1"), ("B", "two words")]);
}

#[tokio::test]
async fn command_auto_format_detects_json_and_dotenv() {
    let json_out = read(json!({"type": "command", "command": "printf '  {\"K\":\"json\"}'"}))
        .await
        .unwrap();
    assert_eq!(pairs(&json_out), vec![("K", "json")]);
    let dotenv_out = read(json!({"type": "command", "command": "echo K=dotenv"}))
        .await
        .unwrap();
    assert_eq!(pairs(&dotenv_out), vec![("K", "dotenv")]);
}

#[tokio::test]
async fn command_runs_in_the_config_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "secrets.env", b"FROM_FILE=yes\n");
    let value = json!({"type": "command", "command": ["cat", "secrets.env"]});
    let spec = SourceSpec::from_json_in(&value, dir.path()).unwrap();
    assert_eq!(
        pairs(&spec.read().await.unwrap()),
        vec![("FROM_FILE", "yes")]
    );
}

#[tokio::test]
async fn command_failure_carries_status_and_stderr_but_never_stdout() {
    // The values come from a file so that the command line itself holds none.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "out.env", b"TOKEN=stdout-canary\n");
    let value = json!({
        "type": "command",
        "command": "cat out.env; echo 'vault: permission denied' >&2; exit 3",
    });
    let err = SourceSpec::from_json_in(&value, dir.path())
        .unwrap()
        .read()
        .await
        .unwrap_err();
    match &err {
        SourceError::Command {
            exit_code, stderr, ..
        } => {
            assert_eq!(*exit_code, Some(3));
            assert_eq!(stderr.as_deref(), Some("vault: permission denied"));
        }
        other => panic!("expected a command error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("exit status 3"), "{text}");
    assert!(text.contains("permission denied"), "{text}");
    assert!(!text.contains("stdout-canary"), "{text}");
}

#[tokio::test]
async fn command_stderr_excerpt_is_bounded() {
    let err = read(json!({
        "type": "command",
        "command": "i=0; while [ $i -lt 2000 ]; do echo \"noise line $i\" >&2; i=$((i+1)); done; echo final-error >&2; exit 1",
    }))
    .await
    .unwrap_err();
    let SourceError::Command {
        stderr: Some(stderr),
        ..
    } = &err
    else {
        panic!("expected stderr in {err:?}")
    };
    assert!(stderr.ends_with("final-error"), "{stderr}");
    assert!(stderr.starts_with('…'));
    assert!(stderr.chars().count() <= 601, "{}", stderr.len());
}

#[tokio::test]
async fn command_non_string_json_value_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "out.json",
        br#"{"NAME":"value-canary","PORT":8080}"#,
    );
    let value = json!({"type": "command", "command": ["cat", "out.json"]});
    let err = SourceSpec::from_json_in(&value, dir.path())
        .unwrap()
        .read()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("\"PORT\" has a number value"), "{text}");
    assert!(
        !text.contains("value-canary") && !text.contains("8080"),
        "{text}"
    );
}

#[tokio::test]
async fn command_with_empty_output_is_an_error() {
    let err = read(json!({"type": "command", "command": "true"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("printed nothing"), "{err}");
    let empty = read(json!({"type": "command", "command": "echo '{}'"}))
        .await
        .unwrap();
    assert!(empty.is_empty());
}

#[tokio::test]
async fn command_that_cannot_start_is_an_error() {
    let err = read(json!({"type": "command", "command": ["/nonexistent/do-envsync-secret-tool"]}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("could not be started"), "{err}");
}

fn process_is_gone(pid: i32) -> bool {
    // A zombie waiting for a reaper counts as gone: it no longer runs.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn command_timeout_kills_the_process_group_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    let started = Instant::now();
    let err = read(json!({
        "type": "command",
        "command": format!(
            "echo starting >&2; sleep 30 & echo $! > '{}'; wait",
            pid_file.display()
        ),
        // Long enough for a loaded machine to start sh; far shorter than the sleep.
        "timeout": 1.5,
    }))
    .await
    .unwrap_err();
    let elapsed = started.elapsed();
    // Killed at its timeout, not when the 30 s sleep would have ended.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    let text = err.to_string();
    assert!(text.contains("timed out after 1.5s"), "{text}");
    assert!(text.contains("stderr: starting"), "{text}");

    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !process_is_gone(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(process_is_gone(pid), "the sleep started by sh -c survived");
}

// ---------------------------------------------------------------------------
// Infisical

fn standin() -> InfisicalStandIn {
    InfisicalStandIn::start(InfisicalConfig::default()).unwrap()
}

fn infisical_spec(server: &InfisicalStandIn, extra: Value) -> Value {
    let mut value = json!({
        "type": "infisical",
        "site_url": server.base_url(),
        "project_id": server.project_id(),
        "environment": "prod",
        "client_id": server.client_id(),
        "client_secret": server.client_secret(),
    });
    for (k, v) in extra.as_object().unwrap() {
        value[k] = v.clone();
    }
    value
}

#[tokio::test]
async fn infisical_reads_a_folder() {
    let server = standin();
    server.set_secret("prod", "/", "ROOT_KEY", "root").unwrap();
    server
        .set_secret("prod", "/backend", "DB_URL", "postgres://x")
        .unwrap();
    server
        .set_secret("prod", "/backend", "API_KEY", "k1")
        .unwrap();
    server
        .set_secret("prod", "/backend/jobs", "QUEUE", "q")
        .unwrap();
    server
        .set_secret("dev", "/backend", "DB_URL", "dev-only")
        .unwrap();

    let root = read(infisical_spec(&server, json!({}))).await.unwrap();
    assert_eq!(pairs(&root), vec![("ROOT_KEY", "root")]);

    let backend = read(infisical_spec(&server, json!({"secret_path": "/backend/"})))
        .await
        .unwrap();
    assert_eq!(
        pairs(&backend),
        vec![("DB_URL", "postgres://x"), ("API_KEY", "k1")]
    );
    // login + list, twice
    assert_eq!(server.requests(), 4);
}

#[tokio::test]
async fn infisical_recursive_includes_subfolders_and_rejects_ambiguous_keys() {
    let server = standin();
    server
        .set_secret("prod", "/backend", "DB_URL", "db")
        .unwrap();
    server
        .set_secret("prod", "/backend/jobs", "QUEUE", "q")
        .unwrap();
    server
        .set_secret("prod", "/backendx", "NOT_UNDER", "no")
        .unwrap();

    let value = infisical_spec(
        &server,
        json!({"secret_path": "/backend", "recursive": true}),
    );
    let secrets = read(value.clone()).await.unwrap();
    assert_eq!(pairs(&secrets), vec![("DB_URL", "db"), ("QUEUE", "q")]);

    server
        .set_secret("prod", "/backend/jobs", "DB_URL", "other")
        .unwrap();
    let err = read(value).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("DB_URL") && text.contains("/backend/jobs"),
        "{text}"
    );
}

#[tokio::test]
async fn infisical_imports_are_included_and_own_secrets_win() {
    let server = standin();
    server.set_secret("prod", "/", "OWN", "own").unwrap();
    server
        .set_secret("prod", "/", "SHARED", "own-wins")
        .unwrap();
    server
        .set_secret("prod", "/common", "SHARED", "imported")
        .unwrap();
    server
        .set_secret("prod", "/common", "EXTRA", "extra")
        .unwrap();
    server.add_import("prod", "/", "prod", "/common").unwrap();

    let secrets = read(infisical_spec(&server, json!({}))).await.unwrap();
    assert_eq!(
        pairs(&secrets),
        vec![("OWN", "own"), ("SHARED", "own-wins"), ("EXTRA", "extra")]
    );
    let without = read(infisical_spec(&server, json!({"include_imports": false})))
        .await
        .unwrap();
    assert_eq!(
        pairs(&without),
        vec![("OWN", "own"), ("SHARED", "own-wins")]
    );
}

#[tokio::test]
async fn infisical_reference_expansion_can_be_turned_off() {
    let server = standin();
    server
        .set_secret("prod", "/", "HOST", "db.internal")
        .unwrap();
    server
        .set_secret("prod", "/", "URL", "postgres://${HOST}/app")
        .unwrap();
    server
        .set_secret("prod", "/", "BINDABLE", "${db.DATABASE_URL}")
        .unwrap();

    let expanded = read(infisical_spec(&server, json!({}))).await.unwrap();
    assert_eq!(expanded["URL"], "postgres://db.internal/app");
    assert_eq!(expanded["BINDABLE"], "${db.DATABASE_URL}");
    let literal = read(infisical_spec(&server, json!({"expand_references": false})))
        .await
        .unwrap();
    assert_eq!(literal["URL"], "postgres://${HOST}/app");
}

#[tokio::test]
async fn infisical_wrong_secret_is_a_clear_401_without_the_secret() {
    let server = standin();
    let wrong = "wrong-client-secret-canary";
    let err = read(infisical_spec(&server, json!({"client_secret": wrong})))
        .await
        .unwrap_err();
    match &err {
        SourceError::Infisical { status, message } => {
            assert_eq!(*status, Some(401));
            assert!(
                message.contains("login failed: Invalid credentials"),
                "{message}"
            );
        }
        other => panic!("expected an Infisical error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(!text.contains("canary"), "{text}");
    assert!(!text.contains(&server.client_secret()), "{text}");
}

#[tokio::test]
async fn infisical_unknown_environment_is_404_with_infisicals_message() {
    let server = standin();
    let err = read(infisical_spec(&server, json!({"environment": "qa"})))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            SourceError::Infisical {
                status: Some(404),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(text.contains("Environment with slug 'qa'"), "{text}");

    let err = read(infisical_spec(
        &server,
        json!({"project_id": "no-such-project"}),
    ))
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Project with ID 'no-such-project' not found"),
        "{err}"
    );
}

#[tokio::test]
async fn infisical_client_secret_from_an_env_var_read_at_read_time() {
    let server = standin();
    server.set_secret("prod", "/", "K", "v").unwrap();
    let var = "DO_ENVSYNC_TEST_INFISICAL_SECRET_5B7E";
    let mut value = infisical_spec(&server, json!({"client_secret_env": var}));
    value.as_object_mut().unwrap().remove("client_secret");
    let source = spec(value);
    let (_, secret_part) = source.split();
    assert_eq!(secret_part, None);

    std::env::remove_var(var);
    let err = source.read().await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("{var} (client_secret_env) is not set")),
        "{err}"
    );

    std::env::set_var(var, server.client_secret());
    assert_eq!(pairs(&source.read().await.unwrap()), vec![("K", "v")]);
}

#[tokio::test]
async fn infisical_unreachable_server_is_a_transport_error() {
    let server = standin();
    let value = infisical_spec(&server, json!({}));
    server.stop();
    let err = read(value).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("login at http://127.0.0.1:"), "{text}");
    assert!(text.contains("could not connect"), "{text}");
    assert!(!text.contains(&server.client_secret()), "{text}");
}

#[tokio::test]
async fn standin_checks_tokens() {
    let server = standin();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v3/secrets/raw", server.base_url());
    let query = [
        ("workspaceId", server.project_id()),
        ("environment", "prod".to_string()),
    ];
    let unauthenticated = http.get(&url).query(&query).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let body: Value = unauthenticated.json().await.unwrap();
    assert_eq!(body["statusCode"], 401);
    assert_eq!(body["error"], "Unauthorized");

    let login: Value = http
        .post(format!(
            "{}/api/v1/auth/universal-auth/login",
            server.base_url()
        ))
        .json(&json!({"clientId": server.client_id(), "clientSecret": server.client_secret()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["tokenType"], "Bearer");
    assert_eq!(login["expiresIn"], 7200);
    let token = login["accessToken"].as_str().unwrap().to_string();
    let ok = http
        .get(&url)
        .query(&query)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.json::<Value>().await.unwrap(),
        json!({"secrets": [], "imports": []})
    );

    server.revoke_tokens();
    let revoked = http
        .get(&url)
        .query(&query)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    assert_eq!(server.requests(), 4);
}

// ---------------------------------------------------------------------------
// split / join / Debug

#[tokio::test]
async fn split_join_round_trip_keeps_secrets_private_and_reads_the_same() {
    let server = standin();
    server.set_secret("prod", "/", "K", "v").unwrap();
    let canary = "split-canary-secret";
    let inline = json!({"type": "inline", "secrets": {"A": canary, "B": "${db.DATABASE_URL}"}});
    for value in [inline, infisical_spec(&server, json!({}))] {
        let original = spec(value);
        let expected = original.read().await.unwrap();
        let (public, secret) = original.split();
        let secret = secret.expect("a secret part");
        let public_text = public.to_string();
        assert!(!public_text.contains(canary), "{public_text}");
        assert!(
            !public_text.contains(&server.client_secret()),
            "{public_text}"
        );
        let debug = format!("{original:?}");
        assert!(
            !debug.contains(canary) && !debug.contains(&server.client_secret()),
            "{debug}"
        );
        assert!(!original.describe().contains(canary));

        let joined = SourceSpec::join(&public, Some(&secret)).unwrap();
        assert_eq!(joined.read().await.unwrap(), expected);
        // The public part alone is not enough to read secrets.
        assert!(SourceSpec::join(&public, None).is_err());
    }
}

#[test]
fn describe_is_one_line_for_every_kind() {
    let cases = [
        (
            json!({"type": "dotenv", "paths": ["/x/.env", "/x/.env.local"]}),
            "dotenv: /x/.env, /x/.env.local",
        ),
        (
            json!({"type": "env", "prefix": "APP_", "strip_prefix": false}),
            "env: prefix APP_ (kept)",
        ),
        (
            json!({"type": "command", "command": ["vault", "kv", "get", "-format=json", "secret/app"]}),
            "command: vault kv get -format=json secret/app (auto, timeout 60s)",
        ),
        (
            json!({"type": "infisical", "site_url": "https://eu.infisical.com", "project_id": "p1",
                   "environment": "prod", "secret_path": "/api", "recursive": true,
                   "client_id": "c", "client_secret": "s"}),
            "infisical: project p1 env prod path /api (recursive) at https://eu.infisical.com",
        ),
        (
            json!({"type": "inline", "secrets": {"A": "1"}}),
            "inline: 1 key",
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(spec(value).describe(), expected);
    }
}
