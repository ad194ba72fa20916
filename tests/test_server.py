"""`do-envsync serve` as a subprocess against the emulator and the Infisical stand-in: the
seed requests (Infisical's PATCH of a connection, its sync creation sample), every route's
success and error answers, auth, operations endpoints, canaries, and a bounded
schemathesis run over /openapi.json."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from do_envsync.testing import Emulator, InfisicalStandIn

from .conftest import CANARY_LITERALS, find_canaries, make_spec

CONNECTIONS = "/api/v1/app-connections/digital-ocean"
SYNCS = "/api/v1/secret-syncs/digital-ocean-app-platform"
SECRET_VALUE = "canary-" + uuid.uuid4().hex
ERROR_KEYS = {"reqId", "statusCode", "message", "error"}


@dataclass
class Answer:
    status: int
    body: Any
    text: str


@dataclass
class Server:
    base: str
    key: str
    state: Path
    log: Path
    proc: subprocess.Popen[bytes]
    emu: Emulator
    inf: InfisicalStandIn | None
    answers: list[str]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = "",
        raw: bytes | None = None,
    ) -> Answer:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        token = self.key if key == "" else key
        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        self.answers.append(text)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return Answer(status, parsed, text)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        a = self.call(method, path, body)
        assert a.status == 200, a.text
        return a.body


def _cli(state: Path, *args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "do_envsync.cli", "--state", str(state), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return out.stdout


def _start(
    state: Path, log: Path, env: dict[str, str], *extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "do_envsync.cli",
            "--state",
            str(state),
            "serve",
            "--bind",
            "127.0.0.1:0",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"listening on (https?://\S+)", log.read_text())
        if found:
            return proc, found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.02)
    raise AssertionError("the server did not start: " + log.read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve")
    state = tmp / "state.db"
    log = tmp / "serve.log"
    with Emulator(phase_duration=0.02) as emu, InfisicalStandIn() as inf:
        CANARY_LITERALS.update({emu.token, inf.client_secret, SECRET_VALUE})
        env = {
            **os.environ,
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID": inf.client_id,
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET": inf.client_secret,
        }
        env.pop("DO_ENVSYNC_STATE", None)
        key = _cli(state, "serve", "keys", "create", "tests", env=env).strip()
        assert key.startswith("dek_")
        CANARY_LITERALS.add(key)
        proc, base = _start(
            state, log, env, "--infisical-url", inf.base_url, "--poll-interval", "3600"
        )
        srv = Server(base, key, state, log, proc, emu, inf, [])
        try:
            yield srv
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
        # Nothing the server said or logged holds a token, a key or a secret value.
        assert not find_canaries(log.read_text()), find_canaries(log.read_text())
        assert not find_canaries("\n".join(srv.answers))


def _connection(srv: Server, name: str) -> dict[str, Any]:
    body = {
        "name": name,
        "method": "api-token",
        "credentials": {"apiToken": srv.emu.token},
        "description": "emulator",
        "baseUrl": srv.emu.base_url,
    }
    conn: dict[str, Any] = srv.ok("POST", CONNECTIONS, body)["appConnection"]
    return conn


def _is_error(a: Answer, status: int) -> None:
    assert a.status == status, a.text
    assert set(a.body) == ERROR_KEYS, a.body
    assert a.body["statusCode"] == status


def _puts(emu: Emulator, app_id: str) -> int:
    return sum(1 for r in emu.requests() if r.method == "PUT" and r.path == f"/v2/apps/{app_id}")


def _envs(emu: Emulator, app_id: str) -> dict[str, str]:
    app = next(a for a in emu.apps() if a["id"] == app_id)
    return {e["key"]: e.get("value", "") for e in app["spec"].get("envs", [])}


def test_auth_is_required_on_every_api_route(server: Server) -> None:
    routes = [
        ("GET", CONNECTIONS),
        ("POST", CONNECTIONS),
        ("GET", f"{CONNECTIONS}/{uuid.uuid4()}"),
        ("PATCH", f"{CONNECTIONS}/{uuid.uuid4()}"),
        ("DELETE", f"{CONNECTIONS}/{uuid.uuid4()}"),
        ("GET", f"{CONNECTIONS}/connection-name/x"),
        ("GET", f"{CONNECTIONS}/{uuid.uuid4()}/apps"),
        ("GET", SYNCS),
        ("POST", SYNCS),
        ("GET", f"{SYNCS}/{uuid.uuid4()}"),
        ("GET", f"{SYNCS}/sync-name/x"),
        ("PATCH", f"{SYNCS}/{uuid.uuid4()}"),
        ("DELETE", f"{SYNCS}/{uuid.uuid4()}"),
        ("POST", f"{SYNCS}/{uuid.uuid4()}/sync-secrets"),
        ("POST", f"{SYNCS}/{uuid.uuid4()}/remove-secrets"),
        ("POST", f"{SYNCS}/{uuid.uuid4()}/import-secrets"),
    ]
    wrong = server.key[:-4] + ("0000" if not server.key.endswith("0000") else "1111")
    for i, (method, path) in enumerate(routes):
        # Wrong keys are answered slowly (250 ms each): every route without a key, a few
        # with wrong ones.
        for key in (None, wrong, "garbage") if i % 5 == 0 else (None,):
            a = server.call(method, path, {} if method in ("POST", "PATCH") else None, key=key)
            _is_error(a, 401)
            assert a.body["error"] == "UnauthorizedError"
    # Wrong keys are slowed down.
    t0 = time.monotonic()
    _is_error(server.call("GET", SYNCS, key=wrong), 401)
    assert time.monotonic() - t0 >= 0.2
    # A valid creation with a wrong key creates nothing.
    body = {
        "name": "refused",
        "credentials": {"apiToken": server.emu.token},
        "baseUrl": server.emu.base_url,
    }
    _is_error(server.call("POST", CONNECTIONS, body, key=wrong), 401)
    _is_error(server.call("GET", f"{CONNECTIONS}/connection-name/refused"), 404)


def test_seed_requests_then_sync_puts_once(server: Server) -> None:
    emu, inf = server.emu, server.inf
    assert inf is not None
    app = emu.seed_app(make_spec("do-todo-app"))
    inf.set_secret("dev", "/app-secrets", "STRIPE_KEY", SECRET_VALUE)
    inf.set_secret("dev", "/app-secrets", "MODE", "fast")
    conn = _connection(server, "my-digitalocean-connection")
    assert conn["credentials"] == {} and conn["version"] == 1
    assert conn["app"] == "digital-ocean" and conn["method"] == "api-token"

    # Seed 000: the PATCH body as documented ("<string>" filled in; the unsupported fields
    # at their only accepted values).
    patched = server.ok(
        "PATCH",
        f"{CONNECTIONS}/{conn['id']}",
        {
            "name": "my-digitalocean-connection",
            "description": "patched",
            "isPlatformManagedCredentials": False,
            "gatewayId": None,
            "isAutoRotationEnabled": False,
            "rotation": None,
        },
    )["appConnection"]
    assert patched["version"] == 2 and patched["description"] == "patched"
    for field, value in (
        ("isPlatformManagedCredentials", True),
        ("gatewayId", str(uuid.uuid4())),
        ("isAutoRotationEnabled", True),
        ("rotation", {"rotationInterval": 1}),
    ):
        a = server.call("PATCH", f"{CONNECTIONS}/{conn['id']}", {"description": "no", field: value})
        _is_error(a, 400)
        assert (
            a.body["message"]
            == f"{field}: Not supported for DigitalOcean App Platform Connections."
        )
    after = server.ok("GET", f"{CONNECTIONS}/{conn['id']}")["appConnection"]
    assert after["version"] == 2 and after["description"] == "patched"

    # Seed 002: Infisical's sample request, ids made real.
    created = server.ok(
        "POST",
        SYNCS,
        {
            "name": "my-digitalocean-sync",
            "projectId": inf.project_id,
            "description": "sync to do app",
            "connectionId": conn["id"],
            "environment": "dev",
            "secretPath": "/app-secrets",
            "isEnabled": True,
            "syncOptions": {
                "initialSyncBehavior": "overwrite-destination",
                "autoSyncEnabled": True,
                "disableSecretDeletion": False,
            },
            "destinationConfig": {"appId": app["id"], "appName": "do-todo-app"},
        },
    )["secretSync"]
    assert created["name"] == "my-digitalocean-sync" and created["version"] == 1
    assert created["destination"] == "digital-ocean-app-platform"
    assert created["projectId"] == inf.project_id
    assert created["folder"]["path"] == "/app-secrets"
    assert created["environment"]["slug"] == "dev"
    assert created["destinationConfig"] == {"appId": app["id"], "appName": "do-todo-app"}
    for field in (
        "syncStatus",
        "lastSyncJobId",
        "lastSyncMessage",
        "lastSyncedAt",
        "removeStatus",
        "lastRemoveJobId",
        "importStatus",
    ):
        assert field in created

    first = server.ok("POST", f"{SYNCS}/{created['id']}/sync-secrets")["secretSync"]
    assert first["syncStatus"] == "succeeded", first["lastSyncMessage"]
    assert first["lastSyncJobId"] and first["lastSyncedAt"]
    envs = _envs(emu, app["id"])
    # SECRET by default, as Infisical writes them.
    assert envs["MODE"].startswith("EV[") and envs["STRIPE_KEY"].startswith("EV[")
    puts = _puts(emu, app["id"])
    assert puts == 1
    second = server.ok("POST", f"{SYNCS}/{created['id']}/sync-secrets")["secretSync"]
    assert second["syncStatus"] == "succeeded"
    assert second["lastSyncJobId"] != first["lastSyncJobId"]
    assert _puts(emu, app["id"]) == puts, "a sync with nothing changed made a PUT"

    # Remove, then delete with removeSecrets: the keys go, the sync goes.
    removed = server.ok("POST", f"{SYNCS}/{created['id']}/remove-secrets")["secretSync"]
    assert removed["removeStatus"] == "succeeded"
    assert "STRIPE_KEY" not in _envs(emu, app["id"])
    server.ok("POST", f"{SYNCS}/{created['id']}/sync-secrets")
    assert "STRIPE_KEY" in _envs(emu, app["id"])
    a = server.call("DELETE", f"{CONNECTIONS}/{conn['id']}")
    _is_error(a, 400)  # in use by the sync, as Infisical refuses it
    server.ok("DELETE", f"{SYNCS}/{created['id']}?removeSecrets=true")
    assert "STRIPE_KEY" not in _envs(emu, app["id"])
    _is_error(server.call("GET", f"{SYNCS}/{created['id']}"), 404)
    server.ok("DELETE", f"{CONNECTIONS}/{conn['id']}")
    _is_error(server.call("GET", f"{CONNECTIONS}/{conn['id']}"), 404)


def test_connection_routes(server: Server) -> None:
    emu = server.emu
    for i in range(3):
        emu.seed_app(make_spec(f"listed-{i}"))
    conn = _connection(server, "conn-routes")
    assert (
        server.ok("GET", f"{CONNECTIONS}/connection-name/conn-routes")["appConnection"]["id"]
        == conn["id"]
    )
    assert any(c["id"] == conn["id"] for c in server.ok("GET", CONNECTIONS)["appConnections"])
    apps = server.ok("GET", f"{CONNECTIONS}/{conn['id']}/apps")["apps"]
    names = {a["spec"]["name"] for a in apps}
    assert {"listed-0", "listed-1", "listed-2"} <= names
    assert all(set(a) == {"id", "spec"} and set(a["spec"]) == {"name"} for a in apps)
    # 404s: unknown id, a name where an id belongs, unknown name.
    _is_error(server.call("GET", f"{CONNECTIONS}/{uuid.uuid4()}"), 404)
    _is_error(server.call("GET", f"{CONNECTIONS}/conn-routes"), 404)
    _is_error(server.call("GET", f"{CONNECTIONS}/connection-name/nope"), 404)
    _is_error(server.call("PATCH", f"{CONNECTIONS}/{uuid.uuid4()}", {"description": "x"}), 404)
    _is_error(server.call("DELETE", f"{CONNECTIONS}/{uuid.uuid4()}"), 404)
    _is_error(server.call("GET", f"{CONNECTIONS}/{uuid.uuid4()}/apps"), 404)
    # 400s change nothing.
    before = server.ok("GET", CONNECTIONS)
    for bad in (
        {"name": "x"},  # no credentials
        {"name": "Bad Name!", "credentials": {"apiToken": emu.token}, "baseUrl": emu.base_url},
        {"name": "ok-name", "method": "oauth", "credentials": {"apiToken": emu.token}},
        {"name": "conn-routes", "credentials": {"apiToken": emu.token}, "baseUrl": emu.base_url},
        {
            "name": "wrong-token",
            "credentials": {"apiToken": "dop_v1_" + "ab" * 32},
            "baseUrl": emu.base_url,
        },
    ):
        _is_error(server.call("POST", CONNECTIONS, bad), 400)
    _is_error(server.call("POST", CONNECTIONS, raw=b"{not json"), 400)
    _is_error(server.call("PATCH", f"{CONNECTIONS}/{conn['id']}", {"name": "UPPER CASE"}), 400)
    _is_error(server.call("PATCH", f"{CONNECTIONS}/{conn['id']}", {"colour": "red"}), 400)
    assert server.ok("GET", CONNECTIONS) == before
    # A rename keeps the id; version moves.
    renamed = server.ok("PATCH", f"{CONNECTIONS}/{conn['id']}", {"name": "conn-renamed"})[
        "appConnection"
    ]
    assert renamed["id"] == conn["id"] and renamed["version"] == 2
    assert server.ok("DELETE", f"{CONNECTIONS}/{conn['id']}")["appConnection"]["id"] == conn["id"]


def test_sync_routes_with_our_sources(server: Server, tmp_path: Path) -> None:
    emu = server.emu
    app = emu.seed_app(make_spec("routes-app"))
    conn = _connection(server, "conn-syncs")
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"DB_PASSWORD={SECRET_VALUE}\n")
    body = {
        "name": "dotenv-sync",
        "connectionId": conn["id"],
        "destinationConfig": {"appId": app["id"], "appName": "routes-app"},
        "syncOptions": {"keySchema": "APP_{{secretKey}}", "autoSyncEnabled": False},
        "source": {"type": "dotenv", "path": str(dotenv)},
    }
    before = server.ok("GET", SYNCS)
    # 400: no source and no projectId; unknown field; bad options; unknown connection is 404.
    no_source = {k: v for k, v in body.items() if k != "source"}
    a = server.call("POST", SYNCS, no_source)
    _is_error(a, 400)
    assert "missing source" in a.body["message"]
    _is_error(server.call("POST", SYNCS, {**body, "colour": 1}), 400)
    _is_error(server.call("POST", SYNCS, {**body, "syncOptions": {"keySchema": "NOPE"}}), 400)
    _is_error(server.call("POST", SYNCS, {**body, "connectionId": str(uuid.uuid4())}), 404)
    assert server.ok("GET", SYNCS) == before
    created = server.ok("POST", SYNCS, body)["secretSync"]
    _is_error(server.call("POST", SYNCS, body), 400)  # the name is taken (Infisical: 400)
    assert server.ok("GET", f"{SYNCS}/sync-name/dotenv-sync")["secretSync"]["id"] == created["id"]
    assert server.ok("GET", f"{SYNCS}/{created['id']}")["secretSync"]["source"]["type"] == "dotenv"
    patched = server.ok("PATCH", f"{SYNCS}/{created['id']}", {"description": "d"})["secretSync"]
    assert patched["version"] == 2 and patched["description"] == "d"
    _is_error(
        server.call(
            "PATCH", f"{SYNCS}/{created['id']}", {"syncOptions": {"initialSyncBehavior": "merge"}}
        ),
        400,
    )
    assert server.ok("GET", f"{SYNCS}/{created['id']}")["secretSync"]["version"] == 2
    ran = server.ok("POST", f"{SYNCS}/{created['id']}/sync-secrets")["secretSync"]
    assert ran["syncStatus"] == "succeeded"
    assert "APP_DB_PASSWORD" in _envs(emu, app["id"])
    # A failed run is a 200 with the failure in the status fields, as Infisical reports it.
    dotenv.unlink()
    failed = server.ok("POST", f"{SYNCS}/{created['id']}/sync-secrets")["secretSync"]
    assert failed["syncStatus"] == "failed" and failed["lastSyncMessage"]
    a = server.call("POST", f"{SYNCS}/{created['id']}/import-secrets")
    _is_error(a, 400)
    assert a.body["message"] == "DigitalOcean App Platform does not support importing secrets."
    _is_error(server.call("DELETE", f"{SYNCS}/{created['id']}?removeSecrets=maybe"), 400)
    for method, suffix in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/sync-secrets"),
        ("POST", "/remove-secrets"),
        ("POST", "/import-secrets"),
    ):
        _is_error(
            server.call(
                method, f"{SYNCS}/{uuid.uuid4()}{suffix}", {} if method == "PATCH" else None
            ),
            404,
        )
    _is_error(server.call("GET", f"{SYNCS}/sync-name/nope"), 404)
    assert server.ok("DELETE", f"{SYNCS}/{created['id']}")["secretSync"]["id"] == created["id"]
    # Deleting without removeSecrets leaves the app alone.
    assert "APP_DB_PASSWORD" in _envs(emu, app["id"])
    server.ok("DELETE", f"{CONNECTIONS}/{conn['id']}")


def test_operations_endpoints(server: Server) -> None:
    health = server.call("GET", "/healthz", key=None)
    assert health.status == 200 and health.body["store"]["ok"] is True
    metrics = server.call("GET", "/metrics", key=None)
    assert metrics.status == 200
    for family in (
        "do_envsync_sync_runs",
        "do_envsync_sync_run_duration_seconds",
        "do_envsync_digitalocean_requests",
        "do_envsync_autosync_queue_depth",
        "do_envsync_http_requests",
    ):
        assert f"# TYPE {family}" in metrics.text, family
    doc = server.call("GET", "/openapi.json", key=None).body
    assert doc["openapi"] == "3.1.0"
    assert f"{SYNCS}/{{id}}/sync-secrets" in doc["paths"]
    _is_error(server.call("GET", "/nope", key=None), 404)
    # Request logs are JSON lines without headers, bodies or queries.
    lines = [
        json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")
    ]
    requests = [entry for entry in lines if entry.get("msg") == "request"]
    assert requests and {"method", "route", "status", "durationMs"} <= set(requests[0])
    assert "Authorization" not in server.log.read_text()


def test_plain_http_is_refused_off_loopback(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "do_envsync.cli",
            "--state",
            str(tmp_path / "s.db"),
            "serve",
            "--bind",
            "0.0.0.0:0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "not a loopback address" in out.stderr


def test_keys_cli(tmp_path: Path) -> None:
    state = tmp_path / "k.db"
    key = _cli(state, "serve", "keys", "create", "a").strip()
    CANARY_LITERALS.add(key)
    listed = json.loads(_cli(state, "serve", "keys", "list", "--json"))
    assert [k["name"] for k in listed] == ["a"]
    assert key not in json.dumps(listed)
    assert key not in (state.read_bytes().decode("latin-1"))
    _cli(state, "serve", "keys", "revoke", "a")
    assert json.loads(_cli(state, "serve", "keys", "list", "--json")) == []


def test_sigterm_stops_gracefully(tmp_path: Path) -> None:
    state, log = tmp_path / "g.db", tmp_path / "g.log"
    env = {k: v for k, v in os.environ.items() if k != "DO_ENVSYNC_STATE"}
    proc, _base = _start(state, log, env)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "stopped" in log.read_text()


def test_schemathesis_finds_no_5xx_and_no_schema_violation(server: Server) -> None:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which(
        "schemathesis"
    )
    assert exe, "schemathesis is in the test extra: pip install -e '.[test]'"
    out = subprocess.run(
        [
            exe,
            "run",
            f"{server.base}/openapi.json",
            "--header",
            f"Authorization: Bearer {server.key}",
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance",
            "--max-examples",
            "15",
            "--seed",
            "1",
            "--phases",
            "examples,fuzzing",
            "--generation-database",
            "none",
            # The fuzzing phase repeats until the budget is spent (~100 requests/s here).
            "--max-time",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=server.state.parent,  # its .schemathesis/ folder goes there
    )
    report = out.stdout.replace(server.key, "[KEY]")
    assert out.returncode == 0, report[-4000:]


def _wait_for(predicate: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_auto_sync_runs_new_syncs_and_follows_file_changes(server: Server, tmp_path: Path) -> None:
    emu = server.emu
    app = emu.seed_app(make_spec("auto-app"))
    conn = _connection(server, "conn-auto")
    dotenv = tmp_path / "auto.env"
    dotenv.write_text("FLAG=one\n")
    sync = server.ok(
        "POST",
        SYNCS,
        {
            "name": "auto-sync",
            "connectionId": conn["id"],
            "destinationConfig": {"appId": app["id"], "appName": "auto-app"},
            "syncOptions": {"keySchema": "AUTO_{{secretKey}}", "defaultType": "GENERAL"},
            "source": {"type": "dotenv", "path": str(dotenv)},
        },
    )["secretSync"]
    assert sync["isAutoSyncEnabled"] is True
    # No sync-secrets call: the server's scheduler runs it.
    _wait_for(lambda: _envs(emu, app["id"]).get("AUTO_FLAG") == "one", "the first auto-sync")
    dotenv.write_text("FLAG=two\n")
    _wait_for(lambda: _envs(emu, app["id"]).get("AUTO_FLAG") == "two", "the file-change run")
    status = server.ok("GET", f"{SYNCS}/{sync['id']}")["secretSync"]
    assert status["syncStatus"] == "succeeded" and status["lastSyncedAt"]
    metrics = server.call("GET", "/metrics", key=None).text
    assert re.search(
        r'do_envsync_sync_runs_total\{kind="sync",trigger="auto",status="succeeded"\} [1-9]',
        metrics,
    )
    # Turning auto-sync off stops the runs.
    server.ok("PATCH", f"{SYNCS}/{sync['id']}", {"syncOptions": {"autoSyncEnabled": False}})
    server.ok("DELETE", f"{SYNCS}/{sync['id']}")
    server.ok("DELETE", f"{CONNECTIONS}/{conn['id']}")


def test_sigterm_lets_the_run_in_flight_finish(tmp_path: Path) -> None:
    state, log = tmp_path / "f.db", tmp_path / "f.log"
    env = {k: v for k, v in os.environ.items() if k != "DO_ENVSYNC_STATE"}
    key = _cli(state, "serve", "keys", "create", "t", env=env).strip()
    CANARY_LITERALS.add(key)
    with Emulator(phase_duration=0.02) as emu:
        CANARY_LITERALS.add(emu.token)
        app = emu.seed_app(make_spec("slow-app"))
        proc, base = _start(state, log, env, "--no-auto-sync")
        srv = Server(base, key, state, log, proc, emu, None, [])
        conn = _connection(srv, "slow")
        sync = srv.ok(
            "POST",
            SYNCS,
            {
                "name": "slow-sync",
                "connectionId": conn["id"],
                "destinationConfig": {"appId": app["id"], "appName": "slow-app"},
                "syncOptions": {"keySchema": "SLOW_{{secretKey}}"},
                "source": {"type": "command", "command": "sleep 1; echo SLOW=1"},
            },
        )["secretSync"]
        answers: list[Answer] = []
        caller = threading.Thread(
            target=lambda: answers.append(srv.call("POST", f"{SYNCS}/{sync['id']}/sync-secrets"))
        )
        caller.start()
        time.sleep(0.4)  # the command is running
        proc.send_signal(signal.SIGTERM)
        caller.join(timeout=30)
        assert proc.wait(timeout=30) == 0
        assert answers and answers[0].status == 200, answers
        assert answers[0].body["secretSync"]["syncStatus"] == "succeeded"
        assert "SLOW_SLOW" in _envs(emu, app["id"])


def test_tls(tmp_path: Path) -> None:
    import ssl

    cert, pkey = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(pkey),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    env = {k: v for k, v in os.environ.items() if k != "DO_ENVSYNC_STATE"}
    proc, base = _start(
        tmp_path / "t.db", tmp_path / "t.log", env, "--tls-cert", str(cert), "--tls-key", str(pkey)
    )
    try:
        assert base.startswith("https://")
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        with urllib.request.urlopen(base + "/healthz", context=ctx, timeout=10) as r:
            assert json.loads(r.read())["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


# Left for after the PostgreSQL backend (issue 12) merges: two `serve` processes on one
# PostgreSQL store with auto-sync on, each source change synced exactly once (the
# scheduler's due runs claimed through the store). On SQLite one server per state file.
