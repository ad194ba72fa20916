from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from do_envsync import Client
from do_envsync.testing import Emulator

from .pg import PgCluster

CANARY_SECRET = "canary-secret-7f3a9c1e5b"

# ---------------------------------------------------------------------------
# Suite-wide canary check: no secret value or token used by a test may show up in what
# the test printed or logged (stdout, stderr, log records, Rust's tracing on fd 2), nor
# in any state database, WAL, key or lock file the suite created.
# ---------------------------------------------------------------------------

CANARY_LITERALS: set[str] = {CANARY_SECRET}
"""Exact strings that must never leak; fixtures add the tokens they make (`emulator`)."""

CANARY_PATTERNS = [
    # Per-test random canaries (`canary-<uuid4 hex>`, test_sync_secrets.py).
    re.compile(r"canary-[0-9a-f]{32}"),
    # DigitalOcean-shaped tokens: the emulators' (dop_v1_ + 64 hex) and the tests' own.
    re.compile(r"dop_v1_[0-9a-f]{32,}"),
]

# Files of the state store: database, its WAL and shared memory, the fingerprint key,
# lock files. Other files under the tmp dirs (sources a test wrote on purpose) may
# legitimately hold a canary.
STATE_FILE = re.compile(r"(\.db|\.db-wal|\.db-shm|\.db-journal|\.key|\.lock)$")


def find_canaries(text: str) -> list[str]:
    """The canaries in `text`, shortened so that the report itself does not leak them."""
    found = [c for c in CANARY_LITERALS if c and c in text]
    found += [m.group(0) for p in CANARY_PATTERNS for m in p.finditer(text)]
    return sorted({f"{c[:10]}...({len(c)} chars)" for c in found})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    # Sections accumulate over setup, call and teardown: the teardown report has them all.
    if report.when == "teardown" and report.passed:
        leaks = [
            f"{title}: {', '.join(found)}"
            for title, content in report.sections
            if title.startswith("Captured") and (found := find_canaries(content))
        ]
        if leaks:
            report.outcome = "failed"
            report.longrepr = "a canary secret or token leaked into the output:\n" + "\n".join(
                leaks
            )
    return report


@pytest.fixture(scope="session", autouse=True)
def _no_canary_in_state_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the session: every state file under the tmp dirs is free of canaries."""
    yield
    leaks = []
    for root, _dirs, files in os.walk(tmp_path_factory.getbasetemp()):
        for name in files:
            if not STATE_FILE.search(name):
                continue
            path = Path(root, name)
            try:
                blob = path.read_bytes()
            except OSError:
                continue  # removed meanwhile, or a socket
            found = find_canaries(blob.decode("latin-1"))
            if found:
                leaks.append(f"{path}: {', '.join(found)}")
    assert not leaks, "canaries leaked into state files:\n" + "\n".join(leaks)


def make_spec(name: str = "shop", **extra: Any) -> dict[str, Any]:
    """A realistic spec with app-level and component envs and fields no model knows."""
    spec: dict[str, Any] = {
        "name": name,
        "region": "nyc",
        "envs": [
            {"key": "LOG_LEVEL", "value": "info", "scope": "RUN_TIME", "type": "GENERAL"},
            {
                "key": "API_KEY",
                "value": CANARY_SECRET,
                "scope": "RUN_AND_BUILD_TIME",
                "type": "SECRET",
            },
        ],
        "services": [
            {
                "name": "web",
                "github": {"repo": "acme/shop", "branch": "main", "deploy_on_push": True},
                "run_command": "gunicorn app:app",
                "instance_count": 2,
                "instance_size_slug": "apps-s-1vcpu-1gb",
                "http_port": 8080,
                "envs": [
                    {"key": "DATABASE_URL", "value": "${db.DATABASE_URL}", "scope": "RUN_TIME"},
                ],
                "future_field": {"nested": [1, 2.5, None, "x"]},
            }
        ],
        "workers": [{"name": "queue", "image": {"registry_type": "DOCR", "repository": "q"}}],
        "databases": [{"name": "db", "engine": "PG", "production": False}],
        "features": ["buildpack-stack=ubuntu-22"],
        "maintenance": {"enabled": False},
        "disable_edge_cache": True,
    }
    spec.update(copy.deepcopy(extra))
    return spec


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own state store: nothing is written under the user's data dir."""
    path = tmp_path / "state" / "state.db"
    monkeypatch.setenv("DO_ENVSYNC_STATE", str(path))
    return path


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(phase_duration=0.02) as emu:
        CANARY_LITERALS.add(emu.token)
        yield emu


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.reset()
    return emulator


@pytest.fixture
def client(emu: Emulator) -> Client:
    return emu.client(retry_budget=5.0)


# --- A real PostgreSQL for the shared-state tests (tests/pg.py) ---------------------------
# A master key for tests that use PostgreSQL state (it must come from the environment there).
PG_MASTER_KEY = "ab" * 32


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One throwaway server for the session (or `$DO_ENVSYNC_TEST_DATABASE_URL`)."""
    cluster = PgCluster.from_env_or_start()
    # The server's password must never show in output (a store's location hides it).
    CANARY_LITERALS.add(cluster.password)
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database's URL, with `DO_ENVSYNC_MASTER_KEY` set for this test."""
    monkeypatch.setenv("DO_ENVSYNC_MASTER_KEY", PG_MASTER_KEY)
    return pg_cluster.fresh_database()
