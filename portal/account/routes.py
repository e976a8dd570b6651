"""The account area's pages: thin views over signin, settings and recovery."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address

from portal import auth, i18n, unsaved
from portal.account import bp, recovery, settings, signin
from portal.account.forms import (
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    QuestionsForm,
    RecoverForm,
    RecoverRequestForm,
    RefundChoiceForm,
)
from portal.countries import country_name
from portal.extensions import db, limiter
from portal.formkit import add_error, lookup_email
from portal.passwords import verify_secret
from portal.questions import question_text
from portal.register.forms import ResendForm
from portal.register.routes import flash_refused_resend, wait_message
from portal.security import is_safe_next

RECOVER_EMAIL = "recover_email"


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def login_address_key() -> str:
    return "sign-in:" + signin.throttle_key(lookup_email(request.form.get("email", "")))


def password_check_key() -> str:
    """Changing the password or the questions asks for the current password: guesses there
    are counted per account, with the per-address limit of signing in."""
    account = auth.current_account()
    return f"password-check:{account.id}" if account else get_remote_address()


def recover_limit() -> str:
    return current_app.config["RECOVER_RATE_LIMIT"]


def wait_text(seconds: int) -> str:
    return ngettext(
        "Too many failed attempts. Try again in %(num)d second.",
        "Too many failed attempts. Try again in %(num)d seconds.",
        seconds,
    )


# Signing in and out ---------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_address_limit, key_func=login_address_key, methods=["POST"])
def login():
    target = request.values.get("next")
    target = target if is_safe_next(target) else None
    if auth.current_account() is not None and request.method == "GET":
        return redirect(target or url_for("account.overview"))
    kept = unsaved.from_session("login") if request.method == "GET" else None
    form = unsaved.refilled(LoginForm, kept) if kept else LoginForm()
    failed = False
    if form.validate_on_submit():
        email = lookup_email(form.email.data)
        wait = signin.wait_seconds(email)
        if wait:
            db.session.commit()  # releases the throttle row
            form.form_errors.append(wait_text(wait))
        else:
            account = signin.authenticate(email, form.password.data)
            if account is not None:
                signin.clear_failures(email)
                unsaved.forget_in_session("login")
                auth.sign_in(account)
                db.session.commit()
                return redirect(target or url_for("account.overview"))
            signin.record_failure(email)
            signin.offer_to_continue(email, i18n.select_language())
            db.session.commit()  # the failure and the letter request, in one commit
            failed = True
    if request.method == "POST":
        unsaved.keep_in_session("login", form)
    form.password.data = ""
    return render_template(
        "account/login.html",
        form=form,
        failed=failed,
        next=target,
        unfinished_url=unfinished_here(form.email.data) if failed else None,
    )


def answers_to_judge(form) -> bool:
    """Both answers typed in a genuine submit, whatever the password fields hold."""
    if not form.is_submitted() or form.csrf_token.errors:
        return False
    return all(
        field.data and field.data.strip() and not field.errors
        for field in (form.answer_1, form.answer_2)
    )


def unfinished_here(typed_email: str | None) -> str | None:
    """Where this browser's own unfinished registration with the typed address goes on.

    Only the browser that holds the draft (its session) is told: it started that
    registration, so it learns nothing new, and the answer depends on the session,
    never on what the database holds for the address. Anyone else sees the same
    failure for every address (the worker may still send the draft's owner a letter)."""
    from portal.register.drafts import current_draft
    from portal.register.routes import step_url

    draft = current_draft()
    if draft is None or draft.completed_at is not None:
        return None
    if draft.email != lookup_email(typed_email or ""):
        return None
    return step_url(draft)


@bp.post("/logout")
def logout():
    LogoutForm().validate_on_submit()
    auth.sign_out()
    flash(_("You have signed out."))
    return redirect(url_for("main.index"))


# The account page and its settings ------------------------------------------------


def overview_page(account, **forms):
    language = LanguageForm(data={"locale": account.locale})
    language.locale.set_choices(
        (code, i18n.language_name(code)) for code in current_app.config["LANGUAGES"]
    )
    context = {
        "account": account,
        "refund_form": RefundChoiceForm(data={"refund_to_wallet": account.refund_to_wallet}),
        "language_form": language,
        "country": country_name(account.country, i18n.select_locale()),
    }
    context.update(forms)
    return render_template("account/overview.html", **context)


@bp.get("/account")
@auth.login_required
def overview():
    return overview_page(auth.current_account())


@bp.post("/account/refunds")
@auth.login_required
def refunds():
    account = auth.current_account()
    form = RefundChoiceForm()
    if form.validate_on_submit():
        settings.change_refund_choice(account, form.refund_to_wallet.data)
        if form.refund_to_wallet.data:
            flash(_("Saved: refunds will be credited to your wallet."))
        else:
            flash(_("Saved: refunds will go back to your card."))
    return redirect(url_for("account.overview") + "#refunds")


@bp.post("/account/language")
@auth.login_required
def language():
    account = auth.current_account()
    form = LanguageForm()
    form.locale.set_choices((code, code) for code in current_app.config["LANGUAGES"])
    if not form.validate_on_submit():
        return redirect(url_for("account.overview"))
    settings.change_language(account, form.locale.data)
    with i18n.in_language(form.locale.data):
        flash(_("Saved: pages and emails will be in this language."))
    response = redirect(url_for("account.overview", lang=form.locale.data) + "#language")
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(login_address_limit, key_func=password_check_key, methods=["POST"])
@auth.login_required
def password():
    account = auth.current_account()
    form = ChangePasswordForm()
    form.setup(account.email, (account.first_name, account.last_name))
    if form.validate_on_submit():
        if settings.change_password(account, form.current_password.data, form.password.data):
            flash(_("Your password is changed. Other devices have been signed out."))
            return redirect(url_for("account.overview"))
        add_error(form.current_password, _("This is not your current password."))
    else:
        judge_current_password(form, account)
    return render_template("account/password.html", form=form)


def judge_current_password(form, account) -> None:
    """A form refused for its other fields still says whether the current password was
    right, so that every mistake shows at once (the same per-account limit counts it)."""
    typed = form.current_password.data
    if not form.is_submitted() or not typed or form.current_password.errors:
        return
    if not verify_secret(account.password_hash, typed):
        add_error(form.current_password, _("This is not your current password."))


@bp.route("/account/questions", methods=["GET", "POST"])
@limiter.limit(login_address_limit, key_func=password_check_key, methods=["POST"])
@auth.login_required
def questions():
    account = auth.current_account()
    form = QuestionsForm(data={"question_1": account.question_1, "question_2": account.question_2})
    form.setup_questions((account.question_1, account.question_2))
    if form.validate_on_submit():
        changed = settings.change_questions(
            account,
            form.current_password.data,
            (form.question_1.data, form.question_2.data),
            (form.answer_1.data or "", form.answer_2.data or ""),
        )
        if changed:
            flash(_("Your security questions are saved."))
            return redirect(url_for("account.overview"))
        add_error(form.current_password, _("This is not your current password."))
    else:
        judge_current_password(form, account)
    return render_template("account/questions.html", form=form)


# Recovery -------------------------------------------------------------------------


@bp.route("/recover", methods=["GET", "POST"])
@limiter.limit(recover_limit, methods=["POST"])
def recover():
    kept = unsaved.from_session("recover") if request.method == "GET" else None
    form = unsaved.refilled(RecoverRequestForm, kept) if kept else RecoverRequestForm()
    form.take_suggestion(request.form.get("suggested_email"))
    if form.validate_on_submit() and not form.typo_suggestion(i18n.select_language()):
        recovery.request_recovery(form.email.cleaned, i18n.select_language())
        unsaved.forget_in_session("recover")
        session[RECOVER_EMAIL] = form.email.cleaned
        return redirect(url_for("account.recover_sent"))
    if kept:
        form.validate()
    elif request.method == "POST":
        unsaved.keep_in_session("recover", form)
    return render_template("account/recover.html", form=form)


@bp.get("/recover/sent")
def recover_sent():
    email = session.get(RECOVER_EMAIL)
    if not email:
        return redirect(url_for("account.recover"))
    state = recovery.resend_state(email)
    return render_template(
        "account/recover_sent.html",
        email=email,
        minutes=current_app.config["RECOVERY_TOKEN_MAX_AGE"] // 60,
        resend=state,
        wait_text=wait_message(state.wait_seconds),
        form=ResendForm(),
    )


@bp.post("/recover/resend")
@limiter.limit(recover_limit)
def recover_resend():
    """The reset email again, for the address this browser asked about: the same
    cooldown for any address, and the same answer whether or not it has a wallet."""
    email = session.get(RECOVER_EMAIL)
    if not email or not ResendForm().validate_on_submit():
        return redirect(url_for("account.recover_sent" if email else "account.recover"))
    sent_again, state = recovery.resend(email, i18n.select_language())
    if sent_again:
        flash(_("If a wallet is registered with this address, we have emailed it a new link."))
    else:
        flash_refused_resend(state)
    return redirect(url_for("account.recover_sent"))


@bp.route("/recover/<token>", methods=["GET", "POST"])
@limiter.limit(recover_limit, methods=["POST"])
def recover_with_token(token: str):
    account = recovery.account_for_token(token)
    if isinstance(account, recovery.LinkProblem):
        status = 410 if account is recovery.LinkProblem.EXPIRED else 400
        return render_template("account/recover_link.html", problem=account.value), status
    if recovery.locked_until(account) is not None:
        return render_template("account/recover_locked.html", until=account.recovery_locked_until)
    form = RecoverForm()
    form.setup(account.email, (account.first_name, account.last_name))
    valid = form.validate_on_submit()
    if valid or answers_to_judge(form):
        # The answers are judged even when the new password is refused, so that a wrong
        # pair and a weak password are said at once; only a valid form resets.
        result = recovery.check_answers(account, form.answer_1.data, form.answer_2.data)
        if result is recovery.AnswerResult.RIGHT and valid:
            recovery.reset_password(account, form.password.data)
            flash(_("Your new password is set, and every other device has been signed out."))
            return redirect(url_for("account.overview"))
        if result is recovery.AnswerResult.RIGHT:
            db.session.commit()  # releases the account's row; nothing was counted
        if result is recovery.AnswerResult.LOCKED:
            return render_template(
                "account/recover_locked.html", until=account.recovery_locked_until
            )
        if result is recovery.AnswerResult.WRONG:
            form.form_errors.append(
                ngettext(
                    "The answers do not match. %(num)d attempt left before resetting the "
                    "password is locked.",
                    "The answers do not match. %(num)d attempts left before resetting the "
                    "password is locked.",
                    recovery.attempts_left(account),
                )
            )
    form.password.data = form.password_confirm.data = ""
    return render_template(
        "account/recover_answers.html",
        form=form,
        token=token,
        question_1=question_text(account.question_1),
        question_2=question_text(account.question_2),
    )
