"""Helpers for the outbox tests: queue real letters, read rows back, move time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from portal.extensions import db
from portal.letters import enqueue_letter
from portal.models import OutboxMessage
from portal.models.outbox import SENDING
from portal.models.types import utcnow


def queue_letters(count: int, language: str = "en") -> list[int]:
    """``count`` confirmation letters, rendered by the real templates; their ids."""
    letters = [
        enqueue_letter(
            "confirm",
            f"person{number}@example.com",
            language,
            confirm_url=f"http://127.0.0.1:5000/register/confirm/token-{number}",
            valid_hours=24,
        )
        for number in range(count)
    ]
    db.session.commit()
    return [letter.id for letter in letters]


def outbox_rows() -> dict[int, OutboxMessage]:
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return {row.id: row for row in rows}


def outbox_row(letter_id: int) -> OutboxMessage:
    return outbox_rows()[letter_id]


def make_due(*letter_ids: int) -> None:
    """As if the backoff had passed (the tests never sleep through it)."""
    query = update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
    if letter_ids:
        query = query.where(OutboxMessage.id.in_(letter_ids))
    db.session.execute(query)
    db.session.commit()


def expire_leases() -> int:
    """As if OUTBOX_LEASE_SECONDS had passed for every row being sent."""
    count = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING)
        .values(lease_until=utcnow() - timedelta(seconds=1))
    ).rowcount
    db.session.commit()
    return count
