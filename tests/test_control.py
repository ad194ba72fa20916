"""Connections, syncs and runs from the Python API (`store.connections`, `store.syncs`)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from do_envsync import (
    AlreadyExistsError,
    AuthenticationError,
    ConfigurationError,
    ConnectionInUseError,
    ObjectNotFoundError,
    SourceError,
    Store,
    SyncDisabledError,
    SyncRunError,
    UnsupportedFieldError,
    sources,
)
from do_envsync.display import runs_html, runs_table
from do_envsync.testing import Emulator

from .conftest import CANARY_LITERALS, CANARY_SECRET, make_spec

CANARY_INLINE = "canary-inline-3c9e1f7a55"
CANARY_LITERALS.add(CANARY_INLINE)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(str(tmp_path / "control" / "state.db"))


def _files(store: Store) -> bytes:
    out = b""
    for p in Path(store.path).parent.rglob("*"):
        if p.is_file():
            out += p.read_bytes()
    return out


def test_connection_crud_and_patch(store: Store, emu: Emulator) -> None:
    conn = store.connections.create("main", emu.token, description="d", base_url=emu.base_url)
    assert conn.version == 1 and conn.description == "d"
    assert store.connections.get(conn.id) == store.connections.get("main")
    d = conn.to_dict()["appConnection"]
    assert d["credentials"] == {} and d["app"] == "digital-ocean" and d["method"] == "api-token"
    for field in ("isPlatformManagedCredentials", "gatewayId", "isAutoRotationEnabled", "rotation"):
        assert field in d
    assert emu.token not in repr(conn) and emu.token not in str(d)

    time.sleep(0.01)
    renamed = store.connections.update("main", name="primary")
    assert renamed.name == "primary" and renamed.description == "d"  # only given fields change
    assert renamed.version == 2 and renamed.updated_at > conn.updated_at
    with pytest.raises(ObjectNotFoundError):
        store.connections.get("main")
    with pytest.raises(ConfigurationError):
        store.connections.update("primary")  # nothing to change
    assert [c.id for c in store.connections.list()] == [conn.id]
    store.connections.delete("primary")
    assert store.connections.list() == []


@pytest.mark.parametrize(
    "field",
    ["is_platform_managed_credentials", "gateway_id", "is_auto_rotation_enabled", "rotation"],
)
def test_unsupported_connection_fields(store: Store, emu: Emulator, field: str) -> None:
    value: object = True if "enabled" in field or "managed" in field else "x"
    with pytest.raises(UnsupportedFieldError) as info:
        store.connections.create("c", emu.token, base_url=emu.base_url, **{field: value})
    assert "not supported" in str(info.value)
    assert store.connections.list() == []
    assert emu.request_count() == 0  # refused before any request


def test_connection_validation(store: Store, emu: Emulator) -> None:
    with pytest.raises(AuthenticationError) as info:
        store.connections.create("c", "dop_v1_wrong", base_url=emu.base_url)
    assert "Unable to authenticate you" in str(info.value)
    with pytest.raises(ConfigurationError, match="name"):
        store.connections.create("Not A Slug", emu.token, base_url=emu.base_url)
    with pytest.raises(ConfigurationError, match="256"):
        store.connections.create("c", emu.token, description="x" * 257, base_url=emu.base_url)
    with pytest.raises(ConfigurationError):
        store.connections.create("c", emu.token, unknown_field=1, base_url=emu.base_url)
    assert store.connections.list() == []
    store.connections.create("c", emu.token, base_url=emu.base_url)
    with pytest.raises(AlreadyExistsError):
        store.connections.create("c", emu.token, base_url=emu.base_url)


def test_inline_sync_runs_and_records(store: Store, emu: Emulator) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    sync = store.syncs.create(
        "inline",
        connection="emu",
        app=app["id"],
        source=sources.inline({"PASSWORD": CANARY_INLINE}),
        options={"key_schema": "IN_{{secretKey}}", "default_type": "SECRET"},
    )
    assert sync.app_name == "shop" and sync.app_id == app["id"]
    assert CANARY_INLINE not in repr(sync) and CANARY_INLINE not in str(sync.to_dict())
    plan = store.syncs.plan("inline")
    assert [c.key for c in plan.changes if c.action == "create"] == ["IN_PASSWORD"]

    run = store.syncs.run("inline")
    assert run.ok and run.created == ["IN_PASSWORD"] and run.deployment_id
    assert CANARY_INLINE not in str(run) and CANARY_INLINE not in repr(run)
    noop = store.syncs.run("inline")
    assert noop.deployment_id is None and noop.created == []
    history = store.syncs.history("inline")
    assert [r.id for r in history] == [noop.id, run.id]
    assert "succeeded" in runs_table(history) and "<table>" in runs_html(history)
    assert "succeeded" in run._repr_html_() and CANARY_INLINE not in current_html(store)
    current = store.syncs.get("inline")
    assert current.last_sync_job_id == noop.id and current.sync_status == "succeeded"

    # Inline values are encrypted at rest like tokens.
    assert CANARY_INLINE.encode() not in _files(store)
    assert emu.token.encode() not in _files(store)
    assert CANARY_SECRET.encode() not in _files(store)


def test_failed_run_raises_with_record(store: Store, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    missing = tmp_path / "nope.env"
    with pytest.raises(ConfigurationError):
        store.syncs.create("s", "emu", app["id"], source=sources.dotenv(missing))
    env = tmp_path / ".env"
    env.write_text("K=v\n")
    store.syncs.create("s", "emu", app["id"], source=env)
    env.unlink()
    with pytest.raises(SyncRunError) as info:
        store.syncs.run("s")
    assert isinstance(info.value.__cause__, SourceError)
    assert info.value.run is not None and info.value.run.status == "failed"
    assert emu.request_count(method="PUT") == 0
    assert store.syncs.get("s").sync_status == "failed"

    store.syncs.update("s", is_enabled=False)
    with pytest.raises(SyncDisabledError):
        store.syncs.run("s")
    with pytest.raises(ConnectionInUseError):
        store.connections.delete("emu")
    store.connections.delete("emu", force=True)
    assert store.syncs.list() == []


def test_sync_update_patch_and_overlap(store: Store, emu: Emulator) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    a = store.syncs.create(
        "a", "emu", "shop", sources.inline({"X": "1"}), {"key_schema": "A_{{secretKey}}"}
    )
    b = store.syncs.create(
        "b", "emu", "shop", sources.inline({"X": "1"}), {"key_schema": "B_{{secretKey}}"}
    )
    with pytest.raises(AlreadyExistsError, match="a"):
        store.syncs.update("b", options={"key_schema": "A_{{secretKey}}"})
    assert store.syncs.get("b").version == b.version
    moved = store.syncs.update("a", options={"environment": "prod"}, description="x")
    assert moved.version == a.version + 1 and moved.options["keySchema"] == "A_{{secretKey}}"
    d = moved.to_dict()["secretSync"]
    # `{{environment}}` lives in syncOptions; the top-level field is Infisical's own
    # (an object for an Infisical source, null here).
    assert d["syncOptions"]["environment"] == "prod" and d["environment"] is None
    assert moved.environment == "prod" and moved.app_id == app["id"]


def test_watch_with_stop_event(store: Store, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    env = tmp_path / ".env"
    env.write_text("V=1\n")
    store.syncs.create("w", "emu", "shop", env, {"key_schema": "W_{{secretKey}}"})
    events: list[str] = []
    stop = threading.Event()
    done: list[object] = []

    def body() -> None:
        done.append(store.watch(on_event=events.append, debounce=0.05, stop=stop))

    t = threading.Thread(target=body)
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not any("succeeded" in e for e in events):
            assert time.monotonic() < deadline, f"watch did not run; events: {events}"
            time.sleep(0.05)
        env.write_text("V=2\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            app_now = next(a for a in emu.apps() if a["id"] == app["id"])
            values = {e["key"]: e.get("value") for e in app_now["spec"]["envs"]}
            if "W_V" in values and emu.reveal_secret(str(values["W_V"])) == "2":
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"watch did not sync the change; events: {events}")
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive() and done
    assert len(store.syncs.history("w")) >= 2


def test_remove_secrets_keeps_another_syncs_keys(store: Store, emu: Emulator) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    store.syncs.create(
        "a", "emu", "shop", sources.inline({"X": "1"}), {"key_schema": "A_{{secretKey}}"}
    )
    store.syncs.create(
        "b", "emu", "shop", sources.inline({"X": "2"}), {"key_schema": "B_{{secretKey}}"}
    )
    store.syncs.run("a")
    store.syncs.run("b")
    removed = store.syncs.remove_secrets("a")
    assert removed.deleted == ["A_X"]
    keys = {e["key"] for e in next(x for x in emu.apps() if x["id"] == app["id"])["spec"]["envs"]}
    assert "B_X" in keys and "A_X" not in keys and {"LOG_LEVEL", "API_KEY"} <= keys
    # b's record survived a's removal: b's next run is a no-op, its removal still works.
    assert store.syncs.run("b").deployment_id is None
    assert store.syncs.remove_secrets("b").deleted == ["B_X"]


def test_empty_source_is_refused(store: Store, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    env = tmp_path / ".env"
    env.write_text("K=v\n")
    store.syncs.create("s", "emu", "shop", env, {"key_schema": "E_{{secretKey}}"})
    store.syncs.run("s")
    env.write_text("# everything commented out\n")
    with pytest.raises(SyncRunError, match="no secrets") as info:
        store.syncs.run("s")
    assert isinstance(info.value.__cause__, SourceError)
    keys = {e["key"] for e in next(x for x in emu.apps() if x["id"] == app["id"])["spec"]["envs"]}
    assert "E_K" in keys
    store.syncs.create(
        "p", "emu", "shop", sources.env("NO_SUCH_PREFIX_"), {"key_schema": "P_{{secretKey}}"}
    )
    with pytest.raises(SyncRunError, match="no secrets"):
        store.syncs.run("p")


def current_html(store: Store) -> str:
    return "".join(s._repr_html_() for s in store.syncs.list())


def _env_keys(emu: Emulator, app_id: str) -> set[str]:
    app = next(x for x in emu.apps() if x["id"] == app_id)
    return {e["key"] for e in app["spec"].get("envs", [])}


def test_delete_with_remove_secrets(store: Store, emu: Emulator) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    for name, schema in (("a", "A_{{secretKey}}"), ("b", "B_{{secretKey}}")):
        store.syncs.create(name, "emu", "shop", sources.inline({"X": "1"}), {"key_schema": schema})
        store.syncs.run(name)
    unmanaged = _env_keys(emu, app["id"]) - {"A_X", "B_X"}
    assert unmanaged and {"A_X", "B_X"} <= _env_keys(emu, app["id"])

    emu.clear_requests()
    gone = store.syncs.delete("a", remove_secrets=True)
    # Only a's key went, in one PUT; b's key and the keys nobody manages stay.
    assert emu.request_count(method="PUT") == 1
    assert _env_keys(emu, app["id"]) == unmanaged | {"B_X"}
    assert gone.name == "a" and gone.remove_status == "succeeded"
    assert gone.last_remove_job_id is not None and gone.last_removed_at is not None
    assert gone.last_remove_message is not None and "deleted 1" in gone.last_remove_message
    with pytest.raises(ObjectNotFoundError):
        store.syncs.get("a")
    assert [s.name for s in store.syncs.list()] == ["b"]

    # The default deletes the record only, without a single request.
    emu.clear_requests()
    store.syncs.delete("b")
    assert emu.requests() == [] and "B_X" in _env_keys(emu, app["id"])


def test_failed_removal_keeps_the_sync(store: Store, emu: Emulator) -> None:
    app = emu.seed_app(make_spec("shop"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    store.syncs.create(
        "a", "emu", "shop", sources.inline({"X": "1"}), {"key_schema": "A_{{secretKey}}"}
    )
    store.syncs.run("a")
    emu.add_fault("status", method="PUT", path=f"^/v2/apps/{app['id']}$", status=500)
    with pytest.raises(SyncRunError, match="was not deleted") as info:
        store.syncs.delete("a", remove_secrets=True)
    assert info.value.run is not None and info.value.run.status == "failed"
    assert info.value.__cause__ is not None
    kept = store.syncs.get("a")
    assert kept.remove_status == "failed" and "A_X" in _env_keys(emu, app["id"])
    assert store.syncs.history("a")[0].id == info.value.run.id
    emu.clear_faults()
    store.syncs.delete("a", remove_secrets=True)
    assert "A_X" not in _env_keys(emu, app["id"])


def test_connection_apps_are_listed_lazily(store: Store, emu: Emulator) -> None:
    from do_envsync.models import App

    for i in range(450):
        emu.seed_app(make_spec(f"app-{i:03d}"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    emu.clear_requests()
    apps = store.connections.apps("emu")
    assert emu.request_count(method="GET", path="/v2/apps") == 0  # nothing until iterated
    first = next(apps)
    assert isinstance(first, App) and first.spec is not None
    assert emu.request_count(method="GET", path="/v2/apps") == 1  # one page, not all three
    names = [first.spec.name] + [a.spec.name for a in apps if a.spec is not None]
    assert sorted(names) == [f"app-{i:03d}" for i in range(450)]
    assert emu.request_count(method="GET", path="/v2/apps") == 3  # 200 + 200 + 50

    emu.clear_requests()
    with pytest.raises(ObjectNotFoundError) as info:
        store.connections.apps("nope")
    assert info.value.kind == "connection" and emu.requests() == []


_INFISICAL_SYNC_KEYS = {
    # Infisical's App Platform sync as its API answers it (zod BaseSecretSyncSchema + the
    # DigitalOcean extension): key -> allowed JSON types.
    "id": (str,),
    "name": (str,),
    "description": (str, type(None)),
    "destination": (str,),
    "isAutoSyncEnabled": (bool,),
    "version": (int,),
    "destinationConfig": (dict,),
    "syncOptions": (dict,),
    "projectId": (str, type(None)),
    "folderId": (str, type(None)),
    "connectionId": (str,),
    "createdAt": (str,),
    "updatedAt": (str,),
    "syncStatus": (str, type(None)),
    "lastSyncJobId": (str, type(None)),
    "lastSyncMessage": (str, type(None)),
    "lastSyncedAt": (str, type(None)),
    "importStatus": (str, type(None)),
    "lastImportJobId": (str, type(None)),
    "lastImportMessage": (str, type(None)),
    "lastImportedAt": (str, type(None)),
    "removeStatus": (str, type(None)),
    "lastRemoveJobId": (str, type(None)),
    "lastRemoveMessage": (str, type(None)),
    "lastRemovedAt": (str, type(None)),
    "connection": (dict,),
    "environment": (dict, type(None)),
    "folder": (dict, type(None)),
}


def test_to_dict_has_infisicals_api_shape(store: Store, emu: Emulator) -> None:
    emu.seed_app(make_spec("shop"))
    conn = store.connections.create("emu", emu.token, base_url=emu.base_url).to_dict()
    c = conn["appConnection"]
    assert {"orgId", "projectId", "project"} <= c.keys()
    assert c["orgId"] is None and c["projectId"] is None and c["app"] == "digital-ocean"

    # The docs' "digital-ocean" is accepted as an alias on input; output is the API's name.
    sync = store.syncs.create(
        "s",
        "emu",
        "shop",
        sources.inline({"X": "1"}),
        {
            "key_schema": "S_{{environment}}_{{secretKey}}",
            "environment": "prod",
            "auto_sync_enabled": False,
        },
        destination="digital-ocean",
    )
    d = sync.to_dict()["secretSync"]
    for key, types in _INFISICAL_SYNC_KEYS.items():
        assert key in d, key
        assert isinstance(d[key], types), key
        assert (bool in types) == isinstance(d[key], bool), key  # bools are not ints here
    assert d["destination"] == "digital-ocean-app-platform"
    assert d["isAutoSyncEnabled"] is False and d["connection"]["app"] == "digital-ocean"
    assert d["environment"] is None and d["projectId"] is None and d["folder"] is None
    assert d["syncOptions"]["environment"] == "prod" and sync.environment == "prod"
    with pytest.raises(ConfigurationError) as info:
        store.syncs.create(
            "t",
            "emu",
            "shop",
            sources.inline({"X": "1"}),
            {"key_schema": "T_{{secretKey}}"},
            destination="heroku",
        )
    assert info.value.field == "destination"
    assert [s.name for s in store.syncs.list()] == ["s"]

    inf = store.syncs.create(
        "inf",
        "emu",
        "shop",
        sources.infisical(
            "proj-9",
            "staging",
            client_id="cid",
            client_secret_env="TEST_CONTROL_UNSET_SECRET",
            secret_path="/web",
        ),
        {"key_schema": "I_{{secretKey}}"},
    ).to_dict()["secretSync"]
    assert inf["projectId"] == "proj-9"
    assert inf["environment"] == {"slug": "staging", "name": None, "id": None}
    assert inf["folder"] == {"id": None, "path": "/web"}
