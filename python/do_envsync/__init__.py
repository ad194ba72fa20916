"""do-envsync: keep DigitalOcean App Platform env vars and secrets in sync.

A typed App Platform client (`Client`, `AsyncClient`) over a Rust core, its models
(`do_envsync.models`), typed exceptions (`do_envsync.errors`), the sync engine
(`Client.sync`, `Client.sync_fleet`), connections and syncs kept in the state store
(`Store().connections`, `Store().syncs`, `do_envsync.sources`), and a built-in emulator
(`do_envsync.testing.Emulator`).
"""

from __future__ import annotations

from . import models, sources
from ._native import __version__
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
    "sources",
]
