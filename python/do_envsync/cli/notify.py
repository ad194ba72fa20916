"""`do-envsync notify add|list|update|remove|test|deliveries`: run notifications.

A webhook URL is a secret (a Slack URL is its own credential): it comes from `--url-env VAR`
or `--url-stdin`, never from an argument, is stored sealed, and is only ever shown masked
(`https://host/***`). A webhook's signing secret comes from `--secret-env VAR`; without it
one is generated and shown once.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..control import Delivery, NotifyTarget
from . import _common as c

_EVENTS = "failed, recovered, changed, drift_repaired"


def _read_env(flag: str, var: str, what: str) -> str:
    if "://" in var:
        # Never echoed: a URL typed where a variable name goes (now in shell history).
        raise c.CliError(
            f"{flag} takes a variable name, but was given what looks like a URL (not shown); "
            f"export the {what} and pass the variable's name"
        )
    value = os.environ.get(var, "").strip()
    if not value:
        raise c.CliError(f"{flag}: ${var} is not set or empty")
    return value


def _url(args: argparse.Namespace, *, required: bool) -> str | None:
    if args.url_stdin:
        url = sys.stdin.readline().strip()
        if not url:
            raise c.CliError("--url-stdin: standard input had no URL")
        return url
    if args.url_env:
        return _read_env("--url-env", args.url_env, "URL")
    if required:
        raise c.CliError("no URL: pass --url-env VAR or --url-stdin (never the URL itself)")
    return None


def _secret(args: argparse.Namespace) -> str | None:
    if args.secret_env:
        return _read_env("--secret-env", args.secret_env, "secret")
    return None


def _events(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [e.strip() for e in text.split(",") if e.strip()]


def _target_rows(t: NotifyTarget) -> list[tuple[str, str]]:
    return [
        ("id", t.id),
        ("name", t.name),
        ("type", t.type),
        ("sync", t.sync_name or "(default of every sync)"),
        ("url", t.url_masked),
        ("events", ", ".join(t.events)),
        ("dedup interval", f"{t.dedup_interval}s"),
        ("enabled", "yes" if t.is_enabled else "no"),
        ("created", t.created_at),
        ("updated", t.updated_at),
    ]


def _show(t: NotifyTarget, output: str) -> None:
    if output != "table":
        c.print_data(output, t.to_dict())
    else:
        print(c.table(("FIELD", "VALUE"), _target_rows(t)))


def _add(args: argparse.Namespace) -> int:
    url = _url(args, required=True)
    assert url is not None
    target, generated = c.store(args).notifications.create(
        args.name,
        url,
        type=args.type,
        secret=_secret(args),
        sync=args.sync,
        events=_events(args.events),
        dedup_interval=args.dedup_interval,
        enabled=False if args.disabled else None,
    )
    _show(target, args.output)
    if generated is not None:
        # The one time it exists outside the sealed store: the receiver needs it.
        c.note(
            "signing secret (shown once; give it to the receiver to verify "
            f"X-Do-Envsync-Signature): {generated}"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    targets = c.store(args).notifications.list()
    if args.output != "table":
        c.print_data(args.output, [t.to_dict() for t in targets])
        return 0
    rows = [
        (
            t.name,
            t.type,
            t.sync_name or "*",
            t.url_masked,
            ",".join(t.events),
            "yes" if t.is_enabled else "no",
        )
        for t in targets
    ]
    print(c.table(("NAME", "TYPE", "SYNC", "URL", "EVENTS", "ENABLED"), rows))
    return 0


def _update(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {
        "name": args.new_name,
        "url": _url(args, required=False),
        "secret": _secret(args),
        "events": _events(args.events),
        "dedup_interval": args.dedup_interval,
        "enabled": args.enabled,
    }
    if all(v is None for v in fields.values()):
        raise c.CliError(
            "nothing to update: give --name, --url-env/--url-stdin, --secret-env, --events, "
            "--dedup-interval, --enable or --disable"
        )
    _show(c.store(args).notifications.update(args.target, **fields), args.output)
    return 0


def _remove(args: argparse.Namespace) -> int:
    t = c.store(args).notifications.delete(args.target)
    if args.output != "table":
        c.print_data(args.output, t.to_dict())
    else:
        print(f"removed notification target {t.name} ({t.url_masked})")
    return 0


def _test(args: argparse.Namespace) -> int:
    with c.progress(f"sending a test notification to {args.target}"):
        result = c.store(args).notifications.test(args.target)
    if args.output != "table":
        c.print_data(
            args.output,
            {
                "delivered": result.delivered,
                "attempts": result.attempts,
                "lastError": result.last_error,
            },
        )
    elif result.delivered:
        print(f"delivered (attempts: {result.attempts})")
    else:
        print(f"not delivered after {result.attempts} attempt(s): {result.last_error}")
    return 0 if result.delivered else 1


def deliveries_table(items: list[Delivery]) -> str:
    rows = [
        (
            d.created_at,
            d.target_name,
            d.event,
            d.status,
            str(d.attempts),
            d.run_id,
            d.last_error or "",
        )
        for d in items
    ]
    return c.table(("AT", "TARGET", "EVENT", "STATUS", "ATTEMPTS", "RUN", "LAST ERROR"), rows)


def _deliveries(args: argparse.Namespace) -> int:
    items = c.store(args).notifications.deliveries(
        sync=args.sync, run_id=args.run, limit=args.limit
    )
    if args.output != "table":
        c.print_data(args.output, [d.to_dict() for d in items])
    else:
        print(deliveries_table(items))
    return 0


def _url_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--url-env", metavar="VAR", help="variable holding the webhook URL")
    g.add_argument("--url-stdin", action="store_true", help="read the URL from standard input")
    p.add_argument(
        "--secret-env", metavar="VAR", help="variable holding the signing secret (webhook)"
    )
    p.add_argument("--events", metavar="LIST", help=f"comma-separated, among: {_EVENTS}")
    p.add_argument(
        "--dedup-interval",
        type=float,
        metavar="SECONDS",
        help="identical failures are sent at most once per interval (default 3600)",
    )


def register(sub: Any) -> None:
    notify = sub.add_parser(
        "notify", help="run notifications (webhook, Slack) and their deliveries"
    ).add_subparsers(dest="notify_command", required=True)

    p = notify.add_parser("add", help="add a target (per sync with --sync, else for every sync)")
    p.add_argument("name")
    p.add_argument("--type", choices=("webhook", "slack"), default="webhook")
    p.add_argument("--sync", help="sync id or name (default: every sync)")
    _url_flags(p)
    p.add_argument("--disabled", action="store_true")
    c.output_options(p)
    p.set_defaults(func=_add)

    p = notify.add_parser("list", help="list targets (URLs masked)")
    c.output_options(p)
    p.set_defaults(func=_list)

    p = notify.add_parser("update", help="change given fields only")
    p.add_argument("target", help="id or name")
    p.add_argument("--name", dest="new_name")
    _url_flags(p)
    p.add_argument("--enable", action="store_const", const=True, dest="enabled", default=None)
    p.add_argument("--disable", action="store_const", const=False, dest="enabled")
    c.output_options(p)
    p.set_defaults(func=_update)

    p = notify.add_parser("remove", help="remove a target and its delivery records")
    p.add_argument("target", help="id or name")
    c.output_options(p)
    p.set_defaults(func=_remove)

    p = notify.add_parser("test", help="send a test notification now (exit 1: not delivered)")
    p.add_argument("target", help="id or name")
    c.output_options(p)
    p.set_defaults(func=_test)

    p = notify.add_parser("deliveries", help="delivery records, newest first")
    p.add_argument("--sync", help="sync id or name")
    p.add_argument("--run", help="run id")
    p.add_argument("--limit", type=int, default=50)
    c.output_options(p)
    p.set_defaults(func=_deliveries)
