"""The payment password: set, change, check, and the lock after wrong tries.

Wrong tries are counted with the same mechanism as the sign-in throttle and the
recovery lockout (portal.counters ``hold``): the record's row is locked before the
lock and the count are read, so N simultaneous tries are counted N times and judged
one after the other. The try that reaches the limit sets the lock and queues the one
letter; the tries after it are refused unjudged; a right one clears the count.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from portal import counters
from portal.extensions import db
from portal.letters import enqueue_letter, external_url
from portal.models import Account, PaymentPassword
from portal.models.types import utcnow
from portal.passwords import hash_secret, verify_secret


class Verdict(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"
    NOT_SET = "not_set"


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    remaining: int = 0
    locked_until: datetime | None = None

    @property
    def right(self) -> bool:
        return self.verdict is Verdict.RIGHT


def record_of(account: Account) -> PaymentPassword | None:
    return db.session.get(PaymentPassword, account.id)


def is_set(record: PaymentPassword | None) -> bool:
    return record is not None and record.password_hash is not None


def locked_until(record: PaymentPassword | None) -> datetime | None:
    if record is None or record.locked_until is None or record.locked_until <= utcnow():
        return None
    return record.locked_until


def set_payment_password(account: Account, pin: str, *, letter: str) -> None:
    """Store a new payment password (its hash), end any lock and any pending reset, and
    queue ``letter`` ("payment_password_set" or "payment_password_changed")."""
    record = record_of(account) or PaymentPassword(account_id=account.id)
    record.password_hash = hash_secret(pin)
    record.set_at = utcnow()
    record.failures = 0
    record.locked_until = None
    record.reset_nonce = None
    record.reset_requested_at = None
    db.session.add(record)
    enqueue_letter(
        letter,
        account.email,
        account.locale,
        account=account,
        name=account.first_name,
        settings_url=external_url("payments.payment_password"),
    )
    db.session.commit()


def check(account: Account, pin: str) -> Check:
    """Judge ``pin`` against the payment password, counting a wrong try before the commit.

    The record's row is held (portal.counters) from before the lock is read until the
    try is counted: simultaneous tries, from any number of servers, are judged one
    after the other, each seeing the count the previous one left."""
    limit = current_app.config["PAYMENT_PASSWORD_MAX_FAILURES"]
    record = counters.hold(PaymentPassword, create=False, account_id=account.id)
    if not is_set(record):
        db.session.commit()  # releases the row
        return Check(Verdict.NOT_SET)
    if locked_until(record) is not None:
        db.session.commit()
        return Check(Verdict.LOCKED, locked_until=record.locked_until)
    if record.locked_until is not None:  # a lock that is over starts a fresh count
        record.locked_until = None
        record.failures = 0
    if verify_secret(record.password_hash, pin):
        record.failures = 0
        db.session.commit()
        return Check(Verdict.RIGHT)
    record.failures += 1
    if record.failures < limit:
        db.session.commit()
        return Check(Verdict.WRONG, remaining=limit - record.failures)
    return Check(Verdict.LOCKED, locked_until=_lock(account, record))


def _lock(account: Account, record: PaymentPassword) -> datetime:
    until = utcnow() + timedelta(seconds=current_app.config["PAYMENT_PASSWORD_LOCK_SECONDS"])
    record.locked_until = until
    enqueue_letter(
        "payment_password_locked",
        account.email,
        account.locale,
        account=account,
        name=account.first_name,
        until=until,
        forgot_url=external_url("payments.forgot"),
    )
    db.session.commit()
    return until
