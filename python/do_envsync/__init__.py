"""do-envsync: keep DigitalOcean App Platform env vars and secrets in sync.

A typed App Platform client (`Client`, `AsyncClient`) over a Rust core, its models
(`do_envsync.models`), typed exceptions (`do_envsync.errors`) and a built-in emulator
(`do_envsync.testing.Emulator`).
"""

from __future__ import annotations

from . import models
from ._native import __version__
from .client import AsyncClient, Client, RateLimit
from .errors import (
    AuthenticationError,
    ConflictError,
    DecodeError,
    DigitalOceanError,
    LockTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from .sync import AsyncSyncPlan, EnvChange, FleetResult, Store, SyncPlan, SyncResult

__all__ = [
    "AsyncClient",
    "AsyncSyncPlan",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "DecodeError",
    "DigitalOceanError",
    "EnvChange",
    "FleetResult",
    "LockTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "ServerError",
    "Store",
    "SyncPlan",
    "SyncResult",
    "TransportError",
    "ValidationError",
    "__version__",
    "models",
]
