"""Walk a person through the portal with Flask's test client, as a browser would:
read each form, send back its hidden fields, follow the letter's link."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from portal.extensions import db
from portal.letters import resolve_requests
from portal.models import OutboxMessage

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CAPTCHA_ID = re.compile(r'name="captcha_id" type="hidden" value="([^"]*)"')
LINK = re.compile(r"https?://[^/\s]+(/\S+)")


@dataclass
class Person:
    email: str = "jean.dupont@example.com"
    language: str = "en"
    first_name: str = "Jean"
    last_name: str = "Dupont"
    patronymic: str = ""
    birth_date: str = "1990-05-17"
    citizenship: str = "FR"
    document_type: str = "passport"
    document_country: str = ""  # the country of citizenship
    document_number: str = "18AB12345"
    country: str = "FR"
    region: str = "Île-de-France"
    city: str = "Paris"
    street: str = "12 rue de la Paix"
    postal_code: str = "75002"
    phone: str = "06 12 34 56 78"
    password: str = "velvet-otter-lantern-92"
    question_1: str = "first_pet"
    answer_1: str = "Rex"
    question_2: str = "parents_met"
    answer_2: str = "Saint-Étienne"
    refund_to_wallet: bool = True
    extra: dict = field(default_factory=dict)

    def personal(self) -> dict:
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "patronymic": self.patronymic,
            "birth_date": self.birth_date,
            "citizenship": self.citizenship,
            "document_type": self.document_type,
            "document_country": self.document_country,
            "document_number": self.document_number,
            "country": self.country,
            "region": self.region,
            "city": self.city,
            "street": self.street,
            "postal_code": self.postal_code,
            "phone": self.phone,
        }

    def security(self) -> dict:
        return {
            "password": self.password,
            "password_confirm": self.password,
            "question_1": self.question_1,
            "answer_1": self.answer_1,
            "question_2": self.question_2,
            "answer_2": self.answer_2,
        }


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden(html: str, pattern: re.Pattern) -> str:
    match = pattern.search(html)
    assert match, f"hidden field {pattern.pattern!r} not found"
    return unescape(match.group(1))


def submit(client, path: str, data: dict, *, button: str = "submit", page: str | None = None):
    """GET the form at ``page`` (default ``path``), then POST it like a browser."""
    html = text(client.get(page or path))
    payload = {"csrf_token": hidden(html, CSRF), button: "1", **data}
    captcha = CAPTCHA_ID.search(html)
    if captcha and "captcha_id" not in data:
        payload["captcha_id"] = unescape(captcha.group(1))
    return client.post(path, data=payload)


def start(client, person: Person, captcha: str = "TEST7"):
    return submit(
        client,
        f"/register?lang={person.language}" if person.language else "/register",
        {"email": person.email, "captcha": captcha},
    )


def letters(app, recipient: str | None = None, kind: str | None = None) -> list[OutboxMessage]:
    """The outbox's letters, after the worker's first step (letter requests resolved)."""
    with app.app_context():
        resolve_requests()
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient:
            query = query.where(OutboxMessage.recipient == recipient)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def link_in(letter: OutboxMessage, contains: str) -> str:
    """The path of the first link in a letter whose path contains ``contains``."""
    for path in LINK.findall(letter.body_text):
        if contains in path:
            return path
    raise AssertionError(f"no link with {contains!r} in letter {letter.kind}")


def confirmation_path(app, email: str) -> str:
    letter = letters(app, email, "confirm")[-1]
    return link_in(letter, "/register/confirm/")


def reach_personal(client, app, person: Person):
    start(client, person)
    return client.get(confirmation_path(app, person.email))


def reach_security(client, app, person: Person):
    reach_personal(client, app, person)
    return submit(client, "/register/personal", person.personal())


def reach_refunds(client, app, person: Person):
    reach_security(client, app, person)
    return submit(client, "/register/security", person.security())


# Step 4's required consent to the processing of personal data, ticked.
CONSENT = {"consent_personal_data": "y"}


def open_wallet(client, app, person: Person):
    reach_refunds(client, app, person)
    data = {"refund_to_wallet": "y"} if person.refund_to_wallet else {}
    return submit(client, "/register/refunds", {**data, **CONSENT})


def sign_in(client, email: str, password: str, **extra):
    return submit(client, "/login", {"email": email, "password": password, **extra})


def signed_long_ago(app, purpose: str, payload, age_seconds: int) -> str:
    """A genuine token, signed ``age_seconds`` ago (itsdangerous's own signer, older clock)."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - age_seconds

    serializer = URLSafeTimedSerializer(app.secret_key, salt=f"portal.{purpose}", signer=PastSigner)
    return serializer.dumps(payload)
