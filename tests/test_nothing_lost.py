"""Nothing typed is lost, and a confirmation link is not a session.

A page that came back with errors keeps what was typed (never the secrets) when the person
switches language; another browser holding the draft must sign in like anyone else.
"""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Draft
from tests.journey import (
    CONSENT,
    Person,
    confirmation_path,
    open_wallet,
    reach_personal,
    reach_security,
    start,
    submit,
    text,
)


def draft_of(app, email):
    with app.app_context():
        draft = db.session.scalar(select(Draft).where(Draft.email == email))
        db.session.expunge_all()
        return draft


def test_a_second_browser_holding_the_link_must_sign_in(app):
    person = Person(email="forwarded@example.com")
    laptop, scanner = app.test_client(), app.test_client()
    start(laptop, person)
    # A mail scanner (or a forwarded letter) opens the link before the wizard ends.
    scanner.get(confirmation_path(app, person.email))
    laptop.get(confirmation_path(app, person.email))
    submit(laptop, "/register/personal", person.personal())
    submit(laptop, "/register/security", person.security())
    opened = submit(laptop, "/register/refunds", {"refund_to_wallet": "y", **CONSENT})
    assert opened.headers["Location"] == "/account"

    for path in ("/register/refunds", "/register/personal", "/register/security"):
        response = scanner.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/login"
    page = text(scanner.get("/login"))
    assert "Your wallet is already open. Sign in to use it." in page
    assert scanner.get("/account").headers["Location"].startswith("/login")
    # The browser that finished is signed in.
    assert person.email in text(laptop.get("/account"))


def test_the_browser_that_opened_the_wallet_stays_signed_in_on_a_second_submit(app):
    person = Person(email="double@example.com")
    laptop = app.test_client()
    open_wallet(laptop, app, person)
    second = laptop.get("/register/refunds")
    assert second.headers["Location"] == "/account"
    assert person.email in text(laptop.get("/account"))


def test_a_language_switch_keeps_step_2_input_with_its_errors(app):
    person = Person(email="switch@example.com", city="", phone="12")
    client = app.test_client()
    reach_personal(client, app, person)
    rejected = submit(client, "/register/personal", person.personal())
    assert rejected.status_code == 200
    assert "Enter your city or town." in text(rejected)

    page = text(client.get("/register/personal?lang=ru"))
    assert 'lang="ru"' in page
    assert "Укажите город или населённый пункт." in page
    assert 'value="12 rue de la Paix"' in page
    assert 'value="Dupont"' in page
    assert 'value="18AB12345"' in page
    # Once saved, the kept input is gone and the saved values show.
    fixed = Person(email=person.email)
    assert submit(client, "/register/personal", fixed.personal()).status_code == 302
    assert draft_of(app, person.email).unsaved in (None, {})


def test_a_language_switch_keeps_step_3_choices_but_never_the_secrets(app):
    person = Person(email="secrets@example.com", answer_2="")
    client = app.test_client()
    reach_security(client, app, person)
    rejected = submit(client, "/register/security", person.security())
    assert rejected.status_code == 200

    kept = draft_of(app, person.email).unsaved
    stored = repr(kept)
    for secret in (person.password, person.answer_1):
        assert secret not in stored
    page = text(client.get("/register/security?lang=fr"))
    assert 'lang="fr"' in page
    assert person.password not in page and person.answer_1 not in page
    assert 'value="parents_met" selected' in page or 'selected value="parents_met"' in page


def test_a_wrong_captcha_then_a_language_switch_keeps_the_address(app):
    client = app.test_client()
    wrong = start(client, Person(email="typed.once@example.com"), captcha="WRONG")
    assert "The characters do not match the image." in text(wrong)
    page = text(client.get("/register?lang=ru"))
    assert 'lang="ru"' in page
    assert 'value="typed.once@example.com"' in page


def test_an_invalid_address_keeps_its_error_in_the_new_language(app):
    client = app.test_client()
    start(client, Person(email="not-an-address"))
    page = text(client.get("/register?lang=fr"))
    assert 'value="not-an-address"' in page
    assert 'aria-invalid="true"' in page


def test_sign_in_and_recovery_keep_the_address_across_a_language_switch(app):
    open_wallet(app.test_client(), app, Person(email="kept@example.com"))
    client = app.test_client()
    failed = submit(client, "/login", {"email": "kept@example.com", "password": "wrong-one-1"})
    assert failed.status_code == 200
    page = text(client.get("/login?lang=ru"))
    assert 'value="kept@example.com"' in page
    assert "wrong-one-1" not in page

    rejected = submit(client, "/recover", {"email": "kept@"})
    assert rejected.status_code == 200
    page = text(client.get("/recover?lang=fr"))
    assert 'value="kept@"' in page
    assert 'aria-invalid="true"' in page
