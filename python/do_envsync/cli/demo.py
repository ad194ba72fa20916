"""`do-envsync demo`: a tour of the sync engine on the built-in emulator."""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import Any

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
    from ..sync import Store
    from ..testing import Emulator

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


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="a tour on the built-in emulator")
    p.set_defaults(func=_cmd_demo)
