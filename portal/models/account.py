from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class Account(db.Model):
    """An open wallet and the person who owns it."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # Only citizenships whose documents print one (portal.document_kinds).
    patronymic: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Wallets opened before step 2 asked for it have none.
    birth_date: Mapped[date | None] = mapped_column(Date)
    citizenship: Mapped[str] = mapped_column(String(2))
    document_type: Mapped[str] = mapped_column(String(20))
    # The country that issued the document: the citizenship's, except for a driving
    # licence passed elsewhere. Empty for wallets opened before it was asked.
    document_country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    document_number: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(20))
    question_1: Mapped[str] = mapped_column(String(40))
    answer_1_hash: Mapped[str] = mapped_column(String(255))
    question_2: Mapped[str] = mapped_column(String(40))
    answer_2_hash: Mapped[str] = mapped_column(String(255))
    refund_to_wallet: Mapped[bool] = mapped_column(Boolean, default=False)
    # The consent to the processing of personal data given on step 4: when, and to which
    # version of the privacy notice (PRIVACY_NOTICE_VERSION). Wallets opened before step 4
    # asked for it have none.
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    privacy_notice_version: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    verification_status: Mapped[str] = mapped_column(String(20), default="unverified")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recovery_failures: Mapped[int] = mapped_column(Integer, default=0)
    recovery_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.patronymic, self.last_name) if part)

    @property
    def document_issuer(self) -> str:
        return self.document_country or self.citizenship


class AuthSession(db.Model):
    """A signed-in browser. The cookie holds a random token; only its hash is stored,
    so ending sessions (sign-out, password change) is a row delete."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInThrottle(db.Model):
    """Failed sign-ins per address (hashed), whether or not the address has a wallet,
    so the growing delay reveals nothing about who is registered."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryRequest(db.Model):
    """Requests of a password-reset email per address (hashed), whether or not the
    address has a wallet: the resend cooldown reveals nothing about who is registered."""

    __tablename__ = "recovery_requests"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    resends: Mapped[int] = mapped_column(Integer, default=0)
    last_request_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resends_day: Mapped[date | None] = mapped_column(Date)
    resends_today: Mapped[int] = mapped_column(Integer, default=0)
