"""`do-envsync state copy`: move the whole state between a SQLite file and PostgreSQL."""

from __future__ import annotations

import argparse
from typing import Any

from ..sync import Store
from . import _common as c


def _copy(args: argparse.Namespace) -> int:
    source, target = Store(args.source), Store(args.target)
    counts = source.copy_to(target)
    if args.output != "table":
        c.print_data(args.output, {"from": source.path, "to": target.path, **counts})
    else:
        print(
            f"copied {counts['connections']} connections, {counts['syncs']} syncs, "
            f"{counts['runs']} runs, {counts['records']} records of {counts['apps']} apps, "
            f"{counts['notify_targets']} notification targets ({counts['deliveries']} deliveries) "
            f"and {counts['api_keys']} API keys from {source.path} to {target.path}"
        )
    return 0


def register(sub: Any) -> None:
    state = sub.add_parser("state", help="the state store itself").add_subparsers(
        dest="state_command", required=True
    )
    p = state.add_parser(
        "copy",
        help="copy connections, syncs, runs and records into an empty store "
        "(SQLite file <-> postgresql:// URL)",
    )
    p.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL")
    p.add_argument("--to", dest="target", required=True, metavar="PATH_OR_URL")
    c.output_options(p)
    p.set_defaults(func=_copy)
