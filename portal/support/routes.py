"""The desk's own pages: sign-in with a TOTP code, sign-out, the one-time setup, the audit
trail. The review queue lives in portal.support.queue."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from portal import i18n
from portal.account.routes import wait_text
from portal.extensions import db, limiter
from portal.formkit import lookup_email
from portal.support import accounts, audit, bp, throttle, totp
from portal.support import staff as sessions
from portal.support.forms import CODE_HINT, StaffLoginForm, StaffLogoutForm, StaffSetupForm
from portal.support.staff import current_staff, safe_desk_path, staff_required

HOME = "support.index"


# A staff member's explicit ?lang= choice is kept on Staff.locale by portal.i18n.
bp.after_request(sessions.write_cookie)


@bp.app_context_processor
def desk_context():
    return {"current_staff": current_staff, "desk_home": home_url}


def home_url() -> str:
    """The queue when it is there, else the audit trail."""
    if HOME in current_app.view_functions:
        return url_for(HOME)
    return url_for("support.audit")


def login_limit() -> str:
    return current_app.config["SUPPORT_LOGIN_RATE_LIMIT"]


def login_address_key() -> str:
    return "support-sign-in:" + throttle.keys(lookup_email(request.form.get("email", "")), None)[0]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_limit, key_func=login_address_key, methods=["POST"])
def login():
    target = safe_desk_path(request.values.get("next"))
    if current_staff() is not None and request.method == "GET":
        return redirect(target or home_url())
    form = StaffLoginForm()
    failed = False
    if form.validate_on_submit():
        email = lookup_email(form.email.data)
        ip = get_remote_address()
        wait = throttle.wait_seconds(email, ip)
        if wait:
            form.form_errors.append(wait_text(wait))
        else:
            staff = accounts.authenticate(email, form.password.data, form.code.data)
            if staff is not None:
                throttle.clear(email, ip)
                sessions.sign_in(staff)
                audit.record(audit.SIGN_IN, staff=staff, detail={"ip": ip})
                db.session.commit()
                return redirect(target or home_url())
            db.session.rollback()
            throttle.record_failure(email, ip)
            audit.record(
                audit.SIGN_IN_FAILED,
                staff=None,
                target=email[:200],
                detail={"ip": ip},
            )
            db.session.commit()
            failed = True
    form.password.data = ""
    form.code.data = ""
    return render_template(
        "support/login.html", form=form, failed=failed, next=target, code_hint=CODE_HINT
    )


@bp.post("/logout")
def logout():
    form = StaffLogoutForm()
    if not form.validate_on_submit():
        return redirect(url_for("support.login"))
    staff = current_staff()
    if staff is not None:
        audit.record(audit.SIGN_OUT, staff=staff)
    sessions.sign_out()
    db.session.commit()
    flash(_("You have signed out of the support desk."))
    return redirect(url_for("support.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def setup(token: str):
    staff = accounts.by_setup_token(token)
    if staff is None:
        return render_template("support/setup_invalid.html"), 404
    form = StaffSetupForm()
    form.setup(staff.email)
    if form.validate_on_submit():
        if accounts.complete_setup(staff, form.password.data, form.code.data):
            staff.locale = i18n.select_locale()
            sessions.sign_in(staff)
            audit.record(audit.SIGN_IN, staff=staff, detail={"ip": get_remote_address()})
            db.session.commit()
            flash(_("Your desk account is ready. You are signed in."))
            return redirect(home_url())
        db.session.rollback()
        form.code.errors = [
            *form.code.errors,
            _("This code is not right. Check the clock of your phone and type the code shown now."),
        ]
    secret = totp.unseal(staff.totp_secret)
    if secret is None:  # sealed with a key that is gone: a new link is needed
        return render_template("support/setup_invalid.html"), 404
    form.code.data = ""
    return render_template(
        "support/setup.html",
        form=form,
        staff=staff,
        qr=totp.qr_svg(totp.provisioning_uri(staff, secret), _("QR code for your authenticator")),
        secret=totp.grouped(secret),
        code_hint=CODE_HINT,
        min_length=accounts.MIN_PASSWORD_LENGTH,
    )


@bp.get("/audit", endpoint="audit")
@staff_required
def audit_page():
    number = request.args.get("page", "1")
    if not number.isdigit() or not 0 < int(number) < 10**6:
        abort(404)
    entries = audit.page(int(number))
    return render_template("support/audit.html", entries=entries, describe=audit.describe)
