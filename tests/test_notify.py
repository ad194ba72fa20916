"""Run notifications from Python and the CLI (`store.notifications`, `do-envsync notify`,
`[[notify]]` in do-envsync.toml), against a local receiver: failure, de-duplication,
recovery, signatures, a hanging receiver, and canaries (URL, signing secret, values)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from do_envsync import ConfigurationError, Store, SyncRunError
from do_envsync.testing import Emulator

from .conftest import CANARY_LITERALS, make_spec
from .pg import PgCluster
from .test_cli_control import Cli

# The URL path is a credential (Slack's is): `canary-<32 hex>` is checked suite-wide in
# outputs and state files.
URL_CANARY = f"canary-{uuid.uuid4().hex}"
HOOK_SECRET = "canary-hook-secret-5d1e8a0f2c"
VALUE_CANARY = "canary-value-notify-4b7e19"
CANARY_LITERALS.update({HOOK_SECRET, VALUE_CANARY})


class Receiver:
    """A local webhook receiver: records each request; answers the queued statuses (then
    200); with `hang` set, holds each request until `release` is set."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.hang = False
        self.release = threading.Event()
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.cond:
                    receiver.requests.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    receiver.cond.notify_all()
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.hang:
                    receiver.release.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass  # the path is a canary: never logged

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook/{URL_CANARY}"

    def wait(self, n: int, timeout: float = 10.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.requests) >= n, timeout), self.requests

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(b) for _, b in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The same behaviour on both backends: a SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        st = Store(str(tmp_path / "notify" / "state.db"))
    else:
        url = request.getfixturevalue("pg_url")
        st = Store(url)
        _PG_DUMPS[id(st)] = (request.getfixturevalue("pg_cluster"), url)
    # Fast retries for tests; the defaults are 10 s, 4 attempts, 0.5 s backoff.
    st.notifications.configure(timeout=2.0, max_attempts=3, backoff=0.05)
    return st


# PostgreSQL stores of this module's tests -> their cluster and URL (for pg_dump).
_PG_DUMPS: dict[int, tuple[PgCluster, str]] = {}


def _state_bytes(store: Store) -> bytes:
    """Everything the store holds at rest: its files, or a pg_dump of its database."""
    pg = _PG_DUMPS.get(id(store))
    if pg is not None:
        return pg[0].pg_dump(pg[1]).encode()
    return b"".join(p.read_bytes() for p in Path(store.path).parent.rglob("*") if p.is_file())


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (docs/notifications.md): HMAC-SHA256 over "<ts>.<body>"."""
    ts = headers["x-do-envsync-timestamp"]
    if abs(time.time() - int(ts)) > 300:
        return False
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={mac}", headers["x-do-envsync-signature"])


def _sync(store: Store, emu: Emulator, env: Path) -> dict[str, Any]:
    app = emu.seed_app(make_spec("shop"))
    env.write_text(f"PASSWORD={VALUE_CANARY}\nMODE=live\n")
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    store.syncs.create(
        "web", "emu", app["id"], source=env, options={"key_schema": "N_{{secretKey}}"}
    )
    return app


def test_failure_dedup_recovery_signed_and_secret_free(
    store: Store, emu: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    env = tmp_path / ".env"
    app = _sync(store, emu, env)
    target, generated = store.notifications.create(
        "ops", receiver.url, secret=HOOK_SECRET, sync="web"
    )
    assert generated is None and target.sync_name == "web"
    assert target.events == ["failed", "recovered"]
    assert target.url_masked == f"http://127.0.0.1:{receiver.server.server_address[1]}/***"
    assert URL_CANARY not in repr(target) and HOOK_SECRET not in repr(target)

    first = store.syncs.run("web")  # applied changes: not subscribed by default
    assert first.created
    assert store.notifications.flush(5) == 0
    assert receiver.requests == [] and store.syncs.deliveries("web") == []

    env.unlink()
    with pytest.raises(SyncRunError) as failed:
        store.syncs.run("web")
    store.notifications.flush(5)
    receiver.wait(1)
    headers, raw = receiver.requests[0]
    assert _verify(HOOK_SECRET, headers, raw)
    assert not _verify("another-secret-of-16+", headers, raw)
    assert not _verify(HOOK_SECRET, headers, raw.replace(b"failed", b"fixed!"))
    body = json.loads(raw)
    assert body["event"] == "failed" and headers["x-do-envsync-event"] == "failed"
    assert body["sync"]["name"] == "web" and body["app"] == {"id": app["id"], "name": "shop"}
    assert failed.value.run is not None and body["run"]["id"] == failed.value.run.id
    assert body["run"]["status"] == "failed" and body["run"]["message"]

    # The same failure again, within the interval: recorded, not re-sent.
    with pytest.raises(SyncRunError):
        store.syncs.run("web")
    store.notifications.flush(5)
    assert len(receiver.requests) == 1
    statuses = [(d.event, d.status) for d in store.syncs.deliveries("web")]
    assert statuses == [("failed", "deduplicated"), ("failed", "delivered")]

    env.write_text(f"PASSWORD={VALUE_CANARY}\nMODE=live\n")
    recovered = store.syncs.run("web")
    store.notifications.flush(5)
    receiver.wait(2)
    body = receiver.bodies()[1]
    assert body["event"] == "recovered" and body["run"]["id"] == recovered.id
    assert _verify(HOOK_SECRET, *receiver.requests[1])

    store.syncs.run("web")  # no-op: never reported
    store.notifications.flush(5)
    assert len(receiver.requests) == 2
    [d] = store.notifications.deliveries(run_id=recovered.id)
    assert (d.status, d.attempts, d.last_error, d.target_name) == ("delivered", 1, None, "ops")

    everything = b"".join(b for _, b in receiver.requests) + _state_bytes(store)
    assert VALUE_CANARY.encode() not in everything  # no value in payloads or state
    assert URL_CANARY.encode() not in _state_bytes(store)  # the URL is sealed
    assert HOOK_SECRET.encode() not in _state_bytes(store)


def test_changes_are_reported_to_targets_that_ask_and_500_is_retried(
    store: Store, emu: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    env = tmp_path / ".env"
    _sync(store, emu, env)
    _, generated = store.notifications.create("all", receiver.url, events=["changed", "failed"])
    assert generated is not None and len(generated) >= 32  # shown once, kept sealed
    CANARY_LITERALS.add(generated)
    receiver.statuses = [500]
    run = store.syncs.run("web")
    store.notifications.flush(5)
    receiver.wait(2)
    assert [b["event"] for b in receiver.bodies()] == ["changed", "changed"]
    body = receiver.bodies()[1]
    assert sorted(body["run"]["created"]) == ["N_MODE", "N_PASSWORD"]
    assert body["run"]["deploymentId"] == run.deployment_id
    assert _verify(generated, *receiver.requests[1])
    [d] = store.syncs.deliveries("web")
    assert (d.status, d.attempts, d.last_error) == ("delivered", 2, None)


def test_a_hanging_receiver_does_not_slow_the_sync(
    store: Store, emu: Emulator, receiver: Receiver, tmp_path: Path
) -> None:
    env = tmp_path / ".env"
    _sync(store, emu, env)
    store.notifications.configure(timeout=5.0, max_attempts=1)
    env.unlink()

    def failing_run() -> float:
        start = time.perf_counter()
        with pytest.raises(SyncRunError):
            store.syncs.run("web")
        return time.perf_counter() - start

    baseline = min(failing_run() for _ in range(2))  # no target yet
    assert store.notifications.flush(5) == 0
    store.notifications.create("slow", receiver.url, secret=HOOK_SECRET)
    receiver.hang = True
    with_hang = failing_run()
    receiver.wait(1)  # the receiver holds the request while the run is already back
    assert with_hang < baseline + 1.0, (baseline, with_hang)
    assert store.notifications.in_flight() == 1
    # A process about to exit waits a bounded time, then records what is left.
    start = time.perf_counter()
    assert store.notifications.flush(0.2) == 1
    assert time.perf_counter() - start < 2.0
    [d] = store.notifications.deliveries()
    assert d.status == "abandoned" and d.last_error and URL_CANARY not in d.last_error


def test_targets_are_validated_without_echoing_the_url(store: Store) -> None:
    for bad in (f"http://hooks.example.com/{URL_CANARY}", f"ftp://x/{URL_CANARY}", URL_CANARY):
        with pytest.raises(ConfigurationError) as info:
            store.notifications.create("bad", bad)
        assert URL_CANARY not in str(info.value)
    with pytest.raises(ConfigurationError):
        store.notifications.create("e", "https://hooks.example.com/x", events=["sometimes"])
    with pytest.raises(ConfigurationError):
        store.notifications.create("s", "https://hooks.example.com/x", secret="short")
    assert store.notifications.list() == []
    t, _ = store.notifications.create(
        "slack", f"https://hooks.example.com/{URL_CANARY}", type="slack"
    )
    assert t.url_masked == "https://hooks.example.com/***"
    updated = store.notifications.update("slack", events=["failed"], enabled=False)
    assert updated.events == ["failed"] and not updated.is_enabled
    assert store.notifications.delete("slack").name == "slack"
    assert store.notifications.list() == []


def test_cli_notify_and_config_file(
    emu: Emulator, receiver: Receiver, tmp_path: Path, _isolated_state: Path
) -> None:
    cli = Cli(emu, tmp_path)
    cli.connect("emu")
    app = emu.seed_app(make_spec("shop"))
    env = tmp_path / ".env"
    env.write_text(f"PASSWORD={VALUE_CANARY}\n")
    cli("syncs", "create", "web", "--connection", "emu", "--app", app["id"], "--env-file", str(env))
    hook = {"HOOK_URL": receiver.url, "HOOK_SECRET": HOOK_SECRET}

    # A URL where the variable name goes is refused without echo.
    line = cli.error("notify", "add", "ops", "--url-env", receiver.url)
    assert "looks like a URL" in line
    added = cli.json(
        "notify",
        "add",
        "ops",
        "--url-env",
        "HOOK_URL",
        "--secret-env",
        "HOOK_SECRET",
        "--sync",
        "web",
        env=hook,
    )
    assert added["url"].endswith("/***") and added["syncName"] == "web"
    assert "ops" in cli("notify", "list").stdout
    assert cli("notify", "test", "ops").stdout.startswith("delivered")
    receiver.wait(1)
    assert receiver.bodies()[0]["event"] == "test" and _verify(HOOK_SECRET, *receiver.requests[0])

    env.unlink()
    cli("syncs", "run", "web", code=1)  # the CLI waits (bounded) for the delivery at exit
    receiver.wait(2)
    assert receiver.bodies()[1]["event"] == "failed"
    [d] = cli.json("notify", "deliveries", "--sync", "web")
    assert d["status"] == "delivered" and d["event"] == "failed"
    assert "delivered" in cli("notify", "deliveries").stdout

    # The same target in do-envsync.toml: unchanged; a new one is created.
    (tmp_path / "do-envsync.toml").write_text(
        '[[notify]]\nname = "ops"\ntype = "webhook"\nurl_env = "HOOK_URL"\n'
        'secret_env = "HOOK_SECRET"\nsync = "web"\n\n'
        '[[notify]]\nname = "chat"\ntype = "slack"\nurl_env = "HOOK_URL"\nevents = ["failed"]\n'
    )
    report = cli.json("config", "apply", "do-envsync.toml", env=hook)
    actions = {i["name"]: i["action"] for i in report if i["kind"] == "notify"}
    assert actions == {"ops": "unchanged", "chat": "created"}
    assert cli("notify", "remove", "chat").returncode == 0

    out = "".join(cli.outputs)
    assert URL_CANARY not in out and HOOK_SECRET not in out and VALUE_CANARY not in out
