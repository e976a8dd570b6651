"""Input nobody types, only sends: refused with a message, never a server error.

PostgreSQL refuses a NUL character in text, so an unchecked one reaching a query was a 500
on PostgreSQL and not on SQLite; every test here runs on both.
"""

import re

import pytest

from tests.journey import Person, letters, link_in, open_wallet, reach_personal, submit, text

NUL_MESSAGE = "“{}” contains a character that cannot be used. Type it again."
HOSTILE = ["jean\x00@example.com", "x" * 20_000, "\u202e\ufeff", "<script>alert(1)</script>"]


def error_next_to(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"><span[^>]*>[^<]*</span>([^<]+)</p>', html)
    return match.group(1) if match else ""


@pytest.mark.parametrize("value", HOSTILE)
def test_signing_in_with_hostile_input(client, value):
    response = submit(client, "/login", {"email": value, "password": value})
    assert response.status_code == 200


def test_a_nul_character_is_refused_next_to_its_field(client):
    html = text(submit(client, "/login", {"email": "jean\x00@example.com", "password": "pw"}))
    assert error_next_to(html, "email") == NUL_MESSAGE.format("Email address")
    # The rest of what was typed stays, and the character is not shown back.
    assert 'value="jean@example.com"' in html


def test_the_message_is_translated(client):
    client.get("/?lang=ru")
    html = text(submit(client, "/recover", {"email": "a\x00@example.com"}))
    assert error_next_to(html, "email") == (
        "Поле «Адрес электронной почты» содержит недопустимый символ. Введите значение заново."
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_every_wizard_step_with_hostile_input(app, value):
    person = Person()
    browser = app.test_client()
    assert submit(browser, "/register", {"email": value, "captcha": value}).status_code == 200
    assert submit(browser, "/recover", {"email": value}).status_code == 200
    reach_personal(browser, app, person)
    every_field = {name: value for name in person.personal()}
    assert submit(browser, "/register/personal", every_field).status_code == 200
    for name in person.personal():
        response = submit(browser, "/register/personal", {**person.personal(), name: value})
        assert response.status_code in (200, 302), name
    submit(browser, "/register/personal", person.personal())
    for name in person.security():
        response = submit(browser, "/register/security", {**person.security(), name: value})
        assert response.status_code in (200, 302), name
        browser.get("/register/security")


def test_account_forms_with_a_nul_character(app):
    person = Person()
    browser = app.test_client()
    open_wallet(browser, app, person)
    for path, fields in (
        ("/account/password", ("current_password", "password", "password_confirm")),
        ("/account/questions", ("current_password", "answer_1", "answer_2")),
    ):
        html = text(submit(browser, path, dict.fromkeys(fields, "a\x00")))
        for field in fields:
            label = {"current_password": "Current password", "password": "New password"}.get(field)
            if label:
                assert NUL_MESSAGE.format(label) in html, path
    submit(browser, "/logout", {}, page="/account")
    submit(browser, "/recover", {"email": person.email})
    link = link_in(letters(app, person.email, "recover")[-1], "/recover/")
    html = text(submit(browser, link, {"answer_1": "a\x00", "answer_2": person.answer_2}))
    assert error_next_to(html, "answer_1") == NUL_MESSAGE.format("Answer to the first question")


@pytest.mark.parametrize(
    "path",
    [
        "/register/captcha/%00.png",
        "/register/captcha/%00.wav",
        "/register/captcha/" + "A" * 5000 + ".png",
        "/register/confirm/%00",
        "/recover/%00",
        "/login?next=%00",
        "/?lang=%00",
    ],
)
def test_hostile_addresses(client, path):
    assert client.get(path).status_code in (200, 302, 400, 404)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"email": "x" * (1024 * 1024 + 1)}, "application/x-www-form-urlencoded"),
        ({f"field_{number}": "x" for number in range(300)}, "multipart/form-data"),
    ],
    ids=["a body over MAX_CONTENT_LENGTH", "more parts than MAX_FORM_PARTS"],
)
@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "What you sent is too large"), ("ru", "Слишком большой объём данных")],
)
def test_a_body_too_large_gets_the_localized_413_page(client, body, content_type, language, title):
    client.get(f"/?lang={language}")
    response = client.post("/login", data=body, content_type=content_type)
    assert response.status_code == 413
    assert title in text(response)
