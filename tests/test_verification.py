"""/account/verification, the person's side: the status in words, uploads checked by their
bytes (refused next to the field, nothing stored), withdrawal, re-upload after a rejection,
approval final, the per-account rate limit and the 413 page for a huge body."""

from __future__ import annotations

import io
import os
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.models import Document, ReviewRequest
from tests import document_files as files
from tests.desk import (
    VERIFY,
    account_row,
    as_file,
    person_with_wallet,
    requests_of,
    upload,
    upload_jpeg,
)
from tests.journey import CSRF, hidden, submit, text

STATUS = re.compile(r'id="verification-status">([^<]*)<')
REASON = re.compile(r'id="verification-reason">([^<]*)<')
FIELD_ERROR = re.compile(r'<p class="field__error" id="([\w-]+)-error">.*?</span>(.*?)</p>', re.S)


def status_on(html: str) -> str:
    return STATUS.search(html).group(1)


def errors_on(html: str) -> dict[str, str]:
    return dict(FIELD_ERROR.findall(html))


def stored_files(app) -> list[str]:
    folder = app.config["DOCUMENT_STORAGE"]
    if not os.path.isdir(folder):
        return []
    return [name for name in os.listdir(folder) if not name.startswith(".")]


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Document)),
            db.session.scalar(select(func.count()).select_from(ReviewRequest)),
        )


def decide(app, email: str, *, approved: bool, reason: str | None = None) -> None:
    """A reviewer's decision through the queue (the desk's pages are tested elsewhere)."""
    from portal.support import accounts, queue

    with app.test_request_context():
        staff, _token = accounts.add_staff(f"decider-{approved}-{reason}@example.com")
        pending = requests_of(app, email)[-1]
        assert queue.claim(pending.id, staff) is not None
        queue.decide(queue.get(pending.id), staff, approved=approved, reason=reason)


def test_signed_out_goes_to_sign_in_and_back(client):
    response = client.get(VERIFY)
    assert response.status_code == 302
    assert "/login?next=/account/verification" in response.headers["Location"]


@pytest.mark.parametrize(
    ("language", "not_started", "pending"),
    [
        ("en", "Not started", "Pending since"),
        ("ru", "Не начата", "На проверке с"),
        ("fr", "Non commencée", "En cours de vérification depuis le"),
    ],
)
def test_status_in_words_on_both_pages(app, language, not_started, pending):
    client, person = person_with_wallet(app, language=language)
    assert status_on(text(client.get(VERIFY))) == not_started
    overview = text(client.get("/account"))
    assert status_on(overview) == not_started
    assert 'href="/account/verification"' in overview
    assert upload_jpeg(client).status_code == 302
    for path in (VERIFY, "/account"):
        shown = status_on(text(client.get(path)))
        assert shown.startswith(pending)
        assert re.search(r"\d{4}", shown), shown  # the date, by Babel


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (files.jpeg(), "photo.jpg", "image/jpeg"),
        (files.png(), "scan.png", "image/png"),
        (files.pdf(), "scan.pdf", "application/pdf"),
        (files.png(), "renamed.jpg", "image/jpeg"),  # the name lies; the bytes decide
    ],
)
def test_each_accepted_type_is_stored_encrypted_and_queued(app, data, name, content_type):
    client, person = person_with_wallet(app)
    response = upload(client, as_file(data, name, content_type))
    assert response.status_code == 302
    [request] = requests_of(app, person.email)
    assert request.kind == "verification" and request.status == "pending"
    assert request.document is not None and request.document_back is None
    assert request.document.content_type == {b"\xff": "image/jpeg", b"\x89": "image/png"}.get(
        data[:1], "application/pdf"
    )
    assert account_row(app, person.email).verification_status == "pending"
    [stored] = stored_files(app)
    with open(os.path.join(app.config["DOCUMENT_STORAGE"], stored), "rb") as file:
        assert files.MARKER.encode() not in file.read()


def test_front_and_back(app):
    client, person = person_with_wallet(app)
    upload(client, as_file(files.jpeg()), as_file(files.png(), "back.png", "image/png"))
    [request] = requests_of(app, person.email)
    assert request.document.kind == "document"
    assert request.document_back.kind == "document_back"
    assert len(stored_files(app)) == 2


@pytest.mark.parametrize(
    ("front", "back", "field", "message"),
    [
        (None, None, "document", "Choose the scan or photo of your document."),
        (files.renamed_executable(), None, "document", "is not a JPEG, PNG or PDF"),
        (files.truncated_jpeg(), None, "document", "seems damaged"),
        (files.decompression_bomb_png(), None, "document", "too large in pixels"),
        (files.encrypted_pdf(), None, "document", "protected by a password"),
        (files.pdf_with_javascript(), None, "document", "contains JavaScript"),
        (files.jpeg(), files.text_file(), "document_back", "is not a JPEG, PNG or PDF"),
    ],
    ids=["none", "executable", "truncated", "bomb", "encrypted-pdf", "pdf-js", "bad-back"],
)
def test_refusals_next_to_the_field_and_nothing_stored(app, front, back, field, message):
    client, person = person_with_wallet(app)
    response = upload(
        client,
        as_file(front, "passport.jpg") if front is not None else None,
        as_file(back, "back.jpg") if back is not None else None,
    )
    assert response.status_code == 200
    errors = errors_on(text(response))
    assert message in errors[field], errors
    assert stored_files(app) == []
    assert counts(app) == (0, 0)
    assert account_row(app, person.email).verification_status == "unverified"


def test_an_oversized_file_is_refused_next_to_the_field(app_factory):
    app = app_factory(VERIFICATION_MAX_BYTES=50_000)
    client, _person = person_with_wallet(app)
    response = upload(client, as_file(files.jpeg() + b"\0" * 60_000))
    assert "larger than" in errors_on(text(response))["document"]
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "не является JPEG, PNG или PDF"),
        ("fr", "n’est pas un JPEG, un PNG ou un PDF"),
    ],
)
def test_refusals_speak_the_page_language(app, language, message):
    client, _person = person_with_wallet(app, language=language)
    response = upload(client, as_file(files.renamed_executable(), "passport.jpg"))
    assert message in errors_on(text(response))["document"]


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "What you sent is too large"), ("fr", "Envoi trop volumineux")],
)
def test_a_huge_body_gets_the_localized_413_page(app_factory, language, title):
    app = app_factory(VERIFICATION_MAX_BYTES=100_000)
    client, _person = person_with_wallet(app, language=language)
    response = upload(client, as_file(b"\xff\xd8\xff" + b"x" * 400_000))
    assert response.status_code == 413
    assert title in text(response)
    assert counts(app) == (0, 0)


def test_the_upload_page_takes_more_than_the_global_limit(app):
    """A file of a few MB is over MAX_CONTENT_LENGTH (1 MB) but within the page's own."""
    client, person = person_with_wallet(app)
    big = files.png(1600, 1200, "RGB")
    padded = big + b"\0" * (2 * 1024 * 1024 - len(big))  # PNG ignores data after IEND
    assert len(padded) > app.config["MAX_CONTENT_LENGTH"]
    # Encoded in memory: the test client would spool a large body to an unclosed temp file.
    fields = {
        "csrf_token": hidden(text(client.get(VERIFY)), CSRF),
        "submit": "1",
        "document": FileStorage(io.BytesIO(padded), "scan.png", content_type="image/png"),
    }
    boundary, body = encode_multipart(fields)
    response = client.post(
        VERIFY, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    assert len(requests_of(app, person.email)) == 1


def test_a_pending_request_is_not_replaced_then_withdrawn(app):
    client, person = person_with_wallet(app)
    upload_jpeg(client)
    page = text(client.get(VERIFY))
    assert 'name="document"' not in page  # no upload form while one is pending
    assert upload_jpeg(client).status_code == 302
    assert len(requests_of(app, person.email)) == 1
    assert len(stored_files(app)) == 1

    response = submit(client, f"{VERIFY}/withdraw", {}, page=VERIFY)
    assert response.status_code == 302
    [request] = requests_of(app, person.email)
    assert request.status == "withdrawn" and request.documents_purged_at is not None
    assert stored_files(app) == []
    assert status_on(text(client.get(VERIFY))) == "Not started"
    assert account_row(app, person.email).verification_status == "unverified"

    assert upload_jpeg(client).status_code == 302
    assert [r.status for r in requests_of(app, person.email)] == ["withdrawn", "pending"]


def test_after_a_rejection_upload_again_approval_is_final(app):
    client, person = person_with_wallet(app)
    upload_jpeg(client)
    decide(app, person.email, approved=False, reason="expired")
    page = text(client.get(VERIFY))
    assert status_on(page).startswith("Rejected on")
    assert REASON.search(page).group(1) == "The document has expired."
    assert REASON.search(text(client.get("/account"))).group(1) == "The document has expired."
    assert 'name="document"' in page
    assert account_row(app, person.email).verification_status == "rejected"

    upload_jpeg(client)
    assert account_row(app, person.email).verification_status == "pending"
    decide(app, person.email, approved=True)
    page = text(client.get(VERIFY))
    assert status_on(page).startswith("Approved on")
    assert 'name="document"' not in page
    response = submit(client, VERIFY, {"document": as_file(files.jpeg())}, page="/account")
    assert response.status_code == 302
    assert [r.status for r in requests_of(app, person.email)] == ["rejected", "approved"]
    assert account_row(app, person.email).verification_status == "approved"


def test_withdrawing_after_a_rejection_shows_the_rejection_again(app):
    client, person = person_with_wallet(app)
    upload_jpeg(client)
    decide(app, person.email, approved=False, reason="unreadable")
    upload_jpeg(client)
    submit(client, f"{VERIFY}/withdraw", {}, page=VERIFY)
    assert status_on(text(client.get(VERIFY))).startswith("Rejected on")
    assert account_row(app, person.email).verification_status == "rejected"


def test_uploads_are_rate_limited_per_account(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, VERIFICATION_RATE_LIMIT="2 per hour")
    client, _person = person_with_wallet(app)
    bad = as_file(files.text_file(), "x.jpg")
    assert upload(client, bad).status_code == 200
    assert upload(client, as_file(files.text_file(), "x.jpg")).status_code == 200
    assert upload(client, as_file(files.text_file(), "x.jpg")).status_code == 429
    # Another account, same address: its own count.
    other, _ = person_with_wallet(app, email="marie@example.com")
    assert upload(other, as_file(files.text_file(), "x.jpg")).status_code == 200


def test_the_page_works_without_javascript(app):
    """A plain multipart form: no script is needed to send the file."""
    client, _person = person_with_wallet(app)
    page = text(client.get(VERIFY))
    form = re.search(r'<form method="post" action="/account/verification"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert re.search(r'<input[^>]*type="file"[^>]*name="document"', page) or re.search(
        r'<input[^>]*name="document"[^>]*type="file"', page
    )
    assert 'type="submit"' in page


def test_no_document_number_reaches_the_log(app, caplog):
    client, person = person_with_wallet(app)
    upload(client, as_file(files.jpeg()))
    assert person.document_number not in caplog.text
