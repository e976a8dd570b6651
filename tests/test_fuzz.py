"""Every form of the portal, sent bodies of every shape: a 4xx or a page, never a 5xx.

The forms are found on the pages themselves (every ``<form method="post">`` of each page
below), so a form added to one of these pages is fuzzed with no change here. Each case is
one place a person can be (signed out, at a wizard step, signed in, holding a recovery
link); the place is rebuilt when a body happened to move the person on (a wallet opened,
a sign-out).

In ``make test`` Hypothesis runs derandomized (the "ci" profile in conftest.py, the same
examples every run); ``make fuzz`` runs the long, random "fuzz" profile.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from html import unescape

import pytest
from hypothesis import given

from tests.fuzz_bodies import form_bodies
from tests.journey import (
    CSRF,
    Person,
    hidden,
    letters,
    link_in,
    open_wallet,
    reach_personal,
    reach_refunds,
    reach_security,
    submit,
    text,
)

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ACTION = re.compile(r'action="([^"]*)"')
NAME = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"')


@dataclass
class Place:
    """Where a person is, and the page whose forms are fuzzed there."""

    name: str
    page: str
    reach: object  # (client, app) -> None

    def build(self, app):
        client = app.test_client()
        self.reach(client, app)
        return client


def signed_out(_client, _app) -> None:
    pass


PEOPLE = itertools.count()


def someone() -> Person:
    return Person(email=f"fuzz-{next(PEOPLE)}@example.com")


def at_step(walk):
    def reach(client, app) -> None:
        walk(client, app, someone())

    return reach


def signed_in(client, app) -> None:
    open_wallet(client, app, someone())


def holding_recovery_link(client, app) -> None:
    person = someone()
    open_wallet(app.test_client(), app, person)
    submit(client, "/recover", {"email": person.email})
    client.recovery_link = link_in(letters(app, person.email, "recover")[-1], "/recover/")


PLACES = [
    Place("step 1", "/register", signed_out),
    Place("sign in", "/login", signed_out),
    Place("recovery request", "/recover", signed_out),
    Place("check your mail", "/register/sent", at_step(lambda c, a, p: submit_start(c, p))),
    Place("step 2", "/register/personal", at_step(reach_personal)),
    Place("step 3", "/register/security", at_step(reach_security)),
    Place("step 4", "/register/refunds", at_step(reach_refunds)),
    Place("account", "/account", signed_in),
    Place("password", "/account/password", signed_in),
    Place("questions", "/account/questions", signed_in),
    Place("recovery answers", "recovery link", holding_recovery_link),
]


def submit_start(client, person: Person) -> None:
    from tests.journey import start

    start(client, person)


def page_of(place: Place, client) -> str:
    return client.recovery_link if place.page == "recovery link" else place.page


def forms_on(html: str, page: str) -> list[tuple[str, list[str]]]:
    """(action, field names) of each POST form on the page; action None for the page itself."""
    found = []
    for attributes, body in FORM.findall(html):
        if 'method="post"' not in attributes.lower():
            continue
        action = ACTION.search(attributes)
        path = unescape(action.group(1)).split("#")[0] if action and action.group(1) else page
        names = sorted({name for name in NAME.findall(body) if name != "csrf_token"})
        # None: the page's own address, which may change when the place is rebuilt.
        found.append((None if path == page else path, names))
    return found


class ServerErrors(logging.Handler):
    """Anything logged at ERROR while fuzzing (a traceback that a handler swallowed)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record) -> None:
        self.records.append(record)


@pytest.fixture
def server_errors():
    handler = ServerErrors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize("place", PLACES, ids=lambda place: place.name)
def test_no_body_makes_a_server_error(app, place, server_errors):
    state = {"client": place.build(app)}

    def current():
        """The person's client, rebuilt if the last body moved them on."""
        client = state["client"]
        page = page_of(place, client)
        response = client.get(page)
        if response.status_code != 200 or 'method="post"' not in text(response).lower():
            client = state["client"] = place.build(app)
            page = page_of(place, client)
            response = client.get(page)
        assert response.status_code == 200, f"{place.name}: {page} answers {response.status_code}"
        return client, page, text(response)

    _client, page, html = current()
    forms = forms_on(html, page)
    assert forms, f"no form on {page}"
    for action, fields in forms:
        fuzz_one_form(current, action, fields, server_errors)


def fuzz_one_form(current, action: str | None, fields: list[str], server_errors) -> None:
    @given(body=form_bodies(fields))
    def post_anything(body):
        client, page, html = current()
        response = body.post(client, action or page, hidden(html, CSRF))
        assert response.status_code < 500, f"{action or page}: {body!r} -> {response.status_code}"
        assert not server_errors.records, server_errors.records[0].getMessage()

    post_anything()
