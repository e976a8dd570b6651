"""/dev/mail: the outbox as a mailbox, so a newcomer can finish the journey with no
SMTP server. Exists only with DEV_MAILBOX on (development); 404 otherwise."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from portal.extensions import db
from portal.letters import delivery_state, resolve_requests
from portal.models import OutboxMessage

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")
PAGE_SIZE = 100
# Outbox ids are INTEGER columns: a larger number names no letter (404, not a database error).
LETTER = "<int(max=2147483647):letter_id>"


@bp.before_request
def only_with_dev_mailbox():
    if not current_app.config.get("DEV_MAILBOX"):
        abort(404)


@bp.get("")
def inbox():
    # What the worker would do first: letters requested (recovery, a failed sign-in) are
    # decided and queued, so the mailbox shows them even with no worker running.
    resolve_requests()
    letters = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)
    ).all()
    return render_template("devmail/inbox.html", letters=letters, delivery_state=delivery_state)


@bp.get(f"/{LETTER}")
def letter(letter_id: int):
    message = db.session.get(OutboxMessage, letter_id) or abort(404)
    return render_template("devmail/letter.html", letter=message, delivery=delivery_state(message))


@bp.get(f"/{LETTER}/html")
def letter_html(letter_id: int):
    """The HTML part as the recipient's mail program would show it (inline styles)."""
    message = db.session.get(OutboxMessage, letter_id) or abort(404)
    response = current_app.response_class(message.body_html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    )
    return response
