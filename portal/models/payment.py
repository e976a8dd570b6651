"""The payment password, the shops that ask for payments, and their payment requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

PENDING, CONFIRMED, DECLINED = "pending", "confirmed", "declined"


class PaymentPassword(db.Model):
    """A wallet's six-digit payment password (only its argon2id hash) and its lock.

    ``failures`` counts wrong tries in a row in the database, so every server shares
    the count; tries are counted under the row's lock (``portal.counters.hold``)."""

    __tablename__ = "payment_passwords"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A support-approved reset: the letter's link may be used once, while this is set.
    reset_nonce: Mapped[str | None] = mapped_column(String(64))
    reset_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Shop(db.Model):
    """A shop that may ask wallets for payments. Its API key is stored as a SHA-256
    digest only (the key is 256 random bits, so a fast digest is enough to look it up)."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payment(db.Model):
    """A shop's request to be paid by a wallet, confirmed at most once."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("shop_id", "order_reference"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    # In the currency's minor unit (cents), so no float ever touches money.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200))
    order_reference: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shop: Mapped[Shop] = relationship(lazy="joined")
