"""The legal pages, the footer and step 4's consent as Chromium shows them: in three
languages, on a desktop (1280 px) and a phone (375 px), with axe-core on each page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.i18n import in_language
from portal.register.forms import CONSENT_REQUIRED
from tests.browser import LiveServer, accessibility_violations
from tests.conftest import clear_tables, make_app
from tests.journey import Person, reach_refunds

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "ru", "fr"]
WIDTHS = [1280, 375]


@pytest.fixture(scope="module")
def live(sqlite_url):
    app = make_app(sqlite_url, OPERATOR_NAME="Acme Wallet SAS")
    with LiveServer(app) as server:
        server.app = app
        yield server
    with app.app_context():
        clear_tables()
        db.engine.dispose()


def looks_right(page, label: str, width: int) -> None:
    violations = accessibility_violations(page)
    assert violations == [], f"{label} at {width}px: {violations}"
    # Nothing wider than the screen: no sideways scrolling on a phone.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{label} at {width}px is {scroll_width}px wide"
    footer = page.locator("footer.site-footer")
    expect(footer.get_by_text("Acme Wallet SAS")).to_be_visible()
    for link in footer.locator("a").all():
        expect(link).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_legal_pages_and_footer(chromium, live, language, width):
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live.url}/?lang={language}")
    looks_right(page, "landing", width)

    # From the footer, by keyboard, to the privacy notice.
    privacy = page.locator("footer.site-footer a[href='/legal/privacy']")
    privacy.focus()
    outline = privacy.evaluate("link => getComputedStyle(link).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live.url}/legal/privacy")
    expect(page.locator("html")).to_have_attribute("lang", language)
    heading = page.locator("h1")
    expect(heading).to_have_count(1)
    assert page.title().startswith(heading.inner_text())
    looks_right(page, "privacy notice", width)

    page.locator("footer.site-footer a[href='/legal/terms']").click()
    expect(page).to_have_url(f"{live.url}/legal/terms")
    expect(page.locator("h1")).to_have_count(1)
    looks_right(page, "terms", width)

    page.goto(f"{live.url}/help/email")
    expect(page.locator(".sender__address")).to_be_visible()
    looks_right(page, "help", width)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_step_4_asks_for_consent_and_says_why_when_it_is_missing(chromium, live, language, width):
    # The first three steps through the test client; the browser takes over its cookies.
    client = live.app.test_client()
    reach_refunds(client, live.app, Person(email=f"consent-{language}-{width}@example.com"))
    context = chromium.new_context(viewport={"width": width, "height": 800})
    context.add_cookies(
        [
            {"name": cookie.key, "value": cookie.value, "url": live.url}
            for cookie in client._cookies.values()
        ]
    )
    page = context.new_page()
    page.goto(f"{live.url}/register/refunds?lang={language}")
    looks_right(page, "step 4", width)
    consent = page.locator("#consent_personal_data")
    expect(consent).not_to_be_checked()
    expect(page.locator("#consent_personal_data-hint a[href='/legal/privacy']")).to_be_visible()

    page.check("#refund_to_wallet")
    page.click("input[name=submit]")
    with live.app.test_request_context(), in_language(language):
        message = str(CONSENT_REQUIRED)
    expect(page.locator("#consent_personal_data-error")).to_have_text(message)
    expect(page.locator("#refund_to_wallet")).to_be_checked()
    looks_right(page, "step 4, no consent", width)

    # The label ticks the box; then the wallet opens.
    page.locator("label[for=consent_personal_data]").click()
    expect(consent).to_be_checked()
    page.click("input[name=submit]")
    expect(page).to_have_url(f"{live.url}/account")
    context.close()
