"""Signing in and out, the account page and its settings."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Account, AuthSession, Draft, SignInThrottle
from portal.models.types import utcnow
from portal.passwords import verify_answer, verify_secret
from tests.journey import CSRF, Person, hidden, letters, open_wallet, sign_in, start, submit, text

NEW_PASSWORD = "harbour-lamp-violin-58"


@pytest.fixture
def person():
    return Person()


@pytest.fixture
def owner(app, person):
    """A person with an open wallet, signed out."""
    browser = app.test_client()
    open_wallet(browser, app, person)
    submit(browser, "/logout", {}, page="/account")
    return person


def account(app, email="jean.dupont@example.com") -> Account:
    with app.app_context():
        row = db.session.scalar(select(Account).where(Account.email == email))
        db.session.expunge_all()
        return row


def password_is(app, password) -> bool:
    with app.app_context():
        return verify_secret(account(app).password_hash, password)


def answer_is(app, number, answer) -> bool:
    with app.app_context():
        return verify_answer(getattr(account(app), f"answer_{number}_hash"), answer)


# Signing in ---------------------------------------------------------------------------


def test_sign_in_lands_on_the_account(client, owner):
    response = sign_in(client, owner.email, owner.password)
    assert response.headers["Location"] == "/account"
    assert "Jean Dupont" in text(client.get("/account"))


def test_the_address_is_matched_whatever_its_case(client, owner):
    response = sign_in(client, "  JEAN.Dupont@EXAMPLE.com ", owner.password)
    assert response.headers["Location"] == "/account"


def test_the_session_id_changes_on_sign_in(client, owner):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, owner.email, owner.password)
    with client.session_transaction() as session:
        assert "planted" not in session
        first = session["auth"]
    submit(client, "/logout", {}, page="/account")
    sign_in(client, owner.email, owner.password)
    with client.session_transaction() as session:
        assert session["auth"] != first


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/account/password", "/account/password"),
        ("https://evil.example/phish", "/account"),
        ("//evil.example/", "/account"),
        ("/\\evil.example", "/account"),
    ],
)
def test_next_is_followed_only_on_this_site(client, owner, target, landing):
    html = text(client.get("/login", query_string={"next": target}))
    response = client.post(
        "/login",
        data={
            "csrf_token": hidden(html, CSRF),
            "email": owner.email,
            "password": owner.password,
            "next": target,
        },
    )
    assert response.headers["Location"] == landing


def test_a_protected_page_sends_to_sign_in_and_back(client, owner):
    response = client.get("/account/questions")
    assert response.headers["Location"] == "/login?next=/account/questions"
    html = text(client.get(response.headers["Location"]))
    assert 'name="next" value="/account/questions"' in html


def scrub(html: str) -> str:
    return CSRF.sub("", html)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The email address or the password is wrong"),
        ("ru", "Неверный адрес электронной почты или пароль"),
        ("fr", "L’adresse e-mail ou le mot de passe est incorrect"),
    ],
)
def test_one_generic_error_for_every_failure(app, owner, language, message):
    pages = []
    for email, password in (
        (owner.email, "wrong-password-123"),
        ("nobody@example.com", "wrong-password-123"),
        ("nobody@example.com", owner.password),
    ):
        browser = app.test_client()
        browser.get(f"/?lang={language}")
        response = sign_in(browser, email, password)
        assert response.status_code == 200
        pages.append(scrub(text(response)).replace(email, "EMAIL"))
    assert message in pages[0]
    assert 'href="/recover"' in pages[0]  # the way to reset the password, right there
    assert pages[0] == pages[1] == pages[2]


def test_an_unfinished_registration_gets_a_letter_to_continue(app):
    person = Person(email="halfway@example.com")
    start(app.test_client(), person)
    with app.app_context():
        db.session.execute(update(Draft).values(last_letter_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    pages = []
    for email in (person.email, person.email, "nobody@example.com"):
        response = sign_in(app.test_client(), email, "anything-at-all-1")
        pages.append(scrub(text(response)).replace(email, "EMAIL"))
    # Another browser is told nothing about the draft: the page is a stranger's.
    assert pages[0] == pages[1] == pages[2]
    assert "Continue opening your wallet" not in pages[0]
    # One letter, not one per attempt.
    [letter] = letters(app, person.email, "continue_registration")
    link = re.search(r"https?://[^/]+(/register/confirm/\S+)", letter.body_text).group(1)
    assert app.test_client().get(link).headers["Location"] == "/register/personal"


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_the_browser_holding_the_draft_is_offered_to_continue(app, language):
    """Only the browser that started the registration (its session holds the draft)
    hears of it, and only for that draft's address: it learns nothing it did not know."""
    person = Person(email="halfway@example.com")
    browser = app.test_client()
    start(browser, person)
    browser.get(f"/?lang={language}")
    own = text(sign_in(browser, "Halfway@Example.com", "anything-at-all-1"))
    assert 'href="/register/sent"' in own
    other = text(sign_in(browser, "someone-else@example.com", "anything-at-all-1"))
    assert 'href="/register/sent"' not in other
    continue_text = {
        "en": "Continue opening your wallet",
        "ru": "Продолжите открытие кошелька",
        "fr": "Poursuivez l’ouverture de votre portefeuille",
    }[language]
    assert continue_text in own
    assert continue_text not in other


def test_a_stranger_gets_no_letter(app):
    sign_in(app.test_client(), "stranger@example.com", "anything-at-all-1")
    assert letters(app, "stranger@example.com") == []


def fail(client, email, times):
    for _ in range(times):
        sign_in(client, email, "not-the-password-1")


@pytest.mark.parametrize("registered", [True, False])
def test_repeated_failures_grow_a_delay_for_any_address(app, person, registered):
    if registered:
        open_wallet(app.test_client(), app, person)
    browser = app.test_client()
    fail(browser, person.email, 3)
    response = sign_in(browser, person.email, person.password)
    assert response.status_code == 200
    assert re.search(r"Try again in \d+ seconds", text(response))
    with app.app_context():
        row = db.session.scalar(select(SignInThrottle))
        first_delay = row.blocked_until - row.last_failure_at
        db.session.execute(update(SignInThrottle).values(blocked_until=utcnow()))
        db.session.commit()
    fail(browser, person.email, 1)
    with app.app_context():
        row = db.session.scalar(select(SignInThrottle))
        assert row.blocked_until - row.last_failure_at == 2 * first_delay
        db.session.execute(update(SignInThrottle).values(blocked_until=utcnow()))
        db.session.commit()
    response = sign_in(browser, person.email, person.password)
    if registered:
        assert response.headers["Location"] == "/account"
        with app.app_context():
            assert db.session.scalar(select(SignInThrottle)) is None


def test_the_delay_message_has_russian_plurals(app, owner):
    browser = app.test_client()
    browser.get("/?lang=ru")
    fail(browser, owner.email, 3)
    html = text(sign_in(browser, owner.email, owner.password))
    assert re.search(r"Попробуйте снова через \d+ (секунду|секунды|секунд)\.", html)


def test_sign_in_is_rate_limited_per_client(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [sign_in(client, f"p{n}@example.com", "whatever-123").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_sign_in_is_rate_limited_per_address(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_ADDRESS_RATE_LIMIT="2 per minute")
    statuses = [
        # Each attempt from a new client (a new address would be the botnet's trick).
        sign_in(app.test_client(), "Target@Example.com ", "whatever-123").status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert sign_in(app.test_client(), "other@example.com", "whatever-123").status_code == 200


@pytest.mark.parametrize("path", ["/account/password", "/account/questions"])
def test_guessing_the_current_password_in_settings_is_rate_limited(app_factory, path):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_ADDRESS_RATE_LIMIT="2 per minute")
    person = Person()
    browser = app.test_client()
    open_wallet(browser, app, person)
    guesses = [
        submit(browser, path, {"current_password": f"guess-{n}"}).status_code for n in range(3)
    ]
    assert guesses == [200, 200, 429]
    # Counted per account: another wallet's owner on the same network is not held back.
    other = app.test_client()
    open_wallet(other, app, Person(email="marie.curie@example.com"))
    assert submit(other, path, {"current_password": "guess"}).status_code == 200


def test_the_429_page_speaks_russian(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    client.get("/?lang=ru")
    sign_in(client, "a@example.com", "whatever-123")
    response = sign_in(client, "a@example.com", "whatever-123")
    assert response.status_code == 429
    assert "Слишком много попыток" in text(response)


# Signing out --------------------------------------------------------------------------


def test_sign_out_is_a_post_from_a_button_on_every_signed_in_page(client, owner):
    sign_in(client, owner.email, owner.password)
    for path in ("/account", "/account/password", "/account/questions", "/help/email", "/"):
        html = text(client.get(path))
        assert re.search(r'<form method="post" action="/logout">', html), path
    assert client.get("/logout").status_code == 405
    response = submit(client, "/logout", {}, page="/account")
    assert response.headers["Location"] == "/"
    assert client.get("/account").status_code == 302


def test_sign_out_ends_the_session_on_the_server(app, owner):
    client = app.test_client()
    sign_in(client, owner.email, owner.password)
    with client.session_transaction() as session:
        stolen = dict(session)
    submit(client, "/logout", {}, page="/account")
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/account").status_code == 302


def test_sign_out_without_a_token_is_refused(client, owner):
    sign_in(client, owner.email, owner.password)
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200


# The account page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("en", ["My wallet", "Not started", "Credited to the wallet", "Change password"]),
        ("ru", ["Мой кошелёк", "Не начата", "Зачисляются в кошелёк", "Сменить пароль"]),
        (
            "fr",
            [
                "Mon portefeuille",
                "Non commencée",
                "Crédités sur le portefeuille",
                "Changer de mot de passe",
            ],
        ),
    ],
)
def test_the_account_page(client, owner, language, phrases):
    sign_in(client, owner.email, owner.password)
    html = text(client.get(f"/account?lang={language}"))
    assert "Jean Dupont" in html and owner.email in html
    for phrase in phrases:
        assert phrase in html


def test_changing_the_refund_choice(client, app, owner):
    sign_in(client, owner.email, owner.password)
    response = submit(client, "/account/refunds", {}, page="/account")
    assert response.headers["Location"] == "/account#refunds"
    assert "refunds will go back to your card" in text(client.get("/account"))
    assert account(app).refund_to_wallet is False
    submit(client, "/account/refunds", {"refund_to_wallet": "y"}, page="/account")
    assert account(app).refund_to_wallet is True


def test_the_language_preference_is_used_for_pages_and_letters(app, owner):
    client = app.test_client()
    sign_in(client, owner.email, owner.password)
    response = submit(client, "/account/language", {"locale": "ru"}, page="/account")
    assert response.headers["Location"] == "/account?lang=ru#language"
    assert account(app).locale == "ru"
    # Another browser, no cookie, a French browser: the account's choice wins.
    other = app.test_client()
    sign_in(other, owner.email, owner.password)
    html = text(other.get("/account", headers={"Accept-Language": "fr"}))
    assert '<html lang="ru">' in html
    # Letters follow the preference too.
    submit(
        other,
        "/account/password",
        {
            "current_password": owner.password,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    [letter] = letters(app, owner.email, "password_changed")
    assert letter.locale == "ru"
    assert "Пароль вашего кошелька" in letter.body_text


def test_choosing_a_language_in_the_switcher_updates_the_preference(client, app, owner):
    sign_in(client, owner.email, owner.password)
    client.get("/help/email?lang=fr")
    assert account(app).locale == "fr"


def test_the_cookie_beats_the_account_preference(app, owner):
    client = app.test_client()
    sign_in(client, owner.email, owner.password)
    submit(client, "/account/language", {"locale": "ru"}, page="/account")
    client.set_cookie("lang", "fr")
    assert '<html lang="fr">' in text(client.get("/account", headers={"Accept-Language": "en"}))


def test_an_unknown_language_is_refused(client, app, owner):
    sign_in(client, owner.email, owner.password)
    submit(client, "/account/language", {"locale": "de"}, page="/account")
    assert account(app).locale == "en"


# Password and questions ---------------------------------------------------------------


def change_password(client, current, new=NEW_PASSWORD, confirm=None):
    return submit(
        client,
        "/account/password",
        {"current_password": current, "password": new, "password_confirm": confirm or new},
    )


def test_changing_the_password_needs_the_current_one(client, app, owner):
    sign_in(client, owner.email, owner.password)
    html = text(change_password(client, "not-my-password"))
    assert "This is not your current password." in html
    assert password_is(app, owner.password)


def test_the_new_password_follows_the_policy(client, app, owner):
    sign_in(client, owner.email, owner.password)
    assert "one of the most common passwords" in text(
        change_password(client, owner.password, "password123")
    )
    assert "The repeated password is different" in text(
        change_password(client, owner.password, NEW_PASSWORD, NEW_PASSWORD + "x")
    )


def test_changing_the_password_ends_every_other_session(app, owner):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, owner.email, owner.password)
    sign_in(elsewhere, owner.email, owner.password)
    response = change_password(here, owner.password)
    assert response.headers["Location"] == "/account"
    assert "Other devices have been signed out" in text(here.get("/account"))
    assert elsewhere.get("/account").status_code == 302
    assert here.get("/account").status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(AuthSession)).all()) == 1
    assert password_is(app, NEW_PASSWORD)
    assert len(letters(app, owner.email, "password_changed")) == 1
    assert sign_in(app.test_client(), owner.email, NEW_PASSWORD).headers["Location"] == "/account"


def test_changing_the_questions_needs_the_password(client, app, owner):
    sign_in(client, owner.email, owner.password)
    data = {
        "current_password": "wrong-password",
        "question_1": "first_job",
        "answer_1": "Renault",
        "question_2": owner.question_2,
        "answer_2": "",
    }
    assert "This is not your current password." in text(submit(client, "/account/questions", data))
    response = submit(client, "/account/questions", {**data, "current_password": owner.password})
    assert response.headers["Location"] == "/account"
    assert account(app).question_1 == "first_job"
    assert answer_is(app, 1, "RENAULT")
    # An empty answer kept the old one for the unchanged question.
    assert answer_is(app, 2, owner.answer_2)
    assert len(letters(app, owner.email, "questions_changed")) == 1


def test_a_changed_question_needs_an_answer(client, owner):
    sign_in(client, owner.email, owner.password)
    html = text(
        submit(
            client,
            "/account/questions",
            {
                "current_password": owner.password,
                "question_1": "first_job",
                "answer_1": "",
                "question_2": owner.question_2,
                "answer_2": "",
            },
        )
    )
    assert "Enter the answer to the first question." in html


def test_an_idle_session_ends(app, owner):
    client = app.test_client()
    sign_in(client, owner.email, owner.password)
    with app.app_context():
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    assert client.get("/account").status_code == 302
