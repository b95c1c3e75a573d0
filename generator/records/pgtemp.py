"""A throwaway PostgreSQL server on a loopback port, for the records tests and benchmark."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from ..errors import PolicyError


def find_bin_dir() -> Path:
    """The folder of Debian's PostgreSQL server binaries (newest version first)."""
    env = os.environ.get("POLICY_PG_BIN")
    candidates = [env] if env else sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                           key=lambda p: int(Path(p).parent.name), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").is_file():
            return Path(c)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PolicyError("PostgreSQL is not installed: apt-get install postgresql (or `make system`)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """``initdb`` + ``pg_ctl start`` in a temporary folder; ``stop()`` removes it all.

    PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user
    (which owns the data folder); as anyone else it runs as that user.
    """

    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="policy-records-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.as_postgres = os.geteuid() == 0
        self.running = False

    def _run(self, *argv: str) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in argv]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PolicyError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}{log}")
        return result

    def start(self) -> "TempPostgres":
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                "-c max_connections=200 -c fsync=on -c synchronous_commit=on")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "60", "start")
        self.running = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.running:
                self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
                self.running = False
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "TempPostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
