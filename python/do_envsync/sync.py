"""The env-sync engine from Python: plans, results and the state store.

A plan is computed in Rust from the app's current spec, the desired secrets, the options and
the recorded state (HMAC fingerprints and `EV[...]` strings, never plaintexts). Applying it
sends at most one PUT, and none when nothing changed. Nothing here ever holds a value: the
plaintexts stay in the Rust core until they are sent.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from . import _native
from .display import fleet_html, plan_html, plan_table, result_html, result_summary

if TYPE_CHECKING:
    from .control import ConfigReport, Connections, Notifications, Syncs, WatchReport

__all__ = [
    "AsyncSyncPlan",
    "EnvChange",
    "FleetResult",
    "InFlightDeployment",
    "Secrets",
    "Store",
    "SyncPlan",
    "SyncResult",
    "text_progress",
]

Secrets = Mapping[str, "str | Mapping[str, str]"]
"""Desired secrets: key -> value, or key -> {"value": ..., "type": ..., "scope": ...}."""

Progress = Callable[[str], None]


class Store(_native.Store):
    """The state store: per (app, target, key) an HMAC fingerprint of the last value
    written, the `EV[...]` string DigitalOcean returned, type, scope and origin; and the
    control plane's connections, syncs and runs.

    `Store(path)` opens a SQLite file; `Store("postgresql://user@host:5432/db?sslmode=require")`
    a PostgreSQL database shared by many machines (the master key must then come from
    `$DO_ENVSYNC_MASTER_KEY`). `Store()` opens `$DO_ENVSYNC_STATE` (a path or a URL), else
    `<user data dir>/do-envsync/state.db`. `path` is the file, or the URL without its password.
    """

    def state(self, app_id: str) -> list[dict[str, Any]]:
        """The records of one app (no plaintext: fingerprints and ciphertexts only)."""
        records: list[dict[str, Any]] = json.loads(self.state_json(app_id))
        return records

    @property
    def _control(self) -> _native.NativeControl:
        # One control plane per store object: it holds the decrypted master key.
        native: _native.NativeControl | None = self.__dict__.get("_native_control")
        if native is None:
            native = _native.NativeControl(self)
            self.__dict__["_native_control"] = native
        return native

    @property
    def connections(self) -> Connections:
        """DigitalOcean connections (tokens encrypted at rest, never returned)."""
        from .control import Connections

        return Connections(self._control)

    @property
    def notifications(self) -> Notifications:
        """Run notification targets (webhook URLs sealed at rest) and their deliveries."""
        from .control import Notifications

        return Notifications(self._control)

    @property
    def syncs(self) -> Syncs:
        """App Platform syncs, their runs and history."""
        from .control import Syncs

        return Syncs(self._control, self)

    def apply_config(
        self,
        path: str | os.PathLike[str] = "do-envsync.toml",
        *,
        discovered: bool = False,
        notify: Callable[[str], None] | None = None,
    ) -> ConfigReport:
        """Creates or updates the connections and syncs a `do-envsync.toml` declares
        (idempotent: a second apply changes nothing).

        A connection `base_url` other than DigitalOcean's API is announced (`notify`, by
        default a `UserWarning`) before its token is sent there, and refused when the file
        was only `discovered` in the working directory (not named by the user)."""
        from .control import apply_config

        return apply_config(self._control, path, discovered=discovered, notify=notify)

    def watch(
        self,
        *,
        syncs: Sequence[str] | None = None,
        poll_interval: float = 60.0,
        debounce: float = 0.3,
        drift_interval: float | None = None,
        repair_drift: bool = False,
        on_event: Callable[[str], None] | None = None,
        stop: threading.Event | None = None,
    ) -> WatchReport:
        """Runs every enabled sync with auto-sync on (or those named) whenever its source
        changes: `.env` files by filesystem events (debounced), other sources by polling every
        `poll_interval` seconds. Runs of one app never overlap; failures back off. Returns when
        interrupted (Ctrl-C / SIGTERM in the CLI) or when `stop` is set, after the run in
        flight finishes. `on_event` gets one line per event (never a value)."""
        from .control import watch

        return watch(
            self._control,
            syncs=syncs,
            poll_interval=poll_interval,
            debounce=debounce,
            drift_interval=drift_interval,
            repair_drift=repair_drift,
            on_event=on_event,
            stop=stop,
        )


def open_store(state: Store | str | os.PathLike[str] | None) -> Store:
    if isinstance(state, Store):
        return state
    return Store(None if state is None else os.fspath(state))


def secret_tuples(secrets: Secrets) -> list[tuple[str, str, str | None, str | None]]:
    """Desired secrets in the shape the core takes; rejects malformed entries early."""
    if not isinstance(secrets, Mapping):
        raise TypeError("secrets must be a mapping of key -> value or key -> {value, type, scope}")
    out: list[tuple[str, str, str | None, str | None]] = []
    for key, spec in secrets.items():
        if not isinstance(key, str):
            raise TypeError(f"secret keys must be strings, not {type(key).__name__}")
        if isinstance(spec, str):
            out.append((key, spec, None, None))
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"value", "type", "scope"}
            if unknown:
                raise ValueError(f"{key}: unknown field(s) {sorted(unknown)}")
            value = spec.get("value")
            if not isinstance(value, str):
                raise TypeError(f"{key}: 'value' must be a string")
            out.append((key, value, spec.get("type"), spec.get("scope")))
        else:
            raise TypeError(f"{key}: a value must be a string or a mapping with 'value'")
    return out


@dataclass(frozen=True)
class EnvChange:
    """One (target, key) line of a plan. Holds no value."""

    key: str
    component: str | None
    """None for the app-level `envs`."""
    action: str
    """create, update, delete or unchanged."""
    reason: str
    type: str | None
    scope: str | None
    source_key: str | None = None


@dataclass(frozen=True)
class InFlightDeployment:
    """A deployment of the app that was in flight (`in_progress_deployment` or
    `pending_deployment`) when the plan read it. A PUT would supersede it."""

    id: str
    phase: str
    """Its phase then, e.g. BUILDING."""
    cause: str | None
    """Why it was started (e.g. "commit 9a4df0b pushed to github/..."), when the API says."""
    started_by_sync: bool
    """Started by this tool's latest sync of the app: superseded without waiting (the new
    deployment carries the same changes and more), whatever `if_deploying` says."""
    if_deploying: str
    """What applying the plan does about it: wait, proceed or fail."""
    note: str
    """One line saying so (shown by the plan's text and HTML renderings)."""


def _changes(rows: Sequence[Sequence[Any]]) -> list[EnvChange]:
    return [EnvChange(*row) for row in rows]


def _keys(changes: Sequence[EnvChange], action: str) -> list[str]:
    seen: dict[str, None] = {}
    for c in changes:
        if c.action == action:
            seen.setdefault(c.key, None)
    return list(seen)


@dataclass(frozen=True)
class SyncResult:
    """What a sync did. Key names only, never values."""

    app_id: str
    deployment_id: str | None
    """The deployment the PUT started; None when nothing changed (no PUT, no deployment)."""
    changes: list[EnvChange]
    warnings: list[str]
    requests: int
    """API calls this sync made (a retried call counts once)."""
    deployment_phase: str | None = None
    """With wait=True: the deployment's final phase."""
    rolled_back: bool = False
    superseded_deployment_id: str | None = None
    """With if_deploying="proceed": the deployment that was in flight and that this sync's PUT
    superseded (None when none was in flight)."""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, text: str) -> SyncResult:
        data = json.loads(text)
        changes = _changes(data["changes"])
        return cls(
            app_id=data["app_id"],
            deployment_id=data["deployment_id"],
            changes=changes,
            warnings=list(data["warnings"]),
            requests=int(data["requests"]),
            deployment_phase=data["deployment_phase"],
            rolled_back=bool(data["rolled_back"]),
            superseded_deployment_id=data.get("superseded_deployment_id"),
            created=_keys(changes, "create"),
            updated=_keys(changes, "update"),
            deleted=_keys(changes, "delete"),
            unchanged=_keys(changes, "unchanged"),
        )

    def __str__(self) -> str:
        return result_summary(self)

    def _repr_html_(self) -> str:
        return result_html(self)


class _PlanBase:
    """What sync and asyncio plans share: the view of the plan."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.NativeSyncPlan) -> None:
        self._native = native

    @property
    def app_id(self) -> str:
        return self._native.app_id

    @property
    def changes(self) -> list[EnvChange]:
        """One line per (target, key) considered."""
        return _changes(json.loads(self._native.changes_json()))

    @property
    def warnings(self) -> list[str]:
        return self._native.warnings()

    @property
    def imports(self) -> dict[str, str]:
        """GENERAL values an import behaviour took from the destination (for your source)."""
        return dict(self._native.imports())

    @property
    def has_changes(self) -> bool:
        return self._native.has_changes

    @property
    def will_deploy(self) -> bool:
        """Whether applying starts a deployment (every PUT does; a plan without changes
        sends none)."""
        return self._native.will_deploy

    @property
    def in_flight_deployment(self) -> InFlightDeployment | None:
        """The deployment in flight when the app was read (None when there was none)."""
        data = json.loads(self._native.in_flight_json())
        return None if data is None else InFlightDeployment(**data)

    def _in_flight_note(self) -> str | None:
        d = self.in_flight_deployment
        return None if d is None else d.note

    @property
    def age(self) -> float:
        """Seconds since the plan was made; apply re-reads the app past 2 seconds."""
        return self._native.age

    def __str__(self) -> str:
        return self.render()

    def render(self, *, color: bool = False) -> str:
        """The plan as a text table; `color` colours the actions with ANSI codes."""
        return plan_table(
            self.app_id,
            self.changes,
            self.warnings,
            color=color,
            imports=list(self.imports),
            in_flight=self._in_flight_note(),
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} app_id={self.app_id!r}>\n{self}"

    def _repr_html_(self) -> str:
        return plan_html(
            self.app_id,
            self.changes,
            self.warnings,
            imports=list(self.imports),
            in_flight=self._in_flight_note(),
        )


class SyncPlan(_PlanBase):
    """A plan from `Client.plan_sync`: read it, then `apply()` it."""

    __slots__ = ()

    def apply(
        self,
        *,
        wait: bool = False,
        rollback_on_failure: bool = False,
        replan: bool = False,
        progress: Progress | None = None,
        lock_timeout: float = 30.0,
    ) -> SyncResult:
        """Sends the plan: at most one PUT, none when nothing changed.

        Under the app's lock; a plan older than 2 seconds (or made before another sync
        wrote) is checked against a fresh read of the app: if the spec changed, raises
        `ConflictError`, or re-plans when `replan=True`. A deployment in flight is handled
        per the plan's `if_deploying` (see `in_flight_deployment`); after waiting for one,
        the app is always read again.
        """
        return SyncResult.from_json(
            self._native.apply(
                wait=wait,
                rollback_on_failure=rollback_on_failure,
                replan=replan,
                progress=progress,
                lock_timeout=lock_timeout,
            )
        )


class AsyncSyncPlan(_PlanBase):
    """A plan from `AsyncClient.plan_sync`; `await plan.apply()`."""

    __slots__ = ()

    async def apply(
        self,
        *,
        wait: bool = False,
        rollback_on_failure: bool = False,
        replan: bool = False,
        progress: Progress | None = None,
        lock_timeout: float = 30.0,
    ) -> SyncResult:
        text = await self._native.apply_async(
            wait=wait,
            rollback_on_failure=rollback_on_failure,
            replan=replan,
            progress=progress,
            lock_timeout=lock_timeout,
        )
        return SyncResult.from_json(text)


FleetProgress = Callable[[int, int], None]
"""Called after each app of a fleet sync with (apps done, apps in total)."""


def fleet_targets(
    fleet: Mapping[str, Secrets],
) -> list[tuple[str, list[tuple[str, str, str | None, str | None]]]]:
    """The fleet in the shape the core takes: [(app id or name, secrets), ...]."""
    if not isinstance(fleet, Mapping):
        raise TypeError("the fleet must be a mapping of app id or name -> secrets")
    out = []
    for app, secrets in fleet.items():
        if not isinstance(app, str) or not app:
            raise TypeError("fleet keys must be app ids or names (non-empty strings)")
        out.append((app, secret_tuples(secrets)))
    return out


@dataclass(frozen=True)
class FleetResult:
    """What a fleet sync did, keyed by the app id or name given. Key names only, never values.

    An app is in exactly one of `results` (synced, or nothing to change) and `errors` (the
    exception a single `sync` of it would have raised, e.g. `NotFoundError` for an unknown
    name); one app's failure never stops the others.
    """

    results: dict[str, SyncResult]
    errors: dict[str, Exception]
    requests: int
    """Every API call the fleet sync made: the list pages, plus per app any re-read and PUT."""
    list_requests: int
    """Pages of `GET /v2/apps` read (200 apps each)."""
    deployments: int
    """Apps PUT (every PUT starts a deployment)."""

    @classmethod
    def from_native(cls, native: tuple[str, list[tuple[str, BaseException]]]) -> FleetResult:
        text, failures = native
        data = json.loads(text)
        errors: dict[str, Exception] = {}
        for app, exc in failures:
            # The core only produces Exception subclasses; anything else is re-raised.
            if not isinstance(exc, Exception):
                raise exc
            errors[app] = exc
        return cls(
            results={
                app: SyncResult.from_json(json.dumps(r)) for app, r in data["results"].items()
            },
            errors=errors,
            requests=int(data["requests"]),
            list_requests=int(data["list_requests"]),
            deployments=int(data["deployments"]),
        )

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        changed = sum(1 for r in self.results.values() if r.deployment_id is not None)
        lines = [
            f"{len(self.results) + len(self.errors)} apps: {changed} changed, "
            f"{len(self.results) - changed} unchanged, {len(self.errors)} failed; "
            f"{self.requests} requests ({self.list_requests} list pages), "
            f"{self.deployments} deployments"
        ]
        lines += [f"  {app}: {type(e).__name__}: {e}" for app, e in self.errors.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return fleet_html(self.results, self.errors, str(self))


def text_progress(stream: TextIO | None = None, width: int = 30) -> FleetProgress:
    """A one-line text progress bar for `sync_fleet(progress=...)` (terminals and Jupyter)."""

    def show(done: int, total: int) -> None:
        out = stream if stream is not None else sys.stderr
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        end = "\n" if done >= total else ""
        out.write(f"\r[{bar}] {done}/{total} apps{end}")
        out.flush()

    return show
