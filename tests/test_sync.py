"""The env-sync engine from Python, against the emulator: request and deployment counts,
plan/apply, SECRET state, type and scope, key schemas, component targets, import
behaviours, "remove synced", waiting and rollback. Also the plan renderers.

Every sync passes `state=store` (a fresh SQLite file per test); `DO_ENVSYNC_STATE` points
into the test's tmp dir as well (conftest), so nothing ever touches the user's real state.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import do_envsync
import pytest
from do_envsync import Client, ConflictError
from do_envsync.display import plan_html, plan_summary, plan_table, result_summary
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec

# ---------------------------------------------------------------------------
# Helpers shared with test_sync_concurrency.py and test_sync_secrets.py
# ---------------------------------------------------------------------------


def stored_app(emu: Emulator, app_id: str) -> dict[str, Any]:
    """The app as the emulator holds it (no HTTP request, nothing logged)."""
    return next(a for a in emu.apps() if a["id"] == app_id)


def spec_of(emu: Emulator, app_id: str) -> dict[str, Any]:
    spec: dict[str, Any] = stored_app(emu, app_id)["spec"]
    return spec


def _holder(spec: dict[str, Any], component: str | None) -> dict[str, Any]:
    if component is None:
        return spec
    for kind in ("services", "workers", "jobs", "static_sites", "functions"):
        for item in spec.get(kind) or []:
            if item.get("name") == component:
                return dict(item)
    raise AssertionError(f"no component {component!r} in the spec")


def envs_of(emu: Emulator, app_id: str, component: str | None = None) -> list[dict[str, Any]]:
    envs: list[dict[str, Any]] = _holder(spec_of(emu, app_id), component).get("envs") or []
    return envs


def env_map(emu: Emulator, app_id: str, component: str | None = None) -> dict[str, dict[str, Any]]:
    return {e["key"]: e for e in envs_of(emu, app_id, component)}


def reveal(emu: Emulator, app_id: str, key: str, component: str | None = None) -> str | None:
    """The plaintext behind a stored SECRET's `EV[...]`."""
    entry = env_map(emu, app_id, component)[key]
    assert entry.get("type") == "SECRET", entry.get("type")
    assert entry["value"].startswith("EV["), "a SECRET is stored encrypted"
    return emu.reveal_secret(entry["value"])


def outside_update(emu: Emulator, app_id: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    """Another client (a person in the control panel) edits the app: GET, change, PUT."""
    other = emu.client()
    spec = other.request("GET", f"/v2/apps/{app_id}")["app"]["spec"]
    mutate(spec)
    other.request("PUT", f"/v2/apps/{app_id}", json={"spec": spec})


def set_env(
    key: str, value: str, *, var_type: str = "SECRET", scope: str = "RUN_AND_BUILD_TIME"
) -> Callable[[dict[str, Any]], None]:
    """A mutation for `outside_update` that sets (or adds) an app-level env entry."""

    def mutate(spec: dict[str, Any]) -> None:
        envs = spec.setdefault("envs", [])
        for e in envs:
            if e["key"] == key:
                e.update(value=value, type=var_type, scope=scope)
                return
        envs.append({"key": key, "value": value, "scope": scope, "type": var_type})

    return mutate


def actions(changes: Any) -> dict[tuple[str | None, str], tuple[str, str]]:
    """(component, key) -> (action, reason) of a plan's or result's changes."""
    return {(c.component, c.key): (c.action, c.reason) for c in changes}


def raw_get(emu: Emulator, app_id: str) -> str:
    """The exact bytes `GET /v2/apps/{id}` answers (one logged request)."""
    req = urllib.request.Request(
        f"{emu.base_url}/v2/apps/{app_id}", headers={"Authorization": f"Bearer {emu.token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        body: bytes = resp.read()
    return body.decode()


_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    assert m is not None
    return m.end()


def raw_members(text: str) -> list[tuple[str, str]]:
    """A JSON object's members as (key, exact source text of the value), in order."""
    i = _ws(text, 0)
    assert text[i] == "{", text[i : i + 20]
    i = _ws(text, i + 1)
    out: list[tuple[str, str]] = []
    if text[i] == "}":
        return out
    while True:
        assert text[i] == '"'
        key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        i = _ws(text, i)
        assert text[i] == ":"
        i = _ws(text, i + 1)
        _, end = _DECODER.raw_decode(text, i)
        out.append((key, text[i:end]))
        i = _ws(text, end)
        if text[i] == "}":
            return out
        assert text[i] == ","
        i = _ws(text, i + 1)


def raw_elements(text: str) -> list[str]:
    """A JSON array's elements as their exact source text, in order."""
    i = _ws(text, 0)
    assert text[i] == "["
    i = _ws(text, i + 1)
    out: list[str] = []
    if text[i] == "]":
        return out
    while True:
        _, end = _DECODER.raw_decode(text, i)
        out.append(text[i:end])
        i = _ws(text, end)
        if text[i] == "]":
            return out
        assert text[i] == ","
        i = _ws(text, i + 1)


def put_bodies(emu: Emulator, app_id: str) -> list[str]:
    return [
        r.body or "" for r in emu.requests() if r.method == "PUT" and r.path == f"/v2/apps/{app_id}"
    ]


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Any:
    return do_envsync.Store(tmp_path / "state.db")


@pytest.fixture
def app_id(emu: Emulator) -> str:
    app_id: str = emu.seed_app(make_spec())["id"]
    emu.clear_requests()
    return app_id


# ---------------------------------------------------------------------------
# Display (pure Python: stand-ins, no native sync API needed)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    key: str
    component: str | None
    action: str
    reason: str
    type: str | None = "SECRET"
    scope: str | None = "RUN_AND_BUILD_TIME"


@dataclass(frozen=True)
class Result:
    deployment_id: str | None
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deployment_phase: str | None = None
    rolled_back: bool = False


SAMPLE = [
    Change("DB_PASSWORD", None, "create", "missing"),
    Change("LOG_LEVEL", None, "update", "value_changed", "GENERAL", "RUN_TIME"),
    Change("API_KEY", None, "unchanged", "fingerprint_match"),
    Change("A_RATHER_LONG_KEY_NAME", "web", "create", "missing", None, None),
]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_plan_table_aligns_columns_and_summarizes() -> None:
    text = plan_table("app-1", SAMPLE, ["component web shadows DB_PASSWORD"])
    lines = text.splitlines()
    assert lines[0] == "sync plan for app app-1"
    header, rows = lines[1], lines[2:6]
    assert header.split() == ["TARGET", "KEY", "ACTION", "REASON", "TYPE", "SCOPE"]
    # Every column starts where its header starts.
    for column in ("KEY", "ACTION", "REASON", "TYPE"):
        start = header.index(column)
        for row, change in zip(rows, SAMPLE, strict=True):
            cell = {"KEY": change.key, "ACTION": change.action, "REASON": change.reason}.get(
                column, change.type or "?"
            )
            assert row[start:].startswith(cell), (column, row)
    assert rows[0].startswith("(app)")
    assert rows[3].startswith("web ")
    assert rows[3].endswith("?")  # unknown type and scope are shown as "?"
    assert (
        lines[6]
        == "2 to create, 1 to update, 0 to delete, 1 unchanged — applying will deploy the app"
    )
    assert lines[7] == "warning: component web shadows DB_PASSWORD"
    assert all(line == line.rstrip() for line in lines)
    assert text.endswith("\n")


def test_plan_table_without_changes_says_nothing_deploys() -> None:
    unchanged = [Change("A", None, "unchanged", "fingerprint_match")]
    assert plan_summary(unchanged) == "no changes — nothing will be deployed"
    assert plan_summary([]) == "no changes — nothing will be deployed"
    text = plan_table("app-1", [], [])
    assert text.splitlines()[1].split() == ["TARGET", "KEY", "ACTION", "REASON", "TYPE", "SCOPE"]
    assert "no changes — nothing will be deployed" in text
    assert plan_summary([Change("A", None, "delete", "not_in_source")]).startswith(
        "0 to create, 0 to update, 1 to delete, 0 unchanged"
    )


def test_plan_table_color_only_adds_escape_codes() -> None:
    plain = plan_table("app-1", SAMPLE, ["w"], imports=["LOG_LEVEL"])
    colored = plan_table("app-1", SAMPLE, ["w"], color=True, imports=["LOG_LEVEL"])
    assert colored != plain
    assert ANSI.sub("", colored) == plain
    assert "\x1b[32mcreate\x1b[0m" in colored
    assert "\x1b[33mupdate\x1b[0m" in colored
    assert "\x1b[2munchanged\x1b[0m" in colored
    assert "imported from the destination (GENERAL values): LOG_LEVEL" in plain


def test_plan_table_neutralizes_control_characters_from_the_spec() -> None:
    hostile = [Change("KEY", "web\x1b[2J\rx", "create", "missing")]
    text = plan_table("app\x07", hostile, ["bad\x1b]0;title\x07"])
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "web\\x1b[2J\\rx" in text


class _Checker(html.parser.HTMLParser):
    """Checks that every opened element is closed in order; collects text and cells."""

    VOID = frozenset({"br", "hr", "img", "meta", "input", "col"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_plan_html_is_balanced_and_escaped() -> None:
    changes = [*SAMPLE, Change("X", "<script>alert(1)</script>", "delete", "not_in_source")]
    out = plan_html("app&<1>", changes, ['shadow "web" & <b>bold</b>'], imports=["LOG_LEVEL"])
    assert "<script" not in out and "<b>" not in out
    checker = _Checker()
    checker.feed(out)
    checker.close()
    assert checker.stack == []
    assert checker.tags.count("tr") == 1 + len(changes)
    assert checker.tags.count("th") == 6
    assert checker.tags.count("td") == 6 * len(changes)
    text = "".join(checker.text)
    assert "<script>alert(1)</script>" in text  # shown as text, not markup
    assert "app&<1>" in text
    assert 'warning: shadow "web" & <b>bold</b>' in text
    assert "2 to create, 1 to update, 1 to delete, 1 unchanged" in text
    assert "LOG_LEVEL" in text
    # Action cells are coloured inline (no stylesheet needed in a notebook).
    assert re.search(r'<td style="[^"]*background:#e6f4ea[^"]*">create</td>', out)
    assert re.search(r'<td style="[^"]*background:#fce8e6[^"]*">delete</td>', out)


def test_plan_html_without_warnings_has_no_list() -> None:
    out = plan_html("a", [Change("A", None, "unchanged", "value_match")], [])
    assert "<ul" not in out
    assert "no changes — nothing will be deployed" in out


def test_result_summary() -> None:
    changed = Result("dep-1", ["A", "B"], ["C"], [], ["D", "E", "F", "G", "H"])
    assert (
        result_summary(changed) == "created 2, updated 1, deleted 0, unchanged 5; deployment dep-1"
    )
    assert result_summary(Result(None, unchanged=["A"])) == "no changes; no deployment"
    waited = Result("dep-2", deleted=["A"], deployment_phase="ACTIVE")
    assert result_summary(waited) == (
        "created 0, updated 0, deleted 1, unchanged 0; deployment dep-2 (ACTIVE)"
    )
    failed = Result("dep-3", updated=["A"], deployment_phase="ERROR", rolled_back=True)
    assert result_summary(failed).endswith(
        "deployment dep-3 (ERROR); env rolled back to the previous entries"
    )


# ---------------------------------------------------------------------------
# Request and deployment counts
# ---------------------------------------------------------------------------

THREE = {"DB_PASSWORD": "pw-1", "STRIPE_KEY": "sk-1", "SESSION_SECRET": "ss-1"}


def test_first_sync_is_one_get_one_put_one_deployment(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    deployments = emu.deployment_count(app_id)
    result = client.sync(
        app_id, THREE, key_schema="{{secretKey}}", disable_secret_deletion=True, state=store
    )
    assert emu.request_count() == 2
    assert emu.request_count("GET", f"/v2/apps/{app_id}") == 1
    assert emu.request_count("PUT", f"/v2/apps/{app_id}") == 1
    assert [r.method for r in emu.requests()] == ["GET", "PUT"]
    assert result.requests == 2
    assert emu.deployment_count(app_id) == deployments + 1
    assert result.deployment_id is not None
    assert sorted(result.created) == sorted(THREE)
    assert result.updated == [] and result.deleted == []
    for key, value in THREE.items():
        assert reveal(emu, app_id, key) == value


def test_immediate_resync_is_one_get_and_no_deployment(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    before = spec_of(emu, app_id)
    deployments = emu.deployment_count(app_id)
    emu.clear_requests()

    result = client.sync(app_id, THREE, disable_secret_deletion=True, state=store)

    assert [(r.method, r.path) for r in emu.requests()] == [("GET", f"/v2/apps/{app_id}")]
    assert result.requests == 1
    assert emu.deployment_count(app_id) == deployments
    assert result.deployment_id is None
    assert set(THREE) <= set(result.unchanged)
    assert result.created == [] and result.updated == [] and result.deleted == []
    assert all(c.action == "unchanged" for c in result.changes)
    assert spec_of(emu, app_id) == before


def test_one_changed_key_is_two_requests_and_one_deployment(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    evs = {k: env_map(emu, app_id)[k]["value"] for k in THREE}
    deployments = emu.deployment_count(app_id)
    emu.clear_requests()

    result = client.sync(
        app_id, {**THREE, "STRIPE_KEY": "sk-2"}, disable_secret_deletion=True, state=store
    )

    assert [r.method for r in emu.requests()] == ["GET", "PUT"]
    assert result.requests == 2
    assert emu.deployment_count(app_id) == deployments + 1
    assert result.deployment_id is not None
    assert result.updated == ["STRIPE_KEY"]
    assert actions(result.changes)[(None, "STRIPE_KEY")] == ("update", "value_changed")
    assert reveal(emu, app_id, "STRIPE_KEY") == "sk-2"
    # The other secrets were sent back as the very same ciphertext.
    now = env_map(emu, app_id)
    assert now["DB_PASSWORD"]["value"] == evs["DB_PASSWORD"]
    assert now["SESSION_SECRET"]["value"] == evs["SESSION_SECRET"]
    assert now["STRIPE_KEY"]["value"] != evs["STRIPE_KEY"]


def test_hundred_changed_keys_still_one_put_and_one_deployment(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    first = {f"KEY_{i:03d}": f"v1-{i}" for i in range(100)}
    deployments = emu.deployment_count(app_id)
    created = client.sync(
        app_id, first, key_schema="{{secretKey}}", state=store, disable_secret_deletion=True
    )
    assert len(created.created) == 100
    assert emu.request_count("PUT") == 1
    assert emu.deployment_count(app_id) == deployments + 1
    emu.clear_requests()

    second = {k: v.replace("v1", "v2") for k, v in first.items()}
    result = client.sync(
        app_id, second, key_schema="{{secretKey}}", state=store, disable_secret_deletion=True
    )

    assert [r.method for r in emu.requests()] == ["GET", "PUT"]
    assert emu.deployment_count(app_id) == deployments + 2
    assert sorted(result.updated) == sorted(first)
    assert all(reveal(emu, app_id, k) == v for k, v in second.items())


# ---------------------------------------------------------------------------
# plan_sync and apply
# ---------------------------------------------------------------------------


def test_plan_is_one_get_and_apply_is_one_put(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    plan = client.plan_sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert [(r.method, r.path) for r in emu.requests()] == [("GET", f"/v2/apps/{app_id}")]
    assert plan.app_id == app_id
    assert plan.has_changes and plan.will_deploy
    assert {c.key for c in plan.changes if c.action == "create"} == set(THREE)
    assert all(c.reason == "missing" for c in plan.changes if c.action == "create")
    assert store.state(app_id) == []  # planning writes nothing
    # Rendering works on the real objects.
    text = plan_table(plan.app_id, plan.changes, plan.warnings)
    assert "3 to create" in text and "DB_PASSWORD" in text
    emu.clear_requests()

    result = plan.apply()

    assert [(r.method, r.path) for r in emu.requests()] == [("PUT", f"/v2/apps/{app_id}")]
    assert result.requests == 2  # the plan's GET and the PUT: the whole sync
    assert sorted(result.created) == sorted(THREE)
    again = client.plan_sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert not again.has_changes and not again.will_deploy


SCHEMA_SPEC_EXTRA: dict[str, Any] = {
    "envs": [
        {"key": "LOG_LEVEL", "value": "info", "scope": "RUN_TIME", "type": "GENERAL"},
        {"key": "API_KEY", "value": CANARY_SECRET, "scope": "RUN_AND_BUILD_TIME", "type": "SECRET"},
        # Field order and a missing type/scope must survive as they are.
        {"value": "zed", "key": "ZED"},
        {"key": "APP_STALE", "value": "old", "scope": "RUN_TIME", "type": "GENERAL"},
        {"key": "APP_TOKEN", "value": "token-0", "type": "SECRET", "scope": "RUN_TIME"},
        {"key": "URL", "value": "${APP_URL}/cb", "scope": "RUN_AND_BUILD_TIME"},
    ],
    "x_numbers": {"big": 9007199254740993, "tiny": 1e-7, "neg": -0.0, "f": 2.50, "u": "é\u2028"},
}


def test_put_body_differs_from_the_fetched_spec_only_in_managed_entries(
    client: Client, emu: Emulator, store: Any
) -> None:
    app_id = emu.seed_app(make_spec(**SCHEMA_SPEC_EXTRA))["id"]
    fetched = raw_get(emu, app_id)
    emu.clear_requests()

    result = client.sync(
        app_id, {"TOKEN": "token-1", "NEW": "n"}, key_schema="APP_{{secretKey}}", state=store
    )

    [put] = put_bodies(emu, app_id)
    assert actions(result.changes) == {
        (None, "APP_TOKEN"): ("update", "initial"),
        (None, "APP_NEW"): ("create", "missing"),
        (None, "APP_STALE"): ("delete", "not_in_source"),
    }
    got_spec = dict(raw_members(dict(raw_members(dict(raw_members(fetched))["app"]))["spec"]))
    put_spec = dict(raw_members(dict(raw_members(put))["spec"]))
    fetched_envs = raw_elements(got_spec.pop("envs"))
    put_envs = raw_elements(put_spec.pop("envs"))
    # Every other member of the spec, in the same order, with byte-identical text
    # (services with their envs and unknown fields, databases, features, numbers...).
    assert list(put_spec) == list(got_spec)
    for key, raw in got_spec.items():
        assert put_spec[key] == raw, key
    # Parsed (order-preserving), too: the whole spec but the app-level envs is equal.
    parsed_got = json.loads(fetched)["app"]["spec"]
    parsed_put = json.loads(put)["spec"]
    del parsed_got["envs"], parsed_put["envs"]
    assert list(parsed_put.items()) == list(parsed_got.items())
    # Unmanaged app-level entries: the same raw text, in the same relative order.
    unmanaged_before = [e for e in fetched_envs if not json.loads(e)["key"].startswith("APP_")]
    unmanaged_after = [e for e in put_envs if not json.loads(e)["key"].startswith("APP_")]
    assert unmanaged_after == unmanaged_before
    assert [json.loads(e)["key"] for e in unmanaged_before] == [
        "LOG_LEVEL",
        "API_KEY",
        "ZED",
        "URL",
    ]
    # Managed entries: APP_STALE gone, APP_TOKEN edited in place, APP_NEW added.
    managed = {json.loads(e)["key"]: json.loads(e) for e in put_envs if e not in unmanaged_after}
    assert set(managed) == {"APP_TOKEN", "APP_NEW"}
    # The emulator's log keeps SECRET plaintexts sealed; it reveals what was sent.
    managed["APP_TOKEN"]["value"] = emu.reveal_secret(managed["APP_TOKEN"]["value"])
    assert managed["APP_TOKEN"] == {
        "key": "APP_TOKEN",
        "value": "token-1",
        "type": "SECRET",
        "scope": "RUN_TIME",
    }
    assert managed["APP_NEW"]["type"] == "SECRET"
    assert managed["APP_NEW"]["scope"] == "RUN_AND_BUILD_TIME"
    assert len(fetched_envs) == 6 and len(put_envs) == 6
    # And the app now holds it: unknown fields survived the round trip.
    spec = spec_of(emu, app_id)
    assert spec["features"] == ["buildpack-stack=ubuntu-22"]
    assert spec["maintenance"] == {"enabled": False}
    assert spec["disable_edge_cache"] is True
    assert spec["services"][0]["future_field"] == {"nested": [1, 2.5, None, "x"]}
    assert spec["x_numbers"]["big"] == 9007199254740993
    assert reveal(emu, app_id, "APP_TOKEN") == "token-1"
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET


def test_stale_plan_rereads_and_refuses_or_replans(
    client: Client, emu: Emulator, store: Any
) -> None:
    changed_id = emu.seed_app(make_spec("changed"))["id"]
    quiet_id = emu.seed_app(make_spec("quiet"))["id"]
    desired = {"DB_PASSWORD": "pw"}
    changed_plan = client.plan_sync(
        changed_id, desired, key_schema="APP_{{secretKey}}", state=store
    )
    quiet_plan = client.plan_sync(quiet_id, desired, key_schema="APP_{{secretKey}}", state=store)
    outside_update(
        emu, changed_id, set_env("LOG_LEVEL", "debug", var_type="GENERAL", scope="RUN_TIME")
    )
    after_outside = spec_of(emu, changed_id)
    deployments = emu.deployment_count(changed_id)
    time.sleep(2.1)
    emu.clear_requests()

    with pytest.raises(ConflictError):
        changed_plan.apply()
    assert emu.request_count("PUT") == 0
    assert emu.request_count("GET", f"/v2/apps/{changed_id}") == 1
    assert spec_of(emu, changed_id) == after_outside
    assert emu.deployment_count(changed_id) == deployments
    assert store.state(changed_id) == []

    # An old plan whose app did not change is re-checked (1 GET) and applied (1 PUT).
    emu.clear_requests()
    quiet = quiet_plan.apply()
    assert [(r.method, r.path) for r in emu.requests()] == [
        ("GET", f"/v2/apps/{quiet_id}"),
        ("PUT", f"/v2/apps/{quiet_id}"),
    ]
    assert quiet.created == ["APP_DB_PASSWORD"]

    # Asked to, the stale plan re-plans against the new spec and applies it.
    emu.clear_requests()
    replanned = changed_plan.apply(replan=True)
    assert emu.request_count("PUT") == 1
    assert emu.request_count("GET") == 1  # the re-read is the new plan's input
    assert replanned.requests == 1 + emu.request_count()  # with the first plan's GET
    assert replanned.created == ["APP_DB_PASSWORD"]
    assert env_map(emu, changed_id)["LOG_LEVEL"]["value"] == "debug"  # the edit survived
    assert reveal(emu, changed_id, "APP_DB_PASSWORD") == "pw"
    assert emu.deployment_count(changed_id) == deployments + 1


async def test_async_twins(emu: Emulator, store: Any, app_id: str) -> None:
    aclient = emu.async_client()
    plan = await aclient.plan_sync(app_id, THREE, key_schema="S_{{secretKey}}", state=store)
    assert emu.request_count() == 1
    assert plan.has_changes
    result = await plan.apply()
    assert emu.request_count() == 2 and result.requests == 2
    assert sorted(result.created) == sorted(f"S_{k}" for k in THREE)
    noop = await aclient.sync(app_id, THREE, key_schema="S_{{secretKey}}", state=store)
    assert noop.deployment_id is None and noop.requests == 1
    removed = await aclient.remove_synced(app_id, key_schema="S_{{secretKey}}", state=store)
    assert sorted(removed.deleted) == sorted(f"S_{k}" for k in THREE)
    assert not any(k.startswith("S_") for k in env_map(emu, app_id))
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET


# ---------------------------------------------------------------------------
# SECRET semantics and the state
# ---------------------------------------------------------------------------


def test_secrets_are_stored_encrypted_and_recorded_without_plaintext(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    envs = env_map(emu, app_id)
    for key, value in THREE.items():
        assert envs[key]["value"].startswith("EV[") and envs[key]["value"] != value
        assert emu.reveal_secret(envs[key]["value"]) == value
    records = {r["key"]: r for r in store.state(app_id)}
    assert set(records) == set(THREE)
    for key, rec in records.items():
        assert rec["target"] == ""
        assert re.fullmatch(r"[0-9a-f]{64}", rec["fingerprint"])
        assert rec["ev"] == envs[key]["value"]  # taken from the PUT response
        assert rec["type"] == "SECRET" and rec["scope"] == "RUN_AND_BUILD_TIME"
        assert rec["origin"] == "created"
        assert THREE[key] not in json.dumps(rec, default=str)
    assert app_id in store.apps()


def test_unchanged_secret_is_not_rewritten(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    before = env_map(emu, app_id)
    plan = client.plan_sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert {actions(plan.changes)[(None, k)] for k in THREE} == {("unchanged", "fingerprint_match")}
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert env_map(emu, app_id) == before


def test_drift_is_detected_and_repaired(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    outside_update(emu, app_id, set_env("STRIPE_KEY", "typed-in-the-control-panel"))
    assert reveal(emu, app_id, "STRIPE_KEY") == "typed-in-the-control-panel"

    plan = client.plan_sync(app_id, THREE, disable_secret_deletion=True, state=store)
    got = actions(plan.changes)
    assert got[(None, "STRIPE_KEY")] == ("update", "drift")
    assert got[(None, "DB_PASSWORD")] == ("unchanged", "fingerprint_match")
    deployments = emu.deployment_count(app_id)
    emu.clear_requests()

    repaired = client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert repaired.updated == ["STRIPE_KEY"]
    assert emu.request_count("PUT") == 1
    assert reveal(emu, app_id, "STRIPE_KEY") == "sk-1"
    emu.clear_requests()
    noop = client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert noop.deployment_id is None and emu.request_count() == 1
    assert emu.deployment_count(app_id) == deployments + 1


def test_forgetting_the_state_makes_secrets_initial_again(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert store.forget_app(app_id) is True
    assert store.forget_app(app_id) is False
    assert store.state(app_id) == [] and app_id not in store.apps()
    plan = client.plan_sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert {actions(plan.changes)[(None, k)] for k in THREE} == {("update", "initial")}


def test_state_may_be_given_as_a_path_or_taken_from_the_environment(
    client: Client, emu: Emulator, app_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "by-path.db"
    client.sync(app_id, THREE, disable_secret_deletion=True, state=str(path))
    assert {r["key"] for r in do_envsync.Store(path).state(app_id)} == set(THREE)
    emu.clear_requests()
    # Default: $DO_ENVSYNC_STATE (set per test by conftest), which knows nothing yet.
    assert do_envsync.Store().path == os.environ["DO_ENVSYNC_STATE"]
    assert os.environ["DO_ENVSYNC_STATE"] != str(path)
    plan = client.plan_sync(app_id, THREE, disable_secret_deletion=True)
    assert actions(plan.changes)[(None, "DB_PASSWORD")] == ("update", "initial")
    again = client.plan_sync(app_id, THREE, disable_secret_deletion=True, state=path)
    assert not again.has_changes


# ---------------------------------------------------------------------------
# Type and scope
# ---------------------------------------------------------------------------


def test_new_keys_default_to_secret_run_and_build_time(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, {"NEW_KEY": "v"}, disable_secret_deletion=True, state=store)
    entry = env_map(emu, app_id)["NEW_KEY"]
    assert (entry["type"], entry["scope"]) == ("SECRET", "RUN_AND_BUILD_TIME")


def test_defaults_and_per_key_type_and_scope(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    secrets = {
        "PLAIN": "p",
        "PUBLIC_URL": {"value": "https://x.example", "type": "GENERAL", "scope": "RUN_TIME"},
        "BUILD_ONLY": {"value": "b", "scope": "BUILD_TIME"},
        "TYPED": {"value": "t", "type": "SECRET"},
    }
    plan = client.plan_sync(
        app_id,
        secrets,
        disable_secret_deletion=True,
        var_type="GENERAL",
        scope="RUN_TIME",
        state=store,
    )
    by_key = {c.key: (c.type, c.scope) for c in plan.changes}
    assert by_key["PLAIN"] == ("GENERAL", "RUN_TIME")
    assert by_key["PUBLIC_URL"] == ("GENERAL", "RUN_TIME")
    assert by_key["BUILD_ONLY"] == ("GENERAL", "BUILD_TIME")
    assert by_key["TYPED"] == ("SECRET", "RUN_TIME")
    plan.apply()
    envs = env_map(emu, app_id)
    assert envs["PUBLIC_URL"]["value"] == "https://x.example"
    assert (envs["PUBLIC_URL"]["type"], envs["PUBLIC_URL"]["scope"]) == ("GENERAL", "RUN_TIME")
    assert (envs["BUILD_ONLY"]["type"], envs["BUILD_ONLY"]["scope"]) == ("GENERAL", "BUILD_TIME")
    assert envs["PLAIN"]["value"] == "p"
    assert reveal(emu, app_id, "TYPED") == "t"


def test_existing_key_keeps_type_and_scope_unless_set(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    result = client.sync(app_id, {"LOG_LEVEL": "debug", "API_KEY": "rotated"}, state=store)
    assert actions(result.changes)[(None, "LOG_LEVEL")] == ("update", "value_changed")
    assert actions(result.changes)[(None, "API_KEY")] == ("update", "initial")
    envs = env_map(emu, app_id)
    assert envs["LOG_LEVEL"] == {
        "key": "LOG_LEVEL",
        "value": "debug",
        "scope": "RUN_TIME",
        "type": "GENERAL",
    }
    assert (envs["API_KEY"]["type"], envs["API_KEY"]["scope"]) == ("SECRET", "RUN_AND_BUILD_TIME")
    assert reveal(emu, app_id, "API_KEY") == "rotated"

    # Setting only the scope changes only the scope.
    plan = client.plan_sync(
        app_id,
        {"LOG_LEVEL": {"value": "debug", "scope": "BUILD_TIME"}, "API_KEY": "rotated"},
        state=store,
    )
    assert actions(plan.changes) == {
        (None, "LOG_LEVEL"): ("update", "scope_changed"),
        (None, "API_KEY"): ("unchanged", "fingerprint_match"),
    }
    plan.apply()
    assert env_map(emu, app_id)["LOG_LEVEL"] == {
        "key": "LOG_LEVEL",
        "value": "debug",
        "scope": "BUILD_TIME",
        "type": "GENERAL",
    }
    # Setting the type of a GENERAL key to SECRET rewrites it encrypted.
    plan = client.plan_sync(
        app_id,
        {"LOG_LEVEL": {"value": "debug", "type": "SECRET"}, "API_KEY": "rotated"},
        state=store,
    )
    assert actions(plan.changes)[(None, "LOG_LEVEL")] == ("update", "type_changed")
    plan.apply()
    assert reveal(emu, app_id, "LOG_LEVEL") == "debug"
    assert env_map(emu, app_id)["LOG_LEVEL"]["scope"] == "BUILD_TIME"


def test_general_values_are_compared_directly(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    deployments = emu.deployment_count(app_id)
    # First sync, no state: an equal GENERAL value needs no write at all.
    result = client.sync(app_id, {"LOG_LEVEL": "info"}, disable_secret_deletion=True, state=store)
    assert actions(result.changes) == {
        (None, "LOG_LEVEL"): ("unchanged", "value_match"),
        (None, "API_KEY"): ("unchanged", "deletion_disabled"),
    }
    assert result.deployment_id is None and emu.request_count() == 1
    assert emu.deployment_count(app_id) == deployments
    # Changed outside the sync: a GENERAL value is read, so this is a plain value change.
    outside_update(emu, app_id, set_env("LOG_LEVEL", "warn", var_type="GENERAL", scope="RUN_TIME"))
    plan = client.plan_sync(
        app_id, {"LOG_LEVEL": "info"}, disable_secret_deletion=True, state=store
    )
    assert actions(plan.changes)[(None, "LOG_LEVEL")] == ("update", "value_changed")


@pytest.mark.parametrize(
    "secrets, kwargs",
    [
        ({"K": {"value": "v", "type": "PLAIN"}}, {}),
        ({"K": {"value": "v", "scope": "ALWAYS"}}, {}),
        ({"K": "v"}, {"var_type": "secret"}),
        ({"K": "v"}, {"scope": "RUNTIME"}),
        ({"K": "v"}, {"initial_sync_behavior": "merge"}),
    ],
)
def test_invalid_type_scope_or_behavior_is_rejected_before_any_request(
    client: Client, emu: Emulator, store: Any, app_id: str, secrets: Any, kwargs: Any
) -> None:
    with pytest.raises(ValueError):
        client.sync(app_id, secrets, state=store, **kwargs)
    assert emu.request_count() == 0
    assert store.state(app_id) == []


# ---------------------------------------------------------------------------
# Key schema
# ---------------------------------------------------------------------------


def test_key_schema_renders_destination_keys(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    result = client.sync(
        app_id, {"DB_PASS": "p", "TOKEN": "t"}, key_schema="APP_{{secretKey}}", state=store
    )
    assert sorted(result.created) == ["APP_DB_PASS", "APP_TOKEN"]
    assert {c.key: c.source_key for c in result.changes} == {
        "APP_DB_PASS": "DB_PASS",
        "APP_TOKEN": "TOKEN",
    }
    client.sync(
        app_id,
        {"DB_PASS": "prod-p"},
        key_schema="{{environment}}_{{secretKey}}_V1",
        environment="prod",
        state=store,
    )
    client.sync(
        app_id,
        {"DB_PASS": "stg-p"},
        key_schema="{{environment}}_{{secretKey}}_V1",
        environment="staging",
        state=store,
    )
    # Each environment manages only its own keys, deletion on: all three sets coexist.
    assert reveal(emu, app_id, "APP_DB_PASS") == "p"
    assert reveal(emu, app_id, "prod_DB_PASS_V1") == "prod-p"
    assert reveal(emu, app_id, "staging_DB_PASS_V1") == "stg-p"
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET
    assert env_map(emu, app_id)["LOG_LEVEL"]["value"] == "info"


def test_key_schema_boundary_is_kept_with_deletion_on(
    client: Client, emu: Emulator, store: Any
) -> None:
    app_id = emu.seed_app(make_spec(**SCHEMA_SPEC_EXTRA))["id"]
    before = env_map(emu, app_id)
    web_before = envs_of(emu, app_id, "web")

    first = client.sync(
        app_id, {"A": "1", "TOKEN": "t"}, key_schema="APP_{{secretKey}}", state=store
    )
    assert actions(first.changes) == {
        (None, "APP_A"): ("create", "missing"),
        (None, "APP_TOKEN"): ("update", "initial"),
        (None, "APP_STALE"): ("delete", "not_in_source"),
    }
    second = client.sync(
        app_id, {"B": "2", "TOKEN": "t"}, key_schema="APP_{{secretKey}}", state=store
    )
    assert actions(second.changes) == {
        (None, "APP_B"): ("create", "missing"),
        (None, "APP_TOKEN"): ("unchanged", "fingerprint_match"),
        (None, "APP_A"): ("delete", "removed_from_source"),
    }
    after = env_map(emu, app_id)
    assert set(after) == {"LOG_LEVEL", "API_KEY", "ZED", "URL", "APP_TOKEN", "APP_B"}
    for key in ("LOG_LEVEL", "API_KEY", "ZED", "URL"):
        assert after[key] == before[key], key  # the SECRET's EV string included
    assert envs_of(emu, app_id, "web") == web_before


def test_deletion_disabled_keeps_managed_keys(client: Client, emu: Emulator, store: Any) -> None:
    app_id = emu.seed_app(make_spec(**SCHEMA_SPEC_EXTRA))["id"]
    client.sync(
        app_id,
        {"A": "1"},
        key_schema="APP_{{secretKey}}",
        state=store,
        disable_secret_deletion=True,
    )
    result = client.sync(
        app_id,
        {"B": "2"},
        key_schema="APP_{{secretKey}}",
        state=store,
        disable_secret_deletion=True,
    )
    got = actions(result.changes)
    assert got[(None, "APP_A")] == ("unchanged", "deletion_disabled")
    assert got[(None, "APP_STALE")] == ("unchanged", "deletion_disabled")
    assert got[(None, "APP_TOKEN")] == ("unchanged", "deletion_disabled")
    assert result.deleted == []
    assert {"APP_A", "APP_B", "APP_STALE", "APP_TOKEN"} <= set(env_map(emu, app_id))
    assert reveal(emu, app_id, "APP_A") == "1"


@pytest.mark.parametrize(
    "secrets, kwargs",
    [
        ({"A": "1"}, {"key_schema": "APP_"}),  # no {{secretKey}}
        ({"A": "1"}, {"key_schema": "APP_{{secretKey}}!"}),  # bad character
        ({"A": "1"}, {"key_schema": "APP {{secretKey}}"}),  # space
        ({"A": "1"}, {"key_schema": "A" * 243 + "{{secretKey}}"}),  # 256 characters
        ({"A": "1"}, {"key_schema": "{{secretKey}}_{{secretKey}}"}),
        ({"A": "1"}, {"key_schema": "{{env}}_{{secretKey}}"}),
        ({"A": "1"}, {"key_schema": "{{environment}}_{{secretKey}}"}),  # no environment given
        ({"A": "1"}, {"key_schema": "APP-{{secretKey}}"}),  # valid schema, invalid keys
        ({"A": "1"}, {"key_schema": "{{environment}}_{{secretKey}}", "environment": "9x"}),
        ({"OK": "1", "not valid": "2"}, {}),  # invalid source key, no schema
        ({"OK": "1", "1ABC": "2"}, {}),
        ({"OK": "1", "": "2"}, {}),
    ],
)
@pytest.mark.parametrize("method", ["plan_sync", "sync"])
def test_invalid_schema_or_keys_raise_and_send_nothing(
    client: Client,
    emu: Emulator,
    store: Any,
    app_id: str,
    secrets: Any,
    kwargs: Any,
    method: str,
) -> None:
    before = spec_of(emu, app_id)
    with pytest.raises(ValueError):
        getattr(client, method)(app_id, secrets, state=store, **kwargs)
    assert emu.request_count() == 0
    assert spec_of(emu, app_id) == before
    assert store.state(app_id) == []


def test_schema_of_exactly_255_characters_is_accepted(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    schema = "A" * 242 + "{{secretKey}}"
    assert len(schema) == 255
    plan = client.plan_sync(app_id, {"B": "1"}, key_schema=schema, state=store)
    assert [c.key for c in plan.changes] == ["A" * 242 + "B"]


# ---------------------------------------------------------------------------
# Targets: app level and components
# ---------------------------------------------------------------------------


def test_components_target_writes_only_there(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    app_before = envs_of(emu, app_id)
    web_before = env_map(emu, app_id, "web")
    result = client.sync(
        app_id,
        {"DATABASE_URL": "${db.DATABASE_URL}", "SESSION_KEY": "sess"},
        components=["web"],
        state=store,
    )
    assert actions(result.changes) == {
        ("web", "DATABASE_URL"): ("unchanged", "value_match"),
        ("web", "SESSION_KEY"): ("create", "missing"),
    }
    web = env_map(emu, app_id, "web")
    assert web["DATABASE_URL"] == web_before["DATABASE_URL"]
    assert reveal(emu, app_id, "SESSION_KEY", "web") == "sess"
    assert envs_of(emu, app_id) == app_before
    assert envs_of(emu, app_id, "queue") == []
    assert {(r["target"], r["key"]) for r in store.state(app_id)} == {
        ("web", "DATABASE_URL"),
        ("web", "SESSION_KEY"),
    }


def test_same_keys_go_to_every_listed_component(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    result = client.sync(
        app_id,
        {"SESSION_KEY": "sess"},
        components=["web", "queue"],
        disable_secret_deletion=True,
        state=store,
    )
    assert result.created == ["SESSION_KEY"]  # deduplicated across targets
    creates = [(c.component, c.key) for c in result.changes if c.action == "create"]
    assert creates == [("web", "SESSION_KEY"), ("queue", "SESSION_KEY")]
    assert reveal(emu, app_id, "SESSION_KEY", "web") == "sess"
    assert reveal(emu, app_id, "SESSION_KEY", "queue") == "sess"
    assert "SESSION_KEY" not in env_map(emu, app_id)
    assert emu.request_count("PUT") == 1
    emu.clear_requests()
    noop = client.sync(
        app_id,
        {"SESSION_KEY": "sess"},
        components=["web", "queue"],
        disable_secret_deletion=True,
        state=store,
    )
    assert noop.deployment_id is None and emu.request_count() == 1


def test_unknown_component_names_the_available_ones(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    with pytest.raises(ValueError) as info:
        client.sync(app_id, {"A": "1"}, components=["web", "nope"], state=store)
    message = str(info.value)
    assert "nope" in message and "web" in message and "queue" in message
    assert emu.request_count("PUT") == 0
    assert store.state(app_id) == []


def test_component_env_shadowing_an_app_level_key_is_warned(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    plan = client.plan_sync(
        app_id,
        {"DATABASE_URL": "postgres://direct", "OTHER": "o"},
        disable_secret_deletion=True,
        state=store,
    )
    shadow = [w for w in plan.warnings if "web" in w and "DATABASE_URL" in w]
    assert len(shadow) == 1, plan.warnings
    assert not any("OTHER" in w for w in plan.warnings)
    result = plan.apply()
    assert any("web" in w and "DATABASE_URL" in w for w in result.warnings)
    quiet = client.plan_sync(app_id, {"OTHER": "o"}, disable_secret_deletion=True, state=store)
    assert not any("web" in w for w in quiet.warnings)


def test_bindable_values_pass_through_byte_identical(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    secrets = {
        "DB_URL": {"value": "${db.DATABASE_URL}", "type": "GENERAL"},
        "CALLBACK": {"value": "${APP_URL}/auth/callback?x=${_self.PRIVATE_URL}", "type": "GENERAL"},
    }
    result = client.sync(app_id, secrets, disable_secret_deletion=True, state=store)
    [put] = put_bodies(emu, app_id)
    sent = {e["key"]: e for e in json.loads(put)["spec"]["envs"]}
    assert sent["DB_URL"]["value"] == "${db.DATABASE_URL}"
    assert '"${APP_URL}/auth/callback?x=${_self.PRIVATE_URL}"' in put  # not even re-escaped
    envs = env_map(emu, app_id)
    assert envs["DB_URL"]["value"] == "${db.DATABASE_URL}"
    assert envs["CALLBACK"]["value"] == "${APP_URL}/auth/callback?x=${_self.PRIVATE_URL}"
    assert any("DB_URL" in w for w in result.warnings)
    assert any("CALLBACK" in w for w in result.warnings)
    emu.clear_requests()
    assert (
        client.sync(app_id, secrets, disable_secret_deletion=True, state=store).deployment_id
        is None
    )


# ---------------------------------------------------------------------------
# Initial sync behaviours
# ---------------------------------------------------------------------------


def test_overwrite_destination_replaces_and_deletes(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    result = client.sync(app_id, {"LOG_LEVEL": "debug"}, state=store)
    assert actions(result.changes) == {
        (None, "LOG_LEVEL"): ("update", "value_changed"),
        (None, "API_KEY"): ("delete", "not_in_source"),
    }
    assert set(env_map(emu, app_id)) == {"LOG_LEVEL"}
    assert env_map(emu, app_id, "web")["DATABASE_URL"]["value"] == "${db.DATABASE_URL}"


def test_import_prioritize_source_keeps_destination_only_keys(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    api_ev = env_map(emu, app_id)["API_KEY"]["value"]
    plan = client.plan_sync(
        app_id, {"NEW_KEY": "n"}, initial_sync_behavior="import-prioritize-source", state=store
    )
    assert plan.imports == {"LOG_LEVEL": "info"}
    assert actions(plan.changes) == {
        (None, "LOG_LEVEL"): ("unchanged", "imported_from_destination"),
        (None, "API_KEY"): ("unchanged", "secret_not_importable"),
        (None, "NEW_KEY"): ("create", "missing"),
    }
    [warning] = [w for w in plan.warnings if "API_KEY" in w]
    assert "import" in warning and "SECRET" in warning
    plan.apply()
    envs = env_map(emu, app_id)
    assert envs["LOG_LEVEL"]["value"] == "info"
    assert envs["API_KEY"]["value"] == api_ev
    assert reveal(emu, app_id, "NEW_KEY") == "n"


def test_import_prioritize_destination_keeps_destination_general_values(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    plan = client.plan_sync(
        app_id,
        {"LOG_LEVEL": "debug", "NEW_KEY": "n"},
        initial_sync_behavior="import-prioritize-destination",
        state=store,
    )
    assert plan.imports == {"LOG_LEVEL": "info"}
    got = actions(plan.changes)
    assert got[(None, "LOG_LEVEL")] == ("unchanged", "destination_prioritized")
    assert got[(None, "NEW_KEY")] == ("create", "missing")
    assert got[(None, "API_KEY")][0] == "unchanged"
    plan.apply()
    assert env_map(emu, app_id)["LOG_LEVEL"]["value"] == "info"


# ---------------------------------------------------------------------------
# remove_synced
# ---------------------------------------------------------------------------


def test_remove_synced_deletes_created_keys_and_restores_adopted_ones(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    original = env_map(emu, app_id)
    web_before = envs_of(emu, app_id, "web")
    client.sync(
        app_id,
        {
            "API_KEY": "rotated",
            "LOG_LEVEL": "debug",
            "NEW_ONE": "n1",
            "NEW_TWO": {"value": "n2", "type": "GENERAL"},
        },
        state=store,
    )
    assert reveal(emu, app_id, "API_KEY") == "rotated"
    origins = {r["key"]: r["origin"] for r in store.state(app_id)}
    assert origins == {
        "API_KEY": "adopted",
        "LOG_LEVEL": "adopted",
        "NEW_ONE": "created",
        "NEW_TWO": "created",
    }
    outside_update(emu, app_id, set_env("OTHER", "added-by-a-person"))
    other_ev = env_map(emu, app_id)["OTHER"]["value"]
    deployments = emu.deployment_count(app_id)
    emu.clear_requests()

    # The outside update's deployment may still be in flight: supersede it, not wait.
    result = client.remove_synced(app_id, state=store, if_deploying="proceed")

    assert sorted(result.deleted) == ["NEW_ONE", "NEW_TWO"]
    assert sorted(result.updated) == ["API_KEY", "LOG_LEVEL"]
    assert actions(result.changes)[(None, "NEW_ONE")] == ("delete", "created_by_sync")
    assert actions(result.changes)[(None, "API_KEY")] == ("update", "restore_original")
    assert [r.method for r in emu.requests()] == ["GET", "PUT"]
    assert emu.deployment_count(app_id) == deployments + 1
    after = env_map(emu, app_id)
    assert set(after) == {"LOG_LEVEL", "API_KEY", "OTHER"}
    assert after["API_KEY"] == original["API_KEY"]  # the very same EV string as before
    assert reveal(emu, app_id, "API_KEY") == CANARY_SECRET
    assert after["LOG_LEVEL"] == original["LOG_LEVEL"]
    assert after["OTHER"]["value"] == other_ev
    assert envs_of(emu, app_id, "web") == web_before
    assert store.state(app_id) == []
    emu.clear_requests()
    again = client.remove_synced(app_id, state=store)
    assert again.deployment_id is None and emu.request_count() == 1


# ---------------------------------------------------------------------------
# wait and rollback
# ---------------------------------------------------------------------------


def test_wait_follows_the_deployment_to_active(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    seen: list[str] = []
    result = client.sync(
        app_id, THREE, disable_secret_deletion=True, state=store, wait=True, progress=seen.append
    )
    assert result.deployment_phase == "ACTIVE"
    assert result.deployment_id is not None
    assert seen and any("ACTIVE" in s for s in seen)
    assert emu.request_count("PUT") == 1
    assert result.requests == emu.request_count()
    assert not result.rolled_back
    deployment = client.request("GET", f"/v2/apps/{app_id}/deployments/{result.deployment_id}")
    assert deployment["deployment"]["phase"] == "ACTIVE"


def test_rollback_on_failure_restores_the_previous_entries(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    client.sync(app_id, THREE, disable_secret_deletion=True, state=store)
    before = env_map(emu, app_id)
    emu.fail_next_deployment(app_id)
    emu.clear_requests()

    result = client.sync(
        app_id,
        {**THREE, "STRIPE_KEY": "sk-2", "EXTRA": "e"},
        disable_secret_deletion=True,
        state=store,
        wait=True,
        rollback_on_failure=True,
    )

    assert result.deployment_phase == "ERROR"
    assert result.rolled_back is True
    puts = put_bodies(emu, app_id)
    assert len(puts) == 2  # the change, then the previous entries
    rollback_envs = {e["key"]: e for e in json.loads(puts[1])["spec"]["envs"]}
    assert rollback_envs["STRIPE_KEY"]["value"] == before["STRIPE_KEY"]["value"]  # old EV re-sent
    after = env_map(emu, app_id)
    assert after == before
    assert reveal(emu, app_id, "STRIPE_KEY") == "sk-1"
    # The state follows the rollback: the previous source is up to date again.
    plan = client.plan_sync(app_id, THREE, disable_secret_deletion=True, state=store)
    assert not plan.has_changes, str(plan)
