"""Every page and every letter goes through the catalogs, and none keeps English.

The pseudo-locale (en-XA) brackets every catalog string: text left outside the
brackets was written somewhere the translators will never see it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel import Locale

from config import Config
from portal.i18n import language_name
from portal.letters import SUBJECTS, enqueue_letter
from portal.pseudo import CLOSE, OPEN
from tests.conftest import clear_tables
from tests.journey import Person
from tests.pages import SHOP_ITEM, SHOP_NAME, every_page, visible_text

# A catalog string, with the catalog strings nested in it (a date and time "⟦… at …⟧" in a
# sentence).
_OUTSIDE = f"[^{re.escape(OPEN)}{re.escape(CLOSE)}]"
BRACKETED = re.compile(
    re.escape(OPEN)
    + f"(?:{_OUTSIDE}|{re.escape(OPEN)}{_OUTSIDE}*{re.escape(CLOSE)})*"
    + re.escape(CLOSE),
    re.S,
)
# Text that is data, not wording: what people typed, names of languages in their own
# language, CLDR's country names, addresses and identifiers.
DATA = sorted(
    {
        *(value for value in vars(Person()).values() if isinstance(value, str)),
        f"{Person().first_name} {Person().last_name}",
        "+33 6 12 34 56 78",
        *(language_name(code) for code in [*Config.LANGUAGES, "en-XA"]),
        "Message-ID",
        SHOP_NAME,
        SHOP_ITEM,
        *Locale.parse("en").territories.values(),
    },
    key=len,
    reverse=True,
)
DATA_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w.-]+"),  # e-mail addresses, Message-IDs
    re.compile(r"https?://\S+"),
    re.compile(r"<[^>]*>"),
]


def without_data(text: str) -> str:
    for pattern in DATA_PATTERNS:
        text = pattern.sub(" ", text)
    for value in DATA:
        if value and value in text:
            text = text.replace(value, " ")
    return text


def outside_catalogs(chunk: str) -> str:
    """What is left of a text once catalog strings and data are taken out."""
    rest = without_data(BRACKETED.sub(" ", chunk))
    return rest if any(char.isalpha() for char in rest) else ""


def test_the_checker_catches_plain_text():
    assert outside_catalogs("⟦Šîgñ îñ⟧ now").strip() == "now"
    assert outside_catalogs("⟦Hélló⟧ jean.dupont@example.com · 12") == ""


def test_every_page_goes_through_the_catalogs(sqlite_app):
    pages = every_page(sqlite_app, "en-XA")
    assert len(pages) >= 40
    problems = []
    for page in pages:
        assert page.status < 500, page.label
        assert '<html lang="en-XA">' in page.html, page.label
        problems += [
            f"{page.label}: {chunk!r}"
            for chunk in visible_text(page.html)
            if outside_catalogs(chunk)
        ]
    assert problems == []


LETTER_CONTEXT = {
    "confirm_url": "https://wallet.example/register/confirm/abc",
    "login_url": "https://wallet.example/login",
    "recover_url": "https://wallet.example/recover/abc",
    "account_url": "https://wallet.example/account",
    "valid_hours": 24,
    "valid_minutes": 60,
    "locked_minutes": 60,
    "name": "Jean",
    "until": datetime(2026, 12, 3, 14, 5, tzinfo=UTC),
    "hours": 24,
    "settings_url": "https://wallet.example/account/payment-password",
    "forgot_url": "https://wallet.example/account/payment-password/forgot",
    "reset_url": "https://wallet.example/account/payment-password/reset/abc",
}


@pytest.mark.parametrize("refund", [True, False])
@pytest.mark.parametrize("kind", sorted(SUBJECTS))
def test_every_letter_goes_through_the_catalogs(sqlite_app, kind, refund):
    with sqlite_app.test_request_context():
        letter = enqueue_letter(
            kind, "jean@example.com", "en-XA", refund_to_wallet=refund, **LETTER_CONTEXT
        )
        from portal.extensions import db

        db.session.rollback()
    assert letter.subject.startswith(OPEN)
    leftovers = [line for line in letter.body_text.splitlines() if outside_catalogs(line)]
    leftovers += [chunk for chunk in visible_text(letter.body_html) if outside_catalogs(chunk)]
    assert leftovers == []


def sentences(chunks: list[str]) -> set[str]:
    """Sentences of two words or more, outside data."""
    found = set()
    for chunk in chunks:
        for sentence in re.split(r"(?<=[.!?:])\s+", chunk):
            words = [word for word in without_data(sentence).split() if word.isalpha()]
            if len(words) >= 2:
                found.add(sentence.strip())
    return found


TRANSLATED = [code for code in Config.LANGUAGES if code != "en"]


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_sentence_is_left_in_russian_or_french(sqlite_app, language):
    english = {page.label: page for page in every_page(sqlite_app, "en")}
    with sqlite_app.app_context():
        clear_tables()  # the mailbox must list only this language's letters
    translated = every_page(sqlite_app, language)
    assert [page.label for page in translated] == list(english)
    problems = []
    for page in translated:
        assert f'<html lang="{language}">' in page.html, page.label
        left = sentences(visible_text(english[page.label].html)) & sentences(
            visible_text(page.html)
        )
        problems += [f"{page.label}: {sentence!r}" for sentence in sorted(left)]
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("kind", sorted(SUBJECTS))
def test_no_english_sentence_is_left_in_letters(sqlite_app, language, kind):
    rendered = {}
    with sqlite_app.test_request_context():
        for code in ("en", language):
            rendered[code] = enqueue_letter(
                kind, "jean@example.com", code, refund_to_wallet=True, **LETTER_CONTEXT
            )
        from portal.extensions import db

        db.session.rollback()
    english, translated = rendered["en"], rendered[language]
    assert translated.subject != english.subject
    left = sentences(english.body_text.splitlines()) & sentences(translated.body_text.splitlines())
    left |= sentences(visible_text(english.body_html)) & sentences(
        visible_text(translated.body_html)
    )
    assert left == set()
