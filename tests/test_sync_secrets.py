"""Canary secrets: random plaintexts pushed through plans, syncs, drift repair, failures and
removal must never show up in a repr, a string, an exception, a log record, the process's
output, or any file of the state store (database, WAL, shared memory, key, locks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import do_envsync
import pytest
from do_envsync import Client, DigitalOceanError
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec
from .test_sync import env_map, outside_update, reveal, set_env


def canary() -> str:
    return f"canary-{uuid.uuid4().hex}"


def encodings(secret: str) -> list[bytes]:
    """Forms a leaked plaintext could take in a file or a message."""
    raw = secret.encode()
    return [
        raw,
        secret.encode("utf-16-le"),
        base64.b64encode(raw),
        base64.b64encode(raw).rstrip(b"="),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
        raw.hex().encode(),
        hashlib.sha256(raw).hexdigest().encode(),  # an unkeyed hash allows offline guessing
    ]


def assert_absent(secrets: list[str], blob: bytes, where: str) -> None:
    for secret in secrets:
        for form in encodings(secret):
            assert form not in blob, f"a canary ({form[:12]!r}...) leaked into {where}"


def exception_texts(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *map(str, exc.args), *traceback.format_exception(exc)])


@pytest.fixture
def verbose_logging(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Everything at DEBUG: the root logger, the package's loggers, Rust's env filter."""
    monkeypatch.setenv("RUST_LOG", "trace")
    monkeypatch.setenv("RUST_BACKTRACE", "1")
    caplog.set_level(logging.DEBUG)
    for name in ("do_envsync", "do_envsync._native"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    yield do_envsync.Store(tmp_path / "store" / "state.db")


def state_files(store: Any) -> dict[str, bytes]:
    base = Path(store.path)
    files = [p for p in base.parent.rglob("*") if p.is_file()]
    return {str(p.relative_to(base.parent)): p.read_bytes() for p in files}


def test_canaries_never_leak_through_plans_results_errors_or_output(
    emu: Emulator,
    store: Any,
    verbose_logging: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    client = emu.client(retry_budget=2.0)
    secrets = {
        "DB_PASSWORD": canary(),
        "STRIPE_KEY": canary(),
        "PUBLIC_FLAG": {"value": canary(), "type": "GENERAL"},
        "API_KEY": canary(),  # adopts the seeded SECRET, whose plaintext is CANARY_SECRET
    }
    canaries = [CANARY_SECRET, *(v if isinstance(v, str) else v["value"] for v in secrets.values())]
    texts: list[str] = []

    def look(*objs: Any) -> None:
        for obj in objs:
            texts.extend([repr(obj), str(obj)])

    # Plan, render, apply while following the deployment.
    plan = client.plan_sync(app_id, secrets, state=store)
    texts.append(plan._repr_html_())
    look(plan, plan.changes, plan.warnings, plan.imports, *plan.changes)
    result = plan.apply(wait=True, progress=texts.append)
    look(result, result.changes, result.warnings)
    assert reveal(emu, app_id, "DB_PASSWORD") == secrets["DB_PASSWORD"]
    assert result.deployment_phase == "ACTIVE"

    # Rotation of one key, then drift typed in by a person, then repair.
    secrets["STRIPE_KEY"] = rotated = canary()
    canaries.append(rotated)
    look(client.sync(app_id, secrets, state=store))
    typed = canary()
    canaries.append(typed)
    outside_update(emu, app_id, set_env("DB_PASSWORD", typed))
    drift_plan = client.plan_sync(app_id, secrets, state=store)
    assert {(c.key, c.action, c.reason) for c in drift_plan.changes} >= {
        ("DB_PASSWORD", "update", "drift")
    }
    texts.append(drift_plan._repr_html_())
    look(drift_plan, drift_plan.apply())

    # Failures: rejected input, rejected spec, server error, dropped connection.
    c = [canary() for _ in range(6)]
    canaries.extend(c)
    bad_inputs: list[Any] = [
        {"bad key": c[0]},
        {"1STARTS_WITH_DIGIT": c[1]},
        {"K": {"value": c[2], "type": "BOGUS"}},
        {"K": {"value": c[3], "scope": "SOMETIMES"}},
        {"K": {"value": c[4], "extra": c[5]}},
    ]
    for bad in bad_inputs:
        with pytest.raises((ValueError, TypeError)) as info:
            client.sync(app_id, bad, state=store)
        texts.append(exception_texts(info.value))
    forged = f"EV[1:{canary()}]"  # ciphertext the platform never issued: rejected by the API
    canaries.append(forged.removeprefix("EV[1:").removesuffix("]"))
    with pytest.raises((DigitalOceanError, ValueError)) as rejected:
        client.sync(app_id, {**secrets, "FORGED": forged}, state=store)
    texts.append(exception_texts(rejected.value))
    once = emu.client(max_attempts=1)
    for kind, status in (("status", 500), ("status", 422), ("reset", None)):
        failing = {**secrets, "STRIPE_KEY": canary()}
        canaries.append(failing["STRIPE_KEY"])
        emu.add_fault(kind, method="PUT", path=f"^/v2/apps/{app_id}$", status=status, count=1)
        with pytest.raises(DigitalOceanError) as failed:
            once.sync(app_id, failing, state=store)
        texts.append(exception_texts(failed.value))

    # Removal, and the store's own views.
    look(client.remove_synced(app_id, state=store))
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET
    look(store, store.apps())
    texts.append(json.dumps(store.state(app_id)))

    out, err = capfd.readouterr()
    logged = [verbose_logging.text] + [r.getMessage() for r in verbose_logging.records]
    blob = "\n".join([*texts, out, err, *logged]).encode()
    assert "DB_PASSWORD" in blob.decode()  # the texts are real, not empty
    assert_absent(canaries, blob, "reprs, errors, logs or output")
    assert_absent(canaries, b"".join(state_files(store).values()), "the state files")


def test_state_files_hold_keyed_fingerprints_and_ciphertexts_only(
    client: Client, emu: Emulator, store: Any
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    secrets = {f"SECRET_{i}": canary() for i in range(5)}
    secrets["API_KEY"] = canary()
    client.sync(app_id, secrets, state=store)
    secrets["SECRET_0"] = canary()
    client.sync(app_id, secrets, state=store)  # one more write: older pages in the WAL
    canaries = [CANARY_SECRET, *secrets.values()]

    files = state_files(store)
    db = Path(store.path).name
    assert db in files and f"{db}.key" in files  # looking at the right place
    for name, content in files.items():
        assert_absent(canaries, content, name)

    # Fingerprints are HMAC-SHA256 under the local key (not a bare hash), and the
    # recorded ciphertexts are the ones the app holds.
    key = bytes.fromhex(files[f"{db}.key"].decode().strip())
    assert len(key) == 32
    envs = env_map(emu, app_id)
    records = {r["key"]: r for r in store.state(app_id)}
    for name, value in secrets.items():
        rec = records[name]
        expected = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
        assert rec["fingerprint"] == expected
        assert rec["fingerprint"] != hashlib.sha256(value.encode()).hexdigest()
        assert rec["ev"] == envs[name]["value"]
    # The adopted key remembers its original entry as ciphertext, never as plaintext.
    assert records["API_KEY"]["origin"] == "adopted"
    assert CANARY_SECRET not in json.dumps(store.state(app_id))
