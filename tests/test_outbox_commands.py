"""The operator's commands (list, retry, remind, send) and what a person waiting for
the letter is told on "Check your mail"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.i18n import in_language
from portal.letters import SUBJECTS
from portal.models import Account, Draft, OutboxMessage
from portal.models.outbox import DEAD, QUEUED, SENT
from portal.models.types import utcnow
from tests.letters import outbox_row, outbox_rows, queue_letters
from tests.smtp import smtp_fixture  # noqa: F401

CAPTCHA_ID = re.compile(r'name="captcha_id" type="hidden" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def set_status(letter_id: int, status: str, **values) -> None:
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == letter_id).values(status=status, **values)
    )
    db.session.commit()


def test_list_shows_a_readable_table_and_filters_by_status(app):
    runner = app.test_cli_runner()
    with app.app_context():
        queued, sent, dead = queue_letters(3)
        set_status(sent, SENT, attempts=1, sent_at=utcnow())
        set_status(dead, DEAD, attempts=1, last_error="550 5.1.1 " + "no such mailbox " * 10)

    everything = runner.invoke(args=["outbox", "list"])
    assert everything.exit_code == 0, everything.output
    lines = everything.output.splitlines()
    assert lines[0] == "queued: 1  sending: 0  sent: 1  dead: 1"
    assert lines[1].split() == [
        "ID", "STATUS", "TRIES", "KIND", "TO", "QUEUED", "(UTC)", "SENT/NEXT", "(UTC)", "LAST",
        "ERROR",
    ]  # fmt: skip
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {str(queued), str(sent), str(dead)}
    assert rows[str(dead)].split()[1:4] == ["dead", "1", "confirm"]
    assert "550 5.1.1 no such mailbox" in rows[str(dead)]
    assert rows[str(dead)].endswith("…"), "a long error is cut to fit the line"
    assert rows[str(queued)].split()[1:3] == ["queued", "0"]
    # Columns line up: every status starts where the header's STATUS does.
    column = lines[1].index("STATUS")
    assert {line[column:].split()[0] for line in lines[2:]} == {"queued", "sent", "dead"}

    only_dead = runner.invoke(args=["outbox", "list", "--status", "dead"])
    assert [line.split()[0] for line in only_dead.output.splitlines()[2:]] == [str(dead)]
    nothing = runner.invoke(args=["outbox", "list", "--status", "sending"])
    assert nothing.output.splitlines()[-1] == "no letters with status sending"


def test_retry_queues_a_dead_letter_again_and_refuses_others(app):
    runner = app.test_cli_runner()
    with app.app_context():
        dead, sent = queue_letters(2)
        set_status(dead, DEAD, attempts=8, last_error="451 busy")
        set_status(sent, SENT, attempts=1, sent_at=utcnow())

    result = runner.invoke(args=["outbox", "retry", str(dead)])
    assert result.exit_code == 0
    assert result.output == f"letter #{dead} queued again\n"
    with app.app_context():
        row = outbox_row(dead)
        assert (row.status, row.attempts, row.last_error) == (QUEUED, 0, "451 busy")
        assert row.next_attempt_at <= utcnow()

    refused = runner.invoke(args=["outbox", "retry", str(sent), "999999"])
    assert refused.exit_code == 1
    assert f"letter #{sent} is sent, not dead" in refused.output
    assert "no letter #999999" in refused.output
    with app.app_context():
        assert outbox_row(sent).status == SENT


def test_send_delivers_what_is_due_and_reports(app_factory, smtp):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        ids = queue_letters(3)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert (
        f"outbox send, to SMTP 127.0.0.1:{smtp.port}: sent 3, will retry 0, dead 0" in result.output
    )
    with app.app_context():
        assert {outbox_rows()[i].status for i in ids} == {SENT}
    assert len(smtp.received) == 3


def test_send_refuses_a_configuration_with_nowhere_to_deliver(app_factory):
    app = app_factory(MAIL_SERVER="", DEV_MAILBOX=False)
    with app.app_context():
        [letter_id] = queue_letters(1)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "nowhere to deliver letters; set PORTAL_MAIL_SERVER" in result.output
    with app.app_context():
        assert outbox_row(letter_id).status == QUEUED


# Reminders ------------------------------------------------------------------------


def make_draft(email: str, *, letter_age: timedelta | None, **values) -> int:
    now = utcnow()
    draft = Draft(
        ref=f"ref-{email}",
        email=email,
        locale=values.pop("locale", "en"),
        created_at=now - timedelta(hours=5),
        expires_at=values.pop("expires_at", now + timedelta(days=6)),
        last_letter_at=None if letter_age is None else now - letter_age,
        **values,
    )
    db.session.add(draft)
    db.session.commit()
    return draft.id


def make_account(email: str) -> None:
    db.session.add(
        Account(
            email=email,
            password_hash="x",
            first_name="A",
            last_name="B",
            citizenship="FR",
            document_type="passport",
            document_number="18AB12345",
            country="FR",
            city="Paris",
            street="1 rue",
            phone="+33612345678",
            question_1="q1",
            answer_1_hash="x",
            question_2="q2",
            answer_2_hash="x",
        )
    )
    db.session.commit()


def test_remind_sends_once_and_only_to_unconfirmed_live_drafts(app):
    runner = app.test_cli_runner()
    hours = timedelta(hours=2)
    now = utcnow()
    with app.app_context():
        due = make_draft("due@example.com", letter_age=hours, locale="fr")
        no_letter_yet = make_draft("quiet@example.com", letter_age=None)
        skipped = {
            make_draft("confirmed@example.com", letter_age=hours, confirmed_at=now),
            make_draft("expired@example.com", letter_age=hours, expires_at=now),
            make_draft("finished@example.com", letter_age=hours, completed_at=now),
            make_draft("recent@example.com", letter_age=timedelta(minutes=10)),
            make_draft("reminded@example.com", letter_age=hours, reminded_at=now - hours),
            make_draft("has-wallet@example.com", letter_age=hours),
        }
        make_account("has-wallet@example.com")

    first = runner.invoke(args=["outbox", "remind"])
    second = runner.invoke(args=["outbox", "remind"])
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.output == "queued 2 reminders\n"
    assert second.output == "queued 0 reminders\n"

    with app.app_context():
        letters = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(letter.draft_id, letter.kind) for letter in letters] == [
            (due, "reminder"),
            (no_letter_yet, "reminder"),
        ]
        reminder = letters[0]
        assert (reminder.recipient, reminder.locale) == ("due@example.com", "fr")
        with in_language("fr"):
            assert reminder.subject == str(SUBJECTS["reminder"])
        draft = db.session.get(Draft, due)
        assert draft.reminded_at is not None
        assert utcnow() - draft.last_letter_at < timedelta(minutes=1)
        untouched = db.session.scalars(select(Draft).where(Draft.id.in_(skipped))).all()
        assert {d.email for d in untouched if d.reminded_at and d.reminded_at > now} == {
            "has-wallet@example.com"
        }

    # The reminder's link is a working confirmation link.
    path = re.search(r"http://127\.0\.0\.1:5000(/register/confirm/\S+)", reminder.body_text)
    response = app.test_client().get(path.group(1))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/personal")


def test_remind_waits_for_the_configured_time(app_factory):
    app = app_factory(OUTBOX_REMIND_AFTER_SECONDS=3 * 3600)
    with app.app_context():
        make_draft("due@example.com", letter_age=timedelta(hours=2))
    result = app.test_cli_runner().invoke(args=["outbox", "remind"])
    assert result.output == "queued 0 reminders\n"


# What the person waiting for the letter sees ----------------------------------------


def start_registration(client, email: str) -> None:
    page = client.get("/register").get_data(as_text=True)
    response = client.post(
        "/register",
        data={
            "email": email,
            "captcha": "TEST7",
            "captcha_id": CAPTCHA_ID.search(page).group(1),
            "csrf_token": CSRF.search(page).group(1),
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/register/sent")


@pytest.mark.parametrize(
    ("refusals", "state", "words"),
    [
        (0, "sent", "Sent on "),
        (1, "trouble", "having trouble delivering it; we keep trying."),
    ],
)
def test_check_your_mail_shows_the_letters_real_state(app_factory, smtp, refusals, state, words):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    client = app.test_client()
    start_registration(client, "new@example.com")
    assert "We are sending it." in client.get("/register/sent").text
    assert client.get("/register/sent/status").json["state"] == "queued"

    smtp.temporary_failures = refusals
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).exit_code == 0

    status = client.get("/register/sent/status").json
    assert status["state"] == state
    assert words in status["html"]
    assert words in client.get("/register/sent").text
