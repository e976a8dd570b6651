"""The support desk's staff side: setup links, two-factor sign-in, separate sessions with an
idle expiry, the throttle, no-store pages, the audit trail and the commands."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, text, update

from portal.extensions import db
from portal.models import AuditEntry, Staff, StaffSession, StaffThrottle
from portal.models.staff import AppendOnlyError
from portal.models.types import utcnow
from tests.journey import Person, hidden, open_wallet, submit
from tests.journey import text as page_text
from tests.staff import (
    STAFF_PASSWORD,
    add_staff,
    enrol,
    fresh_code,
    secret_on,
    sign_in_staff,
)

EMAIL = "desk@example.com"


@pytest.fixture
def staff(app, client):
    """A staff member enrolled in one browser (``client``), signed out of it again."""
    secret = enrol(client, add_staff(app, EMAIL))
    submit(client, "/support/logout", {}, page="/support/audit")
    return secret


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def staff_row(app, email: str = EMAIL) -> Staff:
    with app.app_context():
        row = db.session.scalar(select(Staff).where(Staff.email == email))
        db.session.expunge(row)
        return row


def browser_at(app, ip: str):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    return browser


def signed_in(client) -> bool:
    response = client.get("/support/audit")
    return response.status_code == 200


# Setup -------------------------------------------------------------------------------


def test_setup_link_works_once(app, client):
    link = add_staff(app, EMAIL)
    page = client.get(link)
    assert page.status_code == 200
    html = page_text(page)
    assert "<svg" in html and 'role="img"' in html
    secret = secret_on(html)
    assert len(secret) == 32
    enrol(client, link)
    assert signed_in(client)
    again = app.test_client().get(link)
    assert again.status_code == 404
    assert "This setup link does not work" in page_text(again)
    assert actions(app) == ["staff_added", "setup_completed", "sign_in"]


def test_setup_shows_the_secret_grouped_and_stores_it_encrypted(app, client):
    html = page_text(client.get(add_staff(app, EMAIL)))
    shown = hidden(html, __import__("re").compile(r'<code class="totp-secret">([^<]+)</code>'))
    groups = shown.split(" ")
    assert len(groups) == 8 and all(len(group) == 4 for group in groups)
    stored = staff_row(app).totp_secret
    assert "".join(groups) not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token


def test_setup_link_expires(app, client):
    link = add_staff(app, EMAIL)
    with app.app_context():
        db.session.execute(update(Staff).values(setup_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(link).status_code == 404
    assert client.get("/support/setup/forged-token").status_code == 404


def test_setup_refuses_a_short_password_and_a_wrong_code_and_stays_usable(app, client):
    link = add_staff(app, EMAIL)
    html = page_text(client.get(link))
    secret = secret_on(html)
    short = submit(
        client,
        link,
        {"password": "short-one", "password_confirm": "short-one", "code": "12 34 56"},
    )
    assert short.status_code == 200
    assert "The password needs at least 12 characters." in page_text(short)
    good_code = pyotp.TOTP(secret).now()
    wrong = str((int(good_code) + 1) % 1_000_000).zfill(6)
    refused = submit(
        client,
        link,
        {"password": STAFF_PASSWORD, "password_confirm": STAFF_PASSWORD, "code": wrong},
    )
    assert refused.status_code == 200
    assert "This code is not right" in page_text(refused)
    assert staff_row(app).password_hash is None
    assert secret_on(page_text(refused)) == secret  # the same key, the app already has it
    assert enrol(client, link) == secret


# Signing in ---------------------------------------------------------------------------


def test_sign_in_with_password_and_code(app, client, staff):
    response = sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    assert response.status_code == 302
    assert response.headers["Location"] == "/support"
    cookie = client.get_cookie("support_session", path="/support")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    with app.app_context():
        stored = db.session.scalars(select(StaffSession.token_hash)).all()
    assert cookie.value not in stored and len(stored) == 1  # only the hash is kept
    assert signed_in(client)


def test_password_alone_is_refused(app, client, staff):
    response = submit(client, "/support/login", {"email": EMAIL, "password": STAFF_PASSWORD})
    assert response.status_code == 200
    assert "Enter the code from your authenticator app." in page_text(response)
    assert not signed_in(client)


def test_a_wrong_code_is_refused(app, client, staff):
    good = fresh_code(app, EMAIL, staff)
    wrong = str((int(good) + 1) % 1_000_000).zfill(6)
    response = submit(
        client, "/support/login", {"email": EMAIL, "password": STAFF_PASSWORD, "code": wrong}
    )
    assert response.status_code == 200
    assert "These details are not right" in page_text(response)
    assert not signed_in(client)
    assert actions(app)[-1] == "sign_in_failed"


def test_a_code_is_good_once(app, client, staff):
    code = fresh_code(app, EMAIL, staff)
    data = {"email": EMAIL, "password": STAFF_PASSWORD, "code": code}
    assert submit(client, "/support/login", data).status_code == 302
    other = app.test_client()
    replayed = submit(other, "/support/login", data)
    assert replayed.status_code == 200
    assert "These details are not right" in page_text(replayed)
    assert not signed_in(other)


def test_failure_says_the_same_for_unknown_address_wrong_password_wrong_code(app, staff):
    code = fresh_code(app, EMAIL, staff)
    pages = []
    for email, password in (
        ("nobody@example.com", STAFF_PASSWORD),
        (EMAIL, "not-the-password-at-all"),
        (EMAIL, STAFF_PASSWORD),
    ):
        attempt_code = code if email != EMAIL or password != STAFF_PASSWORD else "000000"
        browser = app.test_client()
        response = submit(
            browser,
            "/support/login",
            {"email": email, "password": password, "code": attempt_code},
        )
        html = page_text(response)
        pages.append(html[html.index("<main") : html.index("</main>")].replace(email, "EMAIL"))
    strip = __import__("re").compile(r'value="[^"]*"')
    assert len({strip.sub("", page) for page in pages}) == 1


def test_failed_codes_are_throttled_per_address(app, staff):
    for n in range(app.config["SUPPORT_FREE_FAILURES"]):
        browser = browser_at(app, f"10.0.0.{n + 1}")
        submit(browser, "/support/login", {"email": EMAIL, "password": "x" * 12, "code": "000000"})
    browser = browser_at(app, "10.0.1.1")
    blocked = sign_in_staff(browser, EMAIL, STAFF_PASSWORD, staff)
    assert blocked.status_code == 200
    assert "Too many failed attempts. Try again in 30 seconds." in page_text(blocked)
    assert not signed_in(browser)
    with app.app_context():
        db.session.execute(update(StaffThrottle).values(blocked_until=utcnow()))
        db.session.commit()
    assert sign_in_staff(browser, EMAIL, STAFF_PASSWORD, staff).status_code == 302
    with app.app_context():  # a success forgets the failures of this address
        assert (
            db.session.scalar(select(StaffThrottle).where(StaffThrottle.key.like("address:%")))
            is None
        )


def test_failures_are_throttled_per_ip(app, staff):
    browser = browser_at(app, "10.9.9.9")
    for n in range(app.config["SUPPORT_IP_FREE_FAILURES"]):
        submit(
            browser,
            "/support/login",
            {"email": f"guess{n}@example.com", "password": "x" * 12, "code": "000000"},
        )
    blocked = sign_in_staff(browser, EMAIL, STAFF_PASSWORD, staff)
    assert "Too many failed attempts" in page_text(blocked)
    elsewhere = browser_at(app, "10.9.9.10")
    assert sign_in_staff(elsewhere, EMAIL, STAFF_PASSWORD, staff).status_code == 302


def test_failures_are_counted_atomically(app):
    from portal.support import throttle

    with app.test_request_context():
        for _ in range(5):
            throttle.record_failure("a@example.com", "10.0.0.1")
        db.session.commit()
        rows = {row.key.split(":")[0]: row for row in db.session.scalars(select(StaffThrottle))}
        assert rows["address"].failures == 5 and rows["ip"].failures == 5
        assert rows["address"].blocked_until > utcnow() + timedelta(seconds=100)
        assert rows["ip"].blocked_until is None


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/support/audit?page=1", "/support/audit?page=1"),
        ("/account", "/support"),
        ("//evil.example/support", "/support"),
        ("https://evil.example/support/", "/support"),
        ("/support/../account", "/support"),
        ("/supportx", "/support"),
    ],
)
def test_next_leads_only_to_desk_pages(app, client, staff, target, landing):
    response = sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff, next=target)
    assert response.headers["Location"] == landing


def test_desk_pages_send_to_sign_in_and_back(client):
    response = client.get("/support/audit?page=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/support/login?next=/support/audit?page%3D2"


# Sessions --------------------------------------------------------------------------


def test_session_expires_after_an_hour_idle(app, client, staff):
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    idle = app.config["SUPPORT_IDLE_SECONDS"]
    assert idle == 3600
    with app.app_context():
        db.session.execute(
            update(StaffSession).values(last_seen_at=utcnow() - timedelta(seconds=idle - 60))
        )
        db.session.commit()
    assert signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(StaffSession.last_seen_at)) > utcnow() - timedelta(
            seconds=10
        )
        db.session.execute(
            update(StaffSession).values(last_seen_at=utcnow() - timedelta(seconds=idle + 1))
        )
        db.session.commit()
    response = client.get("/support/audit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/support/login")
    assert client.get_cookie("support_session", path="/support") is None
    with app.app_context():
        assert db.session.scalars(select(StaffSession)).all() == []


def test_sign_out(app, client, staff):
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    assert client.post("/support/logout").status_code == 400  # no CSRF token: nothing happens
    assert signed_in(client)
    response = submit(client, "/support/logout", {}, page="/support/audit")
    assert response.headers["Location"] == "/support/login"
    assert not signed_in(client)
    with app.app_context():
        assert db.session.scalars(select(StaffSession)).all() == []
    assert actions(app)[-2:] == ["sign_in", "sign_out"]


def test_logout_is_post_only(client):
    assert client.get("/support/logout").status_code == 405


def test_a_wallet_session_opens_nothing_at_the_desk(app, client):
    person = Person(email="wallet-owner@example.com")
    open_wallet(client, app, person)
    assert client.get("/account").status_code == 200
    response = client.get("/support/audit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/support/login")


def test_a_staff_session_opens_no_wallet(app, client, staff):
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    assert signed_in(client)
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get_cookie("support_session", path="/") is None  # only sent to /support


def test_both_sessions_live_side_by_side(app, client, staff):
    open_wallet(client, app, Person(email="owner@example.com"))
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    assert client.get("/account").status_code == 200
    assert signed_in(client)
    submit(client, "/logout", {}, page="/account")  # the wallet's sign-out
    assert signed_in(client)


def test_remove_staff_ends_their_sessions(app, client, staff, runner):
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    other = app.test_client()
    sign_in_staff(other, EMAIL, STAFF_PASSWORD, staff)
    result = runner.invoke(args=["support", "remove-staff", EMAIL])
    assert result.exit_code == 0, result.output
    assert "2 session(s) ended" in result.output
    assert not signed_in(client) and not signed_in(other)
    refused = sign_in_staff(app.test_client(), EMAIL, STAFF_PASSWORD, staff)
    assert refused.status_code == 200
    assert staff_row(app).removed_at is not None
    again = runner.invoke(args=["support", "remove-staff", EMAIL])
    assert again.exit_code != 0 and "is not on the desk" in again.output
    assert actions(app)[-2:] == ["staff_removed", "sign_in_failed"]


def test_add_staff_twice_is_refused_and_a_removed_member_can_come_back(app, staff, runner):
    twice = runner.invoke(args=["support", "add-staff", EMAIL])
    assert twice.exit_code != 0 and "already on the desk" in twice.output
    runner.invoke(args=["support", "remove-staff", EMAIL])
    browser = app.test_client()
    new_secret = enrol(browser, add_staff(app, EMAIL.upper()))
    assert new_secret != staff
    assert signed_in(browser)


def test_add_staff_refuses_a_non_address(runner):
    result = runner.invoke(args=["support", "add-staff", "not-an-address"])
    assert result.exit_code != 0 and "not an e-mail address" in result.output


# Pages ---------------------------------------------------------------------------


def test_every_desk_page_says_no_store(app, client):
    link = add_staff(app, EMAIL)
    responses = [
        client.get("/support/login"),
        client.get("/support/audit"),
        client.get(link),
        client.get("/support/setup/forged"),
        client.get("/support/no-such-page"),
        client.post("/support/login", data={}),
    ]
    enrol(client, link)
    responses += [
        client.get("/support/audit"),
        client.get("/support/login"),
        submit(client, "/support/logout", {}, page="/support/audit"),
    ]
    for response in responses:
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_audit_page_lists_the_trail_newest_first_in_pages(app, client, staff):
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    with app.app_context():
        for n in range(60):
            db.session.add(AuditEntry(action="sign_in_failed", target=f"guess{n:02}@example.com"))
        db.session.commit()
    first = page_text(client.get("/support/audit"))
    assert first.index("guess59@example.com") < first.index("guess58@example.com")
    assert "Page 1 of 2" in first and "guess05@example.com" not in first
    second = page_text(client.get("/support/audit?page=2"))
    assert "guess05@example.com" in second and "Finished setting up" in second
    assert client.get("/support/audit?page=x").status_code == 404


def test_audit_command_prints_the_trail_newest_last(app, client, staff, runner):
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    lines = runner.invoke(args=["support", "audit"]).output.strip().splitlines()
    assert [line.split()[3] for line in lines] == [
        "staff_added",
        "setup_completed",
        "sign_in",
        "sign_out",
        "sign_in",
    ]
    assert lines[0].split()[2] == "-" and EMAIL in lines[0]
    last = runner.invoke(args=["support", "audit", "--limit", "2"]).output.strip().splitlines()
    assert last == lines[-2:]


def test_audit_entries_cannot_change(app, staff):
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).first()
        entry.action = "nothing happened"
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(AppendOnlyError):
            db.session.delete(db.session.scalars(select(AuditEntry)).first())
            db.session.commit()
        db.session.rollback()


def test_postgresql_refuses_to_change_the_trail(app, staff):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return  # SQLite has no such trigger; the ORM guard above covers it
        from sqlalchemy.exc import DBAPIError

        for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()


WORDS = {
    "ru": {
        "/support/login": ["Вход в службу поддержки", "Код из приложения-аутентификатора"],
        "setup": ["Настройка учётной записи", "Подтвердите первым кодом"],
        "/support/audit": ["Журнал действий"],
    },
    "fr": {
        "/support/login": ["Connexion au service d’assistance", "Code de l’application"],
        "setup": ["Configurer votre compte", "Confirmez avec un premier code"],
        "/support/audit": ["Journal d’audit"],
    },
}


@pytest.mark.parametrize("language", ["ru", "fr"])
def test_desk_pages_speak_russian_and_french(app, language):
    browser = app.test_client()
    browser.get(f"/support/login?lang={language}")
    link = add_staff(app, EMAIL)
    pages = {
        "/support/login": page_text(browser.get("/support/login")),
        "setup": page_text(browser.get(link)),
    }
    enrol(browser, link)
    pages["/support/audit"] = page_text(browser.get("/support/audit"))
    for name, html in pages.items():
        assert f'<html lang="{language}">' in html
        for phrase in WORDS[language][name]:
            assert phrase in html, (name, phrase)


def test_staff_language_choice_is_kept_on_their_account(app, client, staff):
    sign_in_staff(client, EMAIL, STAFF_PASSWORD, staff)
    client.get("/support/audit?lang=fr")
    assert staff_row(app).locale == "fr"
    # Another browser, no language cookie: the desk speaks the staff member's language.
    browser = app.test_client()
    sign_in_staff(browser, EMAIL, STAFF_PASSWORD, staff)
    assert '<html lang="fr">' in page_text(browser.get("/support/audit"))
