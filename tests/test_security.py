"""Attacks from issue 14, performed through the command line: a second local user
(uid 65534 through `setpriv`, as root in CI) planting files where the state store looks,
secrets echoed back by the API or a command source, secrets on argv, the config file
and the emulator's admin surface. Each test performs the attack and checks the defence."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from do_envsync import Client, DecodeError, ValidationError, sources
from do_envsync.testing import Emulator

from .conftest import CANARY_LITERALS, make_spec
from .test_cli_control import CANARY_VALUE, Cli

OTHER_UID = 65534


@pytest.fixture
def cli(emu: Emulator, tmp_path: Path) -> Cli:
    return Cli(emu, tmp_path)


def as_other_user(script: str, cwd: Path) -> None:
    """Runs `script` with sh as uid/gid 65534 (the attacker)."""
    assert os.geteuid() == 0, "these tests simulate a second user: run them as root (CI does)"
    subprocess.run(
        [
            "setpriv",
            f"--reuid={OTHER_UID}",
            f"--regid={OTHER_UID}",
            "--clear-groups",
            "sh",
            "-c",
            script,
        ],
        cwd=cwd,
        check=True,
        timeout=30,
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory every user can write in, like /tmp (mode 1777)."""
    path = Path(tempfile.mkdtemp(prefix="do-envsync-shared-", dir="/tmp"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path)


def _victim_file(directory: Path) -> tuple[Path, str]:
    bashrc = directory / "bashrc"
    bashrc.write_text("export PATH=$HOME/bin:$PATH\n")
    bashrc.chmod(0o644)
    return bashrc, bashrc.read_text()


def _apply_args(env_file: Path) -> list[str]:
    return ["apply", "--app", "shop", "--env-file", str(env_file), "--token-env", "EMU_TOKEN"]


def test_a_lock_directory_planted_in_a_shared_directory_is_refused(
    cli: Cli, emu: Emulator, shared_dir: Path, tmp_path: Path
) -> None:
    app = emu.seed_app(make_spec("shop"))
    bashrc, before = _victim_file(tmp_path)
    # The attacker prepares `<state>.locks/<app-id>.lock` -> the victim's file.
    as_other_user(
        f"mkdir -m 0777 state.db.locks && ln -s {bashrc} state.db.locks/{app['id']}.lock",
        shared_dir,
    )
    env_file = tmp_path / ".env"
    env_file.write_text(f"TOKEN={CANARY_VALUE}\n")
    line = cli.error(*_apply_args(env_file), env={"DO_ENVSYNC_STATE": str(shared_dir / "state.db")})
    assert str(shared_dir) in line and "writable by other users" in line, line
    assert bashrc.read_text() == before
    assert emu.request_count(method="PUT") == 0


def test_a_lock_file_that_is_a_link_is_never_written_through(
    cli: Cli, emu: Emulator, tmp_path: Path, _isolated_state: Path
) -> None:
    app = emu.seed_app(make_spec("shop"))
    env_file = tmp_path / ".env"
    env_file.write_text(f"TOKEN={CANARY_VALUE}\n")
    cli(*_apply_args(env_file))
    lock = Path(f"{_isolated_state}.locks") / f"{app['id']}.lock"
    assert lock.is_file()
    bashrc, before = _victim_file(tmp_path)
    lock.unlink()
    lock.symlink_to(bashrc)
    env_file.write_text(f"TOKEN={CANARY_VALUE}-2\n")
    line = cli.error(*_apply_args(env_file))
    assert str(lock) in line and "symbolic link" in line, line
    assert bashrc.read_text() == before
    assert emu.request_count(method="PUT") == 1


def test_a_state_database_planted_by_another_user_is_refused(
    cli: Cli, shared_dir: Path, tmp_path: Path
) -> None:
    # The attacker's directory, open to the victim, with a world-writable database.
    as_other_user("mkdir -m 0755 d && touch d/state.db && chmod 666 d/state.db", shared_dir)
    db = shared_dir / "d" / "state.db"
    line = cli.error("syncs", "list", env={"DO_ENVSYNC_STATE": str(db)})
    assert "uid 65534" in line and str(shared_dir / "d") in line, line
    # Never "repaired": still the attacker's, mode unchanged, nothing added beside it.
    st = db.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (OTHER_UID, 0o666)
    assert sorted(p.name for p in db.parent.iterdir()) == ["state.db"]


# ---------------------------------------------------------------------------
# Item 5: secrets echoed back by the API or by a command source are scrubbed before
# they are shown, logged or stored.
# ---------------------------------------------------------------------------

ECHO_CANARY = "canary-echoed-4be1d0c93a"
LEGACY_TOKEN = "0f" * 32
CANARY_LITERALS.add(ECHO_CANARY)
CANARY_LITERALS.add(LEGACY_TOKEN)


def _echo_422(emu: Emulator, *values: str) -> None:
    """A 422 on the next PUT whose message repeats what was sent, as validators do."""
    body = {
        "id": "unprocessable_entity",
        "message": "invalid env values: " + ", ".join(f'"{v}"' for v in values),
    }
    emu.add_fault("status", method="PUT", status=422, body=json.dumps(body), count=1)


def test_an_api_error_repeating_the_values_sent_is_scrubbed(client: Client, emu: Emulator) -> None:
    app = emu.seed_app(make_spec("shop"))
    _echo_422(emu, ECHO_CANARY, LEGACY_TOKEN, emu.token)
    with pytest.raises(ValidationError) as info:
        client.sync(app["id"], {"PASSWORD": ECHO_CANARY})
    err = info.value
    for text in (str(err), repr(err), err.message):
        assert ECHO_CANARY not in text and LEGACY_TOKEN not in text and emu.token not in text
        assert "[REDACTED]" in text
    # The raw client too: a PUT of a spec holding a SECRET.
    spec = make_spec("shop", envs=[{"key": "K", "value": ECHO_CANARY, "type": "SECRET"}])
    _echo_422(emu, ECHO_CANARY)
    with pytest.raises(ValidationError) as info:
        client.apps.update(app["id"], spec)
    assert ECHO_CANARY not in str(info.value)


def test_a_run_failing_with_an_echoing_api_error_stores_no_secret(
    cli: Cli, emu: Emulator, tmp_path: Path, _isolated_state: Path
) -> None:
    emu.seed_app(make_spec("shop"))
    cli.connect()
    env_file = tmp_path / ".env"
    env_file.write_text(f"PASSWORD={ECHO_CANARY}\n")
    cli("syncs", "create", "s", "--connection", "emu", "--app", "shop", "--env-file", str(env_file))
    _echo_422(emu, ECHO_CANARY, LEGACY_TOKEN)
    line = cli.error("syncs", "run", "s")
    assert "invalid env values" in line and "[REDACTED]" in line, line
    history = cli.json("syncs", "history", "s")
    assert "[REDACTED]" in history[0]["message"]
    out = "".join(cli.outputs)
    assert ECHO_CANARY not in out and LEGACY_TOKEN not in out
    blob = b"".join(p.read_bytes() for p in _isolated_state.parent.rglob("*") if p.is_file())
    assert ECHO_CANARY.encode() not in blob and LEGACY_TOKEN.encode() not in blob


def test_a_failing_command_printing_secrets_on_stderr_is_scrubbed(
    cli: Cli, emu: Emulator, tmp_path: Path, _isolated_state: Path
) -> None:
    emu.seed_app(make_spec("shop"))
    master = "ab" * 32
    CANARY_LITERALS.add(master)
    cli.env["DO_ENVSYNC_MASTER_KEY"] = master
    cli.connect()
    script = tmp_path / "vault.sh"
    script.write_text(
        f"echo 'PASSWORD={ECHO_CANARY}'\n"
        f"echo 'vault: cannot store {ECHO_CANARY} with token {LEGACY_TOKEN}' >&2\n"
        'echo "master key: $DO_ENVSYNC_MASTER_KEY" >&2\n'
        "exit 3\n"
    )
    cli("syncs", "create", "s", "--connection", "emu", "--app", "shop", "--command", f"sh {script}")
    line = cli.error("syncs", "run", "s")
    assert "vault: cannot store [REDACTED] with token [REDACTED]" in line, line
    history = cli.json("syncs", "history", "s")
    assert "vault: cannot store [REDACTED]" in history[0]["message"]
    out = "".join(cli.outputs)
    assert ECHO_CANARY not in out and LEGACY_TOKEN not in out and master not in out
    blob = b"".join(p.read_bytes() for p in _isolated_state.parent.rglob("*") if p.is_file())
    assert ECHO_CANARY.encode() not in blob and LEGACY_TOKEN.encode() not in blob
    assert emu.request_count(method="PUT") == 0


# ---------------------------------------------------------------------------
# Item 6: secrets on argv (--source-json) and item 7: a token typed as --token-env.
# ---------------------------------------------------------------------------


def test_source_json_refuses_secret_values_on_the_command_line(
    cli: Cli, emu: Emulator, tmp_path: Path
) -> None:
    emu.seed_app(make_spec("shop"))
    cli.connect()
    create = ["syncs", "create", "s", "--connection", "emu", "--app", "shop", "--source-json"]
    inline = json.dumps({"type": "inline", "secrets": {"PASSWORD": ECHO_CANARY}})
    line = cli.error(*create, inline)
    assert "@FILE" in line and "stdin" in line and ECHO_CANARY not in line, line
    infisical = {
        "type": "infisical",
        "project_id": "p",
        "environment": "prod",
        "client_id": "id",
        "client_secret": ECHO_CANARY,
    }
    line = cli.error(*create, json.dumps(infisical))
    assert "client_secret_env" in line and ECHO_CANARY not in line, line
    assert "not found" in cli.error("syncs", "get", "s")  # nothing was created
    # A JSON error does not quote the text either.
    line = cli.error(*create, '{"type": "inline", "secrets": {"A": "' + ECHO_CANARY)
    assert "not JSON" in line and ECHO_CANARY not in line, line

    # From a file or from stdin the same source is accepted.
    path = tmp_path / "source.json"
    path.write_text(inline)
    path.chmod(0o600)
    cli(*create, f"@{path}", "--key-schema", "A_{{secretKey}}")
    cli(
        "syncs",
        "create",
        "s2",
        "--connection",
        "emu",
        "--app",
        "shop",
        "--source-json",
        "-",
        "--key-schema",
        "B_{{secretKey}}",
        stdin=inline,
    )
    assert cli.json("syncs", "run", "s")["created"] == ["A_PASSWORD"]
    assert cli.json("syncs", "run", "s2")["created"] == ["B_PASSWORD"]
    line = cli.error(*create, "@" + str(tmp_path / "missing.json"))
    assert "cannot read" in line


def test_a_token_given_as_token_env_is_refused_without_echo(cli: Cli, emu: Emulator) -> None:
    for token in (emu.token, LEGACY_TOKEN, "doo_v1_" + "c" * 64):
        CANARY_LITERALS.add(token)
        for args in (("apps", "list"), ("connections", "create", "x")):
            line = cli.error(*args, "--token-env", token)
            assert token not in line and "variable name" in line, line
            assert token[:10] not in line


# ---------------------------------------------------------------------------
# Item 8: a command source does not inherit the product's own secrets.
# ---------------------------------------------------------------------------

_PRODUCT_VARS = (
    "DO_ENVSYNC_MASTER_KEY",
    "DIGITALOCEAN_TOKEN",
    "DIGITALOCEAN_ACCESS_TOKEN",
    "DO_ENVSYNC_EMULATOR_TOKEN",
)
_REPORT_ENV = (
    "for v in DO_ENVSYNC_MASTER_KEY DIGITALOCEAN_TOKEN DIGITALOCEAN_ACCESS_TOKEN "
    "DO_ENVSYNC_EMULATOR_TOKEN MY_INFISICAL_SECRET PATH; do "
    'eval "x=\\${$v:-}"; if [ -n "$x" ]; then echo "$v=set"; else echo "$v=unset"; fi; done'
)


def test_a_command_source_gets_no_product_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _PRODUCT_VARS:
        monkeypatch.setenv(name, "dop_v1_" + "e" * 64)
    seen = sources.read(sources.command(_REPORT_ENV))
    assert seen == {
        **{n: "unset" for n in _PRODUCT_VARS},
        "MY_INFISICAL_SECRET": "unset",
        "PATH": "set",
    }
    # Passed when the command needs it and says so.
    seen = sources.read(sources.command(_REPORT_ENV, pass_env=["DIGITALOCEAN_TOKEN"]))
    assert seen["DIGITALOCEAN_TOKEN"] == "set" and seen["DO_ENVSYNC_MASTER_KEY"] == "unset"


def test_a_stored_command_sync_gets_no_infisical_client_secret(
    cli: Cli, emu: Emulator, tmp_path: Path
) -> None:
    app = emu.seed_app(make_spec("shop"))
    cli.connect()
    infisical = [
        "--infisical-project",
        "p",
        "--infisical-environment",
        "prod",
        "--infisical-client-id",
        "id",
        "--infisical-client-secret-env",
        "MY_INFISICAL_SECRET",
        "--infisical-url",
        "http://127.0.0.1:9",
    ]
    cli(
        "syncs",
        "create",
        "inf",
        "--connection",
        "emu",
        "--app",
        "shop",
        *infisical,
        "--key-schema",
        "I_{{secretKey}}",
    )
    cli(
        "syncs",
        "create",
        "cmd",
        "--connection",
        "emu",
        "--app",
        "shop",
        "--command",
        _REPORT_ENV,
        "--key-schema",
        "C_{{secretKey}}",
    )
    env = {name: "dop_v1_" + "e" * 64 for name in _PRODUCT_VARS if name != "DO_ENVSYNC_MASTER_KEY"}
    env["MY_INFISICAL_SECRET"] = ECHO_CANARY
    cli("syncs", "run", "cmd", env=env)
    stored = next(a for a in emu.apps() if a["id"] == app["id"])["spec"]["envs"]
    seen = {e["key"]: emu.reveal_secret(e["value"]) for e in stored if e["key"].startswith("C_")}
    assert seen == {f"C_{n}": "unset" for n in (*_PRODUCT_VARS, "MY_INFISICAL_SECRET")} | {
        "C_PATH": "set"
    }


# ---------------------------------------------------------------------------
# Item 9: a do-envsync.toml found in the working directory.
# ---------------------------------------------------------------------------


def _config(tmp_path: Path, base_url: str, env_file: str = "a.env") -> None:
    (tmp_path / "do-envsync.toml").write_text(
        f"""
[[connections]]
name = "planted"
token_env = "EMU_TOKEN"
base_url = "{base_url}"

[[syncs]]
name = "planted-sync"
connection = "planted"
app = "shop"
source = {{ type = "dotenv", paths = ["{env_file}"] }}
"""
    )


def test_a_found_config_file_may_not_send_the_token_to_its_own_base_url(
    cli: Cli, emu: Emulator, tmp_path: Path
) -> None:
    emu.seed_app(make_spec("shop"))
    (tmp_path / "a.env").write_text("A=1\n")
    # The file points the connection at a server of its own (here the emulator, so that
    # a token sent there would be seen in its request log).
    _config(tmp_path, emu.base_url)
    emu.clear_requests()
    for args in (("syncs", "run", "--all"), ("syncs", "plan", "planted-sync"), ("watch",)):
        line = cli.error(*args)
        assert "found in the working directory" in line and emu.base_url in line, line
        assert "$EMU_TOKEN" in line and "config apply" in line
    assert emu.request_count() == 0, "the token was sent"
    # Commands that do not act on the declared setup ignore the file altogether.
    assert cli.json("connections", "list") == []
    assert "not found" in cli.error("syncs", "get", "planted-sync")

    # Applied by name, it is announced on stderr before the token is sent.
    r = cli("config", "apply")
    assert f"the token from $EMU_TOKEN is sent to {emu.base_url}" in r.stderr
    assert emu.request_count(method="GET", path="/v2/account") == 1
    # Accepted once, the same destination is not refused or announced again.
    r = cli("syncs", "run", "--all", "--json")
    assert "sent to" not in r.stderr
    # A file that changes it to another server is refused again.
    _config(tmp_path, "http://127.0.0.1:9")
    line = cli.error("syncs", "run", "--all")
    assert "http://127.0.0.1:9" in line


def test_python_apply_config_warns_before_sending_the_token(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from do_envsync import Store

    monkeypatch.setenv("EMU_TOKEN", emu.token)
    (tmp_path / "a.env").write_text("A=1\n")
    _config(tmp_path, emu.base_url, str(tmp_path / "a.env"))
    emu.seed_app(make_spec("shop"))
    with pytest.warns(UserWarning, match="sent to"):
        Store().apply_config(tmp_path / "do-envsync.toml")


# ---------------------------------------------------------------------------
# Item 10: the standalone emulator's admin surface.
# ---------------------------------------------------------------------------


def _http(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_the_standalone_emulator_guards_its_admin_surface(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "do_envsync.cli", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DO_ENVSYNC_EMULATOR_TOKEN": "", "DIGITALOCEAN_TOKEN": ""},
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().split("listening on ", 1)[1].strip()
        token_file = Path(proc.stdout.readline().split("written to ", 1)[1].split()[0])
        token = token_file.read_text().strip()
        CANARY_LITERALS.add(token)
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        admin = f"{base}/_emulator"
        spec = {
            "spec": {
                "name": "guarded",
                "envs": [{"key": "PW", "value": ECHO_CANARY, "type": "SECRET"}],
            }
        }
        assert (
            _http(f"{admin}/apps", method="POST", headers=auth, body=json.dumps(spec).encode())[0]
            == 200
        )
        # What a web page could send: no token; a cross-origin text/plain POST.
        assert _http(f"{admin}/requests")[0] == 401
        assert (
            _http(
                f"{admin}/reset", method="POST", body=b"{}", headers={"Content-Type": "text/plain"}
            )[0]
            == 401
        )
        plain = {**auth, "Content-Type": "text/plain"}
        assert _http(f"{admin}/reset", method="POST", headers=plain, body=b"{}")[0] == 415
        assert _http(f"{admin}/requests", headers={**auth, "Host": "evil.example"})[0] == 403
        status, apps = _http(f"{admin}/apps", headers=auth)
        assert status == 200 and len(json.loads(apps)["apps"]) == 1, "a refused reset ran"
        # The request log, over HTTP, holds no SECRET plaintext.
        client = Client(token, base_url=base)
        app_id = json.loads(apps)["apps"][0]["id"]
        client.apps.update(app_id, spec["spec"])
        status, log = _http(f"{admin}/requests", headers=auth)
        assert status == 200 and "PUT" in log and ECHO_CANARY not in log
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert not token_file.exists(), "the token file outlived the emulator"


# ---------------------------------------------------------------------------
# Item 11: a malformed answer ends every CLI path in one clear line.
# ---------------------------------------------------------------------------


def test_a_malformed_answer_ends_in_one_line(
    cli: Cli, emu: Emulator, client: Client, tmp_path: Path
) -> None:
    app = emu.seed_app(make_spec("shop"))
    env_file = tmp_path / ".env"
    env_file.write_text("A=1\n")
    token = ["--token-env", "EMU_TOKEN"]
    adhoc = ["--app", app["id"], "--env-file", str(env_file), *token]
    cli.connect()
    cli("syncs", "create", "s", "--connection", "emu", "--app", "shop", "--env-file", str(env_file))
    bodies = ["{}", '{"app": null}', '{"app": "x"}', "[]", '{"apps": [1, 2]}', '"text"']
    commands: list[tuple[str, ...]] = [
        ("apps", "get", app["id"], *token),
        ("apps", "spec", app["id"], *token),
        ("apps", "list", *token),
        ("plan", *adhoc),
        ("apply", *adhoc),
        ("syncs", "plan", "s"),
        ("syncs", "run", "s"),
    ]
    for body in bodies:
        for command in commands:
            emu.clear_faults()
            emu.add_fault("status", method="GET", path="^/v2/apps", status=200, body=body)
            r = cli(*command, code=None)
            lines = r.stderr.strip().splitlines()
            assert "Traceback" not in r.stderr, (body, command, r.stderr)
            if command[:2] == ("apps", "list") and body in ("{}", '{"app": null}', '{"app": "x"}'):
                # A list answer without "apps" is an empty list (DigitalOcean omits it).
                assert r.returncode == 0 and "NAME" in r.stdout, r.stderr
                continue
            assert r.returncode == 1 and len(lines) == 1, (body, command, r.stderr)
            assert lines[0].startswith("do-envsync: error: "), (body, command, r.stderr)
            assert "unexpected" not in lines[0], lines[0]
            if command[:2] == ("apps", "get") and body in ("{}", '{"app": null}'):
                assert 'the response has no "app" field' in lines[0], lines[0]
    emu.clear_faults()
    # The Python API raises the typed DecodeError naming the field.
    emu.add_fault("status", method="GET", path="^/v2/apps/", status=200, body="{}", count=1)
    with pytest.raises(DecodeError, match='no "app" field'):
        client.apps.get(app["id"])


# ---------------------------------------------------------------------------
# Item 12: .env files are capped in size and line length.
# ---------------------------------------------------------------------------


def test_oversized_env_files_and_lines_are_refused(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    app = emu.seed_app(make_spec("shop"))
    huge = tmp_path / "huge.env"
    with huge.open("wb") as f:  # 50 MiB, sparse: refused by its size, never read
        f.truncate(50 * 1024 * 1024)
    args = ["--app", app["id"], "--token-env", "EMU_TOKEN"]
    line = cli.error("plan", *args, "--env-file", str(huge))
    assert "huge.env" in line and "10 MiB" in line, line
    long_line = tmp_path / "long.env"
    long_line.write_text("A=1\nB=" + ECHO_CANARY + "x" * (2 * 1024 * 1024) + "\n")
    line = cli.error("plan", *args, "--env-file", str(long_line))
    assert "long.env" in line and "line 2" in line and "1 MiB" in line, line
    assert ECHO_CANARY not in "".join(cli.outputs)
    assert emu.request_count(method="PUT") == 0
