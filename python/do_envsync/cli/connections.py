"""`do-envsync connections create|list|get|update|delete`.

The token comes from `--token-env VAR`, `--token-stdin` or `$DIGITALOCEAN_TOKEN`, is checked
with one request, and is stored encrypted; it is never printed.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..control import Connection
from . import _common as c
from .apps import apps_table


def _show(conn: Connection, output: str) -> None:
    if output != "table":
        c.print_data(output, conn.to_dict())
        return
    print(
        c.table(
            ("FIELD", "VALUE"),
            [
                ("id", conn.id),
                ("name", conn.name),
                ("description", conn.description or ""),
                ("base url", conn.base_url),
                ("version", str(conn.version)),
                ("created", conn.created_at),
                ("updated", conn.updated_at),
                ("credentials hash", conn.credentials_hash),
            ],
        )
    )


def _create(args: argparse.Namespace) -> int:
    token = c.read_token(args)
    assert token is not None
    with c.progress("checking the token"):
        conn = c.store(args).connections.create(
            args.name, token, description=args.description, base_url=c.base_url(args)
        )
    _show(conn, args.output)
    return 0


def _list(args: argparse.Namespace) -> int:
    conns = c.store(args).connections.list()
    if args.output != "table":
        c.print_data(args.output, [x.to_dict() for x in conns])
        return 0
    rows = [(x.name, x.id, x.base_url, str(x.version), x.description or "") for x in conns]
    print(c.table(("NAME", "ID", "BASE URL", "VERSION", "DESCRIPTION"), rows))
    return 0


def _get(args: argparse.Namespace) -> int:
    _show(c.store(args).connections.get(args.connection), args.output)
    return 0


def _update(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {}
    if args.name is not None:
        fields["name"] = args.name
    if args.description is not None:
        fields["description"] = args.description or None
    if args.base_url is not None:
        fields["base_url"] = args.base_url
    if args.token_env or args.token_stdin:
        fields["token"] = c.read_token(args)
    if not fields:
        raise c.CliError(
            "nothing to update: give --name, --description, --base-url, "
            "--token-env or --token-stdin"
        )
    with c.progress("updating the connection"):
        conn = c.store(args).connections.update(args.connection, **fields)
    _show(conn, args.output)
    return 0


def _delete(args: argparse.Namespace) -> int:
    conn = c.store(args).connections.delete(args.connection, force=args.force)
    if args.output != "table":
        c.print_data(args.output, conn.to_dict())
    else:
        print(f"deleted connection {conn.name} ({conn.id})")
    return 0


def _apps(args: argparse.Namespace) -> int:
    apps = c.store(args).connections.apps(args.connection)
    if args.output != "table":
        c.print_data(args.output, [a.to_dict() for a in apps])
        return 0
    print(apps_table(apps))
    return 0


def register(sub: Any) -> None:
    conns = sub.add_parser("connections", help="DigitalOcean API connections").add_subparsers(
        dest="connections_command", required=True
    )

    def token_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--token-env", metavar="VAR", help="read the token from this variable")
        p.add_argument("--token-stdin", action="store_true", help="read the token from stdin")

    p = conns.add_parser("create", help="add a connection (the token is checked, then encrypted)")
    p.add_argument("name", help="a slug: lowercase letters, digits and dashes")
    p.add_argument("--description")
    p.add_argument("--base-url", help="API base URL (a loopback URL for the emulator)")
    token_options(p)
    c.output_options(p)
    p.set_defaults(func=_create)

    p = conns.add_parser("list", help="list connections")
    c.output_options(p)
    p.set_defaults(func=_list)

    p = conns.add_parser("get", help="show one connection")
    p.add_argument("connection", help="id or name")
    c.output_options(p)
    p.set_defaults(func=_get)

    p = conns.add_parser("update", help="change given fields only")
    p.add_argument("connection", help="id or name")
    p.add_argument("--name")
    p.add_argument("--description", help="new description ('' clears it)")
    p.add_argument("--base-url")
    token_options(p)
    c.output_options(p)
    p.set_defaults(func=_update)

    p = conns.add_parser("apps", help="list the apps the connection's token can see")
    p.add_argument("connection", help="id or name")
    c.output_options(p)
    p.set_defaults(func=_apps)

    p = conns.add_parser("delete", help="delete a connection")
    p.add_argument("connection", help="id or name")
    p.add_argument("--force", action="store_true", help="also delete the syncs that use it")
    c.output_options(p)
    p.set_defaults(func=_delete)
