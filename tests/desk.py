"""Helpers for the identity verification and review-queue tests: a person with a wallet,
an upload the way a browser sends it, a staff member signed in at the desk."""

from __future__ import annotations

import io

from sqlalchemy import select

from portal.extensions import db
from portal.models import Account, ReviewRequest
from tests import document_files as files
from tests.journey import Person, open_wallet, submit
from tests.staff import add_staff, enrol

VERIFY = "/account/verification"


def person_with_wallet(app, email: str = "jean.dupont@example.com", language: str = "en"):
    """A browser signed in to a new wallet (open_wallet leaves it signed in)."""
    client = app.test_client()
    person = Person(email=email, language=language)
    client.get(f"/?lang={language}")
    response = open_wallet(client, app, person)
    assert response.status_code == 302, response.status_code
    return client, person


def as_file(data: bytes, name: str = "passport.jpg", content_type: str = "image/jpeg"):
    return (io.BytesIO(data), name, content_type)


def upload(client, front=None, back=None, **extra):
    """POST the verification form with ``front`` (and ``back``): (bytes, name, type)."""
    data = dict(extra)
    if front is not None:
        data["document"] = front
    if back is not None:
        data["document_back"] = back
    return submit(client, VERIFY, data)


def upload_jpeg(client):
    return upload(client, as_file(files.jpeg()))


def staff_at_desk(app, email: str = "reviewer@example.com"):
    """A browser signed in at the desk (setup finishes signed in); returns it and the secret."""
    client = app.test_client()
    secret = enrol(client, add_staff(app, email))
    return client, secret


def account_row(app, email: str) -> Account:
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == email))
        db.session.expunge(account)
        return account


def requests_of(app, email: str) -> list[ReviewRequest]:
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == email))
        rows = db.session.scalars(
            select(ReviewRequest)
            .where(ReviewRequest.account_id == account.id)
            .order_by(ReviewRequest.id)
        ).all()
        for row in rows:
            row.documents  # noqa: B018 - load them before the session ends
        db.session.expunge_all()
        return rows
