"""`do-envsync watch`: run syncs by themselves when their source changes.

`.env` sources are watched with filesystem events (debounced); other sources are polled.
SIGINT and SIGTERM stop it after the run in flight; the exit code is 0 unless the last run of
some sync failed.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from types import FrameType
from typing import Any

from . import _common as c


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _watch(args: argparse.Namespace) -> int:
    st = c.store(args, apply_config=True)
    signal.signal(signal.SIGTERM, _stop)

    def on_event(line: str) -> None:
        if args.json:
            print(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "event": line}))
        else:
            print(f"{time.strftime('%H:%M:%S')} {line}")
        sys.stdout.flush()

    report = st.watch(
        syncs=args.sync or None,
        poll_interval=args.poll_interval,
        debounce=args.debounce,
        drift_interval=args.drift_interval,
        repair_drift=args.repair_drift,
        on_event=on_event,
    )
    if args.json:
        print(json.dumps({"report": report.syncs}))
    else:
        for name, counts in report.syncs.items():
            gone = counts.get("unwatched")
            print(
                f"{name}: {counts.get('succeeded', 0)} succeeded, {counts.get('failed', 0)} failed"
                + (f" (no longer watched: {gone})" if gone else "")
            )
    return 0 if report.ok else 1


def register(sub: Any) -> None:
    p = sub.add_parser("watch", help="auto-sync: run syncs when their source changes")
    p.add_argument("--sync", action="append", help="only this sync (repeatable)")
    p.add_argument("--poll-interval", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--debounce", type=float, default=0.3, metavar="SECONDS")
    p.add_argument(
        "--drift-interval", type=float, metavar="SECONDS", help="check apps for drift this often"
    )
    p.add_argument(
        "--repair-drift", action="store_true", help="with --drift-interval: repair, not just report"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.set_defaults(func=_watch)
