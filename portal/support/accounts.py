"""Staff accounts: added and removed from the command line, enrolled through a one-time
setup link (password + TOTP), checked at sign-in."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Staff
from portal.models.types import utcnow
from portal.passwords import hash_secret, hasher, verify_secret
from portal.support import audit, totp
from portal.support import staff as sessions

MIN_PASSWORD_LENGTH = 12


_dummy_hash: dict[tuple, str] = {}


def _equalizing_hash() -> str:
    """A hash to check when the address is not on the desk, so timing tells nothing."""
    key = (hasher().time_cost, hasher().memory_cost)
    if key not in _dummy_hash:
        _dummy_hash[key] = hash_secret("not a password any staff member has")
    return _dummy_hash[key]


class StaffError(ValueError):
    """A command-line request that cannot be done; the message says why."""


def _hash(token: str) -> str:
    return hashlib.sha256(f"support-setup:{token}".encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find(email: str) -> Staff | None:
    return db.session.scalar(select(Staff).where(Staff.email == normalize_email(email)))


def add_staff(email: str) -> tuple[Staff, str]:
    """Create (or re-invite, when never enrolled or removed) a staff member; returns the
    row and the one-time setup token. The token is only stored hashed."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise StaffError(f"not an e-mail address: {email!r}")
    staff = find(email)
    if staff is not None and staff.active and staff.enrolled:
        raise StaffError(f"{email} is already on the desk")
    if staff is None:
        staff = Staff(email=email)
        db.session.add(staff)
    staff.removed_at = None
    staff.password_hash = None
    staff.totp_secret = totp.seal(totp.new_secret())
    staff.totp_confirmed_at = None
    staff.last_totp_step = None
    token = secrets.token_urlsafe(32)
    staff.setup_token_hash = _hash(token)
    staff.setup_expires_at = utcnow() + timedelta(
        seconds=current_app.config["SUPPORT_SETUP_MAX_AGE"]
    )
    db.session.flush()
    audit.record(audit.STAFF_ADDED, staff=None, target=email, detail={"via": "command line"})
    db.session.commit()
    return staff, token


def remove_staff(email: str) -> int:
    """Take someone off the desk: their sessions end now. Returns how many ended."""
    staff = find(email)
    if staff is None or not staff.active:
        raise StaffError(f"{normalize_email(email)} is not on the desk")
    staff.removed_at = utcnow()
    staff.setup_token_hash = None
    ended = sessions.end_sessions(staff)
    audit.record(
        audit.STAFF_REMOVED,
        staff=None,
        target=staff.email,
        detail={"via": "command line", "sessions_ended": ended},
    )
    db.session.commit()
    return ended


def by_setup_token(token: str) -> Staff | None:
    """The staff member this setup link is for, while it is valid and unused."""
    if not token or len(token) > 100:
        return None
    staff = db.session.scalar(select(Staff).where(Staff.setup_token_hash == _hash(token)))
    if staff is None or not staff.active or staff.setup_expires_at is None:
        return None
    if staff.setup_expires_at < utcnow():
        return None
    return staff


def complete_setup(staff: Staff, password: str, code: str) -> bool:
    """Set the password and confirm the authenticator with its first code. False (and
    nothing changed) when the code is not right; the link then stays usable."""
    if not totp.accept_code(staff, code):
        return False
    used = db.session.execute(
        update(Staff)
        .where(Staff.id == staff.id, Staff.setup_token_hash == staff.setup_token_hash)
        .values(setup_token_hash=None, setup_expires_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not used:  # another request finished the setup first
        return False
    staff.setup_token_hash = None
    staff.setup_expires_at = None
    staff.password_hash = hash_secret(password)
    staff.totp_confirmed_at = utcnow()
    audit.record(audit.SETUP_COMPLETED, staff=staff)
    return True


def authenticate(email: str, password: str, code: str) -> Staff | None:
    """The staff member when all three hold, else None, with the same work done either
    way (an unknown address costs a hash check too)."""
    staff = find(email)
    if staff is None or not staff.active or not staff.enrolled:
        verify_secret(_equalizing_hash(), password)
        return None
    if not verify_secret(staff.password_hash, password):
        return None
    if not totp.accept_code(staff, code):
        return None
    if hasher().check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_secret(password)
    return staff
