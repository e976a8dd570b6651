"""Recovery: the letter, both security answers, a new password, the lockout."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.account import recovery
from portal.extensions import db
from portal.models import Account, AuthSession
from portal.models.types import utcnow
from tests.journey import (
    CSRF,
    Person,
    letters,
    link_in,
    open_wallet,
    sign_in,
    signed_long_ago,
    submit,
    text,
)

NEW_PASSWORD = "harbour-lamp-violin-58"


@pytest.fixture
def owner(app):
    person = Person()
    open_wallet(app.test_client(), app, person)
    return person


def ask(client, email, language="en"):
    return submit(client, f"/recover?lang={language}", {"email": email})


def recovery_link(app, email) -> str:
    return link_in(letters(app, email, "recover")[-1], "/recover/")


def answer(client, link, answer_1, answer_2, password=NEW_PASSWORD, confirm=None):
    return submit(
        client,
        link,
        {
            "answer_1": answer_1,
            "answer_2": answer_2,
            "password": password,
            "password_confirm": confirm or password,
        },
    )


def locked_until(app, email):
    with app.app_context():
        return db.session.scalar(
            select(Account.recovery_locked_until).where(Account.email == email)
        )


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "If a wallet is registered with"),
        ("ru", "Если к адресу"),
        ("fr", "Si un portefeuille est enregistré avec"),
    ],
)
def test_the_same_answer_whatever_the_address(app, owner, language, phrase):
    pages = []
    for email in (owner.email, "nobody@example.com"):
        browser = app.test_client()
        response = ask(browser, email, language)
        assert response.headers["Location"] == "/recover/sent"
        pages.append(CSRF.sub("", text(browser.get("/recover/sent"))).replace(email, "X"))
    assert pages[0] == pages[1]
    assert phrase in pages[0]
    assert len(letters(app, owner.email, "recover")) == 1
    assert letters(app, "nobody@example.com") == []


def test_recovery_with_answers_typed_differently(app, owner):
    elsewhere = app.test_client()
    sign_in(elsewhere, owner.email, owner.password)
    client = app.test_client()
    ask(client, owner.email)
    link = recovery_link(app, owner.email)
    page = text(client.get(link))
    assert "What was the name of your first pet?" in page
    assert "In which town did your parents meet?" in page
    response = answer(client, link, "  rEX ", "SAINT-ÉTIENNE")
    assert response.headers["Location"] == "/account"
    assert "Jean Dupont" in text(client.get("/account"))
    # Every other session ended; the new password works; the owner was told.
    assert elsewhere.get("/account").status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(AuthSession)).all()) == 1
    assert sign_in(app.test_client(), owner.email, NEW_PASSWORD).headers["Location"] == "/account"
    assert len(letters(app, owner.email, "password_changed")) == 1


def test_the_link_works_once(app, owner):
    client = app.test_client()
    ask(client, owner.email)
    link = recovery_link(app, owner.email)
    answer(client, link, owner.answer_1, owner.answer_2)
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert "has been used" in text(again)


def test_the_link_expires_after_an_hour(app, owner):
    with app.app_context():
        account = db.session.scalar(select(Account))
        account_id, fingerprint = account.id, recovery.fingerprint(account)
    fresh = signed_long_ago(app, "recover", {"a": account_id, "p": fingerprint}, 59 * 60)
    stale = signed_long_ago(app, "recover", {"a": account_id, "p": fingerprint}, 61 * 60)
    assert app.test_client().get(f"/recover/{fresh}").status_code == 200
    response = app.test_client().get(f"/recover/{stale}?lang=ru")
    assert response.status_code == 410
    assert "Срок действия ссылки истёк" in text(response)


def test_a_forged_link_is_refused(client):
    response = client.get("/recover/abc.def.ghi")
    assert response.status_code == 400


def test_the_questions_alone_never_open_the_account(client, owner):
    # There is no way to the questions without the letter's link.
    assert client.get("/recover/sent").headers["Location"] == "/recover"
    html = text(client.get("/recover"))
    assert "answer_1" not in html


def test_the_new_password_follows_the_policy(app, owner):
    client = app.test_client()
    ask(client, owner.email)
    link = recovery_link(app, owner.email)
    html = text(answer(client, link, owner.answer_1, owner.answer_2, "123456789"))
    assert "one of the most common passwords" in html
    html = text(answer(client, link, owner.answer_1, owner.answer_2, NEW_PASSWORD, "other-1"))
    assert "The repeated password is different" in html
    # Answers were right, but nothing changed and nothing was counted.
    with app.app_context():
        assert db.session.scalar(select(Account.recovery_failures)) == 0


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The answers do not match. 4 attempts left"),
        ("ru", "Ответы не совпадают. Осталось 4 попытки"),
        ("fr", "Les réponses ne correspondent pas. Il reste 4 tentatives"),
    ],
)
def test_wrong_answers_are_counted(app, owner, language, message):
    client = app.test_client()
    ask(client, owner.email, language)
    link = recovery_link(app, owner.email)
    html = text(answer(client, f"{link}?lang={language}", owner.answer_1, "Lyon"))
    assert message in html


def test_five_wrong_answers_lock_recovery_and_tell_the_owner(app, owner):
    client = app.test_client()
    ask(client, owner.email)
    link = recovery_link(app, owner.email)
    token = CSRF.search(text(client.get(link))).group(1)
    for _ in range(4):
        answer(client, link, "wrong", "wrong")
    assert locked_until(app, owner.email) is None
    response = answer(client, link, "wrong", "wrong")
    assert "Resetting the password is locked for now" in text(response)
    until = locked_until(app, owner.email)
    assert timedelta(minutes=59) < until - utcnow() <= timedelta(hours=1)
    [letter] = letters(app, owner.email, "recovery_locked")
    assert "locked resetting the password" in letter.body_text
    # Even the right answers do nothing while locked; no new letter can be asked for.
    assert "Resetting the password is locked" in text(client.get(link))
    form = {
        "csrf_token": token,
        "answer_1": owner.answer_1,
        "answer_2": owner.answer_2,
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    assert "Resetting the password is locked" in text(client.post(link, data=form))
    ask(app.test_client(), owner.email)
    assert len(letters(app, owner.email, "recover")) == 1
    # The password still works.
    assert sign_in(app.test_client(), owner.email, owner.password).headers["Location"] == "/account"


def test_recovery_opens_again_after_the_lock(app, owner):
    client = app.test_client()
    ask(client, owner.email)
    link = recovery_link(app, owner.email)
    for _ in range(5):
        answer(client, link, "wrong", "wrong")
    with app.app_context():
        db.session.execute(
            update(Account).values(recovery_locked_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = answer(client, link, owner.answer_1, owner.answer_2)
    assert response.headers["Location"] == "/account"


def test_recovery_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RECOVER_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [ask(client, f"p{n}@example.com").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
