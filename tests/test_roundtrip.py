"""GET -> PUT fidelity, pagination, models and the spec formats."""

from __future__ import annotations

import json
import urllib.request

import pytest
from do_envsync import Client, models
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec


def test_get_put_round_trip_is_byte_identical(client: Client, emu: Emulator) -> None:
    app = client.apps.create(make_spec())
    assert app.id
    # The spec text as the server sent it, read before the PUT (after it, the server holds
    # whatever the PUT sent, so a comparison with it could not show a change).
    served = (
        urllib.request.urlopen(
            urllib.request.Request(
                f"{emu.base_url}/v2/apps/{app.id}",
                headers={"Authorization": f"Bearer {emu.token}"},
            )
        )
        .read()
        .decode()
    )
    emu.clear_requests()
    fetched = client.apps.get(app.id)
    assert fetched.spec is not None
    client.apps.update(app.id, fetched.spec)
    get_rec, put_rec = emu.requests()
    assert (get_rec.method, put_rec.method) == ("GET", "PUT")
    # What went out is, byte for byte, the spec text the server sent.
    sent = put_rec.body
    assert sent is not None and sent.startswith('{"spec":{') and sent.endswith("}")
    spec_text = sent[len('{"spec":') : -1]
    assert '"spec":' + spec_text + "," in served
    assert json.loads(spec_text) == json.loads(served)["app"]["spec"]
    # ... and it is the spec the server holds, unknown fields and app-level envs included.
    stored = client.apps.get(app.id).spec
    assert stored is not None
    assert stored.to_dict() == fetched.spec.to_dict()
    d = stored.to_dict()
    assert d["features"] == ["buildpack-stack=ubuntu-22"]
    assert d["services"][0]["future_field"] == {"nested": [1, 2.5, None, "x"]}
    assert [e["key"] for e in d["envs"]] == ["LOG_LEVEL", "API_KEY"]
    assert list(d) == list(make_spec())  # key order kept


def test_secret_comes_back_encrypted_and_stays(client: Client, emu: Emulator) -> None:
    app = client.apps.create(make_spec())
    assert app.spec is not None and app.spec.envs is not None and app.id
    secret = app.spec.envs[1]
    assert secret.value is not None and secret.value.startswith("EV[")
    assert emu.reveal_secret(secret.value) == CANARY_SECRET
    again = client.apps.update(app.id, app.spec)
    assert again.spec is not None and again.spec.envs is not None
    assert again.spec.envs[1].value == secret.value


def test_models_attribute_access_and_repr(client: Client) -> None:
    app = client.apps.create(make_spec())
    assert isinstance(app, models.App)
    spec = app.spec
    assert isinstance(spec, models.AppSpec)
    assert spec.name == "shop"
    assert spec.services is not None
    web = spec.services[0]
    assert isinstance(web, models.AppServiceSpec)
    assert web.instance_count == 2 and web.http_port == 8080
    env = spec.envs[1] if spec.envs else None
    assert isinstance(env, models.AppVariableDefinition)
    assert env.type == "SECRET"
    text = repr(app) + repr(spec) + repr(env) + str(env)
    assert CANARY_SECRET not in text
    assert "EV[1:" not in text
    assert "shop" in repr(spec)
    # Mutations through attributes land in the exact JSON.
    web.instance_count = 3
    assert spec.to_dict()["services"][0]["instance_count"] == 3


def test_from_dict_checks_and_copies() -> None:
    data = make_spec()
    spec = models.AppSpec.from_dict(data)
    data["name"] = "changed"
    assert spec.name == "shop"
    assert spec.to_dict() == make_spec()
    with pytest.raises(TypeError):
        models.AppSpec.from_dict([1, 2])  # type: ignore[arg-type]


def test_yaml_round_trip() -> None:
    spec = models.AppSpec.from_dict(make_spec())
    text = spec.to_yaml()
    assert "name: shop" in text
    back = models.AppSpec.from_yaml(text)
    assert back.to_dict() == spec.to_dict()
    assert models.AppSpec.from_json(spec.to_json()).to_dict() == spec.to_dict()
    with pytest.raises(ValueError):
        models.AppSpec.from_yaml("name: [unclosed")


def test_list_iterates_across_pages_lazily(client: Client, emu: Emulator) -> None:
    for i in range(450):
        emu.seed_app(make_spec(f"app-{i:03d}"))
    emu.clear_requests()
    it = client.apps.list()
    first = next(it)
    assert first.spec is not None
    assert emu.request_count("GET", "/v2/apps") == 1  # one page fetched so far
    names = [first.spec.name] + [a.spec.name for a in it if a.spec is not None]
    assert len(names) == 450 and len(set(names)) == 450
    reqs = [r for r in emu.requests() if r.path == "/v2/apps"]
    assert len(reqs) == 3
    assert all("per_page=200" in (r.query or "") for r in reqs)


def test_list_deployments_pages(client: Client, emu: Emulator) -> None:
    app = client.apps.create(make_spec())
    assert app.id and app.spec
    for _ in range(4):
        client.apps.update(app.id, app.spec)
    deps = list(client.apps.list_deployments(app.id))
    assert len(deps) == 5 == emu.deployment_count(app.id)


def test_body_decoding_keeps_what_orjson_refuses() -> None:
    import json

    from do_envsync._transport import loads

    body = b'{"z": 1, "a": [1.5, null, "\\u00e9"], "big": 123456789012345678901234567890}'
    assert loads(body) == json.loads(body)
    assert list(loads(body)) == ["z", "a", "big"]  # document order kept
