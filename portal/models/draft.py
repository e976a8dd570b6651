from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class Draft(db.Model):
    """A wallet being opened: saved after every step, held by the browser only as ``ref``."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Step 2, as typed (kept even when invalid, so nothing is lost on Back).
    personal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    personal_done: Mapped[bool] = mapped_column(Boolean, default=False)
    # Step 3: only hashes and question keys, never a password or an answer.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    question_1: Mapped[str | None] = mapped_column(String(40))
    answer_1_hash: Mapped[str | None] = mapped_column(String(255))
    question_2: Mapped[str | None] = mapped_column(String(40))
    answer_2_hash: Mapped[str | None] = mapped_column(String(255))
    # Step 4.
    refund_to_wallet: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a step was sent with when it came back with errors (portal.unsaved).
    unsaved: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # The captcha that started it (a second click on step 1 finds the draft by it).
    captcha_id: Mapped[str | None] = mapped_column(String(43))
    # The mark of the browser that opened the wallet (sha256): only it is signed in.
    opened_by: Mapped[str | None] = mapped_column(String(64))

    last_letter_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resends: Mapped[int] = mapped_column(Integer, default=0)
    resends_day: Mapped[date | None] = mapped_column(Date)
    resends_today: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )

    @property
    def security_done(self) -> bool:
        return bool(self.password_hash and self.answer_1_hash and self.answer_2_hash)


class CaptchaChallenge(db.Model):
    """One captcha: the answer lives only here, the browser knows just the id."""

    __tablename__ = "captcha_challenges"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who asked for it (a hash of the client's address): each client holds a bounded
    # number of live challenges, so crawling step 1 cannot grow this table.
    client: Mapped[str | None] = mapped_column(String(64), index=True)
