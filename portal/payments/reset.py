"""A forgotten payment password, reset through the support desk.

The person sends a document; the request joins the desk's queue as its own kind
(``payment_reset``). On approval a letter brings a signed link that works once, for
``PAYMENT_RESET_MAX_AGE`` (24 h): it carries a random nonce that is kept with the
payment password and erased as soon as a new one is set. On rejection, a letter with
the reason. The desk's audit trail records each step (``portal.support.queue``).
"""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.documents import CheckedFile, discard, store
from portal.extensions import db
from portal.letters import enqueue_letter, external_url
from portal.models import Account, PaymentPassword, Staff
from portal.models.review import APPROVED, ReviewRequest
from portal.models.types import utcnow
from portal.support import queue
from portal.tokens import TokenExpired, TokenInvalid, make_token, read_token

KIND = "payment_reset"
PURPOSE = "payment-password-reset"


def pending(account: Account) -> ReviewRequest | None:
    return queue.pending_for(account, KIND)


def submit(account: Account, checked: CheckedFile, note: str | None) -> ReviewRequest:
    document = store(checked, account_id=account.id, kind="document")
    try:
        return queue.open_request(account, KIND, [document], person_note=note)
    except queue.AlreadyPending:
        discard(document)
        raise


def _record(account: Account) -> PaymentPassword:
    record = db.session.get(PaymentPassword, account.id)
    if record is None:
        record = PaymentPassword(account_id=account.id, failures=0)
        db.session.add(record)
    return record


def _opened(request: ReviewRequest) -> None:
    _record(request.account).reset_requested_at = utcnow()


def _withdrawn(request: ReviewRequest) -> None:
    _record(request.account).reset_requested_at = None


def _decided(request: ReviewRequest, staff: Staff) -> None:
    account = request.account
    record = _record(account)
    record.reset_requested_at = None
    context = {"name": account.first_name, "account": account}
    if request.status == APPROVED:
        record.reset_nonce = secrets.token_urlsafe(24)
        token = make_token(PURPOSE, {"account": account.id, "nonce": record.reset_nonce})
        hours = current_app.config["PAYMENT_RESET_MAX_AGE"] // 3600
        enqueue_letter(
            "payment_reset_approved",
            account.email,
            account.locale,
            reset_url=external_url("payments.reset", token=token),
            hours=hours,
            **context,
        )
    else:
        enqueue_letter(
            "payment_reset_rejected",
            account.email,
            account.locale,
            reason=request.reason,
            forgot_url=external_url("payments.forgot"),
            **context,
        )
    db.session.flush()


def account_for_token(token: str, account: Account) -> bool:
    """True when ``token`` is a live, unused reset link of ``account``."""
    try:
        payload = read_token(PURPOSE, token, current_app.config["PAYMENT_RESET_MAX_AGE"])
    except (TokenExpired, TokenInvalid):
        return False
    if not isinstance(payload, dict) or payload.get("account") != account.id:
        return False
    record = db.session.get(PaymentPassword, account.id)
    nonce = payload.get("nonce")
    return bool(
        record is not None
        and record.reset_nonce
        and isinstance(nonce, str)
        and secrets.compare_digest(record.reset_nonce, nonce)
    )


def register() -> None:
    queue.register_kind(
        KIND,
        _l("Payment password reset"),
        _decided,
        on_open=_opened,
        on_withdraw=_withdrawn,
    )
