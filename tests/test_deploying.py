"""A deployment already in flight when a sync has changes (`if_deploying`): wait (default),
proceed (supersede it) or fail; no-op syncs never wait. Against an emulator whose phases last
a minute, so a deployment "someone else" started (a git push) stays in flight until the test
finishes it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from do_envsync import (
    Client,
    ConfigurationError,
    DeploymentInProgressError,
    DigitalOceanError,
    Store,
    SyncResult,
)
from do_envsync.testing import Emulator

from .conftest import CANARY_LITERALS, make_spec

IN_FLIGHT = ("PENDING_BUILD", "BUILDING", "PENDING_DEPLOY", "DEPLOYING")
SECRETS = {"SYNC_KEY": "k-1", "SYNC_MODE": {"value": "fast", "type": "GENERAL"}}
GENEROUS = 60.0
"""Seconds to wait for an event that takes milliseconds (a loaded machine is slow)."""


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[Emulator]:
    with Emulator(phase_duration=60.0) as emu:
        CANARY_LITERALS.add(emu.token)
        yield emu


@pytest.fixture
def slow(slow_emulator: Emulator) -> Emulator:
    slow_emulator.reset()
    return slow_emulator


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state.db")


@pytest.fixture
def app_id(slow: Emulator) -> str:
    app_id: str = slow.seed_app(make_spec("deploying"))["id"]
    return app_id


def _phase(emu: Emulator, app_id: str, deployment_id: str) -> str:
    client = emu.client()
    dep = client.request("GET", f"/v2/apps/{app_id}/deployments/{deployment_id}")
    phase: str = dep["deployment"]["phase"]
    return phase


def _methods(emu: Emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests()]


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GENEROUS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _in_background(fn: Callable[[], SyncResult]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except BaseException as err:  # reported by the test's asserts
            out["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_wait_waits_for_a_foreign_deployment_then_puts_once(
    slow: Emulator, app_id: str, store: Store
) -> None:
    client = slow.client()
    foreign = slow.start_push_deployment(app_id)["id"]
    slow.clear_requests()

    thread, out = _in_background(lambda: client.sync(app_id, SECRETS, state=store))
    deployment_path = f"/v2/apps/{app_id}/deployments/{foreign}"
    _until(lambda: slow.request_count("GET", deployment_path) >= 1, "the sync to poll")
    assert thread.is_alive(), out
    assert slow.request_count("PUT") == 0, "nothing is sent while the deployment is in flight"

    slow.finish_deployment(app_id, foreign)
    thread.join(GENEROUS)
    assert not thread.is_alive() and "error" not in out, out
    log = _methods(slow)
    result: SyncResult = out["result"]
    assert result.deployment_id is not None and result.superseded_deployment_id is None
    assert sorted(result.created) == ["SYNC_KEY", "SYNC_MODE"]
    # The foreign deployment ended on its own (ACTIVE), not superseded by the sync.
    assert _phase(slow, app_id, foreign) == "ACTIVE"
    assert log[0] == ("GET", f"/v2/apps/{app_id}")
    assert log[-2:] == [("GET", f"/v2/apps/{app_id}"), ("PUT", f"/v2/apps/{app_id}")]
    assert set(log[1:-2]) == {("GET", deployment_path)}
    assert result.requests == len(log)


def test_wait_reads_the_app_again_so_edits_made_meanwhile_are_kept(
    slow: Emulator, app_id: str, store: Store
) -> None:
    client = slow.client()
    foreign = slow.start_push_deployment(app_id)["id"]
    slow.clear_requests()
    thread, out = _in_background(lambda: client.sync(app_id, SECRETS, state=store))
    _until(lambda: slow.request_count("GET", f"/v2/apps/{app_id}/deployments/") >= 1, "a poll")

    # Someone edits the app meanwhile: their PUT supersedes the push's deployment and starts
    # one of its own, which the sync waits for too; their edit must survive the sync's PUT.
    spec = client.apps.get(app_id).spec
    assert spec is not None and spec.services
    spec.services[0].run_command = "gunicorn edited:app"
    edited = client.apps.update(app_id, spec)
    theirs = edited.pending_deployment.id if edited.pending_deployment else None
    assert theirs is not None
    _until(lambda: _phase(slow, app_id, foreign) == "SUPERSEDED", "the push to be superseded")
    _until(
        lambda: slow.request_count("GET", f"/v2/apps/{app_id}/deployments/{theirs}") >= 1,
        "the sync to wait for the edit's deployment",
    )
    assert thread.is_alive() and slow.request_count("PUT") == 1  # theirs only
    slow.finish_deployment(app_id, theirs)
    thread.join(GENEROUS)
    assert "error" not in out, out
    app = client.apps.get(app_id).to_dict()
    assert app["spec"]["services"][0]["run_command"] == "gunicorn edited:app"
    assert {e["key"] for e in app["spec"]["envs"]} >= {"SYNC_KEY", "SYNC_MODE"}


def test_wait_timeout_raises_and_sends_nothing(slow: Emulator, app_id: str, store: Store) -> None:
    client = slow.client()
    foreign = slow.start_push_deployment(app_id)["id"]
    slow.clear_requests()
    with pytest.raises(DeploymentInProgressError) as info:
        client.sync(app_id, SECRETS, state=store, deploy_wait_timeout=0.3)
    err = info.value
    assert isinstance(err, DigitalOceanError)
    assert (err.app_id, err.deployment_id) == (app_id, foreign)
    assert err.phase in IN_FLIGHT
    assert err.waited is not None and err.waited >= 0.3
    assert app_id in str(err) and foreign in str(err) and "deploy_wait_timeout" in str(err)
    assert slow.request_count("PUT") == 0
    assert _phase(slow, app_id, foreign) in IN_FLIGHT
    assert store.state(app_id) == []


def test_proceed_supersedes_and_the_result_names_it(
    slow: Emulator, app_id: str, store: Store
) -> None:
    client = slow.client()
    foreign = slow.start_push_deployment(app_id)["id"]
    slow.clear_requests()
    result = client.sync(app_id, SECRETS, state=store, if_deploying="proceed")
    assert result.superseded_deployment_id == foreign
    assert result.requests == 2 and [m for m, _ in _methods(slow)] == ["GET", "PUT"]
    assert f"superseded deployment {foreign}" in str(result)
    superseded = slow.client().request("GET", f"/v2/apps/{app_id}/deployments/{foreign}")
    dep = superseded["deployment"]
    assert dep["phase"] == "SUPERSEDED"
    assert dep["phase_last_updated_at"] >= dep["created_at"]
    # The app's in-flight pointer moved to the sync's deployment.
    app = client.apps.get(app_id).to_dict()
    pointers = {app.get(k, {}).get("id") for k in ("pending_deployment", "in_progress_deployment")}
    assert result.deployment_id in pointers and foreign not in pointers


def test_fail_raises_a_typed_error_after_one_get(slow: Emulator, app_id: str, store: Store) -> None:
    client = slow.client()
    foreign = slow.start_push_deployment(app_id, cause="commit abc1234 pushed to github")["id"]
    slow.clear_requests()
    with pytest.raises(DeploymentInProgressError) as info:
        client.sync(app_id, SECRETS, state=store, if_deploying="fail")
    err = info.value
    assert (err.app_id, err.deployment_id, err.waited) == (app_id, foreign, None)
    assert err.phase == "PENDING_BUILD"
    assert "if_deploying=fail" in str(err) and "nothing was changed" in str(err)
    assert _methods(slow) == [("GET", f"/v2/apps/{app_id}")]
    assert _phase(slow, app_id, foreign) == "PENDING_BUILD"


def test_a_no_op_never_waits_and_its_plan_shows_the_deployment(
    slow: Emulator, app_id: str, store: Store
) -> None:
    client = slow.client()
    client.sync(app_id, SECRETS, state=store, if_deploying="proceed")
    foreign = slow.start_push_deployment(app_id)["id"]
    for policy in ("wait", "fail", "proceed"):
        slow.clear_requests()
        result = client.sync(
            app_id, SECRETS, state=store, if_deploying=policy, deploy_wait_timeout=0.0
        )
        assert result.deployment_id is None and result.superseded_deployment_id is None
        assert result.requests == 1 and slow.request_count() == 1
    plan = client.plan_sync(app_id, SECRETS, state=store, if_deploying="fail")
    d = plan.in_flight_deployment
    assert d is not None and d.id == foreign and d.phase in IN_FLIGHT
    assert d.cause is not None and "pushed to github" in d.cause
    assert (d.if_deploying, d.started_by_sync) == ("fail", False)
    assert f"deployment {foreign} is in flight" in str(plan) and "nothing waits" in str(plan)
    assert foreign in plan._repr_html_()
    assert _phase(slow, app_id, foreign) in IN_FLIGHT

    changed = client.plan_sync(app_id, {**SECRETS, "SYNC_KEY": "k-2"}, state=store)
    assert "applying waits until it ends" in str(changed)
    assert client.plan_sync(app_id, SECRETS, state=store, if_deploying="proceed")


def test_a_plan_without_a_deployment_in_flight_says_nothing(client: Client, emu: Emulator) -> None:
    app_id = emu.seed_app(make_spec("calm"))["id"]
    plan = client.plan_sync(app_id, SECRETS)
    assert plan.in_flight_deployment is None and "in flight" not in str(plan)


def test_plan_apply_follows_if_deploying(slow: Emulator, app_id: str, store: Store) -> None:
    client = slow.client()
    foreign = slow.start_push_deployment(app_id)["id"]
    plan = client.plan_sync(app_id, SECRETS, state=store, if_deploying="fail")
    slow.clear_requests()
    with pytest.raises(DeploymentInProgressError):
        plan.apply()
    assert slow.request_count("PUT") == 0
    proceed = client.plan_sync(app_id, SECRETS, state=store, if_deploying="proceed")
    assert proceed.apply().superseded_deployment_id == foreign


def test_the_own_previous_deployment_is_superseded_without_waiting(
    slow: Emulator, app_id: str, store: Store
) -> None:
    client = slow.client()
    first = client.sync(app_id, SECRETS, state=store, if_deploying="fail")
    assert first.deployment_id is not None
    assert _phase(slow, app_id, first.deployment_id) in IN_FLIGHT
    plan = client.plan_sync(app_id, {**SECRETS, "SYNC_KEY": "k-2"}, state=store)
    assert plan.in_flight_deployment is not None and plan.in_flight_deployment.started_by_sync
    slow.clear_requests()
    second = client.sync(app_id, {**SECRETS, "SYNC_KEY": "k-2"}, state=store, if_deploying="fail")
    assert second.superseded_deployment_id == first.deployment_id
    assert second.requests == 2
    assert _phase(slow, app_id, first.deployment_id) == "SUPERSEDED"


def test_async_client_and_fleet_take_the_option(slow: Emulator, store: Store) -> None:
    ids = [slow.seed_app(make_spec(f"fleet-{i}"))["id"] for i in range(3)]
    foreign = slow.start_push_deployment(ids[1])["id"]

    async def run() -> None:
        aclient = slow.async_client()
        with pytest.raises(DeploymentInProgressError) as info:
            await aclient.sync(ids[1], SECRETS, state=store, if_deploying="fail")
        assert info.value.deployment_id == foreign
        fleet = await aclient.sync_fleet(
            {i: SECRETS for i in ids}, state=store, if_deploying="fail"
        )
        assert set(fleet.results) == {ids[0], ids[2]}
        assert isinstance(fleet.errors[ids[1]], DeploymentInProgressError)
        assert fleet.deployments == 2

    asyncio.run(run())
    fleet = slow.client().sync_fleet({ids[1]: SECRETS}, state=store, if_deploying="proceed")
    assert fleet.results[ids[1]].superseded_deployment_id == foreign


def test_bad_values_are_refused_before_any_request(
    slow: Emulator, app_id: str, store: Store
) -> None:
    client = slow.client()
    slow.clear_requests()
    with pytest.raises(ValueError, match="if_deploying"):
        client.sync(app_id, SECRETS, state=store, if_deploying="later")
    with pytest.raises(ValueError, match="deploy_wait_timeout"):
        client.sync(app_id, SECRETS, state=store, deploy_wait_timeout=-1.0)
    with pytest.raises(ValueError, match="if_deploying"):
        client.plan_sync(app_id, SECRETS, state=store, if_deploying="WAIT")
    assert slow.request_count() == 0


def _connection(store: Store, emu: Emulator) -> None:
    store.connections.create("emu", emu.token, base_url=emu.base_url)


def test_stored_sync_options_round_trip_and_runs_report_the_superseded_deployment(
    slow: Emulator, app_id: str, store: Store
) -> None:
    _connection(store, slow)
    sync = store.syncs.create(
        "web",
        connection="emu",
        app=app_id,
        source={"type": "inline", "secrets": {"API_KEY": "k-1"}},
        options={"if_deploying": "fail", "deploy_wait_timeout": 30},
    )
    assert (sync.options["ifDeploying"], sync.options["deployWaitTimeout"]) == ("fail", 30.0)
    foreign = slow.start_push_deployment(app_id)["id"]
    with pytest.raises(Exception) as info:
        store.syncs.run("web")
    assert isinstance(info.value.__cause__, DeploymentInProgressError), info.value
    failed = store.syncs.history("web")[0]
    assert failed.status == "failed" and foreign in (failed.message or "")
    assert slow.request_count("PUT") == 0

    updated = store.syncs.update("web", options={"ifDeploying": "proceed"})
    assert updated.options["ifDeploying"] == "proceed"
    assert updated.options["deployWaitTimeout"] == 30.0  # untouched by the update
    run = store.syncs.run("web")
    assert f"superseded deployment {foreign}" in (run.message or "")
    assert _phase(slow, app_id, foreign) == "SUPERSEDED"

    with pytest.raises(ConfigurationError) as bad:
        store.syncs.update("web", options={"if_deploying": "sometimes"})
    assert bad.value.field == "syncOptions.ifDeploying"
    with pytest.raises(ConfigurationError):
        store.syncs.update("web", options={"deploy_wait_timeout": -5})
    assert store.syncs.get("web").options["ifDeploying"] == "proceed"


def test_config_file_option(slow: Emulator, app_id: str, store: Store, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("API_KEY=k-1\n")
    config = tmp_path / "do-envsync.toml"
    template = f"""
[[connections]]
name = "emu"
token_env = "DEPLOYING_EMU_TOKEN"
base_url = "{slow.base_url}"

[[syncs]]
name = "web"
connection = "emu"
app = "{app_id}"
[syncs.source]
type = "dotenv"
paths = [".env"]
[syncs.options]
if_deploying = "{{policy}}"
deploy_wait_timeout = 5
"""
    os.environ["DEPLOYING_EMU_TOKEN"] = slow.token
    try:
        config.write_text(template.replace("{policy}", "proceed"))
        # A named file that points a connection at the emulator is announced (issue 14).
        with pytest.warns(UserWarning, match="not DigitalOcean's API"):
            store.apply_config(config)
        options = store.syncs.get("web").options
        assert (options["ifDeploying"], options["deployWaitTimeout"]) == ("proceed", 5.0)
        config.write_text(template.replace("{policy}", "never"))
        with pytest.raises(ConfigurationError, match="never"):
            store.apply_config(config)
        assert store.syncs.get("web").options["ifDeploying"] == "proceed"
    finally:
        del os.environ["DEPLOYING_EMU_TOKEN"]


def _cli(emu: Emulator, tmp: Path, *args: str, code: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIGITALOCEAN_TOKEN": emu.token, "DO_ENVSYNC_BASE_URL": emu.base_url}
    r = subprocess.run(
        [sys.executable, "-m", "do_envsync.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp,
    )
    assert r.returncode == code, f"{args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def test_cli_flag(slow: Emulator, app_id: str, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("API_KEY=k-1\n")
    common = ("--app", app_id, "--env-file", ".env")
    foreign = slow.start_push_deployment(app_id)["id"]

    planned = json.loads(_cli(slow, tmp_path, "plan", *common, "--json", code=2).stdout)
    assert planned["inFlightDeployment"]["id"] == foreign
    assert planned["inFlightDeployment"]["ifDeploying"] == "wait"
    text = _cli(slow, tmp_path, "plan", *common, "--if-deploying", "proceed", code=2).stdout
    assert f"deployment {foreign} is in flight" in text and "supersedes it" in text

    r = _cli(slow, tmp_path, "apply", *common, "--if-deploying", "fail", code=1)
    assert "if_deploying=fail" in r.stderr and foreign in r.stderr
    assert slow.request_count("PUT") == 0
    r = _cli(slow, tmp_path, "apply", *common, "--if-deploying", "later", code=1)
    assert "invalid choice: 'later'" in r.stderr

    applied = json.loads(
        _cli(slow, tmp_path, "apply", *common, "--if-deploying", "proceed", "--json", code=0).stdout
    )
    assert applied["supersededDeploymentId"] == foreign


def test_cli_stored_sync_flag(slow: Emulator, app_id: str, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("API_KEY=k-1\n")
    _cli(slow, tmp_path, "connections", "create", "emu", "--base-url", slow.base_url, code=0)
    created = _cli(
        slow,
        tmp_path,
        "syncs",
        "create",
        "web",
        "--connection",
        "emu",
        "--app",
        app_id,
        "--env-file",
        ".env",
        "--if-deploying",
        "fail",
        "--deploy-wait-timeout",
        "12",
        "--json",
        code=0,
    )
    options = json.loads(created.stdout)["secretSync"]["syncOptions"]
    assert (options["ifDeploying"], options["deployWaitTimeout"]) == ("fail", 12.0)
    shown = _cli(slow, tmp_path, "syncs", "get", "web", code=0).stdout
    assert "fail (wait up to 12.0s)" in shown
    updated = _cli(
        slow, tmp_path, "syncs", "update", "web", "--if-deploying", "wait", "--json", code=0
    )
    options = json.loads(updated.stdout)["secretSync"]["syncOptions"]
    assert (options["ifDeploying"], options["deployWaitTimeout"]) == ("wait", 12.0)
