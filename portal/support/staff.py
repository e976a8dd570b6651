"""Who is signed in at the desk. Staff sessions are apart from wallet sessions: their own
cookie (path /support), their own table, an idle expiry of SUPPORT_IDLE_SECONDS."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, redirect, request, url_for
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Staff, StaffSession
from portal.models.types import utcnow
from portal.security import is_safe_next

COOKIE = "support_session"
COOKIE_PATH = "/support"
SEEN_RESOLUTION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _current_session() -> StaffSession | None:
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None:
        return None
    now = utcnow()
    if row.last_seen_at + timedelta(seconds=current_app.config["SUPPORT_IDLE_SECONDS"]) < now:
        db.session.delete(row)
        db.session.commit()
        g.staff_cookie = ""
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        db.session.commit()
    return row


def current_staff() -> Staff | None:
    """The staff member signed in at the desk in this browser, or None."""
    if "staff" not in g:
        staff = None
        if request and request.path.startswith(COOKIE_PATH):
            row = _current_session()
            staff = db.session.get(Staff, row.staff_id) if row else None
            if staff is not None and not staff.active:
                staff = None
        g.staff = staff
    return g.staff


def sign_in(staff: Staff) -> None:
    """A fresh session for ``staff``; the old desk cookie of this browser, if any, ends."""
    old = request.cookies.get(COOKIE)
    if old:
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(old)))
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_hash(token), staff_id=staff.id))
    g.staff = staff
    g.staff_cookie = token


def sign_out() -> None:
    token = request.cookies.get(COOKIE)
    if token:
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))
    g.staff = None
    g.staff_cookie = ""


def end_sessions(staff: Staff) -> int:
    return db.session.execute(
        delete(StaffSession).where(StaffSession.staff_id == staff.id)
    ).rowcount


def write_cookie(response):
    """Set or clear the desk cookie decided during the request (blueprint after_request)."""
    token = g.get("staff_cookie")
    if token is None:
        return response
    if token:
        response.set_cookie(
            COOKIE,
            token,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    else:
        response.delete_cookie(
            COOKIE,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Strict",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def safe_desk_path(target: str | None) -> str | None:
    """``target`` if it is a page of the desk, else None (no way out of /support)."""
    if not is_safe_next(target):
        return None
    path = target.split("?", 1)[0].split("#", 1)[0]
    if path != COOKIE_PATH and not path.startswith(COOKIE_PATH + "/"):
        return None
    if any(part in ("..", ".") for part in path.split("/")) or "%" in path:
        return None
    return target


def staff_required(view):
    """Desk pages only for signed-in staff; others go to the desk's sign-in, and back."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_staff() is None:
            target = safe_desk_path(request.full_path.rstrip("?"))
            return redirect(url_for("support.login", next=target))
        return view(*args, **kwargs)

    return wrapped
