"""The desk's review queue: one queue for every kind of request a person can send.

A kind (identity verification, a payment-password reset...) registers what its decision
does with ``register_kind``; the queue itself only knows the states: a request is opened
pending, withdrawn by the person, or claimed by a reviewer and decided.

A claim is a lease, like the outbox's: one conditional UPDATE gives the request to the
first reviewer who asks, until ``REVIEW_CLAIM_SECONDS`` have passed; a decision is only
written by the reviewer whose lease still runs. Every function commits its own change
together with the audit entry that describes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.documents import discard
from portal.extensions import db
from portal.models import Account, Document, Staff
from portal.models.review import (
    APPROVED,
    PENDING,
    REASON_CODES,
    REJECTED,
    WITHDRAWN,
    ReviewRequest,
)
from portal.models.types import utcnow
from portal.support import audit

CLAIM = "review_claimed"
RELEASE = "review_released"
DOCUMENT_VIEWED = "document_viewed"
DECISION = "review_decided"
PURGE = "documents_purged"

audit.LABELS.update(
    {
        CLAIM: _l("Claimed a request"),
        RELEASE: _l("Released a request"),
        DOCUMENT_VIEWED: _l("Viewed a document"),
        DECISION: _l("Decided a request"),
        PURGE: _l("Deleted the documents of decided requests"),
    }
)

# How the desk names each reason for a rejection (the person's wording is the kind's).
REASONS = {
    "unreadable": _l("Unreadable"),
    "expired": _l("Expired"),
    "mismatch": _l("Does not match the details given"),
    "not_accepted": _l("Not an accepted document"),
    "other": _l("Other"),
}
assert tuple(REASONS) == REASON_CODES


class QueueError(Exception):
    """A change the queue refuses; the request is left as it was."""


class AlreadyPending(QueueError):
    """The account already has an open request of this kind."""


class NotClaimed(QueueError):
    """The reviewer does not (or no longer) hold the request's claim."""


@dataclass(frozen=True)
class ReviewKind:
    """What a kind of request means. ``on_decision(request, staff)`` runs in the decision's
    transaction (queue a letter, change the account); ``on_open(request)`` and
    ``on_withdraw(request)`` likewise when the person opens or withdraws one."""

    name: str
    label: LazyString | str
    on_decision: Callable[[ReviewRequest, Staff], None]
    on_open: Callable[[ReviewRequest], None] | None = None
    on_withdraw: Callable[[ReviewRequest], None] | None = None


KINDS: dict[str, ReviewKind] = {}


def register_kind(
    kind: str,
    label: LazyString | str,
    on_decision: Callable[[ReviewRequest, Staff], None],
    *,
    on_open: Callable[[ReviewRequest], None] | None = None,
    on_withdraw: Callable[[ReviewRequest], None] | None = None,
) -> ReviewKind:
    """Plug a kind of request into the queue (registering again replaces it)."""
    KINDS[kind] = ReviewKind(kind, label, on_decision, on_open, on_withdraw)
    return KINDS[kind]


def kind_label(kind: str) -> str:
    spec = KINDS.get(kind)
    return str(spec.label) if spec else kind


def target(request: ReviewRequest | int) -> str:
    """How the audit trail names a request."""
    number = request if isinstance(request, int) else request.id
    return f"review:{number}"


# The person's side ---------------------------------------------------------------


def open_request(
    account: Account,
    kind: str,
    documents: Iterable[Document],
    person_note: str | None = None,
) -> ReviewRequest:
    """Queue a request with its documents (front: kind "document", back: "document_back").
    AlreadyPending when one of this kind is open: it is never replaced silently."""
    spec = KINDS[kind]
    if pending_for(account, kind) is not None:
        raise AlreadyPending(kind)
    by_kind = {document.kind: document for document in documents}
    request = ReviewRequest(
        kind=kind,
        account_id=account.id,
        status=PENDING,
        created_at=utcnow(),
        person_note=(person_note or "").strip() or None,
        document=by_kind.get("document"),
        document_back=by_kind.get("document_back"),
    )
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:  # another upload of the same person won the race
        db.session.rollback()
        raise AlreadyPending(kind) from None
    if spec.on_open:
        spec.on_open(request)
    db.session.commit()
    return request


def withdraw(request: ReviewRequest) -> bool:
    """Take back a pending request; its files are deleted at once. False when it was
    decided (or withdrawn) meanwhile."""
    now = utcnow()
    done = db.session.execute(
        update(ReviewRequest)
        .where(ReviewRequest.id == request.id, ReviewRequest.status == PENDING)
        .values(status=WITHDRAWN, withdrawn_at=now, claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.rollback()
        return False
    db.session.refresh(request)
    spec = KINDS.get(request.kind)
    if spec and spec.on_withdraw:
        spec.on_withdraw(request)
    db.session.commit()
    _discard_files(request, now)
    return True


def pending_for(account: Account, kind: str) -> ReviewRequest | None:
    return db.session.scalar(
        select(ReviewRequest).where(
            ReviewRequest.account_id == account.id,
            ReviewRequest.kind == kind,
            ReviewRequest.status == PENDING,
        )
    )


def latest_for(account: Account, kind: str, *, withdrawn: bool = False) -> ReviewRequest | None:
    """The account's newest request of ``kind`` (withdrawn ones left out unless asked)."""
    query = select(ReviewRequest).where(
        ReviewRequest.account_id == account.id, ReviewRequest.kind == kind
    )
    if not withdrawn:
        query = query.where(ReviewRequest.status != WITHDRAWN)
    return db.session.scalar(query.order_by(ReviewRequest.id.desc()).limit(1))


# The desk's side -----------------------------------------------------------------


def open_requests() -> list[ReviewRequest]:
    """Pending requests, oldest first: whoever waited longest is seen first."""
    return list(
        db.session.scalars(
            select(ReviewRequest)
            .where(ReviewRequest.status == PENDING)
            .order_by(ReviewRequest.created_at, ReviewRequest.id)
        )
    )


def get(request_id: int) -> ReviewRequest | None:
    return db.session.get(ReviewRequest, request_id)


def holder(request: ReviewRequest, now: datetime | None = None) -> int | None:
    """The id of the staff member whose claim on ``request`` still runs, if any."""
    now = now or utcnow()
    if request.status != PENDING or request.claimed_by is None:
        return None
    if request.claim_expires_at is None or request.claim_expires_at < now:
        return None
    return request.claimed_by


def claim(request_id: int, staff: Staff) -> ReviewRequest | None:
    """Take the request for ``staff`` (or renew their own claim). None when it is not
    pending or another reviewer holds it: of two reviewers racing, exactly one wins."""
    now = utcnow()
    until = now + timedelta(seconds=current_app.config["REVIEW_CLAIM_SECONDS"])
    won = db.session.execute(
        update(ReviewRequest)
        .where(
            ReviewRequest.id == request_id,
            ReviewRequest.status == PENDING,
            or_(
                ReviewRequest.claimed_by.is_(None),
                ReviewRequest.claim_expires_at < now,
                ReviewRequest.claimed_by == staff.id,
            ),
        )
        .values(claimed_by=staff.id, claim_expires_at=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        db.session.rollback()
        return None
    request = db.session.get(ReviewRequest, request_id, populate_existing=True)
    audit.record(CLAIM, staff=staff, target=target(request), detail={"kind": request.kind})
    db.session.commit()
    return request


def release(request: ReviewRequest, staff: Staff) -> bool:
    """Give a claimed request back to the queue, for another reviewer."""
    done = db.session.execute(
        update(ReviewRequest)
        .where(
            ReviewRequest.id == request.id,
            ReviewRequest.status == PENDING,
            ReviewRequest.claimed_by == staff.id,
        )
        .values(claimed_by=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.rollback()
        return False
    audit.record(RELEASE, staff=staff, target=target(request), detail={"kind": request.kind})
    db.session.commit()
    db.session.refresh(request)
    return True


def decide(
    request: ReviewRequest,
    staff: Staff,
    *,
    approved: bool,
    reason: str | None = None,
    note: str | None = None,
) -> ReviewRequest:
    """Approve, or reject for one of REASON_CODES, a request ``staff`` holds the claim of;
    the kind's ``on_decision`` runs in the same transaction. NotClaimed otherwise."""
    if approved:
        reason = None
    elif reason not in REASON_CODES:
        raise ValueError(f"a rejection needs a reason among {REASON_CODES}")
    now = utcnow()
    done = db.session.execute(
        update(ReviewRequest)
        .where(
            ReviewRequest.id == request.id,
            ReviewRequest.status == PENDING,
            ReviewRequest.claimed_by == staff.id,
            ReviewRequest.claim_expires_at >= now,
        )
        .values(
            status=APPROVED if approved else REJECTED,
            decided_by=staff.id,
            decided_at=now,
            reason=reason,
            note=(note or "").strip() or None,
            claimed_by=None,
            claim_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.session.rollback()
        raise NotClaimed(request.id)
    db.session.refresh(request)
    spec = KINDS.get(request.kind)
    if spec is not None:
        spec.on_decision(request, staff)
    audit.record(
        DECISION,
        staff=staff,
        target=target(request),
        detail={"kind": request.kind, "decision": request.status, "reason": reason}
        if reason
        else {"kind": request.kind, "decision": request.status},
    )
    db.session.commit()
    return request


def document_viewed(request: ReviewRequest, document: Document, staff: Staff) -> None:
    audit.record_now(
        DOCUMENT_VIEWED,
        staff=staff,
        target=target(request),
        detail={"document": document.id, "side": document.kind},
    )


# Retention -----------------------------------------------------------------------


def purge_documents(now: datetime | None = None) -> tuple[int, int]:
    """Delete the files of requests decided (or withdrawn) DOCUMENT_RETENTION_DAYS ago or
    more; the requests and their decisions stay. Returns (requests, files)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["DOCUMENT_RETENTION_DAYS"])
    due = db.session.scalars(
        select(ReviewRequest)
        .where(
            ReviewRequest.documents_purged_at.is_(None),
            or_(
                ReviewRequest.status.in_((APPROVED, REJECTED))
                & (ReviewRequest.decided_at <= cutoff),
                and_(ReviewRequest.status == WITHDRAWN, ReviewRequest.withdrawn_at <= cutoff),
            ),
        )
        .order_by(ReviewRequest.id)
    ).all()
    files = 0
    for request in due:
        files += sum(1 for document in request.documents if document.discarded_at is None)
        for document in request.documents:
            discard(document)
        request.documents_purged_at = now
    if due:
        audit.record(
            PURGE,
            staff=None,
            detail={"via": "command line", "requests": len(due), "files": files},
        )
    db.session.commit()
    return len(due), files


def _discard_files(request: ReviewRequest, now: datetime) -> None:
    for document in request.documents:
        discard(document)
    request.documents_purged_at = now
    db.session.commit()
