"""Builders for sync sources, and reading a source once.

Each builder returns the plain mapping `store.syncs.create(source=...)` takes (the same shape a
`[syncs.source]` table has in `do-envsync.toml`). The Rust core validates it and reads it;
a source that fails to read fails the whole run before anything is planned, so a partly read
source can never cause deletions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from . import _native

__all__ = ["command", "dotenv", "env", "infisical", "inline", "read"]

PathLike = str | os.PathLike[str]


def dotenv(*paths: PathLike) -> dict[str, Any]:
    """One or more `.env` files; a key in a later file wins."""
    if not paths:
        raise ValueError("dotenv() needs at least one path")
    return {"type": "dotenv", "paths": [os.fspath(p) for p in paths]}


def env(prefix: str, *, strip_prefix: bool = True) -> dict[str, Any]:
    """Process environment variables whose name starts with `prefix`."""
    return {"type": "env", "prefix": prefix, "strip_prefix": strip_prefix}


def command(
    cmd: str | Sequence[str],
    *,
    format: str = "auto",
    timeout: float = 60.0,
    pass_env: Sequence[str] = (),
) -> dict[str, Any]:
    """A command whose stdout is a JSON object or dotenv text (`vault`, `op`, `doppler`,
    `infisical export`, ...). A list runs directly; a string runs with `sh -c`.

    The command does not inherit do-envsync's own secrets (`DO_ENVSYNC_MASTER_KEY`,
    `DIGITALOCEAN_TOKEN`, `DIGITALOCEAN_ACCESS_TOKEN`, `DO_ENVSYNC_EMULATOR_TOKEN`, and the
    variables Infisical syncs read their client secret from) unless `pass_env` names them."""
    argv: str | list[str] = cmd if isinstance(cmd, str) else list(cmd)
    source: dict[str, Any] = {
        "type": "command",
        "command": argv,
        "format": format,
        "timeout": timeout,
    }
    if pass_env:
        source["pass_env"] = list(pass_env)
    return source


def infisical(
    project_id: str,
    environment: str,
    *,
    client_id: str,
    client_secret: str | None = None,
    client_secret_env: str | None = None,
    secret_path: str = "/",
    recursive: bool = False,
    site_url: str | None = None,
) -> dict[str, Any]:
    """An Infisical project's secrets, read with a universal-auth machine identity. Give the
    client secret itself (stored encrypted) or the name of an environment variable holding it."""
    source: dict[str, Any] = {
        "type": "infisical",
        "project_id": project_id,
        "environment": environment,
        "secret_path": secret_path,
        "recursive": recursive,
        "client_id": client_id,
    }
    if client_secret is not None:
        source["client_secret"] = client_secret
    if client_secret_env is not None:
        source["client_secret_env"] = client_secret_env
    if site_url is not None:
        source["site_url"] = site_url
    return source


def inline(secrets: Mapping[str, str]) -> dict[str, Any]:
    """A mapping given in Python (stored encrypted, like tokens)."""
    return {"type": "inline", "secrets": dict(secrets)}


def read(
    source: Mapping[str, Any] | PathLike, *, base_dir: PathLike | None = None
) -> dict[str, str]:
    """Reads a source once: key -> value, in source order. Raises `SourceError` on failure and
    `ConfigurationError` for an invalid source."""
    if isinstance(source, (str, os.PathLike)):
        source = dotenv(source)
    pairs = _native.read_source(json.dumps(dict(source)), os.fspath(base_dir or os.getcwd()))
    return dict(pairs)
