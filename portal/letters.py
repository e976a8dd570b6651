"""Letters are rows in the outbox, rendered in the recipient's language when queued,
in the same transaction as the change that caused them. Delivery is the worker's job.

A request whose answer must not tell whether an address has a wallet (recovery, a
failed sign-in) does not look the address up at all: it records a letter request
(``request_letter``), the same row for any address, and the worker resolves it
(``resolve_requests``): the kind's resolver, registered with ``@resolver(kind)``,
decides whether a letter goes and queues it. So both paths cost the same INSERT."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.utils import make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal.database import is_postgresql
from portal.extensions import db
from portal.i18n import in_language
from portal.models import Account, Draft, LetterRequest, OutboxMessage
from portal.models.outbox import DEAD, SENT
from portal.moments import letter_zone

log = logging.getLogger("portal.letters")

SUBJECTS = {
    "confirm": _l("Confirm your email address to open your wallet"),
    "reminder": _l("Your wallet is waiting: confirm your email address"),
    "already_registered": _l("You already have a wallet"),
    "continue_registration": _l("Continue opening your wallet"),
    "welcome": _l("Your wallet is open"),
    "recover": _l("Reset your password"),
    "recovery_locked": _l("Resetting your password is locked for now"),
    "password_changed": _l("Your wallet password was changed"),
    "questions_changed": _l("Your security questions were changed"),
    "verification_approved": _l("Your identity is verified"),
    "verification_rejected": _l("We could not verify your identity"),
    "payment_password_set": _l("A payment password was set for your wallet"),
    "payment_password_changed": _l("Your payment password was changed"),
    "payment_password_locked": _l("Your payment password is locked for now"),
    "payment_reset_approved": _l("Choose a new payment password"),
    "payment_reset_rejected": _l("We could not reset your payment password"),
}


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a letter, on BASE_URL, built with or without a request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def sender(language: str) -> tuple[str, str]:
    """The letters' sender as the inbox shows it: the display name in the recipient's
    language (``MAIL_SENDER_NAMES``), the address of ``MAIL_DEFAULT_SENDER`` (whose own
    name serves a language without one)."""
    config = current_app.config
    default_name, address = parseaddr(str(config["MAIL_DEFAULT_SENDER"]))
    names = config.get("MAIL_SENDER_NAMES") or {}
    name = names.get(language) or names.get(language.split("-")[0]) or default_name
    return str(name), address


def message_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def enqueue_letter(
    kind: str,
    recipient: str,
    language: str,
    *,
    draft: Draft | None = None,
    account: Account | None = None,
    **context,
) -> OutboxMessage:
    """Render letter ``kind`` (templates email/<kind>.txt and .html) and queue it."""
    message = render_letter(kind, recipient, language, **context)
    if (draft is not None and draft.id is None) or (account is not None and account.id is None):
        db.session.flush()
    message.draft_id = draft.id if draft is not None else None
    message.account_id = account.id if account is not None else None
    db.session.add(message)
    return message


def render_letter(kind: str, recipient: str, language: str, **context) -> OutboxMessage:
    """The letter as a row not yet queued."""
    with in_language(language), letter_zone():
        subject = str(SUBJECTS[kind])
        context.update(
            subject=subject,
            language=language,
            support_email=current_app.config["SUPPORT_EMAIL"],
            home_url=external_url("main.index"),
            help_url=external_url("main.help_email"),
        )
        text = render_template(f"email/{kind}.txt", **context)
        html = render_template(f"email/{kind}.html", **context)
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        locale=language,
        subject=subject,
        body_text=text,
        body_html=html,
        message_id=make_msgid(domain=message_domain()),
    )
    return message


RESOLVERS: dict[str, Callable[[str, str], None]] = {}


def resolver(kind: str):
    """Register ``function(email, language)``: queues the letter ``kind`` for ``email``
    if one is due (with ``enqueue_letter``), or does nothing."""

    def register(function):
        RESOLVERS[kind] = function
        return function

    return register


def request_letter(kind: str, email: str, language: str) -> None:
    """Record that letter ``kind`` may be due for ``email``; the caller commits."""
    if kind not in RESOLVERS:
        raise KeyError(f"no resolver for letter requests of kind {kind!r}")
    db.session.add(LetterRequest(kind=kind, email=email, locale=language))


def resolve_requests(limit: int = 100) -> int:
    """Resolve up to ``limit`` letter requests, oldest first, and commit; returns how
    many were taken.

    Each request is taken by deleting its row: of several workers (or a worker and
    ``flask outbox send``) reading the same request, only the one whose DELETE removed
    it resolves it, on SQLite as on PostgreSQL (where rows another worker holds are
    skipped). The letters it queues commit with the deletion, or neither does."""
    pending = select(
        LetterRequest.id, LetterRequest.kind, LetterRequest.email, LetterRequest.locale
    )
    pending = pending.order_by(LetterRequest.id).limit(limit)
    if is_postgresql():
        pending = pending.with_for_update(skip_locked=True)
    taken = 0
    for request_id, kind, email, language in db.session.execute(pending).all():
        gone = db.session.execute(delete(LetterRequest).where(LetterRequest.id == request_id))
        if gone.rowcount != 1:
            continue
        taken += 1
        try:
            with db.session.begin_nested():  # a resolver that fails undoes only its own work
                RESOLVERS[kind](email, language)
        except Exception:
            # Dropped, not retried: a request that fails every time would otherwise stop
            # every request after it. The address stays out of the log.
            log.exception("letter request #%d (%s) could not be resolved", request_id, kind)
    db.session.commit()
    return taken


def latest_letter(draft: Draft) -> OutboxMessage | None:
    return db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.draft_id == draft.id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


def delivery_state(message: OutboxMessage | None) -> str:
    """What the person is told: "queued", "sent", or "trouble" after a failed attempt."""
    if message is None:
        return "queued"
    if message.status == SENT:
        return "sent"
    if message.status == DEAD or message.attempts > 0 and message.last_error:
        return "trouble"
    return "queued"
