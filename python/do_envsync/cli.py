"""The `do-envsync` command line.

Tokens come from the environment (`DIGITALOCEAN_TOKEN`, `DIGITALOCEAN_ACCESS_TOKEN`) or from
standard input with `--token-stdin`, never from an argument (command lines are visible to
other users), and are never printed. Exit codes: 0 success, 1 error (one line on stderr),
2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from typing import Any

from . import __version__
from .client import Client
from .errors import DigitalOceanError

__all__ = ["main"]


def _client(args: argparse.Namespace) -> Client:
    token = sys.stdin.readline().strip() if args.token_stdin else None
    base_url = args.base_url or os.environ.get("DO_ENVSYNC_BASE_URL")
    return Client(token, base_url=base_url)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _cmd_apps_list(args: argparse.Namespace) -> int:
    client = _client(args)
    apps = list(client.apps.list())
    if args.json:
        _print_json([a.to_dict() for a in apps])
        return 0
    print(f"{'ID':<38} {'NAME':<32} {'REGION':<8} UPDATED")
    for app in apps:
        spec = app.spec
        name = spec.name if spec is not None else None
        region = spec.region if spec is not None else None
        print(f"{app.id or '':<38} {name or '':<32} {region or '':<8} {app.updated_at or ''}")
    return 0


def _find_app(client: Client, ref: str) -> Any:
    try:
        return client.apps.get(ref)
    except DigitalOceanError as err:
        if err.status != 404:
            raise
    for app in client.apps.list():
        if app.spec is not None and app.spec.name == ref:
            return app
    raise DigitalOceanError(f"no app with id or name {ref!r}", status=404, error_id="not_found")


def _cmd_apps_get(args: argparse.Namespace) -> int:
    app = _find_app(_client(args), args.app)
    if args.json:
        _print_json(app.to_dict())
    else:
        print(repr(app))
    return 0


def _cmd_apps_spec(args: argparse.Namespace) -> int:
    app = _find_app(_client(args), args.app)
    if app.spec is None:
        raise DigitalOceanError("the app has no spec")
    text = app.spec.to_json(indent=2) if args.format == "json" else app.spec.to_yaml()
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _token_file(token: str) -> str:
    fd, path = tempfile.mkstemp(prefix="do-envsync-emulator-", suffix=".token")
    with os.fdopen(fd, "w") as f:  # mkstemp creates the file 0600
        f.write(token + "\n")
    return path


def _cmd_emulator(args: argparse.Namespace) -> int:
    from .testing import Emulator

    token = os.environ.get("DO_ENVSYNC_EMULATOR_TOKEN") or os.environ.get("DIGITALOCEAN_TOKEN")
    emu = Emulator(
        port=args.port,
        token=token,
        burst_limit=args.burst_limit,
        hourly_limit=args.hourly_limit,
        phase_duration=args.phase_duration,
    )
    print(f"App Platform emulator listening on {emu.base_url}", flush=True)
    if token:
        print("token: the value of $DO_ENVSYNC_EMULATOR_TOKEN / $DIGITALOCEAN_TOKEN", flush=True)
    else:
        print(f"token: written to {_token_file(emu.token)} (mode 0600)", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    emu.stop()
    print("emulator stopped", flush=True)
    return 0


DEMO_SPEC: dict[str, Any] = {
    "name": "demo-shop",
    "region": "nyc",
    "envs": [
        {"key": "LOG_LEVEL", "value": "info", "scope": "RUN_TIME", "type": "GENERAL"},
        {"key": "STRIPE_KEY", "value": "sk_demo_not_a_real_key", "type": "SECRET"},
    ],
    "services": [
        {
            "name": "web",
            "github": {"repo": "digitalocean/sample-python", "branch": "main"},
            "run_command": "gunicorn app:app",
            "instance_count": 1,
            "instance_size_slug": "apps-s-1vcpu-0.5gb",
            "envs": [{"key": "DATABASE_URL", "value": "${db.DATABASE_URL}", "scope": "RUN_TIME"}],
        }
    ],
    "databases": [{"name": "db", "engine": "PG", "production": False}],
}


def _cmd_demo(args: argparse.Namespace) -> int:
    from .sync import Store
    from .testing import Emulator

    with Emulator(phase_duration=0.05) as emu, tempfile.TemporaryDirectory() as tmp:
        client = emu.client()
        store = Store(os.path.join(tmp, "state.db"))
        print(f"1. Started the built-in App Platform emulator at {emu.base_url}")
        app = client.apps.create(DEMO_SPEC)
        assert app.id is not None
        app_id = app.id
        print(f"2. Created app {app.spec.name if app.spec else '?'} ({app_id})")
        print("3. Apps on the account:")
        for listed in client.apps.list():
            name = listed.spec.name if listed.spec else ""
            print(f"   {listed.id}  {name}")
        spec = client.apps.get(app_id).spec
        assert spec is not None
        print("4. Its spec as DigitalOcean returns it (the SECRET comes back encrypted):")
        _indent(spec.to_yaml())

        def step(title: str, secrets: dict[str, str]) -> None:
            before = emu.request_count()
            deployments = emu.deployment_count(app_id)
            plan = client.plan_sync(app_id, secrets, key_schema="APP_{{secretKey}}", state=store)
            print(title)
            _indent(str(plan))
            result = plan.apply()
            print(
                f"   -> {result}; requests: {emu.request_count() - before}, "
                f"new deployments: {emu.deployment_count(app_id) - deployments}"
            )

        secrets = {"DB_PASSWORD": "demo-password-1", "API_TOKEN": "demo-token-1", "MODE": "x"}
        step("5. First sync of 3 secrets (key schema APP_{{secretKey}}):", secrets)
        step("6. The same again: nothing changed, so no PUT and no deployment:", secrets)
        secrets["API_TOKEN"] = "demo-token-2"
        step("7. One secret changed: one PUT, one deployment:", secrets)
        current = client.apps.get(app_id).spec
        assert current is not None and current.envs is not None
        for env in current.envs:
            if env.key == "APP_DB_PASSWORD":
                env.value = "changed-in-the-control-panel"
        client.apps.update(app_id, current)
        step("8. Someone edited APP_DB_PASSWORD outside the sync: drift is repaired:", secrets)
        revealed = {
            e.key: emu.reveal_secret(e.value or "")
            for e in (client.apps.get(app_id).spec.envs or [])  # type: ignore[union-attr]
            if e.key and e.key.startswith("APP_")
        }
        ok = revealed == {f"APP_{k}": v for k, v in secrets.items()}
        print(
            f"9. Managed keys equal the source: {ok}; unmanaged LOG_LEVEL and STRIPE_KEY untouched"
        )
    return 0


def _indent(text: str) -> None:
    for line in text.rstrip("\n").splitlines():
        print(f"   {line}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="do-envsync", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"do-envsync {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def api_command(parent: Any, name: str, help: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, help=help)
        sp.add_argument("--base-url", help="API base URL (default: DigitalOcean's)")
        sp.add_argument(
            "--token-stdin", action="store_true", help="read the API token from standard input"
        )
        return sp

    apps = sub.add_parser("apps", help="read apps").add_subparsers(
        dest="apps_command", required=True
    )
    sp = api_command(apps, "list", "list every app")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=_cmd_apps_list)
    sp = api_command(apps, "get", "show one app")
    sp.add_argument("app", help="app id or name")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=_cmd_apps_get)
    sp = api_command(apps, "spec", "print an app's spec (YAML, the .do/app.yaml format, or JSON)")
    sp.add_argument("app", help="app id or name")
    sp.add_argument("--format", choices=["yaml", "json"], default="yaml")
    sp.set_defaults(func=_cmd_apps_spec)

    sp = sub.add_parser("emulator", help="run the App Platform emulator standalone")
    sp.add_argument("--port", type=int, default=8080)
    sp.add_argument("--burst-limit", type=int, default=250, help="requests per minute")
    sp.add_argument("--hourly-limit", type=int, default=5000, help="requests per hour")
    sp.add_argument("--phase-duration", type=float, default=0.3, help="seconds per phase")
    sp.set_defaults(func=_cmd_emulator)

    sp = sub.add_parser("demo", help="a tour on the built-in emulator")
    sp.set_defaults(func=_cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except (DigitalOceanError, ValueError, OSError) as err:
        print(f"do-envsync: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("do-envsync: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
