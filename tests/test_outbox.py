"""Delivery through a real SMTP server on loopback: what leaves, and what becomes of
a letter when the server refuses it, drops the line, or is not there at all."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask_babel import gettext

from portal.extensions import db
from portal.i18n import in_language
from portal.letters import SUBJECTS, delivery_state, enqueue_letter
from portal.models.outbox import DEAD, QUEUED, SENT
from portal.models.types import utcnow
from portal.outbox.claims import retry_delay
from portal.outbox.delivery import deliver_all_due
from tests.letters import make_due, outbox_row, outbox_rows, queue_letters
from tests.smtp import closed_port_fixture, smtp_fixture  # noqa: F401

NAMES = {"ru": "Анна", "fr": "Élodie"}


@pytest.fixture
def mail_app(app_factory, smtp):
    return app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, OUTBOX_RETRY_BASE_SECONDS=60)


@pytest.mark.parametrize("language", ["ru", "fr"])
def test_letter_leaves_with_text_and_html_in_the_recipients_language(mail_app, smtp, language):
    name = NAMES[language]
    with mail_app.app_context():
        letter = enqueue_letter(
            "welcome",
            "holder@example.com",
            language,
            name=name,
            account_url="http://127.0.0.1:5000/account",
            refund_to_wallet=True,
        )
        db.session.commit()
        with in_language(language):
            subject = str(SUBJECTS["welcome"])
            greeting = gettext("Hello, %(name)s,", name=name)
        report = deliver_all_due()
        row = outbox_row(letter.id)

    assert report.sent == 1
    [received] = smtp.received
    assert received.message_id == row.message_id
    assert received.recipients == ["holder@example.com"]
    assert received.subject == subject == row.subject
    assert received.message["Content-Language"] == language
    assert received.message["Auto-Submitted"] == "auto-generated"
    text, html = received.part("plain"), received.part("html")
    # SMTP carries lines ending in CRLF; the words are the ones rendered at enqueue.
    assert text.replace("\r\n", "\n").strip() == row.body_text.strip()
    assert greeting in text and greeting in html
    assert f'<html lang="{language}">' in html
    assert (
        "http://127.0.0.1:5000/account" in text and 'href="http://127.0.0.1:5000/account"' in html
    )
    assert (row.status, row.attempts, row.lease_until) == (SENT, 1, None)
    assert utcnow() - timedelta(seconds=30) < row.sent_at <= utcnow()


def test_letters_of_a_batch_share_one_connection(mail_app, smtp):
    with mail_app.app_context():
        queue_letters(5)
        report = deliver_all_due()
    assert report.sent == 5
    assert len({letter.message_id for letter in smtp.received}) == 5
    # One SMTP session: the server saw every letter from the same client port.
    assert len(smtp.peers()) == 1


def test_temporary_refusal_is_retried_after_backoff_and_delivered_once(mail_app, smtp):
    smtp.temporary_failures = 1
    with mail_app.app_context():
        [letter_id] = queue_letters(1)
        first = deliver_all_due()
        row = outbox_row(letter_id)
        assert (first.sent, first.retrying) == (0, 1)
        assert (row.status, row.attempts, row.lease_until) == (QUEUED, 1, None)
        assert row.last_error.startswith("451 4.3.0")
        # Base 60 s, half of it random: due again in 30 to 60 seconds.
        wait = (row.next_attempt_at - utcnow()).total_seconds()
        assert 25 < wait <= 60
        assert delivery_state(row) == "trouble"

        assert deliver_all_due().claimed == 0, "retried before its time"
        assert smtp.received == []

        make_due(letter_id)
        second = deliver_all_due()
        row = outbox_row(letter_id)
    assert second.sent == 1
    assert (row.status, row.attempts) == (SENT, 2)
    assert delivery_state(row) == "sent"
    assert smtp.message_ids() == [row.message_id]


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_permanent_refusal_makes_the_letter_dead_after_one_try(mail_app, smtp, stage):
    smtp.permanent_reply = "550 5.1.1 No such mailbox here"
    smtp.permanent_at = stage
    with mail_app.app_context():
        [letter_id] = queue_letters(1)
        report = deliver_all_due()
        make_due(letter_id)
        again = deliver_all_due()
        row = outbox_row(letter_id)
    assert (report.dead, report.retrying, again.claimed) == (1, 0, 0)
    assert (row.status, row.attempts, row.sent_at) == (DEAD, 1, None)
    assert row.last_error == "550 5.1.1 No such mailbox here"
    assert delivery_state(row) == "trouble"
    assert smtp.received == []


def test_refused_connection_is_retried_for_the_whole_batch(
    app_factory, smtp, closed_port, database_url
):
    down = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    with down.app_context():
        ids = queue_letters(3)
        report = deliver_all_due()
        rows = outbox_rows()
    assert (report.retrying, report.sent, report.dead) == (3, 0, 0)
    for letter_id in ids:
        row = rows[letter_id]
        assert (row.status, row.attempts) == (QUEUED, 1)
        assert "Connection refused" in row.last_error
        assert row.next_attempt_at > utcnow()

    up = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with up.app_context():
        make_due()
        report = deliver_all_due()
        rows = outbox_rows()
    assert report.sent == 3
    assert sorted(smtp.message_ids()) == sorted(rows[i].message_id for i in ids)
    assert {rows[i].attempts for i in ids} == {2}


def test_dropped_connection_fails_one_letter_and_the_batch_goes_on(mail_app, smtp):
    smtp.drops = 1
    with mail_app.app_context():
        ids = queue_letters(3)
        report = deliver_all_due()
        rows = outbox_rows()
    assert (report.sent, report.retrying) == (2, 1)
    first = rows[ids[0]]
    assert first.status == QUEUED
    assert first.last_error.startswith("SMTPServerDisconnected")
    assert sorted(smtp.message_ids()) == sorted(rows[i].message_id for i in ids[1:])


def test_timeout_is_retried_with_the_same_message_id(app_factory, smtp):
    # The server keeps the letter but answers too late: an uncertain failure. The
    # retry carries the same Message-ID, so the copy can be recognised downstream.
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=0.3)
    smtp.delay = 1.0
    with app.app_context():
        [letter_id] = queue_letters(1)
        report = deliver_all_due()
        row = outbox_row(letter_id)
        assert report.retrying == 1
        assert row.status == QUEUED and "timed out" in row.last_error
        smtp.delay = 0
        make_due(letter_id)
        assert deliver_all_due().sent == 1
        row = outbox_row(letter_id)
    assert row.status == SENT
    assert smtp.message_ids() == [row.message_id, row.message_id]


def test_too_many_temporary_failures_make_the_letter_dead(app_factory, smtp):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, OUTBOX_MAX_ATTEMPTS=3)
    smtp.temporary_failures = 100
    with app.app_context():
        [letter_id] = queue_letters(1)
        statuses = []
        for _ in range(4):
            deliver_all_due()
            statuses.append(outbox_row(letter_id).status)
            make_due(letter_id)
        row = outbox_row(letter_id)
    assert statuses == [QUEUED, QUEUED, DEAD, DEAD]
    assert (row.attempts, row.sent_at) == (3, None)
    assert row.last_error.startswith("451")
    assert smtp.temporary_failures == 97


def test_dev_mailbox_delivers_without_smtp(app_factory, smtp, client):
    app = app_factory()  # testing: MAIL_SERVER empty, DEV_MAILBOX on, as in development
    with app.app_context():
        ids = queue_letters(2)
        report = deliver_all_due()
        rows = outbox_rows()
    assert report.sent == 2
    assert {rows[i].status for i in ids} == {SENT}
    assert smtp.received == []
    page = app.test_client().get("/dev/mail").get_data(as_text=True)
    assert page.count("<td>Sent</td>") == 2


def test_backoff_grows_exponentially_with_jitter_up_to_the_ceiling():
    rng = random.Random(4)
    for attempts in range(1, 12):
        full = min(3600, 30 * 2 ** (attempts - 1))
        for _ in range(50):
            assert full / 2 <= retry_delay(attempts, 30, 3600, rng) <= full
    samples = {round(retry_delay(3, 30, 3600, rng), 3) for _ in range(20)}
    assert len(samples) > 10, "no jitter"
    assert retry_delay(500, 30, 3600, rng) <= 3600


@pytest.mark.parametrize("number", [2**31 - 1, 2**31, 2**63, 10**23])
@pytest.mark.parametrize("suffix", ["", "/html"])
def test_dev_mailbox_answers_404_for_a_letter_number_past_any_id(app, number, suffix):
    response = app.test_client().get(f"/dev/mail/{number}{suffix}")
    assert response.status_code == 404
