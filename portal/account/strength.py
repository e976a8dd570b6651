"""The live strength check of a new password: the form's own rule, asked as one types.

The script posts the password (never in a URL, never logged) and shows the answer
next to the field. The words the rule refuses (the address, the names) come from what
the server knows of the page's owner, not from the request."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from portal import auth
from portal.account import bp, recovery
from portal.extensions import limiter
from portal.passwords import MAX_LENGTH, password_problem


def strength_limit() -> str:
    return current_app.config["PASSWORD_STRENGTH_RATE_LIMIT"]


def owner_inputs(purpose: str, token: str) -> tuple[str, tuple[str, ...]]:
    """The address and names the page's password must not contain."""
    if purpose == "recover":
        account = recovery.account_for_token(token)
        if isinstance(account, recovery.LinkProblem):
            return "", ()
        return account.email, (account.first_name, account.last_name)
    if purpose == "account":
        account = auth.current_account()
        return (account.email, (account.first_name, account.last_name)) if account else ("", ())
    from portal.register.drafts import current_draft

    draft = current_draft()
    if draft is None:
        return "", ()
    personal = draft.personal or {}
    return draft.email, (personal.get("first_name", ""), personal.get("last_name", ""))


@bp.post("/password/strength")
@limiter.limit(strength_limit)
def password_strength():
    password = request.form.get("password", "")[: MAX_LENGTH + 1]
    if not password:
        return jsonify(strong=False, message="")
    email, names = owner_inputs(request.form.get("purpose", ""), request.form.get("token", ""))
    problem = password_problem(password, email, names)
    if problem:
        return jsonify(strong=False, message=problem)
    return jsonify(strong=True, message=_("Good: this password is hard to guess."))
