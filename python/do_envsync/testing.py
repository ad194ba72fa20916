"""Test helpers: the in-process App Platform emulator (like moto for AWS), and a stand-in
for Infisical's secrets API to test Infisical sources against.

from do_envsync.testing import Emulator

with Emulator() as emu:
    client = emu.client()
    app = client.apps.create({"name": "web", "region": "nyc"})
    assert emu.deployment_count(app.id) == 1
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import _native
from .client import AsyncClient, Client

__all__ = ["Emulator", "InfisicalStandIn", "RequestRecord"]


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered (admin requests excluded)."""

    method: str
    path: str
    query: str | None
    status: int
    body: str | None
    ts: float
    response_ms: float
    retry_after: int | None = None
    """The `retry-after` seconds of the response (burst-limit 429s, injected faults)."""


class Emulator(_native.Emulator):
    """A faithful, stateful App Platform on a loopback port, served from a background thread.

    Rate limits (`burst_limit` per `burst_window` seconds, default 250 per 60 s, and
    `hourly_limit` per `hourly_window`, default 5000 per 3600 s) with DigitalOcean's
    `ratelimit-*` headers and burst-limit 429s (`retry-after`), SECRET encryption to
    `EV[...]`, deployments advancing through their phases every `phase_duration` seconds,
    a request log and fault injection (`add_fault`).

    The main token is full access unless `token_scopes` (e.g. `["app:read"]`) is given;
    `add_token(scopes)` makes more tokens, custom-scoped like DigitalOcean's (docs/tokens.md).
    """

    def client(self, **kwargs: Any) -> Client:
        """A blocking client pointed at this emulator with its token."""
        return Client(self.token, base_url=self.base_url, **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncClient:
        """An asyncio client pointed at this emulator with its token."""
        return AsyncClient(self.token, base_url=self.base_url, **kwargs)

    def requests(self) -> list[RequestRecord]:
        """Every request answered since the start (or the last `clear_requests`/`reset`).
        SECRET plaintexts in bodies are sealed as `[REDACTED EV[...]]`: `reveal_secret`
        gives them back."""
        fields = RequestRecord.__dataclass_fields__
        return [
            RequestRecord(**{k: v for k, v in r.items() if k in fields})
            for r in json.loads(self.requests_json())
        ]

    def seed_app(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Creates an app directly (no HTTP, no rate-limit use, not logged): fast fixtures."""
        app: dict[str, Any] = json.loads(self.seed_app_json(json.dumps(spec)))
        return app

    def start_push_deployment(self, app_id: str, *, cause: str | None = None) -> dict[str, Any]:
        """Starts a deployment as a git push would ("someone else's"; not logged, no rate-limit
        use): it supersedes one in flight and advances like any other. With a long
        `phase_duration` it stays in flight until `finish_deployment`. Returns it as the API
        renders it."""
        deployment: dict[str, Any] = json.loads(self.start_push_deployment_json(app_id, cause))
        return deployment

    def finish_deployment(self, app_id: str, deployment_id: str) -> dict[str, Any]:
        """Ends a deployment in flight now: ACTIVE (ERROR if it was marked to fail)."""
        deployment: dict[str, Any] = json.loads(self.finish_deployment_json(app_id, deployment_id))
        return deployment

    def apps(self) -> list[dict[str, Any]]:
        """Every stored app, as `GET /v2/apps/{id}` would return it."""
        data = json.loads(self.apps_json())
        apps: list[dict[str, Any]] = data.get("apps", data) if isinstance(data, dict) else data
        return apps


class InfisicalStandIn(_native.InfisicalStandIn):
    """A small local Infisical: universal-auth login (`POST /api/v1/auth/universal-auth/login`)
    and raw secrets (`GET /api/v3/secrets/raw`), on a loopback port.

        with InfisicalStandIn() as inf:
            inf.set_secret("prod", "/", "STRIPE_KEY", "sk_...")
            source = sources.infisical(inf.project_id, "prod", client_id=inf.client_id,
                                       client_secret=inf.client_secret, site_url=inf.base_url)
    """
