"""Dates and times as people read them (portal/moments.py): each language's own words,
British English for English, the zone the browser told (the tz cookie) or DEFAULT_TIMEZONE,
and <time datetime> to the second."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import render_template

from config import ConfigError
from portal.letters import render_letter
from portal.moments import date_text, machine_time, moment_text
from tests.conftest import make_app
from tests.journey import Person, start

SENT = datetime(2026, 12, 2, 11, 40, 7, 123456, tzinfo=UTC)
# In Paris (UTC+1 in December) that is 12:40.
PARIS = {"Cookie": "tz=Europe/Paris"}

IN_PARIS = {
    "en": "2 December 2026 at 12:40",
    "ru": "2 декабря 2026\u202fг. в 12:40",
    "fr": "2 décembre 2026 à 12:40",
}
SENT_SENTENCE = {
    "en": "Sent on 2 December 2026 at 12:40. It usually arrives within a few minutes.",
    "ru": "Отправлено 2 декабря 2026\u202fг. в 12:40. Обычно письмо приходит",
    "fr": "Envoyé le 2 décembre 2026 à 12:40. Il arrive généralement en quelques minutes.",
}


def plain(html: str) -> str:
    """The text of some HTML, its no-break spaces kept (they are part of the typography)."""
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", "", str(html)))).strip()


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_a_moment_reads_in_each_language_in_the_readers_zone(sqlite_app, language):
    with sqlite_app.test_request_context(f"/?lang={language}", headers=PARIS):
        assert moment_text(SENT) == IN_PARIS[language]
        assert date_text(SENT) == IN_PARIS[language].rsplit(" ", 2)[0]


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_check_your_mail_says_when_the_letter_was_sent(sqlite_app, language):
    letter = SimpleNamespace(sent_at=SENT, created_at=SENT)
    with sqlite_app.test_request_context(f"/?lang={language}", headers=PARIS):
        html = render_template("register/_delivery.html", letter=letter, delivery="sent")
    assert plain(html).startswith(SENT_SENTENCE[language])
    assert '<time datetime="2026-12-02T11:40:07+00:00" data-local-time="Europe/Paris">' in html


def test_the_delivery_states_are_sentences(sqlite_app):
    letter = SimpleNamespace(sent_at=SENT, created_at=SENT)
    with sqlite_app.test_request_context("/?lang=en"):
        queued = render_template("register/_delivery.html", letter=letter, delivery="queued")
        trouble = render_template("register/_delivery.html", letter=letter, delivery="trouble")
    assert plain(queued) == "We are sending it."
    assert plain(trouble).startswith("We're having trouble delivering it; we keep trying.")
    for jargon in ("queued", "status", "Queued"):
        assert jargon not in plain(queued) + plain(trouble)


def test_without_the_browsers_zone_the_default_zone_is_named(app_factory):
    app = app_factory(DEFAULT_TIMEZONE="Europe/Moscow")
    with app.test_request_context("/?lang=en"):
        assert moment_text(SENT) == "2 December 2026 at 14:40\u00a0GMT+03:00"
    with app.test_request_context("/?lang=fr", headers=PARIS):
        assert moment_text(SENT) == "2 décembre 2026 à 12:40"
    with make_app("sqlite://").test_request_context("/?lang=en"):
        assert moment_text(SENT) == "2 December 2026 at 11:40\u00a0UTC"


@pytest.mark.parametrize("name", ["Mars/Olympus", "Nowhere", "Europe/Paris"])
def test_a_default_zone_must_be_a_real_one(name):
    if name == "Europe/Paris":
        assert make_app("sqlite://", DEFAULT_TIMEZONE=name).config["DEFAULT_TIMEZONE"] == name
        return
    with pytest.raises(ConfigError, match="DEFAULT_TIMEZONE"):
        make_app("sqlite://", DEFAULT_TIMEZONE=name)


TIME = re.compile(r'<time datetime="([^"]+)" data-local-time="([^"]*)">([^<]+)</time>')


def listed_times(client) -> list[tuple[str, str, str]]:
    page = client.get("/dev/mail")
    assert page.status_code == 200
    return TIME.findall(page.get_data(as_text=True))


def expected_text(iso: str, zone: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M}"


def test_the_tz_cookie_is_honoured(app):
    client = app.test_client()
    start(client, Person(email="tokyo@example.com", language="en"))
    client.set_cookie("tz", "Asia/Tokyo")
    times = listed_times(client)
    assert times
    for iso, zone, shown in times:
        assert zone == "Asia/Tokyo"
        assert shown == expected_text(iso, "Asia/Tokyo")


@pytest.mark.parametrize(
    "junk",
    ["Mars/Olympus", "../../etc/passwd", "Europe/Paris; x", "A" * 300, "", "/etc/localtime"],
)
def test_a_junk_tz_cookie_is_ignored(app, junk):
    client = app.test_client()
    start(client, Person(email="junk@example.com", language="en"))
    client.set_cookie("tz", junk)
    times = listed_times(client)
    assert times
    for iso, zone, shown in times:
        assert zone == ""
        assert shown == expected_text(iso, "UTC") + "\u00a0UTC"


def test_times_for_machines_are_iso_to_the_second():
    assert machine_time(SENT) == "2026-12-02T11:40:07+00:00"
    assert machine_time(SENT.replace(tzinfo=None)) == "2026-12-02T11:40:07+00:00"
    moscow = SENT.astimezone(ZoneInfo("Europe/Moscow"))
    assert machine_time(moscow) == "2026-12-02T14:40:07+03:00"


def test_letters_use_the_default_zone_whatever_the_browser_said(sqlite_app):
    until = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    with sqlite_app.test_request_context("/", headers={"Cookie": "tz=Asia/Tokyo"}):
        letters = {
            language: render_letter(
                "payment_password_locked",
                "jean@example.com",
                language,
                until=until,
                name="Jean",
                settings_url="https://wallet.example/account/payment-password",
                forgot_url="https://wallet.example/account/payment-password/forgot",
            )
            for language in ("en", "ru", "fr")
        }
    assert "locked until 3 December 2026 at 14:05\u00a0UTC:" in letters["en"].body_text
    assert "до 3 декабря 2026\u202fг. в 14:05\u00a0UTC:" in letters["ru"].body_text
    assert "jusqu’au 3 décembre 2026 à 14:05\u00a0UTC\u00a0:" in letters["fr"].body_text
    assert "jusqu’au 3 décembre 2026 à 14:05\u00a0UTC\u00a0:" in plain(letters["fr"].body_html)


def test_every_date_goes_through_the_one_helper():
    """No template or view formats a date by itself (Flask-Babel's filters, isoformat,
    strftime): each would read in American English, or in UTC, or with microseconds."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    own = re.compile(r"\|\s*(?:dateformat|datetimeformat|timeformat)\b|\.isoformat\(|strftime\(")
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted((root / "templates").rglob("*"))
        if path.is_file()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if own.search(line)
    ]
    views = re.compile(r"\bformat_(?:date|datetime|time)\(")
    found += [
        f"{path.relative_to(root)}:{number}"
        for path in sorted((root / "portal").rglob("*.py"))
        if path.name != "moments.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if views.search(line)
    ]
    assert found == []
