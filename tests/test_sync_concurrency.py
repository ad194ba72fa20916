"""Syncs that race or crash: the per-app lock across processes and threads, and
convergence after a sync died between its PUT and its state write.

Child processes are plain `python -c` runs of the public API, pointed at the emulator of
the test process (base URL and token through the environment) and sharing one state file
through `DO_ENVSYNC_STATE`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import do_envsync
import pytest
from do_envsync import Client, LockTimeoutError, TransportError
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec
from .test_sync import env_map, envs_of, reveal

CHILD = r"""
import json, os, time
from do_envsync import Client

# Start line: report ready, then wait for the parent's go so that all children race.
go = os.environ.get("T_GO")
if go:
    open(f"{go}.{os.getpid()}", "w").close()
    while not os.path.exists(go):
        time.sleep(0.002)
client = Client(os.environ["T_TOKEN"], base_url=os.environ["T_URL"], retry_budget=30.0)
result = client.sync(
    os.environ["T_APP"], json.loads(os.environ["T_SECRETS"]), **json.loads(os.environ["T_KWARGS"])
)
print(json.dumps({
    "created": result.created, "updated": result.updated, "deleted": result.deleted,
    "deployment_id": result.deployment_id, "requests": result.requests,
}))
"""


def spawn(
    emu: Emulator,
    app_id: str,
    state: Path,
    secrets: dict[str, Any],
    go: Path | None = None,
    **kwargs: Any,
) -> subprocess.Popen[str]:
    env = {
        "T_GO": "" if go is None else str(go),
        **os.environ,
        "T_URL": emu.base_url,
        "T_TOKEN": emu.token,
        "T_APP": app_id,
        "T_SECRETS": json.dumps(secrets),
        "T_KWARGS": json.dumps({"lock_timeout": 60.0, **kwargs}),
        "DO_ENVSYNC_STATE": str(state),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def release(go: Path, procs: list[subprocess.Popen[str]]) -> None:
    """Waits until every child is imported and ready, then lets them all go at once."""
    deadline = time.monotonic() + 60
    while len(list(go.parent.glob(f"{go.name}.*"))) < len(procs):
        assert time.monotonic() < deadline, "children did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()


def finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def method_sequence(emu: Emulator, app_id: str) -> list[str]:
    """Methods of the requests on the app, in arrival order."""
    records = sorted(
        (r for r in emu.requests() if r.path == f"/v2/apps/{app_id}"), key=lambda r: r.ts
    )
    return [r.method for r in records]


def test_eight_processes_with_disjoint_keys_lose_nothing(emu: Emulator, tmp_path: Path) -> None:
    extra = make_spec()["envs"] + [
        {"key": "P3_LEFTOVER", "value": "gone soon", "scope": "RUN_TIME", "type": "GENERAL"}
    ]
    app_id = emu.seed_app(make_spec(envs=extra))["id"]
    before = env_map(emu, app_id)
    web_before = envs_of(emu, app_id, "web")
    deployments = emu.deployment_count(app_id)
    state = tmp_path / "shared" / "state.db"
    go = tmp_path / "go"
    run = uuid.uuid4().hex[:8]
    wanted = {i: {f"K{j}": f"value-{i}-{j}-{run}" for j in range(3)} for i in range(8)}
    # Slow PUTs keep each sync inside its lock long enough for the others to queue up.
    emu.add_fault("delay", method="PUT", path=f"^/v2/apps/{app_id}$", delay=0.15, count=8)
    emu.clear_requests()

    procs = [
        spawn(emu, app_id, state, wanted[i], go, key_schema=f"P{i}_{{{{secretKey}}}}")
        for i in range(8)
    ]
    release(go, procs)
    results = [finish(p) for p in procs]

    for i, result in enumerate(results):
        assert sorted(result["created"]) == [f"P{i}_K{j}" for j in range(3)]
        assert result["deleted"] == (["P3_LEFTOVER"] if i == 3 else [])
        assert result["requests"] == 2
    for i, secrets in wanted.items():
        for key, value in secrets.items():
            assert reveal(emu, app_id, f"P{i}_{key}") == value
    after = env_map(emu, app_id)
    assert set(after) == {"LOG_LEVEL", "API_KEY"} | {
        f"P{i}_K{j}" for i in range(8) for j in range(3)
    }
    assert after["LOG_LEVEL"] == before["LOG_LEVEL"]
    assert after["API_KEY"] == before["API_KEY"]
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET
    assert envs_of(emu, app_id, "web") == web_before
    # Read-plan-write never interleaved: each GET is followed by its own PUT.
    assert method_sequence(emu, app_id) == ["GET", "PUT"] * 8
    assert emu.deployment_count(app_id) == deployments + 8
    # The shared state holds every process's records, and each source is up to date.
    store = do_envsync.Store(state)
    assert {r["key"] for r in store.state(app_id)} == {
        f"P{i}_K{j}" for i in range(8) for j in range(3)
    }
    client = emu.client()
    for i in range(8):
        plan = client.plan_sync(
            app_id, wanted[i], key_schema=f"P{i}_{{{{secretKey}}}}", state=store
        )
        assert not plan.has_changes, str(plan)


def test_two_processes_with_the_same_keys_serialize(emu: Emulator, tmp_path: Path) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    state = tmp_path / "state.db"
    go = tmp_path / "go"
    keys = [f"SHARED_{j}" for j in range(5)]
    values = {side: {k: f"{side}-{k}-{uuid.uuid4().hex[:6]}" for k in keys} for side in ("a", "b")}
    deployments = emu.deployment_count(app_id)
    emu.add_fault("delay", method="PUT", path=f"^/v2/apps/{app_id}$", delay=0.3, count=2)
    emu.clear_requests()

    procs = {
        side: spawn(emu, app_id, state, values[side], go, key_schema="S_{{secretKey}}")
        for side in ("a", "b")
    }
    release(go, list(procs.values()))
    results = {side: finish(p) for side, p in procs.items()}

    stored = {k: reveal(emu, app_id, f"S_{k}") for k in keys}
    winner = next(side for side in ("a", "b") if stored == values[side])  # never a mix
    loser = "b" if winner == "a" else "a"
    # The first sync created the keys; the second saw its state (no "initial" rewrite
    # of unknown secrets) and updated them.
    assert sorted(results[loser]["created"]) == sorted(f"S_{k}" for k in keys)
    assert sorted(results[winner]["updated"]) == sorted(f"S_{k}" for k in keys)
    assert method_sequence(emu, app_id) == ["GET", "PUT", "GET", "PUT"]
    assert emu.deployment_count(app_id) == deployments + 2
    client = emu.client()
    store = do_envsync.Store(state)
    again = client.plan_sync(app_id, values[winner], key_schema="S_{{secretKey}}", state=store)
    assert not again.has_changes, str(again)
    back = client.plan_sync(app_id, values[loser], key_schema="S_{{secretKey}}", state=store)
    assert {(c.action, c.reason) for c in back.changes} == {("update", "value_changed")}


def test_a_sync_waits_for_the_lock_or_times_out(
    emu: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    state = tmp_path / "state.db"
    # The first sync holds the lock through a PUT the emulator answers after HOLD seconds.
    hold = 6.0
    emu.add_fault("delay", method="PUT", path=f"^/v2/apps/{app_id}$", delay=hold, count=1)
    emu.clear_requests()
    first: dict[str, Any] = {}

    def slow_sync() -> None:
        # Its own client and store object, as another process would have.
        client = emu.client()
        first["result"] = client.sync(
            app_id, {"A": "1"}, key_schema="T_{{secretKey}}", state=do_envsync.Store(state)
        )

    thread = threading.Thread(target=slow_sync)
    thread.start()
    deadline = time.monotonic() + 30
    while emu.request_count("GET", f"/v2/apps/{app_id}") == 0:
        assert time.monotonic() < deadline, "the first sync never read the app"
        time.sleep(0.01)

    client = emu.client()
    # The wait is logged (INFO, `do_envsync.store.*`), naming the app.
    caplog.set_level(logging.INFO, logger="do_envsync")
    do_envsync.refresh_logging()
    t0 = time.monotonic()
    with pytest.raises(LockTimeoutError) as info:
        client.sync(
            app_id,
            {"B": "2"},
            key_schema="U_{{secretKey}}",
            state=do_envsync.Store(state),
            lock_timeout=0.2,
        )
    # It gave up at its own timeout, long before the holder let go (HOLD seconds).
    assert 0.15 < time.monotonic() - t0 < hold - 2
    assert isinstance(info.value, TimeoutError)
    assert app_id in str(info.value)
    assert emu.request_count("GET", f"/v2/apps/{app_id}") == 1  # it sent nothing
    waits = [
        r
        for r in caplog.records
        if r.name.startswith("do_envsync.store.") and "waiting for the sync lock" in r.getMessage()
    ]
    assert len(waits) == 1 and app_id in waits[0].getMessage(), caplog.records
    caplog.set_level(logging.WARNING, logger="do_envsync")
    do_envsync.refresh_logging()

    waited = client.sync(
        app_id,
        {"B": "2"},
        key_schema="U_{{secretKey}}",
        state=do_envsync.Store(state),
        lock_timeout=30.0,
    )
    thread.join(30)
    assert first["result"].created == ["T_A"]
    assert waited.created == ["U_B"]
    assert method_sequence(emu, app_id) == ["GET", "PUT", "GET", "PUT"]
    assert reveal(emu, app_id, "T_A") == "1" and reveal(emu, app_id, "U_B") == "2"


@pytest.mark.parametrize("stage", ["first-sync", "later-sync"])
def test_crash_between_put_and_state_write_converges(
    emu: Emulator, tmp_path: Path, stage: str
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    state = tmp_path / "state.db"
    client = emu.client()
    desired = {"DB_PASSWORD": "pw-2", "STRIPE_KEY": "sk-2"}
    if stage == "later-sync":
        client.sync(
            app_id,
            {"DB_PASSWORD": "pw-1", "STRIPE_KEY": "sk-1"},
            disable_secret_deletion=True,
            state=state,
        )
    records_before = do_envsync.Store(state).state(app_id)
    deployments = emu.deployment_count(app_id)

    # The PUT is applied, then the connection drops: the client never sees the response,
    # so the state is not written (no retries, as if the process had died right there).
    emu.add_fault("apply_then_reset", method="PUT", path=f"^/v2/apps/{app_id}$", count=1)
    crashing = emu.client(max_attempts=1)
    with pytest.raises(TransportError):
        crashing.sync(app_id, desired, disable_secret_deletion=True, state=state)
    assert emu.deployment_count(app_id) == deployments + 1
    assert all(reveal(emu, app_id, k) == v for k, v in desired.items())
    assert do_envsync.Store(state).state(app_id) == records_before

    emu.clear_requests()
    repaired = client.sync(
        app_id, desired, disable_secret_deletion=True, state=state, lock_timeout=2.0
    )  # the failed sync released its lock
    assert sorted(repaired.updated) == sorted(desired)
    assert emu.deployment_count(app_id) <= deployments + 2
    assert all(reveal(emu, app_id, k) == v for k, v in desired.items())
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET
    emu.clear_requests()
    noop = client.sync(app_id, desired, disable_secret_deletion=True, state=state)
    assert noop.deployment_id is None and emu.request_count() == 1


def test_a_killed_sync_releases_its_lock_and_the_next_run_converges(
    emu: Emulator, tmp_path: Path
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    state = tmp_path / "state.db"
    desired = {"DB_PASSWORD": "pw", "STRIPE_KEY": "sk"}
    deployments = emu.deployment_count(app_id)
    emu.add_fault("delay", method="PUT", path=f"^/v2/apps/{app_id}$", delay=1.0, count=1)
    emu.clear_requests()
    proc = spawn(emu, app_id, state, desired, disable_secret_deletion=True)
    deadline = time.monotonic() + 20
    while emu.request_count("GET", f"/v2/apps/{app_id}") == 0:
        assert time.monotonic() < deadline, "the child never read the app"
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    time.sleep(0.2)  # now inside its slow PUT, holding the lock
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    # Let the orphaned PUT settle (applied or not) so it cannot land after the next sync.
    time.sleep(1.0)

    client = emu.client()
    client.sync(app_id, desired, disable_secret_deletion=True, state=state, lock_timeout=5.0)
    assert all(reveal(emu, app_id, k) == v for k, v in desired.items())
    assert emu.deployment_count(app_id) <= deployments + 2
    emu.clear_requests()
    noop = client.sync(app_id, desired, disable_secret_deletion=True, state=state)
    assert noop.deployment_id is None and emu.request_count() == 1


OPEN_STORE = r"""
import os, time
import do_envsync

go = os.environ["T_GO"]
open(f"{go}.{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
store = do_envsync.Store(os.environ["DO_ENVSYNC_STATE"])
print(len(store.state("0f9a4b6e-7c1d-4e2a-9b3f-5d6c7e8f9a0b")))
"""


def test_processes_opening_a_fresh_store_at_once_all_succeed(tmp_path: Path) -> None:
    """The first syncs of several CI jobs sharing a state file create it together."""
    for round_ in range(3):
        state = tmp_path / f"round-{round_}" / "state.db"
        go = tmp_path / f"go-{round_}"
        env = {**os.environ, "T_GO": str(go), "DO_ENVSYNC_STATE": str(state)}
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_STORE],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        release(go, procs)
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            assert out.strip() == "0"


def test_threads_of_one_process_share_a_store_safely(
    client: Client, emu: Emulator, tmp_path: Path
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    store = do_envsync.Store(tmp_path / "state.db")
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            client.sync(app_id, {"K": f"v{i}"}, key_schema=f"TH{i}_{{{{secretKey}}}}", state=store)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    for i in range(4):
        assert reveal(emu, app_id, f"TH{i}_K") == f"v{i}"
    assert len(store.state(app_id)) == 4
