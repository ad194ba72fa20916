"""Every operation of the bundle (38 App Platform + account) called once against the emulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from do_envsync import Client, NotFoundError, _native, models
from do_envsync.testing import Emulator

from .conftest import make_spec


def _wait_active(client: Client, app_id: str, deployment_id: str) -> models.AppsDeployment:
    deadline = time.monotonic() + 30
    while True:
        dep = client.apps.get_deployment(app_id, deployment_id)
        if dep.phase in ("ACTIVE", "ERROR", "CANCELED"):
            return dep
        assert time.monotonic() < deadline, f"deployment still {dep.phase}"
        time.sleep(0.02)


def test_every_operation_is_callable(client: Client, emu: Emulator) -> None:
    spec = make_spec(
        "ops",
        jobs=[{"name": "migrate", "kind": "PRE_DEPLOY", "run_command": "x"}],
        alerts=[{"rule": "DEPLOYMENT_FAILED"}],
    )
    app = client.apps.create(spec)
    assert app.id
    app_id: str = app.id
    dep_list = list(client.apps.list_deployments(app_id))
    assert len(dep_list) == 1
    dep_id = dep_list[0].id
    assert dep_id
    _wait_active(client, app_id, dep_id)

    calls: dict[str, Callable[[], Any]] = {
        "account_get": lambda: client.account.get(),
        "list": lambda: list(client.apps.list()),
        "create": lambda: client.apps.create(make_spec("second")),
        "get": lambda: client.apps.get(app_id),
        "update": lambda: client.apps.update(app_id, client.apps.get(app_id).spec),
        "restart": lambda: client.apps.restart(app_id, components=["web"]),
        "get_logs_active_deployment": lambda: client.apps.get_logs_active_deployment(app_id, "web"),
        "get_exec_active_deployment": lambda: client.apps.get_exec_active_deployment(app_id, "web"),
        "get_instances": lambda: client.apps.get_instances(app_id),
        "list_deployments": lambda: list(client.apps.list_deployments(app_id)),
        "create_deployment": lambda: client.apps.create_deployment(app_id, force_build=True),
        "get_deployment": lambda: client.apps.get_deployment(app_id, dep_id),
        "get_logs": lambda: client.apps.get_logs(app_id, dep_id, "web"),
        "get_logs_aggregate": lambda: client.apps.get_logs_aggregate(app_id, dep_id),
        "get_exec": lambda: client.apps.get_exec(app_id, dep_id, "web"),
        "get_logs_active_deployment_aggregate": lambda: (
            client.apps.get_logs_active_deployment_aggregate(app_id)
        ),
        "list_job_invocations": lambda: list(client.apps.list_job_invocations(app_id)),
        "list_events": lambda: list(client.apps.list_events(app_id)),
        "list_instance_sizes": lambda: client.apps.list_instance_sizes(),
        "get_instance_size": lambda: client.apps.get_instance_size("apps-s-1vcpu-1gb"),
        "list_regions": lambda: client.apps.list_regions(),
        "validate_app_spec": lambda: client.apps.validate_app_spec(make_spec("proposed")),
        "list_alerts": lambda: client.apps.list_alerts(app_id),
        "validate_rollback": lambda: client.apps.validate_rollback(app_id, deployment_id=dep_id),
        # A rollback pins the app until it is reverted or committed.
        "create_rollback": lambda: client.apps.create_rollback(app_id, deployment_id=dep_id),
        "revert_rollback": lambda: client.apps.revert_rollback(app_id),
        "commit_rollback": lambda: (
            client.apps.create_rollback(app_id, deployment_id=dep_id),
            client.apps.commit_rollback(app_id),
        ),
        "get_metrics_bandwidth_daily": lambda: client.apps.get_metrics_bandwidth_daily(app_id),
        "list_metrics_bandwidth_daily": lambda: client.apps.list_metrics_bandwidth_daily(
            app_ids=[app_id]
        ),
        "get_health": lambda: client.apps.get_health(app_id),
    }
    results: dict[str, Any] = {}
    for name, fn in calls.items():
        results[name] = fn()

    # Operations that need ids produced by the ones above. Listed again: a newer deployment
    # supersedes one in flight, and a superseded deployment's job invocations have ended.
    assert results["list_job_invocations"], "a job app lists its invocations"
    invocations = list(client.apps.list_job_invocations(app_id))
    if invocations:
        inv_id = invocations[0].id
        results["get_job_invocation"] = client.apps.get_job_invocation(app_id, inv_id)
        results["get_job_invocation_logs"] = client.apps.get_job_invocation_logs(
            app_id, "migrate", inv_id
        )
        results["cancel_job_invocation"] = client.apps.cancel_job_invocation(app_id, inv_id)
    assert results["list_events"], "every deployment is an event"
    events = list(client.apps.list_events(app_id))
    ev_id = events[0].id
    results["get_event"] = client.apps.get_event(app_id, ev_id)
    results["get_event_logs"] = client.apps.get_event_logs(app_id, ev_id)
    results["cancel_event"] = client.apps.cancel_event(app_id, ev_id)
    new_dep = client.apps.create_deployment(app_id)
    assert new_dep.id
    results["cancel_deployment"] = client.apps.cancel_deployment(app_id, new_dep.id)
    alerts = results["list_alerts"]
    if alerts:
        results["assign_alert_destinations"] = client.apps.assign_alert_destinations(
            app_id, alerts[0].id, emails=["ops@example.com"]
        )
    second = results["create"]
    results["delete"] = client.apps.delete(second.id)

    for name in ("get_job_invocation", "get_job_invocation_logs", "cancel_job_invocation"):
        assert name in results, f"{name}: the emulator listed no job invocation for a job app"
    assert "assign_alert_destinations" in results, "the emulator listed no alert"

    all_ops = {op[0] for op in _native.operations()}
    assert len(all_ops) == 39
    assert set(results) == all_ops

    # Spot checks of shapes and types.
    assert isinstance(results["account_get"], models.Account)
    assert results["account_get"].status == "active"
    assert isinstance(results["get"], models.App) and results["get"].id == app_id
    assert isinstance(results["get_deployment"], models.AppsDeployment)
    assert results["cancel_deployment"].phase == "CANCELED"
    assert isinstance(results["list_regions"], list) and results["list_regions"]
    assert results["delete"].id == second.id
    with pytest.raises(NotFoundError):
        client.apps.get(second.id)
    assert results["validate_app_spec"].app_name_available is True
    assert client.apps.propose == client.apps.validate_app_spec or (
        client.apps.propose.__func__ is client.apps.validate_app_spec.__func__  # type: ignore[attr-defined]
    )


def test_propose_changes_nothing(client: Client, emu: Emulator) -> None:
    before = emu.apps_json()
    client.apps.propose(make_spec("dry-run"))
    assert emu.apps_json() == before


def test_legacy_instance_sizes_from_the_python_client(client: Client, emu: Emulator) -> None:
    size = client.apps.get_instance_size("basic-xxs")
    assert (size.slug, size.tier_slug, size.usd_per_month) == ("basic-xxs", "basic", "5.00")
    assert size.deprecation_intent is True
    listed = client.apps.list_instance_sizes().instance_sizes or []
    assert {"basic-xxs", "professional-1l", "professional-xl"} <= {s.slug for s in listed}
    # A spec with a legacy size validates and is priced: 2 x 12 USD (professional-xs) for
    # the service, 5 USD for the worker (default size); 2 x 10 USD (basic-xs) + 5 a tier down.
    spec = make_spec("legacy")
    spec["services"][0]["instance_size_slug"] = "professional-xs"
    proposed = client.apps.propose(spec)
    assert proposed.app_cost == 2 * 12 + 5
    assert proposed.to_dict()["app_tier_downgrade_cost"] == 2 * 10 + 5
    app = client.apps.create(spec)
    assert app.to_dict()["tier_slug"] == "professional"


def test_raw_request_shares_auth_and_decoding(client: Client) -> None:
    account = client.request("GET", "/v2/account")
    assert account["account"]["status"] == "active"
    with pytest.raises(NotFoundError) as info:
        client.request("GET", "/v2/apps/00000000-0000-0000-0000-000000000000")
    assert info.value.status == 404 and info.value.error_id == "not_found"
    created = client.request("POST", "/v2/apps", json={"spec": make_spec("raw")})
    assert created["app"]["spec"]["name"] == "raw"
    listed = client.request("GET", "/v2/apps", params={"per_page": 1})
    assert listed["meta"]["total"] == 1
