"""/account/verification: the status in words, the upload, the withdrawal."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from portal import auth, document_kinds
from portal.documents import format_size
from portal.extensions import limiter
from portal.security import body_limit
from portal.support import queue
from portal.verification import bp, status
from portal.verification.forms import ACCEPT, VerificationForm, WithdrawForm

status.register()

# Room for the two files and the form around them; a larger body gets the 413 page.
MULTIPART_ROOM = 64 * 1024


def upload_body_limit(config) -> int:
    return 2 * config["VERIFICATION_MAX_BYTES"] + MULTIPART_ROOM


def upload_limit() -> str:
    return current_app.config["VERIFICATION_RATE_LIMIT"]


def account_key() -> str:
    account = auth.current_account()
    return f"verification-upload:{account.id}" if account else get_remote_address()


@bp.app_template_global()
def verification_reason(code: str | None) -> str:
    return status.reason_text(code)


@bp.app_template_global()
def verification_status(account) -> status.Status:
    return status.status_for(account)


@bp.route("/account/verification", methods=["GET", "POST"])
@body_limit(upload_body_limit)
@limiter.limit(upload_limit, key_func=account_key, methods=["POST"])
@auth.login_required
def page():
    account = auth.current_account()
    current = status.status_for(account)
    form = VerificationForm()
    if current.may_upload and form.validate_on_submit():
        try:
            status.submit(account, form.checked)
        except queue.AlreadyPending:
            flash(_("A request is already being checked. Withdraw it to send another."), "error")
        else:
            flash(_("Thank you. Your document is sent; we will write to you once it is checked."))
        return redirect(url_for("verification.page"))
    if not current.may_upload and form.is_submitted():
        return redirect(url_for("verification.page"))
    return render_template(
        "verification/page.html",
        account=account,
        current=current,
        form=form,
        withdraw_form=WithdrawForm(),
        accept=ACCEPT,
        max_size=format_size(current_app.config["VERIFICATION_MAX_BYTES"]),
        document_type=document_kinds.document_label(account.document_type, account.citizenship),
    )


@bp.post("/account/verification/withdraw")
@auth.login_required
def withdraw():
    account = auth.current_account()
    form = WithdrawForm()
    pending = queue.pending_for(account, status.KIND)
    if form.validate_on_submit() and pending is not None:
        if queue.withdraw(pending):
            flash(_("Your request is withdrawn and its files deleted. You can send another."))
        else:
            flash(_("This request was decided meanwhile."), "error")
    return redirect(url_for("verification.page"))
