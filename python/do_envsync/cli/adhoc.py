"""`do-envsync plan|apply`: an ad hoc sync of `.env` files into one app, no stored sync.

`plan` exits 2 when it found changes (like `terraform plan -detailed-exitcode`), 0 when the
app is already in sync.
"""

from __future__ import annotations

import argparse
from typing import Any

from .. import sources
from ..sync import Store, SyncPlan
from . import _common as c
from .apps import api_options, find_app


def _secrets(args: argparse.Namespace) -> dict[str, str]:
    return sources.read(sources.dotenv(*args.env_file))


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "environment": args.environment,
        "key_schema": args.key_schema,
        "disable_secret_deletion": args.no_delete,
        "initial_sync_behavior": args.initial_sync_behavior,
        "components": args.component or None,
        "var_type": args.type,
        "scope": args.scope,
        "if_deploying": args.if_deploying,
        "deploy_wait_timeout": args.deploy_wait_timeout,
    }


def _changes_json(changes: Any) -> list[dict[str, Any]]:
    return [
        {
            "key": ch.key,
            "component": ch.component,
            "action": ch.action,
            "reason": ch.reason,
            "type": ch.type,
            "scope": ch.scope,
        }
        for ch in changes
    ]


def _in_flight_json(plan: SyncPlan) -> dict[str, Any] | None:
    d = plan.in_flight_deployment
    if d is None:
        return None
    return {"id": d.id, "phase": d.phase, "cause": d.cause, "ifDeploying": d.if_deploying}


def show_plan(plan: SyncPlan, output: str, *, color: bool = False) -> int:
    """Prints a plan (a table, or JSON); the exit code: 2 when it has changes, else 0."""
    if output != "table":
        c.print_data(
            output,
            {
                "appId": plan.app_id,
                "hasChanges": plan.has_changes,
                "changes": _changes_json(plan.changes),
                "warnings": plan.warnings,
                "inFlightDeployment": _in_flight_json(plan),
            },
        )
    else:
        print(plan.render(color=color))
    return 2 if plan.has_changes else 0


def _plan(args: argparse.Namespace) -> int:
    client = c.client(args)
    secrets = _secrets(args)
    app = find_app(client, args.app)
    with c.progress(f"planning {args.app}"):
        plan = client.plan_sync(app.id, secrets, state=Store(args.state), **_options(args))
    return show_plan(plan, args.output, color=c.color(args))


def _apply(args: argparse.Namespace) -> int:
    client = c.client(args)
    secrets = _secrets(args)
    app = find_app(client, args.app)
    with c.progress(f"syncing {args.app}"):
        result = client.sync(
            app.id, secrets, state=Store(args.state), wait=args.wait, **_options(args)
        )
    if args.output != "table":
        c.print_data(
            args.output,
            {
                "appId": result.app_id,
                "deploymentId": result.deployment_id,
                "created": result.created,
                "updated": result.updated,
                "deleted": result.deleted,
                "unchanged": result.unchanged,
                "requests": result.requests,
                "deploymentPhase": result.deployment_phase,
                "supersededDeploymentId": result.superseded_deployment_id,
                "warnings": result.warnings,
            },
        )
    else:
        print(str(result))
    return 0


def deploying_options(p: Any, *, default: str | None) -> None:
    """`--if-deploying` and `--deploy-wait-timeout` (`default` None: keep the stored value)."""
    p.add_argument(
        "--if-deploying",
        choices=["wait", "proceed", "fail"],
        default=default,
        help="a deployment already in flight: wait for it to end, supersede it, or fail "
        "(default: wait)",
    )
    p.add_argument(
        "--deploy-wait-timeout",
        type=float,
        default=600.0 if default is not None else None,
        metavar="SECONDS",
        help="with --if-deploying wait: give up after this long (default: 600)",
    )


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--app", required=True, help="app id or name")
    p.add_argument(
        "--env-file", action="append", required=True, help=".env file (repeatable; later wins)"
    )
    p.add_argument("--key-schema", help="e.g. APP_{{secretKey}}; keys outside it are left alone")
    p.add_argument("--environment", help="value of {{environment}} in the key schema")
    p.add_argument(
        "--component", action="append", help="write to this component's envs (repeatable)"
    )
    p.add_argument("--no-delete", action="store_true", help="never delete keys from the app")
    p.add_argument(
        "--initial-sync-behavior",
        default="overwrite-destination",
        choices=[
            "overwrite-destination",
            "import-prioritize-source",
            "import-prioritize-destination",
        ],
    )
    p.add_argument("--type", default="SECRET", choices=["SECRET", "GENERAL"])
    p.add_argument(
        "--scope",
        default="RUN_AND_BUILD_TIME",
        choices=["RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"],
    )
    deploying_options(p, default="wait")
    c.output_options(p)
    api_options(p)


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="show what a sync of .env files would change (exit 2: changes)")
    _common_options(p)
    p.set_defaults(func=_plan)
    p = sub.add_parser("apply", help="sync .env files into an app (one PUT at most)")
    _common_options(p)
    p.add_argument("--wait", action="store_true", help="follow the deployment to its end")
    p.set_defaults(func=_apply)
