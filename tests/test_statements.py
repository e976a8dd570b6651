"""Round trips to the database, counted per request, so that no change adds one silently
(issue 14): a signed-out page that needs nothing from the database touches it not at
all; a wizard page reads its draft in one statement; step 3's POST reads and writes it
in two. The counts are the same on SQLite and PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from portal.extensions import db
from tests.journey import CSRF, Person, hidden, open_wallet, reach_personal, submit, text


@contextmanager
def statements(app):
    """The SQL statements sent while the block runs (each a first line, for the message)."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        seen.append(statement.strip().splitlines()[0][:80])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("path", ["/", "/login", "/recover", "/help/email", "/legal/privacy"])
def test_signed_out_pages_do_not_touch_the_database(app, path):
    client = app.test_client()
    client.get(path)  # the first request of a browser sets its cookies
    with statements(app) as seen:
        assert client.get(path).status_code == 200
    assert seen == []


def test_step_1_reads_its_bound_and_writes_one_captcha(app):
    client = app.test_client()
    with statements(app) as seen:
        assert client.get("/register").status_code == 200
    assert len(seen) == 2, seen  # the client's live challenges, the new one


def test_each_wizard_page_reads_its_draft_once(app):
    client, person = app.test_client(), Person(email="counted@example.com")
    reach_personal(client, app, person)
    with statements(app) as seen:
        assert client.get("/register/personal").status_code == 200
    assert len(seen) == 1, seen
    submit(client, "/register/personal", person.personal())
    with statements(app) as seen:
        assert client.get("/register/security").status_code == 200
    assert len(seen) == 1, seen
    token = hidden(text(client.get("/register/security")), CSRF)
    with statements(app) as seen:
        response = client.post(
            "/register/security", data={"csrf_token": token, "submit": "1", **person.security()}
        )
    assert response.status_code == 302
    assert [statement.split()[0] for statement in seen] == ["SELECT", "UPDATE"], seen
    with statements(app) as seen:
        assert client.get("/register/refunds").status_code == 200
    assert len(seen) == 1, seen


def test_the_account_page_reads_four_rows(app):
    client, person = app.test_client(), Person(email="account-count@example.com")
    open_wallet(client, app, person)  # and signed in
    with statements(app) as seen:
        assert client.get("/account").status_code == 200
    assert len(seen) == ACCOUNT_PAGE_STATEMENTS, seen


# The session and its account, the verification state, the payment password's state.
ACCOUNT_PAGE_STATEMENTS = 4
