"""Connections, syncs and their runs, kept in the state store (modelled on Infisical's
DigitalOcean connection and App Platform Sync).

    store = Store()
    conn = store.connections.create("prod-do", token)          # token checked, then encrypted
    store.syncs.create("web-secrets", connection="prod-do", app="web",
                       source=sources.dotenv(".env.production"),
                       options={"key_schema": "APP_{{secretKey}}"})
    run = store.syncs.run("web-secrets")                       # one GET, at most one PUT

Tokens are never returned: `Connection.to_dict()` has `credentials: {}` and a keyed
`credentialsHash`. Source secrets (inline values, an Infisical client secret) are encrypted
like tokens. Every read returns plain, frozen snapshots; the store is the truth.
"""

from __future__ import annotations

import builtins
import html
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._transport import loads
from .display import run_summary, runs_html, runs_table
from .models import App

if TYPE_CHECKING:
    from .sync import Store, SyncPlan

__all__ = [
    "ConfigReport",
    "Connection",
    "Connections",
    "Delivery",
    "Notifications",
    "NotifyTarget",
    "NotifyTestResult",
    "SecretSync",
    "SyncRun",
    "Syncs",
    "WatchReport",
]

_OPTION_FIELDS = {
    "environment": "environment",
    "key_schema": "keySchema",
    "initial_sync_behavior": "initialSyncBehavior",
    "disable_secret_deletion": "disableSecretDeletion",
    "auto_sync_enabled": "autoSyncEnabled",
    "components": "components",
    "default_type": "defaultType",
    "default_scope": "defaultScope",
    "if_deploying": "ifDeploying",
    "deploy_wait_timeout": "deployWaitTimeout",
}


def _options(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Accepts snake_case (Python style) or Infisical's camelCase option names."""
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise TypeError("options must be a mapping")
    out: dict[str, Any] = {}
    for key, value in options.items():
        out[_OPTION_FIELDS.get(key, key)] = value
    return out


@dataclass(frozen=True)
class Connection:
    """A DigitalOcean API connection. The token is never held here."""

    id: str
    name: str
    description: str | None
    base_url: str
    version: int
    created_at: str
    updated_at: str
    credentials_hash: str
    _raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> Connection:
        raw = json.loads(text)
        c = raw["appConnection"]
        return cls(
            id=c["id"],
            name=c["name"],
            description=c.get("description"),
            base_url=c.get("baseUrl", ""),
            version=int(c["version"]),
            created_at=c["createdAt"],
            updated_at=c["updatedAt"],
            credentials_hash=c["credentialsHash"],
            _raw=raw,
        )

    def to_dict(self) -> dict[str, Any]:
        """Infisical's shape: `{"appConnection": {..., "credentials": {}, "credentialsHash"}}`."""
        return json.loads(json.dumps(self._raw))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SecretSync:
    """An App Platform sync: a source, an app, options and the status of its latest runs."""

    id: str
    name: str
    description: str | None
    connection_id: str
    connection_name: str | None
    app_id: str
    app_name: str | None
    environment: str | None
    source: dict[str, Any]
    options: dict[str, Any]
    is_enabled: bool
    version: int
    sync_status: str | None
    last_sync_job_id: str | None
    last_sync_message: str | None
    last_synced_at: str | None
    remove_status: str | None
    last_remove_message: str | None
    last_remove_job_id: str | None = None
    last_removed_at: str | None = None
    _raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, text: str) -> SecretSync:
        raw = json.loads(text)
        s = raw["secretSync"]
        dest = s.get("destinationConfig") or {}
        conn = s.get("connection") or {}
        options = s.get("syncOptions") or {}
        # The `{{environment}}` value; the top-level `environment` is Infisical's
        # `{slug, name, id}` of an Infisical source (or a string in older outputs).
        environment = options.get("environment")
        if environment is None and isinstance(s.get("environment"), str):
            environment = s["environment"]
        return cls(
            id=s["id"],
            name=s["name"],
            description=s.get("description"),
            connection_id=s["connectionId"],
            connection_name=conn.get("name"),
            app_id=dest.get("appId", ""),
            app_name=dest.get("appName"),
            environment=environment,
            source=dict(s.get("source") or {}),
            options=dict(options),
            is_enabled=bool(s.get("isEnabled", True)),
            version=int(s.get("version", 1)),
            sync_status=s.get("syncStatus"),
            last_sync_job_id=s.get("lastSyncJobId"),
            last_sync_message=s.get("lastSyncMessage"),
            last_synced_at=s.get("lastSyncedAt"),
            remove_status=s.get("removeStatus"),
            last_remove_message=s.get("lastRemoveMessage"),
            last_remove_job_id=s.get("lastRemoveJobId"),
            last_removed_at=s.get("lastRemovedAt"),
            _raw=raw,
        )

    def to_dict(self) -> dict[str, Any]:
        """Infisical's shape as its API answers it: `{"secretSync": {...}}` with
        `destination: "digital-ocean-app-platform"`, `isAutoSyncEnabled`, `projectId`,
        `environment`, `folder` (source secrets never included)."""
        return json.loads(json.dumps(self._raw))  # type: ignore[no-any-return]

    def _repr_html_(self) -> str:
        rows = [
            ("app", f"{self.app_name or ''} ({self.app_id})"),
            ("connection", self.connection_name or self.connection_id),
            ("source", json.dumps(self.source)),
            ("key schema", str(self.options.get("keySchema") or "")),
            ("enabled", str(self.is_enabled)),
            ("status", self.sync_status or "never run"),
            ("last message", self.last_sync_message or ""),
            ("last synced", self.last_synced_at or ""),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<div><b>sync {html.escape(self.name)}</b><table>{body}</table></div>"


@dataclass(frozen=True)
class SyncRun:
    """One recorded run of a sync (or of its secret removal). Key names only, no values."""

    id: str
    sync_id: str
    sync_name: str
    kind: str
    status: str
    message: str | None
    deployment_id: str | None
    created: list[str]
    updated: list[str]
    deleted: list[str]
    requests: int
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None

    @classmethod
    def from_dict(cls, r: Mapping[str, Any]) -> SyncRun:
        return cls(
            id=r["id"],
            sync_id=r.get("syncId", ""),
            sync_name=r.get("syncName", ""),
            kind=r.get("kind", "sync"),
            status=r["status"],
            message=r.get("message"),
            deployment_id=r.get("deploymentId"),
            created=list(r.get("created") or []),
            updated=list(r.get("updated") or []),
            deleted=list(r.get("deleted") or []),
            requests=int(r.get("requests") or 0),
            started_at=r.get("startedAt"),
            finished_at=r.get("finishedAt"),
            duration_ms=r.get("durationMs"),
        )

    @classmethod
    def from_json(cls, text: str) -> SyncRun:
        return cls.from_dict(json.loads(text))

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "syncId": self.sync_id,
            "syncName": self.sync_name,
            "kind": self.kind,
            "status": self.status,
            "message": self.message,
            "deploymentId": self.deployment_id,
            "created": list(self.created),
            "updated": list(self.updated),
            "deleted": list(self.deleted),
            "requests": self.requests,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "durationMs": self.duration_ms,
        }

    def __str__(self) -> str:
        return run_summary(self)

    def _repr_html_(self) -> str:
        return runs_html([self])


class RunList(list[SyncRun]):
    """A plain list of runs that Jupyter shows as a table (and `str()` as a text one)."""

    def __str__(self) -> str:
        return runs_table(self)

    def _repr_html_(self) -> str:
        return runs_html(self)


@dataclass(frozen=True)
class ConfigReport:
    """What applying a `do-envsync.toml` did: per item, "created", "updated" or "unchanged"."""

    items: list[dict[str, str]]

    @property
    def changed(self) -> bool:
        return any(i.get("action") != "unchanged" for i in self.items)

    def __str__(self) -> str:
        return "\n".join(f"{i['kind']} {i['name']}: {i['action']}" for i in self.items)


@dataclass(frozen=True)
class WatchReport:
    """Runs per sync over a `watch` session."""

    syncs: dict[str, dict[str, Any]]
    """Per sync: `started`, `succeeded`, `failed`, `drift_checks`, `drift_detected` (counts),
    `last_error` (the last run's error, None when it succeeded) and `unwatched` (why the sync
    stopped being watched, e.g. it was disabled or deleted meanwhile; None otherwise)."""

    @property
    def failed(self) -> int:
        return sum(int(s.get("failed", 0)) for s in self.syncs.values())

    @property
    def ok(self) -> bool:
        """Whether the last run of every sync succeeded."""
        return all(s.get("last_error") is None for s in self.syncs.values())


@dataclass(frozen=True)
class NotifyTarget:
    """Where run notifications go. The URL is a secret: only `url_masked`
    (`scheme://host/***`) is ever held here, never the URL or the signing secret."""

    id: str
    name: str
    type: str
    sync_id: str | None
    sync_name: str | None
    url_masked: str
    events: list[str]
    dedup_interval: int
    is_enabled: bool
    created_at: str
    updated_at: str

    @classmethod
    def from_dict(cls, t: Mapping[str, Any]) -> NotifyTarget:
        return cls(
            id=t["id"],
            name=t["name"],
            type=t["type"],
            sync_id=t.get("syncId"),
            sync_name=t.get("syncName"),
            url_masked=t["url"],
            events=list(t.get("events") or []),
            dedup_interval=int(t.get("dedupIntervalSecs") or 0),
            is_enabled=bool(t.get("isEnabled", True)),
            created_at=t["createdAt"],
            updated_at=t["updatedAt"],
        )

    @classmethod
    def from_json(cls, text: str) -> NotifyTarget:
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "syncId": self.sync_id,
            "syncName": self.sync_name,
            "url": self.url_masked,
            "events": list(self.events),
            "dedupIntervalSecs": self.dedup_interval,
            "isEnabled": self.is_enabled,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class Delivery:
    """One notification of one run to one target: `pending`, `delivered`, `failed`,
    `deduplicated` (an identical failure was reported within the interval) or `abandoned`
    (the process ended first)."""

    id: str
    run_id: str
    sync_id: str
    target_id: str
    target_name: str
    event: str
    status: str
    attempts: int
    last_error: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Delivery:
        return cls(
            id=d["id"],
            run_id=d["runId"],
            sync_id=d["syncId"],
            target_id=d["targetId"],
            target_name=d["targetName"],
            event=d["event"],
            status=d["status"],
            attempts=int(d.get("attempts") or 0),
            last_error=d.get("lastError"),
            created_at=d["createdAt"],
            updated_at=d["updatedAt"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "runId": self.run_id,
            "syncId": self.sync_id,
            "targetId": self.target_id,
            "targetName": self.target_name,
            "event": self.event,
            "status": self.status,
            "attempts": self.attempts,
            "lastError": self.last_error,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


@dataclass(frozen=True)
class NotifyTestResult:
    """How a test notification went (`last_error` never holds the URL)."""

    delivered: bool
    attempts: int
    last_error: str | None


class Notifications:
    """`store.notifications`: run notification targets and their deliveries.

    A target with `sync=None` is the default of every sync. Events: `failed`, `recovered`
    (first success after failures), `changed`, `drift_repaired`; no-op runs are never
    reported. Deliveries happen in the background after a run is recorded and never
    slow or fail it; `flush()` waits for them (a short-lived script calls it before
    exiting)."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def create(
        self,
        name: str,
        url: str,
        *,
        type: str = "webhook",
        secret: str | None = None,
        sync: str | None = None,
        events: Sequence[str] | None = None,
        dedup_interval: float | None = None,
        enabled: bool | None = None,
    ) -> tuple[NotifyTarget, str | None]:
        """Stores the target with its URL (and signing secret) sealed by the master key.

        `url` must be `https` (plain `http` only to 127.0.0.1, localhost or [::1]). A
        webhook created without `secret` gets a generated one, returned here once (only
        its sealed copy is kept): `(target, generated_secret_or_None)`."""
        text, generated = self._native.create_notify_target(
            name,
            type,
            url,
            secret,
            sync,
            None if events is None else list(events),
            dedup_interval,
            enabled,
        )
        return NotifyTarget.from_json(text), generated

    def get(self, id_or_name: str) -> NotifyTarget:
        return NotifyTarget.from_json(self._native.get_notify_target(id_or_name))

    def list(self) -> list[NotifyTarget]:
        return [NotifyTarget.from_dict(t) for t in json.loads(self._native.list_notify_targets())]

    def update(
        self,
        id_or_name: str,
        *,
        name: str | None = None,
        url: str | None = None,
        secret: str | None = None,
        events: Sequence[str] | None = None,
        dedup_interval: float | None = None,
        enabled: bool | None = None,
    ) -> NotifyTarget:
        """PATCH semantics: only the given fields change. A new URL keeps the signing
        secret unless a new one is given."""
        return NotifyTarget.from_json(
            self._native.update_notify_target(
                id_or_name,
                name,
                url,
                secret,
                None if events is None else list(events),
                dedup_interval,
                enabled,
            )
        )

    def delete(self, id_or_name: str) -> NotifyTarget:
        """Deletes the target and its delivery records."""
        return NotifyTarget.from_json(self._native.delete_notify_target(id_or_name))

    def test(self, id_or_name: str) -> NotifyTestResult:
        """Sends a `test` event now (with retries), recording nothing."""
        r = json.loads(self._native.test_notify_target(id_or_name))
        return NotifyTestResult(
            delivered=bool(r["delivered"]), attempts=int(r["attempts"]), last_error=r["lastError"]
        )

    def deliveries(
        self, *, sync: str | None = None, run_id: str | None = None, limit: int | None = None
    ) -> builtins.list[Delivery]:
        """Delivery records, newest first: of one sync (id or name), one run, or all."""
        return [
            Delivery.from_dict(d)
            for d in json.loads(self._native.list_deliveries(sync, run_id, limit))
        ]

    def in_flight(self) -> int:
        """Background deliveries still running."""
        n: int = self._native.notifications_in_flight()
        return n

    def flush(self, timeout: float = 10.0) -> int:
        """Waits up to `timeout` seconds for background deliveries; those still running
        then are recorded as `abandoned`. Returns how many were left."""
        n: int = self._native.flush_notifications(timeout)
        return n

    def configure(
        self,
        *,
        timeout: float | None = None,
        max_attempts: int | None = None,
        backoff: float | None = None,
    ) -> None:
        """Delivery settings of this store object: per-attempt `timeout` (s, default 10),
        `max_attempts` (default 4), first `backoff` (s, default 0.5, doubled with jitter)."""
        self._native.set_notify_settings(timeout, max_attempts, backoff)

    def __iter__(self) -> Any:
        return iter(self.list())


class Connections:
    """`store.connections`: DigitalOcean API connections."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def create(
        self,
        name: str,
        token: str,
        description: str | None = None,
        base_url: str | None = None,
        **unsupported: Any,
    ) -> Connection:
        """Checks the token with one request (`GET /v2/account`), then stores it encrypted.

        Fields Infisical has but DigitalOcean does not support (`is_platform_managed_credentials`,
        `gateway_id`, `is_auto_rotation_enabled`, `rotation`) raise `UnsupportedFieldError`.
        """
        return Connection.from_json(
            self._native.create_connection(
                name, token, description, base_url, json.dumps(unsupported, default=str)
            )
        )

    def get(self, id_or_name: str) -> Connection:
        return Connection.from_json(self._native.get_connection(id_or_name))

    def list(self) -> list[Connection]:
        return [
            Connection.from_json(json.dumps(c)) for c in json.loads(self._native.list_connections())
        ]

    def update(self, id_or_name: str, **fields: Any) -> Connection:
        """PATCH semantics: only the given fields change (`name`, `description`, `token`,
        `base_url`); `version` increments. A new token is checked before it is stored."""
        token = fields.pop("token", None)
        return Connection.from_json(
            self._native.update_connection(id_or_name, json.dumps(fields, default=str), token)
        )

    def delete(self, id_or_name: str, *, force: bool = False) -> Connection:
        """Refused while a sync uses the connection, unless `force` (which deletes those syncs
        from the store too; apps are never touched)."""
        return Connection.from_json(self._native.delete_connection(id_or_name, force))

    def apps(self, id_or_name: str) -> Iterator[App]:
        """The apps the connection's token can see, as `client.apps.list()` gives them: a
        lazy iterator over `GET /v2/apps` pages (200 apps each), fetched as you iterate,
        with the stored token and base URL. An unknown connection raises
        `ObjectNotFoundError` here, before any request."""
        return _app_items(self._native.connection_apps(id_or_name))

    def __iter__(self) -> Any:
        return iter(self.list())


def _app_items(pages: Iterable[list[bytes]]) -> Iterator[App]:
    for page in pages:
        for item in page:
            yield App(loads(item))


def _source_json(source: Mapping[str, Any] | str | os.PathLike[str]) -> str:
    if isinstance(source, (str, os.PathLike)):
        return json.dumps({"type": "dotenv", "paths": [os.fspath(source)]})
    if not isinstance(source, Mapping):
        raise TypeError("source must be a mapping (see do_envsync.sources) or a .env path")
    return json.dumps(dict(source))


class Syncs:
    """`store.syncs`: App Platform syncs and their runs."""

    def __init__(self, native: Any, store: Store) -> None:
        self._native = native
        self._store = store

    def create(
        self,
        name: str,
        connection: str,
        app: str,
        source: Mapping[str, Any] | str | os.PathLike[str],
        options: Mapping[str, Any] | None = None,
        description: str | None = None,
        is_enabled: bool = True,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        destination: str | None = None,
    ) -> SecretSync:
        """`app` is an id or a name, resolved through the connection to
        `destinationConfig {appId, appName}`. Relative source paths resolve against `base_dir`
        (default: the current directory) and are stored absolute. `destination`, when given,
        must be `"digital-ocean-app-platform"` (Infisical's name) or the docs'
        `"digital-ocean"`."""
        spec: dict[str, Any] = {
            "name": name,
            "connection": connection,
            "app": app,
            "description": description,
            "isEnabled": is_enabled,
            "syncOptions": _options(options) or {},
        }
        if destination is not None:
            spec["destination"] = destination
        return SecretSync.from_json(
            self._native.create_sync(
                json.dumps(spec), _source_json(source), os.fspath(base_dir or os.getcwd())
            )
        )

    def get(self, id_or_name: str) -> SecretSync:
        return SecretSync.from_json(self._native.get_sync(id_or_name))

    def list(self) -> list[SecretSync]:
        return [SecretSync.from_json(json.dumps(s)) for s in json.loads(self._native.list_syncs())]

    def update(
        self,
        id_or_name: str,
        *,
        base_dir: str | os.PathLike[str] | None = None,
        **fields: Any,
    ) -> SecretSync:
        """PATCH semantics over `name`, `description`, `connection`, `app`, `source`,
        `options` (merged key by key) and `is_enabled`; `version` increments."""
        patch: dict[str, Any] = {}
        source = fields.pop("source", None)
        for key, value in fields.items():
            if key == "options":
                patch["syncOptions"] = _options(value)
            elif key == "is_enabled":
                patch["isEnabled"] = value
            else:
                patch[key] = value
        return SecretSync.from_json(
            self._native.update_sync(
                id_or_name,
                json.dumps(patch),
                None if source is None else _source_json(source),
                os.fspath(base_dir or os.getcwd()),
            )
        )

    def delete(
        self,
        id_or_name: str,
        *,
        remove_secrets: bool = False,
        wait: bool = False,
        lock_timeout: float = 30.0,
    ) -> SecretSync:
        """Deletes the sync and its run history from the store. By default the app is not
        touched. With `remove_secrets=True`, the sync's keys are taken off the app first,
        exactly as `remove_secrets` does (only the keys it owns; at most one PUT, none when
        there is nothing to remove; recorded as a run), and the sync is deleted only once
        that succeeded: a failed removal raises `SyncRunError` (`run` is the failed run,
        `__cause__` the typed error) and the sync is kept. The returned sync is the one
        just before the delete: its `remove_status`/`last_remove_message` describe the
        removal."""
        if not remove_secrets:
            return SecretSync.from_json(self._native.delete_sync(id_or_name))
        sync, _run = self._native.delete_sync_removing_secrets(id_or_name, wait, lock_timeout)
        return SecretSync.from_json(sync)

    def plan(self, id_or_name: str) -> SyncPlan:
        """Reads the source and the app and plans, changing nothing (one GET)."""
        from .sync import SyncPlan

        return SyncPlan(self._native.plan_sync(id_or_name))

    def run(
        self,
        id_or_name: str,
        *,
        wait: bool = False,
        lock_timeout: float = 30.0,
    ) -> SyncRun:
        """Reads the source and syncs (one GET, at most one PUT), recording the run.

        A failed run is recorded and raises `SyncRunError` (its `run` attribute is the record,
        its `__cause__` the typed error); a disabled sync raises `SyncDisabledError`."""
        return SyncRun.from_json(self._native.run_sync(id_or_name, wait, lock_timeout))

    def run_all(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        lock_timeout: float = 30.0,
    ) -> builtins.list[SyncRun]:
        """Runs every enabled sync, grouped by connection: one list read per 200 apps instead
        of one GET per app, PUTs only for apps that changed. Failures are recorded per sync
        and returned as failed runs; they do not stop the others."""
        runs = json.loads(self._native.run_all(progress, lock_timeout))
        return [SyncRun.from_dict(r) for r in runs]

    def remove_secrets(
        self, id_or_name: str, *, wait: bool = False, lock_timeout: float = 30.0
    ) -> SyncRun:
        """Removes the keys the sync created and restores the ones it adopted."""
        return SyncRun.from_json(self._native.remove_secrets(id_or_name, wait, lock_timeout))

    def history(self, id_or_name: str, limit: int | None = None) -> RunList:
        """The sync's runs, newest first (a list, shown as a table in Jupyter)."""
        return RunList(
            SyncRun.from_dict(r) for r in json.loads(self._native.history(id_or_name, limit))
        )

    def deliveries(self, id_or_name: str, limit: int | None = None) -> builtins.list[Delivery]:
        """The notifications of the sync's runs (status, attempts, last error), newest first."""
        return [
            Delivery.from_dict(d)
            for d in json.loads(self._native.list_deliveries(id_or_name, None, limit))
        ]

    def __iter__(self) -> Any:
        return iter(self.list())


def _stored_base_url(native: Any, name: str) -> str | None:
    from .errors import ObjectNotFoundError

    try:
        return Connection.from_json(native.get_connection(name)).base_url.rstrip("/")
    except ObjectNotFoundError:
        return None


def apply_config(
    native: Any,
    path: str | os.PathLike[str],
    *,
    discovered: bool = False,
    notify: Callable[[str], None] | None = None,
) -> ConfigReport:
    """Applies the file. A connection whose `base_url` is not DigitalOcean's API sends its
    token (from the environment) where the file alone says: unless the stored connection
    already points there, that is announced through `notify` (default: a `UserWarning`)
    before anything is sent, and refused outright for a file that was merely `discovered` in
    the working directory rather than named."""
    from . import _native
    from .errors import ConfigurationError

    for item in json.loads(_native.NativeControl.config_custom_base_urls(os.fspath(path))):
        name, var, url = item["connection"], item["token_env"], item["base_url"]
        if _stored_base_url(native, name) == url.rstrip("/"):
            continue  # accepted before (created or applied by name): nothing new
        if discovered:
            raise ConfigurationError(
                f"{os.fspath(path)} (found in the working directory) sets base_url {url} for "
                f"connection {name}: refusing to send the token from ${var} anywhere but "
                f"DigitalOcean's API on the word of a file found by chance; if you trust it, "
                f"apply it by name: do-envsync config apply {os.fspath(path)}"
            )
        text = (
            f"{os.fspath(path)}: connection {name}: the token from ${var} is sent to {url} "
            "(the base_url this file sets, not DigitalOcean's API)"
        )
        if notify is None:
            import warnings

            warnings.warn(text, UserWarning, stacklevel=3)
        else:
            notify(text)
    return ConfigReport(items=json.loads(native.apply_config(os.fspath(path))))


def watch(
    native: Any,
    *,
    syncs: Iterable[str] | None = None,
    poll_interval: float = 60.0,
    debounce: float = 0.3,
    drift_interval: float | None = None,
    repair_drift: bool = False,
    on_event: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> WatchReport:
    names: Sequence[str] | None = None if syncs is None else list(syncs)
    report = native.watch(
        names,
        poll_interval,
        debounce,
        drift_interval,
        repair_drift,
        on_event,
        None if stop is None else stop.is_set,
    )
    return WatchReport(syncs=json.loads(report))
