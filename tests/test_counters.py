"""Limits that hold under bursts: simultaneous attempts are judged one after the other
(portal.counters), on SQLite and PostgreSQL, each request in its own thread."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from portal.account import recovery, signin
from portal.extensions import db
from portal.models import Account, Draft, SignInThrottle
from portal.models.types import utcnow
from tests.journey import CSRF, Person, hidden, letters, link_in, open_wallet, start, text
from tests.test_register_races import at_once

BURST = 20


def counting(monkeypatch, module, name):
    """Count the calls of a real function (it still runs)."""
    calls = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def prepared_posts(app, path, data, browsers=BURST, page=None):
    """Browsers with the form's CSRF token already in hand, ready to post at once."""
    posts = []
    for _ in range(browsers):
        browser = app.test_client()
        token = hidden(text(browser.get(page or path)), CSRF)
        posts.append(lambda b=browser, t=token: b.post(path, data={"csrf_token": t, **data}))
    return posts


def same_browser_posts(app, browser, path, data, count=BURST):
    """Copies of one browser (its session cookie), each ready to post ``data`` at once."""
    cookie = browser.get_cookie("session").value
    posts = []
    for _ in range(count):
        twin = app.test_client()
        twin.set_cookie("session", cookie)
        posts.append(lambda b=twin: b.post(path, data=data))
    return posts


def test_simultaneous_wrong_passwords_are_judged_only_while_free(app, monkeypatch):
    checks = counting(monkeypatch, signin, "verify_secret")
    email = "burst@example.com"
    posts = prepared_posts(
        app, "/login", {"email": email, "password": "wrong-password-1", "submit": "1"}
    )
    responses = at_once(*posts)
    assert sorted({response.status_code for response in responses}) == [200]
    assert len(checks) == signin.FREE_FAILURES
    with app.app_context():
        row = db.session.get(SignInThrottle, signin.throttle_key(email))
        assert row.failures == signin.FREE_FAILURES
        assert row.blocked_until > utcnow()
    waits = [r for r in responses if "Too many failed attempts" in text(r)]
    assert len(waits) == BURST - signin.FREE_FAILURES


def test_simultaneous_wrong_answers_lock_recovery_once(app, monkeypatch):
    person = Person(email="lockout@example.com")
    open_wallet(app.test_client(), app, person)
    browser = app.test_client()
    token = hidden(text(browser.get("/recover")), CSRF)
    browser.post("/recover", data={"csrf_token": token, "email": person.email, "submit": "1"})
    link = link_in(letters(app, person.email, "recover")[-1], "/recover/")
    judged = counting(monkeypatch, recovery, "verify_answer")
    wrong = {
        "answer_1": "not it",
        "answer_2": "nor this",
        "password": "harbour-lamp-violin-58",
        "password_confirm": "harbour-lamp-violin-58",
        "submit": "1",
    }
    responses = at_once(*prepared_posts(app, link, wrong))
    assert sorted({response.status_code for response in responses}) == [200]
    assert len(judged) == 2 * app.config["RECOVERY_MAX_FAILURES"]  # two answers per pair
    assert len(letters(app, person.email, "recovery_locked")) == 1
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == person.email))
        assert account.recovery_locked_until > utcnow()


def resend_burst(app, person):
    browser = app.test_client()
    start(browser, person)
    with app.app_context():
        db.session.execute(
            update(Draft)
            .where(Draft.email == person.email)
            .values(last_letter_at=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
    token = hidden(text(browser.get("/register/sent")), CSRF)
    posts = same_browser_posts(app, browser, "/register/resend", {"csrf_token": token})
    responses = at_once(*posts)
    assert {response.status_code for response in responses} == {302}
    with app.app_context():
        draft = db.session.scalar(select(Draft).where(Draft.email == person.email))
        return draft.resends, len(letters(app, person.email, "confirm")) - 1


def test_simultaneous_resends_respect_the_cooldown(app_factory):
    app = app_factory(RESEND_COOLDOWN_SECONDS=60)
    resends, letters_again = resend_burst(app, Person(email="resend@example.com"))
    assert (resends, letters_again) == (1, 1)


def test_simultaneous_resends_respect_the_daily_limit(app_factory):
    app = app_factory(RESEND_COOLDOWN_SECONDS=0, RESEND_DAILY_LIMIT=3)
    resends, letters_again = resend_burst(app, Person(email="daily@example.com"))
    assert (resends, letters_again) == (3, 3)
