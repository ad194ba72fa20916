"""Connections and syncs kept in the store, on the built-in emulator: a `.env` file synced into
an app, a change picked up, the run history, then the secrets taken off again.

python examples/stored_syncs.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from do_envsync import Store
from do_envsync.display import runs_table
from do_envsync.testing import Emulator

SPEC = {
    "name": "shop",
    "region": "nyc",
    "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
    "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "web"}}],
}


def main() -> None:
    with Emulator(phase_duration=0.05) as emu, tempfile.TemporaryDirectory() as tmp:
        store = Store(os.path.join(tmp, "state.db"))
        app = emu.seed_app(SPEC)
        env_file = Path(tmp, ".env.production")
        env_file.write_text('DB_PASSWORD="example-password"\nexport API_URL=https://api.example\n')

        conn = store.connections.create("emulator", emu.token, base_url=emu.base_url)
        print(f"connection {conn.name}: version {conn.version}, token stored encrypted")
        sync = store.syncs.create(
            "shop-secrets",
            connection="emulator",
            app="shop",
            source=env_file,
            options={"key_schema": "APP_{{secretKey}}"},
        )
        print(f"sync {sync.name} -> app {sync.app_name} ({sync.app_id == app['id']})")

        print(store.syncs.run("shop-secrets"))  # creates APP_DB_PASSWORD and APP_API_URL
        print(store.syncs.run("shop-secrets"))  # no changes: no PUT, no deployment
        env_file.write_text('DB_PASSWORD="rotated-password"\nexport API_URL=https://api.example\n')
        print(store.syncs.plan("shop-secrets"))  # one update, shown without its value
        print(store.syncs.run("shop-secrets"))
        print(store.syncs.remove_secrets("shop-secrets"))  # LOG_LEVEL stays: not managed
        print(runs_table(store.syncs.history("shop-secrets")))


if __name__ == "__main__":
    main()
