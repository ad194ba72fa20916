"""Eight processes syncing one app at once, some with the same keys, some with their own.

`test_sync_concurrency.py` covers eight processes with disjoint key sets and two with the
same keys. Here both kinds race together, and every PUT of the emulator's request log is
attributed to its process (by the plaintexts only that process sends), so that the log
proves, PUT by PUT, that each process read the app right before writing it (no
interleaved read-modify-write) and that each write carried every earlier process's keys
(no lost update). Also: a sync that cannot get the lock a *process* holds times out
promptly with a message naming the app and the holder.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import do_envsync
import pytest
from do_envsync import LockTimeoutError
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec
from .test_sync import env_map, envs_of, reveal
from .test_sync_concurrency import finish, release, spawn

SHARED_SCHEMA = "SHARED_{{secretKey}}"
SHARED_KEYS = ["K0", "K1", "K2"]


def own_schema(i: int) -> str:
    return f"OWN{i}_{{{{secretKey}}}}"


def app_requests(emu: Emulator, app_id: str) -> list[Any]:
    return sorted((r for r in emu.requests() if r.path == f"/v2/apps/{app_id}"), key=lambda r: r.ts)


def put_envs(body: str) -> dict[str, dict[str, Any]]:
    envs = json.loads(body)["spec"].get("envs") or []
    return {e["key"]: e for e in envs}


def test_eight_processes_overlapping_and_disjoint(emu: Emulator, tmp_path: Path) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    before = env_map(emu, app_id)
    web_before = envs_of(emu, app_id, "web")
    deployments = emu.deployment_count(app_id)
    state = tmp_path / "shared" / "state.db"
    go = tmp_path / "go"
    run = uuid.uuid4().hex[:8]
    # Processes 0-3 write the same three keys (each its own values); 4-7 their own keys.
    shared = list(range(4))
    secrets: dict[int, dict[str, str]] = {}
    schemas: dict[int, str] = {}
    for i in range(8):
        schemas[i] = SHARED_SCHEMA if i in shared else own_schema(i)
        secrets[i] = {k: f"p{i}-{k}-{run}" for k in SHARED_KEYS}
    emu.add_fault("delay", method="PUT", path=f"^/v2/apps/{app_id}$", delay=0.1, count=8)
    emu.clear_requests()

    procs = [spawn(emu, app_id, state, secrets[i], go, key_schema=schemas[i]) for i in range(8)]
    release(go, procs)
    t0 = time.monotonic()
    results = [finish(p) for p in procs]
    assert time.monotonic() - t0 < 30

    log = app_requests(emu, app_id)
    # Strict alternation: every GET is followed by that sync's PUT before anyone reads.
    assert [r.method for r in log] == ["GET", "PUT"] * 8
    assert all(r.status == 200 for r in log)
    puts = [r for r in log if r.method == "PUT"]

    def sent_plaintext(entry: dict[str, Any]) -> str | None:
        # The emulator's log seals SECRET plaintexts as "[REDACTED EV[...]]" (an EV sent
        # back stays a bare EV[...]); it reveals them.
        value = str(entry.get("value", ""))
        return emu.reveal_secret(value) if value.startswith("[REDACTED ") else None

    def writer(body: str) -> int:
        envs = put_envs(body)
        owners = {
            i
            for i in range(8)
            for key, value in secrets[i].items()
            if sent_plaintext(envs.get(schemas[i].replace("{{secretKey}}", key), {})) == value
        }
        assert len(owners) == 1, owners  # only the writer's plaintexts travel
        return owners.pop()

    order = [writer(p.body or "") for p in puts]
    assert sorted(order) == list(range(8)), order
    # No lost update: each PUT carries every key an earlier PUT wrote.
    written: set[str] = set()
    for p, i in zip(puts, order, strict=True):
        keys = set(put_envs(p.body or ""))
        assert written <= keys, f"process {i}'s PUT dropped {written - keys}"
        assert {"LOG_LEVEL", "API_KEY"} <= keys
        written |= {schemas[i].replace("{{secretKey}}", k) for k in SHARED_KEYS}
    assert emu.deployment_count(app_id) == deployments + len(puts)

    # Last writer wins on the shared keys, as a whole (never a mix of two writers).
    last_shared = [i for i in order if i in shared][-1]
    for key in SHARED_KEYS:
        assert reveal(emu, app_id, f"SHARED_{key}") == secrets[last_shared][key]
    for i in range(8):
        if i not in shared:
            for key, value in secrets[i].items():
                assert reveal(emu, app_id, f"OWN{i}_{key}") == value
    after = env_map(emu, app_id)
    assert after["LOG_LEVEL"] == before["LOG_LEVEL"] and after["API_KEY"] == before["API_KEY"]
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET
    assert envs_of(emu, app_id, "web") == web_before
    # The first shared writer created the keys; the later ones saw its state and updated.
    first_shared = next(i for i in order if i in shared)
    for i in shared:
        expected = "created" if i == first_shared else "updated"
        assert sorted(results[i][expected]) == [f"SHARED_{k}" for k in SHARED_KEYS], i

    # The shared state agrees with the app: every source is in sync but the overwritten.
    client = emu.client()
    store = do_envsync.Store(state)
    for i in range(8):
        plan = client.plan_sync(app_id, secrets[i], key_schema=schemas[i], state=store)
        changed = i in shared and i != last_shared
        assert plan.has_changes == changed, (i, str(plan))


@pytest.mark.parametrize("lock_timeout", [0.0, 0.25])
def test_lock_held_by_another_process_times_out_promptly(
    emu: Emulator, tmp_path: Path, lock_timeout: float
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    state = tmp_path / "state.db"
    # Another process syncs with a slow PUT: it holds the app's lock meanwhile.
    hold = 6.0
    emu.add_fault("delay", method="PUT", path=f"^/v2/apps/{app_id}$", delay=hold, count=1)
    emu.clear_requests()
    holder = spawn(emu, app_id, state, {"A": "1"}, key_schema="HOLDER_{{secretKey}}")
    deadline = time.monotonic() + 20
    while emu.request_count("GET", f"/v2/apps/{app_id}") == 0:
        assert holder.poll() is None, holder.communicate()
        assert time.monotonic() < deadline, "the holder never read the app"
        time.sleep(0.005)

    client = emu.client()
    t0 = time.monotonic()
    with pytest.raises(LockTimeoutError) as info:
        client.sync(
            app_id,
            {"B": "2"},
            key_schema="WAITER_{{secretKey}}",
            state=state,
            lock_timeout=lock_timeout,
        )
    waited = time.monotonic() - t0
    # Promptly: at its own timeout, long before the holder let go (`hold` seconds).
    assert lock_timeout <= waited < hold - 2, waited
    message = str(info.value)
    assert f"waiting for the sync lock of app {app_id}" in message, message
    assert f"held by pid {holder.pid} since " in message, message
    assert emu.request_count("GET", f"/v2/apps/{app_id}") == 1  # the waiter sent nothing
    assert finish(holder)["created"] == ["HOLDER_A"]
    assert [r["key"] for r in do_envsync.Store(state).state(app_id)] == ["HOLDER_A"]
    # Released with the holder: the next sync gets the lock at once.
    result = client.sync(
        app_id, {"B": "2"}, key_schema="WAITER_{{secretKey}}", state=state, lock_timeout=0.5
    )
    assert result.created == ["WAITER_B"]


def test_eight_processes_and_a_watch_on_one_app(emu: Emulator, tmp_path: Path) -> None:
    """A `do-envsync watch` keeps a stored sync of the same app up to date while eight
    processes sync their own keys into it: they all share the app's lock, nothing is lost and
    every PUT directly follows its own read."""
    import os
    import signal
    import subprocess
    import sys

    app_id = emu.seed_app(make_spec())["id"]
    state = tmp_path / "shared" / "state.db"
    env = {**os.environ, "DO_ENVSYNC_STATE": str(state), "EMU_TOKEN": emu.token}
    cli = [sys.executable, "-m", "do_envsync.cli"]

    def run_cli(*args: str) -> None:
        r = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr

    dotenv = tmp_path / "watched.env"
    dotenv.write_text("W=0\n")
    run_cli("connections", "create", "emu", "--base-url", emu.base_url, "--token-env", "EMU_TOKEN")
    run_cli("syncs", "create", "w", "--connection", "emu", "--app", app_id,
            "--env-file", str(dotenv), "--key-schema", "WATCH_{{secretKey}}")  # fmt: skip
    watch = subprocess.Popen(
        [*cli, "watch", "--json", "--debounce", "0.05"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while "WATCH_W" not in env_map(emu, app_id):
            assert time.monotonic() < deadline, "watch did not run"
            time.sleep(0.05)
        emu.clear_requests()
        go = tmp_path / "go"
        secrets = {i: {"K": f"p{i}", "L": f"q{i}"} for i in range(8)}
        procs = [
            spawn(emu, app_id, state, secrets[i], go, key_schema=own_schema(i)) for i in range(8)
        ]
        release(go, procs)
        for n in range(1, 6):  # the watched file changes during the race
            dotenv.write_text(f"W={n}\nX{n}=x\n")
            time.sleep(0.15)
        [finish(p) for p in procs]
        deadline = time.monotonic() + 20
        while emu.reveal_secret(env_map(emu, app_id)["WATCH_W"]["value"]) != "5":
            assert time.monotonic() < deadline, "watch did not catch up"
            time.sleep(0.05)
    finally:
        watch.send_signal(signal.SIGTERM)
        _, err = watch.communicate(timeout=30)
    assert watch.returncode == 0, err
    envs = env_map(emu, app_id)
    for i in range(8):
        assert reveal(emu, app_id, f"OWN{i}_K") == f"p{i}"
        assert reveal(emu, app_id, f"OWN{i}_L") == f"q{i}"
    assert {k for k in envs if k.startswith("WATCH_")} == {"WATCH_W", "WATCH_X5"}
    assert {"LOG_LEVEL", "API_KEY"} <= set(envs)
    log = app_requests(emu, app_id)
    puts = [i for i, r in enumerate(log) if r.method == "PUT"]
    assert len(puts) >= 9  # eight processes and at least one watch run
    assert all(i > 0 and log[i - 1].method == "GET" for i in puts), [r.method for r in log]
