"""What step 4 shows back to the person before the wallet is opened."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from portal import document_kinds, identity
from portal.countries import country_name
from portal.models import Draft
from portal.moments import date_text
from portal.questions import question_text
from portal.register.drafts import parse_iso_date


def birth_date_text(value: str | None) -> str:
    """A date is data, not text to translate: marked up as such (``<time>``)."""
    born = parse_iso_date(value)
    if born is None:
        return ""
    return Markup('<time datetime="{}">{}</time>').format(born.isoformat(), date_text(born))


def full_name(personal: dict) -> str:
    parts = (personal.get(name) for name in ("first_name", "patronymic", "last_name"))
    return " ".join(part for part in parts if part)


def document_text(personal: dict, locale: str) -> str:
    """ "Russian internal passport (паспорт РФ), 4509 123456", with the issuing country
    when it is not the citizenship's (a driving licence passed elsewhere)."""
    document_type = personal.get("document_type", "")
    citizenship = personal.get("citizenship", "")
    issuer = personal.get("document_country") or citizenship
    text = "{}, {}".format(
        document_kinds.document_label(document_type, citizenship),
        identity.format_document_number(personal.get("document_number", ""), document_type, issuer),
    )
    if issuer and issuer != citizenship:
        country = country_name(issuer, locale)
        # TRANSLATORS: "Driving licence, 123456789, issued by Germany" in the review.
        text = _("%(document)s, issued by %(country)s", document=text, country=country)
    return text


def review_sections(draft: Draft, locale: str) -> list[dict]:
    personal = draft.personal or {}
    citizenship = personal.get("citizenship", "")
    address = ", ".join(
        part
        for part in (
            personal.get("street"),
            personal.get("city"),
            personal.get("region"),
            personal.get("postal_code"),
            country_name(personal.get("country"), locale),
        )
        if part
    )
    return [
        {
            "title": _("Email"),
            "edit_url": None,
            "rows": [(_("Email address"), draft.email)],
        },
        {
            "title": _("Personal details"),
            "edit_url": url_for("register.personal"),
            "edit_label": _("Edit personal details"),
            "rows": [
                (_("Name"), full_name(personal)),
                (_("Date of birth"), birth_date_text(personal.get("birth_date"))),
                (_("Citizenship"), country_name(citizenship, locale)),
                (_("Identity document"), document_text(personal, locale)),
                (_("Address"), address),
                (_("Phone number"), identity.format_phone(personal.get("phone", ""))),
            ],
        },
        {
            "title": _("Password and security questions"),
            "edit_url": url_for("register.security"),
            "edit_label": _("Edit password and security questions"),
            "rows": [
                # TRANSLATORS: shown instead of the password in the review of step 4.
                (_("Password"), _("Chosen (not shown)")),
                (_("First security question"), question_text(draft.question_1)),
                (_("Second security question"), question_text(draft.question_2)),
            ],
        },
    ]
