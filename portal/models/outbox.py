from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
DEAD = "dead"
STATUSES = (QUEUED, SENDING, SENT, DEAD)


class OutboxMessage(db.Model):
    """A letter, rendered when it was queued, waiting for (or done with) delivery."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The worker's claim reads only this index, however many sent rows are kept.
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("drafts.id", ondelete="SET NULL"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LetterRequest(db.Model):
    """A letter that may be due, recorded by a request that must not tell, by the time
    it takes, whether the address has a wallet: the request writes this row whatever
    the address, and the worker decides (portal.letters.resolve_requests) whether a
    letter goes, renders it and queues it in the outbox."""

    __tablename__ = "letter_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # As typed (no length limit): a longer address can have no wallet, and cutting it
    # could make it one that has.
    email: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
