"""How the forms read: errors summed up in the order of the page, and "(optional)" only
beside what can really be left empty."""

import re

import pytest

from tests.journey import Person, reach_security, text
from tests.pages import every_page

SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)
CONTROL_ID = re.compile(r'<(?:input|select|textarea|fieldset)\b[^>]*\bid="([\w-]+)"')
OPTIONAL = re.compile(r'<label[^>]*for="([\w-]+)"[^>]*>(?:(?!</label>).)*field__optional', re.S)


@pytest.fixture(scope="module")
def pages(sqlite_url):
    from portal.extensions import db
    from tests.conftest import clear_tables, make_app

    app = make_app(sqlite_url)
    yield {page.label: page for page in every_page(app, "en")}
    with app.app_context():
        clear_tables()
        db.engine.dispose()


def test_error_summaries_follow_the_page(pages):
    several = []
    for label, page in pages.items():
        summary = SUMMARY.search(page.html)
        if summary is None:
            continue
        linked = re.findall(r'href="#([\w-]+)"', summary.group(0))
        on_page = [control for control in CONTROL_ID.findall(page.html) if control in linked]
        assert linked == on_page, label
        if len(linked) > 1:
            several.append(label)
    # The forms whose fields come from a mixin or a parent class are among those checked.
    assert {"step 2, errors", "step 3, errors", "security questions, empty"} <= set(several)


@pytest.mark.parametrize(
    ("label", "optional"),
    [
        ("step 3", []),
        ("step 3, editing", ["password", "password_confirm", "answer_1", "answer_2"]),
        ("change password", []),
        ("change questions", ["answer_1", "answer_2"]),
        ("security questions", []),
        ("step 1", []),
        ("sign in", []),
    ],
)
def test_only_what_can_be_left_empty_is_optional(pages, label, optional):
    assert OPTIONAL.findall(pages[label].html) == optional


def test_required_fields_carry_the_attribute(app):
    browser = app.test_client()
    reach_security(browser, app, Person())
    html = text(browser.get("/register/security"))
    for field in ("password", "password_confirm", "answer_1", "answer_2"):
        assert re.search(rf'<input[^>]*id="{field}"[^>]*\brequired\b', html), field


REFERENCES = re.compile(r'\b(aria-describedby|aria-labelledby|aria-controls|for)="([^"]*)"')
ANY_ID = re.compile(r'\bid="([^"]+)"')


def test_every_reference_to_an_element_names_one_on_the_page(pages):
    """A control described by "None" (a hint that was not there) or by a removed error
    reads nothing out: every id an attribute names is on the page."""
    for label, page in pages.items():
        ids = set(ANY_ID.findall(page.html))
        for attribute, value in REFERENCES.findall(page.html):
            missing = [name for name in value.split() if name not in ids]
            assert value.split() and not missing, f"{label}: {attribute}={value!r}"
