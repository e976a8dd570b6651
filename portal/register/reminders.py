"""One reminder for a draft whose address was never confirmed.

The first letter may have been lost, filtered or buried; one more, sent once, brings
some of those people back. More than one would be nagging, so ``reminded_at`` is
set by a conditional update: two ``flask outbox remind`` runs at once (an overlapping
cron) cannot both remind the same draft.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Draft
from portal.models.types import utcnow
from portal.register.drafts import account_exists, queue_letter


def remind_unconfirmed() -> int:
    """Queue the reminder for drafts left unconfirmed longer than
    OUTBOX_REMIND_AFTER_SECONDS since their last letter; returns how many."""
    now = utcnow()
    cutoff = now - timedelta(seconds=current_app.config["OUTBOX_REMIND_AFTER_SECONDS"])
    candidates = db.session.scalars(
        select(Draft.id)
        .where(
            Draft.confirmed_at.is_(None),
            Draft.completed_at.is_(None),
            Draft.reminded_at.is_(None),
            Draft.expires_at > now,
            func.coalesce(Draft.last_letter_at, Draft.created_at) <= cutoff,
        )
        .order_by(Draft.id)
    ).all()
    db.session.rollback()
    queued = 0
    for draft_id in candidates:
        claimed = db.session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        draft = db.session.get(Draft, draft_id) if claimed == 1 else None
        # An address that has a wallet by now needs no reminder (and gets no letter
        # saying so: it asked for nothing).
        if draft is not None and not account_exists(draft.email):
            queue_letter(draft, kind="reminder")
            queued += 1
        db.session.commit()
    return queued
