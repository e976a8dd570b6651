"""One round of delivery: claim a batch, send it over one connection, and write down
what became of each letter the moment it is known.

Each letter is marked sent in its own commit as soon as the server accepts it, so a
worker killed mid-batch can send at most the one letter in its hands twice (with the
same Message-ID); the rest of its batch comes back when the lease runs out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Connection

from portal import letters, metrics
from portal.extensions import db
from portal.models.outbox import DEAD
from portal.models.types import utcnow
from portal.outbox import claims
from portal.outbox.claims import Batch, Letter
from portal.outbox.transport import ConnectFailed, DeliveryFailed, open_transport

log = logging.getLogger("portal.outbox")


@dataclass
class Report:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    released: int = 0
    reclaimed: int = 0

    def add(self, other: Report) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, will retry {self.retrying}, dead {self.dead},"
            f" handed back {self.released}, reclaimed {self.reclaimed}"
        )


def never() -> bool:
    return False


def deliver_due(stop: Callable[[], bool] = never, due_by: datetime | None = None) -> Report:
    """Resolve letter requests, reclaim expired leases, then claim and deliver one batch
    of due letters."""
    config = current_app.config
    letters.resolve_requests(config["OUTBOX_BATCH_SIZE"])
    report = Report(reclaimed=claims.reclaim_expired(config["OUTBOX_MAX_ATTEMPTS"]))
    if report.reclaimed:
        log.warning("reclaimed %d letter(s) whose worker stopped mid-send", report.reclaimed)
    batch = claims.claim_due(config["OUTBOX_BATCH_SIZE"], config["OUTBOX_LEASE_SECONDS"], due_by)
    report.claimed = len(batch.letters)
    if batch.letters:
        transport = open_transport(current_app)
        try:
            with claims.autocommit() as marker:
                send_batch(batch, transport, marker, report, stop)
        finally:
            transport.close()
    return report


def deliver_all_due(stop: Callable[[], bool] = never) -> Report:
    """What ``flask outbox send`` does: batches until nothing that was due is left.

    Letters that fail now are due again only later, so this always ends. Letter
    requests made before it began are resolved first, so their letters are due too.
    """
    batch_size = current_app.config["OUTBOX_BATCH_SIZE"]
    while not stop() and letters.resolve_requests(batch_size) == batch_size:
        pass
    started = utcnow()
    total = Report()
    while not stop():
        report = deliver_due(stop, due_by=started)
        total.add(report)
        if report.claimed == 0:
            break
    return total


def send_batch(
    batch: Batch, transport, marker: Connection, report: Report, stop: Callable[[], bool]
) -> None:
    config = current_app.config
    lease_seconds = config["OUTBOX_LEASE_SECONDS"]
    pending = list(batch.letters)
    while pending:
        if stop():
            claims.release(batch, pending)
            report.released += len(pending)
            return
        if (batch.lease_until - utcnow()).total_seconds() < lease_seconds / 2:
            pending = claims.renew_lease(batch, pending, lease_seconds)
            if not pending:
                return
        letter = pending.pop(0)
        began = time.perf_counter()
        try:
            transport.send(letter)
        except ConnectFailed as failure:
            # Nothing can leave without a connection: the whole rest of the batch had
            # its attempt, and waits for the next one.
            record_failures(batch, [letter, *pending], failure, report)
            return
        except DeliveryFailed as failure:
            record_failures(batch, [letter], failure, report)
            continue
        claims.mark_sent(marker, letter)
        report.sent += 1
        metrics.letter_sent(time.perf_counter() - began, letter.created_at)


def record_failures(
    batch: Batch, letters: list[Letter], failure: DeliveryFailed, report: Report
) -> None:
    config = current_app.config
    for letter in letters:
        status = claims.record_failure(
            batch,
            letter,
            failure.reason,
            permanent=failure.permanent,
            max_attempts=config["OUTBOX_MAX_ATTEMPTS"],
            retry_base=config["OUTBOX_RETRY_BASE_SECONDS"],
            retry_max=config["OUTBOX_RETRY_MAX_SECONDS"],
        )
        metrics.letter_failed("dead" if status == DEAD else "retry")
        if status == DEAD:
            report.dead += 1
            log.error(
                "letter #%d (%s) is dead after attempt %d: %s",
                letter.id,
                letter.kind,
                letter.attempts,
                failure.reason,
            )
        else:
            report.retrying += 1
            log.warning(
                "letter #%d (%s) failed, attempt %d, will retry: %s",
                letter.id,
                letter.kind,
                letter.attempts,
                failure.reason,
            )
    db.session.commit()
