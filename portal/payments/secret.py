"""The payment password: set, change, check, and the lock after wrong tries.

A try is counted *before* it is judged, by one atomic ``UPDATE … RETURNING`` on the
account's row: N simultaneous tries (from any number of servers) raise the count N
times, and only those whose number is within the limit are checked against the hash at
all. The try that reaches the limit and is wrong sets the lock and queues the one
letter; a right one clears the count.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, or_, update

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
    """Judge ``pin`` against the payment password, counting the try first."""
    limit = current_app.config["PAYMENT_PASSWORD_MAX_FAILURES"]
    now = utcnow()
    lock_over = and_(PaymentPassword.locked_until.is_not(None), PaymentPassword.locked_until <= now)
    number = db.session.execute(
        update(PaymentPassword)
        .where(
            PaymentPassword.account_id == account.id,
            PaymentPassword.password_hash.is_not(None),
            or_(PaymentPassword.locked_until.is_(None), PaymentPassword.locked_until <= now),
        )
        .values(
            failures=case((lock_over, 1), else_=PaymentPassword.failures + 1),
            locked_until=case((lock_over, None), else_=PaymentPassword.locked_until),
        )
        .returning(PaymentPassword.failures)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.session.commit()
    record = record_of(account)
    if record is not None:
        db.session.refresh(record)  # the count and lock as the UPDATE left them
    if number is None:
        if not is_set(record):
            return Check(Verdict.NOT_SET)
        return Check(Verdict.LOCKED, locked_until=locked_until(record))
    if number > limit:  # tries of the same burst beyond the limit are not judged
        return Check(Verdict.LOCKED, locked_until=locked_until(record))
    if verify_secret(record.password_hash, pin):
        _set_failures(account, 0)
        return Check(Verdict.RIGHT)
    if number < limit:
        return Check(Verdict.WRONG, remaining=limit - number)
    return Check(Verdict.LOCKED, locked_until=_lock(account))


def _set_failures(account: Account, failures: int) -> None:
    db.session.execute(
        update(PaymentPassword)
        .where(PaymentPassword.account_id == account.id)
        .values(failures=failures)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _lock(account: Account) -> datetime:
    until = utcnow() + timedelta(seconds=current_app.config["PAYMENT_PASSWORD_LOCK_SECONDS"])
    db.session.execute(
        update(PaymentPassword)
        .where(PaymentPassword.account_id == account.id)
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
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
