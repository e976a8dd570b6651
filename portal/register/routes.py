"""The wizard's pages: thin views over ``drafts`` (the rules) and ``captcha``."""

from __future__ import annotations

import functools

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address

from portal import auth, captcha, document_kinds, unsaved
from portal.extensions import db, limiter
from portal.i18n import select_language, select_locale
from portal.letters import delivery_state, latest_letter
from portal.passwords import hash_answer, hash_secret
from portal.register import bp, drafts
from portal.register.forms import EmailForm, PersonalForm, RefundsForm, ResendForm, SecurityForm
from portal.register.review import review_sections

STEP_ENDPOINTS = {
    "email": "register.sent",
    "personal": "register.personal",
    "security": "register.security",
    "refunds": "register.refunds",
}
# What step 1 keeps of what was typed (the address) across "show another image", a wrong
# captcha or a language switch.
TYPED = "register"


def register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def step_url(draft) -> str:
    return url_for(STEP_ENDPOINTS[drafts.first_unfinished_step(draft)])


def wizard_step(step: str):
    """Open a step only with a confirmed draft, and never before the steps it needs."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped():
            draft = drafts.current_draft()
            if draft is None and auth.current_account() is not None:
                # Back from the account page after the wallet opened: nothing to resume.
                return redirect(url_for("account.overview"))
            if draft is None:
                flash(
                    _(
                        "We could not find your registration in this browser. Open the link "
                        "in your email, or start again."
                    ),
                    "error",
                )
                return redirect(url_for("register.email"))
            if draft.completed_at is not None:
                return already_opened(draft)
            if not drafts.may_open(draft, step):
                return redirect(step_url(draft))
            return view(draft)

        return wrapped

    return decorator


def progress(current: str, draft=None) -> list[dict]:
    """The progress indicator: each step's label, and whether it is done or current."""
    # TRANSLATORS: short labels of the four steps in the progress bar (a phone is narrow).
    labels = {
        "email": _("Email"),
        "personal": _("Personal details"),
        "security": _("Password"),
        "refunds": _("Refunds"),
    }
    reached = drafts.STEPS.index(drafts.first_unfinished_step(draft)) if draft else 0
    return [
        {
            "label": labels[step],
            "number": number,
            "current": step == current,
            "done": number - 1 < reached and step != current,
            "url": url_for(STEP_ENDPOINTS[step]) if draft and number - 1 <= reached else None,
        }
        for number, step in enumerate(drafts.STEPS, start=1)
    ]


# Step 1 ---------------------------------------------------------------------------


@bp.route("", methods=["GET", "POST"])
@limiter.limit(register_limit, methods=["POST"])
def email():
    form = EmailForm()
    if request.method == "GET":
        draft = drafts.current_draft()
        if (draft is None or draft.completed_at) and auth.current_account() is not None:
            return redirect(url_for("account.overview"))
        form = typed_again_on_step_1() or form
        if not form.email.data and draft and not draft.completed_at:
            form.email.data = draft.email
    elif form.new_captcha.data:
        unsaved.keep_in_session(TYPED, form)
        return redirect(url_for("register.email"))
    else:
        form.take_suggestion(request.form.get("suggested_email"))
        # A likely typo is shown first, with the typed captcha, checked only when the
        # letter goes.
        if form.validate_on_submit() and not form.typo_suggestion(select_language()):
            outcome = captcha.check(form.captcha_id.data, form.captcha.data)
            if outcome is captcha.Outcome.SOLVED:
                unsaved.forget_in_session(TYPED)
                drafts.start(form.email.cleaned, select_language(), form.captcha_id.data)
                return redirect(url_for("register.sent"))
            if drafts.resume_started_with(
                form.captcha_id.data, form.email.cleaned, form.captcha.data
            ):
                # A second click on "Send": the first one was accepted.
                return redirect(url_for("register.sent"))
            db.session.commit()
            form.captcha.errors = [captcha_message(outcome)]
    if request.method == "POST":
        unsaved.keep_in_session(TYPED, form)
    form.captcha.data = "" if form.captcha.errors else form.captcha.data
    form.captcha_id.data = shown_challenge_id(form.captcha_id.data)
    return render_template(
        "register/email.html",
        form=form,
        challenge_id=form.captcha_id.data,
        progress=progress("email"),
    )


def typed_again_on_step_1() -> EmailForm | None:
    """The address typed before a new image, a wrong captcha or a language switch, with
    its error (if it had one) in this page's language."""
    kept = unsaved.from_session(TYPED)
    if not kept:
        return None
    form = unsaved.refilled(EmailForm, kept)
    if form.email.data:
        form.email.validate(form)
    return form


def shown_challenge_id(current_id: str | None) -> str:
    """The challenge the form shows: the current one while it can be answered, else a new one.

    A new one's id is read before the commit, which expires the row: read after, it
    would be fetched back in a second transaction on every view of step 1.
    """
    challenge = captcha.live_challenge(current_id)
    if challenge is not None:
        return challenge.id
    challenge_id = captcha.challenge_for(captcha.client_key(get_remote_address())).id
    db.session.commit()
    return challenge_id


def captcha_message(outcome: captcha.Outcome) -> str:
    if outcome is captcha.Outcome.WRONG:
        return _("The characters do not match the image. Try again.")
    if outcome is captcha.Outcome.EXHAUSTED:
        return _("That did not match several times. Here is a new image: type its characters.")
    return _("That image has expired. Here is a new one: type its characters.")


def captcha_media(challenge_id: str, render, mimetype: str):
    challenge = captcha.live_challenge(challenge_id) or abort(404)
    response = current_app.response_class(render(challenge), mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/captcha/<challenge_id>.png")
@limiter.limit("60 per minute")
def captcha_image(challenge_id: str):
    return captcha_media(challenge_id, captcha.image_png, "image/png")


@bp.get("/captcha/<challenge_id>.wav")
@limiter.limit("20 per minute")
def captcha_audio(challenge_id: str):
    return captcha_media(challenge_id, captcha.audio_wav, "audio/wav")


@bp.post("/captcha/new")
@limiter.limit("30 per minute")
def captcha_new():
    """For the script that swaps the image without reloading the page."""
    challenge = captcha.challenge_for(captcha.client_key(get_remote_address()))
    db.session.commit()
    return jsonify(
        id=challenge.id,
        image=url_for("register.captcha_image", challenge_id=challenge.id),
        audio=url_for("register.captcha_audio", challenge_id=challenge.id),
        message=_("A new image is shown."),
    )


# The letter -----------------------------------------------------------------------


@bp.get("/sent")
def sent():
    draft = drafts.current_draft()
    if draft is None:
        return redirect(url_for("register.email"))
    if draft.completed_at is not None:
        return redirect(url_for("account.overview"))
    letter = latest_letter(draft)
    state = drafts.resend_state(draft)
    return render_template(
        "register/sent.html",
        draft=draft,
        letter=letter,
        delivery=delivery_state(letter),
        resend=state,
        wait_text=wait_message(state.wait_seconds),
        form=ResendForm(),
        progress=progress("email", draft),
        continue_url=step_url(draft) if draft.confirmed_at else None,
    )


@bp.get("/sent/status")
def sent_status():
    """The letter's delivery state, for the script that keeps "Check your mail" current."""
    draft = drafts.current_draft()
    if draft is None or draft.completed_at is not None:
        return jsonify(state="none"), 404
    letter = latest_letter(draft)
    delivery = delivery_state(letter)
    return jsonify(
        state=delivery,
        html=render_template("register/_delivery.html", letter=letter, delivery=delivery),
        next_url=step_url(draft) if draft.confirmed_at else None,
    )


def wait_message(seconds: int) -> str:
    return ngettext(
        "You can send it again in %(num)d second.",
        "You can send it again in %(num)d seconds.",
        seconds,
    )


@bp.post("/resend")
@limiter.limit(register_limit)
def resend():
    draft = drafts.current_draft()
    if draft is None or draft.completed_at is not None:
        return redirect(url_for("register.email"))
    sent_again, state = drafts.resend(draft)
    if sent_again:
        flash(_("We sent the email again. Any link from an earlier email still works."))
    else:
        flash_refused_resend(state)
    return redirect(url_for("register.sent"))


def flash_refused_resend(state: drafts.ResendState) -> None:
    """Why "send it again" did not: today's resends are used up, or the wait runs on
    (registration's and the password reset's alike)."""
    if state.left_today == 0:
        flash(
            _(
                "You have asked for the email several times today. Look in the spam folder, "
                "check the address, or write to support."
            ),
            "error",
        )
    else:
        flash(wait_message(state.wait_seconds), "error")


@bp.get("/confirm/<token>")
def confirm(token: str):
    result = drafts.confirm(token)
    if isinstance(result, drafts.LinkProblem):
        status = {"invalid": 400, "expired": 410, "wallet_exists": 200}[result.value]
        return render_template("register/link_problem.html", problem=result.value), status
    flash(_("Thank you: your email address is confirmed."))
    return redirect(step_url(result))


# Steps 2-4 ------------------------------------------------------------------------


@bp.route("/personal", methods=["GET", "POST"])
@wizard_step("personal")
def personal(draft):
    kept = unsaved.from_draft(draft, "personal") if request.method == "GET" else None
    form = unsaved.refilled(PersonalForm, kept) if kept else PersonalForm(data=draft.personal or {})
    form.set_countries(select_locale())
    if form.validate_on_submit():
        next_step = drafts.save_personal(draft, form.cleaned)
        return redirect(url_for(STEP_ENDPOINTS[next_step]))
    if kept:
        form.validate()  # the errors it came back with, in this page's language
    elif request.method == "POST":
        drafts.keep_unsaved(draft, "personal", form)
    return render_template(
        "register/personal.html",
        form=form,
        progress=progress("personal", draft),
        document_types=document_kinds.offer_table_json(select_language()),
        patronymic_countries=sorted(document_kinds.PATRONYMIC_COUNTRIES),
    )


@bp.route("/security", methods=["GET", "POST"])
@wizard_step("security")
def security(draft):
    kept = unsaved.from_draft(draft, "security") if request.method == "GET" else None
    chosen = {"question_1": draft.question_1, "question_2": draft.question_2}
    form = unsaved.refilled(SecurityForm, kept) if kept else SecurityForm(data=chosen)
    personal = draft.personal or {}
    form.setup(
        email=draft.email,
        names=(personal.get("first_name", ""), personal.get("last_name", "")),
        keeping=draft.security_done,
        kept_questions=(draft.question_1, draft.question_2),
    )
    if request.method == "POST" and form.back.data:
        drafts.save_questions(
            draft,
            form.question_1.data if form.question_1.known(form.question_1.data) else None,
            form.question_2.data if form.question_2.known(form.question_2.data) else None,
        )
        return redirect(url_for("register.personal"))
    if form.validate_on_submit():
        next_step = drafts.save_security(
            draft,
            password_hash=hash_secret(form.password.data) if form.password.data else None,
            question_1=form.question_1.data,
            answer_1_hash=answer_hash(form.answer_1.data),
            question_2=form.question_2.data,
            answer_2_hash=answer_hash(form.answer_2.data),
        )
        return redirect(url_for(STEP_ENDPOINTS[next_step]))
    if kept:
        form.validate()
    elif request.method == "POST":
        drafts.keep_unsaved(draft, "security", form)
    return render_template(
        "register/security.html",
        form=form,
        keeping=draft.security_done,
        progress=progress("security", draft),
    )


def already_opened(draft):
    """A second submit (a double click, another browser holding the same draft)."""
    account = drafts.just_opened_account(draft)
    if account is not None:
        auth.sign_in(account)
        db.session.commit()
        return redirect(url_for("account.overview"))
    flash(_("Your wallet is already open. Sign in to use it."))
    return redirect(url_for("account.login"))


def answer_hash(answer: str | None) -> str | None:
    """An empty answer keeps the one given before (the form has checked it may)."""
    return hash_answer(answer) if answer and answer.strip() else None


@bp.route("/refunds", methods=["GET", "POST"])
@wizard_step("refunds")
def refunds(draft):
    form = RefundsForm(data={"refund_to_wallet": draft.refund_to_wallet})
    if request.method == "POST" and form.back.data:
        drafts.save_refund_choice(draft, form.refund_to_wallet.data)
        return redirect(url_for("register.security"))
    address_taken = False
    if form.validate_on_submit():
        try:
            account = drafts.open_wallet(
                draft, form.refund_to_wallet.data, consented=form.consent_personal_data.data
            )
        except drafts.AlreadyOpened:
            return already_opened(draft)
        except drafts.AddressTaken:
            address_taken = True
        else:
            auth.sign_in(account)
            db.session.commit()
            flash(_("Your wallet is open. Welcome!"))
            return redirect(url_for("account.overview"))
    return render_template(
        "register/refunds.html",
        form=form,
        draft=draft,
        sections=review_sections(draft, select_locale()),
        address_taken=address_taken,
        progress=progress("refunds", draft),
    )
