"""Concurrent finishes: one wallet per draft, one wallet per address."""

import re
import threading
from functools import partial

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Account
from tests.journey import Person, confirmation_path, reach_refunds, start, submit, text

ROUNDS = 3


def refunds_post(client):
    """Everything a browser needs to send the final form, prepared in advance."""
    html = text(client.get("/register/refunds"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return {"csrf_token": token, "submit": "1", "consent_personal_data": "y"}


def at_once(*calls):
    """Run the calls in threads released together by a barrier; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def count_accounts(app, email):
    with app.app_context():
        return db.session.scalar(select(func.count(Account.id)).where(Account.email == email))


def test_two_browsers_finishing_one_draft_open_one_wallet(app):
    for round_number in range(ROUNDS):
        person = Person(email=f"race{round_number}@example.com")
        laptop, phone = app.test_client(), app.test_client()
        reach_refunds(laptop, app, person)
        phone.get(confirmation_path(app, person.email))
        laptop_form, phone_form = refunds_post(laptop), refunds_post(phone)
        responses = at_once(
            partial(laptop.post, "/register/refunds", data=laptop_form),
            partial(phone.post, "/register/refunds", data=phone_form),
        )
        assert count_accounts(app, person.email) == 1
        assert all(response.status_code == 302 for response in responses)
        # The browser whose submit opened the wallet is signed in; the other is asked to
        # sign in (holding the draft is not proof of the password).
        places = sorted(response.headers["Location"] for response in responses)
        assert places == ["/account", "/login"]
        signed_in = [b for b in (laptop, phone) if person.email in text(b.get("/account"))]
        assert len(signed_in) == 1


def test_two_drafts_racing_for_one_address_open_one_wallet(app):
    for round_number in range(ROUNDS):
        email = f"twins{round_number}@example.com"
        first, second = app.test_client(), app.test_client()
        for browser, name in ((first, "Anna"), (second, "Boris")):
            person = Person(email=email, first_name=name)
            start(browser, person)
            browser.get(confirmation_path(app, email))
            submit(browser, "/register/personal", person.personal())
            submit(browser, "/register/security", person.security())
        forms = refunds_post(first), refunds_post(second)
        responses = at_once(
            partial(first.post, "/register/refunds", data=forms[0]),
            partial(second.post, "/register/refunds", data=forms[1]),
        )
        assert count_accounts(app, email) == 1
        winners = [r for r in responses if r.status_code == 302]
        losers = [r for r in responses if r.status_code == 200]
        assert len(winners) == 1 and len(losers) == 1
        assert winners[0].headers["Location"] == "/account"
        message = text(losers[0])
        assert "This address already has a wallet" in message
        assert 'href="/login"' in message and 'href="/recover"' in message
