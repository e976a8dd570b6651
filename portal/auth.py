"""Who is signed in. The session cookie carries a random token; the server keeps only
its hash, so a sign-in gets a fresh id and sessions can be ended from the server."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Account, AuthSession
from portal.models.types import utcnow

SESSION_KEY = "auth"
# last_seen_at is written at most this often, not on every page.
SEEN_RESOLUTION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(account: Account) -> None:
    """Start a new session for ``account``: nothing from the old cookie survives."""
    session.clear()
    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=_hash(token), account_id=account.id))
    session[SESSION_KEY] = token
    session.permanent = True
    g.account = account
    g.auth_session_token = token


def _current_session() -> AuthSession | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    row = db.session.scalar(select(AuthSession).where(AuthSession.token_hash == _hash(token)))
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(seconds=current_app.config["SIGN_IN_IDLE_SECONDS"])
    if row.last_seen_at + idle < now:
        db.session.delete(row)
        db.session.commit()
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        db.session.commit()
    return row


def current_account() -> Account | None:
    if "account" not in g:
        row = _current_session() if request else None
        g.account = db.session.get(Account, row.account_id) if row else None
    return g.account


def sign_out() -> None:
    token = session.get(SESSION_KEY)
    if token:
        db.session.execute(delete(AuthSession).where(AuthSession.token_hash == _hash(token)))
        db.session.commit()
    session.clear()
    g.account = None


def end_other_sessions(account: Account) -> int:
    """Sign out every other browser of ``account`` (after a password change)."""
    token = session.get(SESSION_KEY)
    query = delete(AuthSession).where(AuthSession.account_id == account.id)
    if token:
        query = query.where(AuthSession.token_hash != _hash(token))
    return db.session.execute(query).rowcount


def end_all_sessions(account: Account) -> int:
    return db.session.execute(
        delete(AuthSession).where(AuthSession.account_id == account.id)
    ).rowcount


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_account() is None:
            return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped
