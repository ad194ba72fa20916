"""Shared state on a real PostgreSQL server (issue 12): many fresh machines act as one.

Each "runner" or "machine" is a fresh Python process with its own empty home, data and
working directory, pointed at one database by `DO_ENVSYNC_STATE=postgresql://...` and at the
emulator of the test process; the master key comes from `DO_ENVSYNC_MASTER_KEY`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from do_envsync import Store
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, PG_MASTER_KEY, make_spec
from .pg import PgCluster
from .test_sync import env_map
from .test_sync_concurrency import CHILD, method_sequence, release


def runner(
    emu: Emulator,
    home: Path,
    app_id: str,
    state: str,
    secrets: dict[str, Any],
    go: Path | None = None,
    **kwargs: Any,
) -> subprocess.Popen[str]:
    """A fresh process on a fresh machine: nothing local survives from any earlier run."""
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "T_GO": "" if go is None else str(go),
        "T_URL": emu.base_url,
        "T_TOKEN": emu.token,
        "T_APP": app_id,
        "T_SECRETS": json.dumps(secrets),
        "T_KWARGS": json.dumps({"lock_timeout": 60.0, "key_schema": "APP_{{secretKey}}", **kwargs}),
        "DO_ENVSYNC_STATE": state,
        "DO_ENVSYNC_MASTER_KEY": PG_MASTER_KEY,
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result_of(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def test_five_fresh_runners_deploy_once(emu: Emulator, pg_url: str, tmp_path: Path) -> None:
    """Scenario 1: five CI runners with empty local state sync the same secrets."""
    app_id = emu.seed_app(make_spec())["id"]
    before = emu.deployment_count(app_id)
    secrets = {"DB_PASSWORD": CANARY_SECRET, "API_KEY": f"canary-{uuid.uuid4().hex}"}
    results = []
    for i in range(5):
        emu.clear_requests()
        results.append(result_of(runner(emu, tmp_path / f"runner{i}", app_id, pg_url, secrets)))
    assert sorted(results[0]["created"]) == ["APP_API_KEY", "APP_DB_PASSWORD"]
    assert emu.deployment_count(app_id) == before + 1, results
    for later in results[1:]:
        assert later["created"] == later["updated"] == later["deleted"] == []
        assert later["deployment_id"] is None
    assert results[4]["requests"] == 1
    assert method_sequence(emu, app_id) == ["GET"]
    # Nothing was kept locally by any runner: the state is the database's.
    assert not list(tmp_path.glob("runner*/**/*.db"))


def test_two_machines_with_overlapping_keys_never_interleave(
    emu: Emulator, pg_url: str, tmp_path: Path
) -> None:
    """Scenario 2: two processes, different local dirs, overlapping keys, 20 syncs each."""
    app_id = emu.seed_app(make_spec())["id"]
    go = tmp_path / "go"
    script = (
        "import json, os, sys\n"
        "from do_envsync import Client\n"
        + CHILD.split("client = Client")[0]
        + "client = Client(os.environ['T_TOKEN'], base_url=os.environ['T_URL'],\n"
        "                retry_budget=30.0)\n"
        "side = os.environ['T_SIDE']\n"
        "for i in range(20):\n"
        "    secrets = {'SHARED': f'{side}-{i}', f'ONLY_{side.upper()}_{i}': f'v-{i}'}\n"
        "    client.sync(os.environ['T_APP'], secrets, key_schema='{{secretKey}}',\n"
        "                disable_secret_deletion=True, lock_timeout=60.0)\n"
        "print('done')\n"
    )
    procs = []
    for side in ("a", "b"):
        home = tmp_path / side
        home.mkdir()
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "T_GO": str(go),
            "T_URL": emu.base_url,
            "T_TOKEN": emu.token,
            "T_APP": app_id,
            "T_SIDE": side,
            "DO_ENVSYNC_STATE": pg_url,
            "DO_ENVSYNC_MASTER_KEY": PG_MASTER_KEY,
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", script],
                env=env,
                cwd=home,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    emu.clear_requests()
    release(go, procs)
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    # Every sync changes something, so each is one GET then its PUT, never interleaved
    # (unserialized syncs would show GET GET PUT PUT).
    methods = method_sequence(emu, app_id)
    assert methods == ["GET", "PUT"] * 40, methods
    # Nothing lost: every side's own keys are on the app, and SHARED holds a last value.
    keys = set(env_map(emu, app_id))
    for side in ("A", "B"):
        assert {f"ONLY_{side}_{i}" for i in range(20)} <= keys
    assert "SHARED" in keys


def test_store_urls_never_show_the_password(pg_cluster: PgCluster, pg_url: str) -> None:
    store = Store(pg_url)
    assert pg_cluster.password not in repr(store)
    assert pg_cluster.password not in store.path
    assert store.path.startswith("postgresql://postgres:")
    wrong = pg_url.replace(pg_cluster.password, "wrong-canary-pass")
    with pytest.raises(Exception) as info:
        Store(wrong)
    assert "wrong-canary-pass" not in str(info.value)
    assert "28P01" in str(info.value)


def test_pg_state_needs_the_master_key_from_the_environment(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DO_ENVSYNC_MASTER_KEY")
    with pytest.raises(Exception, match="DO_ENVSYNC_MASTER_KEY"):
        Store(pg_url)


def test_pg_dump_holds_no_token_or_secret(
    emu: Emulator, pg_cluster: PgCluster, pg_url: str, tmp_path: Path
) -> None:
    """Scenario 5: a canary scan of pg_dump after syncs and control-plane use."""
    app_id = emu.seed_app(make_spec())["id"]
    secret = f"canary-{uuid.uuid4().hex}"
    result_of(runner(emu, tmp_path / "r", app_id, pg_url, {"DB_PASSWORD": secret}))
    store = Store(pg_url)
    store.connections.create("main", token=emu.token, base_url=emu.base_url)
    dump = pg_cluster.pg_dump(pg_url)
    assert "APP_DB_PASSWORD" in dump
    for canary in (secret, emu.token, PG_MASTER_KEY, pg_cluster.password):
        assert canary not in dump


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "do_envsync.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_state_copy_sqlite_to_pg_and_back_keeps_the_no_op(
    emu: Emulator, pg_cluster: PgCluster, pg_url: str, tmp_path: Path
) -> None:
    """After a copy, a fresh machine's no-op sync is 1 request and 0 deployments."""
    app_id = emu.seed_app(make_spec())["id"]
    secrets = {"DB_PASSWORD": f"canary-{uuid.uuid4().hex}"}
    local = tmp_path / "laptop" / "state.db"
    local.parent.mkdir()
    first = result_of(runner(emu, tmp_path / "first", app_id, str(local), secrets))
    assert first["created"] == ["APP_DB_PASSWORD"]
    # A connection too, so sealed tokens travel (re-sealed under the env master key).
    Store(str(local)).connections.create("main", token=emu.token, base_url=emu.base_url)

    # A notification target (its URL sealed) and a serve API key (a hash) travel too.
    hook = f"https://hooks.example.com/services/{uuid.uuid4().hex}"
    Store(str(local)).notifications.create("ops", hook, type="slack")
    made = cli("--state", str(local), "serve", "keys", "create", "ci", "--json")
    assert made.returncode == 0, made.stderr

    out = cli("state", "copy", "--from", str(local), "--to", pg_url)
    assert out.returncode == 0, out.stderr
    assert (
        "copied 1 connections, 0 syncs, 0 runs, 1 records of 1 apps, "
        "1 notification targets (0 deliveries) and 1 API keys" in out.stdout
    )
    assert hook not in out.stdout + out.stderr
    assert pg_cluster.password not in out.stdout + out.stderr
    before = emu.deployment_count(app_id)
    emu.clear_requests()
    again = result_of(runner(emu, tmp_path / "ci", app_id, pg_url, secrets))
    assert again["requests"] == 1 and again["deployment_id"] is None, again
    assert emu.deployment_count(app_id) == before
    assert [c.name for c in Store(pg_url).connections.list()] == ["main"]
    # The sealed URL opens under the PostgreSQL store's key (an update re-seals it).
    moved = Store(pg_url).notifications.update("ops", enabled=False)
    assert (moved.name, moved.is_enabled) == ("ops", False)
    keys = json.loads(cli("--state", pg_url, "serve", "keys", "list", "--json").stdout)
    assert [k["name"] for k in keys] == ["ci"]

    # A second copy into a store that is no longer empty is refused, nothing changed.
    refused = cli("state", "copy", "--from", str(local), "--to", pg_url)
    assert refused.returncode == 1
    assert "not empty" in refused.stderr

    # And back to a new SQLite file on another machine.
    back = tmp_path / "server" / "state.db"
    back.parent.mkdir()
    out = cli("state", "copy", "--from", pg_url, "--to", str(back))
    assert out.returncode == 0, out.stderr
    emu.clear_requests()
    final = result_of(runner(emu, tmp_path / "server-run", app_id, str(back), secrets))
    assert final["requests"] == 1 and final["deployment_id"] is None, final


def test_postgres_stopped_mid_fleet_run_fails_cleanly_and_the_next_run_converges(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scenario 4: a server of the test's own is stopped while a fleet run is writing."""
    import threading
    import time

    monkeypatch.setenv("DO_ENVSYNC_MASTER_KEY", PG_MASTER_KEY)
    cluster = PgCluster.start()
    try:
        url = cluster.fresh_database()
        apps = [emu.seed_app(make_spec(name=f"pgfleet-{i}"))["id"] for i in range(6)]
        value = f"canary-{uuid.uuid4().hex}"
        fleet = {app: {"DB_PASSWORD": value} for app in apps}
        client = emu.client(retry_budget=2.0)
        # Slow PUTs, so that the server stops while some apps are still to be written.
        for app in apps:
            emu.add_fault("delay", method="PUT", path=f"^/v2/apps/{app}$", delay=0.4, count=1)
        emu.clear_requests()

        def stop_after_first_put() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if any(r.method == "PUT" for r in emu.requests()):
                    cluster.stop_server()
                    return
                time.sleep(0.01)

        stopper = threading.Thread(target=stop_after_first_put)
        stopper.start()
        try:
            first = client.sync_fleet(fleet, state=Store(url), concurrency=2)
            failed = list(first.errors.values())
        except Exception as e:  # a failure of the run as a whole is clean too
            failed = [e]
        stopper.join()
        assert failed, "the stopped server failed something"
        for e in failed:
            text = str(e)
            assert "\n" not in text.strip() and cluster.password not in text, text

        cluster.start_server()
        before = sum(emu.deployment_count(a) for a in apps)
        second = client.sync_fleet(fleet, state=Store(url), concurrency=2)
        assert not second.errors, second.errors
        # Converged: at most one extra deployment per app, then a true no-op.
        assert sum(emu.deployment_count(a) for a in apps) - before <= len(apps)
        third = client.sync_fleet(fleet, state=Store(url), concurrency=2)
        assert not third.errors and third.deployments == 0
        for app in apps:
            assert "DB_PASSWORD" in env_map(emu, app)
    finally:
        cluster.stop()


def test_a_wide_fleet_run_does_not_starve_the_pool(emu: Emulator, pg_url: str) -> None:
    """Sixteen apps at once each hold a lock connection and still run their statements;
    the no-op that follows reads every app's state."""
    apps = [emu.seed_app(make_spec(name=f"wide-{i}"))["id"] for i in range(24)]
    client = emu.client(retry_budget=5.0)
    store = Store(pg_url)
    fleet = {app: {"DB_PASSWORD": f"v-{app}"} for app in apps}
    first = client.sync_fleet(fleet, state=store, concurrency=16, lock_timeout=20.0)
    assert not first.errors and first.deployments == len(apps)
    again = client.sync_fleet(fleet, state=Store(pg_url), concurrency=16)
    assert not again.errors and again.deployments == 0
