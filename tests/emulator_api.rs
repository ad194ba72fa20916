//! The App Platform emulator, exercised over HTTP with reqwest.

use std::time::{Duration, Instant};

use do_envsync::emulator::{Emulator, EmulatorConfig, Fault, FaultKind};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn start(phase_ms: u64) -> Emulator {
    Emulator::start(EmulatorConfig {
        phase_duration: Duration::from_millis(phase_ms),
        ..EmulatorConfig::default()
    })
    .expect("emulator starts")
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Api {
    emu: Emulator,
    client: reqwest::Client,
}

impl Api {
    fn new(emu: Emulator) -> Api {
        Api {
            emu,
            client: reqwest::Client::new(),
        }
    }

    async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<Reply> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.emu.base_url()))
            .bearer_auth(self.emu.token());
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await?;
        Ok(Reply {
            status: resp.status(),
            headers: resp.headers().clone(),
            text: resp.text().await?,
        })
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        self.try_call(method.clone(), path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path} failed: {e}"))
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    async fn ok(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let reply = self.call(method.clone(), path, body).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{method} {path}: {}",
            reply.text
        );
        if reply.text.is_empty() {
            Value::Null
        } else {
            reply.json()
        }
    }

    async fn create(&self, spec: &Value) -> Value {
        self.ok(Method::POST, "/v2/apps", Some(&json!({"spec": spec})))
            .await["app"]
            .clone()
    }

    async fn wait_phase(&self, app_id: &str, deployment_id: &str, phase: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let dep = self
                .ok(
                    Method::GET,
                    &format!("/v2/apps/{app_id}/deployments/{deployment_id}"),
                    None,
                )
                .await["deployment"]
                .clone();
            if dep["phase"] == phase {
                return dep;
            }
            assert!(
                Instant::now() < deadline,
                "deployment stuck in {} waiting for {phase}",
                dep["phase"]
            );
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }
}

fn sample_spec(name: &str) -> Value {
    json!({
        "name": name,
        "region": "ams",
        "features": ["buildpack-stack=ubuntu-22"],
        "maintenance": {"enabled": false, "archive": null},
        "envs": [
            {"key": "DATABASE_URL", "value": "${db.DATABASE_URL}", "scope": "RUN_TIME"},
            {"key": "APP_URL", "value": "${APP_URL}", "type": "GENERAL", "scope": "RUN_AND_BUILD_TIME"},
            {"key": "EMPTY", "value": null}
        ],
        "services": [{
            "name": "web",
            "github": {"repo": "acme/web", "branch": "main", "deploy_on_push": true},
            "instance_size_slug": "apps-s-1vcpu-0.5gb",
            "instance_count": 2,
            "http_port": 8080,
            "envs": [{"key": "PORT", "value": "8080"}],
            "x_future_field": {"z": 1, "a": [true, null]}
        }],
        "disable_edge_cache": true
    })
}

#[tokio::test]
async fn auth_is_required() {
    let api = Api::new(start(10_000));
    for auth in [None, Some("Bearer dop_v1_wrong"), Some("Basic abc")] {
        let mut req = api.client.get(format!("{}/v2/apps", api.emu.base_url()));
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(resp.headers().contains_key("ratelimit-limit"));
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["id"], "unauthorized");
        assert_eq!(body["message"], "Unable to authenticate you.");
        assert_eq!(body["request_id"], request_id.as_str());
    }
    assert!(api.emu.token().starts_with("dop_v1_"));
    assert_eq!(api.emu.token().len(), 7 + 64);
    let ok = api.get("/v2/account").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["account"]["status"], "active");
    assert!(ok.header("x-request-id").is_some());
}

#[tokio::test]
async fn crud_round_trip_keeps_spec_byte_identical() {
    let api = Api::new(start(10_000));
    let mut spec = sample_spec("round-trip");
    spec["envs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "API_KEY", "value": "s3cr3t", "type": "SECRET"}));
    let app = api.create(&spec).await;
    let id = app["id"].as_str().unwrap().to_string();
    assert_eq!(app["region"]["slug"], "ams");
    assert!(app["default_ingress"]
        .as_str()
        .unwrap()
        .starts_with("https://round-trip-"));
    assert!(app["live_url"].is_string() && app["created_at"].is_string());
    assert_eq!(app["pending_deployment"]["phase"], "PENDING_BUILD");

    // Same JSON text as sent, except the SECRET value, which is now its EV[...].
    let ev = app["spec"]["envs"][3]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ev.starts_with("EV[1:"));
    let mut expected = spec.clone();
    expected["envs"][3]["value"] = json!(ev);
    let expected_text = serde_json::to_string(&expected).unwrap();
    assert_eq!(serde_json::to_string(&app["spec"]).unwrap(), expected_text);
    let got = api.ok(Method::GET, &format!("/v2/apps/{id}"), None).await;
    assert_eq!(
        serde_json::to_string(&got["app"]["spec"]).unwrap(),
        expected_text
    );
    let by_name = api
        .ok(Method::GET, "/v2/apps/ignored?name=round-trip", None)
        .await;
    assert_eq!(by_name["app"]["id"], id.as_str());

    // PUT the fetched spec with one change: everything else comes back unchanged.
    let mut updated = got["app"]["spec"].clone();
    updated["envs"][0]["value"] = json!("${db.OTHER_URL}");
    updated["new_top_level"] = json!({"nested": [1, 2.5, "x"]});
    let put = api
        .ok(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": updated})),
        )
        .await;
    assert_eq!(
        serde_json::to_string(&put["app"]["spec"]).unwrap(),
        serde_json::to_string(&updated).unwrap()
    );
    let listed = api.ok(Method::GET, "/v2/apps", None).await;
    assert_eq!(listed["apps"][0]["spec"], updated);
    assert_eq!(listed["meta"]["total"], 1);

    let deleted = api
        .ok(Method::DELETE, &format!("/v2/apps/{id}"), None)
        .await;
    assert_eq!(deleted, json!({"id": id}));
    let gone = api.get(&format!("/v2/apps/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json()["id"], "not_found");
    assert_eq!(
        gone.json()["message"],
        "The resource you requested could not be found."
    );
    assert!(gone.json()["request_id"].is_string());
}

#[tokio::test]
async fn secrets_are_encrypted_and_round_trip() {
    let api = Api::new(start(10_000));
    let secret_spec = |name: &str, value: &str| {
        json!({"name": name,
            "envs": [{"key": "TOKEN", "value": value, "type": "SECRET", "scope": "RUN_TIME"}],
            "workers": [{"name": "worker", "envs": [{"key": "PASS", "value": value, "type": "SECRET"}]}]})
    };
    let a = api.create(&secret_spec("sec-a", "plain-value-1")).await;
    let b = api.create(&secret_spec("sec-b", "plain-value-1")).await;
    let ev_a = a["spec"]["envs"][0]["value"].as_str().unwrap().to_string();
    let ev_worker = a["spec"]["workers"][0]["envs"][0]["value"]
        .as_str()
        .unwrap();
    let ev_b = b["spec"]["envs"][0]["value"].as_str().unwrap();
    assert!(ev_a.starts_with("EV[") && ev_worker.starts_with("EV["));
    assert_ne!(ev_a, ev_b, "same plaintext must give different ciphertexts");
    assert_ne!(ev_a.as_str(), ev_worker);
    assert_eq!(
        api.emu.reveal_secret(&ev_a).as_deref(),
        Some("plain-value-1")
    );
    assert_eq!(
        api.emu.reveal_secret(ev_worker).as_deref(),
        Some("plain-value-1")
    );
    assert_eq!(api.emu.reveal_secret("EV[1:AAAA:BBBB]"), None);

    // No GET ever shows the plaintext, including deployment snapshots.
    let id = a["id"].as_str().unwrap();
    for path in [
        format!("/v2/apps/{id}"),
        "/v2/apps".to_string(),
        format!("/v2/apps/{id}/deployments"),
    ] {
        let text = api.get(&path).await.text;
        assert!(!text.contains("plain-value-1"), "{path} leaked a secret");
        assert!(text.contains(&ev_a), "{path} lacks the EV");
    }

    // Sending the EV back keeps it byte-identical; a new plaintext gets a new EV.
    let mut spec = a["spec"].clone();
    spec["workers"][0]["envs"][0]["value"] = json!("rotated");
    let put = api
        .ok(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": spec})),
        )
        .await;
    assert_eq!(put["app"]["spec"]["envs"][0]["value"], ev_a.as_str());
    let rotated = put["app"]["spec"]["workers"][0]["envs"][0]["value"]
        .as_str()
        .unwrap();
    assert_eq!(api.emu.reveal_secret(rotated).as_deref(), Some("rotated"));

    // A forged EV is rejected and changes nothing.
    let before = api.emu.deployment_count(id);
    let mut forged = put["app"]["spec"].clone();
    forged["envs"][0]["value"] = json!("EV[1:Zm9yZ2Vk:Zm9yZ2VkLWNpcGhlcnRleHQ=]");
    let reply = api
        .call(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": forged})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["id"], "invalid_argument");
    assert!(reply.json()["message"]
        .as_str()
        .unwrap()
        .contains("envs[0].value"));
    assert_eq!(api.emu.deployment_count(id), before);
    let now = api.ok(Method::GET, &format!("/v2/apps/{id}"), None).await;
    assert_eq!(now["app"]["spec"], put["app"]["spec"]);
    // An EV that is corrupted by one character is rejected too.
    let mut corrupt = put["app"]["spec"].clone();
    let mut bad = ev_a.clone();
    bad.insert(bad.len() - 3, 'A');
    corrupt["envs"][0]["value"] = json!(bad);
    let reply = api
        .call(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": corrupt})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_put_starts_a_deployment() {
    let api = Api::new(start(10_000));
    let app = api.create(&sample_spec("deploys")).await;
    let id = app["id"].as_str().unwrap();
    assert_eq!(api.emu.deployment_count(id), 1);
    let spec = app["spec"].clone();
    let mut last_pending = String::new();
    for expected in 2..=4 {
        let put = api
            .ok(
                Method::PUT,
                &format!("/v2/apps/{id}"),
                Some(&json!({"spec": spec})),
            )
            .await;
        assert_eq!(api.emu.deployment_count(id), expected);
        let pending = put["app"]["pending_deployment"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_ne!(pending, last_pending);
        last_pending = pending;
    }
    let list = api
        .ok(Method::GET, &format!("/v2/apps/{id}/deployments"), None)
        .await;
    assert_eq!(list["meta"]["total"], 4);
    assert_eq!(
        list["deployments"][0]["id"],
        last_pending.as_str(),
        "newest first"
    );
    assert_eq!(api.emu.deployment_count("no-such-app"), 0);
}

#[tokio::test]
async fn deployment_phases_advance() {
    let api = Api::new(start(20));
    let app = api.create(&sample_spec("phases")).await;
    let id = app["id"].as_str().unwrap().to_string();
    let first = app["pending_deployment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let active = api.wait_phase(&id, &first, "ACTIVE").await;
    assert_eq!(
        active["progress"]["success_steps"],
        active["progress"]["total_steps"]
    );
    assert_eq!(active["services"][0]["name"], "web");
    let got = api.ok(Method::GET, &format!("/v2/apps/{id}"), None).await["app"].clone();
    assert_eq!(got["active_deployment"]["id"], first.as_str());
    assert!(got["last_deployment_created_at"].is_string());
    assert!(got.get("pending_deployment").is_none());

    // A failing deployment ends in ERROR and leaves the previous one ACTIVE.
    api.emu.fail_next_deployment(&id);
    let put = api
        .ok(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": got["spec"]})),
        )
        .await;
    let failing = put["app"]["pending_deployment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let errored = api.wait_phase(&id, &failing, "ERROR").await;
    assert!(errored["progress"]["error_steps"].as_u64().unwrap() > 0);
    api.wait_phase(&id, &first, "ACTIVE").await;

    // A newer successful deployment supersedes the active one.
    let put = api
        .ok(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": got["spec"]})),
        )
        .await;
    let newest = put["app"]["pending_deployment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.wait_phase(&id, &newest, "ACTIVE").await;
    api.wait_phase(&id, &first, "SUPERSEDED").await;
    let got = api.ok(Method::GET, &format!("/v2/apps/{id}"), None).await;
    assert_eq!(got["app"]["active_deployment"]["id"], newest.as_str());
}

#[tokio::test]
async fn cancel_freezes_a_deployment() {
    // 150 ms phases: the cancel surely lands before the 600 ms lifecycle ends.
    let api = Api::new(start(150));
    // Seeded live: a deployment still in flight would be superseded by the next one.
    let app = api.emu.seed_app(json!({"name": "cancel-me"})).unwrap();
    let id = app["id"].as_str().unwrap().to_string();
    let created = api
        .ok(
            Method::POST,
            &format!("/v2/apps/{id}/deployments"),
            Some(&json!({"force_build": true})),
        )
        .await;
    let canceled_id = created["deployment"]["id"].as_str().unwrap().to_string();
    let canceled = api
        .ok(
            Method::POST,
            &format!("/v2/apps/{id}/deployments/{canceled_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(canceled["deployment"]["phase"], "CANCELED");
    // Long after it would have gone live, it is still CANCELED, and the first
    // deployment went ACTIVE without being superseded by it.
    tokio::time::sleep(Duration::from_millis(700)).await;
    api.wait_phase(&id, &canceled_id, "CANCELED").await;
    let first = app["active_deployment"]["id"].as_str().unwrap();
    api.wait_phase(&id, first, "ACTIVE").await;
    let again = api
        .call(
            Method::POST,
            &format!("/v2/apps/{id}/deployments/{canceled_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["id"], "invalid_argument");
}

#[tokio::test]
async fn pagination_over_450_apps() {
    let api = Api::new(start(10_000));
    for i in 0..450 {
        api.emu
            .seed_app(json!({"name": format!("fleet-{i:03}")}))
            .unwrap();
    }
    let page1 = api.ok(Method::GET, "/v2/apps?per_page=200", None).await;
    assert_eq!(page1["apps"].as_array().unwrap().len(), 200);
    assert_eq!(page1["meta"]["total"], 450);
    let base = api.emu.base_url();
    let pages = &page1["links"]["pages"];
    assert_eq!(pages["next"], format!("{base}/v2/apps?page=2&per_page=200"));
    assert_eq!(pages["last"], format!("{base}/v2/apps?page=3&per_page=200"));
    assert!(pages.get("first").is_none() && pages.get("prev").is_none());

    let mut names = Vec::new();
    let mut next = Some(format!("{base}/v2/apps?per_page=200"));
    let mut page_count = 0;
    while let Some(url) = next {
        let body: Value = api
            .client
            .get(&url)
            .bearer_auth(api.emu.token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page_count += 1;
        names.extend(
            body["apps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["spec"]["name"].as_str().unwrap().to_string()),
        );
        if page_count == 2 {
            assert_eq!(body["links"]["pages"].as_object().unwrap().len(), 4);
        }
        if page_count == 3 {
            assert_eq!(body["apps"].as_array().unwrap().len(), 50);
            assert_eq!(
                body["links"]["pages"]["first"],
                format!("{base}/v2/apps?page=1&per_page=200")
            );
            assert_eq!(
                body["links"]["pages"]["prev"],
                format!("{base}/v2/apps?page=2&per_page=200")
            );
        }
        next = body["links"]["pages"]["next"].as_str().map(str::to_string);
    }
    assert_eq!(page_count, 3);
    let expected: Vec<String> = (0..450).map(|i| format!("fleet-{i:03}")).collect();
    assert_eq!(names, expected);

    let default = api.ok(Method::GET, "/v2/apps", None).await;
    assert_eq!(default["apps"].as_array().unwrap().len(), 20);
    for bad in ["per_page=201", "per_page=0", "page=0", "page=abc"] {
        let reply = api.get(&format!("/v2/apps?{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.json()["id"], "invalid_argument");
    }
    let single = Api::new(start(20));
    single.emu.seed_app(json!({"name": "only"})).unwrap();
    let body = single.ok(Method::GET, "/v2/apps", None).await;
    assert_eq!(body["links"], json!({"pages": {}}));
}

#[tokio::test]
async fn validation_errors_change_nothing() {
    let api = Api::new(start(10_000));
    let app = api.create(&sample_spec("valid-app")).await;
    let id = app["id"].as_str().unwrap().to_string();
    let dup_component =
        json!({"name": "x-app", "services": [{"name": "web"}], "jobs": [{"name": "web"}]});
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "spec is required"),
        (json!({"spec": {"region": "nyc"}}), "\"name\": is required"),
        (json!({"spec": {"name": "Bad_Name"}}), "\"name\""),
        (
            json!({"spec": {"name": "x-app", "envs": [{"key": "1BAD", "value": "v"}]}}),
            "\"envs[0].key\"",
        ),
        (
            json!({"spec": {"name": "x-app", "services": [{"name": "web", "envs": [{"key": "OK"}, {"key": "A-B"}]}]}}),
            "\"services[0].envs[1].key\"",
        ),
        (
            json!({"spec": {"name": "x-app", "envs": [{"key": "A", "scope": "SOMETIMES"}]}}),
            "\"envs[0].scope\"",
        ),
        (
            json!({"spec": {"name": "x-app", "envs": [{"key": "A", "type": "PASSWORD"}]}}),
            "\"envs[0].type\"",
        ),
        (
            json!({"spec": {"name": "x-app", "envs": [{"key": "A"}, {"key": "A"}]}}),
            "duplicate env var key",
        ),
        (json!({"spec": dup_component}), "more than once"),
        (
            json!({"spec": {"name": "x-app", "databases": [{"name": "db", "engine": "ORACLE"}]}}),
            "databases[0].engine",
        ),
    ];
    for (body, fragment) in &cases {
        let reply = api.call(Method::POST, "/v2/apps", Some(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        let err = reply.json();
        assert_eq!(err["id"], "invalid_argument");
        assert!(
            err["message"].as_str().unwrap().contains(fragment),
            "{err} lacks {fragment}"
        );
        let reply = api
            .call(Method::PUT, &format!("/v2/apps/{id}"), Some(body))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "PUT {body}");
        assert!(reply.json()["message"].as_str().unwrap().contains(fragment));
    }
    let raw = api
        .client
        .post(format!("{}/v2/apps", api.emu.base_url()))
        .bearer_auth(api.emu.token())
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let list = api.ok(Method::GET, "/v2/apps", None).await;
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["apps"][0]["spec"], app["spec"]);
    assert_eq!(api.emu.deployment_count(&id), 1);

    let conflict = api
        .call(
            Method::POST,
            "/v2/apps",
            Some(&json!({"spec": {"name": "valid-app"}})),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(api
        .emu
        .seed_app(json!({"name": "-bad"}))
        .unwrap_err()
        .contains("\"name\""));
}

#[tokio::test]
async fn rate_limit_burst() {
    let api = Api::new(start(10_000));
    api.emu.set_rate_limits(5, 100);
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let reply = api.get("/v2/account").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("ratelimit-limit"), Some("100"));
        let reset: u64 = reply.header("ratelimit-reset").unwrap().parse().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        // Until the burst limit is hit, the headers describe the hourly window.
        assert!(
            reset >= now && reset <= now + 3601,
            "reset {reset} vs now {now}"
        );
        remaining.push(
            reply
                .header("ratelimit-remaining")
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
    }
    assert_eq!(remaining, vec![99, 98, 97, 96, 0]);
    let limited = api.get("/v2/account").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    // As the reference's "Burst Limit is Reached" sample: the hourly limit, remaining 0, and
    // a reset that is the oldest request's expiry in the hourly window (an hour away), not
    // the end of the burst window.
    assert_eq!(limited.header("ratelimit-limit"), Some("100"));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = limited.header("ratelimit-reset").unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        reset > now + 3000 && reset <= now + 3601,
        "reset {reset} vs now {now}"
    );
    assert_eq!(limited.json()["id"], "too_many_requests");
    assert_eq!(limited.json()["message"], "API Rate limit exceeded.");
    // Admin requests are not limited; reset clears the windows.
    let admin = reqwest::Client::new()
        .get(format!("{}/_emulator/health", api.emu.base_url()))
        .bearer_auth(api.emu.token())
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
    api.emu.reset();
    assert_eq!(api.get("/v2/account").await.status, StatusCode::OK);
}

#[tokio::test]
async fn rate_limit_faults_answer_like_the_limiter() {
    let api = Api::new(start(10_000));
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let reset_of =
        |reply: &Reply| -> u64 { reply.header("ratelimit-reset").unwrap().parse().unwrap() };
    let fault = |kind| Fault {
        method: None,
        path_pattern: Some("^/v2/account$".into()),
        kind,
        count: Some(1),
        after: 0,
    };
    // A burst 429: the reference's sample headers and body.
    api.emu.add_fault(fault(FaultKind::RateLimited {
        retry_after: Some(29),
        reset_in: Some(3000),
    }));
    let burst = api.get("/v2/account").await;
    assert_eq!(burst.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(burst.header("ratelimit-limit"), Some("5000"));
    assert_eq!(burst.header("ratelimit-remaining"), Some("0"));
    assert_eq!(burst.header("retry-after"), Some("29"));
    assert!((now() + 2999..=now() + 3001).contains(&reset_of(&burst)));
    assert_eq!(burst.json()["id"], "too_many_requests");
    assert_eq!(burst.json()["message"], "API Rate limit exceeded.");
    // The hourly quota: no retry-after.
    api.emu.add_fault(fault(FaultKind::RateLimited {
        retry_after: None,
        reset_in: Some(60),
    }));
    let quota = api.get("/v2/account").await;
    assert_eq!(quota.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(quota.header("retry-after"), None);
    assert_eq!(quota.header("ratelimit-remaining"), Some("0"));
    // A success that reports remaining 0 (a full burst window) with the reset an hour away.
    api.emu.add_fault(fault(FaultKind::RemainingZero {
        reset_in: Some(3599),
    }));
    let full = api.get("/v2/account").await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.header("ratelimit-remaining"), Some("0"));
    assert!((now() + 3598..=now() + 3600).contains(&reset_of(&full)));
    assert!(full.json()["account"].is_object());
    // The faults are logged with their retry-after; only the success counted.
    let log = api.emu.requests();
    let seen: Vec<_> = log.iter().map(|r| (r.status, r.retry_after)).collect();
    assert_eq!(seen, vec![(429, Some(29)), (429, None), (200, None)]);
    let after = api.get("/v2/account").await;
    assert_eq!(after.header("ratelimit-remaining"), Some("4998"));
}

#[tokio::test]
async fn faults_of_every_kind() {
    let api = Api::new(start(10_000));
    let app = api.create(&sample_spec("faulty")).await;
    let id = app["id"].as_str().unwrap().to_string();
    let app_path = format!("/v2/apps/{id}");

    // Status with retry-after, count 1, method filter.
    api.emu.add_fault(Fault {
        method: Some("get".into()),
        path_pattern: Some("^/v2/apps/[^/]+$".into()),
        kind: FaultKind::Status {
            status: 503,
            retry_after: Some(7),
            body: None,
        },
        count: Some(1),
        after: 0,
    });
    assert_eq!(
        api.get("/v2/apps").await.status,
        StatusCode::OK,
        "path does not match"
    );
    let hit = api.get(&app_path).await;
    assert_eq!(hit.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(hit.header("retry-after"), Some("7"));
    assert_eq!(hit.json()["id"], "service_unavailable");
    assert_eq!(
        api.get(&app_path).await.status,
        StatusCode::OK,
        "count used up"
    );

    // `after` skips matching requests first; custom body.
    api.emu.add_fault(Fault {
        kind: FaultKind::Status {
            status: 500,
            retry_after: None,
            body: Some("{\"id\":\"boom\"}".into()),
        },
        count: Some(1),
        after: 2,
        ..Fault::new(FaultKind::Reset)
    });
    let statuses = [
        api.get("/v2/account").await.status,
        api.get("/v2/account").await.status,
        api.get("/v2/account").await.status,
        api.get("/v2/account").await.status,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::OK
        ]
    );

    // Delay, then a normal answer.
    api.emu.add_fault(Fault {
        count: Some(1),
        ..Fault::new(FaultKind::Delay(Duration::from_millis(150)))
    });
    let t0 = Instant::now();
    assert_eq!(api.get("/v2/account").await.status, StatusCode::OK);
    assert!(t0.elapsed() >= Duration::from_millis(150));

    // Reset: a transport error, and the PUT is not applied.
    let deployments = api.emu.deployment_count(&id);
    let fault_id = api.emu.add_fault(Fault {
        method: Some("PUT".into()),
        count: Some(1),
        ..Fault::new(FaultKind::Reset)
    });
    assert!(fault_id > 0);
    let err = api
        .try_call(Method::PUT, &app_path, Some(&json!({"spec": app["spec"]})))
        .await;
    assert!(err.is_err(), "reset must surface as a transport error");
    assert_eq!(api.emu.deployment_count(&id), deployments);
    assert_eq!(api.emu.requests().last().unwrap().status, 0);

    // Malformed: 200 with a body that is not JSON.
    api.emu.add_fault(Fault {
        count: Some(1),
        ..Fault::new(FaultKind::Malformed)
    });
    let cut = api.get(&app_path).await;
    assert_eq!(cut.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&cut.text).is_err());
    assert!(cut.text.starts_with("{\"app\""));

    // OffOriginNext: list responses point `next` elsewhere.
    api.emu.add_fault(Fault {
        count: Some(1),
        ..Fault::new(FaultKind::OffOriginNext {
            url: "https://evil.example.com/v2/apps?page=2".into(),
        })
    });
    let list = api.ok(Method::GET, "/v2/apps", None).await;
    assert_eq!(
        list["links"]["pages"]["next"],
        "https://evil.example.com/v2/apps?page=2"
    );

    // ApplyThenReset: the client sees an error but the PUT was applied, once.
    api.emu.add_fault(Fault {
        method: Some("PUT".into()),
        count: Some(1),
        ..Fault::new(FaultKind::ApplyThenReset)
    });
    let mut changed = app["spec"].clone();
    changed["envs"][0]["value"] = json!("applied-once");
    let err = api
        .try_call(Method::PUT, &app_path, Some(&json!({"spec": changed})))
        .await;
    assert!(err.is_err());
    assert_eq!(api.emu.deployment_count(&id), deployments + 1);
    let now = api.ok(Method::GET, &app_path, None).await;
    assert_eq!(now["app"]["spec"]["envs"][0]["value"], "applied-once");
    assert_eq!(api.emu.deployment_count(&id), deployments + 1);

    // A fault can be removed, and clear_faults removes the rest.
    let forever = api.emu.add_fault(Fault::new(FaultKind::Malformed));
    assert!(api.emu.remove_fault(forever));
    assert_eq!(api.get("/v2/account").await.status, StatusCode::OK);
    api.emu.add_fault(Fault::new(FaultKind::Status {
        status: 502,
        retry_after: None,
        body: None,
    }));
    api.emu.clear_faults();
    assert_eq!(api.get("/v2/account").await.status, StatusCode::OK);
    assert!(api
        .emu
        .try_add_fault(Fault {
            path_pattern: Some("(".into()),
            ..Fault::new(FaultKind::Reset)
        })
        .is_err());
}

/// Every operation answers 2xx for a valid app and 404 for an unknown app id.
#[tokio::test]
async fn all_routes_answer() {
    // Long phases: nothing started during the test finishes on its own.
    let api = Api::new(start(10_000));
    let spec = json!({
        "name": "every-route",
        "region": "nyc",
        "services": [{"name": "web", "instance_count": 2, "instance_size_slug": "apps-s-1vcpu-1gb",
                      "alerts": [{"rule": "CPU_UTILIZATION", "operator": "GREATER_THAN", "value": 80, "window": "FIVE_MINUTES"}]}],
        "workers": [{"name": "worker"}],
        "jobs": [{"name": "migrate", "kind": "PRE_DEPLOY"}],
        "static_sites": [{"name": "site"}],
        "alerts": [{"rule": "DEPLOYMENT_FAILED"}]
    });
    let seeded = api.emu.seed_app(spec.clone()).unwrap();
    let id = seeded["id"].as_str().unwrap().to_string();
    let live = seeded["active_deployment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = format!("/v2/apps/{id}");
    let post = Method::POST;
    let get = Method::GET;

    assert_eq!(
        api.ok(get.clone(), "/v2/account", None).await["account"]["email_verified"],
        true
    );
    assert_eq!(
        api.ok(get.clone(), "/v2/apps", None).await["meta"]["total"],
        1
    );
    let created = api.create(&json!({"name": "second-app"})).await;
    assert_eq!(
        api.ok(get.clone(), &a, None).await["app"]["active_deployment"]["id"],
        live.as_str()
    );
    let put = api.ok(Method::PUT, &a, Some(&json!({"spec": spec}))).await;
    assert!(put["app"]["pending_deployment"]["id"].is_string());
    let restarted = api
        .ok(
            post.clone(),
            &format!("{a}/restart"),
            Some(&json!({"components": ["web"]})),
        )
        .await;
    assert!(restarted["deployment"]["id"].is_string());
    let logs = api
        .ok(
            get.clone(),
            &format!("{a}/components/web/logs?type=RUN"),
            None,
        )
        .await;
    assert!(logs["live_url"].as_str().unwrap().contains(&live));
    let log_text = reqwest::get(logs["historic_urls"][0].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log_text.contains("Deployed web"), "{log_text}");
    assert!(api
        .ok(get.clone(), &format!("{a}/components/web/exec"), None)
        .await["url"]
        .as_str()
        .unwrap()
        .starts_with("ws://"));
    let instances = api.ok(get.clone(), &format!("{a}/instances"), None).await;
    assert_eq!(
        instances["instances"].as_array().unwrap().len(),
        3,
        "2 web + 1 worker"
    );
    let deployments = api
        .ok(get.clone(), &format!("{a}/deployments?per_page=2"), None)
        .await;
    assert_eq!(deployments["meta"]["total"], 3);
    assert!(deployments["links"]["pages"]["next"].is_string());
    let new_dep = api
        .ok(
            post.clone(),
            &format!("{a}/deployments"),
            Some(&json!({"force_build": false})),
        )
        .await;
    let new_dep = new_dep["deployment"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.ok(get.clone(), &format!("{a}/deployments/{live}"), None)
            .await["deployment"]["phase"],
        "ACTIVE"
    );
    assert_eq!(
        api.ok(
            post.clone(),
            &format!("{a}/deployments/{new_dep}/cancel"),
            None
        )
        .await["deployment"]["phase"],
        "CANCELED"
    );
    api.ok(
        get.clone(),
        &format!("{a}/deployments/{live}/components/web/logs?type=BUILD"),
        None,
    )
    .await;
    api.ok(
        get.clone(),
        &format!("{a}/deployments/{live}/logs?type=DEPLOY"),
        None,
    )
    .await;
    api.ok(
        get.clone(),
        &format!("{a}/deployments/{live}/components/worker/exec"),
        None,
    )
    .await;
    api.ok(get.clone(), &format!("{a}/logs?type=BUILD"), None)
        .await;

    // The PUT's and the restart's deployments were superseded while in flight (their
    // job invocations ended with them): a new deployment has one still pending.
    let pending = api
        .ok(post.clone(), &format!("{a}/deployments"), Some(&json!({})))
        .await["deployment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let invocations = api
        .ok(
            get.clone(),
            &format!("{a}/job-invocations?job_names=migrate&deployment_id={pending}"),
            None,
        )
        .await;
    assert_eq!(invocations["job_invocations"].as_array().unwrap().len(), 1);
    let invocation = invocations["job_invocations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.ok(
            get.clone(),
            &format!("{a}/job-invocations/{invocation}?job_name=migrate"),
            None
        )
        .await["phase"],
        "PENDING"
    );
    assert_eq!(
        api.ok(
            post.clone(),
            &format!("{a}/job-invocations/{invocation}/cancel"),
            None
        )
        .await["phase"],
        "CANCELED"
    );
    api.ok(
        get.clone(),
        &format!("{a}/jobs/migrate/invocations/{invocation}/logs?type=JOB_INVOCATION"),
        None,
    )
    .await;

    let events = api
        .ok(
            get.clone(),
            &format!("{a}/events?event_types=DEPLOYMENT"),
            None,
        )
        .await;
    assert_eq!(events["events"].as_array().unwrap().len(), 5);
    assert!(events.get("meta").is_none(), "app_events has no meta");
    let restart_event = events["events"][2]["id"].as_str().unwrap().to_string();
    assert_eq!(
        events["events"][2]["deployment_id"],
        restarted["deployment"]["id"]
    );
    // The newest deployment is the one still in flight; its event can be cancelled.
    assert_eq!(events["events"][0]["deployment_id"], pending.as_str());
    let pending_event = events["events"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.ok(get.clone(), &format!("{a}/events/{restart_event}"), None)
            .await["event"]["type"],
        "DEPLOYMENT"
    );
    let canceled = api
        .ok(
            post.clone(),
            &format!("{a}/events/{pending_event}/cancel"),
            None,
        )
        .await;
    assert_eq!(canceled["event"]["deployment"]["phase"], "CANCELED");
    api.ok(
        get.clone(),
        &format!("{a}/events/{restart_event}/logs?type=BUILD"),
        None,
    )
    .await;

    let sizes = api
        .ok(get.clone(), "/v2/apps/tiers/instance_sizes", None)
        .await;
    assert!(sizes["instance_sizes"].as_array().unwrap().len() > 5);
    assert_eq!(
        api.ok(
            get.clone(),
            "/v2/apps/tiers/instance_sizes/apps-s-1vcpu-0.5gb",
            None
        )
        .await["instance_size"]["usd_per_month"],
        "5.00"
    );
    assert_eq!(
        api.get("/v2/apps/tiers/instance_sizes/apps-huge")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        api.ok(get.clone(), "/v2/apps/regions", None).await["regions"]
            .as_array()
            .unwrap()
            .len()
            >= 8
    );
    let proposed = api
        .ok(
            post.clone(),
            "/v2/apps/propose",
            Some(&json!({"spec": {"name": "every-route", "static_sites": [{"name": "s1"}]}})),
        )
        .await;
    assert_eq!(proposed["app_name_available"], false);
    assert_eq!(proposed["app_name_suggestion"], "every-route-2");
    assert_eq!(proposed["app_is_static"], true);
    let proposed = api
        .ok(
            post.clone(),
            "/v2/apps/propose",
            Some(&json!({"spec": spec, "app_id": id})),
        )
        .await;
    assert_eq!(proposed["app_name_available"], true);
    assert_eq!(
        proposed["app_cost"],
        24 + 5 + 5,
        "2 x 12 USD web + 5 USD worker + 5 USD job"
    );

    let alerts = api.ok(get.clone(), &format!("{a}/alerts"), None).await;
    assert_eq!(alerts["alerts"].as_array().unwrap().len(), 2);
    let cpu = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["component_name"] == "web")
        .unwrap();
    let alert_id = cpu["id"].as_str().unwrap();
    let assigned = api.ok(post.clone(), &format!("{a}/alerts/{alert_id}/destinations"),
        Some(&json!({"emails": ["ops@example.com"], "slack_webhooks": [{"url": "https://hooks.slack.com/x", "channel": "ops"}]}))).await;
    assert_eq!(assigned["alert"]["emails"], json!(["ops@example.com"]));
    let again = api.ok(get.clone(), &format!("{a}/alerts"), None).await;
    let stored = again["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == alert_id)
        .unwrap();
    assert_eq!(stored["emails"], json!(["ops@example.com"]));
    assert_eq!(stored["slack_webhooks"][0]["channel"], "ops");

    assert_eq!(
        api.ok(
            post.clone(),
            &format!("{a}/rollback/validate"),
            Some(&json!({"deployment_id": live}))
        )
        .await["valid"],
        true
    );
    let invalid = api
        .ok(
            post.clone(),
            &format!("{a}/rollback/validate"),
            Some(&json!({"deployment_id": new_dep})),
        )
        .await;
    assert_eq!(invalid["valid"], false);
    assert_eq!(invalid["error"]["code"], "incompatible_result");
    let rollback = api
        .ok(
            post.clone(),
            &format!("{a}/rollback"),
            Some(&json!({"deployment_id": live})),
        )
        .await;
    assert_eq!(rollback["deployment"]["cloned_from"], live.as_str());
    let pinned = api
        .call(Method::PUT, &a, Some(&json!({"spec": spec})))
        .await;
    assert_eq!(
        pinned.status,
        StatusCode::BAD_REQUEST,
        "pinned apps refuse new deployments"
    );
    assert_eq!(
        api.ok(post.clone(), &format!("{a}/rollback/commit"), None)
            .await,
        Value::Null
    );
    api.ok(
        post.clone(),
        &format!("{a}/rollback"),
        Some(&json!({"deployment_id": live})),
    )
    .await;
    assert!(api
        .ok(post.clone(), &format!("{a}/rollback/revert"), None)
        .await["deployment"]["id"]
        .is_string());

    let usage = api
        .ok(
            get.clone(),
            &format!("{a}/metrics/bandwidth_daily?date=2023-01-17T10:00:00Z"),
            None,
        )
        .await;
    assert_eq!(usage["date"], "2023-01-17T00:00:00Z");
    assert_eq!(usage["app_bandwidth_usage"][0]["app_id"], id.as_str());
    let other = created["id"].as_str().unwrap();
    let many = api
        .ok(
            post.clone(),
            "/v2/apps/metrics/bandwidth_daily",
            Some(&json!({"app_ids": [id, other]})),
        )
        .await;
    assert_eq!(many["app_bandwidth_usage"].as_array().unwrap().len(), 2);
    let health = api.ok(get.clone(), &format!("{a}/health"), None).await;
    assert_eq!(health["app_health"]["components"][0]["state"], "HEALTHY");
    assert_eq!(
        api.ok(Method::DELETE, &format!("/v2/apps/{other}"), None)
            .await["id"],
        other
    );

    // Unknown app id: 404 everywhere.
    let u = "/v2/apps/00000000-0000-4000-8000-000000000000";
    let unknown: Vec<(Method, String)> = vec![
        (get.clone(), u.to_string()),
        (Method::PUT, u.to_string()),
        (Method::DELETE, u.to_string()),
        (post.clone(), format!("{u}/restart")),
        (get.clone(), format!("{u}/components/web/logs")),
        (get.clone(), format!("{u}/components/web/exec")),
        (get.clone(), format!("{u}/instances")),
        (get.clone(), format!("{u}/deployments")),
        (post.clone(), format!("{u}/deployments")),
        (get.clone(), format!("{u}/deployments/{live}")),
        (post.clone(), format!("{u}/deployments/{live}/cancel")),
        (
            get.clone(),
            format!("{u}/deployments/{live}/components/web/logs"),
        ),
        (get.clone(), format!("{u}/deployments/{live}/logs")),
        (
            get.clone(),
            format!("{u}/deployments/{live}/components/web/exec"),
        ),
        (get.clone(), format!("{u}/logs")),
        (get.clone(), format!("{u}/job-invocations")),
        (get.clone(), format!("{u}/job-invocations/{invocation}")),
        (
            post.clone(),
            format!("{u}/job-invocations/{invocation}/cancel"),
        ),
        (
            get.clone(),
            format!("{u}/jobs/migrate/invocations/{invocation}/logs"),
        ),
        (get.clone(), format!("{u}/events")),
        (get.clone(), format!("{u}/events/{restart_event}")),
        (post.clone(), format!("{u}/events/{restart_event}/cancel")),
        (get.clone(), format!("{u}/events/{restart_event}/logs")),
        (get.clone(), format!("{u}/alerts")),
        (post.clone(), format!("{u}/alerts/{alert_id}/destinations")),
        (post.clone(), format!("{u}/rollback")),
        (post.clone(), format!("{u}/rollback/validate")),
        (post.clone(), format!("{u}/rollback/commit")),
        (post.clone(), format!("{u}/rollback/revert")),
        (get.clone(), format!("{u}/metrics/bandwidth_daily")),
        (get.clone(), format!("{u}/health")),
        (get.clone(), "/v2/no/such/route".to_string()),
    ];
    for (method, path) in unknown {
        let body = json!({"spec": {"name": "whatever"}, "deployment_id": live});
        let reply = api.call(method.clone(), &path, Some(&body)).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(reply.json()["id"], "not_found");
    }
    let many = api
        .call(
            post.clone(),
            "/v2/apps/metrics/bandwidth_daily",
            Some(&json!({"app_ids": [u.trim_start_matches("/v2/apps/")]})),
        )
        .await;
    assert_eq!(many.status, StatusCode::NOT_FOUND);
    let propose = api
        .call(
            post,
            "/v2/apps/propose",
            Some(&json!({"spec": {"name": "x-y"}, "app_id": "nope"})),
        )
        .await;
    assert_eq!(propose.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admin_endpoints() {
    let api = Api::new(start(20));
    let base = api.emu.base_url();
    let http = reqwest::Client::new();
    let token = api.emu.token();
    let admin = |method: Method, path: &str| {
        http.request(method, format!("{base}/_emulator{path}"))
            .bearer_auth(&token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
    };

    let seeded: Value = admin(Method::POST, "/apps")
        .json(&json!({"spec": {"name": "admin-app", "envs": [{"key": "S", "value": "pw", "type": "SECRET"}]}}))
        .send().await.unwrap().json().await.unwrap();
    let id = seeded["app"]["id"].as_str().unwrap().to_string();
    assert_eq!(seeded["app"]["active_deployment"]["phase"], "ACTIVE");
    let ev = seeded["app"]["spec"]["envs"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let revealed: Value = admin(Method::GET, "/secrets/reveal")
        .query(&[("ev", &ev)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revealed["value"], "pw");
    let unknown = admin(Method::GET, "/secrets/reveal")
        .query(&[("ev", "EV[1:x:y]")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let apps: Value = admin(Method::GET, "/apps")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps["apps"].as_array().unwrap().len(), 1);

    let fault: Value = admin(Method::POST, "/faults")
        .json(
            &json!({"kind": "status", "status": 502, "count": 1, "path_pattern": "^/v2/account$"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(fault["id"].as_u64().unwrap() > 0);
    assert_eq!(api.get("/v2/account").await.status, StatusCode::BAD_GATEWAY);
    admin(Method::POST, "/faults")
        .json(&json!({"kind": "malformed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        admin(Method::DELETE, "/faults")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(api.get("/v2/account").await.status, StatusCode::OK);
    let bad = admin(Method::POST, "/faults")
        .json(&json!({"kind": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    admin(Method::POST, &format!("/apps/{id}/fail_next_deployment"))
        .send()
        .await
        .unwrap();
    let put = api
        .ok(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": seeded["app"]["spec"]})),
        )
        .await;
    let failing = put["app"]["pending_deployment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.wait_phase(&id, &failing, "ERROR").await;
    let count: Value = admin(Method::GET, &format!("/apps/{id}/deployment_count"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count["count"], 2);

    let limits: Value = admin(Method::POST, "/rate_limits")
        .json(&json!({"burst": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        limits,
        json!({"burst": 1, "hourly": 5000, "burst_window": 60.0, "hourly_window": 3600.0})
    );
    let limited = api.get("/v2/account").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);

    let requests: Value = admin(Method::GET, "/requests")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let logged = requests["requests"].as_array().unwrap();
    assert!(logged
        .iter()
        .all(|r| !r["path"].as_str().unwrap().starts_with("/_emulator")));
    assert_eq!(logged.last().unwrap()["status"], 429);
    let count: Value = admin(Method::GET, "/requests/count")
        .query(&[("method", "PUT")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count["count"], 1);

    assert_eq!(
        admin(Method::POST, "/reset").send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(api.emu.requests().len(), 0);
    assert!(api.emu.apps_json().as_array().unwrap().is_empty());
    // Reset restores the configured limits and clears the windows.
    for _ in 0..3 {
        assert_eq!(api.get("/v2/account").await.status, StatusCode::OK);
    }
    assert_eq!(
        admin(Method::GET, "/nope").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn seed_app_and_request_log() {
    let api = Api::new(start(10_000));
    let seeded = api.emu.seed_app(sample_spec("seeded")).unwrap();
    assert_eq!(seeded["active_deployment"]["phase"], "ACTIVE");
    assert!(
        api.emu.requests().is_empty(),
        "seeding is not an HTTP request"
    );
    assert_eq!(api.emu.apps_json()[0]["id"], seeded["id"]);

    let id = seeded["id"].as_str().unwrap();
    api.get("/v2/apps?per_page=5").await;
    api.get(&format!("/v2/apps/{id}")).await;
    let body = json!({"spec": seeded["spec"]});
    api.call(Method::PUT, &format!("/v2/apps/{id}"), Some(&body))
        .await;
    let log = api.emu.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].query.as_deref(), Some("per_page=5"));
    assert_eq!(log[0].body, None);
    assert_eq!(log[2].method, "PUT");
    assert_eq!(log[2].status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(log[2].body.as_deref().unwrap()).unwrap(),
        body
    );
    assert!(log[2].ts > 1.6e9 && log[2].response_ms >= 0.0);
    assert_eq!(api.emu.request_count(None, None), 3);
    assert_eq!(api.emu.request_count(Some("get"), Some("/v2/apps")), 2);
    assert_eq!(
        api.emu
            .request_count(Some("PUT"), Some(&format!("/v2/apps/{id}"))),
        1
    );
    assert_eq!(api.emu.request_count(Some("DELETE"), None), 0);
    api.emu.clear_requests();
    assert_eq!(api.emu.request_count(None, None), 0);
}

#[tokio::test]
async fn stop_is_idempotent_and_closes_the_port() {
    let emu = start(20);
    let url = format!("{}/v2/account", emu.base_url());
    let clone = emu.clone();
    emu.stop();
    clone.stop();
    let err = reqwest::Client::new().get(&url).send().await;
    assert!(err.is_err());

    // Dropping the last handle stops it too.
    let emu = start(20);
    let url = format!("{}/_emulator/health", emu.base_url());
    assert!(reqwest::get(&url).await.is_ok());
    drop(emu);
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
}

#[test]
fn works_from_sync_code_with_a_fixed_port_and_seed() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let config = EmulatorConfig {
        port,
        seed: Some(7),
        token: String::new(),
        latency: Duration::from_millis(30),
        ..EmulatorConfig::default()
    };
    let a = Emulator::start(config.clone()).unwrap();
    assert_eq!(a.port(), port);
    assert_eq!(a.base_url(), format!("http://127.0.0.1:{port}"));
    let secret_config = EmulatorConfig {
        token: "dop_v1_do-not-print".into(),
        ..EmulatorConfig::default()
    };
    assert!(!format!("{secret_config:?}").contains("do-not-print"));
    assert!(!format!("{a:?}").contains(&a.token()));
    let token = a.token();
    a.stop();
    let b = Emulator::start(EmulatorConfig { port: 0, ..config }).unwrap();
    assert_eq!(b.token(), token, "seeded token is reproducible");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t0 = Instant::now();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/v2/account", b.base_url()))
            .bearer_auth(b.token())
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, StatusCode::OK);
    assert!(
        t0.elapsed() >= Duration::from_millis(30),
        "latency is added"
    );
}

#[tokio::test]
async fn a_new_deployment_supersedes_one_in_flight() {
    // Minute-long phases: nothing finishes unless the test says so.
    let api = Api::new(start(60_000));
    let app = api.emu.seed_app(json!({"name": "busy"})).unwrap();
    let id = app["id"].as_str().unwrap().to_string();
    let live = app["active_deployment"]["id"].as_str().unwrap().to_string();

    // "Someone else" pushes: a deployment in flight, shown as the app's pending one.
    let pushed = api.emu.start_push_deployment(&id, None).unwrap();
    let pushed_id = pushed["id"].as_str().unwrap().to_string();
    assert_eq!(pushed["phase"], "PENDING_BUILD");
    assert!(pushed["cause"]
        .as_str()
        .unwrap()
        .contains("pushed to github"));
    let listed = api
        .ok(
            Method::GET,
            &format!("/v2/apps/{id}/deployments?deployment_types=DEPLOY_ON_PUSH"),
            None,
        )
        .await;
    assert_eq!(listed["meta"]["total"], 1);
    let read = api.ok(Method::GET, &format!("/v2/apps/{id}"), None).await;
    assert_eq!(read["app"]["pending_deployment"]["id"], pushed_id.as_str());

    // A PUT while it is in flight supersedes it at once; the app points at the new one.
    let put = api
        .ok(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": {"name": "busy"}})),
        )
        .await;
    let new_id = put["app"]["pending_deployment"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let superseded = api.wait_phase(&id, &pushed_id, "SUPERSEDED").await;
    assert!(
        superseded["phase_last_updated_at"].as_str().unwrap()
            >= pushed["created_at"].as_str().unwrap()
    );
    assert_eq!(
        superseded["updated_at"],
        superseded["phase_last_updated_at"]
    );
    // It never built: no step succeeded.
    assert!(superseded["progress"].get("success_steps").is_none());
    let read = api.ok(Method::GET, &format!("/v2/apps/{id}"), None).await;
    assert_eq!(read["app"]["pending_deployment"]["id"], new_id.as_str());
    assert_eq!(read["app"]["active_deployment"]["id"], live.as_str());
    // A superseded deployment cannot be canceled, nor rolled back to.
    let cancel = api
        .call(
            Method::POST,
            &format!("/v2/apps/{id}/deployments/{pushed_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(cancel.status, StatusCode::BAD_REQUEST);

    // POST /deployments supersedes too; the admin surface finishes the newest now.
    let manual = api
        .ok(
            Method::POST,
            &format!("/v2/apps/{id}/deployments"),
            Some(&json!({})),
        )
        .await;
    let manual_id = manual["deployment"]["id"].as_str().unwrap().to_string();
    api.wait_phase(&id, &new_id, "SUPERSEDED").await;
    let http = reqwest::Client::new();
    let finished: Value = http
        .post(format!(
            "{}/_emulator/apps/{id}/deployments/{manual_id}/finish",
            api.emu.base_url()
        ))
        .bearer_auth(api.emu.token())
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(finished["deployment"]["phase"], "ACTIVE");
    let read = api.ok(Method::GET, &format!("/v2/apps/{id}"), None).await;
    assert_eq!(read["app"]["active_deployment"]["id"], manual_id.as_str());
    assert!(read["app"].get("pending_deployment").is_none());
    assert!(read["app"].get("in_progress_deployment").is_none());
    // The previously live deployment is superseded by the newer ACTIVE one.
    api.wait_phase(&id, &live, "SUPERSEDED").await;
    // Finishing twice is refused; the admin start route answers like the method.
    let again = http
        .post(format!(
            "{}/_emulator/apps/{id}/deployments/{manual_id}/finish",
            api.emu.base_url()
        ))
        .bearer_auth(api.emu.token())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let started: Value = http
        .post(format!(
            "{}/_emulator/apps/{id}/deployments",
            api.emu.base_url()
        ))
        .bearer_auth(api.emu.token())
        .json(&json!({"cause": "commit 1234567 pushed to github/acme/busy"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        started["deployment"]["cause"],
        "commit 1234567 pushed to github/acme/busy"
    );
}

/// Issue 14, item 10: what a web page on the same machine could try against the admin
/// surface (no token, a rebound Host, a cross-origin text/plain POST) is refused and
/// changes nothing; the request log does not hold SECRET plaintexts.
#[tokio::test]
async fn the_admin_surface_refuses_what_a_browser_could_send() {
    let api = Api::new(start(1000));
    let base = api.emu.base_url();
    let token = api.emu.token();
    let http = reqwest::Client::new();
    let app = api.create(&sample_spec("guarded")).await;
    let id = app["id"].as_str().unwrap().to_string();
    let apps = || api.emu.apps_json();
    let before = apps();

    // No token, or a wrong one: 401.
    for auth in [None, Some("Bearer dop_v1_wrong"), Some("Basic x")] {
        let mut req = http
            .post(format!("{base}/_emulator/reset"))
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(auth) = auth {
            req = req.header(reqwest::header::AUTHORIZATION, auth);
        }
        assert_eq!(req.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        let read = http
            .get(format!("{base}/_emulator/requests"))
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), StatusCode::UNAUTHORIZED);
    }
    // A DNS-rebinding page: the right token would not even help with its Host.
    for host in ["evil.example:80", "127.0.0.1.evil.example", "[::2]:1", ""] {
        let status = http
            .get(format!("{base}/_emulator/requests"))
            .bearer_auth(&token)
            .header(reqwest::header::HOST, host)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{host}");
    }
    for host in ["localhost:1", "[::1]:8080", "127.0.0.1", "LOCALHOST"] {
        let status = http
            .get(format!("{base}/_emulator/health"))
            .bearer_auth(&token)
            .header(reqwest::header::HOST, host)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::OK, "{host}");
    }
    // A cross-origin "simple" request (text/plain, or a form): 415.
    for ctype in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let status = http
            .post(format!("{base}/_emulator/reset"))
            .bearer_auth(&token)
            .header(reqwest::header::CONTENT_TYPE, ctype)
            .body("{}")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ctype}");
    }
    assert_eq!(apps(), before, "a refused request changed the emulator");

    // The live-log URLs the API hands out stay readable without the token.
    let logs = api
        .ok(Method::GET, &format!("/v2/apps/{id}/logs?type=BUILD"), None)
        .await;
    let live = logs["live_url"].as_str().unwrap().to_string();
    assert_eq!(
        http.get(&live).send().await.unwrap().status(),
        StatusCode::OK
    );

    // The request log, read over HTTP, holds no SECRET plaintext; the emulator reveals it.
    let mut spec = app["spec"].clone();
    spec["envs"] = json!([{"key": "PW", "value": "canary-admin-log-77", "type": "SECRET"}]);
    api.ok(
        Method::PUT,
        &format!("/v2/apps/{id}"),
        Some(&json!({"spec": spec})),
    )
    .await;
    let text = http
        .get(format!("{base}/_emulator/requests"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("canary-admin-log-77"), "{text}");
    let logged = api.emu.requests().last().unwrap().body.clone().unwrap();
    let sent: Value = serde_json::from_str(&logged).unwrap();
    let value = sent["spec"]["envs"][0]["value"].as_str().unwrap();
    assert!(value.starts_with("[REDACTED EV[1:"), "{value}");
    assert_eq!(
        api.emu.reveal_secret(value).as_deref(),
        Some("canary-admin-log-77")
    );
}

/// The legacy size slugs the real API still accepts, with the tier and monthly price
/// DigitalOcean listed for them.
const LEGACY_SIZES: [(&str, &str, &str); 10] = [
    ("basic-xxs", "basic", "5.00"),
    ("basic-xs", "basic", "10.00"),
    ("basic-s", "basic", "20.00"),
    ("basic-m", "basic", "40.00"),
    ("professional-xs", "professional", "12.00"),
    ("professional-s", "professional", "25.00"),
    ("professional-m", "professional", "50.00"),
    ("professional-1l", "professional", "75.00"),
    ("professional-l", "professional", "150.00"),
    ("professional-xl", "professional", "300.00"),
];

#[tokio::test]
async fn legacy_instance_sizes_are_listed_and_answered() {
    let api = Api::new(start(10_000));
    let listed = api
        .ok(Method::GET, "/v2/apps/tiers/instance_sizes", None)
        .await;
    let listed = listed["instance_sizes"].as_array().unwrap();
    for (slug, tier, usd) in LEGACY_SIZES {
        let size = api
            .ok(
                Method::GET,
                &format!("/v2/apps/tiers/instance_sizes/{slug}"),
                None,
            )
            .await["instance_size"]
            .clone();
        assert_eq!(size["slug"], slug);
        assert_eq!(size["tier_slug"], tier, "{slug}");
        assert_eq!(size["usd_per_month"], usd, "{slug}");
        assert_eq!(size["deprecation_intent"], true, "{slug}");
        for field in ["name", "cpu_type", "cpus", "memory_bytes", "usd_per_second"] {
            assert!(size[field].is_string(), "{slug}.{field}");
        }
        assert_eq!(
            listed.iter().filter(|s| s["slug"] == slug).count(),
            1,
            "{slug} listed once"
        );
    }
    // The current sizes are not marked for deprecation.
    let current = api
        .ok(
            Method::GET,
            "/v2/apps/tiers/instance_sizes/apps-s-1vcpu-0.5gb",
            None,
        )
        .await;
    assert!(current["instance_size"].get("deprecation_intent").is_none());
}

#[tokio::test]
async fn specs_with_legacy_sizes_validate_price_and_tier() {
    let api = Api::new(start(10_000));
    let spec = |name: &str, size: &str, count: u64| {
        json!({
            "name": name,
            "region": "nyc",
            "services": [{"name": "web", "instance_size_slug": size, "instance_count": count,
                          "image": {"registry_type": "DOCR", "repository": "web"}}],
        })
    };
    let propose = |spec: Value| {
        let api = &api;
        async move {
            api.ok(
                Method::POST,
                "/v2/apps/propose",
                Some(&json!({"spec": spec})),
            )
            .await
        }
    };

    // basic-xxs: validates, costs 5 USD per instance, basic tier (no downgrade cost).
    let proposed = propose(spec("legacy-basic", "basic-xxs", 2)).await;
    assert_eq!(proposed["app_cost"], 10);
    assert!(proposed.get("app_tier_downgrade_cost").is_none());
    let app = api.create(&spec("legacy-basic", "basic-xxs", 2)).await;
    assert_eq!(app["tier_slug"], "basic");
    assert_eq!(
        app["spec"]["services"][0]["instance_size_slug"],
        "basic-xxs"
    );

    // professional-1l: 75 USD, professional tier; it downgrades to basic-m (40 USD).
    let proposed = propose(spec("legacy-pro", "professional-1l", 2)).await;
    assert_eq!(proposed["app_cost"], 150);
    assert_eq!(proposed["app_tier_downgrade_cost"], 80);
    let id = app["id"].as_str().unwrap();
    let updated = api
        .ok(
            Method::PUT,
            &format!("/v2/apps/{id}"),
            Some(&json!({"spec": spec("legacy-basic", "professional-1l", 2)})),
        )
        .await;
    assert_eq!(updated["app"]["tier_slug"], "professional");

    // Every legacy slug validates and prices as listed.
    for (slug, _, usd) in LEGACY_SIZES {
        let proposed = propose(spec("legacy-each", slug, 1)).await;
        let usd: f64 = usd.parse().unwrap();
        assert_eq!(proposed["app_cost"], usd.round() as i64, "{slug}");
    }
}
