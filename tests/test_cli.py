"""The command line, through a real subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec

EXE = [sys.executable, "-m", "do_envsync.cli"]


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*EXE, *args], capture_output=True, text=True, env=full_env, input=stdin, timeout=60
    )


def test_demo() -> None:
    r = run("demo")
    assert r.returncode == 0, r.stderr
    assert "Created app demo-shop" in r.stdout
    assert "name: demo-shop" in r.stdout
    assert "EV[1:" in r.stdout  # the SECRET is shown only as DigitalOcean's ciphertext
    assert "sk_demo_not_a_real_key" not in r.stdout
    # The sync part: first sync, a no-op, one change, drift repaired.
    assert "requests: 2, new deployments: 1" in r.stdout
    assert "no changes; no deployment; requests: 1, new deployments: 0" in r.stdout
    assert "APP_DB_PASSWORD  update     drift" in r.stdout
    assert "Managed keys equal the source: True" in r.stdout
    for value in ("demo-password-1", "demo-token-1", "demo-token-2", "changed-in-the-control"):
        assert value not in r.stdout + r.stderr


def test_apps_commands(emu: Emulator) -> None:
    app = emu.seed_app(make_spec("cli-app"))
    env = {"DIGITALOCEAN_TOKEN": emu.token, "DO_ENVSYNC_BASE_URL": emu.base_url}
    r = run("apps", "list", "--json", env=env)
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    assert [a["id"] for a in listed] == [app["id"]]
    r = run("apps", "list", env=env)
    assert r.returncode == 0 and "cli-app" in r.stdout
    r = run("apps", "get", "cli-app", "--json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == app["id"]
    r = run("apps", "spec", app["id"], env=env)
    assert r.returncode == 0 and "name: cli-app" in r.stdout
    r = run("apps", "spec", "cli-app", "--format", "json", env=env)
    assert json.loads(r.stdout)["name"] == "cli-app"
    for out in (r.stdout, r.stderr):
        assert emu.token not in out and CANARY_SECRET not in out


def test_token_from_stdin_and_errors(emu: Emulator) -> None:
    env = {
        "DIGITALOCEAN_TOKEN": "",
        "DIGITALOCEAN_ACCESS_TOKEN": "",
        "DO_ENVSYNC_BASE_URL": emu.base_url,
    }
    r = run("apps", "list", "--token-stdin", env=env, stdin=emu.token + "\n")
    assert r.returncode == 0, r.stderr
    r = run("apps", "get", "nope", env={**env, "DIGITALOCEAN_TOKEN": "dop_v1_canarytoken"})
    assert r.returncode == 1
    assert r.stderr.startswith("do-envsync: error:") and r.stderr.count("\n") == 1
    assert "dop_v1_canarytoken" not in r.stderr


def test_standalone_emulator(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*EXE, "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DO_ENVSYNC_EMULATOR_TOKEN": "", "DIGITALOCEAN_TOKEN": ""},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert m, first
        second = proc.stdout.readline()
        token_file = re.search(r"written to (\S+)", second)
        assert token_file, second
        path = Path(token_file.group(1))
        assert path.stat().st_mode & 0o777 == 0o600
        token = path.read_text().strip()
        from do_envsync import Client

        client = Client(token, base_url=m.group(0))
        assert client.account.get().status == "active"
        assert token not in first + second
    finally:
        proc.send_signal(signal.SIGTERM)
        # Stops on SIGTERM: a process that ignored it would run into this timeout.
        proc.wait(timeout=30)
    assert proc.returncode == 0
