"""Checking a password, with a delay that grows after repeated failures."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal import counters, metrics
from portal.extensions import db
from portal.letters import enqueue_letter, external_url, request_letter, resolver
from portal.models import Account, Draft, SignInThrottle
from portal.models.types import utcnow
from portal.passwords import hash_secret, hasher, verify_secret

FREE_FAILURES = 3
FIRST_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 15 * 60
CONTINUE_LETTER_INTERVAL = timedelta(minutes=10)


def throttle_key(email: str) -> str:
    return hashlib.sha256(f"sign-in:{email}".encode()).hexdigest()


def wait_seconds(email: str) -> int:
    """Seconds before this address may try again (0: now).

    Holds the address's throttle row (portal.counters) until the attempt is judged and
    committed: simultaneous attempts on one address are judged one after the other."""
    row = counters.hold(SignInThrottle, key=throttle_key(email))
    if row.blocked_until is None:
        return 0
    return max(math.ceil((row.blocked_until - utcnow()).total_seconds()), 0)


def record_failure(email: str) -> None:
    row = counters.hold(SignInThrottle, key=throttle_key(email))
    row.failures += 1
    row.last_failure_at = utcnow()
    if row.failures >= FREE_FAILURES:
        delay = min(FIRST_DELAY_SECONDS * 2 ** (row.failures - FREE_FAILURES), MAX_DELAY_SECONDS)
        row.blocked_until = row.last_failure_at + timedelta(seconds=delay)
        metrics.lockout("sign_in")


def clear_failures(email: str) -> None:
    row = db.session.get(SignInThrottle, throttle_key(email))
    if row is not None:
        db.session.delete(row)


_dummy_hash: dict[tuple, str] = {}


def _equalizing_hash() -> str:
    """A hash to verify against when the address is unknown, so timing tells nothing."""
    key = (hasher().time_cost, hasher().memory_cost)
    if key not in _dummy_hash:
        _dummy_hash[key] = hash_secret("not a password anybody has")
    return _dummy_hash[key]


def authenticate(email: str, password: str) -> Account | None:
    account = db.session.scalar(select(Account).where(Account.email == email))
    if account is None:
        verify_secret(_equalizing_hash(), password)
        return None
    if not verify_secret(account.password_hash, password):
        return None
    if hasher().check_needs_rehash(account.password_hash):
        account.password_hash = hash_secret(password)
    return account


def offer_to_continue(email: str, language: str) -> None:
    """After a failed sign-in: an unfinished registration for this address may get a
    letter with a link to go on. Called before the failure's commit; the request only
    records the letter request, the same row for any address, and the worker decides
    (``continue_letter``), so an unfinished registration takes no longer than any other."""
    request_letter("continue_registration", email, language)


@resolver("continue_registration")
def continue_letter(email: str, language: str) -> None:
    """The worker's half: the newest unfinished, unexpired draft with this address gets
    the letter, at most once every CONTINUE_LETTER_INTERVAL."""
    from portal.register.drafts import confirmation_token

    draft = db.session.scalar(
        select(Draft)
        .where(Draft.email == email, Draft.completed_at.is_(None), Draft.expires_at > utcnow())
        .order_by(Draft.updated_at.desc())
        .limit(1)
    )
    if draft is None:
        return
    if (
        draft.last_letter_at is not None
        and utcnow() - draft.last_letter_at < CONTINUE_LETTER_INTERVAL
    ):
        return
    enqueue_letter(
        "continue_registration",
        email,
        draft.locale or language,
        draft=draft,
        confirm_url=external_url("register.confirm", token=confirmation_token(draft)),
        valid_hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
    )
    draft.last_letter_at = utcnow()
