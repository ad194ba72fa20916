"""`do-envsync syncs create|list|get|update|delete|plan|run|remove-secrets|history`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..control import SecretSync, SyncRun
from ..display import runs_table
from ..errors import SyncRunError
from . import _common as c
from .adhoc import deploying_options, show_plan

MAX_SOURCE_JSON = 1024 * 1024
"""Largest `--source-json @FILE` read, in characters."""


def _source(args: argparse.Namespace) -> dict[str, Any] | None:
    given = [
        name
        for name, on in (
            ("--env-file", bool(args.env_file)),
            ("--env-prefix", args.env_prefix is not None),
            ("--command", args.command_source is not None),
            ("--infisical-project", args.infisical_project is not None),
            ("--source-json", args.source_json is not None),
        )
        if on
    ]
    if len(given) > 1:
        raise c.CliError(f"give one source, not {' and '.join(given)}")
    if args.env_file:
        return {"type": "dotenv", "paths": args.env_file}
    if args.env_prefix is not None:
        return {"type": "env", "prefix": args.env_prefix, "strip_prefix": not args.keep_prefix}
    if args.command_source is not None:
        source: dict[str, Any] = {"type": "command", "command": args.command_source}
        if args.command_format:
            source["format"] = args.command_format
        if args.command_timeout is not None:
            source["timeout"] = args.command_timeout
        if args.command_pass_env:
            source["pass_env"] = args.command_pass_env
        return source
    if args.infisical_project is not None:
        source = {
            "type": "infisical",
            "project_id": args.infisical_project,
            "environment": args.infisical_environment,
            "secret_path": args.infisical_path,
            "recursive": args.infisical_recursive,
            "client_id": args.infisical_client_id,
            "client_secret_env": args.infisical_client_secret_env,
        }
        if args.infisical_url:
            source["site_url"] = args.infisical_url
        return source
    if args.source_json is not None:
        return _source_json(args.source_json)
    return None


def _source_json(given: str) -> dict[str, Any]:
    """`--source-json JSON`, `@FILE` or `-` (stdin). Secret values (an inline source, an
    Infisical `client_secret`) are refused inline: a command line is visible to other users
    (`ps`, shell history). From a file or stdin they are accepted."""
    if given == "-":
        text, origin = sys.stdin.read(MAX_SOURCE_JSON + 1), "stdin"
        if len(text) > MAX_SOURCE_JSON:
            raise c.CliError("--source-json: stdin holds more than 1 MiB")
    elif given.startswith("@"):
        try:
            with open(given[1:], encoding="utf-8") as f:
                text = f.read(MAX_SOURCE_JSON + 1)
        except OSError as err:
            raise c.CliError(f"--source-json: cannot read {given[1:]}: {err.strerror}") from None
        if len(text) > MAX_SOURCE_JSON:
            raise c.CliError(f"--source-json: {given[1:]} is larger than 1 MiB")
        origin = given[1:]
    else:
        text, origin = given, ""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        # The position only: the text may hold secrets.
        where = f" in {origin}" if origin else ""
        raise c.CliError(
            f"--source-json: not JSON{where} (line {err.lineno}, column {err.colno})"
        ) from None
    if not isinstance(parsed, dict):
        raise c.CliError("--source-json: expected a JSON object")
    if not origin:
        secret = (
            "an inline source's values"
            if parsed.get("type") == "inline"
            else "client_secret"
            if "client_secret" in parsed
            else None
        )
        if secret:
            raise c.CliError(
                f"--source-json: {secret} would be on the command line, where other users "
                "and the shell history see it; pass the JSON with --source-json @FILE or "
                "--source-json - (stdin), or name the variable holding the client secret "
                "with client_secret_env"
            )
    return parsed


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for attr, key in (
        ("key_schema", "key_schema"),
        ("environment", "environment"),
        ("initial_sync_behavior", "initial_sync_behavior"),
        ("type", "default_type"),
        ("scope", "default_scope"),
        ("if_deploying", "if_deploying"),
        ("deploy_wait_timeout", "deploy_wait_timeout"),
    ):
        value = getattr(args, attr)
        if value is not None:
            opts[key] = value
    if args.component:
        opts["components"] = args.component
    if args.no_delete is not None:
        opts["disable_secret_deletion"] = args.no_delete
    if args.auto_sync is not None:
        opts["auto_sync_enabled"] = args.auto_sync
    return opts


def _show(sync: SecretSync, output: str) -> None:
    if output != "table":
        c.print_data(output, sync.to_dict())
        return
    o = sync.options
    rows = [
        ("id", sync.id),
        ("name", sync.name),
        ("description", sync.description or ""),
        ("connection", f"{sync.connection_name or ''} ({sync.connection_id})"),
        ("app", f"{sync.app_name or ''} ({sync.app_id})"),
        ("source", json.dumps(sync.source)),
        ("key schema", str(o.get("keySchema") or "")),
        ("environment", sync.environment or ""),
        ("initial sync", str(o.get("initialSyncBehavior") or "")),
        ("auto sync", str(o.get("autoSyncEnabled"))),
        ("deletion disabled", str(o.get("disableSecretDeletion"))),
        ("if deploying", f"{o.get('ifDeploying')} (wait up to {o.get('deployWaitTimeout')}s)"),
        ("enabled", str(sync.is_enabled)),
        ("version", str(sync.version)),
        ("status", sync.sync_status or "never run"),
        ("last message", sync.last_sync_message or ""),
        ("last synced", sync.last_synced_at or ""),
    ]
    print(c.table(("FIELD", "VALUE"), rows))


def _create(args: argparse.Namespace) -> int:
    source = _source(args)
    if source is None:
        raise c.CliError(
            "a source is needed: --env-file, --env-prefix, --command, "
            "--infisical-project or --source-json"
        )
    with c.progress("resolving the app"):
        sync = c.store(args).syncs.create(
            args.name,
            connection=args.connection,
            app=args.app,
            source=source,
            options=_options(args),
            description=args.description,
            is_enabled=not args.disabled,
        )
    _show(sync, args.output)
    return 0


def _list(args: argparse.Namespace) -> int:
    syncs = c.store(args).syncs.list()
    if args.output != "table":
        c.print_data(args.output, [s.to_dict() for s in syncs])
        return 0
    rows = [
        (
            s.name,
            s.app_name or s.app_id,
            s.connection_name or s.connection_id,
            str(s.source.get("type", "")),
            "yes" if s.is_enabled else "no",
            s.sync_status or "never run",
            s.last_synced_at or "",
        )
        for s in syncs
    ]
    print(
        c.table(("NAME", "APP", "CONNECTION", "SOURCE", "ENABLED", "STATUS", "LAST SYNCED"), rows)
    )
    return 0


def _get(args: argparse.Namespace) -> int:
    _show(c.store(args).syncs.get(args.sync), args.output)
    return 0


def _update(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {}
    for attr in ("name", "description", "connection", "app"):
        value = getattr(args, attr)
        if value is not None:
            fields[attr] = value
    source = _source(args)
    if source is not None:
        fields["source"] = source
    options = _options(args)
    if options:
        fields["options"] = options
    if args.enabled is not None:
        fields["is_enabled"] = args.enabled
    if not fields:
        raise c.CliError("nothing to update")
    _show(c.store(args).syncs.update(args.sync, **fields), args.output)
    return 0


def _delete(args: argparse.Namespace) -> int:
    st = c.store(args)
    if not args.remove_secrets:
        if args.wait:
            raise c.CliError("--wait follows the removal's deployment; give --remove-secrets")
        sync = st.syncs.delete(args.sync)
        if args.output != "table":
            c.print_data(args.output, sync.to_dict())
        else:
            print(f"deleted sync {sync.name} ({sync.id}); the app was not changed")
        return 0
    try:
        with c.progress(f"removing the secrets of {args.sync}"):
            sync = st.syncs.delete(
                args.sync, remove_secrets=True, wait=args.wait, lock_timeout=args.lock_timeout
            )
    except SyncRunError as err:
        if args.output != "table" and err.run is not None:
            c.print_data(args.output, err.run.to_dict())
        raise
    if args.output != "table":
        c.print_data(args.output, sync.to_dict())
    else:
        print(
            f"removed the secrets of {sync.name} from app {sync.app_name or sync.app_id}: "
            f"{sync.last_remove_message or 'no changes'}; deleted sync {sync.name} ({sync.id})"
        )
    return 0


def _plan(args: argparse.Namespace) -> int:
    with c.progress(f"planning {args.sync}"):
        plan = c.store(args, apply_config=True).syncs.plan(args.sync)
    return show_plan(plan, args.output, color=c.color(args))


def _print_runs(runs: list[SyncRun], output: str) -> None:
    if output != "table":
        c.print_data(output, [r.to_dict() for r in runs] if len(runs) != 1 else runs[0].to_dict())
    else:
        for r in runs:
            print(str(r))


def _run(args: argparse.Namespace) -> int:
    st = c.store(args, apply_config=True)
    if args.all:
        if args.sync:
            raise c.CliError("give a sync name or --all, not both")
        if args.wait:
            raise c.CliError("--wait follows one sync's deployment; it does not combine with --all")
        runs = st.syncs.run_all(progress=c.bar("syncing"), lock_timeout=args.lock_timeout)
        if args.output != "table":
            c.print_data(args.output, [r.to_dict() for r in runs])
        else:
            for r in runs:
                print(str(r))
        return 1 if any(not r.ok for r in runs) else 0
    if not args.sync:
        raise c.CliError("give a sync name, or --all")
    try:
        with c.progress(f"syncing {args.sync}"):
            run = st.syncs.run(args.sync, wait=args.wait, lock_timeout=args.lock_timeout)
    except SyncRunError as err:
        if args.output != "table" and err.run is not None:
            c.print_data(args.output, err.run.to_dict())
        raise
    _print_runs([run], args.output)
    return 0


def _remove(args: argparse.Namespace) -> int:
    try:
        with c.progress(f"removing the secrets of {args.sync}"):
            run = c.store(args, apply_config=True).syncs.remove_secrets(
                args.sync, wait=args.wait, lock_timeout=args.lock_timeout
            )
    except SyncRunError as err:
        if args.output != "table" and err.run is not None:
            c.print_data(args.output, err.run.to_dict())
        raise
    _print_runs([run], args.output)
    return 0


def _history(args: argparse.Namespace) -> int:
    runs = c.store(args).syncs.history(args.sync, limit=args.limit)
    if args.output != "table":
        c.print_data(args.output, [r.to_dict() for r in runs])
    else:
        print(runs_table(runs))
    return 0


def _source_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("source (one of)")
    g.add_argument("--env-file", action="append", help=".env file (repeatable; later wins)")
    g.add_argument("--env-prefix", help="process environment variables with this prefix")
    g.add_argument("--keep-prefix", action="store_true", help="with --env-prefix: keep it")
    g.add_argument(
        "--command",
        dest="command_source",
        metavar="CMD",
        help="shell command printing JSON or dotenv",
    )
    g.add_argument("--command-format", choices=["auto", "json", "dotenv"])
    g.add_argument("--command-timeout", type=float, metavar="SECONDS")
    g.add_argument(
        "--command-pass-env",
        action="append",
        metavar="VAR",
        help="pass this withheld variable (e.g. DIGITALOCEAN_TOKEN) to the command (repeatable)",
    )
    g.add_argument("--infisical-project", metavar="ID")
    g.add_argument("--infisical-environment", metavar="SLUG")
    g.add_argument("--infisical-path", default="/", metavar="PATH")
    g.add_argument("--infisical-recursive", action="store_true")
    g.add_argument("--infisical-url", metavar="URL")
    g.add_argument("--infisical-client-id", metavar="ID")
    g.add_argument(
        "--infisical-client-secret-env", metavar="VAR", help="variable holding the client secret"
    )
    g.add_argument(
        "--source-json",
        metavar="JSON|@FILE|-",
        help="any source as a JSON object: inline (no secret values), from @FILE, or - (stdin)",
    )


def _option_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("sync options")
    g.add_argument("--key-schema", help="e.g. APP_{{secretKey}}")
    g.add_argument("--environment", help="value of {{environment}}")
    g.add_argument("--component", action="append", help="target component (repeatable)")
    g.add_argument("--no-delete", action="store_const", const=True, default=None)
    g.add_argument("--allow-delete", action="store_const", const=False, dest="no_delete")
    g.add_argument(
        "--initial-sync-behavior",
        choices=[
            "overwrite-destination",
            "import-prioritize-source",
            "import-prioritize-destination",
        ],
    )
    g.add_argument(
        "--no-auto-sync", action="store_const", const=False, default=None, dest="auto_sync"
    )
    g.add_argument("--auto-sync", action="store_const", const=True, dest="auto_sync")
    g.add_argument("--type", choices=["SECRET", "GENERAL"], help="type of new keys")
    g.add_argument("--scope", choices=["RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"])
    deploying_options(g, default=None)


def register(sub: Any) -> None:
    syncs = sub.add_parser("syncs", help="App Platform syncs").add_subparsers(
        dest="syncs_command", required=True
    )
    p = syncs.add_parser("create", help="create a sync (the app is resolved and checked)")
    p.add_argument("name")
    p.add_argument("--connection", required=True, help="connection id or name")
    p.add_argument("--app", required=True, help="app id or name")
    p.add_argument("--description")
    p.add_argument("--disabled", action="store_true")
    _source_options(p)
    _option_flags(p)
    c.output_options(p)
    p.set_defaults(func=_create)

    p = syncs.add_parser("list", help="list syncs")
    c.output_options(p)
    p.set_defaults(func=_list)

    p = syncs.add_parser("get", help="show one sync")
    p.add_argument("sync", help="id or name")
    c.output_options(p)
    p.set_defaults(func=_get)

    p = syncs.add_parser("update", help="change given fields only")
    p.add_argument("sync", help="id or name")
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--connection")
    p.add_argument("--app")
    p.add_argument("--enable", action="store_const", const=True, dest="enabled", default=None)
    p.add_argument("--disable", action="store_const", const=False, dest="enabled")
    _source_options(p)
    _option_flags(p)
    c.output_options(p)
    p.set_defaults(func=_update)

    p = syncs.add_parser(
        "delete", help="delete a sync (the app is not changed unless --remove-secrets)"
    )
    p.add_argument("sync", help="id or name")
    p.add_argument(
        "--remove-secrets",
        action="store_true",
        help="first remove the keys the sync created and restore adopted ones (as "
        "remove-secrets); the sync is kept if that fails",
    )
    p.add_argument(
        "--wait", action="store_true", help="with --remove-secrets: follow the deployment"
    )
    p.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS")
    c.output_options(p)
    p.set_defaults(func=_delete)

    p = syncs.add_parser("plan", help="show what a run would change (exit 2: changes)")
    p.add_argument("sync", help="id or name")
    c.output_options(p)
    p.set_defaults(func=_plan)

    for name, func, help_text in (
        ("run", _run, "run a sync now (or every enabled sync with --all)"),
        ("remove-secrets", _remove, "remove the keys the sync created, restore adopted ones"),
    ):
        p = syncs.add_parser(name, help=help_text)
        p.add_argument("sync", nargs="?" if name == "run" else None, help="id or name")
        if name == "run":
            p.add_argument("--all", action="store_true", help="every enabled sync, per connection")
        p.add_argument("--wait", action="store_true", help="follow the deployment to its end")
        p.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS")
        c.output_options(p)
        p.set_defaults(func=func)

    p = syncs.add_parser("history", help="a sync's runs, newest first")
    p.add_argument("sync", help="id or name")
    p.add_argument("--limit", type=int)
    c.output_options(p)
    p.set_defaults(func=_history)
