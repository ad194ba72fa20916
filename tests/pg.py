"""A real, throwaway PostgreSQL server for the Python tests (mirrors tests/support/pg.rs).

`PgCluster.start()` runs initdb + pg_ctl on a temporary directory and a free loopback port
(as the `postgres` user when running as root: initdb and postgres refuse root), with a
random scram password, and `stop()` removes it. `DO_ENVSYNC_TEST_DATABASE_URL`, when set,
names an existing server instead (its role must be allowed to create databases). Each test
takes its own database with `fresh_database()`. There is no skip: a machine without a server
and without the URL fails with a message saying what to install.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATABASE_URL_VAR = "DO_ENVSYNC_TEST_DATABASE_URL"
BIN_DIR_VAR = "DO_ENVSYNC_PG_BIN"


def bin_dir() -> Path:
    """initdb's directory: `DO_ENVSYNC_PG_BIN`, the newest Debian one, or `pg_config --bindir`."""
    given = os.environ.get(BIN_DIR_VAR)
    if given:
        return Path(given)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    raise RuntimeError(
        "no PostgreSQL server for the tests: install the Debian package postgresql-15 "
        f"(apt-get install postgresql), set {BIN_DIR_VAR}, or set {DATABASE_URL_VAR}"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PgCluster:
    def __init__(self, admin_url: str, directory: Path | None = None, port: int | None = None):
        self.admin_url = admin_url
        self.directory = directory
        self.port = port
        self._bin = bin_dir() if directory is not None else None

    @classmethod
    def from_env_or_start(cls) -> PgCluster:
        url = os.environ.get(DATABASE_URL_VAR, "").strip()
        return cls(url) if url else cls.start()

    @classmethod
    def start(cls) -> PgCluster:
        binaries = bin_dir()
        as_postgres = os.geteuid() == 0
        directory = Path(tempfile.mkdtemp(prefix="do-envsync-pg-"))
        password = f"pgpw-{uuid.uuid4().hex}"
        pwfile = directory / "pwfile"
        pwfile.write_text(password + "\n")
        if as_postgres:
            shutil.chown(directory, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        cls._run(
            as_postgres,
            [
                str(binaries / "initdb"),
                "-D",
                str(directory / "data"),
                "-U",
                "postgres",
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
                f"--pwfile={pwfile}",
            ],
        )
        pwfile.unlink()
        last = ""
        for _ in range(5):
            port = _free_port()
            cluster = cls(
                f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres", directory, port
            )
            try:
                cluster.start_server()
                return cluster
            except RuntimeError as e:
                last = str(e)
        raise RuntimeError(f"could not start the test PostgreSQL cluster: {last}")

    @staticmethod
    def _run(as_postgres: bool, argv: list[str]) -> subprocess.CompletedProcess[str]:
        if as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        out = subprocess.run(argv, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {out.stdout}{out.stderr}")
        return out

    def start_server(self) -> None:
        assert self.directory is not None and self._bin is not None
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.directory} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            os.geteuid() == 0,
            [
                str(self._bin / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-l",
                str(self.directory / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ],
        )

    def stop_server(self) -> None:
        assert self.directory is not None and self._bin is not None
        self._run(
            os.geteuid() == 0,
            [
                str(self._bin / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )

    def stop(self) -> None:
        """Stops and removes an own cluster (an external server is left alone)."""
        if self.directory is None:
            return
        try:
            self.stop_server()
        except RuntimeError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def password(self) -> str:
        return urlsplit(self.admin_url).password or ""

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))

    def psql(self, sql: str, database_url: str | None = None) -> str:
        psql = shutil.which("psql") or str(bin_dir() / "psql")
        out = subprocess.run(
            [
                psql,
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                f"--dbname={database_url or self.admin_url}",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise RuntimeError(f"psql: {out.stderr.strip()}")
        return out.stdout.strip()

    def fresh_database(self) -> str:
        name = f"envsync_{uuid.uuid4().hex}"
        self.psql(f"CREATE DATABASE {name}")
        return self.database_url(name)

    def pg_dump(self, database_url: str) -> str:
        dump = shutil.which("pg_dump") or str(bin_dir() / "pg_dump")
        out = subprocess.run(
            [dump, "--no-owner", f"--dbname={database_url}"], capture_output=True, text=True
        )
        if out.returncode != 0:
            raise RuntimeError(f"pg_dump: {out.stderr.strip()}")
        return out.stdout
