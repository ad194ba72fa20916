"""Soak: `do-envsync watch` keeps several apps in sync while their `.env` files change at random
and the API fails at random (5xx, 429, resets, slow responses, a PUT applied but its response
lost). At the end every app equals its source and the run history accounts for every change.

Bounded: `DO_ENVSYNC_SOAK_SECONDS` (default 45) sets how long edits and faults go on; set it
to e.g. 1800 for a long run by hand.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from do_envsync.testing import Emulator

from .conftest import make_spec

EXE = [sys.executable, "-m", "do_envsync.cli"]
SOAK_SECONDS = float(os.environ.get("DO_ENVSYNC_SOAK_SECONDS", "45"))
APPS = 3
KEYS = [f"K{i}" for i in range(8)]

FAULTS: list[dict[str, Any]] = [
    {"kind": "status", "status": 503, "method": "PUT"},
    {"kind": "status", "status": 500, "method": "GET"},
    {"kind": "status", "status": 502},
    {"kind": "status", "status": 429, "retry_after": 1},
    {"kind": "reset", "method": "GET"},
    {"kind": "reset", "method": "PUT"},
    {"kind": "delay", "delay": 0.4},
    {"kind": "apply_then_reset", "method": "PUT"},
]


def _dotenv(values: dict[str, str]) -> str:
    return "".join(f'{k}="{v}"\n' for k, v in values.items())


def _managed(emu: Emulator, app_id: str, prefix: str) -> dict[str, str]:
    app = next(a for a in emu.apps() if a["id"] == app_id)
    out = {}
    for e in app["spec"].get("envs", []):
        key = e["key"]
        if key.startswith(prefix):
            value = str(e.get("value", ""))
            out[key[len(prefix) :]] = emu.reveal_secret(value) if value.startswith("EV[") else value
    return out


def _cli(env: dict[str, str], cwd: Path, *args: str) -> Any:
    r = subprocess.run(
        [*EXE, *args, "--json"], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_watch_soak(emu: Emulator, tmp_path: Path) -> None:
    rng = random.Random(20261123)
    env = {**os.environ, "EMU_TOKEN": emu.token}
    _cli(env, tmp_path, "connections", "create", "emu", "--base-url", emu.base_url,
         "--token-env", "EMU_TOKEN")  # fmt: skip
    apps: list[dict[str, Any]] = []
    for i in range(APPS):
        app = emu.seed_app(make_spec(f"soak-{i}"))
        values = {k: f"v0-{i}-{k}" for k in rng.sample(KEYS, 4)}
        path = tmp_path / f"app{i}.env"
        path.write_text(_dotenv(values))
        _cli(env, tmp_path, "syncs", "create", f"s{i}", "--connection", "emu", "--app",
             app["id"], "--env-file", str(path), "--key-schema", "S_{{secretKey}}")  # fmt: skip
        apps.append({"app": app, "path": path, "values": values, "ever": set(values)})

    watch = subprocess.Popen(
        [*EXE, "watch", "--json", "--debounce", "0.1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    edits = faults = 0
    try:
        deadline = time.monotonic() + SOAK_SECONDS
        while time.monotonic() < deadline:
            target = rng.choice(apps)
            values = dict(target["values"])
            op = rng.random()
            if op < 0.5 or not values:
                key = rng.choice(KEYS)
                values[key] = f"v{edits}-{rng.randrange(1 << 30)}"
            elif op < 0.8 or len(values) == 1:
                # (never the last key: an empty source is refused, see test_control)
                values[rng.choice(sorted(values))] = f"v{edits}-changed"
            else:
                del values[rng.choice(sorted(values))]
            target["values"] = values
            target["ever"] |= set(values)
            # Written to a temporary file and renamed in, as editors do: never half a file.
            tmp = target["path"].with_suffix(".tmp")
            tmp.write_text(_dotenv(values))
            tmp.replace(target["path"])
            edits += 1
            if rng.random() < 0.4:
                fault = dict(rng.choice(FAULTS))
                kind = fault.pop("kind")
                emu.add_fault(kind, count=1, **fault)
                faults += 1
            time.sleep(rng.uniform(0.05, 0.6))
        emu.clear_faults()

        # Quiescence: every app converges on its source.
        settle = time.monotonic() + 60
        while time.monotonic() < settle:
            if all(_managed(emu, a["app"]["id"], "S_") == a["values"] for a in apps):
                break
            time.sleep(0.2)
    finally:
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err
    for a in apps:
        assert _managed(emu, a["app"]["id"], "S_") == a["values"], (a["path"].name, err[-2000:])
        # Unmanaged entries survived every run.
        current = next(x for x in emu.apps() if x["id"] == a["app"]["id"])
        keys = {e["key"] for e in current["spec"]["envs"]}
        assert {"LOG_LEVEL", "API_KEY"} <= keys
        assert current["spec"]["services"][0]["envs"][0]["value"] == "${db.DATABASE_URL}"

    # The run history accounts for every change: each managed key that exists was created or
    # updated by a recorded run, each key that went away was deleted by one, and every
    # deployment of the app was started by a recorded successful run.
    for i, a in enumerate(apps):
        runs = _cli(env, tmp_path, "syncs", "history", f"s{i}")
        ok = [r for r in runs if r["status"] == "succeeded"]
        written = {k for r in ok for k in r["created"] + r["updated"]}
        deleted = {k for r in ok for k in r["deleted"]}
        assert {f"S_{k}" for k in a["values"]} <= written
        assert {f"S_{k}" for k in a["ever"] - set(a["values"])} <= deleted
        recorded = {r["deploymentId"] for r in ok if r["deploymentId"]}
        # +1: seeding created the first deployment. A PUT whose response was lost is read back
        # and recorded by the run that made it, so no deployment goes unaccounted for.
        assert emu.deployment_count(a["app"]["id"]) == len(recorded) + 1
    assert edits > 10 and faults > 2
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert "report" in events[-1]
