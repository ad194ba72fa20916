"""List every app with its env keys (never values), against the emulator or DigitalOcean.

DIGITALOCEAN_TOKEN=... python examples/list_apps.py          # real account
python examples/list_apps.py --emulator                      # built-in emulator
"""

from __future__ import annotations

import sys

from do_envsync import Client
from do_envsync.testing import Emulator


def show(client: Client) -> None:
    for app in client.apps.list():
        spec = app.spec
        if spec is None:
            continue
        keys = [e.key for e in spec.envs or [] if e.key]
        for kind in (spec.services, spec.workers, spec.jobs):
            for component in kind or []:
                keys += [f"{component.name}.{e.key}" for e in component.envs or [] if e.key]
        print(f"{app.id}  {spec.name}: {', '.join(keys) or '(no env vars)'}")


def main() -> None:
    if "--emulator" in sys.argv:
        with Emulator() as emu:
            client = emu.client()
            client.apps.create(
                {
                    "name": "example",
                    "region": "nyc",
                    "envs": [{"key": "TOKEN", "value": "s3cret", "type": "SECRET"}],
                }
            )
            show(client)
    else:
        show(Client())


if __name__ == "__main__":
    main()
