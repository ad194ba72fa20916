"""Custom-scoped tokens: the emulator's scope checks (403 for a scope the token lacks, the
400 "database user password is not accessible" for a spec with attached databases written
without `database:view_credentials`), and how the client, `client.sync`, a fleet sync, a
stored run and the CLI report that 400: one line naming the app, its database components
and the scopes the token needs, with nothing changed on the app."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from do_envsync import (
    AsyncClient,
    AuthenticationError,
    Client,
    DatabaseCredentialsScopeError,
    DigitalOceanError,
    PermissionDeniedError,
    Store,
    SyncRunError,
    ValidationError,
    models,
    sources,
)
from do_envsync.testing import Emulator

BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "openapi" / "apps-bundle.json"
EXE = [sys.executable, "-m", "do_envsync.cli"]
MESSAGE = "database user password is not accessible"
SYNC_SCOPES = ["account:read", "app:read", "app:update"]
NEEDED = ("app:read", "app:update", "database:view_credentials")


def _shop(emu: Emulator) -> dict[str, Any]:
    """A live app with a service and two attached managed databases."""
    return emu.seed_app(
        {
            "name": "shop",
            "region": "nyc",
            "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
            "services": [
                {"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}},
            ],
            "databases": [
                {"name": "orders-db", "engine": "PG", "cluster_name": "orders"},
                {"name": "cache", "engine": "REDIS", "cluster_name": "cache"},
            ],
        }
    )


def _assert_line(line: str, app_id: str, token: str) -> None:
    """The one line: app name and id, both database components, the scopes, DO's message."""
    assert "\n" not in line, line
    for part in (
        '"shop"',
        app_id,
        '"orders-db", "cache"',
        f'"{MESSAGE}"',
        "app:read, app:update and database:view_credentials",
    ):
        assert part in line, f"{part!r} missing from {line!r}"
    assert token not in line


def _spec(client: Client, app_id: str) -> models.AppSpec:
    spec = client.apps.get(app_id).spec
    assert spec is not None
    return spec


def _app(emu: Emulator, app_id: str) -> dict[str, Any]:
    return next(a for a in emu.apps() if a["id"] == app_id)


def test_scoped_tokens_get_403_for_what_they_lack(emu: Emulator) -> None:
    app = _shop(emu)
    nothing = Client(emu.add_token([]), base_url=emu.base_url, max_attempts=1)
    with pytest.raises(PermissionDeniedError) as info:
        nothing.apps.get(app["id"])
    assert info.value.status == 403 and info.value.error_id == "forbidden"
    assert info.value.message == "You do not have access for the attempted action."
    with pytest.raises(PermissionDeniedError):
        nothing.account.get()

    reader = Client(emu.add_token(["app:read"]), base_url=emu.base_url, max_attempts=1)
    spec = _spec(reader, app["id"])
    assert [a.id for a in reader.apps.list()] == [app["id"]]
    with pytest.raises(PermissionDeniedError):
        reader.apps.update(app["id"], spec)
    with pytest.raises(PermissionDeniedError):
        reader.apps.create({"name": "other", "region": "nyc"})
    with pytest.raises(PermissionDeniedError):
        reader.apps.delete(app["id"])
    assert emu.deployment_count(app["id"]) == 1 and len(emu.apps()) == 1

    # The main token is full access, as before; reset forgets added tokens.
    assert emu.client().apps.get(app["id"]).id == app["id"]
    token = emu.add_token(["app:read"])
    emu.reset()
    with pytest.raises(AuthenticationError):
        Client(token, base_url=emu.base_url, max_attempts=1).apps.list_regions()


def test_every_operation_needs_the_scope_the_bundle_lists(emu: Emulator) -> None:
    """Per the OpenAPI bundle's `security`: the scope alone lets the request past the
    scope check (any answer but 403), every other scope together does not (403)."""
    app = _shop(emu)
    bundle = json.loads(BUNDLE.read_text())
    every: set[str] = set()
    operations = []
    for path, ops in bundle["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict) or "security" not in op:
                continue
            (scope,) = op["security"][0]["bearer_auth"]
            every.add(scope)
            concrete = re.sub(r"\{(id|app_id)\}", app["id"], path)
            concrete = re.sub(r"\{[a-z_]+\}", "x", concrete)
            operations.append((method.upper(), concrete, scope))
    assert len(operations) >= 39
    only = {scope: emu.add_token([scope]) for scope in every}
    others = {scope: emu.add_token(sorted(every - {scope})) for scope in every}
    for method, path, scope in operations:
        body = b"{}" if method in ("POST", "PUT") else None
        for token, denied in ((only[scope], False), (others[scope], True)):
            request = urllib.request.Request(
                emu.base_url + path,
                data=body,
                method=method,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as r:
                    status = r.status
            except urllib.error.HTTPError as e:
                status = e.code
            assert (status == 403) == denied, f"{method} {path} ({scope}): {status}"


def test_a_spec_with_databases_needs_the_credentials_scope(emu: Emulator) -> None:
    app = _shop(emu)
    token = emu.add_token(SYNC_SCOPES)
    client = Client(token, base_url=emu.base_url)
    spec = _spec(client, app["id"])
    before = _app(emu, app["id"])
    emu.clear_requests()
    with pytest.raises(DatabaseCredentialsScopeError) as info:
        client.apps.update(app["id"], spec)
    err = info.value
    assert isinstance(err, ValidationError) and isinstance(err, DigitalOceanError)
    assert (err.status, err.error_id, err.message) == (400, "bad_request", MESSAGE)
    assert err.request_id and err.app_id == app["id"] and err.app_name == "shop"
    assert err.databases == ("orders-db", "cache") and err.required_scopes == NEEDED
    _assert_line(str(err), app["id"], token)
    assert token not in repr(err)
    assert emu.request_count(method="PUT") == 1, "no retry, no PUT without databases"
    assert _app(emu, app["id"])["spec"] == before["spec"]
    assert emu.deployment_count(app["id"]) == 1

    # With the scope the same PUT deploys.
    granted = Client(
        emu.add_token([*SYNC_SCOPES, "database:view_credentials"]), base_url=emu.base_url
    )
    granted.apps.update(app["id"], spec)
    assert emu.deployment_count(app["id"]) == 2

    # Creating an app with databases is refused the same way (no app id yet).
    creator = Client(emu.add_token(["app:create"]), base_url=emu.base_url)
    with pytest.raises(DatabaseCredentialsScopeError) as created:
        creator.apps.create({"name": "new", "databases": [{"name": "db", "engine": "PG"}]})
    assert created.value.app_id is None and created.value.databases == ("db",)
    assert created.value.required_scopes == ("app:create", "database:view_credentials")
    assert len(emu.apps()) == 1


async def test_async_client_and_raw_requests_raise_the_typed_error(emu: Emulator) -> None:
    app = _shop(emu)
    token = emu.add_token(SYNC_SCOPES)
    client = Client(token, base_url=emu.base_url)
    spec = client.request("GET", f"/v2/apps/{app['id']}")["app"]["spec"]
    with pytest.raises(DatabaseCredentialsScopeError) as raw:
        client.request("PUT", f"/v2/apps/{app['id']}", json={"spec": spec})
    assert raw.value.databases == ("orders-db", "cache") and raw.value.app_id == app["id"]
    async_client = AsyncClient(token, base_url=emu.base_url)
    with pytest.raises(DatabaseCredentialsScopeError) as info:
        await async_client.apps.update(app["id"], spec)
    _assert_line(str(info.value), app["id"], token)
    assert emu.deployment_count(app["id"]) == 1


def test_the_admin_surface_and_the_constructor_make_scoped_tokens() -> None:
    with Emulator(token_scopes=["app:read"]) as emu:
        app = _shop(emu)
        main = emu.client(max_attempts=1)
        assert main.apps.get(app["id"]).id == app["id"]
        with pytest.raises(PermissionDeniedError):
            main.apps.update(app["id"], _spec(main, app["id"]))
        request = urllib.request.Request(
            emu.base_url + "/_emulator/tokens",
            data=json.dumps({"scopes": ["app:read", "app:update"]}).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {emu.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            token = json.loads(r.read())["token"]
        with pytest.raises(DatabaseCredentialsScopeError):
            Client(token, base_url=emu.base_url).sync(app["id"], {"K": "v"})
    with pytest.raises(ValueError, match="not a token scope"):
        Emulator(token_scopes=["read:app"])
    with Emulator() as emu, pytest.raises(ValueError, match="not a token scope"):
        emu.add_token(["app"])


def test_client_sync_and_fleet_report_one_line(emu: Emulator, tmp_path: Path) -> None:
    app = _shop(emu)
    token = emu.add_token(SYNC_SCOPES)
    client = Client(token, base_url=emu.base_url)
    before = _app(emu, app["id"])
    with pytest.raises(DatabaseCredentialsScopeError) as info:
        client.sync(app["id"], {"API_KEY": "k-1"}, state=str(tmp_path / "s.db"))
    _assert_line(str(info.value), app["id"], token)

    fleet = client.sync_fleet({app["id"]: {"API_KEY": "k-1"}}, state=str(tmp_path / "s.db"))
    assert list(fleet.errors) == [app["id"]] and fleet.results == {}
    err = fleet.errors[app["id"]]
    assert isinstance(err, DatabaseCredentialsScopeError)
    _assert_line(str(err), app["id"], token)
    assert emu.request_count(method="PUT") == 2
    assert _app(emu, app["id"])["spec"] == before["spec"]
    assert emu.deployment_count(app["id"]) == 1


def test_a_stored_run_records_the_line(emu: Emulator, tmp_path: Path) -> None:
    app = _shop(emu)
    token = emu.add_token(SYNC_SCOPES)
    store = Store(str(tmp_path / "control" / "state.db"))
    store.connections.create("scoped", token, base_url=emu.base_url)
    store.syncs.create("shop", "scoped", "shop", source=sources.inline({"API_KEY": "k-1"}))
    with pytest.raises(SyncRunError) as info:
        store.syncs.run("shop")
    run = info.value.run
    assert run.status == "failed"
    _assert_line(run.message, app["id"], token)
    assert isinstance(info.value.__cause__, DatabaseCredentialsScopeError)
    assert str(info.value.__cause__) == run.message
    assert store.syncs.get("shop").last_sync_message == run.message
    assert emu.deployment_count(app["id"]) == 1


def test_cli_syncs_run_exits_1_with_one_line(emu: Emulator, tmp_path: Path) -> None:
    app = _shop(emu)
    token = emu.add_token(SYNC_SCOPES)
    env_file = tmp_path / ".env"
    env_file.write_text("API_KEY=k-1\n")
    env = {**os.environ, "SCOPED_TOKEN": token, "DO_ENVSYNC_BASE_URL": emu.base_url}
    env.pop("DIGITALOCEAN_TOKEN", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*EXE, *args], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path
        )

    create = ["connections", "create", "scoped", "--base-url", emu.base_url]
    assert run(*create, "--token-env", "SCOPED_TOKEN").returncode == 0
    sync = ["syncs", "create", "shop", "--connection", "scoped", "--app", "shop"]
    assert run(*sync, "--env-file", str(env_file)).returncode == 0
    r = run("syncs", "run", "shop")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("do-envsync: error: "), r.stderr
    _assert_line(lines[0], app["id"], token)
    assert token not in r.stdout + r.stderr
    assert emu.deployment_count(app["id"]) == 1


def test_standalone_emulator_token_scopes_from_the_environment(tmp_path: Path) -> None:
    token = "dop_v1_" + "5c0fe" * 13
    proc = subprocess.Popen(
        [*EXE, "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "DO_ENVSYNC_EMULATOR_TOKEN": token,
            "DO_ENVSYNC_EMULATOR_TOKEN_SCOPES": "app:read, account:read",
        },
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        m = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
        assert m, lines
        assert "token scopes: app:read, account:read" in "".join(lines)
        client = Client(token, base_url=m.group(0), max_attempts=1)
        assert client.account.get().status == "active"
        seed = urllib.request.Request(
            m.group(0) + "/_emulator/apps",
            data=json.dumps({"spec": {"name": "scoped", "region": "nyc"}}).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(seed, timeout=30) as r:
            app_id = json.loads(r.read())["app"]["id"]
        with pytest.raises(PermissionDeniedError):
            client.apps.update(app_id, _spec(client, app_id))
        assert token not in "".join(lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
