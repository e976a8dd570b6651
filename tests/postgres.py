"""A throwaway PostgreSQL cluster for the test suite: initdb and pg_ctl into a
temporary folder, a free loopback port, trust authentication, removed afterwards."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bin_dir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for folder in reversed(candidates):
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) are missing: run 'make test',"
        " which installs Debian's postgresql package"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """initdb refuses to run as root, so as root the cluster belongs to 'postgres'."""

    def __init__(self, database: str = "portal_test") -> None:
        self.bin = find_bin_dir()
        self.database = database
        self.folder = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.owner = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise PostgresUnavailable(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def start(self) -> PostgresCluster:
        if self.owner:
            try:
                user = pwd.getpwnam(self.owner)
            except KeyError as error:
                raise PostgresUnavailable("no 'postgres' user to own the test cluster") from error
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "portal",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        )
        options = f"-p {self.port} -k {self.folder} -h 127.0.0.1 -F -c max_connections=100"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "portal", self.database
        )
        return self

    def url(self, database: str | None = None) -> str:
        return f"postgresql+psycopg://portal@127.0.0.1:{self.port}/{database or self.database}"

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "portal", name)
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
