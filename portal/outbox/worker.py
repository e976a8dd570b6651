"""The worker: deliver what is due, wait a moment, repeat, until asked to stop.

SIGTERM (systemd, ``kill``) and SIGINT (Ctrl-C) only raise a flag and wake the
sleep: the letter in hand is finished and marked, the rest of the batch is handed
back, and the process exits 0. Nothing is interrupted half-way through a send.
"""

from __future__ import annotations

import logging
import os
import select
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.outbox.delivery import Report, deliver_due

log = logging.getLogger("portal.outbox")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """A flag set by a signal, and a sleep that such a signal cuts short.

    The handler writes a byte to a pipe that the sleep selects on, so a signal that
    arrives just before the sleep starts still ends it at once.
    """

    def __init__(self) -> None:
        self.requested = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)

    def __call__(self) -> bool:
        return self.requested

    def handle(self, signum, frame) -> None:
        self.requested = True
        try:
            os.write(self._write, b"!")
        except BlockingIOError:
            pass

    def sleep(self, seconds: float) -> None:
        if not self.requested:
            select.select([self._read], [], [], seconds)

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    stop = StopRequest()
    previous = {signum: signal.signal(signum, stop.handle) for signum in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop.close()


def run_worker(stop: StopRequest) -> Report:
    """Deliver until ``stop``; a database outage is waited out, not fatal."""
    config = current_app.config
    poll = float(config["OUTBOX_POLL_SECONDS"])
    batch_size = config["OUTBOX_BATCH_SIZE"]
    total = Report()
    while not stop():
        try:
            report = deliver_due(stop)
        except DBAPIError as error:
            log.error("database error, trying again shortly: %s", error.orig or error)
            _rollback()
            stop.sleep(max(poll, 5.0))
            continue
        total.add(report)
        if report.sent or report.retrying or report.dead:
            log.info("%s", report)
        if report.claimed < batch_size:
            stop.sleep(poll)
    return total


def _rollback() -> None:
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.remove()
