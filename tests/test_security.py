"""Attacks from issue 14, performed through the command line: a second local user
(uid 65534 through `setpriv`, as root in CI) planting files where the state store looks,
secrets echoed back by the API or a command source, secrets on argv, the config file
and the emulator's admin surface. Each test performs the attack and checks the defence."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from do_envsync.testing import Emulator

from .conftest import make_spec
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
