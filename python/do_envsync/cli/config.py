"""`do-envsync config apply`: create or update what a `do-envsync.toml` declares."""

from __future__ import annotations

import argparse
from typing import Any

from ..sync import Store
from . import _common as c


def _apply(args: argparse.Namespace) -> int:
    report = Store(args.state).apply_config(args.path, notify=c.note)
    if args.output != "table":
        c.print_data(args.output, report.items)
    else:
        print(
            c.table(
                ("KIND", "NAME", "ACTION"),
                [(i["kind"], i["name"], i["action"]) for i in report.items],
            )
        )
    return 0


def register(sub: Any) -> None:
    cfg = sub.add_parser("config", help="the do-envsync.toml config file").add_subparsers(
        dest="config_command", required=True
    )
    p = cfg.add_parser(
        "apply",
        help="create or update its connections, syncs and notification targets (idempotent)",
    )
    p.add_argument("path", nargs="?", default="do-envsync.toml")
    c.output_options(p)
    p.set_defaults(func=_apply)
