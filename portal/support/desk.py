"""The review queue at /support: the list, a request's page beside its documents, claims
and decisions. Thin views over portal.support.queue."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal import document_kinds, i18n, identity, mrz
from portal.countries import country_name
from portal.documents import DocumentUnavailable, preview_png
from portal.extensions import db
from portal.models import Account, Staff
from portal.models.review import PENDING, ReviewRequest
from portal.models.types import utcnow
from portal.moments import date_text, local
from portal.support import bp, queue
from portal.support.review_forms import ClaimForm, DecisionForm, ReleaseForm
from portal.support.staff import current_staff, staff_required

# A document is shown as an image and nothing else: no script, no style, no frame.
DOCUMENT_POLICY = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'self'"
SIDES = {"document": "document", "document_back": "document_back"}


def waiting(request: ReviewRequest) -> str:
    return format_timedelta(utcnow() - request.created_at, granularity="minute")


def staff_email(staff_id: int | None) -> str | None:
    staff = db.session.get(Staff, staff_id) if staff_id else None
    return staff.email if staff else None


def shown_date(value) -> Markup | str:
    """A date as data (a <time> element), not wording."""
    if value is None:
        return ""
    day = local(value).date() if isinstance(value, datetime) else value
    return Markup('<time datetime="{}">{}</time>').format(day.isoformat(), date_text(day))


def person_rows(account: Account) -> list[tuple[str, str]]:
    """What the person gave at step 2, as the reviewer compares it with the document."""
    locale = i18n.select_locale()
    address = ", ".join(
        part
        for part in (
            account.street,
            account.city,
            account.region,
            account.postal_code,
            country_name(account.country, locale),
        )
        if part
    )
    return [
        (_("Name"), account.full_name),
        (_("Date of birth"), shown_date(account.birth_date)),
        (_("Citizenship"), country_name(account.citizenship, locale)),
        (
            _("Identity document"),
            document_kinds.document_label(account.document_type, account.citizenship),
        ),
        (
            _("Document number"),
            identity.format_document_number(
                account.document_number, account.document_type, account.document_issuer
            ),
        ),
        (_("Address"), address),
        (_("Phone number"), identity.format_phone(account.phone)),
        (_("Email address"), account.email),
        (_("Wallet opened on"), shown_date(account.created_at)),
        (_("Identity verification"), verification_text(account)),
    ]


def verification_text(account: Account) -> str:
    """The person's verification status, beside any request (a payment-password reset is
    decided knowing whether the identity was verified)."""
    from portal.verification.status import status_for

    return status_for(account).text


def request_or_404(request_id: int) -> ReviewRequest:
    request = queue.get(request_id)
    if request is None:
        abort(404)
    return request


@bp.get("", endpoint="index")
@staff_required
def index():
    staff = current_staff()
    now = utcnow()
    rows = [
        {
            "request": request,
            "kind": queue.kind_label(request.kind),
            "waiting": waiting(request),
            "holder": queue.holder(request, now),
        }
        for request in queue.open_requests()
    ]
    return render_template(
        "support/queue.html",
        rows=rows,
        staff=staff,
        claim_form=ClaimForm(),
        staff_email=staff_email,
    )


@bp.post("/requests/<int:request_id>/claim")
@staff_required
def claim(request_id: int):
    request_or_404(request_id)
    if not ClaimForm().validate_on_submit():
        return redirect(url_for("support.index"))
    if queue.claim(request_id, current_staff()) is None:
        flash(_("Another reviewer has this request, or it is decided already."), "error")
        return redirect(url_for("support.index"))
    return redirect(url_for("support.review", request_id=request_id))


@bp.post("/requests/<int:request_id>/release")
@staff_required
def release(request_id: int):
    request = request_or_404(request_id)
    if ReleaseForm().validate_on_submit() and queue.release(request, current_staff()):
        flash(_("The request is back in the queue."))
    return redirect(url_for("support.index"))


# The pre-check takes a few seconds of OCR: its result is kept per document and details
# for the pages viewed again while deciding (a bounded, per-process memo).
PRECHECKS: dict[tuple, mrz.PreCheck] = {}
PRECHECK_MEMO = 64


def passport_precheck(request: ReviewRequest) -> mrz.PreCheck | None:
    """The machine-readable zone read and compared with step 2, for a pending passport."""
    account, document = request.account, request.document
    if request.status != PENDING or account.document_type != "passport" or document is None:
        return None
    if document.discarded_at is not None:
        return None
    key = (
        document.id,
        document.sha256,
        account.first_name,
        account.last_name,
        account.document_number,
        account.citizenship,
        account.birth_date,
    )
    if key not in PRECHECKS:
        try:
            image = preview_png(document, max_side=2400)
        except DocumentUnavailable:
            return None
        if len(PRECHECKS) >= PRECHECK_MEMO:
            PRECHECKS.pop(next(iter(PRECHECKS)))
        PRECHECKS[key] = mrz.precheck_passport(
            image,
            surname=account.last_name,
            given_names=account.first_name,
            document_number=account.document_number,
            nationality=account.citizenship,
            birth_date=account.birth_date,
            today=utcnow().date(),
        )
    return PRECHECKS[key]


PRECHECK_FIELDS = {
    "surname": _l("Surname"),
    "given_names": _l("Given names"),
    "document_number": _l("Document number"),
    "nationality": _l("Nationality"),
    "birth_date": _l("Date of birth"),
}


def review_page(request: ReviewRequest, form: DecisionForm | None = None):
    staff = current_staff()
    mine = queue.holder(request) == staff.id
    if form is None:
        form = DecisionForm()
    form.setup(queue.REASONS)
    return render_template(
        "support/request.html",
        review=request,
        kind=queue.kind_label(request.kind),
        waiting=waiting(request) if request.status == PENDING else None,
        holder=staff_email(queue.holder(request)),
        mine=mine,
        decided_by=staff_email(request.decided_by),
        reason=str(queue.REASONS.get(request.reason, "")) if request.reason else None,
        person=person_rows(request.account),
        form=form,
        claim_form=ClaimForm(),
        release_form=ReleaseForm(),
        precheck=passport_precheck(request),
        precheck_fields=PRECHECK_FIELDS,
    )


@bp.get("/requests/<int:request_id>", endpoint="review")
@staff_required
def review(request_id: int):
    return review_page(request_or_404(request_id))


@bp.post("/requests/<int:request_id>/decide")
@staff_required
def decide(request_id: int):
    request = request_or_404(request_id)
    form = DecisionForm()
    form.setup(queue.REASONS)
    if not form.validate_on_submit():
        return review_page(request, form)
    try:
        queue.decide(
            request,
            current_staff(),
            approved=form.approved,
            reason=None if form.approved else form.reason.data,
            note=form.note.data,
        )
    except queue.NotClaimed:
        flash(_("You no longer hold this request: claim it again before deciding."), "error")
        return redirect(url_for("support.review", request_id=request_id))
    flash(_("The decision is recorded and the person will get an email."))
    return redirect(url_for("support.index"))


@bp.get("/requests/<int:request_id>/<side>.png", endpoint="document")
@staff_required
def document(request_id: int, side: str):
    """The document as a PNG drawn by us (a PDF's first page rendered), never the file
    that was sent; only to signed-in staff, kept by no cache, audited."""
    request = request_or_404(request_id)
    found = getattr(request, SIDES[side]) if side in SIDES else None
    if found is None:
        abort(404)
    try:
        image = preview_png(found)
    except DocumentUnavailable:
        abort(404)
    queue.document_viewed(request, found, current_staff())
    response = make_response(image)
    response.mimetype = "image/png"
    response.headers["Content-Disposition"] = (
        f'inline; filename="request-{request.id}-{side.replace("_", "-")}.png"'
    )
    response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response
