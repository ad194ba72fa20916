"""Plan, review and apply a sync of secrets into an app, then check a re-run is a no-op.

python examples/sync_secrets.py                 # on the built-in emulator
DIGITALOCEAN_TOKEN=... python examples/sync_secrets.py APP_ID   # a real app (careful:
                                                # applying deploys the app)
"""

from __future__ import annotations

import os
import sys
import tempfile

from do_envsync import Client, Store
from do_envsync.testing import Emulator

SECRETS: dict[str, str | dict[str, str]] = {
    "DB_PASSWORD": "example-password",
    "FEATURE_FLAGS": {"value": "beta,search", "type": "GENERAL", "scope": "RUN_TIME"},
}


def run(client: Client, app_id: str, store: Store) -> None:
    plan = client.plan_sync(app_id, SECRETS, key_schema="APP_{{secretKey}}", state=store)
    print(plan)  # a masked table: keys, actions and reasons, never values
    if plan.has_changes:
        result = plan.apply(wait=True, progress=lambda phase: print(f"  deployment: {phase}"))
        print(result)
    again = client.sync(app_id, SECRETS, key_schema="APP_{{secretKey}}", state=store)
    print(f"re-run: {again} ({again.requests} request)")


def main() -> None:
    if len(sys.argv) > 1:
        run(Client(), sys.argv[1], Store())
        return
    with Emulator(phase_duration=0.05) as emu, tempfile.TemporaryDirectory() as tmp:
        client = emu.client()
        app = client.apps.create({"name": "example", "region": "nyc"})
        assert app.id is not None
        run(client, app.id, Store(os.path.join(tmp, "state.db")))


if __name__ == "__main__":
    main()
