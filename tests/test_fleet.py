"""Fleet sync against the emulator: request counts, deployments, names, per-app failures,
pacing under a tight burst limit, progress and the async twin."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from do_envsync import AsyncClient, Client, NotFoundError, ServerError, Store
from do_envsync.sync import FleetResult, text_progress
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET


def seed(emu: Emulator, count: int, prefix: str = "fleet") -> list[dict[str, Any]]:
    return [
        emu.seed_app(
            {
                "name": f"{prefix}-{i:04d}",
                "region": "nyc",
                "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
                "services": [
                    {"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}
                ],
            }
        )
        for i in range(count)
    ]


def secrets(version: str) -> dict[str, str]:
    return {"API_KEY": f"{CANARY_SECRET}-{version}", "DB_PASSWORD": f"pw-{version}"}


def deployments(emu: Emulator, apps: list[dict[str, Any]]) -> int:
    return sum(emu.deployment_count(a["id"]) for a in apps)


def statuses(emu: Emulator) -> list[int]:
    return [r.status for r in emu.requests()]


def test_noop_after_first_fleet_sync_is_one_list_request(emu: Emulator, client: Client) -> None:
    apps = seed(emu, 50)
    before = deployments(emu, apps)
    first = client.sync_fleet({a["id"]: secrets("1") for a in apps})
    assert first.ok, str(first)
    assert first.list_requests == 1
    assert first.deployments == 50
    assert first.requests == 51 == len(emu.requests())
    assert deployments(emu, apps) == before + 50

    emu.clear_requests()
    noop = client.sync_fleet({a["id"]: secrets("1") for a in apps})
    assert noop.ok
    assert noop.requests == 1
    assert [(r.method, r.path) for r in emu.requests()] == [("GET", "/v2/apps")]
    assert noop.deployments == 0
    assert deployments(emu, apps) == before + 50
    assert all(r.deployment_id is None and r.requests == 0 for r in noop.results.values())
    assert all(r.unchanged == ["API_KEY", "DB_PASSWORD"] for r in noop.results.values())
    assert "50 apps: 0 changed, 50 unchanged, 0 failed; 1 requests" in str(noop)


def test_ten_percent_changed_puts_exactly_those(emu: Emulator, client: Client) -> None:
    apps = seed(emu, 50)
    client.sync_fleet({a["id"]: secrets("1") for a in apps})
    before = deployments(emu, apps)
    changed = {a["id"] for a in apps[::10]}
    emu.clear_requests()
    result = client.sync_fleet({a["id"]: secrets("2" if a["id"] in changed else "1") for a in apps})
    assert result.ok
    assert result.requests == 1 + 5
    puts = [r.path for r in emu.requests() if r.method == "PUT"]
    assert sorted(puts) == sorted(f"/v2/apps/{i}" for i in changed)
    assert result.deployments == 5 == deployments(emu, apps) - before
    assert {k for k, r in result.results.items() if r.updated} == changed
    # The new value reached exactly the changed apps.
    for app in emu.apps():
        ev = next(e["value"] for e in app["spec"]["envs"] if e["key"] == "API_KEY")
        version = "2" if app["id"] in changed else "1"
        assert emu.reveal_secret(ev) == f"{CANARY_SECRET}-{version}"
    # Results are keyed and ordered as given.
    assert list(result.results) == [a["id"] for a in apps]


@pytest.fixture
def roomy() -> Iterator[Emulator]:
    """An emulator with the burst limit lifted, for fleets larger than one minute's budget."""
    with Emulator(burst_limit=100_000, hourly_limit=1_000_000, phase_duration=0.02) as emu:
        yield emu


def test_250_apps_noop_is_two_list_pages(roomy: Emulator) -> None:
    apps = seed(roomy, 250)
    client = roomy.client(pacing=False)
    first = client.sync_fleet({a["id"]: secrets("1") for a in apps}, concurrency=16)
    assert first.ok
    assert (first.list_requests, first.deployments) == (2, 250)
    roomy.clear_requests()
    noop = client.sync_fleet({a["id"]: secrets("1") for a in apps})
    assert (noop.requests, noop.deployments) == (2, 0)
    assert roomy.requests()[0].query == "per_page=200"
    assert len(roomy.requests()) == 2


def test_names_resolve_unknown_and_failed_apps_fail_alone(emu: Emulator, client: Client) -> None:
    apps = seed(emu, 6)
    broken = apps[1]["id"]
    # Enough 500s to exhaust every retry of that app's PUT.
    emu.add_fault("status", status=500, method="PUT", path=f"^/v2/apps/{broken}$", count=50)
    fleet = {
        apps[0]["spec"]["name"]: secrets("1"),
        broken: secrets("1"),
        "no-such-app": secrets("1"),
        apps[2]["spec"]["name"]: secrets("1"),
        apps[3]["id"]: secrets("1"),
    }
    result = client.sync_fleet(fleet)
    assert set(result.results) == {apps[0]["spec"]["name"], apps[2]["spec"]["name"], apps[3]["id"]}
    assert result.results[apps[0]["spec"]["name"]].app_id == apps[0]["id"]
    assert isinstance(result.errors["no-such-app"], NotFoundError)
    server_error = result.errors[broken]
    assert isinstance(server_error, ServerError)
    assert server_error.status == 500
    assert result.deployments == 3
    puts = {r.path for r in emu.requests() if r.method == "PUT" and r.status == 200}
    assert puts == {f"/v2/apps/{apps[i]['id']}" for i in (0, 2, 3)}
    text = str(result)
    assert "1 failed" not in text and "2 failed" in text
    assert "no-such-app: NotFoundError" in text
    assert CANARY_SECRET not in text


def test_bad_input_fails_its_app_and_bad_options_fail_the_call(
    emu: Emulator, client: Client
) -> None:
    apps = seed(emu, 2)
    result = client.sync_fleet({apps[0]["id"]: {"not a key!": "x"}, apps[1]["id"]: secrets("1")})
    assert isinstance(result.errors[apps[0]["id"]], ValueError)
    assert result.results[apps[1]["id"]].deployment_id is not None
    emu.clear_requests()
    with pytest.raises(ValueError):
        client.sync_fleet({apps[1]["id"]: secrets("1")}, var_type="NOPE")
    with pytest.raises(ValueError):
        client.sync_fleet({apps[1]["id"]: secrets("1")}, concurrency=0)
    assert emu.requests() == []


def test_progress_reports_every_app(emu: Emulator, client: Client) -> None:
    apps = seed(emu, 7)
    calls: list[tuple[int, int]] = []
    fleet = {a["id"]: secrets("1") for a in apps} | {"missing-app": secrets("1")}
    client.sync_fleet(fleet, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 8) for i in range(1, 9)]
    out = io.StringIO()
    bar = text_progress(out, width=10)
    bar(4, 8)
    bar(8, 8)
    assert out.getvalue() == "\r[#####.....] 4/8 apps\r[##########] 8/8 apps\n"


def test_state_store_is_shared_with_single_syncs(
    emu: Emulator, client: Client, tmp_path: Path
) -> None:
    apps = seed(emu, 3)
    store = Store(str(tmp_path / "fleet.db"))
    client.sync_fleet({a["id"]: secrets("1") for a in apps}, state=store)
    assert sorted(store.apps()) == sorted(a["id"] for a in apps)
    emu.clear_requests()
    # A single sync after the fleet sees the fleet's state: nothing to change.
    single = client.sync(apps[0]["id"], secrets("1"), state=store)
    assert single.deployment_id is None and single.requests == 1


def test_pacing_keeps_a_burst_clear_of_429() -> None:
    # 59 changed apps = 60 requests against 30 per minute (two windows' worth): the client
    # must wait for the window rather than meet a 429 (a little over a minute by design). The
    # headers only reveal the burst budget once it is spent, so with PUTs in flight the
    # client must know the limit (DigitalOcean's 250 is the default).
    with Emulator(burst_limit=30, phase_duration=0.02) as emu:
        apps = seed(emu, 59)
        client = emu.client(burst_limit=30)
        result = client.sync_fleet({a["id"]: secrets("1") for a in apps})
        assert result.ok, str(result)
        assert result.deployments == 59
        seen = statuses(emu)
        assert 429 not in seen
        assert len(seen) == 60


def test_an_app_rate_limited_past_client_retries_is_tried_again(
    emu: Emulator, client: Client
) -> None:
    apps = seed(emu, 3)
    target = apps[1]["id"]
    # Five 429s exhaust the client's five attempts; the fleet sends the PUT once more.
    emu.add_fault(
        "status", status=429, retry_after=0, method="PUT", path=f"^/v2/apps/{target}$", count=5
    )
    result = client.sync_fleet({a["id"]: secrets("1") for a in apps})
    assert result.ok, str(result)
    assert result.deployments == 3
    put_statuses = [r.status for r in emu.requests() if r.path == f"/v2/apps/{target}"]
    assert put_statuses == [429] * 5 + [200]


async def test_async_fleet(emu: Emulator) -> None:
    apps = seed(emu, 10)
    client: AsyncClient = emu.async_client()
    calls: list[int] = []
    first = await client.sync_fleet(
        {a["spec"]["name"]: secrets("1") for a in apps},
        concurrency=4,
        progress=lambda done, total: calls.append(done),
    )
    assert isinstance(first, FleetResult)
    assert first.ok and first.deployments == 10 and first.requests == 11
    assert sorted(calls) == list(range(1, 11))
    emu.clear_requests()
    noop = await client.sync_fleet({a["spec"]["name"]: secrets("1") for a in apps})
    assert (noop.requests, noop.deployments) == (1, 0)
    missing = await client.sync_fleet({"nope": secrets("1")})
    assert isinstance(missing.errors["nope"], NotFoundError)


def test_plan_offline_plans_without_io(tmp_path: Path) -> None:
    # The native pure-plan entry the benchmarks time: no request, counts by action.
    from do_envsync import _native

    spec = {
        "name": "offline",
        "services": [
            {"name": f"svc-{i}", "envs": [{"key": f"K{j}", "value": f"v{j}"} for j in range(5)]}
            for i in range(3)
        ],
    }
    same: list[tuple[str, str, str | None, str | None]] = [
        (f"K{j}", f"v{j}", "GENERAL", None) for j in range(5)
    ]
    changed = [(k, v + "-new" if k == "K0" else v, t, s) for k, v, t, s in same]
    components = ["svc-0", "svc-1", "svc-2"]
    create, update, delete, unchanged, seconds, build_seconds = _native.plan_offline(
        json.dumps(spec), [*changed, ("NEW", "x", None, None)], components=components
    )
    assert (create, update, delete) == (3, 3, 0)
    assert unchanged == 12
    assert 0 <= seconds < 5 and 0 <= build_seconds < 5
    store = Store(str(tmp_path / "offline.db"))
    counts = _native.plan_offline(json.dumps(spec), same, store, "app-1", components=components)
    assert counts[:4] == (0, 0, 0, 15)
    with pytest.raises(ValueError):
        _native.plan_offline("{not json", same)
    with pytest.raises(ValueError):
        _native.plan_offline(json.dumps(spec), same, components=["nope"])
