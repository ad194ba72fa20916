"""`Client` (blocking) and `AsyncClient` (asyncio): the same surface over one Rust core.

All I/O runs in Rust on one shared tokio runtime. The blocking client releases the GIL
while it waits (other Python threads keep running) and checks for Ctrl-C every few
milliseconds, so a long call (retries, rate-limit pacing) can always be interrupted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from . import _native
from ._operations import AccountAPI, AppsAPI, AsyncAccountAPI, AsyncAppsAPI
from ._transport import Query, dumps, encode_query, loads
from .sync import (
    AsyncSyncPlan,
    FleetProgress,
    FleetResult,
    Secrets,
    Store,
    SyncPlan,
    SyncResult,
    fleet_targets,
    open_store,
    secret_tuples,
)

__all__ = ["AsyncClient", "Client", "RateLimit"]


class RateLimit(NamedTuple):
    """The last `ratelimit-*` headers DigitalOcean sent."""

    limit: int
    """Requests allowed in the window (`ratelimit-limit`)."""
    remaining: int
    """Requests left (`ratelimit-remaining`)."""
    reset: int
    """Unix time at which the oldest request of the window expires (`ratelimit-reset`)."""


def _params(params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> Query:
    if params is None:
        return []
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    return encode_query(pairs)


def _decode(body: bytes) -> Any:
    return loads(body) if body else None


def _settings(
    timeout: float | None,
    max_attempts: int | None,
    retry_budget: float | None,
) -> dict[str, Any]:
    return {"timeout": timeout, "max_attempts": max_attempts, "retry_budget": retry_budget}


class Client:
    """Blocking DigitalOcean client.

    `token` defaults to `$DIGITALOCEAN_TOKEN`, then `$DIGITALOCEAN_ACCESS_TOKEN`. `base_url`
    defaults to https://api.digitalocean.com; plain `http://` is accepted for loopback only
    (the emulator). Retries (GET/PUT/DELETE and read-only POSTs, on 429/5xx/transport
    errors) use capped exponential backoff with full jitter: `max_attempts` tries within
    `retry_budget` seconds. Pacing keeps requests under the rate limit the headers report
    and under `burst_limit` requests per minute (default: DigitalOcean's 250); the headers
    do not reveal the burst budget, so set it if your account's is lower.
    """

    apps: AppsAPI
    """Every App Platform operation (`client.apps.list()`, `client.apps.get(app_id)`, ...)."""
    account: AccountAPI
    """`client.account.get()`."""

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_budget: float | None = None,
        pacing: bool = True,
        burst_limit: int | None = None,
    ) -> None:
        self._native = _native.NativeClient(
            token,
            base_url=base_url,
            pacing=pacing,
            burst_limit=burst_limit,
            **_settings(timeout, max_attempts, retry_budget),
        )
        self.apps = AppsAPI(self._native)
        self.account = AccountAPI(self._native)

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def rate_limit(self) -> RateLimit | None:
        """The last rate-limit headers seen, or None before the first response."""
        rl = self._native.rate_limit()
        return None if rl is None else RateLimit(*rl)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = None,
    ) -> Any:
        """Call any endpoint (`/v2/...`) with the same auth, retries and pacing.

        Returns the decoded JSON body (None for an empty body).
        """
        body = None if json is None else dumps(json)
        return _decode(self._native.request(method, path, _params(params), body))

    def plan_sync(
        self,
        app_id: str,
        secrets: Secrets,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str = "overwrite-destination",
        components: Sequence[str] | None = None,
        var_type: str = "SECRET",
        scope: str = "RUN_AND_BUILD_TIME",
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
        state: Store | str | os.PathLike[str] | None = None,
    ) -> SyncPlan:
        """Reads the app (one GET) and plans keeping its env vars equal to `secrets`.

        Changes nothing. `key_schema` (e.g. "APP_{{secretKey}}") bounds which destination
        keys the sync manages; `components` targets components instead of the app level;
        `var_type`/`scope` apply to new keys (per key: {"value", "type", "scope"}).
        `state` is the store (default: `Store()`).
        """
        native = self._native.plan_sync(
            app_id,
            secret_tuples(secrets),
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            disable_secret_deletion=disable_secret_deletion,
            initial_sync_behavior=initial_sync_behavior,
            components=None if components is None else list(components),
            var_type=var_type,
            scope=scope,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
        )
        return SyncPlan(native)

    def sync(
        self,
        app_id: str,
        secrets: Secrets,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str = "overwrite-destination",
        components: Sequence[str] | None = None,
        var_type: str = "SECRET",
        scope: str = "RUN_AND_BUILD_TIME",
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
        state: Store | str | os.PathLike[str] | None = None,
        wait: bool = False,
        rollback_on_failure: bool = False,
        progress: Callable[[str], None] | None = None,
        lock_timeout: float = 30.0,
    ) -> SyncResult:
        """Plans and applies under the app's lock: 1 request when nothing changed, 2 (GET,
        PUT) when something did. With `wait`, follows the deployment (`progress` gets each
        phase); with `rollback_on_failure`, puts the previous entries back if it fails.

        A deployment already in flight (e.g. from a git push) would be superseded by the PUT:
        `if_deploying="wait"` waits for it to end (up to `deploy_wait_timeout` seconds, then
        `DeploymentInProgressError`) and reads the app again, `"proceed"` supersedes it
        (`SyncResult.superseded_deployment_id`), `"fail"` raises `DeploymentInProgressError`.
        A sync with nothing to change never waits."""
        text = self._native.sync(
            app_id,
            secret_tuples(secrets),
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            disable_secret_deletion=disable_secret_deletion,
            initial_sync_behavior=initial_sync_behavior,
            components=None if components is None else list(components),
            var_type=var_type,
            scope=scope,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
            wait=wait,
            rollback_on_failure=rollback_on_failure,
            progress=progress,
            lock_timeout=lock_timeout,
        )
        return SyncResult.from_json(text)

    def remove_synced(
        self,
        app_id: str,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        components: Sequence[str] | None = None,
        state: Store | str | os.PathLike[str] | None = None,
        wait: bool = False,
        lock_timeout: float = 30.0,
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
    ) -> SyncResult:
        """Removes the keys this sync created and restores the keys it adopted to their
        entries from before (their original `EV[...]` strings). Touches nothing else."""
        text = self._native.remove_synced(
            app_id,
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            components=None if components is None else list(components),
            wait=wait,
            lock_timeout=lock_timeout,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
        )
        return SyncResult.from_json(text)

    def sync_fleet(
        self,
        fleet: Mapping[str, Secrets],
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str = "overwrite-destination",
        components: Sequence[str] | None = None,
        var_type: str = "SECRET",
        scope: str = "RUN_AND_BUILD_TIME",
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
        state: Store | str | os.PathLike[str] | None = None,
        concurrency: int = 8,
        progress: FleetProgress | None = None,
        lock_timeout: float = 30.0,
    ) -> FleetResult:
        """Syncs many apps in one call: `fleet` maps an app id or name to its secrets.

        Reads every app from `GET /v2/apps` pages (200 apps each; stops once every app was
        seen) instead of one GET per app, plans each one, and PUTs only the apps that
        changed, `concurrency` at a time, each under its lock and paced by the rate-limit
        headers. An app another sync holds or wrote meanwhile is read again first. A no-op
        over N apps costs ceil(N / 200) requests and no deployment. Options are those of
        `sync`, applied to every app; `progress(done, total)` is called after each app
        (`do_envsync.sync.text_progress()` draws a bar). Per-app failures land in
        `FleetResult.errors`; invalid options raise `ValueError` before anything is sent.
        """
        native = self._native.sync_fleet(
            fleet_targets(fleet),
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            disable_secret_deletion=disable_secret_deletion,
            initial_sync_behavior=initial_sync_behavior,
            components=None if components is None else list(components),
            var_type=var_type,
            scope=scope,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
            concurrency=concurrency,
            progress=progress,
            lock_timeout=lock_timeout,
        )
        return FleetResult.from_native(native)

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class AsyncClient:
    """asyncio DigitalOcean client with the same surface as `Client`; methods are awaitables
    and `list` methods return async iterators."""

    apps: AsyncAppsAPI
    account: AsyncAccountAPI

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        retry_budget: float | None = None,
        pacing: bool = True,
        burst_limit: int | None = None,
    ) -> None:
        self._native = _native.NativeAsyncClient(
            token,
            base_url=base_url,
            pacing=pacing,
            burst_limit=burst_limit,
            **_settings(timeout, max_attempts, retry_budget),
        )
        self.apps = AsyncAppsAPI(self._native)
        self.account = AsyncAccountAPI(self._native)

    @property
    def base_url(self) -> str:
        return self._native.base_url

    @property
    def rate_limit(self) -> RateLimit | None:
        rl = self._native.rate_limit()
        return None if rl is None else RateLimit(*rl)

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = None,
    ) -> Any:
        body = None if json is None else dumps(json)
        return _decode(await self._native.request(method, path, _params(params), body))

    async def plan_sync(
        self,
        app_id: str,
        secrets: Secrets,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str = "overwrite-destination",
        components: Sequence[str] | None = None,
        var_type: str = "SECRET",
        scope: str = "RUN_AND_BUILD_TIME",
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
        state: Store | str | os.PathLike[str] | None = None,
    ) -> AsyncSyncPlan:
        """Reads the app (one GET) and plans keeping its env vars equal to `secrets`.

        Changes nothing. `key_schema` (e.g. "APP_{{secretKey}}") bounds which destination
        keys the sync manages; `components` targets components instead of the app level;
        `var_type`/`scope` apply to new keys (per key: {"value", "type", "scope"}).
        `state` is the store (default: `Store()`).
        """
        native = await self._native.plan_sync(
            app_id,
            secret_tuples(secrets),
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            disable_secret_deletion=disable_secret_deletion,
            initial_sync_behavior=initial_sync_behavior,
            components=None if components is None else list(components),
            var_type=var_type,
            scope=scope,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
        )
        return AsyncSyncPlan(native)

    async def sync(
        self,
        app_id: str,
        secrets: Secrets,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str = "overwrite-destination",
        components: Sequence[str] | None = None,
        var_type: str = "SECRET",
        scope: str = "RUN_AND_BUILD_TIME",
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
        state: Store | str | os.PathLike[str] | None = None,
        wait: bool = False,
        rollback_on_failure: bool = False,
        progress: Callable[[str], None] | None = None,
        lock_timeout: float = 30.0,
    ) -> SyncResult:
        """Plans and applies under the app's lock: 1 request when nothing changed, 2 (GET,
        PUT) when something did. With `wait`, follows the deployment (`progress` gets each
        phase); with `rollback_on_failure`, puts the previous entries back if it fails.

        A deployment already in flight (e.g. from a git push) would be superseded by the PUT:
        `if_deploying="wait"` waits for it to end (up to `deploy_wait_timeout` seconds, then
        `DeploymentInProgressError`) and reads the app again, `"proceed"` supersedes it
        (`SyncResult.superseded_deployment_id`), `"fail"` raises `DeploymentInProgressError`.
        A sync with nothing to change never waits."""
        text = await self._native.sync(
            app_id,
            secret_tuples(secrets),
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            disable_secret_deletion=disable_secret_deletion,
            initial_sync_behavior=initial_sync_behavior,
            components=None if components is None else list(components),
            var_type=var_type,
            scope=scope,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
            wait=wait,
            rollback_on_failure=rollback_on_failure,
            progress=progress,
            lock_timeout=lock_timeout,
        )
        return SyncResult.from_json(text)

    async def remove_synced(
        self,
        app_id: str,
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        components: Sequence[str] | None = None,
        state: Store | str | os.PathLike[str] | None = None,
        wait: bool = False,
        lock_timeout: float = 30.0,
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
    ) -> SyncResult:
        """Removes the keys this sync created and restores the keys it adopted to their
        entries from before (their original `EV[...]` strings). Touches nothing else."""
        text = await self._native.remove_synced(
            app_id,
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            components=None if components is None else list(components),
            wait=wait,
            lock_timeout=lock_timeout,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
        )
        return SyncResult.from_json(text)

    async def sync_fleet(
        self,
        fleet: Mapping[str, Secrets],
        *,
        environment: str | None = None,
        key_schema: str | None = None,
        disable_secret_deletion: bool = False,
        initial_sync_behavior: str = "overwrite-destination",
        components: Sequence[str] | None = None,
        var_type: str = "SECRET",
        scope: str = "RUN_AND_BUILD_TIME",
        if_deploying: str = "wait",
        deploy_wait_timeout: float = 600.0,
        state: Store | str | os.PathLike[str] | None = None,
        concurrency: int = 8,
        progress: FleetProgress | None = None,
        lock_timeout: float = 30.0,
    ) -> FleetResult:
        """Syncs many apps in one call: `fleet` maps an app id or name to its secrets.

        Reads every app from `GET /v2/apps` pages (200 apps each; stops once every app was
        seen) instead of one GET per app, plans each one, and PUTs only the apps that
        changed, `concurrency` at a time, each under its lock and paced by the rate-limit
        headers. An app another sync holds or wrote meanwhile is read again first. A no-op
        over N apps costs ceil(N / 200) requests and no deployment. Options are those of
        `sync`, applied to every app; `progress(done, total)` is called after each app
        (`do_envsync.sync.text_progress()` draws a bar). Per-app failures land in
        `FleetResult.errors`; invalid options raise `ValueError` before anything is sent.
        """
        native = await self._native.sync_fleet(
            fleet_targets(fleet),
            open_store(state),
            environment=environment,
            key_schema=key_schema,
            disable_secret_deletion=disable_secret_deletion,
            initial_sync_behavior=initial_sync_behavior,
            components=None if components is None else list(components),
            var_type=var_type,
            scope=scope,
            if_deploying=if_deploying,
            deploy_wait_timeout=deploy_wait_timeout,
            concurrency=concurrency,
            progress=progress,
            lock_timeout=lock_timeout,
        )
        return FleetResult.from_native(native)

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None
