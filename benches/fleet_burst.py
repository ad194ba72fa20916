"""The "done when" check of the burst limit: a fleet sync of 300 apps against the emulator
with DigitalOcean's real limits (250 requests per 60 s burst window, 5000 per hour), used as
a new user would (a default `Client`, a default `sync_fleet`).

It must complete without a client-side stall (no `RateLimitError`, no hour-long hold), and
every 429 the emulator sent (if any) must be followed by a retry of the same request no
earlier than its `retry-after`. Prints wall time, requests, 429s and the longest gap.

    python benches/fleet_burst.py [--apps 300] [--prespent N]

`--prespent N` first spends N requests of the burst window from another client of the same
token (as another tool would), so that the fleet meets burst 429s it could not foresee.
Takes a little over a minute per burst window the fleet needs (300 apps: about one).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

from do_envsync import Store
from do_envsync.testing import Emulator, RequestRecord


def spec(i: int) -> dict[str, object]:
    return {
        "name": f"fleet-{i:04d}",
        "region": "nyc",
        "envs": [{"key": "LOG_LEVEL", "value": "info", "type": "GENERAL"}],
        "services": [{"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}],
    }


def check_retries(log: list[RequestRecord]) -> list[str]:
    """Problems: a 429 without retry-after, never retried, or retried too early."""
    problems = []
    for i, r in enumerate(log):
        if r.status != 429:
            continue
        if r.retry_after is None:
            problems.append(f"{r.method} {r.path}: 429 without retry-after (hourly quota)")
            continue
        retry = next((n for n in log[i + 1 :] if (n.method, n.path) == (r.method, r.path)), None)
        if retry is None:
            problems.append(f"{r.method} {r.path}: 429 never retried")
        elif retry.ts - r.ts < r.retry_after - 0.001:
            problems.append(
                f"{r.method} {r.path}: retried {retry.ts - r.ts:.3f}s after retry-after "
                f"{r.retry_after}"
            )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=300)
    parser.add_argument("--prespent", type=int, default=0)
    args = parser.parse_args()

    with Emulator(phase_duration=0.05) as emu, tempfile.TemporaryDirectory() as tmp:
        ids = [emu.seed_app(spec(i))["id"] for i in range(args.apps)]
        if args.prespent:
            other = emu.client(pacing=False)
            for _ in range(args.prespent):
                other.account.get()
        emu.clear_requests()
        client = emu.client()
        fleet = {
            app_id: {"API_KEY": f"key-{i}", "DB_PASSWORD": "pw"} for i, app_id in enumerate(ids)
        }
        t0 = time.monotonic()
        result = client.sync_fleet(fleet, state=Store(str(Path(tmp) / "state.db")))
        wall = time.monotonic() - t0

        log = emu.requests()
        limited = [r for r in log if r.status == 429]
        gaps = [b.ts - a.ts for a, b in itertools.pairwise(log)]
        problems = check_retries(log)
        print(f"apps: {args.apps}, burst window pre-spent: {args.prespent}")
        print(f"wall time: {wall:.1f} s")
        print(
            f"requests: {len(log)} logged by the emulator "
            f"({result.requests} counted by the fleet, {result.list_requests} list pages)"
        )
        print(f"429s: {len(limited)} (retry-after: {sorted({r.retry_after for r in limited})})")
        print(f"longest gap between two requests: {max(gaps, default=0.0):.1f} s")
        print(f"deployments: {result.deployments}, errors: {len(result.errors)}")
        for app, err in list(result.errors.items())[:5]:
            print(f"  {app}: {type(err).__name__}: {err}")
        for problem in problems[:5]:
            print(f"  {problem}")
        ok = not result.errors and not problems and result.deployments == args.apps
        print("OK" if ok else "FAILED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
