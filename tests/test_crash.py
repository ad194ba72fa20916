"""SIGKILL a syncing process at random points of 50 runs; every next run converges.

Each run is a child process (`python -c`) syncing a fresh random source into one app of
the emulator of this test, through the public API, with the state file every run shares.
The parent kills it with SIGKILL in one of three phases, with windows widened so a kill
lands where it is aimed:

- before the PUT: while the app is read (the GET is delayed by the emulator);
- during the PUT: after the GET was answered, while the PUT is held by the emulator;
- after the PUT, before the state write: the parent holds the state database's write
  lock, so the child blocks on its state write after the PUT was answered.

The phase each kill really hit is read from the emulator's request log at the moment of
the kill and from the state file. After each kill the orphaned request settles, then a
full sync of the same source runs in this process: managed keys must equal the source,
unmanaged entries and components must be byte-identical to before, the crash may cost at
most one extra deployment, and a further sync is a no-op (one GET, no deployment).
"""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import do_envsync
from do_envsync.testing import Emulator

from .conftest import make_spec
from .test_sync import env_map, envs_of, reveal

RUNS = 50
SEED = 20240611
SCHEMA = "APP_{{secretKey}}"
GET_DELAY = 0.15
PUT_DELAY = 0.15
SOURCE_KEYS = [f"K{i}" for i in range(6)]

CHILD = r"""
import json, os, sys, time
from do_envsync import Client, Store

go = os.environ["T_GO"]
client = Client(os.environ["T_TOKEN"], base_url=os.environ["T_URL"], retry_budget=30.0)
store = Store(os.environ["DO_ENVSYNC_STATE"])
open(go + ".ready", "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
with open(go) as f:
    secrets = json.load(f)
client.sync(os.environ["T_APP"], secrets, key_schema=os.environ["T_SCHEMA"], state=store)
print("finished")
"""


def spawn(emu: Emulator, app_id: str, state: Path, go: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "T_URL": emu.base_url,
        "T_TOKEN": emu.token,
        "T_APP": app_id,
        "T_SCHEMA": SCHEMA,
        "T_GO": str(go),
        "DO_ENVSYNC_STATE": str(state),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(proc: subprocess.Popen[str], go: Path) -> None:
    deadline = time.monotonic() + 30
    ready = Path(f"{go}.ready")
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.005)


def release(go: Path, secrets: dict[str, Any]) -> None:
    tmp = go.with_suffix(".tmp")
    tmp.write_text(json.dumps(secrets))
    tmp.rename(go)  # atomic: the child never reads a half-written source


def wait_for(predicate: Any, proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert proc.poll() is None, f"the child ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


# The lock is held from another process: Python's sqlite3 is a second copy of SQLite, and two
# copies in one process break each other's POSIX locks (closing one can truncate the WAL
# index the other has mapped: SIGBUS).
HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.rollback()
db.close()
"""


def hold_write_lock(state: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def release_write_lock(proc: subprocess.Popen[str]) -> None:
    proc.communicate("go\n", timeout=10)
    assert proc.returncode == 0


def random_source(rng: random.Random, run: int) -> dict[str, Any]:
    keys = rng.sample(SOURCE_KEYS, rng.randint(1, 4))
    source: dict[str, Any] = {}
    for key in keys:
        value = f"{key.lower()}-{run}-{rng.getrandbits(32):08x}"
        # Mostly SECRETs (whose stored value cannot be read back), some GENERAL.
        source[key] = {"value": value, "type": "GENERAL"} if rng.random() < 0.25 else value
    return source


def plain(source: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else v["value"] for k, v in source.items()}


def test_sigkill_at_random_points_then_the_next_run_converges(
    emu: Emulator, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    app_id = emu.seed_app(make_spec())["id"]
    state = tmp_path / "crash" / "state.db"
    app_path = f"/v2/apps/{app_id}"
    client = emu.client(retry_budget=10.0)
    store = do_envsync.Store(state)  # creates the file, so the parent can lock it
    before = env_map(emu, app_id)
    unmanaged = {k: v for k, v in before.items() if not k.startswith("APP_")}
    web_before = envs_of(emu, app_id, "web")

    phases: collections.Counter[str] = collections.Counter()
    put_applied: collections.Counter[str] = collections.Counter()
    extra_deployments = 0
    t_start = time.monotonic()
    go = tmp_path / "go-0"
    proc = spawn(emu, app_id, state, go)
    for run in range(RUNS):
        aim = ("before", "during", "after")[run % 3]
        source = random_source(rng, run)
        wait_ready(proc, go)
        # The next child starts up (imports, client, store) while this one runs.
        next_go = tmp_path / f"go-{run + 1}"
        next_proc = spawn(emu, app_id, state, next_go) if run + 1 < RUNS else None

        emu.clear_faults()
        emu.clear_requests()
        emu.add_fault("delay", method="GET", path=f"^{app_path}$", delay=GET_DELAY, count=1)
        emu.add_fault("delay", method="PUT", path=f"^{app_path}$", delay=PUT_DELAY, count=1)
        records_before = store.state(app_id)
        deployments_before = emu.deployment_count(app_id)
        blocker: subprocess.Popen[str] | None = None
        if aim == "after":
            # Hold the database's write lock: the child's state write waits on it.
            blocker = hold_write_lock(state)

        release(go, source)
        if aim == "before":
            time.sleep(rng.uniform(0.0, GET_DELAY * 0.8))
        elif aim == "during":
            wait_for(lambda: emu.request_count("GET", app_path) >= 1, proc, "the GET")
            time.sleep(rng.uniform(0.0, PUT_DELAY * 0.7))
        else:
            wait_for(lambda: emu.request_count("PUT", app_path) >= 1, proc, "the PUT")
            time.sleep(rng.uniform(0.0, 0.03))

        # Where the kill lands, as the emulator and the state file saw it.
        gets = emu.request_count("GET", app_path)
        puts = emu.request_count("PUT", app_path)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
        if blocker is not None:
            release_write_lock(blocker)
        if proc.returncode != -signal.SIGKILL:
            assert proc.returncode == 0, err
            phase = "after the state write (run completed)"
        elif puts:
            phase = "after the PUT, before the state write"
            assert store.state(app_id) == records_before, "state written while locked"
        elif gets:
            phase = "during the PUT"
        else:
            phase = "before the PUT"
        phases[phase] += 1

        # A request the child left in flight is still held by its delay: let it land.
        time.sleep(max(GET_DELAY, PUT_DELAY) + 0.05)
        emu.clear_faults()
        deployments_killed = emu.deployment_count(app_id)
        if deployments_killed > deployments_before:
            put_applied[phase] += 1

        repaired = client.sync(
            app_id, source, key_schema=SCHEMA, state=store, lock_timeout=5.0
        )  # the killed child's lock died with it
        deployments_after = emu.deployment_count(app_id)
        assert deployments_after - deployments_killed <= 1, "the repair deployed twice"
        assert deployments_after - deployments_before <= 2, (
            f"run {run} ({phase}): {deployments_after - deployments_before} deployments"
        )
        if deployments_killed > deployments_before:
            extra_deployments += deployments_after - deployments_killed
        assert repaired.requests <= 2

        # Converged: managed keys equal the source, nothing else touched.
        after = env_map(emu, app_id)
        assert {k for k in after if k.startswith("APP_")} == {f"APP_{k}" for k in source}
        for key, value in plain(source).items():
            entry = after[f"APP_{key}"]
            if entry.get("type") == "SECRET":
                assert reveal(emu, app_id, f"APP_{key}") == value, (run, phase, key)
            else:
                assert entry["value"] == value, (run, phase, key)
        for key, entry in unmanaged.items():
            assert after[key] == entry, f"run {run} ({phase}) changed unmanaged {key}"
        assert envs_of(emu, app_id, "web") == web_before
        emu.clear_requests()
        noop = client.sync(app_id, source, key_schema=SCHEMA, state=store)
        assert noop.deployment_id is None and emu.request_count() == 1, (run, phase)

        if next_proc is None:
            break
        proc, go = next_proc, next_go

    elapsed = time.monotonic() - t_start
    print(f"\n{RUNS} SIGKILLs in {elapsed:.1f}s: {dict(phases)}; PUT applied: {dict(put_applied)}")
    print(f"extra deployments from crashes: {extra_deployments}")
    # Every phase was hit many times (the seed is fixed, the windows are wide).
    for phase in ("before the PUT", "during the PUT", "after the PUT, before the state write"):
        assert phases[phase] >= 10, dict(phases)
    assert put_applied["before the PUT"] == 0
    assert (
        put_applied["after the PUT, before the state write"]
        == phases["after the PUT, before the state write"]
    )
