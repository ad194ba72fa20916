"""do-envsync: keep DigitalOcean App Platform env vars and secrets in sync.

A typed App Platform client (`Client`, `AsyncClient`) over a Rust core, its models
(`do_envsync.models`), typed exceptions (`do_envsync.errors`), the sync engine
(`Client.sync`, `Client.sync_fleet`), connections and syncs kept in the state store
(`Store().connections`, `Store().syncs`, `do_envsync.sources`), and a built-in emulator
(`do_envsync.testing.Emulator`).

Logging: the Rust core's events (requests and responses at DEBUG with method, path, status,
request id, attempt and timing; retries, pacing, pagination and watcher warnings) go to
Python's `logging` under the `do_envsync` logger (`do_envsync.client.transport`,
`do_envsync.client.retry`, ...), never with a token or a value. Loggers and levels are cached
at their first event: call `refresh_logging()` after changing levels or handlers later on.
"""

from __future__ import annotations

import logging as _logging

from . import models, sources
from ._native import __version__, refresh_logging
from .client import AsyncClient, Client, RateLimit
from .control import Connection, Delivery, NotifyTarget, SecretSync, SyncRun
from .errors import (
    AlreadyExistsError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ConnectionInUseError,
    DatabaseCredentialsScopeError,
    DecodeError,
    DeploymentInProgressError,
    DigitalOceanError,
    LockTimeoutError,
    MasterKeyError,
    NotFoundError,
    ObjectNotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SourceError,
    SyncDisabledError,
    SyncRunError,
    TransportError,
    UnsupportedFieldError,
    ValidationError,
)
from .sync import (
    AsyncSyncPlan,
    EnvChange,
    FleetResult,
    InFlightDeployment,
    Store,
    SyncPlan,
    SyncResult,
)

# A library leaves output to the application: records reach a handler only when one is set.
_logging.getLogger("do_envsync").addHandler(_logging.NullHandler())

__all__ = [
    "AlreadyExistsError",
    "AsyncClient",
    "AsyncSyncPlan",
    "AuthenticationError",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "Connection",
    "ConnectionInUseError",
    "DatabaseCredentialsScopeError",
    "DecodeError",
    "Delivery",
    "DeploymentInProgressError",
    "DigitalOceanError",
    "EnvChange",
    "FleetResult",
    "InFlightDeployment",
    "LockTimeoutError",
    "MasterKeyError",
    "NotFoundError",
    "NotifyTarget",
    "ObjectNotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "SecretSync",
    "ServerError",
    "SourceError",
    "Store",
    "SyncDisabledError",
    "SyncPlan",
    "SyncResult",
    "SyncRun",
    "SyncRunError",
    "TransportError",
    "UnsupportedFieldError",
    "ValidationError",
    "__version__",
    "models",
    "refresh_logging",
    "sources",
]
