"""What a verification request means: its place in the desk's queue (``register``), the
status a person reads, and the letters each decision sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.documents import CheckedFile, discard, store
from portal.extensions import db
from portal.letters import enqueue_letter, external_url
from portal.models import Account, Staff
from portal.models.review import APPROVED, PENDING, REJECTED, ReviewRequest
from portal.moments import date_text
from portal.support import queue

KIND = "verification"
NOT_STARTED = "unverified"

# Why the document was not accepted, as the person reads it on the page and in the letter.
REASONS = {
    "unreadable": _l(
        "The document could not be read: the photo or scan is blurred, cut off or too dark."
    ),
    "expired": _l("The document has expired."),
    "mismatch": _l("The document does not match the details you gave when opening the wallet."),
    "not_accepted": _l(
        "This is not a document we accept: send a passport, a driving licence or a national "
        "identity card."
    ),
    "other": _l("The document could not be accepted. Write to support to learn why."),
}


def reason_text(code: str | None) -> str:
    return str(REASONS.get(code or "other", REASONS["other"]))


@dataclass(frozen=True)
class Status:
    """The state of a person's verification, with the date and reason that go with it."""

    state: str  # "unverified", "pending", "approved", "rejected"
    at: datetime | None = None
    reason: str | None = None
    request: ReviewRequest | None = None

    @property
    def text(self) -> str:
        if self.state == PENDING:
            return _("Pending since %(date)s", date=date_text(self.at))
        if self.state == APPROVED:
            return _("Approved on %(date)s", date=date_text(self.at))
        if self.state == REJECTED:
            return _("Rejected on %(date)s", date=date_text(self.at))
        return _("Not started")

    @property
    def reason_text(self) -> str | None:
        return reason_text(self.reason) if self.state == REJECTED else None

    @property
    def may_upload(self) -> bool:
        """Nothing open and nothing approved: an approval is final."""
        return self.state in (NOT_STARTED, REJECTED)


def status_for(account: Account) -> Status:
    request = queue.latest_for(account, KIND)
    if request is None:
        return Status(NOT_STARTED)
    if request.status == PENDING:
        return Status(PENDING, request.created_at, request=request)
    return Status(request.status, request.decided_at, request.reason, request)


def submit(account: Account, files: dict[str, CheckedFile]) -> ReviewRequest:
    """Store the checked files encrypted and queue them for the desk. AlreadyPending
    (nothing kept) when a request is open already."""
    documents = [
        store(checked, account_id=account.id, kind=kind) for kind, checked in files.items()
    ]
    try:
        return queue.open_request(account, KIND, documents)
    except queue.AlreadyPending:
        for document in documents:
            discard(document)
        raise


def _opened(request: ReviewRequest) -> None:
    request.account.verification_status = PENDING


def _withdrawn(request: ReviewRequest) -> None:
    earlier = queue.latest_for(request.account, KIND)
    request.account.verification_status = earlier.status if earlier else NOT_STARTED


def _decided(request: ReviewRequest, staff: Staff) -> None:
    account = request.account
    account.verification_status = request.status
    approved = request.status == APPROVED
    enqueue_letter(
        "verification_approved" if approved else "verification_rejected",
        account.email,
        account.locale,
        account=account,
        name=account.first_name,
        reason=request.reason,
        verification_url=external_url("verification.page"),
        account_url=external_url("account.overview"),
    )
    db.session.flush()


def register() -> None:
    queue.register_kind(
        KIND,
        _l("Identity verification"),
        _decided,
        on_open=_opened,
        on_withdraw=_withdrawn,
    )
