"""Bad input is refused with a precise message, and nothing is written anywhere.

For tokens, app ids, key schemas, environments, env keys (before and after rendering),
types, scopes, values (oversized, NUL), targets and malformed spec text: the exception
names what is wrong (asserted on the message), never echoes a secret value, and the
refusal comes before any request (the emulator saw none) and before any state write (the
state store has no record of the app). `test_sync.py` already checks that many of these
raise `ValueError`; here the messages are held to their content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import do_envsync
import pytest
from do_envsync import Client, _native
from do_envsync.models import AppSpec
from do_envsync.testing import Emulator

from .conftest import CANARY_SECRET, make_spec
from .test_sync import spec_of

MAX_VALUE = 128 * 1024


@pytest.fixture
def store(tmp_path: Path) -> Any:
    return do_envsync.Store(tmp_path / "bad-input" / "state.db")


@pytest.fixture
def app_id(emu: Emulator) -> str:
    app_id: str = emu.seed_app(make_spec())["id"]
    emu.clear_requests()
    return app_id


def assert_nothing_written(emu: Emulator, store: Any, app_id: str, before: Any) -> None:
    assert emu.request_count() == 0, [(r.method, r.path) for r in emu.requests()]
    assert spec_of(emu, app_id) == before
    assert store.state(app_id) == []
    assert app_id not in store.apps()


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "the API token is empty"),
        ("   \t", "the API token is empty"),
        ("dop_v1_t\u00f6ken", "the API token contains non-ASCII characters"),
        ("dop_v1_\u2603", "the API token contains non-ASCII characters"),
        ("dop_v1_abc\r\nX-Injected: 1", "the API token contains whitespace"),
        ("dop_v1_abc\n", "the API token contains whitespace"),
        (" dop_v1_abc", "the API token contains whitespace"),
        ("dop_v1 abc", "the API token contains whitespace"),
        ("dop_v1_abc\x00", "the API token contains characters not allowed in an HTTP header"),
        ("dop_v1_abc\x7f", "the API token contains characters not allowed in an HTTP header"),
    ],
)
def test_invalid_tokens_are_refused_before_any_request(
    emu: Emulator, token: str, message: str
) -> None:
    emu.clear_requests()
    with pytest.raises(ValueError) as info:
        Client(token, base_url=emu.base_url).account.get()
    text = str(info.value)
    assert message in text
    if token.strip():
        assert token.strip() not in text  # the token itself is never echoed
    assert emu.request_count() == 0


def test_a_wrong_but_well_formed_token_is_an_authentication_error(emu: Emulator) -> None:
    emu.clear_requests()
    with pytest.raises(do_envsync.AuthenticationError) as info:
        Client("dop_v1_" + "f" * 64, base_url=emu.base_url).account.get()
    assert info.value.message == "Unable to authenticate you."
    assert "f" * 64 not in str(info.value) + repr(info.value)


# ---------------------------------------------------------------------------
# App ids
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "shop",  # a name, not an id
        "../x",
        "..",
        "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf/../../account",
        "4f6c71e21e9047629fee6cc4a0a9f2cf",  # unhyphenated
        "{4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf}",
        "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf\n",
        "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cg",
    ],
)
@pytest.mark.parametrize("method", ["sync", "plan_sync", "remove_synced"])
def test_invalid_app_ids_are_refused_before_any_request(
    client: Client, emu: Emulator, store: Any, bad_id: str, method: str
) -> None:
    emu.clear_requests()
    args: tuple[Any, ...] = (bad_id,) if method == "remove_synced" else (bad_id, {"A": "1"})
    with pytest.raises(ValueError) as info:
        getattr(client, method)(*args, state=store)
    text = str(info.value)
    assert text.startswith(f"app id {json.dumps(bad_id)} is not an App Platform app id"), text
    assert "a UUID" in text
    assert emu.request_count() == 0
    assert store.apps() == []
    # No app lock file was created for it either (`.open.lock` is the store's own).
    lock_dir = Path(f"{store.path}.locks")
    assert [p.name for p in lock_dir.glob("*") if not p.name.startswith(".")] == []


# ---------------------------------------------------------------------------
# Key schemas, environments, keys, types, scopes, values, targets
# ---------------------------------------------------------------------------

BAD_SYNC_INPUT = [
    # Key schemas: each refusal says what is wrong and where.
    pytest.param({"A": "1"}, {"key_schema": ""}, ["key schema is empty"], id="schema-empty"),
    pytest.param(
        {"A": "1"},
        {"key_schema": "APP_"},
        ["key schema must contain {{secretKey}}"],
        id="schema-no-placeholder",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "APP {{secretKey}}"},
        ["key schema has the character ' ' at position 3", "only A-Z"],
        id="schema-space",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "APP_\u00c4_{{secretKey}}"},
        ["key schema has the character '\u00c4' at position 4"],
        id="schema-non-ascii",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "A" * 243 + "{{secretKey}}"},
        ["key schema is 256 characters long; at most 255 are allowed"],
        id="schema-too-long",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "{{secretKey}}_{{secretKey}}"},
        ["exactly once (found 2)"],
        id="schema-twice",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "{{secretKey}}_{{env}}"},
        ["unknown or malformed placeholder at position 14"],
        id="schema-unknown-placeholder",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "{{environment}}_{{secretKey}}"},
        ["uses {{environment}} but no environment was given"],
        id="schema-needs-environment",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "{{environment}}_{{secretKey}}", "environment": "prod eu"},
        ['environment "prod eu" is not a slug'],
        id="environment-not-a-slug",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "{{environment}}_{{secretKey}}", "environment": "x" * 65},
        ["is not a slug: 1-64 characters"],
        id="environment-too-long",
    ),
    # Env keys before rendering.
    pytest.param(
        {"1ABC": "1"}, {}, ['destination key "1ABC" (from source key "1ABC")'], id="key-digit-first"
    ),
    pytest.param(
        {"A-B": "1"}, {}, ['destination key "A-B"', "^[_A-Za-z][_A-Za-z0-9]*$"], id="key-dash"
    ),
    pytest.param({"": "1"}, {}, ["source key is empty"], id="key-empty"),
    pytest.param({"K\u00c9Y": "1"}, {}, ['destination key "K\u00c9Y"'], id="key-non-ascii"),
    pytest.param(
        {"OK": "1", "A B": "2", "C.D": "3"},
        {},
        ["2 destination key(s) are invalid; nothing was planned", '"A B"', '"C.D"'],
        id="keys-all-listed",
    ),
    # Env keys after rendering: valid source keys, invalid destination keys.
    pytest.param(
        {"A": "1"},
        {"key_schema": "APP-{{secretKey}}"},
        ['key schema "APP-{{secretKey}}" renders keys App Platform refuses (e.g. "APP-KEY")'],
        id="rendered-dash",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "{{environment}}_{{secretKey}}", "environment": "prod-eu"},
        ['renders keys App Platform refuses (e.g. "prod-eu_KEY")'],
        id="rendered-environment-dash",
    ),
    pytest.param(
        {"A": "1"},
        {"key_schema": "9_{{secretKey}}"},
        ['renders keys App Platform refuses (e.g. "9_KEY")', "^[_A-Za-z][_A-Za-z0-9]*$"],
        id="rendered-digit-first",
    ),
    # Types and scopes: the bad value and the accepted ones are named.
    pytest.param(
        {"A": {"value": "1", "type": "PLAIN"}},
        {},
        ["PLAIN", "GENERAL", "SECRET"],
        id="type-per-key",
    ),
    pytest.param(
        {"A": "1"}, {"var_type": "secret"}, ["secret", "GENERAL, SECRET"], id="type-default"
    ),
    pytest.param(
        {"A": {"value": "1", "scope": "ALWAYS"}},
        {},
        ["ALWAYS", "RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"],
        id="scope-per-key",
    ),
    pytest.param(
        {"A": "1"}, {"scope": "run_time"}, ["run_time", "RUN_AND_BUILD_TIME"], id="scope-default"
    ),
    pytest.param(
        {"A": "1"},
        {"initial_sync_behavior": "merge"},
        ["merge", "overwrite-destination, import-prioritize-source"],
        id="behavior",
    ),
    pytest.param(
        {"A": {"value": "1", "kind": "x"}}, {}, ["A: unknown field(s) ['kind']"], id="unknown-field"
    ),
    # Values.
    pytest.param(
        {"BIG": CANARY_SECRET + "x" * MAX_VALUE},
        {},
        [f'the value of "BIG" is {MAX_VALUE + len(CANARY_SECRET)} bytes; at most {MAX_VALUE}'],
        id="value-too-large",
    ),
    pytest.param(
        {"NUL": CANARY_SECRET + "\x00tail"},
        {},
        ['the value of "NUL" contains a NUL character'],
        id="value-nul",
    ),
    # Targets.
    pytest.param(
        {"A": "1"},
        {"components": []},
        ["the component target list is empty"],
        id="components-empty",
    ),
    pytest.param(
        {"A": "1"},
        {"components": ["web", "web"]},
        ['component name "web" is given more than once'],
        id="components-twice",
    ),
    pytest.param(
        {"A": "1"}, {"components": [""]}, ["component name is empty"], id="components-blank"
    ),
]


@pytest.mark.parametrize(("secrets", "kwargs", "messages"), BAD_SYNC_INPUT)
@pytest.mark.parametrize("method", ["plan_sync", "sync"])
def test_bad_sync_input_is_refused_precisely_and_writes_nothing(
    client: Client,
    emu: Emulator,
    store: Any,
    app_id: str,
    secrets: Any,
    kwargs: Any,
    messages: list[str],
    method: str,
) -> None:
    before = spec_of(emu, app_id)
    with pytest.raises(ValueError) as info:
        getattr(client, method)(app_id, secrets, state=store, **kwargs)
    text = str(info.value)
    for part in messages:
        assert part in text, text
    assert CANARY_SECRET not in text
    assert_nothing_written(emu, store, app_id, before)


def test_a_value_of_exactly_the_limit_is_accepted(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    plan = client.plan_sync(app_id, {"BIG": "x" * MAX_VALUE}, state=store)
    assert [c.action for c in plan.changes if c.key == "BIG"] == ["create"]


def test_non_string_secrets_are_type_errors(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    for secrets, message in [
        ({"A": 1}, "A: a value must be a string or a mapping with 'value'"),
        ({1: "x"}, "secret keys must be strings, not int"),
        ({"A": {"value": None}}, "A: 'value' must be a string"),
        (["A"], "secrets must be a mapping"),
    ]:
        with pytest.raises(TypeError) as info:
            client.sync(app_id, secrets, state=store)
        assert message in str(info.value)
    assert emu.request_count() == 0 and store.state(app_id) == []


def test_unknown_component_names_the_available_ones_and_writes_nothing(
    client: Client, emu: Emulator, store: Any, app_id: str
) -> None:
    before = spec_of(emu, app_id)
    with pytest.raises(ValueError) as info:
        client.sync(app_id, {"A": "1"}, components=["nope"], state=store)
    assert str(info.value) == 'unknown component "nope"; the app spec has: web, queue'
    # The app had to be read to know its components; nothing was written.
    assert [(r.method, r.path) for r in emu.requests()] == [("GET", f"/v2/apps/{app_id}")]
    assert spec_of(emu, app_id) == before
    assert store.state(app_id) == []


# ---------------------------------------------------------------------------
# Spec text
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: [",
            "invalid YAML app spec at line 2, column 1: did not find expected node content",
        ),
        (
            "\tname: shop",
            "at line 1, column 1: found character that cannot start any token",
        ),
        ("- a\n- b\n", "an app spec must be an object at the top level, found an array"),
        ("just text", "an app spec must be an object at the top level, found a string"),
        ("", "an app spec must be an object at the top level, found null"),
        # YAML reports the mapping holding the duplicate (and its path), JSON the key.
        ("name: shop\nregion: nyc\nname: other\n", 'at line 1, column 1: duplicate key "name"'),
        (
            "name: shop\nservices:\n- name: web\n  envs:\n  - key: A\n    value: x\n    value: y\n",
            'at line 5, column 5: services[0].envs[0]: duplicate key "value"',
        ),
        (
            "name: shop\nservices: {name: web, name: api}\n",
            'at line 2, column 11: services: duplicate key "name"',
        ),
    ],
)
def test_malformed_yaml_specs_are_refused_precisely(text: str, message: str) -> None:
    for parse in (_native.spec_yaml_to_json, AppSpec.from_yaml):
        with pytest.raises(ValueError) as info:
            parse(text)
        assert message in str(info.value), str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": ', "invalid JSON app spec at line 1, column 9: EOF while parsing a value"),
        ('{"name": "shop",}', "invalid JSON app spec at line 1, column 17: trailing comma"),
        ('{"name": "shop"} {}', "invalid JSON app spec at line 1, column 18: trailing characters"),
        ("[1]", "an app spec must be an object at the top level, found an array"),
        ("null", "an app spec must be an object at the top level, found null"),
        (
            '{"name": "shop", "name": "other"}',
            'invalid JSON app spec at line 1, column 23: duplicate key "name"',
        ),
        ('{"envs": [{"key": "A", "key": "B"}]}', 'duplicate key "key"'),
        (
            '{"name": "\\ud800"}',
            "invalid JSON app spec at line 1, column 17: unexpected end of hex escape",
        ),
    ],
)
def test_malformed_json_specs_are_refused_precisely(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        _native.spec_json_to_yaml(text)
    assert message in str(info.value), str(info.value)


def test_spec_errors_never_echo_values() -> None:
    text = f"name: shop\nenvs:\n- key: API_KEY\n  value: {CANARY_SECRET}\n  value: again\n"
    with pytest.raises(ValueError) as info:
        AppSpec.from_yaml(text)
    assert CANARY_SECRET not in str(info.value)
    assert 'duplicate key "value"' in str(info.value)
