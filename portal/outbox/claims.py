"""Claiming letters and writing down what became of each one.

A claim moves due rows to "sending" under a lease. While the lease runs nobody else
touches them; when it runs out (the worker died) they are due again. On PostgreSQL
the claim skips rows that another worker has locked (``FOR UPDATE SKIP LOCKED``), so
several workers share the queue without taking a row twice. SQLite has no such lock:
there, one worker at a time is enforced by locking.py.

Every later change to a claimed row is guarded by the lease's value, which doubles as
the claim's token: a worker that lost its lease cannot overwrite what another did.
``attempts`` counts claims, so a letter that kills its worker every time still ends
up dead after OUTBOX_MAX_ATTEMPTS instead of looping forever.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, case, select, update

from portal.database import is_postgresql
from portal.extensions import db
from portal.models.outbox import DEAD, QUEUED, SENDING, SENT, OutboxMessage
from portal.models.types import utcnow

LEASE_EXPIRED = "lease expired: the worker sending it stopped before it could say"
ERROR_LIMIT = 1000


@dataclass(frozen=True)
class Letter:
    """What a worker needs to send one row, read once at claim time."""

    id: int
    kind: str
    recipient: str
    locale: str
    subject: str
    body_text: str
    body_html: str
    message_id: str
    attempts: int
    created_at: datetime | None = None


LETTER_COLUMNS = [getattr(OutboxMessage, name) for name in Letter.__dataclass_fields__]


@dataclass
class Batch:
    """Letters claimed together; they share one lease until it is renewed."""

    letters: list[Letter]
    lease_until: datetime


def _locked(query):
    return query.with_for_update(skip_locked=True) if is_postgresql() else query


def _update(*where):
    return update(OutboxMessage).where(*where).execution_options(synchronize_session=False)


def claim_due(limit: int, lease_seconds: float, due_by: datetime | None = None) -> Batch:
    """Take up to ``limit`` due letters, oldest due first, and commit the claim.

    The select reads only the (status, next_attempt_at) index, so its cost does not
    grow with the number of sent rows kept.
    """
    now = utcnow()
    due = _locked(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= (due_by or now))
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    )
    ids = db.session.scalars(due).all()
    lease_until = now + timedelta(seconds=lease_seconds)
    if not ids:
        db.session.rollback()
        return Batch([], lease_until)
    rows = db.session.execute(
        _update(OutboxMessage.id.in_(ids), OutboxMessage.status == QUEUED)
        .values(status=SENDING, attempts=OutboxMessage.attempts + 1, lease_until=lease_until)
        .returning(*LETTER_COLUMNS)
    ).all()
    db.session.commit()
    order = {letter_id: index for index, letter_id in enumerate(ids)}
    letters = sorted((Letter(*row) for row in rows), key=lambda letter: order[letter.id])
    return Batch(letters, lease_until)


def reclaim_expired(max_attempts: int) -> int:
    """Put back the rows of workers that died while sending (their lease ran out)."""
    now = utcnow()
    expired = _locked(
        select(OutboxMessage.id).where(
            OutboxMessage.status == SENDING, OutboxMessage.lease_until < now
        )
    )
    ids = db.session.scalars(expired).all()
    if not ids:
        db.session.rollback()
        return 0
    count = db.session.execute(
        _update(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == SENDING,
            OutboxMessage.lease_until < now,
        ).values(
            status=case((OutboxMessage.attempts >= max_attempts, DEAD), else_=QUEUED),
            lease_until=None,
            last_error=LEASE_EXPIRED,
        )
    ).rowcount
    db.session.commit()
    return count


def renew_lease(batch: Batch, letters: list[Letter], lease_seconds: float) -> list[Letter]:
    """Extend the lease of the letters still to send; returns those still held."""
    if not letters:
        return []
    lease_until = utcnow() + timedelta(seconds=lease_seconds)
    held = set(
        db.session.scalars(
            _update(*_held(batch, letters))
            .values(lease_until=lease_until)
            .returning(OutboxMessage.id)
        ).all()
    )
    db.session.commit()
    batch.lease_until = lease_until
    return [letter for letter in letters if letter.id in held]


def release(batch: Batch, letters: list[Letter]) -> None:
    """Give back letters that were claimed but not tried; their claim does not count."""
    if not letters:
        return
    db.session.execute(
        _update(*_held(batch, letters)).values(
            status=QUEUED, attempts=OutboxMessage.attempts - 1, lease_until=None
        )
    )
    db.session.commit()


@contextmanager
def autocommit() -> Iterator[Connection]:
    """A connection on which every statement commits by itself: marking a letter sent
    is then one round trip to the database instead of three (BEGIN, UPDATE, COMMIT).

    On SQLite (WAL) these commits are not flushed to disk one by one
    (synchronous=NORMAL, for this connection only): they still survive a killed
    worker; a power cut could undo the last few, and those letters would go again,
    with their Message-ID, never be lost. PostgreSQL commits stay fully durable.
    """
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        if connection.dialect.name != "sqlite":
            yield connection
            return
        previous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        try:
            yield connection
        finally:
            connection.exec_driver_sql(f"PRAGMA synchronous={int(previous)}")


def mark_sent(connection: Connection, letter: Letter) -> None:
    """The server accepted it: say so at once (``connection`` autocommits), so that a
    crash cannot send it again.

    Not guarded by the lease: even a worker that lost its lease knows this letter
    left, and writing it down keeps a reclaimed copy from leaving twice.
    """
    connection.execute(MARK_SENT, {"letter_id": letter.id, "sent_at": utcnow()})


def _mark_sent_statement():
    # Built once: constructing the statement per letter cost more than running it.
    table = OutboxMessage.__table__
    return (
        table.update()
        .where(table.c.id == bindparam("letter_id"), table.c.status != SENT)
        .values(status=SENT, sent_at=bindparam("sent_at"), lease_until=None)
    )


MARK_SENT = _mark_sent_statement()


def record_failure(
    batch: Batch,
    letter: Letter,
    error: str,
    *,
    permanent: bool,
    max_attempts: int,
    retry_base: float,
    retry_max: float,
) -> str:
    """Dead after a permanent failure or the last attempt; otherwise due again later.

    Returns the new status. The caller commits (one commit for a failed connection).
    """
    gave_up = permanent or letter.attempts >= max_attempts
    values: dict = {"lease_until": None, "last_error": error[:ERROR_LIMIT]}
    if gave_up:
        values["status"] = DEAD
    else:
        delay = retry_delay(letter.attempts, retry_base, retry_max)
        values.update(status=QUEUED, next_attempt_at=utcnow() + timedelta(seconds=delay))
    db.session.execute(_update(*_held(batch, [letter])).values(**values))
    return values["status"]


def retry_delay(attempts: int, base: float, ceiling: float, rng=random) -> float:
    """Exponential backoff with jitter: base, 2x base, 4x base ... up to ``ceiling``.

    Half of each delay is random, so letters that failed together (a relay outage)
    do not all come back in the same second.
    """
    delay = min(ceiling, base * 2 ** min(max(attempts - 1, 0), 40))
    return delay / 2 + rng.uniform(0, delay / 2)


def requeue_dead(letter_id: int) -> bool:
    """An operator's retry: a dead letter gets a fresh set of attempts, due now."""
    count = db.session.execute(
        _update(OutboxMessage.id == letter_id, OutboxMessage.status == DEAD).values(
            status=QUEUED, attempts=0, next_attempt_at=utcnow(), lease_until=None
        )
    ).rowcount
    db.session.commit()
    return count == 1


def _held(batch: Batch, letters: list[Letter]):
    return (
        OutboxMessage.id.in_([letter.id for letter in letters]),
        OutboxMessage.status == SENDING,
        OutboxMessage.lease_until == batch.lease_until,
    )
