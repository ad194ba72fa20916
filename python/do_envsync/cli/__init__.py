"""The `do-envsync` command line.

Tokens come from the environment (`DIGITALOCEAN_TOKEN`, `DIGITALOCEAN_ACCESS_TOKEN`, or the
variable `--token-env` names) or from standard input with `--token-stdin`, never from an
argument (command lines are visible to other users), and are never printed.

Exit codes: 0 success (and, for `plan`, nothing to change); 2 `plan` found changes (like
`terraform plan -detailed-exitcode`); 1 any error, with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__, refresh_logging
from ..errors import (
    ConnectionInUseError,
    DigitalOceanError,
    MasterKeyError,
    ObjectNotFoundError,
    SourceError,
    SyncDisabledError,
    SyncRunError,
)
from . import (
    adhoc,
    apps,
    completion,
    config,
    connections,
    demo,
    emulator,
    notify,
    serve,
    state,
    syncs,
    watch,
)
from ._common import CliError, flush_notifications

__all__ = ["main"]

_ERRORS = (
    CliError,
    DigitalOceanError,
    ObjectNotFoundError,
    ConnectionInUseError,
    SyncDisabledError,
    SourceError,
    SyncRunError,
    MasterKeyError,
    ValueError,
    OSError,
    TimeoutError,
)


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 with one line (exit 2 means "plan found changes")."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"do-envsync: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="do-envsync", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--version", action="version", version=f"do-envsync {__version__}")
    p.add_argument(
        "--state",
        metavar="PATH_OR_URL",
        help="state database: a SQLite file, or a postgresql:// URL shared by many machines "
        "(needs $DO_ENVSYNC_MASTER_KEY; default: $DO_ENVSYNC_STATE or the user data dir)",
    )
    p.add_argument(
        "--config",
        metavar="PATH",
        help="do-envsync.toml to apply before the command (by default ./do-envsync.toml is "
        "applied, when it exists, before syncs run/plan/remove-secrets and watch)",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log to stderr: -v retries and waits (INFO), -vv every request and response "
        "(DEBUG: method, path, status, request id, attempt, timing; never a token or a value); "
        "env DO_ENVSYNC_LOG=warning|info|debug",
    )
    p.add_argument(
        "--no-color", action="store_true", help="no colour in plans (also: NO_COLOR set)"
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in (
        apps, adhoc, connections, syncs, notify, watch, serve, config, state, emulator, demo
    ):
        module.register(sub)
    completion.register(sub, p)
    return p


_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def _log_level(verbose: int) -> int | None:
    """The level `-v`/`-vv` or `$DO_ENVSYNC_LOG` asks for (the more verbose wins), or None."""
    levels = []
    if verbose:
        levels.append(logging.DEBUG if verbose >= 2 else logging.INFO)
    env = os.environ.get("DO_ENVSYNC_LOG", "").strip().lower()
    if env:
        if env not in _LEVELS:
            raise CliError(f"DO_ENVSYNC_LOG: expected one of {', '.join(_LEVELS)}, got {env!r}")
        levels.append(_LEVELS[env])
    return min(levels) if levels else None


def _setup_logging(level: int) -> None:
    """The core's events (and the CLI's) on stderr, from `level` up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    )
    handler.set_name("do-envsync-cli")
    logger = logging.getLogger("do_envsync")
    # main() may run more than once in a process (tests): one handler, on today's stderr.
    for old in [h for h in logger.handlers if h.get_name() == "do-envsync-cli"]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    # Levels are cached by the core at their first event: make it see these.
    refresh_logging()


_SECRET_SHAPES = re.compile(
    r"EV\[[^\]]*\]?|\bdo[opr]_v1_[0-9A-Za-z]*|(?i:bearer)\s+\S+|\b[0-9A-Fa-f]{64}\b"
)


def _mask(text: str) -> str:
    """Token and ciphertext shapes masked, as the core's `redact::mask_secrets`."""
    return _SECRET_SHAPES.sub("[REDACTED]", text)


def _one_line(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        level = _log_level(args.verbose)
        if level is not None:
            _setup_logging(level)
        try:
            code: int = args.func(args)
        finally:
            # Runs report in the background; a short-lived process gives them a bounded
            # time to finish once the command's own output is out.
            flush_notifications()
        return code
    except _ERRORS as err:
        print(f"do-envsync: error: {_one_line(err)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("do-envsync: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        # Whatever an unexpected answer breaks, the CLI still ends in one line (masked:
        # an unknown message may quote anything); DO_ENVSYNC_DEBUG=1 shows the traceback.
        if os.environ.get("DO_ENVSYNC_DEBUG"):
            raise
        text = _mask(_one_line(err))[:300]
        print(
            f"do-envsync: error: unexpected {type(err).__name__}: {text} "
            "(a bug in do-envsync; DO_ENVSYNC_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
