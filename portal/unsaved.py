"""What a person typed into a form that came back with errors, kept until the form is sent
right, so that switching the page's language (a plain link, ``?lang=``), or leaving and
coming back, shows it again with its errors, now in the new language.

Only what may be shown again is kept: never a password, a security answer, a captcha, a
file or a button (``PortalForm.not_kept`` names the text fields that are secrets). Wizard
steps keep it with their draft, server-side like the rest of the draft's personal data; the
small signed-out forms (an address) keep it in the session cookie, and only when it is
small.
"""

from __future__ import annotations

import json

from flask import session
from flask_wtf.csrf import generate_csrf
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, SubmitField

SESSION_KEY = "unsaved"
# An address, a name: what a person types into a signed-out form. Anything larger was
# not typed by a person, and a cookie has little room.
SESSION_MAX_CHARS = 600


def typed(form) -> dict[str, list[str]]:
    """The values of the fields that may be shown again, as the browser sent them."""
    skipped = (PasswordField, FileField, HiddenField, SubmitField)
    return {
        field.name: [value for value in field.raw_data if isinstance(value, str)]
        for field in form
        if not isinstance(field, skipped)
        and field.name not in getattr(form, "not_kept", ())
        and field.raw_data
    }


def refilled(form_class, values: dict[str, list[str]], **kwargs):
    """A form filled as if ``values`` were sent again now (with this session's CSRF token),
    to be validated so that its errors show in the page's language."""
    formdata = MultiDict([(name, value) for name, items in values.items() for value in items])
    formdata["csrf_token"] = generate_csrf()
    return form_class(formdata=formdata, **kwargs)


# Wizard steps: in the draft --------------------------------------------------------


def keep_in_draft(draft, step: str, form) -> None:
    draft.unsaved = {**(draft.unsaved or {}), step: typed(form)}


def from_draft(draft, step: str) -> dict[str, list[str]] | None:
    return (draft.unsaved or {}).get(step)


def forget_in_draft(draft, step: str) -> None:
    if draft.unsaved and step in draft.unsaved:
        draft.unsaved = {name: values for name, values in draft.unsaved.items() if name != step}


# Signed-out forms: in the session --------------------------------------------------


def keep_in_session(page: str, form) -> None:
    values = typed(form)
    kept = {**session.get(SESSION_KEY, {}), page: values}
    if len(json.dumps(kept, ensure_ascii=False)) <= SESSION_MAX_CHARS:
        session[SESSION_KEY] = kept
    else:
        forget_in_session(page)


def from_session(page: str) -> dict[str, list[str]] | None:
    kept = session.get(SESSION_KEY)
    return kept.get(page) if isinstance(kept, dict) else None


def forget_in_session(page: str) -> None:
    kept = session.get(SESSION_KEY)
    if isinstance(kept, dict) and page in kept:
        rest = {name: values for name, values in kept.items() if name != page}
        if rest:
            session[SESSION_KEY] = rest
        else:
            session.pop(SESSION_KEY)
