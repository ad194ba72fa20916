"""Shared pieces of the command line: tokens, clients, the store, output and progress."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..client import Client
from ..sync import Store

TOKEN_ENV_VARS = ("DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN")
_TOKEN_SHAPE = re.compile(r"do[opr]_v1_[0-9A-Za-z]+|[0-9A-Fa-f]{64}")


def looks_like_token(text: str) -> bool:
    """Whether `text` has the shape of a DigitalOcean token (`dop_v1_`/`doo_v1_`/`dor_v1_`
    or 64 hex characters), as `redact::looks_like_token` in the core."""
    return _TOKEN_SHAPE.fullmatch(text.strip()) is not None


PROGRESS_AFTER = 1.0
"""Seconds a command runs before it starts showing progress on stderr."""


class CliError(Exception):
    """A one-line error for the user; exit code 1."""


def read_token(args: argparse.Namespace, *, required: bool = True) -> str | None:
    """The API token: from standard input with `--token-stdin`, from the variable named by
    `--token-env`, or from `$DIGITALOCEAN_TOKEN` / `$DIGITALOCEAN_ACCESS_TOKEN`. Never from an
    argument: command lines are visible to other users."""
    if getattr(args, "token_stdin", False):
        token = sys.stdin.readline().strip()
        if not token:
            raise CliError("--token-stdin: standard input had no token")
        return token
    name = getattr(args, "token_env", None)
    if name:
        if looks_like_token(name):
            # Never echoed, not even in part: it is a token typed where a name goes.
            raise CliError(
                "--token-env takes a variable name, but was given what looks like a token "
                "(not shown; it may now be in your shell history); export the token and pass "
                "the variable's name, or use --token-stdin"
            )
        token = os.environ.get(name, "").strip()
        if not token:
            raise CliError(f"--token-env: ${name} is not set or empty")
        return token
    for var in TOKEN_ENV_VARS:
        token = os.environ.get(var, "").strip()
        if token:
            return token
    if required:
        raise CliError(
            "no API token: set $DIGITALOCEAN_TOKEN, or pass --token-env VAR or --token-stdin"
        )
    return None


def base_url(args: argparse.Namespace) -> str | None:
    url: str | None = getattr(args, "base_url", None) or os.environ.get("DO_ENVSYNC_BASE_URL")
    return url


def client(args: argparse.Namespace) -> Client:
    return Client(read_token(args), base_url=base_url(args))


def store(args: argparse.Namespace, *, apply_config: bool = False) -> Store:
    """The state store (`--state`, else `$DO_ENVSYNC_STATE`, else the user data dir).

    A config file given with `--config` is applied first. `./do-envsync.toml` is applied
    only by commands that act on the declared setup (`apply_config=True`: `syncs run`,
    `syncs plan`, `syncs remove-secrets`, `watch`), so reading or editing the store never
    depends on the file or undoes an edit made with the CLI."""
    st = Store(args.state)
    _OPENED.append(st)
    config = getattr(args, "config", None)
    discovered = False
    if config is None and apply_config and os.path.exists("do-envsync.toml"):
        config, discovered = "do-envsync.toml", True
    if config:
        # A file found by chance may not send a token to its own base_url (refused); one
        # the user named may, and stderr says so before the token is sent.
        report = st.apply_config(config, discovered=discovered, notify=note)
        for item in report.items:
            if item.get("action") != "unchanged":
                note(f"{config}: {item['kind']} {item['name']} {item['action']}")
    return st


_OPENED: list[Store] = []
NOTIFY_WAIT = 10.0
"""Seconds a command waits at exit for notifications still being delivered
(`$DO_ENVSYNC_NOTIFY_WAIT` sets another bound)."""


def flush_notifications() -> None:
    """Waits (bounded) for the background deliveries of the stores this command opened;
    those still running then are recorded as `abandoned`, and stderr says so."""
    try:
        wait = float(os.environ.get("DO_ENVSYNC_NOTIFY_WAIT", NOTIFY_WAIT))
    except ValueError:
        wait = NOTIFY_WAIT
    while _OPENED:
        st = _OPENED.pop()
        if "_native_control" not in st.__dict__:
            continue  # no control plane opened: nothing was run
        notifications = st.notifications
        if notifications.in_flight() == 0:
            continue
        left = notifications.flush(max(wait, 0.0))
        if left:
            note(
                f"do-envsync: {left} notification(s) still being delivered after {wait:g}s "
                "were abandoned (see do-envsync notify deliveries)"
            )


OUTPUTS = ("table", "json", "yaml")


def output_options(p: argparse.ArgumentParser) -> None:
    """`-o/--output table|json|yaml`, and `--json` kept as the short form of `--output json`."""
    p.add_argument(
        "-o", "--output", choices=OUTPUTS, default="table", help="output format (default: table)"
    )
    p.add_argument(
        "--json", action="store_const", const="json", dest="output", help="same as --output json"
    )


def print_data(output: str, data: Any) -> None:
    """Prints JSON-shaped `data` as JSON or YAML."""
    if output == "yaml":
        sys.stdout.write(to_yaml(data))
    else:
        print(json.dumps(data, indent=2, ensure_ascii=False))


def to_yaml(data: Any) -> str:
    """Block-style YAML for JSON-shaped data (dicts, lists, str, numbers, bool, None).

    Every string is written as a JSON string, which is a valid YAML double-quoted scalar: no
    string can turn into a number, a boolean, null or a date (`"no"`, `"1e3"`, `"2024-01-01"`),
    and no character needs YAML-specific escaping. No dependency beyond the standard library.
    """
    lines: list[str] = []
    _yaml_node(data, 0, lines)
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _yaml_node(data: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(data, dict):
        if not data:
            lines.append(pad + "{}")
        for key, value in data.items():
            head = f"{pad}{_yaml_scalar(str(key))}:"
            if isinstance(value, (dict, list)) and value:
                lines.append(head)
                _yaml_node(value, indent + 2, lines)
            else:
                lines.append(f"{head} {_yaml_inline(value)}")
    elif isinstance(data, list):
        if not data:
            lines.append(pad + "[]")
        for item in data:
            if isinstance(item, (dict, list)) and item:
                # The item's first line goes after the dash; the rest keep its indentation.
                sub: list[str] = []
                _yaml_node(item, indent + 2, sub)
                lines.append(f"{pad}- {sub[0][indent + 2 :]}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- {_yaml_inline(item)}")
    else:
        lines.append(pad + _yaml_inline(data))


def _yaml_inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _yaml_scalar(value)


def color(args: argparse.Namespace) -> bool:
    """Colour only for a terminal: never when stdout is piped, with `NO_COLOR` set (any
    non-empty value, https://no-color.org) or with `--no-color`."""
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    all_rows = [headers, *rows]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in all_rows
    )


@contextmanager
def progress(label: str) -> Iterator[None]:
    """Shows `label` with the elapsed time on stderr once the block has run for a second:
    updated in place on a terminal, one line otherwise (CI logs)."""
    done = threading.Event()
    tty = sys.stderr.isatty()

    def tick() -> None:
        start = time.monotonic()
        if done.wait(PROGRESS_AFTER):
            return
        if not tty:
            note(f"{label}...")
            return
        while not done.wait(0.2):
            sys.stderr.write(f"\r{label}... {time.monotonic() - start:.1f}s")
            sys.stderr.flush()
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def bar(label: str) -> Callable[[int, int], None]:
    """A progress callback `(done, total)` that draws a bar on stderr after one second."""
    start = time.monotonic()
    tty = sys.stderr.isatty()
    state = {"shown": False}

    def show(done: int, total: int) -> None:
        if time.monotonic() - start < PROGRESS_AFTER and done < total:
            return
        if not tty:
            if done == total and state["shown"] is False:
                note(f"{label}: {done}/{total}")
                state["shown"] = True
            return
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
