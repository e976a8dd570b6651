"""Throwaway servers for tests that need real processes: Redis, and the portal itself
under gunicorn (as in production)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent


def worker_memory(parent_pid: int) -> list[tuple[int, dict[str, float]]]:
    """Each child process of ``parent_pid`` (a gunicorn master's workers), sorted by pid,
    with its memory from /proc in MB: VmRSS and VmHWM (status), Pss (smaps_rollup)."""
    pids = subprocess.run(
        ["pgrep", "-P", str(parent_pid)], capture_output=True, text=True
    ).stdout.split()
    found = []
    for pid in sorted(map(int, pids)):
        fields: dict[str, float] = {}
        for name in ("status", "smaps_rollup"):
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Pss"):
                    fields.setdefault(key, int(value.split()[0]) / 1024)
        found.append((pid, fields))
    return found


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: run 'make test', which installs it")
        self.folder = tempfile.mkdtemp(prefix="portal-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process)
        self.url = f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


class PortalServer:
    """``gunicorn wsgi:app`` in its own process, configured only by PORTAL_* variables."""

    def __init__(
        self,
        settings: dict[str, str],
        *,
        workers: int = 1,
        options: tuple[str, ...] = (),
        output: Path | None = None,
    ) -> None:
        """``output``: a folder that receives gunicorn's stdout.log and stderr.log."""
        self.port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
        env.update(settings)
        self.output = output
        streams = (
            (open(output / "stdout.log", "wb"), open(output / "stderr.log", "wb"))
            if output
            else (subprocess.DEVNULL, subprocess.DEVNULL)
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                *options,
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=streams[0],
            stderr=streams[1],
        )
        for stream in streams:
            if stream is not subprocess.DEVNULL:
                stream.close()
        wait_for_port(self.port, self.process)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(15)
