"""The desk's append-only audit trail: who did what, to what, when."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEntry, Staff

# The actions this module's callers record (the queue adds its own).
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_OUT = "sign_out"
SETUP_COMPLETED = "setup_completed"
STAFF_ADDED = "staff_added"
STAFF_REMOVED = "staff_removed"

# How /support/audit names each action, in the reader's language; other modules add theirs
# (``audit.LABELS[CLAIM] = _l("Claimed a request")``). The trail itself keeps the code.
LABELS = {
    SIGN_IN: _l("Signed in"),
    SIGN_IN_FAILED: _l("Failed sign-in"),
    SIGN_OUT: _l("Signed out"),
    SETUP_COMPLETED: _l("Finished setting up"),
    STAFF_ADDED: _l("Staff member added"),
    STAFF_REMOVED: _l("Staff member removed"),
}


def record(
    action: str,
    *,
    staff: Staff | None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the session; it is written with the caller's commit, so the trail
    and the change it describes succeed or fail together."""
    entry = AuditEntry(
        action=action,
        staff_id=staff.id if staff is not None else None,
        staff_email=staff.email if staff is not None else None,
        target=target,
        detail=detail or None,
    )
    db.session.add(entry)
    return entry


def record_now(action: str, **kwargs) -> AuditEntry:
    """Record and commit at once, for events with no other change to go with."""
    entry = record(action, **kwargs)
    db.session.commit()
    return entry


def describe(action: str) -> str:
    return str(LABELS.get(action, action))


def newest(limit: int | None = None) -> list[AuditEntry]:
    """The last ``limit`` entries (all when None), oldest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if limit:
        query = query.limit(limit)
    return list(reversed(db.session.scalars(query).all()))


def page(number: int, per_page: int = 50):
    """One page of the trail, newest first."""
    return db.paginate(
        select(AuditEntry).order_by(AuditEntry.id.desc()),
        page=number,
        per_page=per_page,
        error_out=False,
        count=True,
    )


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))
