"""One worker at a time on SQLite, enforced rather than assumed.

SQLite has no ``SKIP LOCKED``: two workers could claim the same row. So every process
that delivers (``flask outbox send`` and ``flask outbox worker``) first takes an
exclusive flock on a file beside the database file. The lock belongs to the database,
not to the checkout, so a test database and the development one do not block each
other; the kernel drops it when the process dies, however it dies.
PostgreSQL needs no such lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.extensions import db


class WorkerAlreadyRunning(RuntimeError):
    """Another process delivers from this SQLite database; the message says which."""


def lock_path() -> Path | None:
    """The lock file for this app's database, or None when no lock is needed."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None  # private to this process
    if database.startswith("file:"):
        database = database[5:].split("?", 1)[0]
    path = Path(database).resolve()
    return path.with_name(path.name + ".outbox-worker.lock")


@contextmanager
def single_worker() -> Iterator[None]:
    path = lock_path()
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise WorkerAlreadyRunning(
                f"another outbox worker (pid {holder}) is already delivering from this SQLite"
                " database, and SQLite allows only one at a time: stop it first, or use"
                f" PostgreSQL to run several (lock file: {path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)
