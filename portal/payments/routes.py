"""The person's pages: the payment password and confirming a shop's payment."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address

from portal import auth
from portal.extensions import db, limiter
from portal.formkit import add_error
from portal.models import Payment
from portal.moments import date_text, moment_text
from portal.payments import bp, orders, reset, secret
from portal.payments.forms import (
    ChangePaymentPasswordForm,
    ConfirmPaymentForm,
    DeclinePaymentForm,
    ForgotPaymentPasswordForm,
    NewPaymentPasswordForm,
)
from portal.payments.secret import Verdict
from portal.security import body_limit, is_safe_next
from portal.support import queue
from portal.verification.routes import upload_body_limit

reset.register()


def tries_key() -> str:
    account = auth.current_account()
    return f"payment-password:{account.id}" if account else get_remote_address()


def tries_limit() -> str:
    return current_app.config["PAYMENT_PASSWORD_RATE_LIMIT"]


def status_text(record) -> str:
    """The payment password's state in words, for the account page and its own page."""
    until = secret.locked_until(record)
    if until is not None:
        return _("Locked until %(time)s", time=moment_text(until))
    if record is not None and record.reset_requested_at is not None:
        return _("Reset requested on %(date)s", date=date_text(record.reset_requested_at))
    if secret.is_set(record):
        return _("Set on %(date)s", date=date_text(record.set_at))
    return _("Not set")


@bp.app_template_global()
def payment_password_status(account) -> str:
    return status_text(secret.record_of(account))


def locked_text(until) -> str:
    return _(
        "Your payment password is locked until %(time)s after too many wrong tries. "
        "Nothing can be paid with it until then.",
        time=moment_text(until),
    )


def wrong_text(remaining: int) -> str:
    return ngettext(
        "This is not your payment password. %(num)d try is left before it locks for an hour.",
        "This is not your payment password. %(num)d tries are left before it locks for an hour.",
        remaining,
    )


def judge(field, account) -> bool:
    """Check the payment password typed in ``field``; the reason goes next to it."""
    result = secret.check(account, field.data or "")
    if result.verdict is Verdict.WRONG:
        add_error(field, wrong_text(result.remaining))
    elif result.verdict is Verdict.LOCKED:
        add_error(
            field,
            locked_text(result.locked_until)
            if result.locked_until
            else _("Too many tries at once. Wait a moment and try again."),
        )
    elif result.verdict is Verdict.NOT_SET:
        add_error(field, _("You have no payment password yet."))
    return result.right


@bp.route("/account/payment-password", methods=["GET", "POST"])
@limiter.limit(tries_limit, key_func=tries_key, methods=["POST"])
@auth.login_required
def payment_password():
    account = auth.current_account()
    record = secret.record_of(account)
    target = request.values.get("next")
    target = target if is_safe_next(target) else None
    changing = secret.is_set(record)
    form = (ChangePaymentPasswordForm if changing else NewPaymentPasswordForm)().setup(
        account.birth_date
    )
    locked = secret.locked_until(record)
    if locked is None and form.validate_on_submit():
        if not changing or judge(form.current_payment_password, account):
            secret.set_payment_password(
                account,
                form.payment_password.data.strip(),
                letter="payment_password_changed" if changing else "payment_password_set",
            )
            flash(
                _("Your payment password is changed.")
                if changing
                else _("Your payment password is set.")
            )
            return redirect(target or url_for("payments.payment_password"))
        record = secret.record_of(account)
        locked = secret.locked_until(record)
    return render_template(
        "payments/password.html",
        form=form,
        changing=changing,
        status=status_text(record),
        locked=locked,
        locked_text=locked_text(locked) if locked else None,
        next=target,
    )


def own_payment(payment_id: str) -> Payment:
    """A payment of the signed-in wallet; anyone else's is as absent as a wrong id."""
    payment = db.session.get(Payment, payment_id) if len(payment_id) <= 32 else None
    if payment is None or payment.account_id != auth.current_account().id:
        abort(404)
    return payment


@bp.route("/pay/<payment_id>", methods=["GET", "POST"])
@limiter.limit(tries_limit, key_func=tries_key, methods=["POST"])
@auth.login_required
def pay(payment_id: str):
    account = auth.current_account()
    payment = own_payment(payment_id)
    record = secret.record_of(account)
    state = orders.state(payment)
    if state == orders.PENDING and not secret.is_set(record):
        flash(_("Before paying, set a payment password. You come back to the payment after."))
        return redirect(url_for("payments.payment_password", next=request.path))
    form, decline = ConfirmPaymentForm(), DeclinePaymentForm()
    if state == orders.PENDING and request.method == "POST":
        if decline.decline.data and decline.validate_on_submit():
            orders.decline(payment)
        elif form.validate_on_submit() and judge(form.payment_password, account):
            orders.confirm(payment)
        state = orders.state(payment)
    locked = secret.locked_until(secret.record_of(account))
    return render_template(
        "payments/pay.html",
        payment=payment,
        state=state,
        amount=orders.amount(payment),
        form=form,
        decline_form=decline,
        locked_text=locked_text(locked) if locked and state == orders.PENDING else None,
    )


@bp.route("/account/payment-password/forgot", methods=["GET", "POST"])
@body_limit(upload_body_limit)
@limiter.limit(
    lambda: current_app.config["VERIFICATION_RATE_LIMIT"], key_func=tries_key, methods=["POST"]
)
@auth.login_required
def forgot():
    account = auth.current_account()
    waiting = reset.pending(account)
    form = ForgotPaymentPasswordForm()
    if waiting is None and form.validate_on_submit():
        try:
            reset.submit(account, form.checked, form.note.data)
        except queue.AlreadyPending:
            pass
        flash(_("Your request is sent to support. We will write to you once it is checked."))
        return redirect(url_for("payments.payment_password"))
    return render_template("payments/forgot.html", form=form, waiting=waiting)


@bp.route("/account/payment-password/reset/<token>", methods=["GET", "POST"], endpoint="reset")
@limiter.limit(tries_limit, key_func=tries_key, methods=["POST"])
@auth.login_required
def reset_with_token(token: str):
    account = auth.current_account()
    if not reset.account_for_token(token, account):
        return render_template("payments/reset_invalid.html"), 400
    form = NewPaymentPasswordForm().setup(account.birth_date)
    if form.validate_on_submit():
        secret.set_payment_password(
            account, form.payment_password.data.strip(), letter="payment_password_changed"
        )
        flash(_("Your new payment password is set. It can confirm payments again."))
        return redirect(url_for("payments.payment_password"))
    return render_template("payments/reset.html", form=form, token=token)
