"""A throwaway PostgreSQL server for the tests: initdb in a temporary directory, a free port, stopped afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

BIN_DIRS = (os.environ.get("AICOST_TEST_PG_BIN", ""), "/usr/lib/postgresql/15/bin")
SUPERUSER = "aicost"
MISSING = ("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in {dirs}: install them with "
           "`apt-get install -y postgresql-15` (.ci/run does), or point AICOST_TEST_PG_BIN at their folder")


class PostgresMissing(RuntimeError):
    pass


def bin_dir() -> Path:
    for folder in BIN_DIRS:
        if folder and all((Path(folder) / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    raise PostgresMissing(MISSING.format(dirs=", ".join(d for d in BIN_DIRS if d)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """initdb + pg_ctl start as a non-root user (PostgreSQL refuses to run as root); trust auth on 127.0.0.1."""

    def __init__(self):
        self.bin = bin_dir()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="aicost-pg-"))
        self.data = self.root / "data"
        self.user = None
        if os.geteuid() == 0:
            self.user = _system_user()
            shutil.chown(self.root, self.user)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
        return out

    def start(self) -> PostgresServer:
        self._run(self.bin / "initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        # durability off: a test server is thrown away, and fsync would dominate the run time
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-o", options, "-w",
                  "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _system_user() -> str:
    """A non-root account to run the server as: Debian's postgres, else a system user we create once."""
    for name in ("postgres", "aicost-pg"):
        if subprocess.run(["id", "-u", name], capture_output=True).returncode == 0:
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "aicost-pg"],
                   check=True, capture_output=True)
    return "aicost-pg"
