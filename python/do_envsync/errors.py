"""The exception hierarchy: one class per failure kind, each carrying DigitalOcean's fields.

The Rust core maps its single error enum onto these classes (src/py/errors.rs). Messages
never contain a token or a secret value: the core masks them before they get here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AlreadyExistsError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionInUseError",
    "DatabaseCredentialsScopeError",
    "DecodeError",
    "DeploymentInProgressError",
    "DigitalOceanError",
    "LockTimeoutError",
    "MasterKeyError",
    "NotFoundError",
    "ObjectNotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "SourceError",
    "SyncDisabledError",
    "SyncRunError",
    "TransportError",
    "UnsupportedFieldError",
    "ValidationError",
]


class DigitalOceanError(Exception):
    """Any failure talking to DigitalOcean (or the emulator).

    Attributes mirror DigitalOcean's error body: `status` (HTTP status, None when no response
    was received), `error_id` (DigitalOcean's `id`, e.g. "not_found"), `message` and
    `request_id`.
    """

    status: int | None
    error_id: str | None
    message: str
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_id = error_id
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error_id:
            parts.append(f"id={self.error_id}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return parts[0] if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"error_id={self.error_id!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(DigitalOceanError):
    """401: the token is missing, malformed, revoked or expired."""


class PermissionDeniedError(DigitalOceanError):
    """403: the token lacks a scope the operation needs."""


class NotFoundError(DigitalOceanError):
    """404: no such app, deployment or route."""


class ValidationError(DigitalOceanError):
    """400 or 422: DigitalOcean rejected the request (e.g. an invalid app spec)."""


class DatabaseCredentialsScopeError(ValidationError):
    """400 "database user password is not accessible": a spec with attached databases was
    written with a token that lacks `database:view_credentials`. Nothing changed.

    `message` is DigitalOcean's message verbatim; `app_id` (None when creating an app),
    `app_name`, `databases` (the spec's `databases[].name`) and `required_scopes` (every scope
    the operation needs) say what to fix; `str()` is one line naming all of them.
    """

    app_id: str | None
    app_name: str | None
    databases: tuple[str, ...]
    required_scopes: tuple[str, ...]
    summary: str

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_id: str | None = None,
        request_id: str | None = None,
        app_id: str | None = None,
        app_name: str | None = None,
        databases: Sequence[str] = (),
        required_scopes: Sequence[str] = (),
        summary: str = "",
    ) -> None:
        super().__init__(message, status=status, error_id=error_id, request_id=request_id)
        self.app_id = app_id
        self.app_name = app_name
        self.databases = tuple(databases)
        self.required_scopes = tuple(required_scopes)
        self.summary = summary or message

    def __str__(self) -> str:
        return self.summary


class ConflictError(DigitalOceanError):
    """409, or a plan whose app changed since it was computed."""


class RateLimitError(DigitalOceanError):
    """429: the rate limit was hit and retries did not get through; `retry_after` in seconds."""

    retry_after: float | None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_id: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, error_id=error_id, request_id=request_id)
        self.retry_after = retry_after


class ServerError(DigitalOceanError):
    """5xx after retries."""


class TransportError(DigitalOceanError):
    """No usable response: connection refused or reset, timeout, TLS failure."""


class DecodeError(DigitalOceanError):
    """A response body that is not the JSON expected (with a short, masked excerpt)."""


class DeploymentInProgressError(DigitalOceanError):
    """The app had a deployment in flight and the sync had changes to send; nothing was sent.

    Raised with `if_deploying="fail"` (`waited` is None), or with `if_deploying="wait"` when
    the deployment was still in flight after `deploy_wait_timeout` (`waited`: seconds waited).
    `app_id`, `deployment_id` and `phase` (its last phase seen) name it.
    """

    app_id: str
    deployment_id: str
    phase: str
    waited: float | None

    def __init__(
        self,
        message: str,
        *,
        app_id: str = "",
        deployment_id: str = "",
        phase: str = "",
        waited: float | None = None,
        status: int | None = None,
        error_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, error_id=error_id, request_id=request_id)
        self.app_id = app_id
        self.deployment_id = deployment_id
        self.phase = phase
        self.waited = waited

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(app_id={self.app_id!r}, deployment_id="
            f"{self.deployment_id!r}, phase={self.phase!r}, waited={self.waited!r})"
        )


class LockTimeoutError(TimeoutError):
    """Another sync of the same app held its lock for longer than `lock_timeout`."""


class ConfigurationError(ValueError):
    """A connection, sync, source or config file was refused; nothing was written.

    `field` names the offending field when there is one (e.g. "name", "syncOptions.keySchema").
    """

    field: str | None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedFieldError(ConfigurationError):
    """A field DigitalOcean connections do not support (e.g. `gateway_id`, `rotation`)."""


class AlreadyExistsError(ConfigurationError):
    """A connection or sync with that name already exists, or two syncs would manage the same
    keys of one app."""


class ObjectNotFoundError(LookupError):
    """No connection or sync with that id or name in the store."""

    kind: str
    name: str

    def __init__(self, message: str, *, kind: str = "", name: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConnectionInUseError(RuntimeError):
    """A connection still used by syncs cannot be deleted without `force=True`."""


class SyncDisabledError(RuntimeError):
    """The sync is disabled (`is_enabled=False`), so it does not run."""


class SourceError(RuntimeError):
    """A source could not be read (missing file, malformed .env, command failure, HTTP error).

    The run failed before anything was planned, so nothing changed on the app.
    """


class MasterKeyError(RuntimeError):
    """The master key that encrypts tokens is malformed, or does not decrypt the store."""


class SyncRunError(RuntimeError):
    """A recorded run failed; `run` is the run record (status "failed", its message), and
    `__cause__` is the underlying typed error when there is one."""

    run: Any

    def __init__(self, message: str, *, run: Any = None) -> None:
        super().__init__(message)
        self.run = run
