"""Getting back in: a letter with a one-time link, then both security answers.

The answers alone never open an account: the link (proof of the mailbox) is always
needed, it expires after an hour, and it stops working once the password changes.
Five wrong answers lock recovery for an hour and tell the owner.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal import auth, counters, metrics
from portal.extensions import db
from portal.letters import enqueue_letter, external_url, request_letter, resolver
from portal.models import Account, RecoveryRequest
from portal.models.types import utcnow
from portal.passwords import hash_secret, verify_answer
from portal.register.drafts import ResendState, cooldown_state, count_resend
from portal.tokens import TokenExpired, TokenInvalid, make_token, read_token

PURPOSE = "recover"


class LinkProblem(enum.Enum):
    INVALID = "invalid"  # forged, or already used (the password changed since)
    EXPIRED = "expired"


class AnswerResult(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"


def fingerprint(account: Account) -> str:
    """Changes with the password: a link made before a reset stops working after it."""
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def request_recovery(email: str, language: str) -> None:
    """Ask for the recovery letter for ``email``; say nothing either way.

    The request only records the letter request, the same row for any address; the
    worker finds the wallet (if any) and sends the letter (``recovery_letter``). So a
    registered address costs the request no more than an unknown one. The address's
    request row (its resend cooldown) is written alike for every address."""
    row = counters.hold(RecoveryRequest, key=request_key(email))
    row.last_request_at = utcnow()
    request_letter("recover", email, language)
    db.session.commit()


def request_key(email: str) -> str:
    return hashlib.sha256(f"recover:{email}".encode()).hexdigest()


def resend_state(email: str) -> ResendState:
    """When this browser may ask again for the address's reset email (registered or not)."""
    row = db.session.get(RecoveryRequest, request_key(email))
    if row is None:
        return cooldown_state(None, 0, None, 0)
    return cooldown_state(row.last_request_at, row.resends, row.resends_day, row.resends_today)


def resend(email: str, language: str) -> tuple[bool, ResendState]:
    """Ask again, if the cooldown allows: the same growing wait and daily limit as the
    confirmation's resend, counted per address, for any address.

    The row is held (portal.counters) from before the cooldown is read until the resend
    is counted: of simultaneous resends, only those the limits allow ask for the email."""
    row = counters.hold(RecoveryRequest, key=request_key(email))
    state = cooldown_state(row.last_request_at, row.resends, row.resends_day, row.resends_today)
    if not state.allowed:
        db.session.commit()  # releases the row
        return False, state
    count_resend(row)
    request_recovery(email, language)  # sets last_request_at, commits
    return True, resend_state(email)


@resolver("recover")
def recovery_letter(email: str, language: str) -> None:
    """The worker's half: a wallet with this address, unless its recovery is locked,
    gets the letter with a one-time link, in the wallet's language."""
    account = db.session.scalar(select(Account).where(Account.email == email))
    if account is None or locked_until(account) is not None:
        return
    token = make_token(PURPOSE, {"a": account.id, "p": fingerprint(account)})
    enqueue_letter(
        "recover",
        email,
        account.locale or language,
        account=account,
        recover_url=external_url("account.recover_with_token", token=token),
        valid_minutes=current_app.config["RECOVERY_TOKEN_MAX_AGE"] // 60,
    )


def account_for_token(token: str) -> Account | LinkProblem:
    try:
        payload = read_token(PURPOSE, token, current_app.config["RECOVERY_TOKEN_MAX_AGE"])
    except TokenExpired:
        return LinkProblem.EXPIRED
    except TokenInvalid:
        return LinkProblem.INVALID
    account = db.session.get(Account, payload.get("a")) if isinstance(payload, dict) else None
    if account is None or payload.get("p") != fingerprint(account):
        return LinkProblem.INVALID
    return account


def locked_until(account: Account):
    until = account.recovery_locked_until
    return until if until is not None and until > utcnow() else None


def attempts_left(account: Account) -> int:
    return max(current_app.config["RECOVERY_MAX_FAILURES"] - account.recovery_failures, 0)


def check_answers(account: Account, answer_1: str, answer_2: str) -> AnswerResult:
    """Both answers must match; each wrong pair counts, and the fifth locks recovery.

    The account's row is held (portal.counters) from before the lock is read until the
    pair is counted: simultaneous pairs are judged one after the other."""
    account = counters.hold(Account, create=False, id=account.id)
    if locked_until(account) is not None:
        db.session.commit()  # releases the row
        return AnswerResult.LOCKED
    right_1 = verify_answer(account.answer_1_hash, answer_1)
    right_2 = verify_answer(account.answer_2_hash, answer_2)
    if right_1 and right_2:
        return AnswerResult.RIGHT
    account.recovery_failures += 1
    if account.recovery_failures >= current_app.config["RECOVERY_MAX_FAILURES"]:
        lock = timedelta(seconds=current_app.config["RECOVERY_LOCK_SECONDS"])
        account.recovery_locked_until = utcnow() + lock
        metrics.lockout("recovery")
        account.recovery_failures = 0
        enqueue_letter(
            "recovery_locked",
            account.email,
            account.locale,
            account=account,
            recover_url=external_url("account.recover"),
            locked_minutes=current_app.config["RECOVERY_LOCK_SECONDS"] // 60,
        )
        db.session.commit()
        return AnswerResult.LOCKED
    db.session.commit()
    return AnswerResult.WRONG


def reset_password(account: Account, password: str) -> None:
    """Set the new password, end every session, sign this browser in, tell the owner."""
    set_password(account, password)
    account.recovery_failures = 0
    account.recovery_locked_until = None
    auth.end_all_sessions(account)
    auth.sign_in(account)
    db.session.commit()


def set_password(account: Account, password: str) -> None:
    account.password_hash = hash_secret(password)
    account.password_changed_at = utcnow()
    enqueue_letter(
        "password_changed",
        account.email,
        account.locale,
        account=account,
        name=account.first_name,
        recover_url=external_url("account.recover"),
    )
