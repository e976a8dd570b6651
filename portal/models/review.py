"""Requests waiting for the support desk: one queue for every kind of review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.account import Account
from portal.models.document import Document
from portal.models.types import UTCDateTime, utcnow

PENDING = "pending"
WITHDRAWN = "withdrawn"
APPROVED = "approved"
REJECTED = "rejected"
STATUSES = (PENDING, WITHDRAWN, APPROVED, REJECTED)

# Why a request was rejected; the wording is in portal.support.queue.REASONS.
REASON_CODES = ("unreadable", "expired", "mismatch", "not_accepted", "other")


class ReviewRequest(db.Model):
    """Something a person asked the desk to look at (an identity check, a payment-password
    reset), with the documents sent for it. A reviewer holds it under a lease
    (``claimed_by`` until ``claim_expires_at``) while deciding; the decision stays after the
    files are purged."""

    __tablename__ = "review_requests"
    __table_args__ = (
        Index("ix_review_requests_status_created_at", "status", "created_at"),
        # At most one open request of a kind per account, even when two uploads race.
        Index(
            "uq_review_requests_one_pending",
            "account_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    person_note: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    document_back_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(20))
    # For the desk only; the person never sees it.
    note: Mapped[str | None] = mapped_column(Text)
    documents_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(lazy="joined")
    document: Mapped[Document | None] = relationship(foreign_keys=[document_id])
    document_back: Mapped[Document | None] = relationship(foreign_keys=[document_back_id])

    @property
    def documents(self) -> list[Document]:
        return [doc for doc in (self.document, self.document_back) if doc is not None]

    @property
    def open(self) -> bool:
        return self.status == PENDING
