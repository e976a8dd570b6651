"""Step 1: "Did you mean …?" for an address one slip from a common provider's."""

import re

import pytest

from portal.email_typos import distance, suggestion
from tests.journey import CAPTCHA_ID, CSRF, Person, hidden, letters, start, submit, text

EMAIL_CHECKED = re.compile(r'name="email_checked" type="hidden" value="([^"]*)"')


@pytest.mark.parametrize(
    ("typed", "language", "suggested"),
    [
        ("ivan@gmial.com", "en", "ivan@gmail.com"),  # two letters swapped
        ("ivan@yandex.ri", "ru", "ivan@yandex.ru"),
        ("ivan@mail.r", "ru", "ivan@mail.ru"),  # a letter missing
        ("ivan@bk.ry", "ru", "ivan@bk.ru"),
        ("jean@hotmial.fr", "fr", "jean@hotmail.fr"),
        ("jean@orange.ff", "fr", "jean@orange.fr"),
        ("jean@laposte.nte", "fr", "jean@laposte.net"),
        ("jane@gnail.con", "en", "jane@gmail.com"),  # two slips in a longer domain
        ("Jane.Doe@Outlok.com", "en", "Jane.Doe@outlook.com"),
    ],
)
def test_typos_of_common_providers_get_a_suggestion(typed, language, suggested):
    assert suggestion(typed, language) == suggested


@pytest.mark.parametrize(
    "typed",
    [
        "ivan@yandex.ru",
        "anna@mail.com",  # a provider of its own, not mail.ru mistyped
        "hans@gmx.de",
        "hans@yahoo.de",
        "jean@example.com",
        "a@b.ru",  # too short to guess
        "jean@wallet.example",
        "jean@mairie-lyon.fr",
        "no-at-sign.example.com",
    ],
)
def test_real_or_unknown_domains_are_left_alone(typed):
    for language in ("en", "ru", "fr"):
        assert suggestion(typed, language) is None


def test_distance_counts_a_swap_as_one_edit():
    assert distance("gmial.com", "gmail.com") == 1
    assert distance("mail.r", "mail.ru") == 1
    assert distance("yandex.ru", "yandex.ru") == 0
    assert distance("abc", "xyz") == 3


def typo_page(client, email: str, language: str = "en") -> str:
    response = start(client, Person(email=email, language=language))
    assert response.status_code == 200
    return text(response)


def post_again(client, html: str, **data):
    payload = {
        "csrf_token": hidden(html, CSRF),
        "captcha_id": hidden(html, CAPTCHA_ID),
        "email": data.pop("email", None) or re.search(r'name="email"[^>]*value="([^"]*)"', html)[1],
        "captcha": re.search(r'name="captcha"[^>]*value="([^"]*)"', html)[1],
        "email_checked": hidden(html, EMAIL_CHECKED),
        **data,
    }
    return client.post("/register", data=payload)


def test_a_typo_is_shown_before_any_letter_goes(client, app):
    html = typo_page(client, "ivan@gmial.com")
    assert "Did you mean ivan@gmail.com?" in html
    assert 'name="suggested_email" value="ivan@gmail.com"' in html
    assert 'value="ivan@gmial.com"' in html  # the address as typed stays in its field
    assert re.search(r'name="captcha"[^>]*value="TEST7"', html)  # so does the captcha
    assert 'aria-describedby="email-hint email-suggestion"' in html
    # Enter still sends the letter to the address as typed: "Send" is the first button.
    form = html[html.index("<form") : html.index("</form>")]
    first = re.search(r'<(input|button)[^>]*type="submit"[^>]*>', form).group(0)
    assert 'name="submit"' in first
    assert letters(app, kind="confirm") == []


def test_the_suggestion_can_be_accepted_without_javascript(client, app):
    html = typo_page(client, "ivan@gmial.com")
    response = post_again(client, html, suggested_email="ivan@gmail.com")
    assert response.headers["Location"] == "/register/sent"
    assert [letter.recipient for letter in letters(app, kind="confirm")] == ["ivan@gmail.com"]


def test_sending_again_as_typed_goes_on(client, app):
    html = typo_page(client, "ivan@gmial.com")
    response = post_again(client, html, submit="1")
    assert response.headers["Location"] == "/register/sent"
    assert [letter.recipient for letter in letters(app, kind="confirm")] == ["ivan@gmial.com"]


def test_another_typo_gets_its_own_suggestion(client, app):
    html = typo_page(client, "ivan@gmial.com")
    again = text(post_again(client, html, submit="1", email="ivan@yandex.ri"))
    assert "Did you mean ivan@yandex.ru?" in again
    assert letters(app, kind="confirm") == []


def test_a_right_address_goes_straight_on(client, app):
    response = start(client, Person(email="ivan@yandex.ru", language="ru"))
    assert response.headers["Location"] == "/register/sent"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Вы имели в виду ivan@mail.ru?"),
        ("fr", "Vouliez-vous dire ivan@mail.ru\u202f?"),
    ],
)
def test_the_suggestion_speaks_the_page_language(client, language, expected):
    assert expected in typo_page(client, "ivan@mail.r", language)


def test_recovery_suggests_the_address_too(client):
    html = text(submit(client, "/recover?lang=fr", {"email": "jean@orange.ff"}))
    assert "Vouliez-vous dire jean@orange.fr\u202f?" in html
    assert 'name="suggested_email" value="jean@orange.fr"' in html
    form = html[html.index("<form") : html.index("</form>")]
    first = re.search(r'<(input|button)[^>]*type="submit"[^>]*>', form).group(0)
    assert 'name="submit"' in first
    accepted = client.post(
        "/recover",
        data={
            "csrf_token": hidden(html, CSRF),
            "email": "jean@orange.ff",
            "email_checked": hidden(html, EMAIL_CHECKED),
            "suggested_email": "jean@orange.fr",
        },
    )
    assert accepted.headers["Location"] == "/recover/sent"
    assert "jean@orange.fr" in text(client.get("/recover/sent"))


def test_recovery_as_typed_goes_on_the_second_time(client):
    html = text(submit(client, "/recover", {"email": "jean@orange.ff"}))
    again = client.post(
        "/recover",
        data={
            "csrf_token": hidden(html, CSRF),
            "email": "jean@orange.ff",
            "email_checked": hidden(html, EMAIL_CHECKED),
            "submit": "1",
        },
    )
    assert again.headers["Location"] == "/recover/sent"
    assert "jean@orange.ff" in text(client.get("/recover/sent"))
