"""The examples run as a new user would run them (on the built-in emulator) and do what they
say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str) -> str:
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_stored_syncs_example() -> None:
    out = run("stored_syncs.py")
    assert "created 2, updated 0, deleted 0" in out
    assert "sync succeeded: no changes" in out
    assert "APP_DB_PASSWORD  update     value_changed" in out
    assert "remove succeeded: created 0, updated 0, deleted 2" in out
    for value in ("example-password", "rotated-password"):
        assert value not in out


def test_sync_secrets_example() -> None:
    out = run("sync_secrets.py")
    assert "re-run: no changes; no deployment (1 request)" in out
    assert "example-password" not in out


def test_list_apps_example() -> None:
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / "list_apps.py"), "--emulator"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
