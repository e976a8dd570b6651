"""The desk's review queue: the list oldest first, claims as leases (two reviewers racing,
exactly one wins), decisions with letters in the person's language, documents only for
staff (no-store, no script), audit rows, and `flask documents purge`."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Account, AuditEntry, ReviewRequest, Staff
from portal.models.types import utcnow
from portal.support import accounts, queue
from tests import document_files as files
from tests.conftest import clear_tables, make_app
from tests.desk import (
    account_row,
    as_file,
    person_with_wallet,
    requests_of,
    staff_at_desk,
    upload,
    upload_jpeg,
)
from tests.journey import letters, submit, text


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def pending_id(app, email: str) -> int:
    return requests_of(app, email)[-1].id


def claim(desk, request_id: int):
    return submit(desk, f"/support/requests/{request_id}/claim", {}, page="/support")


def decide(desk, request_id: int, **data):
    page = f"/support/requests/{request_id}"
    return submit(desk, f"{page}/decide", data, page=page)


def test_the_queue_lists_open_requests_oldest_first(app):
    first, one = person_with_wallet(app, "first@example.com")
    second, two = person_with_wallet(app, "second@example.com")
    upload_jpeg(second)
    upload_jpeg(first)
    with app.app_context():
        db.session.execute(
            update(ReviewRequest)
            .where(ReviewRequest.id == pending_id(app, one.email))
            .values(created_at=utcnow() - timedelta(hours=3))
        )
        db.session.commit()
    desk, _secret = staff_at_desk(app)
    response = desk.get("/support")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    assert html.index(f"#{pending_id(app, one.email)}<") < html.index(
        f"#{pending_id(app, two.email)}<"
    )
    assert "3 hours" in html and "Identity verification" in html


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "Review queue"), ("ru", "Очередь проверки"), ("fr", "File de vérification")],
)
def test_the_desk_speaks_three_languages(app, language, title):
    desk, _secret = staff_at_desk(app)
    assert title in text(desk.get(f"/support?lang={language}"))


def test_signed_out_staff_go_to_the_desk_sign_in(client):
    response = client.get("/support")
    assert response.status_code == 302
    assert "/support/login" in response.headers["Location"]


def test_a_claim_a_decision_a_letter_and_the_account_page(app):
    person_browser, person = person_with_wallet(app, "paul@example.com", language="fr")
    upload(person_browser, as_file(files.pdf(), "scan.pdf", "application/pdf"))
    request_id = pending_id(app, person.email)
    desk, _secret = staff_at_desk(app)
    page = text(desk.get(f"/support/requests/{request_id}"))
    assert person.document_number in page and "Record the decision" not in page

    assert claim(desk, request_id).headers["Location"].endswith(f"/support/requests/{request_id}")
    page = text(desk.get(f"/support/requests/{request_id}"))
    assert "Record the decision" in page
    assert f'src="/support/requests/{request_id}/document.png"' in page
    image = desk.get(f"/support/requests/{request_id}/document.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")  # the PDF, rendered

    refused = decide(desk, request_id, decision="reject")
    assert "Choose the reason for the rejection." in text(refused)
    assert requests_of(app, person.email)[-1].status == "pending"

    response = decide(desk, request_id, decision="reject", reason="mismatch", note="name differs")
    assert response.status_code == 302
    request = requests_of(app, person.email)[-1]
    assert (request.status, request.reason) == ("rejected", "mismatch")
    assert request.note == "name differs"
    assert account_row(app, person.email).verification_status == "rejected"
    [letter] = letters(app, person.email, "verification_rejected")
    assert letter.locale == "fr" and "Nous avons vérifié" in letter.body_text
    assert "ne correspond pas aux informations" in letter.body_text
    assert "name differs" not in letter.body_text  # the internal note stays at the desk
    assert "Refusée le" in text(person_browser.get("/account"))
    trail = actions(app)
    assert (
        trail.index(queue.CLAIM) < trail.index(queue.DOCUMENT_VIEWED) < trail.index(queue.DECISION)
    )


def test_approval_by_letter(app):
    person_browser, person = person_with_wallet(app, "olga@example.com", language="ru")
    upload_jpeg(person_browser)
    request_id = pending_id(app, person.email)
    desk, _secret = staff_at_desk(app)
    claim(desk, request_id)
    assert decide(desk, request_id, decision="approve").status_code == 302
    assert account_row(app, person.email).verification_status == "approved"
    [letter] = letters(app, person.email, "verification_approved")
    assert "ваша личность подтверждена" in letter.body_text
    assert "Подтверждена" in text(person_browser.get("/account"))


def test_a_reviewer_without_the_claim_cannot_decide(app):
    person_browser, person = person_with_wallet(app)
    upload_jpeg(person_browser)
    request_id = pending_id(app, person.email)
    first, _ = staff_at_desk(app, "first@desk.example")
    second, _ = staff_at_desk(app, "second@desk.example")
    claim(first, request_id)
    assert "/support/requests/" not in claim(second, request_id).headers["Location"]
    response = decide(second, request_id, decision="approve")
    assert "Record the decision" not in text(response)
    assert requests_of(app, person.email)[-1].status == "pending"
    # A lease that ran out lets the other one take it.
    with app.app_context():
        db.session.execute(
            update(ReviewRequest).values(claim_expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert claim(second, request_id).headers["Location"].endswith(f"/requests/{request_id}")
    assert decide(first, request_id, decision="approve").status_code == 302
    assert requests_of(app, person.email)[-1].status == "pending"  # first lost the lease
    assert decide(second, request_id, decision="approve").status_code == 302
    assert requests_of(app, person.email)[-1].status == "approved"


@pytest.fixture
def postgresql_app(postgresql_url, tmp_path):
    """PostgreSQL only: the race is about its row locks (SQLite serializes all writers)."""
    app = make_app(postgresql_url, DOCUMENT_STORAGE=str(tmp_path / "documents"))
    yield app
    with app.app_context():
        clear_tables()
        db.engine.dispose()


def test_two_reviewers_racing_exactly_one_wins(postgresql_app):
    app = postgresql_app
    person_browser, person = person_with_wallet(app)
    upload_jpeg(person_browser)
    request_id = pending_id(app, person.email)
    with app.test_request_context():
        ids = [accounts.add_staff(f"racer{n}@example.com")[0].id for n in range(8)]
    barrier = threading.Barrier(len(ids))
    won: list[int] = []

    def race(staff_id: int) -> None:
        with app.app_context():
            staff = db.session.get(Staff, staff_id)
            barrier.wait()
            if queue.claim(request_id, staff) is not None:
                won.append(staff_id)
            db.session.remove()

    threads = [threading.Thread(target=race, args=(staff_id,)) for staff_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    assert requests_of(app, person.email)[-1].claimed_by == won[0]
    assert actions(app).count(queue.CLAIM) == 1


def test_no_document_for_a_wallet_account_or_anyone_signed_out(app):
    person_browser, person = person_with_wallet(app)
    upload_jpeg(person_browser)
    request_id = pending_id(app, person.email)
    path = f"/support/requests/{request_id}/document.png"
    for browser in (person_browser, app.test_client()):
        response = browser.get(path)
        assert response.status_code == 302 and "/support/login" in response.headers["Location"]
        assert b"\x89PNG" not in response.data and b"\xff\xd8" not in response.data
        assert browser.get(f"/support/requests/{request_id}").status_code == 302
    desk, _ = staff_at_desk(app)
    served = desk.get(path)
    assert served.status_code == 200
    assert served.headers["Cache-Control"] == "no-store"
    assert served.headers["Content-Disposition"].startswith("inline; filename=")
    policy = served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert desk.get(f"/support/requests/{request_id}/document_back.png").status_code == 404
    assert desk.get(f"/support/requests/{request_id}/other.png").status_code == 404


def test_purge_deletes_files_after_the_retention_keeping_the_decision(app):
    person_browser, person = person_with_wallet(app)
    upload_jpeg(person_browser)
    request_id = pending_id(app, person.email)
    desk, _ = staff_at_desk(app)
    claim(desk, request_id)
    decide(desk, request_id, decision="reject", reason="unreadable")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["documents", "purge"])
    assert "0 file(s) deleted from 0" in result.output
    with app.app_context():
        db.session.execute(
            update(ReviewRequest).values(decided_at=utcnow() - timedelta(days=30, minutes=1))
        )
        db.session.commit()
    result = runner.invoke(args=["documents", "purge"])
    assert result.exit_code == 0 and "1 file(s) deleted from 1" in result.output
    request = requests_of(app, person.email)[-1]
    assert request.status == "rejected" and request.reason == "unreadable"
    assert request.documents_purged_at is not None
    assert request.document.discarded_at is not None
    assert desk.get(f"/support/requests/{request_id}/document.png").status_code == 404
    assert "The files were deleted on" in text(desk.get(f"/support/requests/{request_id}"))
    assert "1 file(s)" not in runner.invoke(args=["documents", "purge"]).output
    assert queue.PURGE in actions(app)


def test_a_kind_plugs_in_its_own_decision(app):
    """Issue 11's payment-password reset will register itself like this."""
    seen = []
    queue.register_kind("test_kind", "Test kind", lambda request, staff: seen.append(request.id))
    try:
        _browser, person = person_with_wallet(app)
        with app.test_request_context():
            account = db.session.scalar(select(Account).where(Account.email == person.email))
            request = queue.open_request(account, "test_kind", [], person_note="  forgot  ")
            assert request.person_note == "forgot"
            with pytest.raises(queue.AlreadyPending):
                queue.open_request(account, "test_kind", [])
            staff, _ = accounts.add_staff("kind@example.com")
            with pytest.raises(queue.NotClaimed):
                queue.decide(request, staff, approved=True)
            assert queue.claim(request.id, staff) is not None
            queue.decide(request, staff, approved=True)
            assert seen == [request.id]
            assert account.verification_status == "unverified"  # not a verification
    finally:
        queue.KINDS.pop("test_kind", None)
