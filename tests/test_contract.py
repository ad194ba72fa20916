"""Contract: every request body the client builds validates against the bundle's request schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from do_envsync import Client
from do_envsync.testing import Emulator

from .conftest import make_spec

BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "openapi" / "apps-bundle.json"


def _request_schemas() -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
    """The bundle, and (method, path template) -> request body schema ref."""
    bundle: dict[str, Any] = json.loads(BUNDLE.read_text())
    refs: dict[tuple[str, str], str] = {}
    for path, item in bundle["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody") if isinstance(op, dict) else None
            if body:
                refs[(method.upper(), path)] = body["content"]["application/json"]["schema"]["$ref"]
    return bundle, refs


def _template_matches(template: str, path: str) -> bool:
    t, p = template.split("/"), path.split("/")
    return len(t) == len(p) and all(a == b or a.startswith("{") for a, b in zip(t, p, strict=True))


def test_every_request_body_validates(client: Client, emu: Emulator) -> None:
    bundle, refs = _request_schemas()
    app = emu.seed_app(make_spec("contract", alerts=[{"rule": "DEPLOYMENT_FAILED"}]))
    app_id = app["id"]
    dep_id = app["active_deployment"]["id"]
    alert_id = client.apps.list_alerts(app_id)[0].id
    assert alert_id

    emu.clear_requests()
    client.apps.create(make_spec("contract-two"), project_id="b6bdf840-2854-4f87-a36c")
    fetched = client.apps.get(app_id).spec
    assert fetched is not None
    client.apps.update(app_id, fetched, update_all_source_versions=False)
    client.apps.restart(app_id, components=["web"])
    client.apps.create_deployment(app_id, force_build=True)
    client.apps.propose(make_spec("contract-three"), app_id=app_id)
    client.apps.assign_alert_destinations(
        app_id,
        alert_id,
        emails=["ops@example.com"],
        slack_webhooks=[{"url": "https://hooks.slack.com/services/T/B/X", "channel": "ops"}],
    )
    client.apps.validate_rollback(app_id, deployment_id=dep_id, skip_pin=False)
    client.apps.create_rollback(app_id, deployment_id=dep_id, skip_pin=True)
    client.apps.list_metrics_bandwidth_daily(app_ids=[app_id], date="2023-01-17T00:00:00Z")

    checked = set()
    for record in emu.requests():
        if record.body is None:
            continue
        matches = [
            ref
            for (method, template), ref in refs.items()
            if method == record.method and _template_matches(template, record.path)
        ]
        assert len(matches) == 1, (record.method, record.path)
        schema = {"$ref": matches[0], "components": bundle["components"]}
        jsonschema.validate(json.loads(record.body), schema)
        checked.add(matches[0])
    # Every operation of the bundle that takes a body was exercised.
    assert checked == set(refs.values())


def test_an_invalid_body_is_caught_by_the_same_check() -> None:
    """The check above can fail: a body of the wrong shape does not validate."""
    bundle, refs = _request_schemas()
    schema = {
        "$ref": refs[("POST", "/v2/apps/{app_id}/restart")],
        "components": bundle["components"],
    }
    try:
        jsonschema.validate({"components": "web"}, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("a string where an array is required validated")
