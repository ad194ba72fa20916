"""`do-envsync serve`: Infisical's REST API for DigitalOcean, over the same store.

`serve keys create|list|revoke NAME` manages the API keys every `/api` route needs; a key
is shown once, when created. SIGINT and SIGTERM stop the server after the requests and
runs in flight.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from types import FrameType
from typing import Any

from .. import _native
from . import _common as c


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    st = c.store(args)
    signal.signal(signal.SIGTERM, _stop)

    def ready(address: str, https: bool) -> None:
        scheme = "https" if https else "http"
        print(f"do-envsync serve: listening on {scheme}://{address}", file=sys.stderr, flush=True)

    try:
        _native.serve(
            st,
            args.bind,
            args.tls_cert,
            args.tls_key,
            args.insecure_behind_proxy,
            args.infisical_url,
            not args.no_auto_sync,
            args.poll_interval,
            ready,
            None,
        )
    except RuntimeError as err:
        raise c.CliError(str(err)) from None
    print("do-envsync serve: stopped", file=sys.stderr, flush=True)
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    record, key = _native.api_key_create(c.store(args), args.name)
    if args.output != "table":
        c.print_data(args.output, {**json.loads(record), "key": key})
    else:
        print(key)
        c.note(f"API key {args.name!r} created; it is shown only now: keep it in a secret store")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    keys: list[dict[str, Any]] = json.loads(_native.api_key_list(c.store(args)))
    if args.output != "table":
        c.print_data(args.output, keys)
    elif keys:
        print(
            c.table(("NAME", "ID", "CREATED"), [(k["name"], k["id"], k["createdAt"]) for k in keys])
        )
    else:
        c.note("no API keys: create one with `do-envsync serve keys create NAME`")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    _native.api_key_revoke(c.store(args), args.name)
    c.note(f"API key {args.name!r} revoked")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="serve Infisical's REST API for DigitalOcean (see docs/server.md)"
    )
    p.add_argument("--bind", default="127.0.0.1:8080", metavar="HOST:PORT")
    p.add_argument(
        "--state",
        default=argparse.SUPPRESS,
        metavar="PATH_OR_URL",
        help="state store (as the global --state)",
    )
    p.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate chain")
    p.add_argument("--tls-key", metavar="PEM", help="and this private key")
    p.add_argument(
        "--insecure-behind-proxy",
        action="store_true",
        help="plain HTTP on a non-loopback address (a TLS-terminating proxy fronts it)",
    )
    p.add_argument(
        "--infisical-url",
        metavar="URL",
        help="Infisical site for syncs created with projectId/environment/secretPath; the machine "
        "identity comes from INFISICAL_UNIVERSAL_AUTH_CLIENT_ID and "
        "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
    )
    p.add_argument("--no-auto-sync", action="store_true", help="do not run auto-sync syncs")
    p.add_argument(
        "--poll-interval",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="auto-sync poll interval of sources without files",
    )
    p.set_defaults(func=_serve)
    keys = p.add_subparsers(dest="serve_command", parser_class=type(p))
    k = keys.add_parser("keys", help="API keys of the server")
    ks = k.add_subparsers(dest="keys_command", required=True, parser_class=type(p))
    for name, func, text in (
        ("create", _keys_create, "create a key (printed once)"),
        ("list", _keys_list, "list keys (names and ids, never the keys)"),
        ("revoke", _keys_revoke, "revoke a key"),
    ):
        kp = ks.add_parser(name, help=text)
        if name != "list":
            kp.add_argument("name", metavar="NAME")
        c.output_options(kp)
        kp.set_defaults(func=func)
