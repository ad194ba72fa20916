"""Issue 16: logging into Python's `logging`, CLI comfort (completion, --output, colour), one
version, notebook views and progress bars."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import do_envsync
import pytest
import yaml
from do_envsync import ServerError
from do_envsync.cli import _common, _parser
from do_envsync.cli import main as cli_main
from do_envsync.cli.completion import script
from do_envsync.progress import deployment_bar, fleet_bar
from do_envsync.testing import Emulator

from .conftest import make_spec

ROOT = Path(__file__).resolve().parent.parent
EXE = [sys.executable, "-m", "do_envsync.cli"]


def canary() -> str:
    return f"canary-{uuid.uuid4().hex}"


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG, logger="do_envsync")
    # The core caches levels at the first event; the session emulator has seen events.
    do_envsync.refresh_logging()
    yield caplog
    caplog.set_level(logging.WARNING, logger="do_envsync")
    do_envsync.refresh_logging()


def _leaks(records: list[logging.LogRecord], secrets: list[str]) -> list[str]:
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in records)
    return [s[:10] for s in secrets if s in text]


# --- logging --------------------------------------------------------------------------------


def test_debug_log_of_a_full_sync_has_requests_and_no_secret(
    emu: Emulator, debug_log: pytest.LogCaptureFixture
) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    client = emu.client()
    secrets = {"DB_PASSWORD": canary(), "API_TOKEN": canary()}
    result = client.sync(app_id, secrets, wait=True)
    assert result.deployment_id is not None
    records = [r for r in debug_log.records if r.name.startswith("do_envsync.")]
    responses = [r for r in records if r.name == "do_envsync.client.transport"]
    messages = [r.getMessage() for r in responses]
    # GET of the app, PUT of the spec, then deployment polls: each with its status and timing.
    assert any(
        "method=GET" in m and f"/v2/apps/{app_id}" in m and "status=200" in m for m in messages
    ), messages
    assert any("method=PUT" in m and "status=200" in m for m in messages), messages
    assert all(re.search(r"attempt=\d+", m) and "elapsed_ms=" in m for m in messages)
    assert all(r.levelno == logging.DEBUG for r in responses)
    assert _leaks(debug_log.records, [*secrets.values(), emu.token]) == []


def test_debug_log_of_a_failing_retry(emu: Emulator, debug_log: pytest.LogCaptureFixture) -> None:
    app_id = emu.seed_app(make_spec())["id"]
    client = emu.client(retry_budget=0.5)
    secrets = {"DB_PASSWORD": canary()}
    emu.add_fault("status", status=503, method="GET", path=f"^/v2/apps/{app_id}$", count=50)
    with pytest.raises(ServerError):
        client.sync(app_id, secrets)
    retries = [r for r in debug_log.records if r.name == "do_envsync.client.retry"]
    assert any(r.levelno == logging.WARNING and "retrying" in r.getMessage() for r in retries)
    assert any("giving up" in r.getMessage() for r in retries)
    statuses = [
        r.getMessage() for r in debug_log.records if r.name == "do_envsync.client.transport"
    ]
    assert sum("status=503" in m for m in statuses) >= 2
    assert len({re.search(r"attempt=(\d+)", m).group(1) for m in statuses}) >= 2  # type: ignore[union-attr]
    assert _leaks(debug_log.records, [*secrets.values(), emu.token]) == []


def test_disabled_level_sends_nothing_until_refreshed(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="do_envsync")
    do_envsync.refresh_logging()
    list(emu.client().apps.list())
    assert not [r for r in caplog.records if r.name == "do_envsync.client.transport"]
    caplog.set_level(logging.DEBUG, logger="do_envsync")
    do_envsync.refresh_logging()
    list(emu.client().apps.list())
    assert [r for r in caplog.records if r.name == "do_envsync.client.transport"]
    caplog.set_level(logging.WARNING, logger="do_envsync")
    do_envsync.refresh_logging()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_cli_verbose_and_env_log(emu: Emulator) -> None:
    emu.seed_app(make_spec("logged"))
    env = {"DIGITALOCEAN_TOKEN": emu.token, "DO_ENVSYNC_BASE_URL": emu.base_url}
    quiet = run("apps", "list", env=env)
    assert quiet.returncode == 0 and "do_envsync.client" not in quiet.stderr
    loud = run("-vv", "apps", "list", env=env)
    assert loud.returncode == 0, loud.stderr
    assert re.search(
        r"DEBUG do_envsync\.client\.transport: response method=GET path=\"/v2/apps\" status=200",
        loud.stderr,
    ), loud.stderr
    assert emu.token not in loud.stderr + loud.stdout
    by_env = run("apps", "list", env={**env, "DO_ENVSYNC_LOG": "debug"})
    assert "DEBUG do_envsync.client.transport" in by_env.stderr
    info = run("-v", "apps", "list", env=env)
    assert "DEBUG" not in info.stderr
    bad = run("apps", "list", env={**env, "DO_ENVSYNC_LOG": "loud"})
    assert bad.returncode == 1 and "DO_ENVSYNC_LOG" in bad.stderr


# --- CLI comfort ------------------------------------------------------------------------------


def test_bash_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "do-envsync.bash"
    path.write_text(script(_parser(), "bash"))

    def complete(*words: str) -> list[str]:
        line = " ".join(["do-envsync", *words])
        probe = (
            f"source {path}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; "
            '_do_envsync; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        if words and words[-1] == "":
            probe = probe.replace(f"COMP_WORDS=({line})", f"COMP_WORDS=({line} '')")
        out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
        return out.stdout.split()

    assert "syncs" in complete("sy") and "completion" in complete("co")
    assert set(complete("syncs", "")) >= {"create", "list", "history", "--help"}
    assert set(complete("apps", "list", "--")) >= {"--json", "--output", "--token-env"}
    assert complete("apps", "list", "--output", "") == ["table", "json", "yaml"]
    assert complete("completion", "f") == ["fish"]


def test_fish_and_zsh_completion_scripts() -> None:
    fish = script(_parser(), "fish")
    assert "complete -c do-envsync -n __fish_use_subcommand -a" in fish
    assert re.search(r"__fish_seen_subcommand_from syncs.*-l remove-secrets", fish)
    assert "-l output -xa 'table json yaml'" in fish
    zsh = script(_parser(), "zsh")
    assert zsh.startswith("#compdef do-envsync") and "bashcompinit" in zsh
    r = run("completion", "bash")
    assert r.returncode == 0 and "complete -o default -F _do_envsync do-envsync" in r.stdout
    assert subprocess.run(["bash", "-n"], input=r.stdout, text=True).returncode == 0


@pytest.mark.parametrize(
    "data",
    [
        {"a": 1, "b": [1, 2.5, None, True], "c": {"d": "no", "e": "1e3", "f": "2024-01-01"}},
        [{"x": 'multi\nline "q" é', "y": []}, {}, [], "#not a comment", ": colon"],
        {"nested": [{"k": [{"deep": "x"}]}], "empty": {}},
        [],
    ],
)
def test_yaml_output_is_the_same_data(data: Any) -> None:
    assert yaml.safe_load(_common.to_yaml(data)) == data


def test_output_json_yaml_and_json_alias(emu: Emulator) -> None:
    app = emu.seed_app(make_spec("out"))
    env = {"DIGITALOCEAN_TOKEN": emu.token, "DO_ENVSYNC_BASE_URL": emu.base_url}
    as_json = json.loads(run("apps", "get", "out", "--json", env=env).stdout)
    assert json.loads(run("apps", "get", "out", "-o", "json", env=env).stdout) == as_json
    as_yaml = run("apps", "get", "out", "--output", "yaml", env=env)
    assert as_yaml.returncode == 0, as_yaml.stderr
    assert yaml.safe_load(as_yaml.stdout) == as_json and as_json["id"] == app["id"]
    runs = run("connections", "list", "--output", "yaml", env=env)
    assert runs.returncode == 0 and yaml.safe_load(runs.stdout) == []


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plan_colour_only_on_a_terminal(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.seed_app(make_spec("colour"))
    dotenv = tmp_path / ".env"
    dotenv.write_text("NEW_KEY=abc\n")
    monkeypatch.setenv("DIGITALOCEAN_TOKEN", emu.token)
    monkeypatch.setenv("DO_ENVSYNC_BASE_URL", emu.base_url)
    monkeypatch.delenv("NO_COLOR", raising=False)
    argv = ["plan", "--app", "colour", "--env-file", str(dotenv)]

    def plan_output(*extra: str, tty: bool = True) -> str:
        out = _Tty() if tty else io.StringIO()
        monkeypatch.setattr(sys, "stdout", out)
        assert cli_main([*extra, *argv]) == 2
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        return out.getvalue()

    assert "\x1b[32mcreate\x1b[0m" in plan_output()
    assert "\x1b[" not in plan_output(tty=False)
    assert "\x1b[" not in plan_output("--no-color")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in plan_output()
    piped = run(*argv)
    assert piped.returncode == 2 and "\x1b[" not in piped.stdout and "create" in piped.stdout


# --- one version ------------------------------------------------------------------------------


def test_one_version_everywhere() -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', cargo, re.M)
    assert match
    assert do_envsync.__version__ == match.group(1)
    assert metadata.version("do-envsync") == match.group(1)
    r = run("--version")
    assert r.stdout.strip() == f"do-envsync {match.group(1)}"
    assert 'dynamic = ["version"]' in (ROOT / "pyproject.toml").read_text()
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and "Keep a Changelog" in changelog


# --- notebook views and progress --------------------------------------------------------------


def test_html_views_are_masked(emu: Emulator) -> None:
    client = emu.client()
    spec = make_spec("html-view")
    app_id = emu.seed_app(spec)["id"]
    secret, general = canary(), canary()
    result = client.sync(
        app_id, {"DB_PASSWORD": secret, "FLAG": {"value": general, "type": "GENERAL"}}, wait=True
    )
    view = result._repr_html_()
    assert "DB_PASSWORD" in view and "FLAG" in view and "created" in view
    app = client.apps.get(app_id)
    app_view = app._repr_html_()
    assert "html-view" in app_view and "ACTIVE" in app_view and "ENV VARS" in app_view
    assert re.search(r"\(app\).*?<td[^>]*>\d+ \(\d+ secret\)</td>", app_view)
    fleet = client.sync_fleet({app_id: {"DB_PASSWORD": secret}, "missing-app": {"X": secret}})
    fleet_view = fleet._repr_html_()
    assert "missing-app" in fleet_view and "NotFoundError" in fleet_view
    envs = app.spec.envs if app.spec is not None else None
    assert envs
    env_views = [e._repr_html_() for e in envs]
    assert all("***" in v for v in env_views if "<code>value</code>" in v)
    for text in [view, app_view, fleet_view, *env_views]:
        assert secret not in text and general not in text and emu.token not in text
        assert "EV[" not in text or text is not app_view


def test_history_is_a_list_with_a_table(emu: Emulator, tmp_path: Path) -> None:
    store = do_envsync.Store(tmp_path / "s.db")
    app = emu.seed_app(make_spec("hist"))
    store.connections.create("emu", emu.token, base_url=emu.base_url)
    value = canary()
    store.syncs.create(
        "hist", connection="emu", app=app["id"], source=do_envsync.sources.inline({"K": value})
    )
    store.syncs.run("hist")
    store.syncs.run("hist")
    history = store.syncs.history("hist")
    assert isinstance(history, list) and len(history) == 2
    assert history[0].status == "succeeded" and history[:1] == [history[0]]
    view = history._repr_html_()
    assert view.count("<tr>") == 3 and "succeeded" in view and value not in view
    assert "STARTED" in str(history) and value not in str(history)


def test_progress_bars_text_and_tqdm() -> None:
    out = io.StringIO()
    bar = fleet_bar(stream=out, use_tqdm=False)
    for i in range(1, 4):
        bar(i, 3)
    assert out.getvalue().endswith("3/3 apps\n")
    out = io.StringIO()
    phases = deployment_bar(stream=out, use_tqdm=False)
    phases("BUILDING")
    phases("ACTIVE")
    assert out.getvalue() == "deploying: BUILDING\ndeploying: ACTIVE\n"
    out = io.StringIO()
    bar = fleet_bar(stream=out)
    for i in range(1, 4):
        bar(i, 3)
    assert "3/3" in out.getvalue()
