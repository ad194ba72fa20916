"""`do-envsync serve` under a loopback load generator: requests/s and p50/p99 latency of
`GET /api/v1/secret-syncs/digital-ocean-app-platform/:id` and of a no-op `sync-secrets`,
plus DigitalOcean requests per no-op sync-secrets (target: at most 1).

    python benches/server.py [--requests 2000] [--concurrency 4] [--out FILE]

The emulator runs in this process (its own thread), the server as a subprocess; the load
generator is keep-alive `http.client` connections on threads. All share the machine's
cores, so the figures are a floor of what the server does alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from do_envsync import _native
from do_envsync.testing import Emulator

SYNCS = "/api/v1/secret-syncs/digital-ocean-app-platform"


def _start(state: Path, log: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    env = {k: v for k, v in os.environ.items() if k != "DO_ENVSYNC_STATE"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "do_envsync.cli",
            "--state",
            str(state),
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--no-auto-sync",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        env=env,
    )
    for _ in range(1500):
        m = re.search(r"listening on http://([\d.]+):(\d+)", log.read_text())
        if m:
            return proc, m.group(1), int(m.group(2))
        time.sleep(0.02)
    raise SystemExit("server did not start: " + log.read_text())


def _load(
    host: str, port: int, method: str, path: str, key: str, total: int, workers: int
) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    per = total // workers

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port)
        mine = []
        for _ in range(per):
            t0 = time.perf_counter()
            conn.request(
                method, path, headers={"Authorization": f"Bearer {key}", "Content-Length": "0"}
            )
            r = conn.getresponse()
            r.read()
            mine.append(time.perf_counter() - t0)
            assert r.status == 200, r.status
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "n": len(latencies),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=4)
    # Runs of one sync take its app's lock one at a time: concurrent callers only queue.
    ap.add_argument("--sync-concurrency", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    state, log = tmp / "state.db", tmp / "serve.log"
    from do_envsync import Store

    st = Store(str(state))
    _record, key = _native.api_key_create(st, "bench")
    del st
    with Emulator(phase_duration=0.02, burst_limit=10**9, hourly_limit=10**9) as emu:
        app = emu.seed_app(
            {
                "name": "bench-app",
                "region": "nyc",
                "envs": [],
                "services": [
                    {"name": "web", "image": {"registry_type": "DOCR", "repository": "w"}}
                ],
            }
        )
        proc, host, port = _start(state, log)
        try:

            def call(method: str, path: str, body: Any = None) -> Any:
                c = http.client.HTTPConnection(host, port)
                data = json.dumps(body) if body is not None else None
                c.request(
                    method,
                    path,
                    body=data,
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                r = c.getresponse()
                out = json.loads(r.read())
                assert r.status == 200, out
                return out

            conn = call(
                "POST",
                "/api/v1/app-connections/digital-ocean",
                {
                    "name": "bench",
                    "method": "api-token",
                    "credentials": {"apiToken": emu.token},
                    "baseUrl": emu.base_url,
                },
            )["appConnection"]
            sync = call(
                "POST",
                SYNCS,
                {
                    "name": "bench-sync",
                    "connectionId": conn["id"],
                    "destinationConfig": {"appId": app["id"], "appName": "bench-app"},
                    "syncOptions": {"autoSyncEnabled": False},
                    "source": {"type": "inline", "secrets": {"A": "1", "B": "2"}},
                },
            )["secretSync"]
            call("POST", f"{SYNCS}/{sync['id']}/sync-secrets")
            emu.clear_requests()
            path = f"{SYNCS}/{sync['id']}"
            get1 = _load(host, port, "GET", path, key, args.requests, 1)
            get = _load(host, port, "GET", path, key, args.requests, args.concurrency)
            # Below DigitalOcean's 250 requests/minute, which the client paces itself to:
            # more runs in a minute wait for the budget (by design), not for the server.
            n_sync = 200
            noop = _load(
                host,
                port,
                "POST",
                f"{SYNCS}/{sync['id']}/sync-secrets",
                key,
                n_sync,
                args.concurrency,
            )
            do_requests = len(emu.requests())
            puts = sum(1 for r in emu.requests() if r.method == "PUT")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    debug = bool(getattr(_native, "__debug_build__", False))
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"{platform.platform()}, python {platform.python_version()}"
    )

    def row(name: str, m: dict[str, float], notes: str) -> str:
        return (
            f"| {name} | {m['rps']:,.0f} | {m['p50_ms']:.2f} ms | {m['p99_ms']:.2f} ms | {notes} |"
        )

    per_call = do_requests / noop["n"]
    rows = [
        "| measure | requests/s | p50 | p99 | notes |",
        "|---|---|---|---|---|",
        row(
            f"GET sync by id, {get1['n']:.0f} requests, 1 keep-alive client",
            get1,
            "server + store only",
        ),
        row(
            f"GET sync by id, {get['n']:.0f} requests, {args.concurrency} keep-alive clients",
            get,
            "server + store only",
        ),
        row(
            f"no-op sync-secrets, {noop['n']:.0f} requests, {args.sync_concurrency} client(s)",
            noop,
            f"DigitalOcean requests per call: {per_call:.2f} (target <= 1), PUTs: {puts}",
        ),
    ]
    build = "debug (maturin --profile dev): timings are a floor" if debug else "release"
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = "\n".join(
        [
            f"# do-envsync serve: loopback load ({date})",
            "",
            f"Machine: {machine}. Build: {build}.",
            "",
            *rows,
            "",
        ]
    )
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
