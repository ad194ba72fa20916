"""Static checks that are part of the test suite: types, stubs, lint, generated code in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy_strict() -> None:
    r = run(sys.executable, "-m", "mypy", "--strict", "python/", "examples/")
    assert r.returncode == 0, r.stdout + r.stderr


def test_stubtest() -> None:
    r = run(sys.executable, "-m", "mypy.stubtest", "do_envsync._native")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff() -> None:
    r = run(sys.executable, "-m", "ruff", "check", "python/", "tests/", "examples/", "tools/")
    assert r.returncode == 0, r.stdout + r.stderr


def test_generated_operations_are_current() -> None:
    r = run(sys.executable, "tools/gen_operations.py", "--check")
    assert r.returncode == 0, r.stdout + r.stderr


def test_generated_models_are_current() -> None:
    r = run(sys.executable, "tools/gen_models.py", "--check")
    assert r.returncode == 0, r.stdout + r.stderr
