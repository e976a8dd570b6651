"""Shops, their API keys, and the payments they ask wallets for.

A payment is asked once per (shop, order reference): asking again returns the same
payment. It is confirmed or declined at most once, by one conditional UPDATE, and
cannot be confirmed after it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.formkit import lookup_email
from portal.letters import external_url
from portal.models import Account, Payment, Shop
from portal.models.payment import CONFIRMED, DECLINED, PENDING
from portal.models.types import utcnow

EXPIRED = "expired"
KEY_PREFIX = "shop_"
MAX_AMOUNT = Decimal("1000000")  # per payment, in the currency's major unit
# ISO 4217 codes that are not money one pays a shop with (funds, metals, testing, none).
NOT_MONEY = {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA"}
NOT_MONEY |= {"XXX", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"}


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_shop(name: str) -> tuple[Shop, str]:
    """A new shop and its API key, shown once: only its digest is kept."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    shop = Shop(name=name.strip(), key_hash=_digest(key))
    db.session.add(shop)
    db.session.commit()
    return shop, key


def shop_for_key(key: str | None) -> Shop | None:
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    return db.session.scalar(select(Shop).where(Shop.key_hash == _digest(key)))


class Refused(Exception):
    """A request the API refuses, naming the field: ``{"error": …, "field": …}``."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


@dataclass(frozen=True)
class Asked:
    account: Account
    amount_minor: int
    currency: str
    description: str
    order_reference: str


def currencies() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if code not in NOT_MONEY)


def _text(body: dict, name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        raise Refused(name, f"{name} is required")
    if not isinstance(value, str):
        raise Refused(name, f"{name} must be a string")
    value = " ".join(value.split())
    if not value:
        raise Refused(name, f"{name} must not be empty")
    if len(value) > limit or any(ord(char) < 32 for char in value):
        raise Refused(name, f"{name} must be at most {limit} printable characters")
    return value


def parse(body) -> Asked:
    """Check a shop's JSON body field by field; the first wrong field is named."""
    if not isinstance(body, dict):
        raise Refused(None, "the body must be a JSON object", 400)
    currency = _text(body, "currency", 3)
    if currency not in currencies():
        raise Refused("currency", "currency must be an ISO 4217 code such as EUR or RUB")
    amount = body.get("amount")
    if not isinstance(amount, str):
        raise Refused("amount", 'amount must be a decimal string such as "12.50"')
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise Refused("amount", 'amount must be a decimal string such as "12.50"') from None
    digits = get_currency_precision(currency)
    if not value.is_finite() or value <= 0:
        raise Refused("amount", "amount must be more than zero")
    if value > MAX_AMOUNT:
        raise Refused("amount", f"amount must be at most {MAX_AMOUNT}")
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        raise Refused("amount", f"amount has at most {digits} decimal places in {currency}")
    description = _text(body, "description", 200)
    order_reference = _text(body, "order_reference", 100)
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        raise Refused("email", "email of the wallet is required")
    account = db.session.scalar(select(Account).where(Account.email == lookup_email(email)))
    if account is None:
        raise Refused("email", "no wallet has this e-mail address", 404)
    return Asked(account, int(value.scaleb(digits)), currency, description, order_reference)


def ask(shop: Shop, asked: Asked) -> tuple[Payment, bool]:
    """The payment for this order reference: new (True), or the one asked before."""
    existing = _by_reference(shop, asked.order_reference)
    if existing is None:
        payment = Payment(
            id=secrets.token_urlsafe(16),
            shop_id=shop.id,
            account_id=asked.account.id,
            amount_minor=asked.amount_minor,
            currency=asked.currency,
            description=asked.description,
            order_reference=asked.order_reference,
            expires_at=utcnow()
            + timedelta(seconds=current_app.config["PAYMENT_REQUEST_TTL_SECONDS"]),
        )
        db.session.add(payment)
        try:
            db.session.commit()
            return payment, True
        except IntegrityError:  # the same reference, asked at the same moment
            db.session.rollback()
            existing = _by_reference(shop, asked.order_reference)
    same = (
        existing.account_id == asked.account.id
        and existing.amount_minor == asked.amount_minor
        and existing.currency == asked.currency
    )
    if not same:
        raise Refused(
            "order_reference",
            "order_reference was already used for a different payment",
            409,
        )
    return existing, False


def _by_reference(shop: Shop, reference: str) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.shop_id == shop.id, Payment.order_reference == reference)
    )


def amount(payment: Payment) -> Decimal:
    return Decimal(payment.amount_minor).scaleb(-get_currency_precision(payment.currency))


def state(payment: Payment) -> str:
    if payment.status == PENDING and payment.expires_at <= utcnow():
        return EXPIRED
    return payment.status


def as_json(payment: Payment) -> dict:
    return {
        "id": payment.id,
        "status": state(payment),
        "amount": str(amount(payment)),
        "currency": payment.currency,
        "description": payment.description,
        "order_reference": payment.order_reference,
        "confirmation_url": external_url("payments.pay", payment_id=payment.id),
        "created_at": payment.created_at.isoformat(),
        "expires_at": payment.expires_at.isoformat(),
        "decided_at": payment.decided_at.isoformat() if payment.decided_at else None,
    }


def decide(payment: Payment, status: str) -> bool:
    """Confirm or decline a pending, unexpired payment: True for the one request that did."""
    now = utcnow()
    done = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == PENDING, Payment.expires_at > now)
        .values(status=status, decided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(payment)
    return done == 1


def confirm(payment: Payment) -> bool:
    return decide(payment, CONFIRMED)


def decline(payment: Payment) -> bool:
    return decide(payment, DECLINED)
