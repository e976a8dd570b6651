"""Identity documents as each country issues them: which ones a citizen can show, what
they are called there, and what their numbers look like.

The keys (``passport``, ``national_id``, ``driving_licence``) are SPEC.md's values of
``document_type``; what changes per country is the name a person knows the document
by and the shape of its number. A Russian citizen's ``national_id`` is the internal
passport ("паспорт РФ"), and ``passport`` the international one ("загранпаспорт").
"""

from __future__ import annotations

import json
import re
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PASSPORT, NATIONAL_ID, DRIVING_LICENCE = "passport", "national_id", "driving_licence"

DOCUMENT_TYPES = {
    PASSPORT: _l("Passport"),
    DRIVING_LICENCE: _l("Driving licence"),
    NATIONAL_ID: _l("National identity card"),
}

# Citizenships whose documents are named (or limited) in their own way. A passport and an
# identity card are issued by the country of citizenship; a driving licence may not be,
# so it keeps its general name and the form asks which country issued it.
COUNTRY_DOCUMENTS = {
    # Federal law 115-FZ identifies a Russian citizen by a passport: no driving licence.
    "RU": {
        NATIONAL_ID: _l("Russian internal passport (паспорт РФ)"),
        PASSPORT: _l("Russian international passport (заграничный паспорт)"),
    },
    "FR": {
        NATIONAL_ID: _l("French national identity card (carte nationale d’identité)"),
        PASSPORT: _l("French passport"),
        DRIVING_LICENCE: DOCUMENT_TYPES[DRIVING_LICENCE],
    },
    "BE": {
        NATIONAL_ID: _l("Belgian identity card (carte d’identité)"),
        PASSPORT: _l("Belgian passport"),
        DRIVING_LICENCE: DOCUMENT_TYPES[DRIVING_LICENCE],
    },
    "DE": {
        NATIONAL_ID: _l("German identity card (Personalausweis)"),
        PASSPORT: _l("German passport (Reisepass)"),
        DRIVING_LICENCE: DOCUMENT_TYPES[DRIVING_LICENCE],
    },
    "KZ": {
        NATIONAL_ID: _l("Kazakh identity card (удостоверение личности)"),
        PASSPORT: _l("Kazakh passport"),
        DRIVING_LICENCE: DOCUMENT_TYPES[DRIVING_LICENCE],
    },
    "UA": {
        NATIONAL_ID: _l("Ukrainian ID card or internal passport"),
        PASSPORT: _l("Ukrainian international passport"),
        DRIVING_LICENCE: DOCUMENT_TYPES[DRIVING_LICENCE],
    },
    "BY": {
        NATIONAL_ID: _l("Belarusian passport or ID card"),
        DRIVING_LICENCE: DOCUMENT_TYPES[DRIVING_LICENCE],
    },
}
# Countries that issue no national identity card: a passport or a driving licence.
NO_IDENTITY_CARD = frozenset({"GB", "US", "CA", "AU", "NZ", "IE", "DK"})
UK_NAMES = {PASSPORT: _l("UK passport"), DRIVING_LICENCE: DOCUMENT_TYPES[DRIVING_LICENCE]}

# Citizenships whose documents carry a patronymic (отчество).
PATRONYMIC_COUNTRIES = frozenset({"RU", "BY", "KZ", "UA", "KG", "TJ", "UZ", "TM", "AZ", "AM", "MD"})


def document_types_for(citizenship: str | None) -> dict[str, object]:
    """The documents a person of this citizenship can show, by the names used there.
    Without a citizenship yet: the three kinds by their general names."""
    if citizenship in COUNTRY_DOCUMENTS:
        return dict(COUNTRY_DOCUMENTS[citizenship])
    if citizenship == "GB":
        return dict(UK_NAMES)
    if citizenship in NO_IDENTITY_CARD:
        return {key: DOCUMENT_TYPES[key] for key in (PASSPORT, DRIVING_LICENCE)}
    return dict(DOCUMENT_TYPES)


def offer_table() -> dict[str, list[list[str]]]:
    """For the script that shows the documents of a citizenship as soon as it is chosen:
    ``"*"`` for every citizenship not named in it."""
    named = {*COUNTRY_DOCUMENTS, *NO_IDENTITY_CARD}
    table = {"*": document_types_for(None)} | {code: document_types_for(code) for code in named}
    return {
        code: [[key, str(label)] for key, label in offered.items()]
        for code, offered in sorted(table.items())
    }


@cache
def offer_table_json(language: str) -> str:
    """``offer_table`` as the page's JSON, made once per language (``language`` is the
    page's: the labels are read in it)."""
    return json.dumps(offer_table(), ensure_ascii=False, separators=(",", ":"))


def document_label(document_type: str, citizenship: str | None) -> str:
    """The document's name for the review, the account and the support desk."""
    label = document_types_for(citizenship).get(document_type) or DOCUMENT_TYPES.get(document_type)
    return str(label) if label else document_type


def has_patronymic(citizenship: str | None) -> bool:
    return citizenship in PATRONYMIC_COUNTRIES


def issuer_may_differ(document_type: str | None) -> bool:
    """A passport or an identity card comes from the country of citizenship; a driving
    licence from wherever the person passed the test."""
    return document_type == DRIVING_LICENCE


# (document type, issuing country) -> (pattern on the number without spaces/dashes, message)
_RU_INTERNAL = _l(
    "The number of a Russian internal passport has 10 digits: the 4-digit series and the "
    "6-digit number, for example 4509 123456."
)
NUMBER_RULES: dict[tuple[str, str], tuple[str, object]] = {
    (NATIONAL_ID, "RU"): (r"\d{10}", _RU_INTERNAL),
    (PASSPORT, "RU"): (
        r"\d{9}",
        _l(
            "The number of a Russian international passport has 9 digits: the 2-digit "
            "series and the 7-digit number, for example 75 1234567."
        ),
    ),
    (DRIVING_LICENCE, "RU"): (
        r"\d{10}|\d{2}[А-ЯA-Z]{2}\d{6}",
        _l("A Russian driving licence number has 10 characters, for example 77 12 345678."),
    ),
    (PASSPORT, "FR"): (
        r"[0-9A-Z]{9}",
        _l("A French passport number has 9 letters and digits, for example 18AB12345."),
    ),
    (NATIONAL_ID, "FR"): (
        r"[0-9A-Z]{9}|\d{12}",
        _l(
            "A French identity card number has 9 letters and digits (12 digits on older "
            "cards), for example X4RTBPFW4."
        ),
    ),
    (PASSPORT, "GB"): (
        r"\d{9}",
        _l("A UK passport number has 9 digits, for example 123456789."),
    ),
    (DRIVING_LICENCE, "GB"): (
        r"[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}(\d{2})?",
        _l("A UK driving licence number has 16 letters and digits, for example MORGA753116SM9IJ."),
    ),
    (PASSPORT, "US"): (
        r"\d{9}|[A-Z]\d{8}",
        _l("A US passport number has 9 digits, or a letter and 8 digits."),
    ),
    (PASSPORT, "DE"): (
        r"[CFGHJKLMNPRTVWXYZ0-9]{9}",
        _l("A German passport number has 9 letters and digits, for example C01X00T47."),
    ),
    (NATIONAL_ID, "DE"): (
        r"[CFGHJKLMNPRTVWXYZ0-9]{9}",
        _l("A German identity card number has 9 letters and digits, for example L01X00T47."),
    ),
}
GENERIC_NUMBER = r"(?=.*\d)[0-9A-Z]{5,20}"
# The two Russian passports are easily taken for each other: a number of the other kind
# says which one to choose.
MISTAKEN_FOR = {
    (PASSPORT, "RU"): (
        NATIONAL_ID,
        _l(
            "This is the number of an internal passport (10 digits). Choose “Russian "
            "internal passport (паспорт РФ)” above, or enter the 9 digits of your "
            "international passport."
        ),
    ),
    (NATIONAL_ID, "RU"): (
        PASSPORT,
        _l(
            "This is the number of an international passport (9 digits). Choose “Russian "
            "international passport (заграничный паспорт)” above, or enter the 10 digits "
            "of your internal passport."
        ),
    ),
}


def number_problem(number: str, document_type: str, issuer: str | None) -> str | None:
    """Why ``number`` (already without separators, upper-cased) cannot be this document's."""
    pattern, message = NUMBER_RULES.get((document_type, issuer or ""), (GENERIC_NUMBER, None))
    if re.fullmatch(pattern, number):
        return None
    mistaken = MISTAKEN_FOR.get((document_type, issuer or ""))
    if mistaken and re.fullmatch(NUMBER_RULES[(mistaken[0], issuer)][0], number):
        return str(mistaken[1])
    if message:
        return str(message)
    return _("Enter the document number as printed: 5 to 20 letters and digits.")


def format_number(number: str, document_type: str, issuer: str | None) -> str:
    """As printed: a Russian passport's series apart from its number."""
    if issuer == "RU" and document_type in (NATIONAL_ID, PASSPORT) and number.isdigit():
        split = 4 if len(number) == 10 else 2 if len(number) == 9 else 0
        if split:
            return f"{number[:split]} {number[split:]}"
    return number
