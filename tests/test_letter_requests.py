"""Letter requests: recovery and a failed sign-in record the same row for any address,
and the worker decides whether a letter goes (portal.letters.resolve_requests)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from portal import letters as letter_module
from portal.extensions import db
from portal.models import Draft, LetterRequest, OutboxMessage
from portal.models.types import utcnow
from portal.outbox.delivery import deliver_all_due
from tests.journey import Person, letters, open_wallet, start, submit
from tests.smtp import smtp_fixture  # noqa: F401
from tests.test_register_races import at_once


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def requests(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(LetterRequest.kind, LetterRequest.email, LetterRequest.locale).order_by(
                LetterRequest.id
            )
        )
        return [tuple(row) for row in rows]


def resolve(app) -> int:
    with app.app_context():
        return letter_module.resolve_requests()


def test_recovery_for_any_address_writes_one_request_and_no_letter(app):
    owner = Person(email="owner@example.com")
    open_wallet(app.test_client(), app, owner)
    before = count(app, OutboxMessage)
    for email in (owner.email, "nobody@example.com"):
        submit(app.test_client(), "/recover?lang=fr", {"email": email})
    assert requests(app) == [
        ("recover", owner.email, "fr"),
        ("recover", "nobody@example.com", "fr"),
    ]
    assert count(app, OutboxMessage) == before  # nothing looked up, nothing queued

    assert resolve(app) == 2
    assert count(app, LetterRequest) == 0
    assert [letter.recipient for letter in letters(app, kind="recover")] == [owner.email]
    assert resolve(app) == 0  # a resolved request is gone: no second letter
    assert len(letters(app, kind="recover")) == 1


def test_failed_sign_in_requests_the_continue_letter_for_any_address(app):
    person = Person(email="unfinished@example.com")
    start(app.test_client(), person)
    with app.app_context():  # the confirmation letter went long enough ago
        db.session.execute(update(Draft).values(last_letter_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    for email in (person.email, "stranger@example.com"):
        submit(app.test_client(), "/login", {"email": email, "password": "not-the-password"})
    assert [row[:2] for row in requests(app)] == [
        ("continue_registration", person.email),
        ("continue_registration", "stranger@example.com"),
    ]
    assert resolve(app) == 2
    assert [letter.recipient for letter in letters(app, kind="continue_registration")] == [
        person.email
    ]


def test_simultaneous_resolvers_take_each_request_once(app):
    owners = [Person(email=f"owner{number}@example.com") for number in range(3)]
    for owner in owners:
        open_wallet(app.test_client(), app, owner)
    for owner in owners:
        for _ in range(4):  # four requests each: four letters, each resolved once
            submit(app.test_client(), "/recover", {"email": owner.email})
    assert count(app, LetterRequest) == 12

    taken = at_once(*[lambda: resolve(app) for _ in range(6)])
    assert sum(taken) == 12
    assert count(app, LetterRequest) == 0
    for owner in owners:
        assert len(letters(app, owner.email, "recover")) == 4


def test_the_worker_resolves_requests_and_sends_the_letters(app_factory, smtp):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    owner = Person(email="worker@example.com")
    open_wallet(app.test_client(), app, owner)
    with app.app_context():
        deliver_all_due()
    smtp.received.clear()
    submit(app.test_client(), "/recover", {"email": owner.email})
    submit(app.test_client(), "/recover", {"email": "unknown@example.com"})
    with app.app_context():
        report = deliver_all_due()
    assert report.sent == 1
    assert [message.recipients for message in smtp.received] == [[owner.email]]
    assert count(app, LetterRequest) == 0


def test_a_failing_request_is_dropped_and_the_others_still_go(app, monkeypatch, caplog):
    owner = Person(email="after-fault@example.com")
    open_wallet(app.test_client(), app, owner)

    def broken(email, language):
        db.session.add(LetterRequest(kind="broken", email="half@example.com", locale="en"))
        raise RuntimeError("a resolver bug")

    monkeypatch.setitem(letter_module.RESOLVERS, "broken", broken)
    with app.app_context():
        letter_module.request_letter("broken", "victim@example.com", "en")
        db.session.commit()
    submit(app.test_client(), "/recover", {"email": owner.email})
    assert resolve(app) == 2
    assert count(app, LetterRequest) == 0  # dropped, and its half-done work undone
    assert [letter.recipient for letter in letters(app, kind="recover")] == [owner.email]
    [record] = [r for r in caplog.records if "could not be resolved" in r.getMessage()]
    assert "broken" in record.getMessage()
    assert "victim@example.com" not in caplog.text
