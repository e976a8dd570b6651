"""The password step and the messages (issue 13): the live strength check, every error
at once, a summary whose messages name their fields, the sign-in failure, the password
reset's resend and the help page's way back."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Account, RecoveryRequest
from portal.passwords import password_problem
from tests.journey import (
    CSRF,
    Person,
    hidden,
    letters,
    link_in,
    open_wallet,
    reach_security,
    sign_in,
    start,
    submit,
    text,
)
from tests.test_counters import same_browser_posts
from tests.test_register_races import at_once

SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)
SUMMARY_LINK = re.compile(r'<li><a href="#([\w-]+)">([^<]*)</a></li>')


def summary_links(html: str) -> list[tuple[str, str]]:
    match = SUMMARY.search(html)
    assert match, "no error summary on the page"
    return SUMMARY_LINK.findall(match.group(0))


# The live strength check ------------------------------------------------------------


def strength(client, page: str, password: str, **extra):
    token = hidden(text(client.get(page)), CSRF)
    return client.post(
        "/password/strength",
        data={"password": password, **extra},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_the_strength_check_answers_the_forms_own_message(client, app, language):
    person = Person(language=language)
    reach_security(client, app, person)
    page = f"/register/security?lang={language}"
    for password in ("short1", "jean.dupont77!", "Dupont-1234", "aaaaaaaaaaaa", "qwertyuiop"):
        answer = strength(client, page, password, purpose="register").get_json()
        form = text(
            submit(
                client, page, {**person.security(), "password": password, "password_confirm": ""}
            )
        )
        assert answer["strong"] is False
        assert answer["message"] and answer["message"] in form.replace("&#39;", "'")
        with app.test_request_context(f"/?lang={language}"):
            assert answer["message"] == password_problem(
                password, person.email, (person.first_name, person.last_name)
            )
    good = strength(client, page, "velvet-otter-lantern-92", purpose="register").get_json()
    assert good["strong"] is True
    assert (
        good["message"]
        == {
            "en": "Good: this password is hard to guess.",
            "ru": "Хорошо: такой пароль трудно угадать.",
            "fr": "Bien\u00a0: ce mot de passe est difficile à deviner.",
        }[language]
    )


def test_the_strength_check_knows_the_owner_from_the_session(client, app):
    """The address and names come from the draft, the account or the reset link, never
    from the request: a stranger learns nothing from it."""
    person = Person()
    assert strength(client, "/login", "jean.dupont77!").get_json()["strong"] is True
    open_wallet(client, app, person)
    refused = strength(client, "/account/password", "jean.dupont77!", purpose="account")
    assert refused.get_json()["message"] == "Do not use your email address in the password."
    assert strength(client, "/account/password", "").get_json() == {
        "strong": False,
        "message": "",
    }


def test_the_strength_check_needs_the_csrf_token_and_never_logs_the_password(client, app, caplog):
    caplog.set_level(logging.DEBUG)
    refused = client.post("/password/strength", data={"password": "secret-horse-77"})
    assert refused.status_code == 400
    strength(client, "/login", "another-secret-horse-88")
    assert "secret-horse" not in caplog.text


def test_the_strength_check_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, PASSWORD_STRENGTH_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = hidden(text(client.get("/login")), CSRF)
    codes = [
        client.post(
            "/password/strength", data={"password": "abc"}, headers={"X-CSRFToken": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize(
    ("page", "reach"),
    [
        ("/register/security", lambda client, app: reach_security(client, app, Person())),
        ("/account/password", lambda client, app: open_wallet(client, app, Person())),
    ],
)
def test_password_fields_carry_the_scripts_labels(client, app, page, reach):
    reach(client, app)
    html = text(client.get(page))
    for field in re.findall(r"<input[^>]*type=\"password\"[^>]*>", html):
        assert 'data-show-label="Show password"' in field
        assert 'data-hide-label="Hide password"' in field
    [new] = re.findall(r'<input[^>]*id="password"[^>]*>', html)
    assert 'data-strength-url="/password/strength"' in new


# Every error at once, and a summary whose messages name their fields ---------------


def test_a_weak_password_and_a_different_repetition_are_both_said(client, app):
    person = Person()
    reach_security(client, app, person)
    html = text(
        submit(
            client,
            "/register/security",
            {
                **person.security(),
                "password": "aaaaaaaaaaaa",
                "password_confirm": "bbbbbbbbbbbb",
                "answer_1": "",
            },
        )
    )
    assert summary_links(html) == [
        (
            "password",
            "The password repeats characters, like aaa or abcabc, which is easy to guess.",
        ),
        (
            "password_confirm",
            "The repeated password is different. Type the same password in both fields.",
        ),
        ("answer_1", "Enter the answer to the first question."),
    ]


def test_a_wrong_current_password_is_said_with_the_others(client, app):
    person = Person()
    open_wallet(client, app, person)
    html = text(
        submit(
            client,
            "/account/password",
            {"current_password": "not-mine-at-all-1", "password": "short", "password_confirm": ""},
        )
    )
    assert [field for field, _message in summary_links(html)] == [
        "current_password",
        "password",
        "password_confirm",
    ]
    assert "This is not your current password." in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "The password needs at least 8 characters.",
                "Type the password a second time to confirm it.",
                "Choose the first security question.",
                "Enter the answer to the first question.",
                "Choose the second security question.",
                "Enter the answer to the second question.",
            ],
        ),
        (
            "ru",
            [
                "В пароле должно быть не менее 8 символов.",
                "Введите пароль ещё раз для проверки.",
                "Выберите первый контрольный вопрос.",
                "Введите ответ на первый вопрос.",
                "Выберите второй контрольный вопрос.",
                "Введите ответ на второй вопрос.",
            ],
        ),
        (
            "fr",
            [
                "Le mot de passe doit compter au moins 8 caractères.",
                "Saisissez le mot de passe une seconde fois pour le confirmer.",
                "Choisissez la première question de sécurité.",
                "Saisissez la réponse à la première question.",
                "Choisissez la deuxième question de sécurité.",
                "Saisissez la réponse à la deuxième question.",
            ],
        ),
    ],
)
def test_the_summary_shows_each_fields_own_message(client, app, language, expected):
    """No "Label: message" glued together: each message names its field itself."""
    reach_security(client, app, Person(language=language))
    empty = {"password": "short", "password_confirm": "", "question_1": "", "question_2": ""}
    html = text(submit(client, f"/register/security?lang={language}", empty))
    links = summary_links(html)
    assert [message for _field, message in links] == expected
    assert [field for field, _message in links] == [
        "password",
        "password_confirm",
        "question_1",
        "answer_1",
        "question_2",
        "answer_2",
    ]
    for field, _message in links:
        assert f'id="{field}"' in html


# Signing in --------------------------------------------------------------------------


def test_the_unfinished_registration_hint_is_only_for_the_browser_holding_it(app):
    person = Person(email="halfway@example.com")
    own = app.test_client()
    start(own, person)
    stranger = app.test_client()
    pages = {
        "own browser": text(sign_in(own, person.email, "anything-at-all-1")),
        "another browser": text(sign_in(stranger, person.email, "anything-at-all-1")),
        "an unknown address": text(sign_in(stranger, "nobody@example.com", "anything-1")),
    }
    for page in pages.values():
        assert "The email address or the password is wrong" in page
        assert '<a href="/recover">Forgot your password? Reset it</a>' in page
    assert "Continue opening your wallet" in pages["own browser"]
    assert "Continue opening your wallet" not in pages["another browser"]
    assert "Continue opening your wallet" not in pages["an unknown address"]


# Resetting the password: the name, and the resend ---------------------------------


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Reset your password"),
        ("ru", "Восстановление пароля"),
        ("fr", "Réinitialiser le mot de passe"),
    ],
)
def test_recovery_is_called_resetting_the_password(client, app, language, title):
    html = text(client.get(f"/recover?lang={language}"))
    assert f"<h1>{title}</h1>" in html
    assert "Recover your wallet" not in html


def ask_reset(client, email: str):
    response = submit(client, "/recover", {"email": email})
    assert response.headers["Location"] == "/recover/sent"
    return text(client.get("/recover/sent"))


def resend_reset(client):
    token = hidden(text(client.get("/recover/sent")), CSRF)
    return client.post("/recover/resend", data={"csrf_token": token, "submit": "1"})


@pytest.mark.parametrize("registered", [True, False])
def test_the_reset_email_can_be_sent_again_after_the_cooldown(app_factory, registered):
    app = app_factory(RESEND_COOLDOWN_SECONDS=60)
    owner = Person(email="owner@example.com")
    if registered:
        open_wallet(app.test_client(), app, owner)
    client = app.test_client()
    page = ask_reset(client, owner.email)
    assert 'action="/recover/resend"' in page
    assert 'data-wait="60"' in page or 'data-wait="59"' in page
    # Too early: the wait is said, nothing is asked for.
    assert resend_reset(client).headers["Location"] == "/recover/sent"
    assert "You can send it again in" in text(client.get("/recover/sent"))
    with app.app_context():
        row = db.session.scalar(select(RecoveryRequest))
        assert row.resends == 0
        row.last_request_at = row.last_request_at.replace(year=2000)
        db.session.commit()
    resend_reset(client)
    after = text(client.get("/recover/sent"))
    assert "If a wallet is registered with this address, we have emailed it a new link." in after
    assert len(letters(app, owner.email, "recover")) == (2 if registered else 0)
    with app.app_context():
        assert db.session.scalar(select(RecoveryRequest)).resends == 1


def test_the_reset_resend_tells_nothing_about_the_address(app_factory):
    app = app_factory(RESEND_COOLDOWN_SECONDS=0)
    owner = Person(email="owner@example.com")
    open_wallet(app.test_client(), app, owner)
    pages = []
    for email in (owner.email, "nobody@example.com"):
        client = app.test_client()
        ask_reset(client, email)
        resend_reset(client)
        pages.append(CSRF.sub("", text(client.get("/recover/sent"))).replace(email, "X"))
    assert pages[0] == pages[1]


def test_the_reset_resend_needs_a_request_first(client):
    token = hidden(text(client.get("/recover")), CSRF)
    response = client.post("/recover/resend", data={"csrf_token": token})
    assert response.headers["Location"] == "/recover"


def test_simultaneous_reset_resends_respect_the_cooldown(app_factory):
    app = app_factory(RESEND_COOLDOWN_SECONDS=0, RESEND_DAILY_LIMIT=3)
    owner = Person(email="owner@example.com")
    open_wallet(app.test_client(), app, owner)
    client = app.test_client()
    ask_reset(client, owner.email)
    token = hidden(text(client.get("/recover/sent")), CSRF)
    posts = same_browser_posts(app, client, "/recover/resend", {"csrf_token": token}, 20)
    responses = at_once(*posts)
    assert {response.status_code for response in responses} == {302}
    with app.app_context():
        assert db.session.scalar(select(RecoveryRequest)).resends_today == 3
    assert len(letters(app, owner.email, "recover")) == 1 + 3


# The help page -------------------------------------------------------------------------


def test_the_help_covers_reset_emails_and_goes_back_where_one_came_from(client, app):
    person = Person()
    start(client, person)
    sent = text(client.get("/register/sent"))
    assert 'href="/help/email?next=/register/sent"' in sent
    html = text(client.get("/help/email?next=/register/sent"))
    assert "password reset email" in html
    assert '<a class="button button--secondary" href="/register/sent">Back</a>' in html


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/register/sent", "/help/email"]
)
def test_the_helps_back_never_leaves_or_starts_a_registration(client, target):
    html = text(client.get("/help/email", query_string={"next": target}))
    assert '<a class="button button--secondary" href="/">Go to the start page</a>' in html
    assert f'button--secondary" href="{target}"' not in html


def test_the_helps_back_follows_a_same_site_referrer(client):
    html = text(client.get("/help/email", headers={"Referer": "http://localhost/recover/sent"}))
    assert '<a class="button button--secondary" href="/recover/sent">Back</a>' in html
    other = text(client.get("/help/email", headers={"Referer": "https://evil.example/x"}))
    assert 'href="https://evil.example/x"' not in other


# Resetting: the answers and the new password judged together ------------------------


def reset_link(app, client, person: Person) -> str:
    submit(client, "/recover", {"email": person.email})
    return link_in(letters(app, person.email, "recover")[-1], "/recover/")


def failures(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Account.recovery_failures).where(Account.email == email))


def test_wrong_answers_and_a_weak_password_are_said_at_once(client, app):
    person = Person()
    open_wallet(app.test_client(), app, person)
    link = reset_link(app, client, person)
    weak = {"password": "aaaaaaaaaaaa", "password_confirm": "aaaaaaaaaaaa"}
    html = text(submit(client, link, {"answer_1": "no", "answer_2": "no", **weak}))
    assert "The answers do not match. 4 attempts left" in html
    assert "The password repeats characters" in html
    assert failures(app, person.email) == 1
    # Right answers with a weak password: nothing is reset, nothing counted.
    right = {"answer_1": person.answer_1, "answer_2": person.answer_2}
    html = text(submit(client, link, {**right, **weak}))
    assert "The answers do not match" not in html
    assert "The password repeats characters" in html
    assert failures(app, person.email) == 1
    assert sign_in(app.test_client(), person.email, person.password).status_code == 302


def test_the_strength_check_on_the_reset_page_knows_the_links_owner(client, app):
    person = Person()
    open_wallet(app.test_client(), app, person)
    link = reset_link(app, client, person)
    token = link.rsplit("/", 1)[1]
    named = strength(client, link, "jean.dupont77!", purpose="recover", token=token)
    assert named.get_json()["message"] == "Do not use your email address in the password."
    forged = strength(client, link, "jean.dupont77!", purpose="recover", token="forged")
    assert forged.get_json()["strong"] is True  # no owner: nothing of theirs to refuse
