from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from do_envsync import Client
from do_envsync.testing import Emulator

CANARY_SECRET = "canary-secret-7f3a9c1e5b"


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
        yield emu


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.reset()
    return emulator


@pytest.fixture
def client(emu: Emulator) -> Client:
    return emu.client(retry_budget=5.0)
