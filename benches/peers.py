"""What env-sync tools do today, written with the official client (pydo).

A naive sync reads the app, sets the env entries and PUTs the spec back. It cannot tell
whether anything changed: SECRET values come back as `EV[...]` ciphertexts, so it PUTs every
time, and every PUT starts a deployment. Infisical's App Platform integration does the same
with one more read (GET the app, GET it again for the spec, PUT).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The emulator serves plain http on loopback; azure-core refuses bearer tokens over http
# unless told per request.
HTTP: dict[str, Any] = {"enforce_https": False}


def set_envs(spec: dict[str, Any], secrets: Mapping[str, str]) -> None:
    envs = [e for e in spec.get("envs", []) if e.get("key") not in secrets]
    envs += [
        {"key": k, "value": v, "type": "SECRET", "scope": "RUN_AND_BUILD_TIME"}
        for k, v in secrets.items()
    ]
    spec["envs"] = envs


def naive_sync(client: Any, app_id: str, secrets: Mapping[str, str]) -> None:
    app = client.apps.get(app_id, **HTTP)["app"]
    spec = app["spec"]
    set_envs(spec, secrets)
    client.apps.update(app_id, {"spec": spec}, **HTTP)


def infisical_sync(client: Any, app_id: str, secrets: Mapping[str, str]) -> None:
    client.apps.get(app_id, **HTTP)
    spec = client.apps.get(app_id, **HTTP)["app"]["spec"]
    set_envs(spec, secrets)
    client.apps.update(app_id, {"spec": spec}, **HTTP)
