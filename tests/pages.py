"""Every page of the portal in every state a person can meet, in one language —
for the tests that read all the text (pseudo-locale, no English left in ru/fr)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Account, Draft, OutboxMessage
from portal.models.outbox import SENT
from portal.models.types import utcnow
from tests.journey import (
    CONSENT,
    CSRF,
    Person,
    confirmation_path,
    hidden,
    letters,
    link_in,
    open_wallet,
    reach_refunds,
    sign_in,
    signed_long_ago,
    start,
    submit,
    text,
)


@dataclass
class Page:
    label: str
    status: int
    html: str


class Visit:
    """One browser speaking ``language`` (chosen once with ?lang=, kept in its cookie)."""

    def __init__(self, app, language: str) -> None:
        self.app, self.language = app, language
        self.client = app.test_client()
        self.client.get(f"/?lang={language}")
        self.pages: list[Page] = []

    def keep(self, label: str, response) -> None:
        if response.status_code in (301, 302, 303):
            response = self.client.get(response.headers["Location"])
        self.pages.append(Page(label, response.status_code, text(response)))

    def get(self, label: str, path: str) -> None:
        self.keep(label, self.client.get(path))


def every_page(app, language: str) -> list[Page]:
    tag = language.replace("-", "").lower()
    person = Person(email=f"pages-{tag}@example.com", language=language)

    visit = Visit(app, language)
    for label, path in (
        ("landing", "/"),
        ("help", "/help/email"),
        ("privacy notice", "/legal/privacy"),
        ("terms", "/legal/terms"),
        ("step 1", "/register"),
        ("sign in", "/login"),
        ("recover", "/recover"),
        ("dev mailbox, empty", "/dev/mail"),
        ("not found", "/no-such-page"),
        ("method not allowed", "/logout"),
    ):
        visit.get(label, path)
    visit.keep("step 1, empty", submit(visit.client, "/register", {"email": "", "captcha": ""}))
    visit.keep("step 1, bad address", start(visit.client, Person(email="x@y", language=None)))
    visit.keep("step 1, wrong captcha", start(visit.client, person, captcha="NOPE"))
    visit.keep(
        "step 1, a typo suggested",
        start(visit.client, Person(email=f"pages-{tag}@gmial.com", language=language)),
    )
    visit.keep(
        "recover, a typo suggested", submit(visit.client, "/recover", {"email": "pages@gmial.com"})
    )
    visit.keep("form expired", visit.client.post("/register", data={"email": person.email}))
    visit.keep("sign in failed", sign_in(visit.client, "nobody@example.com", "wrong-pass-1"))

    # The wizard.
    visit.keep("check your mail", start(visit.client, person))
    visit.keep(
        "resend too early", submit(visit.client, "/register/resend", {}, page="/register/sent")
    )
    _letter_fate(app, person.email, attempts=1, last_error="451 Mailbox busy")
    visit.get("check your mail, trouble delivering", "/register/sent")
    _letter_fate(app, person.email, status=SENT, sent_at=utcnow())
    visit.get("check your mail, letter sent", "/register/sent")
    visit.get("help, from check your mail", "/help/email?next=/register/sent")
    visit.keep(
        "sign in failed, this browser's unfinished registration",
        sign_in(visit.client, person.email, "wrong-pass-1"),
    )
    visit.get("invalid link", "/register/confirm/forged")
    with app.app_context():
        ref = db.session.scalar(select(Draft.ref).where(Draft.email == person.email))
    old = signed_long_ago(app, "confirm-email", {"d": ref, "e": person.email}, 30 * 3600)
    visit.get("expired link", f"/register/confirm/{old}")
    visit.keep("step 2", visit.client.get(confirmation_path(app, person.email)))
    visit.keep("step 2, errors", submit(visit.client, "/register/personal", {}))
    visit.keep(
        "step 2, a Russian citizen",
        submit(
            visit.client,
            "/register/personal",
            {**person.personal(), "citizenship": "RU", "document_type": "driving_licence"},
        ),
    )
    visit.keep("step 3", submit(visit.client, "/register/personal", person.personal()))
    visit.keep(
        "step 3, errors",
        submit(
            visit.client,
            "/register/security",
            {"password": "123", "question_1": "first_pet", "question_2": "first_pet"},
        ),
    )
    visit.keep("step 4", submit(visit.client, "/register/security", person.security()))
    visit.keep(
        "step 4, no consent",
        submit(visit.client, "/register/refunds", {"refund_to_wallet": "y"}),
    )
    visit.keep("step 3, editing", visit.client.get("/register/security"))

    # Another browser opened a wallet for this address meanwhile.
    rival = app.test_client()
    rival.get(f"/?lang={language}")
    open_wallet(rival, app, Person(email=person.email, language=language))
    visit.keep("step 4, address taken", submit(visit.client, "/register/refunds", CONSENT))
    visit.get("link after the wallet exists", confirmation_path(app, person.email))

    # A wallet of this browser's own.
    owner = Person(email=f"owner-{tag}@example.com", language=language)
    mine = Visit(app, language)
    reach_refunds(mine.client, app, owner)
    mine.keep(
        "account", submit(mine.client, "/register/refunds", {"refund_to_wallet": "y", **CONSENT})
    )
    mine.keep("refunds changed", submit(mine.client, "/account/refunds", {}, page="/account"))
    mine.get("change password", "/account/password")
    mine.keep(
        "change password, errors",
        submit(mine.client, "/account/password", {"current_password": "nope", "password": "1"}),
    )
    mine.get("change questions", "/account/questions")
    mine.keep(
        "change questions, errors",
        submit(mine.client, "/account/questions", {"current_password": ""}),
    )
    mine.keep("signed out", submit(mine.client, "/logout", {}, page="/account"))
    for _ in range(3):
        sign_in(mine.client, owner.email, "wrong-pass-1")
    mine.keep("sign in delayed", sign_in(mine.client, owner.email, owner.password))

    # Recovery.
    mine.keep("recovery letter sent", submit(mine.client, "/recover", {"email": owner.email}))
    mine.keep(
        "reset email asked again too early",
        submit(mine.client, "/recover/resend", {}, page="/recover/sent"),
    )
    link = link_in(letters(app, owner.email, "recover")[-1], "/recover/")
    mine.get("security questions", link)
    mine.keep("security questions, empty", submit(mine.client, link, {}))
    mine.keep(
        "security questions, wrong",
        submit(
            mine.client,
            link,
            {
                "answer_1": "no",
                "answer_2": "no",
                "password": "harbour-lamp-violin-58",
                "password_confirm": "harbour-lamp-violin-58",
            },
        ),
    )
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == owner.email))
        db.session.execute(
            update(Account).where(Account.id == account.id).values(recovery_failures=4)
        )
        db.session.commit()
    mine.keep(
        "recovery locked",
        submit(
            mine.client,
            link,
            {
                "answer_1": "no",
                "answer_2": "no",
                "password": "harbour-lamp-violin-58",
                "password_confirm": "harbour-lamp-violin-58",
            },
        ),
    )
    mine.get("recovery link invalid", "/recover/forged")
    stale = signed_long_ago(app, "recover", {"a": 1, "p": "x"}, 2 * 3600)
    mine.get("recovery link expired", f"/recover/{stale}")
    _verification_and_desk(app, mine, tag, language)
    _payments(app, mine, tag, language)
    mine.get("dev mailbox", "/dev/mail")
    mine.get(
        "a letter in the dev mailbox",
        re.sub(r".*?(/dev/mail/\d+).*", r"\1", _first_letter_link(mine)),
    )
    return visit.pages + mine.pages


def _letter_fate(app, email: str, **values) -> None:
    """What the outbox worker would have written on the address's letters."""
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.recipient == email).values(**values)
        )
        db.session.commit()


def _verification_and_desk(app, mine: Visit, tag: str, language: str) -> None:
    """Identity verification (the person's pages) and the desk that decides it."""
    from tests import document_files
    from tests.desk import VERIFY, as_file
    from tests.staff import add_staff, enrol

    person = Person(email=f"verify-{tag}@example.com", language=language)
    reach_refunds(mine.client, app, person)
    submit(mine.client, "/register/refunds", CONSENT)
    mine.get("verification, not started", VERIFY)
    mine.keep("verification, refused", submit(mine.client, VERIFY, {}))
    mine.keep(
        "verification, pending",
        submit(mine.client, VERIFY, {"document": as_file(document_files.jpeg())}),
    )
    desk = Visit(app, language)
    enrol(desk.client, add_staff(app, f"desk-{tag}@example.com"))
    desk.get("review queue", "/support")
    with app.app_context():
        from portal.models import ReviewRequest

        request_id = db.session.scalar(select(ReviewRequest.id).order_by(ReviewRequest.id.desc()))
    desk.get("review request, unclaimed", f"/support/requests/{request_id}")
    desk.keep(
        "review request, claimed",
        submit(desk.client, f"/support/requests/{request_id}/claim", {}, page="/support"),
    )
    page = f"/support/requests/{request_id}"
    desk.keep(
        "review decision, errors",
        submit(desk.client, f"{page}/decide", {"decision": "reject"}, page=page),
    )
    desk.keep(
        "review decided",
        submit(
            desk.client,
            f"{page}/decide",
            {"decision": "reject", "reason": "unreadable"},
            page=page,
        ),
    )
    desk.get("review request, decided", page)
    mine.get("verification, rejected", VERIFY)
    mine.get("account, verification rejected", "/account")
    mine.pages.extend(desk.pages)


# What a shop sends: data on the payment page, not wording of the portal.
SHOP_NAME, SHOP_ITEM = "Librairie du Parc", "Two books"


def _payments(app, visit: Visit, tag: str, language: str) -> None:
    """The payment password, a shop's payment, and the reset request (a browser of its own)."""
    from portal.payments import orders
    from tests import document_files
    from tests.desk import as_file

    mine = Visit(app, language)

    settings = "/account/payment-password"
    person = Person(email=f"pay-{tag}@example.com", language=language)
    reach_refunds(mine.client, app, person)
    submit(mine.client, "/register/refunds", CONSENT)
    mine.get("payment password, not set", settings)
    pins = {"payment_password": "111111", "payment_password_confirm": "111111"}
    mine.keep("payment password, refused", submit(mine.client, settings, pins))
    pins = {"payment_password": "401937", "payment_password_confirm": "401937"}
    submit(mine.client, settings, pins)
    mine.get("payment password, set", settings)
    mine.keep(
        "payment password, wrong current",
        submit(mine.client, settings, {**pins, "current_payment_password": "000001"}),
    )
    with app.app_context():
        _shop, key = orders.add_shop(SHOP_NAME)
    asked = mine.client.post(
        "/api/payments",
        json={
            "email": person.email,
            "amount": "1234.50",
            "currency": "EUR",
            "description": SHOP_ITEM,
            "order_reference": f"pages-{tag}",
        },
        headers={"Authorization": f"Bearer {key}"},
    ).get_json()
    pay = f"/pay/{asked['id']}"
    mine.get("payment", pay)
    mine.keep(
        "payment, wrong password",
        submit(mine.client, pay, {"payment_password": "000001"}, button="confirm"),
    )
    mine.keep(
        "payment, confirmed",
        submit(mine.client, pay, {"payment_password": "401937"}, button="confirm"),
    )
    mine.get("payment password, forgotten", f"{settings}/forgot")
    mine.keep("payment password, forgotten, errors", submit(mine.client, f"{settings}/forgot", {}))
    submit(mine.client, f"{settings}/forgot", {"document": as_file(document_files.jpeg())})
    mine.get("payment password, reset requested", f"{settings}/forgot")
    mine.get("payment password, reset link invalid", f"{settings}/reset/forged")
    visit.pages.extend(mine.pages)


def _first_letter_link(visit: Visit) -> str:
    html = visit.pages[-1].html
    return re.search(r'href="(/dev/mail/\d+)"', html).group(1)


class TextCollector(HTMLParser):
    """The text a person sees or hears, one chunk per block (a sentence stays whole
    across inline tags such as <strong> or <time>): content, titles, alt and ARIA
    labels, button values. Skips scripts and styles."""

    SKIP = {"script", "style"}
    INLINE = {"a", "abbr", "b", "code", "em", "i", "label", "span", "strong", "time"}
    SPOKEN = ("alt", "title", "aria-label", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.buffer: list[str] = []
        self.skipping = 0

    def flush(self) -> None:
        joined = " ".join(" ".join(self.buffer).split())
        if joined:
            self.chunks.append(joined)
        self.buffer = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag not in self.INLINE:
            self.flush()
        if tag in self.SKIP:
            self.skipping += 1
        for name in self.SPOKEN:
            if values.get(name):
                self.chunks.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.chunks.append(values["value"])

    def handle_endtag(self, tag) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        if tag not in self.INLINE:
            self.flush()

    def handle_data(self, data) -> None:
        if not self.skipping and data.strip():
            self.buffer.append(data)

    def close(self) -> None:
        super().close()
        self.flush()


def visible_text(html: str) -> list[str]:
    collector = TextCollector()
    # Times are data (formatted by Babel), not wording: a digit stands in for them.
    collector.feed(re.sub(r"<time[^>]*>.*?</time>", "0", html, flags=re.S))
    collector.close()
    return collector.chunks


def csrf(html: str) -> str:
    return hidden(html, CSRF)
