"""``flask outbox worker`` as a real process, pointed at the test database and the
test SMTP server through PORTAL_* variables, as an operator would run it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    def __init__(self, log: Path, database_url: str, smtp_port: int | None, **settings) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PORTAL_", "FLASK_"))
        }
        env.update(
            FLASK_APP="portal",
            PORTAL_CONFIG="testing",
            PORTAL_SQLALCHEMY_DATABASE_URI=database_url,
            PORTAL_MAIL_SERVER="127.0.0.1" if smtp_port else "",
            PORTAL_MAIL_PORT=str(smtp_port or 25),
            PORTAL_OUTBOX_POLL_SECONDS="0.05",
        )
        env.update({f"PORTAL_{key}": str(value) for key, value in settings.items()})
        self.log = log
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "outbox", "worker"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_started(self, timeout: float = 20.0) -> WorkerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "worker started" in self.output():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"the worker did not start:\n{self.output()}")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 20.0) -> int:
        return self.process.wait(timeout)

    def stop(self) -> int:
        self.signal(signal.SIGTERM)
        return self.wait()

    def sent_count(self) -> int:
        """How many letters it says it sent, from its last words."""
        match = re.search(r"worker stopped: sent (\d+)", self.output())
        assert match, f"no final report:\n{self.output()}"
        return int(match.group(1))


@pytest.fixture(name="start_worker")
def start_worker_fixture(tmp_path):
    """Start workers; any still running at the end of the test is killed."""
    workers: list[WorkerProcess] = []

    def start(database_url: str, smtp_port: int | None = None, **settings) -> WorkerProcess:
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        worker = WorkerProcess(log, database_url, smtp_port, **settings)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()
