"""Contract: every response the emulator sends validates against DigitalOcean's OpenAPI bundle.

Each of the 39 operations (38 App Platform + `/v2/account`) is driven once over plain HTTP
(`http.client`, not our client: what is checked is the emulator's wire format) on an app
with every kind of component, so that the optional parts of the responses appear. Each
answer is checked against the operation's response schema in `shared/openapi`, strictly:
an object may hold only the properties its schema declares (`unevaluatedProperties`), the
one documented exception being app-level `spec.envs` (see `shared/openapi/SUMMARY.md`).
Errors (401 for every operation, 404 for every operation with an id in its path, 400 for
bad bodies and queries) are checked against the error schema and the reference's samples
(`shared/seeds/004_*.txt`: `{id, message, request_id}`, rate-limit headers on every
response, `links.pages` and `meta.total` on collections).
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jsonschema
import pytest
from do_envsync.testing import Emulator

BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "openapi" / "apps-bundle.json"

# The reference's error sample messages (seed 001 and the bundle's response examples).
UNAUTHORIZED = {"id": "unauthorized", "message": "Unable to authenticate you."}
NOT_FOUND = {"id": "not_found", "message": "The resource you requested could not be found."}


# ---------------------------------------------------------------------------
# The bundle, made strict
# ---------------------------------------------------------------------------


def _strict(schema: Any, in_all_of: bool = False) -> Any:
    """A copy of an OpenAPI 3.0 schema in which objects admit only their declared
    properties, and `nullable` is honoured. Members of an `allOf` are left open (their
    properties are evaluated by the enclosing schema, which is the one closed)."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "patternProperties"):
            out[key] = {k: _strict(v) for k, v in value.items()}
        elif key == "allOf":
            out[key] = [_strict(s, in_all_of=True) for s in value]
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _strict(value)
        elif key in ("oneOf", "anyOf"):
            out[key] = [_strict(s) for s in value]
        elif key in ("example", "examples", "nullable") or key.startswith("x-"):
            continue
        else:
            out[key] = value
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    closes = "properties" in schema or "allOf" in schema
    if closes and not in_all_of and "additionalProperties" not in schema:
        out["unevaluatedProperties"] = False
    return out


def _load_bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(BUNDLE.read_text())
    schemas = bundle["components"]["schemas"]
    # Named schemas used as allOf members stay open; every other one is closed.
    in_all_of = {m["$ref"].rsplit("/", 1)[1] for m in _all_of_members(bundle) if "$ref" in m}
    bundle["components"]["schemas"] = {
        name: _strict(s, in_all_of=name in in_all_of) for name, s in schemas.items()
    }
    # The documented gap, and only it: app-level `envs` (seed 001's update example has
    # it; the bundle's AppSpec lacks it).
    app_spec = bundle["components"]["schemas"]["app_spec"]
    assert "envs" not in app_spec["properties"], "the bundle gained spec.envs: drop this"
    app_spec["properties"]["envs"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/app_variable_definition"},
    }
    # The propose answer's `max_free_static_apps`: in the reference's sample (seed 001 and
    # the bundle's own `propose` example) but not in the bundle's schema.
    propose = bundle["components"]["schemas"]["app_propose_response"]
    assert "max_free_static_apps" not in propose["properties"]
    propose["properties"]["max_free_static_apps"] = {"type": "string"}
    return bundle


def _all_of_members(node: Any) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, dict):
        found += node.get("allOf", [])
        for value in node.values():
            found += _all_of_members(value)
    elif isinstance(node, list):
        for value in node:
            found += _all_of_members(value)
    return found


@dataclass(frozen=True)
class Operation:
    op_id: str
    method: str
    template: str
    responses: dict[str, Any]

    def matches(self, method: str, path: str) -> bool:
        t, p = self.template.split("/"), path.split("/")
        return (
            method == self.method
            and len(t) == len(p)
            and all(a == b or a.startswith("{") for a, b in zip(t, p, strict=True))
        )


def _operations(bundle: dict[str, Any]) -> list[Operation]:
    ops = [
        Operation(op["operationId"], method.upper(), path, op["responses"])
        for path, item in bundle["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ops) == 39, len(ops)
    return ops


def _resolve(bundle: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = bundle
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


# ---------------------------------------------------------------------------
# Raw HTTP against the emulator
# ---------------------------------------------------------------------------


@dataclass
class Answer:
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Wire:
    """Plain HTTP to the emulator; records every answer for the checks."""

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token
        self.answers: list[Answer] = []

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, Any] | None = None,
        token: str | None = "default",
        raw: bytes | None = None,
    ) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.token if token == 'default' else token}"
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        target = path + ("?" + urlencode(query, doseq=True) if query else "")
        try:
            conn.request(method, target, body=data, headers=headers)
            resp = conn.getresponse()
            answer = Answer(
                method,
                path,
                resp.status,
                {k.lower(): v for k, v in resp.getheaders()},
                resp.read(),
            )
        finally:
            conn.close()
        self.answers.append(answer)
        return answer

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self(method, path, **kwargs)
        assert answer.status == 200, (method, path, answer.status, answer.body[:300])
        return answer.json() if answer.body else None


# ---------------------------------------------------------------------------
# Realistic data: an app with every kind of component
# ---------------------------------------------------------------------------


def full_spec(name: str) -> dict[str, Any]:
    """Every component kind, app-level and component envs, domains, ingress, alerts."""
    envs = [
        {"key": "DATABASE_URL", "value": "${db.DATABASE_URL}", "scope": "RUN_TIME"},
        {"key": "TOKEN", "value": "contract-secret", "type": "SECRET", "scope": "RUN_TIME"},
    ]
    git = {"repo_clone_url": "https://github.com/acme/shop.git", "branch": "main"}
    return {
        "name": name,
        "region": "nyc",
        "envs": [{"key": "LOG_LEVEL", "value": "info", "scope": "RUN_AND_BUILD_TIME"}],
        "domains": [{"domain": "shop.example.com", "type": "PRIMARY"}],
        "services": [
            {
                "name": "web",
                "github": {"repo": "acme/shop", "branch": "main", "deploy_on_push": True},
                "run_command": "gunicorn app:app",
                "instance_count": 2,
                "instance_size_slug": "apps-s-1vcpu-1gb",
                "http_port": 8080,
                "envs": envs,
                "health_check": {"http_path": "/healthz"},
            }
        ],
        "static_sites": [{"name": "docs", "git": git, "output_dir": "public"}],
        "workers": [
            {
                "name": "queue",
                "image": {"registry_type": "DOCR", "repository": "queue", "tag": "v1"},
                "instance_size_slug": "apps-s-1vcpu-0.5gb",
            }
        ],
        "jobs": [
            {
                "name": "migrate",
                "kind": "PRE_DEPLOY",
                "git": git,
                "run_command": "make migrate",
                "envs": envs[:1],
            },
            {
                "name": "notify",
                "kind": "POST_DEPLOY",
                "git": git,
                "run_command": "make notify",
            },
        ],
        "functions": [
            {
                "name": "api",
                "github": {"repo": "acme/fn", "branch": "main"},
                # Alerts live on components in the bundle's AppSpec (not at app level).
                "alerts": [
                    {
                        "rule": "FUNCTIONS_ERROR_COUNT",
                        "operator": "GREATER_THAN",
                        "value": 5.0,
                        "window": "FIVE_MINUTES",
                    },
                    {
                        "rule": "FUNCTIONS_ACTIVATION_COUNT",
                        "operator": "GREATER_THAN",
                        "value": 100.0,
                        "window": "ONE_HOUR",
                    },
                ],
            }
        ],
        "databases": [{"name": "db", "engine": "PG", "production": False}],
        "ingress": {
            "rules": [
                {"match": {"path": {"prefix": "/"}}, "component": {"name": "web"}},
                {"match": {"path": {"prefix": "/docs"}}, "component": {"name": "docs"}},
            ]
        },
        "maintenance": {"enabled": False},
        "disable_edge_cache": True,
    }


def wait_until(predicate: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------


class Checker:
    def __init__(self) -> None:
        self.bundle = _load_bundle()
        self.ops = _operations(self.bundle)
        self.error_schema = {
            "$ref": "#/components/schemas/error",
            "components": self.bundle["components"],
        }
        # operationId -> statuses checked
        self.covered: dict[str, set[int]] = {}

    def operation(self, answer: Answer) -> Operation:
        found = [op for op in self.ops if op.matches(answer.method, answer.path)]
        # A literal segment beats a template (`/v2/apps/propose` vs `/v2/apps/{id}`).
        found.sort(key=lambda op: op.template.count("{"))
        assert found, f"no operation for {answer.method} {answer.path}"
        return found[0]

    def check(self, answer: Answer) -> None:
        op = self.operation(answer)
        where = f"{op.op_id} {answer.status}"
        # Rate-limit headers on every response (seed 004, "Rate Limit").
        for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
            assert answer.headers.get(name, "").isdigit(), (
                f"{where}: {name} missing or not a number"
            )
        assert int(answer.headers["ratelimit-reset"]) > 1_600_000_000, where
        assert answer.headers.get("x-request-id"), where
        if answer.status >= 400:
            self._check_error(op, answer, where)
        else:
            self._check_success(op, answer, where)
        self.covered.setdefault(op.op_id, set()).add(answer.status)

    def _check_success(self, op: Operation, answer: Answer, where: str) -> None:
        declared = _resolve(self.bundle, op.responses[str(answer.status)])
        content = declared.get("content")
        if content is None:
            assert answer.body == b"", f"{where}: the bundle declares an empty body"
            return
        assert answer.headers.get("content-type", "").startswith("application/json"), where
        schema = {**content["application/json"]["schema"], "components": self.bundle["components"]}
        try:
            jsonschema.Draft202012Validator(schema).validate(answer.json())
        except jsonschema.ValidationError as e:
            path = "/".join(str(p) for p in e.absolute_path)
            raise AssertionError(f"{where}: at /{path}: {e.message[:400]}") from None

    def _check_error(self, op: Operation, answer: Answer, where: str) -> None:
        body = answer.json()
        jsonschema.Draft202012Validator(self.error_schema).validate(body)
        # The reference's shape exactly: id, message and request_id (no other keys).
        assert set(body) == {"id", "message", "request_id"}, f"{where}: {sorted(body)}"
        assert body["request_id"] == answer.headers["x-request-id"], where
        assert body["message"].strip(), where
        if answer.status == 401:
            assert {k: body[k] for k in UNAUTHORIZED} == UNAUTHORIZED, where
        if answer.status == 404:
            assert {k: body[k] for k in NOT_FOUND} == NOT_FOUND, where
        if answer.status == 400:
            assert body["id"] in ("invalid_argument", "bad_request"), where


@pytest.fixture
def wire(emu: Emulator) -> Wire:
    return Wire(emu.base_url, emu.token)


def drive_every_operation(wire: Wire, emu: Emulator) -> None:
    """Every operation once on its success path, with data that fills optional parts."""
    spec = full_spec("contract")
    app = wire.ok("POST", "/v2/apps", body={"spec": spec})["app"]
    app_id = app["id"]
    first = app["pending_deployment"]["id"]

    def phase(dep_id: str) -> str:
        dep = wire.ok("GET", f"/v2/apps/{app_id}/deployments/{dep_id}")["deployment"]
        return str(dep["phase"])

    wire.ok("GET", f"/v2/apps/{app_id}/deployments/{first}")  # while in progress
    wait_until(lambda: phase(first) == "ACTIVE", "the first deployment to be active")
    base = f"/v2/apps/{app_id}"

    wire.ok("GET", "/v2/account")
    wire.ok("GET", "/v2/apps", query={"per_page": 1})
    wire.ok("POST", "/v2/apps", body={"spec": full_spec("second"), "project_id": "p-1"})
    wire.ok("GET", "/v2/apps", query={"per_page": 1, "page": 2})  # first/prev/last links
    wire.ok("GET", "/v2/apps", query={"with_projects": "true"})
    got = wire.ok("GET", base)["app"]
    wire.ok("PUT", base, body={"spec": got["spec"], "update_all_source_versions": False})
    wire.ok("GET", base)  # with the update's deployment in progress
    wire.ok("POST", "/v2/apps/propose", body={"spec": full_spec("proposed")})
    wire.ok("POST", "/v2/apps/propose", body={"spec": got["spec"], "app_id": app_id})
    wire.ok("GET", "/v2/apps/regions")
    wire.ok("GET", "/v2/apps/tiers/instance_sizes")
    wire.ok("GET", "/v2/apps/tiers/instance_sizes/apps-s-1vcpu-1gb")
    wire.ok("GET", f"{base}/instances")
    wire.ok("GET", f"{base}/health")
    wire.ok("GET", f"{base}/metrics/bandwidth_daily")
    wire.ok("POST", "/v2/apps/metrics/bandwidth_daily", body={"app_ids": [app_id]})
    alerts = wire.ok("GET", f"{base}/alerts")["alerts"]
    wire.ok(
        "POST",
        f"{base}/alerts/{alerts[0]['id']}/destinations",
        body={
            "emails": ["ops@example.com"],
            "slack_webhooks": [{"url": "https://hooks.slack.com/services/T/B/X", "channel": "ops"}],
        },
    )

    # Logs and exec: active deployment and a given one, per component and aggregate.
    wire.ok("GET", f"{base}/logs", query={"type": "RUN"})
    wire.ok("GET", f"{base}/components/web/logs", query={"type": "BUILD"})
    wire.ok("GET", f"{base}/components/web/exec")
    wire.ok("GET", f"{base}/deployments/{first}/logs", query={"type": "DEPLOY"})
    wire.ok("GET", f"{base}/deployments/{first}/components/web/logs", query={"type": "RUN"})
    wire.ok("GET", f"{base}/deployments/{first}/components/web/exec")

    # Deployments: list, create, restart, cancel.
    wire.ok("GET", f"{base}/deployments", query={"per_page": 1})
    created = wire.ok("POST", f"{base}/deployments", body={"force_build": True})["deployment"]
    wire.ok("POST", f"{base}/deployments/{created['id']}/cancel")
    wire.ok("POST", f"{base}/restart", body={"components": ["web"]})

    # Job invocations (the PRE_DEPLOY job runs with every deployment).
    invocations = wire.ok("GET", f"{base}/job-invocations")["job_invocations"]
    assert invocations, "the emulator listed no job invocation for an app with jobs"
    inv = invocations[0]
    wire.ok("GET", f"{base}/job-invocations/{inv['id']}")
    wire.ok("GET", f"{base}/jobs/{inv['job_name']}/invocations/{inv['id']}/logs")
    wire.ok("POST", f"{base}/job-invocations/{inv['id']}/cancel")

    # Events.
    events = wire.ok("GET", f"{base}/events")["events"]
    assert events, "every deployment is an event"
    wire.ok("GET", f"{base}/events/{events[-1]['id']}")
    wire.ok("GET", f"{base}/events/{events[-1]['id']}/logs", query={"type": "BUILD"})
    fresh = wire.ok("POST", f"{base}/deployments", body={})["deployment"]
    event = next(
        e for e in wire.ok("GET", f"{base}/events")["events"] if e["deployment_id"] == fresh["id"]
    )
    wire.ok("POST", f"{base}/events/{event['id']}/cancel")

    # Rollback: validate, roll back, revert; roll back again and commit.
    wire.ok("POST", f"{base}/rollback/validate", body={"deployment_id": first, "skip_pin": False})
    wire.ok("POST", f"{base}/rollback", body={"deployment_id": first, "skip_pin": False})
    assert "pinned_deployment" in wire.ok("GET", base)["app"]
    wire.ok("POST", f"{base}/rollback/revert")
    wire.ok("POST", f"{base}/rollback", body={"deployment_id": first})
    wire.ok("POST", f"{base}/rollback/commit")

    # Last: delete the second app.
    second = next(a for a in wire.ok("GET", "/v2/apps")["apps"] if a["spec"]["name"] == "second")
    wire.ok("DELETE", f"/v2/apps/{second['id']}")


def drive_every_error(wire: Wire, checker: Checker) -> None:
    """401 for every operation, 404 for every operation on an unknown app, and 400s."""
    missing = "00000000-0000-4000-8000-000000000000"
    app_id = wire.ok("POST", "/v2/apps", body={"spec": full_spec("errors")})["app"]["id"]
    values = {
        "id": missing,
        "app_id": missing,
        "deployment_id": missing,
        "component_name": "web",
        "job_invocation_id": missing,
        "job_name": "migrate",
        "event_id": missing,
        "alert_id": missing,
        "slug": "no-such-size",
    }
    for op in checker.ops:
        path = op.template
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        body = {} if op.method in ("POST", "PUT") else None
        if op.op_id == "apps_list_metrics_bandwidth_daily":
            body = {"app_ids": [app_id, missing]}
        answer = wire(op.method, path, body=body, token="dop_v1_" + "0" * 64)
        assert answer.status == 401, (op.op_id, answer.status)
        if "404" in op.responses or "{slug}" in op.template:
            answer = wire(op.method, path, body=body)
            assert answer.status == 404, (op.op_id, answer.status, answer.body[:200])
    # Invalid input: a malformed body, an invalid spec, a bad query.
    assert wire("POST", "/v2/apps", raw=b"{not json").status == 400
    bad = full_spec("Bad_Name")
    assert wire("POST", "/v2/apps", body={"spec": bad}).status == 400
    assert wire("PUT", f"/v2/apps/{app_id}", body={"spec": bad}).status == 400
    assert wire("POST", "/v2/apps/propose", body={"spec": bad}).status == 400
    assert wire("GET", f"/v2/apps/{app_id}/events", query={"event_types": "NOPE"}).status == 400
    assert wire("POST", f"/v2/apps/{app_id}/rollback", body={}).status == 400


def test_every_response_of_every_operation_validates(wire: Wire, emu: Emulator) -> None:
    checker = Checker()
    drive_every_operation(wire, emu)
    drive_every_error(wire, checker)
    failures = []
    for answer in wire.answers:
        try:
            checker.check(answer)
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, "\n".join(failures)
    # Coverage: every operation answered 200 and 401, and 404 where the bundle has one.
    all_ops = {op.op_id for op in checker.ops}
    assert {o for o, s in checker.covered.items() if 200 in s} == all_ops
    assert {o for o, s in checker.covered.items() if 401 in s} == all_ops
    with_404 = {op.op_id for op in checker.ops if "404" in op.responses}
    assert with_404 <= {o for o, s in checker.covered.items() if 404 in s}
    assert {o for o, s in checker.covered.items() if 400 in s} >= {
        "apps_create",
        "apps_update",
        "apps_validate_appSpec",
        "apps_list_events",
        "apps_create_rollback",
    }


def test_collections_carry_links_and_meta_like_the_reference(wire: Wire, emu: Emulator) -> None:
    """Seed 004, "Links & Pagination" and "Meta": absolute `links.pages` URLs, only those
    that make sense (no first/prev on page 1, no next/last on the last), `meta.total`."""
    for i in range(3):
        emu.seed_app(full_spec(f"page-{i}"))
    origin = emu.base_url.rstrip("/")
    first = wire.ok("GET", "/v2/apps", query={"per_page": 2})
    assert first["meta"] == {"total": 3}
    assert set(first["links"]["pages"]) == {"next", "last"}
    assert first["links"]["pages"]["next"].startswith(origin + "/v2/apps?")
    assert "page=2" in first["links"]["pages"]["next"]
    last = wire.ok("GET", "/v2/apps", query={"per_page": 2, "page": 2})
    assert set(last["links"]["pages"]) == {"first", "prev"}
    assert all(url.startswith(origin + "/v2/apps?") for url in last["links"]["pages"].values())
    assert len(last["apps"]) == 1
    whole = wire.ok("GET", "/v2/apps")
    assert whole["links"] == {"pages": {}} or whole["links"] == {}, whole["links"]
    assert whole["meta"] == {"total": 3}


def test_a_rate_limited_answer_is_the_reference_sample(wire: Wire, emu: Emulator) -> None:
    """Seed 004, "Sample Rate Exceeded Response": 429 `too_many_requests`, with the
    rate-limit headers and `retry-after`."""
    checker = Checker()
    emu.set_rate_limits(2, 5000)
    try:
        statuses = [wire("GET", "/v2/account").status for _ in range(3)]
    finally:
        emu.reset()
    assert statuses == [200, 200, 429]
    answer = wire.answers[-1]
    checker.check(answer)
    body = answer.json()
    assert (body["id"], body["message"]) == ("too_many_requests", "API Rate limit exceeded.")
    assert answer.headers["ratelimit-remaining"] == "0"
    assert answer.headers["retry-after"].isdigit() and int(answer.headers["retry-after"]) >= 1


def test_the_strict_check_catches_a_wrong_response() -> None:
    """The check above can fail: an unknown field, a wrong type and a missing error id."""
    checker = Checker()
    app_ok = {"app": {"id": "x", "spec": {"name": "ok", "envs": [{"key": "A"}]}}}
    wrong = [
        {"app": {"id": "x", "spec": {"name": "ok"}, "invented_field": 1}},
        {"app": {"id": "x", "spec": {"name": "ok", "services": [{"name": "w", "envs": 3}]}}},
        {"app": {"id": 7, "spec": {"name": "ok"}}},
    ]
    headers = {
        "ratelimit-limit": "5000",
        "ratelimit-remaining": "4999",
        "ratelimit-reset": str(int(time.time())),
        "x-request-id": "r",
        "content-type": "application/json",
    }

    def answer(status: int, body: Any) -> Answer:
        return Answer("GET", "/v2/apps/x", status, headers, json.dumps(body).encode())

    checker.check(answer(200, app_ok))
    for body in wrong:
        with pytest.raises(AssertionError):
            checker.check(answer(200, body))
    with pytest.raises(jsonschema.ValidationError):
        checker.check(answer(404, {"message": "no id"}))
    with pytest.raises(AssertionError):
        checker.check(answer(404, {**NOT_FOUND, "request_id": "other"}))
    no_rate = {k: v for k, v in headers.items() if k != "ratelimit-remaining"}
    with pytest.raises(AssertionError):
        checker.check(Answer("GET", "/v2/apps/x", 200, no_rate, json.dumps(app_ok).encode()))
