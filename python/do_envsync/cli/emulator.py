"""`do-envsync emulator`: the App Platform emulator as a standalone server."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import tempfile
import threading
from typing import Any


def _token_file(token: str) -> str:
    fd, path = tempfile.mkstemp(prefix="do-envsync-emulator-", suffix=".token")
    with os.fdopen(fd, "w") as f:  # mkstemp creates the file 0600
        f.write(token + "\n")
    return path


def _token_scopes(raw: str | None) -> list[str] | None:
    """`app:read,app:update` → a scoped main token; unset or empty → full access."""
    if raw is None or not raw.strip():
        return None
    return [s.strip() for s in raw.split(",") if s.strip()]


def _cmd_emulator(args: argparse.Namespace) -> int:
    from ..testing import Emulator

    token = os.environ.get("DO_ENVSYNC_EMULATOR_TOKEN") or os.environ.get("DIGITALOCEAN_TOKEN")
    scopes = _token_scopes(os.environ.get("DO_ENVSYNC_EMULATOR_TOKEN_SCOPES"))
    emu = Emulator(
        port=args.port,
        token=token,
        burst_limit=args.burst_limit,
        hourly_limit=args.hourly_limit,
        burst_window=args.burst_window,
        phase_duration=args.phase_duration,
        token_scopes=scopes,
    )
    print(f"App Platform emulator listening on {emu.base_url}", flush=True)
    if scopes is not None:
        print(f"token scopes: {', '.join(scopes) or '(none)'}", flush=True)
    token_file = None
    try:
        if token:
            print(
                "token: the value of $DO_ENVSYNC_EMULATOR_TOKEN / $DIGITALOCEAN_TOKEN", flush=True
            )
        else:
            token_file = _token_file(emu.token)
            print(f"token: written to {token_file} (mode 0600)", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        while not stop.wait(0.2):
            pass
    finally:
        emu.stop()
        # The token is good for nothing once the emulator is gone; leave no copy behind.
        if token_file is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(token_file)
    print("emulator stopped", flush=True)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("emulator", help="run the App Platform emulator standalone")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--burst-limit", type=int, default=250, help="requests per burst window (60 s)")
    p.add_argument(
        "--burst-window", type=float, default=60.0, help="burst window length in seconds"
    )
    p.add_argument("--hourly-limit", type=int, default=5000, help="requests per hour")
    p.add_argument("--phase-duration", type=float, default=0.3, help="seconds per phase")
    p.set_defaults(func=_cmd_emulator)
