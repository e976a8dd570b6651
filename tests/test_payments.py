"""The payment password and payments: the rules, the lock, the shops' API, /pay, and the
reset through the support desk."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Account, Payment, PaymentPassword, ReviewRequest
from portal.models.types import utcnow
from portal.payments import orders
from portal.payments.pins import pin_problem
from tests import document_files as files
from tests.desk import as_file, person_with_wallet
from tests.journey import letters, link_in, submit, text

SETTINGS = "/account/payment-password"
GOOD_PIN = "401937"


def in_app(app, pin, born=None):
    with app.test_request_context():
        return pin_problem(pin, born)


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("12345", "exactly six digits"),
        ("12345a", "exactly six digits"),
        ("١٢٣٤٥٦", "exactly six digits"),  # Arabic-Indic digits are digits, but not ours
        ("000000", "one digit six times"),
        ("123456", "digits in a row"),
        ("987654", "digits in a row"),
        ("890123", "digits in a row"),
        ("121212", "repeat a pair or a half"),
        ("123123", "repeat a pair or a half"),
        ("147258", "most common"),
        ("159753", "most common"),
    ],
)
def test_each_easy_pin_is_refused_with_its_reason(app, pin, reason):
    assert reason in in_app(app, pin)


@pytest.mark.parametrize("pin", ["170590", "900517", "051790"])
def test_the_birth_date_in_any_common_form_is_refused(app, pin):
    assert "date of birth" in in_app(app, pin, date(1990, 5, 17))
    assert in_app(app, pin) is None  # only because of the birth date


def test_an_ordinary_pin_is_accepted(app):
    assert in_app(app, GOOD_PIN, date(1990, 5, 17)) is None


def set_pin(client, pin=GOOD_PIN, confirm=None, **extra):
    data = {"payment_password": pin, "payment_password_confirm": confirm or pin, **extra}
    return submit(client, SETTINGS, data)


def record(app, email):
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == email))
        row = db.session.get(PaymentPassword, account.id)
        if row is not None:
            db.session.expunge(row)
        return row


def test_set_then_change_with_letters_and_a_hash_only(app):
    client, person = person_with_wallet(app)
    html = text(client.get(SETTINGS))
    assert "Not set" in html and 'inputmode="numeric"' in html and 'autocomplete="off"' in html
    assert 'type="password"' in html
    assert set_pin(client).status_code == 302
    row = record(app, person.email)
    assert row.password_hash.startswith("$argon2id$") and GOOD_PIN not in row.password_hash
    assert "Set on" in text(client.get(SETTINGS))
    assert letters(app, person.email, "payment_password_set")
    changed = set_pin(client, "583920", current_payment_password=GOOD_PIN)
    assert changed.status_code == 302
    assert letters(app, person.email, "payment_password_changed")


def test_refusals_next_to_the_field_in_each_language(app):
    client, _person = person_with_wallet(app, language="fr")
    html = text(set_pin(client, "111111"))
    assert "payment_password-error" in html and "six fois" in html
    html = text(set_pin(client, GOOD_PIN, "401938"))
    assert "payment_password_confirm-error" in html


def test_a_wrong_current_one_counts_toward_the_lock_and_the_lock_holds(app):
    client, person = person_with_wallet(app)
    set_pin(client)
    for remaining in (4, 3, 2, 1):
        html = text(set_pin(client, "583920", current_payment_password="000001"))
        assert f"{remaining} tr" in html
    html = text(set_pin(client, "583920", current_payment_password="000001"))
    assert "locked until" in html
    assert len(letters(app, person.email, "payment_password_locked")) == 1
    # Locked: the page offers no form, and even the right one is refused.
    html = text(client.get(SETTINGS))
    assert "Locked until" in html and 'name="payment_password"' not in html
    from portal.payments import secret

    with app.test_request_context():
        account = db.session.scalar(select(Account).where(Account.email == person.email))
        assert secret.check(account, GOOD_PIN).verdict is secret.Verdict.LOCKED


@pytest.fixture
def shop_key(app):
    with app.app_context():
        _shop, key = orders.add_shop("Librairie du Parc")
    return key


def ask(client, key, **changes):
    body = {
        "email": "jean.dupont@example.com",
        "amount": "1234.50",
        "currency": "EUR",
        "description": "Deux livres",
        "order_reference": "A-1",
        **changes,
    }
    return client.post("/api/payments", json=body, headers={"Authorization": f"Bearer {key}"})


def test_the_api_needs_a_key_and_names_the_wrong_field(app, shop_key):
    person_with_wallet(app)
    client = app.test_client()
    assert ask(client, "shop_wrong").status_code == 401
    cases = [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "EUX"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"email": "nobody@example.com"}, "email"),
        ({"description": ["x"]}, "description"),
        ({"order_reference": ""}, "order_reference"),
    ]
    for changes, field in cases:
        response = ask(client, shop_key, **changes)
        assert 400 <= response.status_code < 500, changes
        assert response.get_json()["field"] == field, changes
    bad = client.post(
        "/api/payments",
        data="{not json",
        headers={"Authorization": f"Bearer {shop_key}", "Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and bad.is_json
    assert client.get("/api/payments/nope", headers={"Authorization": "Bearer x"}).is_json


def test_the_same_order_reference_gives_the_same_payment(app, shop_key):
    person_with_wallet(app)
    client = app.test_client()
    first, again = ask(client, shop_key), ask(client, shop_key)
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    assert ask(client, shop_key, amount="5.00").status_code == 409
    # A yen has no minor unit.
    assert ask(client, shop_key, currency="JPY", amount="1.5", order_reference="B").status_code
    assert ask(client, shop_key, currency="JPY", amount="1500", order_reference="B").is_json


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "€1,234.50"), ("fr", "1\u202f234,50\xa0€"), ("ru", "1\xa0234,50\xa0€")],
)
def test_pay_shows_the_amount_in_the_page_locale_and_confirms_once(app, shop_key, language, shown):
    client, person = person_with_wallet(app, language=language)
    created = ask(app.test_client(), shop_key).get_json()
    path = f"/pay/{created['id']}"
    # No payment password yet: set one first, then back to the payment.
    first = client.get(path)
    assert first.status_code == 302 and "next=" in first.headers["Location"]
    back = submit(
        client,
        f"{SETTINGS}?next={path}",
        {"payment_password": GOOD_PIN, "payment_password_confirm": GOOD_PIN},
    )
    assert back.headers["Location"].endswith(path)
    html = text(client.get(path))
    assert shown in html and "Librairie du Parc" in html
    assert submit(client, path, {"payment_password": GOOD_PIN}, button="confirm").status_code == 200
    api = app.test_client().get(
        f"/api/payments/{created['id']}", headers={"Authorization": f"Bearer {shop_key}"}
    )
    assert api.get_json()["status"] == "confirmed"


def test_another_wallet_sees_no_payment_and_expired_cannot_be_confirmed(app, shop_key):
    client, _person = person_with_wallet(app)
    set_pin(client)
    created = ask(app.test_client(), shop_key).get_json()
    stranger, _ = person_with_wallet(app, email="other@example.com")
    assert stranger.get(f"/pay/{created['id']}").status_code == 404
    with app.app_context():
        db.session.execute(update(Payment).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    html = text(
        submit(
            client,
            f"/pay/{created['id']}",
            {"payment_password": GOOD_PIN},
            button="confirm",
            page=SETTINGS,  # the expired page has no form to take the token from
        )
    )
    assert "has expired" in html
    with app.app_context():
        assert db.session.get(Payment, created["id"]).status == "pending"


def test_two_concurrent_confirms_one_succeeds(app, shop_key):
    person_with_wallet(app)
    created = ask(app.test_client(), shop_key).get_json()
    results = []

    def confirm():
        with app.app_context():
            results.append(orders.confirm(db.session.get(Payment, created["id"])))
            db.session.remove()

    threads = [threading.Thread(target=confirm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_concurrent_wrong_tries_are_counted_and_judged_at_most_the_limit(app):
    from portal.payments import secret

    client, person = person_with_wallet(app)
    set_pin(client)
    verdicts = []

    def wrong():
        with app.test_request_context():
            account = db.session.scalar(select(Account).where(Account.email == person.email))
            verdicts.append(secret.check(account, "000001").verdict.value)
            db.session.remove()

    threads = [threading.Thread(target=wrong) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Judged one after the other: four say "wrong", the fifth locks, the rest are refused.
    assert verdicts.count("wrong") == 4 and verdicts.count("locked") == 8
    assert record(app, person.email).failures == 5
    assert record(app, person.email).locked_until is not None
    assert len(letters(app, person.email, "payment_password_locked")) == 1


def test_the_reset_goes_through_the_desk_and_its_link_works_once(app):
    from portal.support import accounts, queue

    client, person = person_with_wallet(app, language="ru")
    set_pin(client)
    sent = submit(
        client,
        f"{SETTINGS}/forgot",
        {"document": as_file(files.jpeg()), "note": "Новый телефон"},
    )
    assert sent.status_code == 302
    assert "запрошен" in text(client.get(SETTINGS))
    with app.test_request_context():
        staff, _ = accounts.add_staff("reset-reviewer@example.com")
        request = db.session.scalar(
            select(ReviewRequest).where(ReviewRequest.kind == "payment_reset")
        )
        assert queue.claim(request.id, staff) is not None
        queue.decide(queue.get(request.id), staff, approved=True)
    [letter] = letters(app, person.email, "payment_reset_approved")
    link = link_in(letter, "/account/payment-password/reset/")
    assert client.get(link).status_code == 200
    data = {"payment_password": "583920", "payment_password_confirm": "583920"}
    assert submit(client, link, data).status_code == 302
    assert client.get(link).status_code == 400  # used once
    stranger, _ = person_with_wallet(app, email="other@example.com")
    assert stranger.get(link).status_code == 400


def test_the_shop_command_prints_a_key_that_works(app, runner):
    result = runner.invoke(args=["payments", "add-shop", "Boulangerie"])
    key = result.output.strip().splitlines()[-1]
    assert result.exit_code == 0 and key.startswith("shop_")
    with app.app_context():
        assert orders.shop_for_key(key).name == "Boulangerie"
        assert orders.shop_for_key(key + "x") is None


def test_two_servers_share_the_count(app_factory):
    """Two app instances (two servers) on one database: wrong tries on either add up."""
    first, second = app_factory(), app_factory()
    client, person = person_with_wallet(first)
    set_pin(client)
    cookie = client.get_cookie("session")
    other = second.test_client()
    other.set_cookie("session", cookie.value)  # the same browser, sent to the other server
    for number in range(5):
        browser = client if number % 2 == 0 else other
        submit(
            browser,
            SETTINGS,
            {
                "current_payment_password": "000001",
                "payment_password": "583920",
                "payment_password_confirm": "583920",
            },
        )
    assert record(second, person.email).locked_until is not None
    assert "Locked until" in text(other.get(SETTINGS))
    assert len(letters(first, person.email, "payment_password_locked")) == 1


def test_a_reset_link_expires_after_a_day(app):
    from portal.payments import reset
    from tests.journey import signed_long_ago

    client, person = person_with_wallet(app)
    set_pin(client)
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == person.email))
        db.session.get(PaymentPassword, account.id).reset_nonce = "n" * 32
        db.session.commit()
        payload = {"account": account.id, "nonce": "n" * 32}
    fresh = signed_long_ago(app, reset.PURPOSE, payload, 60)
    stale = signed_long_ago(app, reset.PURPOSE, payload, 24 * 3600 + 1)
    path = f"{SETTINGS}/reset/"
    assert client.get(path + fresh).status_code == 200
    assert client.get(path + stale).status_code == 400
    assert "24" in text(client.get(path + stale))


def test_the_desk_shows_the_reset_beside_the_verification_status(app):
    from tests.desk import staff_at_desk

    client, person = person_with_wallet(app, language="fr")
    set_pin(client)
    submit(client, f"{SETTINGS}/forgot", {"document": as_file(files.jpeg())})
    desk, _secret = staff_at_desk(app)
    with app.app_context():
        request_id = db.session.scalar(select(ReviewRequest.id))
    html = text(desk.get(f"/support/requests/{request_id}"))
    assert "Payment password reset" in html and "Not started" in html
    assert "Jean Dupont" in html
