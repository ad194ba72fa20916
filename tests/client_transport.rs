//! Transport behaviour of the DigitalOcean client against wiremock servers: retries, backoff,
//! retry-after, transport failures, pagination, error mapping, redaction, token sources and
//! rate-limit pacing. Delays are configured small so the file runs in a few seconds.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use do_envsync::client::{
    operation, Client, ClientBuilder, Error, RetryConfig, TransportKind, ACCOUNT_GET,
};
use futures::TryStreamExt;
use http::Method;
use serde_json::{json, Value};
use wiremock::matchers::{
    any, body_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A canary: it must never show up in any Debug or Display output.
const TOKEN: &str = "dop_v1_c0ffee0123456789abcdef0123456789abcdef0123456789abcdef01234567";
/// A secret ciphertext the API might return; never to be shown.
const CIPHERTEXT: &str = "EV[1:c2VjcmV0bm9uY2U=:c3VwZXJzZWNyZXR2YWx1ZQ==]";

fn fast_retry() -> RetryConfig {
    RetryConfig {
        max_attempts: 5,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        total_budget: Duration::from_secs(10),
    }
}

/// A server whose catch-all mock fails the test (on drop) naming any request no mock expected.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .named("catch-all: a request no mock expected")
        .expect(0)
        .mount(&server)
        .await;
    server
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .token(TOKEN)
        .base_url(&server.uri())
        .retry(fast_retry())
}

fn client(server: &MockServer) -> Client {
    builder(server).build().expect("client builds")
}

fn error_body(id: &str, message: &str, request_id: &str) -> Value {
    json!({"id": id, "message": message, "request_id": request_id})
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Answers with the scripted responses in order (repeating the last one) and records when
/// each request arrived.
#[derive(Clone)]
struct Script {
    responses: Arc<Vec<ResponseTemplate>>,
    arrivals: Arc<Mutex<Vec<(Instant, SystemTime)>>>,
}

impl Script {
    fn new(responses: Vec<ResponseTemplate>) -> Self {
        Script {
            responses: Arc::new(responses),
            arrivals: Arc::default(),
        }
    }

    fn arrivals(&self) -> Vec<(Instant, SystemTime)> {
        self.arrivals.lock().unwrap().clone()
    }
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push((Instant::now(), SystemTime::now()));
        let i = (arrivals.len() - 1).min(self.responses.len() - 1);
        self.responses[i].clone()
    }
}

fn ok_account() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"account": {"uuid": "u-1", "status": "active"}}))
}

// ---------------------------------------------------------------- retries

#[tokio::test]
async fn retries_each_retryable_status_then_succeeds() {
    for status in [429u16, 500, 502, 503, 504] {
        let server = server().await;
        Mock::given(method("GET"))
            .and(path("/v2/account"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("accept", "application/json"))
            .respond_with(Script::new(vec![
                ResponseTemplate::new(status).set_body_json(error_body("oops", "try again", "r-1")),
                ok_account(),
            ]))
            .expect(2)
            .named(format!("account: {status} then 200"))
            .mount(&server)
            .await;
        let account: Value = client(&server)
            .call(&ACCOUNT_GET, &[], &[], None)
            .await
            .unwrap_or_else(|e| panic!("{status} should be retried: {e}"));
        assert_eq!(account["account"]["uuid"], "u-1");
        let requests = server.received_requests().await.unwrap();
        let agent = requests[0]
            .headers
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(agent.starts_with("do-envsync/"), "{agent}");
        assert!(
            requests[0].headers.get("content-type").is_none(),
            "no body, no content type"
        );
    }
}

#[tokio::test]
async fn backoff_is_capped_and_attempts_are_bounded() {
    let server = server().await;
    let script = Script::new(vec![ResponseTemplate::new(503).set_body_json(error_body(
        "service_unavailable",
        "down",
        "r-503",
    ))]);
    Mock::given(method("GET"))
        .and(path("/v2/apps/regions"))
        .respond_with(script.clone())
        .expect(5)
        .mount(&server)
        .await;
    let retry = RetryConfig {
        max_attempts: 5,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(200),
        total_budget: Duration::from_secs(30),
    };
    let client = builder(&server).retry(retry).build().unwrap();
    let err = client
        .send(operation("list_regions").unwrap(), &[], &[], None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server(api) if api.status == 503 && api.request_id.as_deref() == Some("r-503"))
    );

    let arrivals = script.arrivals();
    assert_eq!(arrivals.len(), 5);
    // Gap i (before retry i) is at most the cap 100, 200, 200, 200 ms plus scheduling
    // slack for a loaded machine (an uncapped 100 ms doubling would reach 800 ms).
    for (i, pair) in arrivals.windows(2).enumerate() {
        let gap = pair[1].0 - pair[0].0;
        let cap = retry.backoff_cap(i as u32 + 1);
        assert!(
            gap <= cap + Duration::from_millis(1500),
            "gap {i} {gap:?} > cap {cap:?}"
        );
    }
    let caps: Vec<_> = (1..=4).map(|r| retry.backoff_cap(r)).collect();
    assert!(caps[1] > caps[0], "the cap grows");
    assert_eq!(caps[2], retry.max_delay, "and is capped");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(Script::new(vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(error_body(
                    "too_many_requests",
                    "API Rate limit exceeded.",
                    "r-429",
                )),
            ok_account(),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&server)
        .send(&ACCOUNT_GET, &[], &[], None)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_beyond_the_budget_gives_up_at_once() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "10")
                .set_body_json(error_body(
                    "too_many_requests",
                    "API Rate limit exceeded.",
                    "r-429",
                )),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry(RetryConfig {
            total_budget: Duration::from_secs(2),
            ..fast_retry()
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap_err();
    // At once: not after the 10 s retry-after, which exceeds the 2 s budget.
    assert!(started.elapsed() < Duration::from_secs(5));
    match err {
        Error::RateLimited { error, retry_after } => {
            assert_eq!(retry_after, Some(Duration::from_secs(10)));
            assert_eq!(error.id.as_deref(), Some("too_many_requests"));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_side_effecting_post_is_never_retried() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v2/apps"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(500).set_body_json(error_body(
            "server_error",
            "boom",
            "r-500",
        )))
        .expect(2) // one per call below: neither is retried
        .mount(&server)
        .await;
    let body = Bytes::from_static(br#"{"spec":{"name":"x"}}"#);
    let err = client(&server)
        .send(operation("create").unwrap(), &[], &[], Some(body.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(
        err.is_retryable(),
        "retryable in itself, but not for a POST"
    );

    // The raw escape hatch follows the method: POST not retried either.
    let err = client(&server)
        .request(Method::POST, "/v2/apps", &[], Some(body))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server(_)));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn propose_is_a_retry_safe_post() {
    let server = server().await;
    let spec = json!({"spec": {"name": "sample", "services": [{"name": "web"}]}});
    Mock::given(method("POST"))
        .and(path("/v2/apps/propose"))
        .and(header("content-type", "application/json"))
        .and(body_json(&spec))
        .respond_with(Script::new(vec![
            ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
            ResponseTemplate::new(200).set_body_json(json!({"app_is_static": false})),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let body = Bytes::from(serde_json::to_vec(&spec).unwrap());
    let proposed: Value = client(&server)
        .call(operation("propose").unwrap(), &[], &[], Some(body))
        .await
        .unwrap();
    assert_eq!(proposed["app_is_static"], false);
}

#[tokio::test]
async fn put_through_the_raw_request_is_retried() {
    let server = server().await;
    Mock::given(method("PUT"))
        .and(path("/v2/apps/app-1"))
        .respond_with(Script::new(vec![
            ResponseTemplate::new(504),
            ResponseTemplate::new(200).set_body_json(json!({"app": {"id": "app-1"}})),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let absolute = format!("{}/v2/apps/app-1", server.uri());
    let response = client(&server)
        .request(Method::PUT, &absolute, &[], Some(Bytes::from_static(b"{}")))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
}

// ---------------------------------------------------------------- transport failures

/// A TCP server that accepts connections and drops them without answering.
async fn dropping_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (format!("http://{address}"), accepted)
}

#[tokio::test]
async fn dropped_connections_are_retried_then_reported_as_transport_errors() {
    let (uri, accepted) = dropping_server().await;
    let client = Client::builder()
        .token(TOKEN)
        .base_url(&uri)
        .retry(RetryConfig {
            max_attempts: 3,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let err = client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap_err();
    match &err {
        Error::Transport { kind, message } => {
            assert_eq!(*kind, TransportKind::Reset, "{message}");
            assert!(!message.contains(TOKEN));
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        3,
        "one connection per attempt"
    );
}

#[tokio::test]
async fn refused_connections_are_connect_errors() {
    // Bind then drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .token(TOKEN)
        .base_url(&format!("http://127.0.0.1:{port}"))
        .retry(RetryConfig {
            max_attempts: 2,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let err = client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn slow_responses_time_out_per_attempt() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(ok_account().set_delay(Duration::from_secs(5)))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .retry(RetryConfig {
            max_attempts: 2,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    // Two attempts of 200 ms each, not the 5 s each answer is held.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "per-attempt timeout applied"
    );
}

// ---------------------------------------------------------------- pagination

fn apps_page(ids: &[&str], next: Option<String>) -> ResponseTemplate {
    let apps: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "spec": {"name": id}}))
        .collect();
    let mut links = json!({"pages": {}});
    if let Some(next) = next {
        links["pages"]["next"] = Value::String(next);
    }
    ResponseTemplate::new(200)
        .set_body_json(json!({"apps": apps, "links": links, "meta": {"total": 5}}))
}

async fn mount_three_pages(server: &MockServer) {
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/v2/apps"))
        .and(query_param("per_page", "200"))
        .and(query_param_is_missing("page"))
        .respond_with(apps_page(
            &["a1", "a2"],
            Some(format!("{uri}/v2/apps?page=2&per_page=200")),
        ))
        .named("page 1")
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps"))
        .and(query_param("page", "2"))
        .and(query_param("per_page", "200"))
        .respond_with(apps_page(
            &["a3", "a4"],
            Some(format!("{uri}/v2/apps?page=3&per_page=200")),
        ))
        .named("page 2")
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps"))
        .and(query_param("page", "3"))
        .respond_with(apps_page(&["a5"], None))
        .named("page 3")
        .mount(server)
        .await;
}

#[tokio::test]
async fn pages_are_followed_with_per_page_200() {
    let server = server().await;
    mount_three_pages(&server).await;
    let client = client(&server);
    let list = operation("list").unwrap();

    let ids: Vec<String> = client
        .pages(list, &[], &[])
        .into_item_stream()
        .map_ok(|app| app["id"].as_str().unwrap().to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a1", "a2", "a3", "a4", "a5"]);

    let mut pages = client.pages(list, &[], &[]);
    let mut bodies = Vec::new();
    while let Some(body) = pages.next_page().await.unwrap() {
        bodies.push(serde_json::from_slice::<Value>(&body).unwrap());
    }
    assert_eq!(pages.pages_fetched(), 3);
    assert_eq!(bodies[2]["apps"][0]["id"], "a5");
    assert!(pages.next_page().await.unwrap().is_none(), "stays done");
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
}

#[tokio::test]
async fn a_caller_per_page_is_kept_and_an_empty_page_ends_the_listing() {
    let server = server().await;
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/v2/apps/app-1/deployments"))
        .and(query_param("per_page", "2"))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployments": [],
            "links": {"pages": {"next": format!("{uri}/v2/apps/app-1/deployments?page=2&per_page=2")}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut pages = client(&server).pages(
        operation("list_deployments").unwrap(),
        &[("app_id", "app-1")],
        &[("per_page".to_string(), "2".to_string())],
    );
    assert!(pages.next_page().await.unwrap().is_some());
    assert!(
        pages.next_page().await.unwrap().is_none(),
        "no items: stop despite a next link"
    );
}

#[tokio::test]
async fn an_off_origin_next_link_is_refused_before_sending() {
    let server = server().await;
    let other = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .named("other origin")
        .expect(0)
        .mount(&other)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps"))
        .respond_with(apps_page(
            &["a1"],
            Some(format!(
                "{}/v2/apps?page=2&per_page=200&secret=s3cr3t",
                other.uri()
            )),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut pages = client(&server).pages(operation("list").unwrap(), &[], &[]);
    assert!(pages.next_page().await.unwrap().is_some());
    let err = pages.next_page().await.unwrap_err();
    match &err {
        Error::OffOrigin { url } => {
            assert_eq!(url, &format!("{}/v2/apps", other.uri()));
            assert!(!err.to_string().contains("s3cr3t"));
        }
        other => panic!("expected OffOrigin, got {other:?}"),
    }
    assert!(other.received_requests().await.unwrap().is_empty());
    assert_eq!(pages.pages_fetched(), 1);

    // Same for the raw escape hatch.
    let err = client(&server)
        .request(
            Method::GET,
            &format!("{}/v2/account", other.uri()),
            &[],
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OffOrigin { .. }));
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_page_cap_stops_an_endless_listing() {
    let server = server().await;
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/v2/apps/app-1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "events": [{"id": "e"}],
            "links": {"pages": {"next": format!("{uri}/v2/apps/app-1/events?page=2&per_page=200")}}
        })))
        .expect(3)
        .mount(&server)
        .await;
    let client = builder(&server).max_pages(3).build().unwrap();
    let stream = client
        .pages(
            operation("list_events").unwrap(),
            &[("app_id", "app-1")],
            &[],
        )
        .into_item_stream();
    let items: Vec<Result<Value, Error>> = futures::StreamExt::collect(stream).await;
    assert_eq!(items.len(), 4, "three items, then the error");
    assert!(items[..3].iter().all(Result::is_ok));
    assert!(
        matches!(items[3], Err(Error::PageLimit { pages: 3 })),
        "{:?}",
        items[3]
    );
}

#[tokio::test]
async fn a_page_that_is_not_a_list_page_is_a_decode_error() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-page")
                .set_body_json(json!({"apps": {"not": "an array"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut pages = client(&server).pages(operation("list").unwrap(), &[], &[]);
    let err = pages.next_page().await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { status: 200, request_id: Some(id), .. } if id == "req-page"),
        "{err:?}"
    );
    assert!(
        pages.next_page().await.unwrap().is_none(),
        "the listing ends"
    );
}

#[tokio::test]
async fn a_non_list_operation_cannot_be_paged() {
    let server = server().await;
    let mut pages = client(&server).pages(&ACCOUNT_GET, &[], &[]);
    assert!(matches!(pages.next_page().await, Err(Error::Config(_))));
}

// ---------------------------------------------------------------- error mapping

type IsVariant = fn(&Error) -> bool;

#[tokio::test]
async fn each_error_status_maps_to_its_variant_with_details() {
    let server = server().await;
    let cases: [(u16, &str, IsVariant); 9] = [
        (400, "bad_request", |e| matches!(e, Error::Validation(_))),
        (401, "unauthorized", |e| {
            matches!(e, Error::Authentication(_))
        }),
        (403, "forbidden", |e| {
            matches!(e, Error::PermissionDenied(_))
        }),
        (404, "not_found", |e| matches!(e, Error::NotFound(_))),
        (409, "conflict", |e| matches!(e, Error::Conflict(_))),
        (418, "teapot", |e| matches!(e, Error::Api(_))),
        (422, "unprocessable_entity", |e| {
            matches!(e, Error::Validation(_))
        }),
        (429, "too_many_requests", |e| {
            matches!(
                e,
                Error::RateLimited {
                    retry_after: None,
                    ..
                }
            )
        }),
        (500, "server_error", |e| matches!(e, Error::Server(_))),
    ];
    for (status, id, _) in &cases {
        Mock::given(method("GET"))
            .and(path(format!("/v2/apps/app-{status}")))
            .respond_with(ResponseTemplate::new(*status).set_body_json(error_body(
                id,
                &format!("message for {status}"),
                &format!("req-{status}"),
            )))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = builder(&server)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    for (status, id, is_variant) in cases {
        let app_id = format!("app-{status}");
        let err = client
            .send(operation("get").unwrap(), &[("id", &app_id)], &[], None)
            .await
            .unwrap_err();
        assert!(is_variant(&err), "{status}: {err:?}");
        let api = err.api().expect("an API error");
        assert_eq!(api.status, status);
        assert_eq!(api.id.as_deref(), Some(id));
        assert_eq!(api.message, format!("message for {status}"));
        assert_eq!(
            api.request_id.as_deref(),
            Some(format!("req-{status}").as_str())
        );
        assert_eq!(err.status(), Some(status));
        assert!(
            err.to_string().contains(&format!("message for {status}")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn request_id_header_and_non_json_error_bodies() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-request-id", "hdr-404")
                .set_body_json(json!({"id": "not_found", "message": "gone"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/teapot"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("x-request-id", "hdr-503")
                .set_body_string(format!("<html>upstream said {CIPHERTEXT} {TOKEN}</html>")),
        )
        .mount(&server)
        .await;
    // A redirect is not followed: the token must not travel to the Location.
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/moved"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/v2/apps", other.uri())),
        )
        .mount(&server)
        .await;
    let client = builder(&server)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let get = operation("get").unwrap();

    let err = client
        .send(get, &[("id", "missing")], &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.request_id(), Some("hdr-404"));

    let err = client
        .send(get, &[("id", "teapot")], &[], None)
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.id, None);
    assert_eq!(api.request_id.as_deref(), Some("hdr-503"));
    assert!(api.message.contains("non-JSON"), "{}", api.message);
    assert!(api.message.contains("upstream said"));
    assert!(!api.message.contains("c3VwZXJzZWNyZXR2YWx1ZQ") && !api.message.contains(TOKEN));

    let err = client
        .send(get, &[("id", "moved")], &[], None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(api) if api.status == 302),
        "{err:?}"
    );
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_a_masked_excerpt() {
    let server = server().await;
    let body = format!(
        r#"{{"app":{{"id":"a1","spec":{{"envs":[{{"key":"DB","type":"SECRET","value":"{CIPHERTEXT}"}}],"note":"{TOKEN}"#
    );
    Mock::given(method("GET"))
        .and(path("/v2/apps/a1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-decode")
                .set_body_raw(body, "application/json"),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .call::<Value>(operation("get").unwrap(), &[("id", "a1")], &[], None)
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            status,
            excerpt,
            request_id,
            ..
        } => {
            assert_eq!(*status, 200);
            assert_eq!(request_id.as_deref(), Some("req-decode"));
            assert!(excerpt.starts_with(r#"{"app":{"id":"a1""#), "{excerpt}");
            assert!(excerpt.contains("[REDACTED]"));
            assert!(excerpt.chars().count() <= 201);
            assert!(!excerpt.contains("c3VwZXJzZWNyZXR2YWx1ZQ"));
            assert!(!excerpt.contains("c0ffee"));
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn path_parameters_are_percent_encoded_on_the_wire() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/a%2F..%2Fb/deployments/d%3Fx"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deployment": {"id": "d"}})))
        .expect(1)
        .mount(&server)
        .await;
    let response = client(&server)
        .send(
            operation("get_deployment").unwrap(),
            &[("app_id", "a/../b"), ("deployment_id", "d?x")],
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
}

// ---------------------------------------------------------------- configuration and secrets

#[tokio::test]
async fn nothing_prints_the_token_or_a_secret() {
    let server = server().await;
    Mock::given(method("PUT"))
        .and(path("/v2/apps/a1"))
        .respond_with(ResponseTemplate::new(422).set_body_json(error_body(
            "unprocessable_entity",
            &format!("env DB has invalid value {CIPHERTEXT}; token {TOKEN} lacks database:read"),
            "r-422",
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/apps/a1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("not json {CIPHERTEXT}")))
        .mount(&server)
        .await;
    let builder = builder(&server);
    let client = builder.clone().build().unwrap();
    let body =
        Bytes::from_static(br#"{"spec":{"envs":[{"key":"DB","value":"plaintext-password-123"}]}}"#);

    let mut errors = vec![
        client
            .send(
                operation("update").unwrap(),
                &[("id", "a1")],
                &[],
                Some(body),
            )
            .await
            .unwrap_err(),
        client
            .call::<Value>(operation("get").unwrap(), &[("id", "a1")], &[], None)
            .await
            .unwrap_err(),
        Client::builder()
            .token(TOKEN)
            .base_url("http://example.com")
            .build()
            .unwrap_err(),
        Client::builder()
            .token(format!("{TOKEN}\n"))
            .build()
            .unwrap_err(),
        client
            .request(
                Method::GET,
                &format!("https://evil.example/?token={TOKEN}"),
                &[],
                None,
            )
            .await
            .unwrap_err(),
    ];
    let (uri, _) = dropping_server().await;
    let dropped = Client::builder()
        .token(TOKEN)
        .base_url(&uri)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    errors.push(
        dropped
            .send(&ACCOUNT_GET, &[], &[], None)
            .await
            .unwrap_err(),
    );

    assert!(
        matches!(&errors[0], Error::Validation(api) if api.message.contains("lacks database:read"))
    );
    for text in errors
        .iter()
        .flat_map(|e| [e.to_string(), format!("{e:?}")])
        .chain([format!("{builder:?}"), format!("{client:?}")])
    {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!text.contains("c0ffee0123"), "token part leaked: {text}");
        assert!(
            !text.contains("c3VwZXJzZWNyZXR2YWx1ZQ"),
            "ciphertext leaked: {text}"
        );
        assert!(
            !text.contains("plaintext-password-123"),
            "request body leaked: {text}"
        );
    }
    assert!(format!("{client:?}").contains("[REDACTED]"));
    assert!(format!("{builder:?}").contains("[REDACTED]"));
}

#[test]
fn plain_http_is_refused_for_non_loopback_hosts() {
    for url in [
        "http://api.digitalocean.com",
        "http://192.168.1.10:8080",
        "http://localhost.example.com",
    ] {
        let err = Client::builder()
            .token(TOKEN)
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
    }
    for url in [
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
        "http://localhost:8080",
        "https://api.digitalocean.com",
    ] {
        let client = Client::builder()
            .token(TOKEN)
            .base_url(url)
            .build()
            .unwrap();
        assert_eq!(
            client.base_url().as_str().trim_end_matches('/'),
            url.trim_end_matches('/')
        );
    }
    let client = Client::builder().token(TOKEN).build().unwrap();
    assert_eq!(client.base_url().as_str(), "https://api.digitalocean.com/");
}

/// Serialises the tests that change process environment variables.
static ENV_LOCK: Mutex<()> = Mutex::new(());

#[tokio::test]
async fn the_token_comes_from_the_environment_when_not_given() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .and(header("authorization", "Bearer dop_v1_from_primary"))
        .respond_with(ok_account())
        .expect(1)
        .named("DIGITALOCEAN_TOKEN")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .and(header("authorization", "Bearer dop_v1_from_fallback"))
        .respond_with(ok_account())
        .expect(1)
        .named("DIGITALOCEAN_ACCESS_TOKEN")
        .mount(&server)
        .await;

    let (primary, fallback) = {
        let _guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let saved: Vec<_> = ["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"]
            .iter()
            .map(|k| (*k, std::env::var_os(k)))
            .collect();
        let build = || Client::builder().base_url(&server.uri()).build();

        std::env::set_var("DIGITALOCEAN_TOKEN", "dop_v1_from_primary");
        std::env::set_var("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_from_fallback");
        let primary = build();
        std::env::remove_var("DIGITALOCEAN_TOKEN");
        let fallback = build();
        std::env::remove_var("DIGITALOCEAN_ACCESS_TOKEN");
        let missing = build();
        std::env::set_var("DIGITALOCEAN_TOKEN", "  ");
        let blank = build();

        for (key, value) in saved {
            match value {
                Some(v) => std::env::set_var(key, v),
                None => std::env::remove_var(key),
            }
        }
        assert!(matches!(missing, Err(Error::Config(ref m)) if m.contains("DIGITALOCEAN_TOKEN")));
        assert!(matches!(blank, Err(Error::Config(_))));
        (primary.unwrap(), fallback.unwrap())
    };
    primary.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    fallback.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
}

// ---------------------------------------------------------------- rate limits and pacing

fn with_rate_limit(
    template: ResponseTemplate,
    limit: u32,
    remaining: u32,
    reset: u64,
) -> ResponseTemplate {
    template
        .insert_header("ratelimit-limit", limit.to_string().as_str())
        .insert_header("ratelimit-remaining", remaining.to_string().as_str())
        .insert_header("ratelimit-reset", reset.to_string().as_str())
}

#[tokio::test]
async fn rate_limit_headers_are_recorded() {
    let server = server().await;
    let reset = unix_now() + 1800;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(with_rate_limit(ok_account(), 5000, 4321, reset))
        .mount(&server)
        .await;
    let client = client(&server);
    assert_eq!(client.rate_limit(), None);
    let before = SystemTime::now();
    client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    let seen = client
        .clone()
        .rate_limit()
        .expect("headers recorded, shared by clones");
    assert_eq!(
        (seen.limit, seen.remaining, seen.reset),
        (5000, 4321, reset)
    );
    assert!(seen.observed_at >= before);
}

#[tokio::test]
async fn no_pacing_delay_while_plenty_remains() {
    let server = server().await;
    let reset = unix_now() + 60;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(with_rate_limit(ok_account(), 250, 200, reset))
        .expect(40)
        .mount(&server)
        .await;
    let client = client(&server);
    let started = Instant::now();
    for _ in 0..40 {
        client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    }
    // Unpaced: spreading 40 of the 200 remaining over the 60 s window would take 12 s.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_exhausted_budget_holds_requests_until_reset() {
    let server = server().await;
    let reset = unix_now() + 2;
    let script = Script::new(vec![
        with_rate_limit(ok_account(), 250, 0, reset),
        with_rate_limit(ok_account(), 250, 100, reset + 60),
    ]);
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(script.clone())
        .expect(4)
        .mount(&server)
        .await;
    let client = client(&server);
    client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    assert_eq!(client.rate_limit().unwrap().remaining, 0);

    // Three concurrent requests through clones share the pacer: none fires before reset.
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .send(&ACCOUNT_GET, &[], &[], None)
                    .await
                    .map(|r| r.status)
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    let reset_time = UNIX_EPOCH + Duration::from_secs(reset);
    let arrivals = script.arrivals();
    assert_eq!(arrivals.len(), 4);
    for (_, at) in &arrivals[1..] {
        assert!(*at >= reset_time, "a request fired before reset");
        assert!(
            *at < reset_time + Duration::from_secs(20),
            "waited far past reset (the next window is 60 s later)"
        );
    }
}

#[tokio::test]
async fn pacing_can_be_switched_off() {
    let server = server().await;
    let reset = unix_now() + 30;
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(with_rate_limit(ok_account(), 250, 0, reset))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server).pacing(false).build().unwrap();
    let started = Instant::now();
    client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    // Not held until the reset, 30 s away.
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn the_hourly_quota_beyond_the_budget_fails_with_the_time_to_reset() {
    let server = server().await;
    let reset = unix_now() + 600;
    // A 429 without retry-after and with nothing remaining: the hourly quota.
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(with_rate_limit(
            ResponseTemplate::new(429).set_body_json(error_body(
                "too_many_requests",
                "API Rate limit exceeded.",
                "r-1",
            )),
            5000,
            0,
            reset,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .max_pacing_wait(Duration::from_secs(5))
        .build()
        .unwrap();
    // 600 s to reset do not fit the 10 s retry budget: no retry, the error says how long.
    let err = client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap_err();
    assert!(
        matches!(&err, Error::RateLimited { retry_after: Some(wait), .. }
            if *wait > Duration::from_secs(590) && *wait <= Duration::from_secs(602)),
        "{err:?}"
    );
    // The next request is refused locally, without sending, with the same wait.
    let started = Instant::now();
    let err = client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap_err();
    // At once: not after waiting max_pacing_wait (5 s), let alone the reset.
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(
        matches!(&err, Error::RateLimited { retry_after: Some(wait), .. } if *wait > Duration::from_secs(500)),
        "{err:?}"
    );
}

/// The reference's "Rate Limit Headers When Burst Limit is Reached" sample as a 429.
fn burst_429(reset: u64, retry_after: u32) -> ResponseTemplate {
    with_rate_limit(
        ResponseTemplate::new(429).set_body_json(error_body(
            "too_many_requests",
            "API Rate limit exceeded.",
            "r-429",
        )),
        5000,
        0,
        reset,
    )
    .insert_header("retry-after", retry_after.to_string().as_str())
}

#[tokio::test]
async fn a_burst_429_is_retried_after_retry_after_not_held_until_reset() {
    let server = server().await;
    let reset = unix_now() + 3599;
    let script = Script::new(vec![
        burst_429(reset, 1),
        with_rate_limit(ok_account(), 5000, 4000, reset),
    ]);
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(script.clone())
        .expect(4)
        .mount(&server)
        .await;
    let client = client(&server);
    client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    let arrivals = script.arrivals();
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1].0 - arrivals[0].0;
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
    assert!(
        gap < Duration::from_secs(10),
        "held far past retry-after: {gap:?}"
    );
    // The budget is back: the next requests go at once.
    let started = Instant::now();
    client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_burst_429_holds_the_other_requests_of_the_client_for_retry_after() {
    let server = server().await;
    let reset = unix_now() + 3599;
    let script = Script::new(vec![
        burst_429(reset, 2),
        with_rate_limit(ok_account(), 5000, 4000, reset),
    ]);
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(script.clone())
        .expect(4)
        .mount(&server)
        .await;
    let client = client(&server);
    let first = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .send(&ACCOUNT_GET, &[], &[], None)
                .await
                .map(|r| r.status)
        })
    };
    // The first request has met the 429 once it arrived; then two more start.
    while script.arrivals().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let others: Vec<_> = (0..2)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .send(&ACCOUNT_GET, &[], &[], None)
                    .await
                    .map(|r| r.status)
            })
        })
        .collect();
    assert_eq!(first.await.unwrap().unwrap(), 200);
    for task in others {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    let arrivals = script.arrivals();
    assert_eq!(arrivals.len(), 4, "one 429, then three successes");
    for (at, _) in &arrivals[1..] {
        let after = *at - arrivals[0].0;
        assert!(
            after >= Duration::from_secs(2),
            "a request went {after:?} after the 429"
        );
    }
}

#[tokio::test]
async fn remaining_zero_on_a_success_with_a_far_reset_is_no_hour_long_refusal() {
    let server = server().await;
    // The burst window is full (remaining 0) but the hourly window's oldest request only
    // expires in an hour: the client must not wait, or refuse, for an hour.
    let reset = unix_now() + 3599;
    let script = Script::new(vec![
        with_rate_limit(ok_account(), 5000, 0, reset),
        with_rate_limit(ok_account(), 5000, 4000, reset),
    ]);
    Mock::given(method("GET"))
        .and(path("/v2/account"))
        .respond_with(script.clone())
        .expect(3)
        .mount(&server)
        .await;
    let client = builder(&server)
        .max_pacing_wait(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        client.send(&ACCOUNT_GET, &[], &[], None).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
