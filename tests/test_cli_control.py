"""The control-plane command line (connections, syncs, plan/apply, config, watch), through a
real subprocess against the emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from do_envsync.testing import Emulator

from .conftest import CANARY_LITERALS, CANARY_SECRET, make_spec

EXE = [sys.executable, "-m", "do_envsync.cli"]
CANARY_VALUE = "canary-value-91d4e2b7c0"
CANARY_LITERALS.add(CANARY_VALUE)


class Cli:
    """Runs `do-envsync` with the test's state store and the emulator's token in
    `$EMU_TOKEN`; remembers every output so the canary check can read them all."""

    def __init__(self, emu: Emulator, tmp: Path) -> None:
        self.emu = emu
        self.tmp = tmp
        self.env = {
            **os.environ,
            "EMU_TOKEN": emu.token,
            "DO_ENVSYNC_BASE_URL": emu.base_url,
        }
        self.env.pop("DIGITALOCEAN_TOKEN", None)
        self.outputs: list[str] = []

    def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        code: int | None = 0,
    ) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(
            [*EXE, *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            input=stdin,
            timeout=120,
            cwd=self.tmp,
        )
        self.outputs += [r.stdout, r.stderr]
        if code is not None:
            assert r.returncode == code, f"{args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    def json(self, *args: str, **kwargs: Any) -> Any:
        return json.loads(self(*args, "--json", **kwargs).stdout)

    def error(self, *args: str, **kwargs: Any) -> str:
        """Runs a command that must fail: exit 1, one line on stderr."""
        r = self(*args, code=1, **kwargs)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("do-envsync: error: "), r.stderr
        return lines[0]

    def connect(self, name: str = "emu") -> dict[str, Any]:
        out: dict[str, Any] = self.json(
            "connections",
            "create",
            name,
            "--base-url",
            self.emu.base_url,
            "--token-env",
            "EMU_TOKEN",
        )
        return out


@pytest.fixture
def cli(emu: Emulator, tmp_path: Path) -> Cli:
    return Cli(emu, tmp_path)


def _envs(emu: Emulator, app_id: str) -> dict[str, dict[str, Any]]:
    app = next(a for a in emu.apps() if a["id"] == app_id)
    return {e["key"]: e for e in app["spec"].get("envs", [])}


def _plain(emu: Emulator, entry: dict[str, Any]) -> str:
    value = str(entry.get("value", ""))
    return emu.reveal_secret(value) if value.startswith("EV[") else value


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _state_bytes(state_db: Path) -> bytes:
    blobs = b""
    for p in state_db.parent.rglob("*"):
        if p.is_file():
            blobs += p.read_bytes()
    return blobs


def test_connections_lifecycle(cli: Cli, emu: Emulator, _isolated_state: Path) -> None:
    created = cli.connect("prod-do")["appConnection"]
    assert created["name"] == "prod-do" and created["app"] == "digital-ocean"
    assert created["method"] == "api-token" and created["credentials"] == {}
    assert created["version"] == 1 and len(created["credentialsHash"]) >= 32
    assert emu.request_count(method="GET", path="/v2/account") == 1  # the token check

    listed = cli.json("connections", "list")
    assert [c["appConnection"]["id"] for c in listed] == [created["id"]]
    table = cli("connections", "list").stdout
    assert "prod-do" in table and created["id"] in table
    by_id = cli.json("connections", "get", created["id"])["appConnection"]
    assert by_id["name"] == "prod-do"

    time.sleep(0.01)
    updated = cli.json("connections", "update", "prod-do", "--description", "production")
    u = updated["appConnection"]
    assert u["description"] == "production" and u["version"] == 2
    assert u["updatedAt"] > created["updatedAt"] and u["createdAt"] == created["createdAt"]
    assert u["credentialsHash"] == created["credentialsHash"]  # PATCH: the token is unchanged

    # A new token through stdin is checked first; a wrong one changes nothing.
    line = cli.error("connections", "update", "prod-do", "--token-stdin", stdin="dop_v1_wrong\n")
    assert "Unable to authenticate you" in line
    assert cli.json("connections", "get", "prod-do")["appConnection"]["version"] == 2
    again = cli.json("connections", "update", "prod-do", "--token-stdin", stdin=emu.token + "\n")
    assert again["appConnection"]["version"] == 3

    assert "nothing to update" in cli.error("connections", "update", "prod-do")
    deleted = cli.json("connections", "delete", "prod-do")
    assert deleted["appConnection"]["id"] == created["id"]
    assert cli.json("connections", "list") == []
    assert "prod-do" in cli.error("connections", "get", "prod-do")

    # The token never shows: not in any output, not in the state files.
    assert emu.token not in "".join(cli.outputs)
    assert emu.token.encode() not in _state_bytes(_isolated_state)


def test_connection_validation_writes_nothing(cli: Cli, emu: Emulator) -> None:
    bad_names = ["Bad_Name", "", "x" * 65, "-lead", "trail-", "sp ace"]
    for name in bad_names:
        line = cli.error(
            "connections", "create", name, "--base-url", emu.base_url, "--token-env", "EMU_TOKEN"
        )
        assert "name" in line, line
    line = cli.error(
        "connections",
        "create",
        "ok-name",
        "--description",
        "d" * 257,
        "--base-url",
        emu.base_url,
        "--token-env",
        "EMU_TOKEN",
    )
    assert "description" in line and "256" in line
    line = cli.error(
        "connections",
        "create",
        "ok-name",
        "--base-url",
        emu.base_url,
        "--token-env",
        "WRONG",
        env={"WRONG": "dop_v1_not_the_token"},
    )
    assert "Unable to authenticate you" in line
    line = cli.error("connections", "create", "ok-name", "--base-url", "http://example.com")
    assert "base" in line.lower() or "loopback" in line.lower() or "token" in line.lower()
    line = cli.error("connections", "create", "ok-name", "--base-url", emu.base_url)
    assert "no API token" in line
    assert cli.json("connections", "list") == []

    cli.connect("taken")
    line = cli.error(
        "connections", "create", "taken", "--base-url", emu.base_url, "--token-env", "EMU_TOKEN"
    )
    assert "already exists" in line
    assert len(cli.json("connections", "list")) == 1


def _sync_args(name: str, app: str, env_file: Path, *extra: str) -> list[str]:
    return [
        "syncs",
        "create",
        name,
        "--connection",
        "emu",
        "--app",
        app,
        "--env-file",
        str(env_file),
        *extra,
    ]


def test_syncs_lifecycle(cli: Cli, emu: Emulator, tmp_path: Path, _isolated_state: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    env_file = _write(tmp_path / ".env", f"DB_PASSWORD={CANARY_VALUE}\nMODE=fast\n")
    cli.connect()
    created = cli.json(
        *_sync_args("shop-secrets", "shop", env_file, "--key-schema", "APP_{{secretKey}}")
    )
    s = created["secretSync"]
    assert s["destinationConfig"] == {"appId": app["id"], "appName": "shop"}
    assert s["syncOptions"]["keySchema"] == "APP_{{secretKey}}"
    assert s["syncStatus"] is None and s["isEnabled"] is True and s["version"] == 1
    assert s["source"]["type"] == "dotenv"

    assert [x["secretSync"]["name"] for x in cli.json("syncs", "list")] == ["shop-secrets"]
    assert "shop-secrets" in cli("syncs", "list").stdout
    assert cli.json("syncs", "get", s["id"])["secretSync"]["name"] == "shop-secrets"
    assert "APP_{{secretKey}}" in cli("syncs", "get", "shop-secrets").stdout

    # plan: exit 2 with changes; nothing written.
    deployments = emu.deployment_count(app["id"])
    r = cli("syncs", "plan", "shop-secrets", code=2)
    assert "APP_DB_PASSWORD" in r.stdout and "create" in r.stdout
    planned = json.loads(cli("syncs", "plan", "shop-secrets", "--json", code=2).stdout)
    assert planned["hasChanges"] is True
    assert {c["key"] for c in planned["changes"] if c["action"] == "create"} == {
        "APP_DB_PASSWORD",
        "APP_MODE",
    }
    assert emu.deployment_count(app["id"]) == deployments

    run = cli.json("syncs", "run", "shop-secrets")
    assert run["status"] == "succeeded" and sorted(run["created"]) == [
        "APP_DB_PASSWORD",
        "APP_MODE",
    ]
    assert run["deploymentId"] and run["kind"] == "sync"
    envs = _envs(emu, app["id"])
    assert _plain(emu, envs["APP_DB_PASSWORD"]) == CANARY_VALUE
    assert _plain(emu, envs["API_KEY"]) == CANARY_SECRET  # unmanaged, untouched
    assert emu.deployment_count(app["id"]) == deployments + 1

    cli("syncs", "plan", "shop-secrets", code=0)
    second = cli.json("syncs", "run", "shop-secrets")
    assert second["status"] == "succeeded" and second["deploymentId"] is None
    assert "no changes" in (second["message"] or "")
    assert emu.deployment_count(app["id"]) == deployments + 1

    after = cli.json("syncs", "get", "shop-secrets")["secretSync"]
    assert after["syncStatus"] == "succeeded" and after["lastSyncJobId"] == second["id"]
    assert after["lastSyncedAt"] is not None

    history = cli.json("syncs", "history", "shop-secrets")
    assert [h["id"] for h in history] == [second["id"], run["id"]]
    assert "succeeded" in cli("syncs", "history", "shop-secrets", "--limit", "1").stdout

    updated = cli.json("syncs", "update", "shop-secrets", "--description", "prod", "--no-delete")
    u = updated["secretSync"]
    assert u["version"] == 2 and u["description"] == "prod"
    assert u["syncOptions"]["disableSecretDeletion"] is True
    assert u["syncOptions"]["keySchema"] == "APP_{{secretKey}}"  # PATCH: kept

    removed = cli.json("syncs", "remove-secrets", "shop-secrets")
    assert removed["kind"] == "remove" and sorted(removed["deleted"]) == [
        "APP_DB_PASSWORD",
        "APP_MODE",
    ]
    envs = _envs(emu, app["id"])
    assert "APP_DB_PASSWORD" not in envs and "API_KEY" in envs and "LOG_LEVEL" in envs
    assert cli.json("syncs", "get", "shop-secrets")["secretSync"]["removeStatus"] == "succeeded"

    # A disabled sync does not run.
    cli("syncs", "update", "shop-secrets", "--disable")
    assert "disabled" in cli.error("syncs", "run", "shop-secrets")

    assert "in use" in cli.error("connections", "delete", "emu").lower() or "used" in cli.error(
        "connections", "delete", "emu"
    )
    cli.json("syncs", "delete", "shop-secrets")
    assert cli.json("syncs", "list") == []
    cli("connections", "delete", "emu")

    everything = "".join(cli.outputs)
    assert CANARY_VALUE not in everything and emu.token not in everything
    state = _state_bytes(_isolated_state)
    assert CANARY_VALUE.encode() not in state and emu.token.encode() not in state


def test_sync_validation_writes_nothing(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    env_file = _write(tmp_path / ".env", "A=1\n")
    cli.connect()
    cases: list[tuple[list[str], str]] = [
        (_sync_args("Bad Name", "shop", env_file), "name"),
        (_sync_args("s1", "no-such-app", env_file), "no-such-app"),
        (
            [
                "syncs",
                "create",
                "s1",
                "--connection",
                "nope",
                "--app",
                "shop",
                "--env-file",
                str(env_file),
            ],
            "nope",
        ),
        (_sync_args("s1", "shop", env_file, "--key-schema", "APP_"), "secretKey"),
        (_sync_args("s1", "shop", env_file, "--key-schema", "{{secretKey}}-x"), "key schema"),
        (_sync_args("s1", "shop", env_file, "--component", "nope"), "nope"),
        (_sync_args("s1", "shop", tmp_path / "missing.env"), "missing.env"),
        (
            [
                "syncs",
                "create",
                "s1",
                "--connection",
                "emu",
                "--app",
                "shop",
                "--source-json",
                '{"type": "ftp"}',
            ],
            "ftp",
        ),
        (
            ["syncs", "create", "s1", "--connection", "emu", "--app", "shop", "--env-prefix", ""],
            "prefix",
        ),
        (
            [
                "syncs",
                "create",
                "s1",
                "--connection",
                "emu",
                "--app",
                "shop",
                "--env-file",
                str(env_file),
                "--env-prefix",
                "X_",
            ],
            "one source",
        ),
    ]
    for args, expected in cases:
        line = cli.error(*args)
        assert expected.lower() in line.lower(), (args, line)
    assert cli.json("syncs", "list") == []
    assert emu.request_count(method="PUT") == 0

    # Two syncs that would manage the same keys of one app are refused.
    cli(*_sync_args("first", "shop", env_file, "--key-schema", "APP_{{secretKey}}"))
    line = cli.error(*_sync_args("second", "shop", env_file, "--key-schema", "APP_X{{secretKey}}"))
    assert "first" in line
    line = cli.error(*_sync_args("third", "shop", env_file))
    assert "first" in line
    cli(*_sync_args("web-only", "shop", env_file, "--component", "web"))
    cli(*_sync_args("other", "shop", env_file, "--key-schema", "OTHER_{{secretKey}}"))
    assert sorted(s["secretSync"]["name"] for s in cli.json("syncs", "list")) == [
        "first",
        "other",
        "web-only",
    ]
    assert app["id"]


def test_source_failures_never_delete(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    env_file = _write(tmp_path / ".env", "A=1\nB=2\n")
    cli.connect()
    cli(*_sync_args("s", "shop", env_file, "--key-schema", "APP_{{secretKey}}"))
    cli("syncs", "run", "s")
    assert {"APP_A", "APP_B"} <= set(_envs(emu, app["id"]))
    puts = emu.request_count(method="PUT")

    env_file.unlink()
    line = cli.error("syncs", "run", "s")
    assert ".env" in line
    env_file.write_text("A=1\nthis line is not dotenv\n")
    line = cli.error("syncs", "run", "s")
    assert "line 2" in line
    assert emu.request_count(method="PUT") == puts
    assert {"APP_A", "APP_B"} <= set(_envs(emu, app["id"]))

    history = cli.json("syncs", "history", "s")
    assert [h["status"] for h in history] == ["failed", "failed", "succeeded"]
    assert "line 2" in history[0]["message"]
    status = cli.json("syncs", "get", "s")["secretSync"]
    assert status["syncStatus"] == "failed" and "line 2" in status["lastSyncMessage"]

    # A command source that exits non-zero: its stderr is surfaced, nothing is planned.
    script = _write(
        tmp_path / "secrets.sh",
        "echo 'A=leaked-if-shown'; echo 'vault: permission denied' >&2; exit 3\n",
    )
    cli("syncs", "update", "s", "--command", f"sh {script}")
    line = cli.error("syncs", "run", "s")
    assert "permission denied" in line and "3" in line
    assert "leaked-if-shown" not in "".join(cli.outputs)
    assert emu.request_count(method="PUT") == puts
    assert {"APP_A", "APP_B"} <= set(_envs(emu, app["id"]))


def test_env_prefix_and_command_sources(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    cli.connect()
    cli(
        "syncs",
        "create",
        "from-env",
        "--connection",
        "emu",
        "--app",
        "shop",
        "--env-prefix",
        "MYAPP_",
        "--key-schema",
        "E_{{secretKey}}",
    )
    run = cli.json("syncs", "run", "from-env", env={"MYAPP_TOKEN": "t1", "MYAPP_URL": "u1"})
    assert sorted(run["created"]) == ["E_TOKEN", "E_URL"]
    script = _write(tmp_path / "json.sh", 'echo \'{"ALPHA": "a", "BETA": "b"}\'\n')
    cli(
        "syncs",
        "create",
        "from-cmd",
        "--connection",
        "emu",
        "--app",
        "shop",
        "--command",
        f"sh {script}",
        "--key-schema",
        "C_{{secretKey}}",
    )
    run = cli.json("syncs", "run", "from-cmd")
    assert sorted(run["created"]) == ["C_ALPHA", "C_BETA"]
    envs = _envs(emu, app["id"])
    assert _plain(emu, envs["C_BETA"]) == "b" and _plain(emu, envs["E_URL"]) == "u1"


def test_adhoc_plan_and_apply(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    env_file = _write(tmp_path / ".env", f"TOKEN={CANARY_VALUE}\n")
    args = [
        "--app",
        "shop",
        "--env-file",
        str(env_file),
        "--key-schema",
        "X_{{secretKey}}",
        "--token-env",
        "EMU_TOKEN",
    ]
    r = cli("plan", *args, code=2)
    assert "X_TOKEN" in r.stdout
    planned = json.loads(cli("plan", *args, "--json", code=2).stdout)
    assert planned["changes"][0]["key"] == "X_TOKEN" and planned["hasChanges"]
    assert emu.request_count(method="PUT") == 0
    applied = cli.json("apply", *args)
    assert applied["created"] == ["X_TOKEN"] and applied["deploymentId"]
    cli("plan", *args, code=0)
    assert json.loads(cli("plan", *args, "--json").stdout)["hasChanges"] is False
    # --component writes to the component; --no-delete keeps keys the source lacks.
    cli("apply", *args, "--component", "web")
    web = next(s for s in next(a for a in emu.apps() if a["id"] == app["id"])["spec"]["services"])
    assert "X_TOKEN" in {e["key"] for e in web["envs"]}
    env_file.write_text("")
    cli("apply", *args, "--no-delete")
    assert "X_TOKEN" in _envs(emu, app["id"])
    cli("apply", *args)
    assert "X_TOKEN" not in _envs(emu, app["id"])
    assert "no API token" in cli.error("plan", "--app", "shop", "--env-file", str(env_file))
    assert CANARY_VALUE not in "".join(cli.outputs)


def test_usage_errors_exit_1(cli: Cli) -> None:
    line = cli.error("syncs", "frobnicate")
    assert "frobnicate" in line
    line = cli.error("plan", "--app", "x")
    assert "--env-file" in line


def test_concurrent_runs_serialize(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    cli.connect()
    for i in range(4):
        f = _write(tmp_path / f"{i}.env", f"K{i}A=a{i}\nK{i}B=b{i}\n")
        cli(*_sync_args(f"s{i}", "shop", f, "--key-schema", f"P{i}_{{{{secretKey}}}}"))
    emu.clear_requests()
    procs = [
        subprocess.Popen(
            [*EXE, "syncs", "run", f"s{i}", "--json"],
            env=cli.env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    envs = _envs(emu, app["id"])
    for i in range(4):
        assert _plain(emu, envs[f"P{i}_K{i}A"]) == f"a{i}"
        assert _plain(emu, envs[f"P{i}_K{i}B"]) == f"b{i}"
    assert {"LOG_LEVEL", "API_KEY"} <= set(envs)
    # Serialized: each process's GET and PUT on the app are adjacent.
    log = [(r.method, r.path) for r in emu.requests() if r.path == f"/v2/apps/{app['id']}"]
    assert log == [("GET", log[0][1]), ("PUT", log[0][1])] * 4


def test_config_file_and_run_all(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    a = emu.seed_app(make_spec("alpha"))
    b = emu.seed_app(make_spec("beta"))
    _write(tmp_path / "alpha.env", "ONE=1\n")
    _write(tmp_path / "beta.env", "TWO=2\n")
    _write(
        tmp_path / "do-envsync.toml",
        f"""
[[connections]]
name = "emu"
token_env = "EMU_TOKEN"
base_url = "{emu.base_url}"

[[syncs]]
name = "alpha"
connection = "emu"
app = "alpha"
source = {{ type = "dotenv", paths = ["alpha.env"] }}
options = {{ key_schema = "CFG_{{{{secretKey}}}}" }}

[[syncs]]
name = "beta"
connection = "emu"
app = "beta"
source = {{ type = "dotenv", paths = ["beta.env"] }}
""",
    )
    report = cli.json("config", "apply")
    assert sorted((i["kind"], i["name"], i["action"]) for i in report) == [
        ("connection", "emu", "created"),
        ("sync", "alpha", "created"),
        ("sync", "beta", "created"),
    ]
    again = cli.json("config", "apply")
    assert {i["action"] for i in again} == {"unchanged"}
    assert cli.json("syncs", "get", "alpha")["secretSync"]["version"] == 1

    emu.clear_requests()
    runs = cli.json("syncs", "run", "--all")
    assert sorted((r["syncName"], r["status"]) for r in runs) == [
        ("alpha", "succeeded"),
        ("beta", "succeeded"),
    ]
    assert "CFG_ONE" in _envs(emu, a["id"]) and "TWO" in _envs(emu, b["id"])
    # Grouped by connection: one list read, no per-app GET, one PUT per changed app.
    assert emu.request_count(method="GET", path="/v2/apps/") == 0
    assert emu.request_count(method="PUT") == 2
    # The config file in the working directory is applied before runs (not before reads or
    # edits); a bad one fails with its line.
    _write(tmp_path / "do-envsync.toml", '[[connections]]\nname = "x"\ntoken = "literal"\n')
    assert len(cli.json("syncs", "list")) == 2
    line = cli.error("syncs", "run", "--all")
    assert "token" in line and "literal" not in line
    assert "--all" in cli.error("--config", "/dev/null", "syncs", "run", "--all", "--wait")


def _watching(cli: Cli, emu: Emulator, tmp_path: Path) -> tuple[str, Path, subprocess.Popen[str]]:
    """A sync `w` of a `.env` file into a new app, and `do-envsync watch` running after its
    first run: (app id, the file, the watch process)."""
    app = emu.seed_app(make_spec("shop"))
    env_file = _write(tmp_path / ".env", "WATCHED=one\n")
    cli.connect()
    cli(*_sync_args("w", "shop", env_file, "--key-schema", "W_{{secretKey}}"))
    proc = subprocess.Popen(
        [*EXE, "watch", "--json", "--debounce", "0.1"],
        env=cli.env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: _plain_or_none(emu, app["id"], "W_WATCHED") == "one", 20)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    time.sleep(0.3)  # the watcher is set up before the first run ends
    return str(app["id"]), env_file, proc


def test_watch_picks_up_changes_and_stops_on_sigterm(
    cli: Cli, emu: Emulator, tmp_path: Path
) -> None:
    app_id, env_file, proc = _watching(cli, emu, tmp_path)
    try:
        start = time.monotonic()
        env_file.write_text("WATCHED=two\n")
        _wait_for(lambda: _plain_or_none(emu, app_id, "W_WATCHED") == "two", 45)
        took = time.monotonic() - start
        # Picked up by the file watcher, not by the next poll (60 s by default).
        assert took < 30, f"watch took {took:.2f}s to sync a changed .env"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert events and "report" in events[-1]
    assert events[-1]["report"]["w"]["succeeded"] >= 2
    history = cli.json("syncs", "history", "w")
    assert [h["status"] for h in history][:2] == ["succeeded", "succeeded"]


def test_watch_lets_go_of_a_sync_disabled_meanwhile(
    cli: Cli, emu: Emulator, tmp_path: Path
) -> None:
    app_id, env_file, proc = _watching(cli, emu, tmp_path)
    try:
        cli("syncs", "update", "w", "--disable")
        env_file.write_text("WATCHED=two\n")
        # The only sync is gone: the watch ends by itself, with no retries.
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    lines = [e["event"] for e in events if "event" in e]
    assert any(line.startswith("[w] no longer watched: ") and "disabled" in line for line in lines)
    assert not any("retrying" in line for line in lines), lines
    report = events[-1]["report"]["w"]
    assert report["succeeded"] == 1 and "disabled" in report["unwatched"]
    assert _plain_or_none(emu, app_id, "W_WATCHED") == "one"  # a disabled sync writes nothing


def _plain_or_none(emu: Emulator, app_id: str, key: str) -> str | None:
    entry = _envs(emu, app_id).get(key)
    return None if entry is None else _plain(emu, entry)


def _wait_for(cond: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_infisical_source(cli: Cli, emu: Emulator) -> None:
    from do_envsync.testing import InfisicalStandIn

    app = emu.seed_app(make_spec("shop"))
    with InfisicalStandIn() as inf:
        CANARY_LITERALS.add(inf.client_secret)
        inf.set_secret("prod", "/", "STRIPE_KEY", CANARY_VALUE)
        inf.set_secret("prod", "/backend", "QUEUE_URL", "amqp://q")
        cli.connect()
        args: Sequence[str] = [
            "syncs",
            "create",
            "inf",
            "--connection",
            "emu",
            "--app",
            "shop",
            "--infisical-project",
            inf.project_id,
            "--infisical-environment",
            "prod",
            "--infisical-url",
            inf.base_url,
            "--infisical-client-id",
            inf.client_id,
            "--infisical-client-secret-env",
            "INF_SECRET",
            "--infisical-recursive",
            "--key-schema",
            "INF_{{secretKey}}",
        ]
        cli(*args)
        run = cli.json("syncs", "run", "inf", env={"INF_SECRET": inf.client_secret})
        assert sorted(run["created"]) == ["INF_QUEUE_URL", "INF_STRIPE_KEY"]
        assert _plain_or_none(emu, app["id"], "INF_STRIPE_KEY") == CANARY_VALUE
        puts = emu.request_count(method="PUT")
        line = cli.error("syncs", "run", "inf", env={"INF_SECRET": "wrong-secret"})
        assert "401" in line or "unauthor" in line.lower() or "invalid" in line.lower()
        assert emu.request_count(method="PUT") == puts
        assert "INF_STRIPE_KEY" in _envs(emu, app["id"])
        assert CANARY_VALUE not in "".join(cli.outputs)
        assert inf.client_secret not in "".join(cli.outputs)


def test_syncs_delete_with_remove_secrets(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    cli.connect()
    for name, prefix in (("a", "A"), ("b", "B"), ("c", "C")):
        env = _write(tmp_path / f"{name}.env", f"TOKEN={CANARY_VALUE}\n")
        cli(*_sync_args(name, "shop", env, "--key-schema", prefix + "_{{secretKey}}"))
        cli("syncs", "run", name)
    assert {"A_TOKEN", "B_TOKEN", "C_TOKEN"} <= set(_envs(emu, app["id"]))

    emu.clear_requests()
    out = cli("syncs", "delete", "a", "--remove-secrets").stdout
    assert "deleted 1" in out and "deleted sync a" in out
    assert emu.request_count(method="PUT") == 1
    envs = _envs(emu, app["id"])
    assert "A_TOKEN" not in envs and {"B_TOKEN", "C_TOKEN", "LOG_LEVEL", "API_KEY"} <= set(envs)

    gone = cli.json("syncs", "delete", "b", "--remove-secrets")["secretSync"]
    assert gone["name"] == "b" and gone["removeStatus"] == "succeeded"
    assert gone["destination"] == "digital-ocean-app-platform"
    assert [s["secretSync"]["name"] for s in cli.json("syncs", "list")] == ["c"]

    # A failed removal keeps the sync: exit 1, one clear line; --json prints the failed run.
    emu.add_fault("status", method="PUT", path=f"^/v2/apps/{app['id']}$", status=500)
    # (The retries of the 500s take over a second, so a progress line may come first.)
    err = cli("syncs", "delete", "c", "--remove-secrets", code=1).stderr.strip().splitlines()
    assert err[-1].startswith('do-envsync: error: sync "c" was not deleted: removing its secrets')
    r = cli("syncs", "delete", "c", "--remove-secrets", "--json", code=1)
    assert json.loads(r.stdout)["status"] == "failed"
    emu.clear_faults()
    assert cli.json("syncs", "get", "c")["secretSync"]["removeStatus"] == "failed"
    assert "C_TOKEN" in _envs(emu, app["id"])

    # Without --remove-secrets: the record only, no request.
    emu.clear_requests()
    assert "the app was not changed" in cli("syncs", "delete", "c").stdout
    assert emu.requests() == [] and "C_TOKEN" in _envs(emu, app["id"])
    assert "give --remove-secrets" in cli.error("syncs", "delete", "nope", "--wait")
    assert "not found" in cli.error("syncs", "delete", "nope", "--remove-secrets")
    assert CANARY_VALUE not in "".join(cli.outputs)


def test_connections_apps(cli: Cli, emu: Emulator) -> None:
    for i in range(210):
        emu.seed_app(make_spec(f"app-{i:03d}"))
    cli.connect()
    emu.clear_requests()
    table = cli("connections", "apps", "emu").stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "REGION", "UPDATED"]
    rows = [line.split() for line in table[1:]]
    assert sorted(r[1] for r in rows) == [f"app-{i:03d}" for i in range(210)]
    assert all(r[2] == "nyc" for r in rows) and len({r[0] for r in rows}) == 210
    assert emu.request_count(method="GET", path="/v2/apps") == 2  # 200 + 10, with the stored token

    emu.clear_requests()
    listed = cli.json("connections", "apps", "emu")
    assert isinstance(listed, list) and len(listed) == 210
    assert sorted(a["spec"]["name"] for a in listed) == [f"app-{i:03d}" for i in range(210)]
    assert emu.request_count(method="GET", path="/v2/apps") == 2

    line = cli.error("connections", "apps", "nope")
    assert 'connection "nope" not found' in line
    assert emu.token not in "".join(cli.outputs)
