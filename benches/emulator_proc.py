"""The App Platform emulator in its own process (`do-envsync emulator --port 0`), driven
through its admin API (`/_emulator/...`, not rate limited, not logged), so that the CPU time
measured in the benchmark process is the clients' alone."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from typing import Any


class EmulatorProcess:
    def __init__(self, *, burst_limit: int = 250, hourly_limit: int = 5000) -> None:
        self.token = "dop_v1_bench_" + secrets.token_hex(24)
        env = dict(os.environ, DO_ENVSYNC_EMULATOR_TOKEN=self.token)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "do_envsync.cli",
                "emulator",
                "--port",
                "0",
                "--burst-limit",
                str(burst_limit),
                "--hourly-limit",
                str(hourly_limit),
                "--phase-duration",
                "0.02",
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        marker = "listening on "
        if marker not in line:
            self.stop()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.base_url = line.split(marker, 1)[1].strip()

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base_url}/_emulator{path}",
            data=data,
            method=method,
            # The admin surface wants the emulator's token and JSON (see docs/emulator.md).
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"null")

    def seed_app(self, spec: dict[str, Any]) -> dict[str, Any]:
        app: dict[str, Any] = self._admin("POST", "/apps", {"spec": spec})["app"]
        return app

    def set_rate_limits(self, burst: int, hourly: int) -> None:
        self._admin("POST", "/rate_limits", {"burst": burst, "hourly": hourly})

    def requests(self) -> list[dict[str, Any]]:
        reqs: list[dict[str, Any]] = self._admin("GET", "/requests")["requests"]
        return reqs

    def request_count(self) -> int:
        return int(self._admin("GET", "/requests/count")["count"])

    def clear_requests(self) -> None:
        self._admin("DELETE", "/requests")

    def deployment_count(self, app_id: str) -> int:
        return int(self._admin("GET", f"/apps/{app_id}/deployment_count")["count"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
