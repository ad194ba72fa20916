"""`do-envsync apps list|get|spec`: read apps."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from ..client import Client
from ..errors import DigitalOceanError
from ..models import App
from . import _common as c


def find_app(client: Client, ref: str) -> Any:
    """An app by id, else by spec name (one list read)."""
    try:
        return client.apps.get(ref)
    except DigitalOceanError as err:
        if err.status not in (400, 404):
            raise
    for app in client.apps.list():
        if app.spec is not None and app.spec.name == ref:
            return app
    raise c.CliError(f"no app with id or name {ref!r}")


def apps_table(apps: Iterable[App]) -> str:
    """ID, name, region and last update of each app."""
    rows = []
    for app in apps:
        spec = app.spec
        rows.append(
            (
                app.id or "",
                (spec.name if spec is not None else None) or "",
                (spec.region if spec is not None else None) or "",
                app.updated_at or "",
            )
        )
    return c.table(("ID", "NAME", "REGION", "UPDATED"), rows)


def _list(args: argparse.Namespace) -> int:
    apps = c.client(args).apps.list()
    if args.output != "table":
        c.print_data(args.output, [a.to_dict() for a in apps])
        return 0
    print(apps_table(apps))
    return 0


def _get(args: argparse.Namespace) -> int:
    app = find_app(c.client(args), args.app)
    if args.output != "table":
        c.print_data(args.output, app.to_dict())
    else:
        print(repr(app))
    return 0


def _spec(args: argparse.Namespace) -> int:
    app = find_app(c.client(args), args.app)
    if app.spec is None:
        raise c.CliError("the app has no spec")
    text = app.spec.to_json(indent=2) if args.format == "json" else app.spec.to_yaml()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def api_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--base-url", help="API base URL (default: DigitalOcean's; env DO_ENVSYNC_BASE_URL)"
    )
    p.add_argument("--token-env", metavar="VAR", help="read the API token from this variable")
    p.add_argument("--token-stdin", action="store_true", help="read the API token from stdin")


def register(sub: Any) -> None:
    apps = sub.add_parser("apps", help="read apps").add_subparsers(
        dest="apps_command", required=True
    )
    p = apps.add_parser("list", help="list every app")
    api_options(p)
    c.output_options(p)
    p.set_defaults(func=_list)
    p = apps.add_parser("get", help="show one app")
    p.add_argument("app", help="app id or name")
    api_options(p)
    c.output_options(p)
    p.set_defaults(func=_get)
    p = apps.add_parser("spec", help="print an app's spec (YAML, the .do/app.yaml format, or JSON)")
    p.add_argument("app", help="app id or name")
    api_options(p)
    p.add_argument("--format", choices=["yaml", "json"], default="yaml")
    p.add_argument("--json", action="store_const", const="json", dest="format")
    p.set_defaults(func=_spec)
