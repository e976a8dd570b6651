"""The whole journey in headless Chromium, with axe-core on every page it meets.

Runs against PostgreSQL (the production database) through a real HTTP server; the
letters are opened the way a newcomer does it, in the development mailbox.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import accessibility_violations
from tests.journey import Person, letters

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "open": "Open a wallet now",
        "step1": "Step 1 of 4",
        "sent": "Check your mail",
        "wallet": "My wallet",
        "sign_out": "Sign out",
    },
    "ru": {
        "open": "Открыть кошелёк",
        "step1": "Шаг 1 из 4",
        "sent": "Проверьте почту",
        "wallet": "Мой кошелёк",
        "sign_out": "Выйти",
    },
    "fr": {
        "open": "Ouvrir un portefeuille",
        "step1": "Étape 1 sur 4",
        "sent": "Consultez votre messagerie",
        "wallet": "Mon portefeuille",
        "sign_out": "Se déconnecter",
    },
}
NEW_PASSWORD = "harbour-lamp-violin-58"


class Visitor:
    """One person's browser tab, checking accessibility on every page it opens
    (axe-core is a script: in a tab without JavaScript there is nothing to run it)."""

    def __init__(self, page, base: str, *, audit: bool = True) -> None:
        self.page, self.base, self.audit = page, base, audit
        self.checked: list[str] = []

    def check(self, label: str) -> None:
        if not self.audit:
            return
        violations = accessibility_violations(self.page)
        assert violations == [], f"{label} ({self.page.url}): {violations}"
        self.checked.append(label)

    def goto(self, path: str, label: str | None = None) -> None:
        self.page.goto(self.base + path)
        self.check(label or path)

    def open_latest_letter(self, subject_part: str) -> None:
        self.goto("/dev/mail", "development mailbox")
        self.page.locator("table a", has_text=subject_part).first.click()
        self.check("a letter")

    def follow_link_in_letter(self, path_part: str) -> None:
        self.page.locator(f"pre.letter a[href*='{path_part}']").first.click()


def fill_personal(page, person: Person) -> None:
    page.fill("#first_name", person.first_name)
    page.fill("#last_name", person.last_name)
    page.fill("#birth_date", person.birth_date)
    page.select_option("#citizenship", person.citizenship)
    if person.patronymic:
        page.fill("#patronymic", person.patronymic)
    page.check(f"input[name=document_type][value={person.document_type}]")
    if person.document_country:
        page.select_option("#document_country", person.document_country)
    page.fill("#document_number", person.document_number)
    page.select_option("#country", person.country)
    page.fill("#region", person.region)
    page.fill("#city", person.city)
    page.fill("#street", person.street)
    page.fill("#postal_code", person.postal_code)
    page.fill("#phone", person.phone)


def fill_security(page, person: Person) -> None:
    page.fill("#password", person.password)
    page.fill("#password_confirm", person.password)
    page.select_option("#question_1", person.question_1)
    page.fill("#answer_1", person.answer_1)
    page.select_option("#question_2", person.question_2)
    page.fill("#answer_2", person.answer_2)


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_the_whole_journey(chromium, live, language, caplog):
    caplog.set_level(logging.INFO)
    words = WORDS[language]
    person = Person(email=f"browser-{language}@example.com", language=language)
    context = chromium.new_context(locale={"en": "en-GB", "ru": "ru-RU", "fr": "fr-FR"}[language])
    page = context.new_page()
    visitor = Visitor(page, live.url)

    # The landing page, in the browser's language (Accept-Language), then the wizard.
    visitor.goto("/", "landing page")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_role("link", name=words["open"]).first.click()
    visitor.check("step 1")
    expect(page.locator(".step-count")).to_have_text(words["step1"])

    # A new captcha image without reloading: what was typed stays.
    page.fill("#email", person.email)
    first_image = page.get_attribute("#captcha-image", "src")
    page.click("input[name=new_captcha]")
    expect(page.locator("#captcha-image")).not_to_have_attribute("src", first_image)
    expect(page.locator("#email")).to_have_value(person.email)
    # The new image really loaded (under the page's CSP, as the script fetched it).
    expect(page.locator("#captcha-image")).to_have_js_property("naturalWidth", 240)

    # A wrong captcha: the error is next to the field and announced in the summary.
    page.fill("#captcha", "WRONG")
    page.press("#captcha", "Enter")
    expect(page.locator("#captcha-error")).to_be_visible()
    expect(page.locator(".error-summary")).to_be_focused()
    visitor.check("step 1 with an error")
    page.fill("#captcha", "test7")
    page.press("#captcha", "Enter")

    # Check your mail: the countdown runs in the page's language.
    expect(page.locator("h1")).to_have_text(words["sent"])
    expect(page.locator("input[name=submit][data-wait]")).to_be_disabled()
    expect(page.locator("#resend-wait")).to_contain_text(re.compile(r"\d"))
    visitor.check("check your mail")
    visitor.goto("/help/email", "help page")

    # The letter, opened from the development mailbox like a newcomer would.
    visitor.open_latest_letter("")
    visitor.follow_link_in_letter("/register/confirm/")
    expect(page).to_have_url(re.compile(r"/register/personal$"))
    visitor.check("step 2")

    # Step 2: an empty submit shows every message, then the real details.
    page.click("input[name=submit]:visible")
    expect(page.locator(".error-summary")).to_be_visible()
    visitor.check("step 2 with errors")
    fill_personal(page, person)
    page.press("#phone", "Enter")
    expect(page).to_have_url(re.compile(r"/register/security$"))
    visitor.check("step 3")

    # Back keeps what was typed on both steps.
    page.select_option("#question_1", "first_job")
    page.click("input[name=back]")
    expect(page).to_have_url(re.compile(r"/register/personal$"))
    expect(page.locator("#street")).to_have_value(person.street)
    page.click("input[name=submit]:visible")
    expect(page.locator("#question_1")).to_have_value("first_job")
    fill_security(page, person)
    page.press("#answer_2", "Enter")

    # Step 4: the choice is off until ticked; the review links back to each step.
    expect(page).to_have_url(re.compile(r"/register/refunds$"))
    expect(page.locator("#refund_to_wallet")).not_to_be_checked()
    visitor.check("step 4")
    page.check("#refund_to_wallet")
    page.check("#consent_personal_data")
    page.click("input[name=submit]:visible")

    # The wallet is open and the person is signed in.
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("h1")).to_have_text(words["wallet"])
    visitor.check("account page")

    # Sign out, sign in.
    page.get_by_role("button", name=words["sign_out"]).click()
    expect(page).to_have_url(live.url + "/")
    visitor.goto("/login", "sign-in page")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.press("#password", "Enter")
    expect(page).to_have_url(re.compile(r"/account$"))
    page.get_by_role("button", name=words["sign_out"]).click()

    # Recover with the answers typed in another case, then sign in with the new password.
    visitor.goto("/recover", "recovery page")
    page.fill("#email", person.email)
    page.press("#email", "Enter")
    expect(page).to_have_url(re.compile(r"/recover/sent$"))
    visitor.check("recovery letter sent")
    visitor.open_latest_letter("")
    visitor.follow_link_in_letter("/recover/")
    visitor.check("security questions")
    page.fill("#answer_1", person.answer_1.upper())
    page.fill("#answer_2", "  " + person.answer_2.lower() + " ")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirm", NEW_PASSWORD)
    page.press("#password_confirm", "Enter")
    expect(page).to_have_url(re.compile(r"/account$"))
    page.get_by_role("button", name=words["sign_out"]).click()
    page.goto(live.url + "/login")
    page.fill("#email", person.email)
    page.fill("#password", NEW_PASSWORD)
    page.press("#password", "Enter")
    expect(page).to_have_url(re.compile(r"/account$"))

    # The account's settings pages and an error page, checked too.
    visitor.goto("/account/password", "change password")
    visitor.goto("/account/questions", "change questions")
    visitor.goto("/no-such-page", "not found page")
    context.close()
    assert len(visitor.checked) >= 20

    # The server's request log saw the links, but kept none of their secrets.
    assert "/register/confirm/…" in caplog.text and "/recover/…" in caplog.text
    for letter in letters(live.app, person.email):
        for token in re.findall(r"/(?:confirm|recover)/([\w.-]{20,})", letter.body_text):
            assert token not in caplog.text
    for secret in (person.password, NEW_PASSWORD, person.document_number, person.answer_2):
        assert secret not in caplog.text


def test_the_wizard_without_javascript(chromium, live):
    person = Person(email="no-script@example.com")
    context = chromium.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    visitor = Visitor(page, live.url, audit=False)
    visitor.goto("/register", "step 1 without scripts")
    page.fill("#email", person.email)
    first_image = page.get_attribute("#captcha-image", "src")
    page.click("input[name=new_captcha]")
    # A plain form post: a new image, the address kept.
    expect(page.locator("#captcha-image")).not_to_have_attribute("src", first_image)
    expect(page.locator("#email")).to_have_value(person.email)
    page.fill("#captcha", "TEST7")
    page.click("input[name=submit]:visible")
    expect(page.locator("h1")).to_have_text(WORDS["fr"]["sent"])
    # The resend button stays usable; the server answers with the wait.
    page.click("input[name=submit]:visible")
    expect(page.locator(".flash--error")).to_contain_text("Vous pourrez le renvoyer dans")
    # The language switcher is a plain link.
    page.get_by_role("link", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    visitor.open_latest_letter("")
    visitor.follow_link_in_letter("/register/confirm/")
    fill_personal(page, person)
    page.click("input[name=submit]:visible")
    fill_security(page, person)
    page.click("input[name=submit]:visible")
    page.check("#consent_personal_data")
    page.click("input[name=submit]:visible")
    expect(page).to_have_url(re.compile(r"/account$"))
    context.close()


def test_typo_suggestion_and_documents_of_the_citizenship(chromium, live):
    """Step 1 offers the address a typo was meant to be; step 2 shows, as soon as the
    citizenship is chosen, that country's documents and the patronymic where it has one."""
    context = chromium.new_context(locale="ru-RU")
    page = context.new_page()
    visitor = Visitor(page, live.url)
    visitor.goto("/register?lang=ru", "step 1")
    page.fill("#email", "ivan.petrov@yandex.ri")
    page.fill("#captcha", "TEST7")
    page.press("#captcha", "Enter")
    expect(page.locator("#email-suggestion")).to_contain_text(
        "Вы имели в виду ivan.petrov@yandex.ru?"
    )
    visitor.check("step 1 with a suggestion")
    page.get_by_role("button", name="Использовать ivan.petrov@yandex.ru").click()
    expect(page.locator("h1")).to_have_text(WORDS["ru"]["sent"])
    assert [m.recipient for m in letters(live.app, kind="confirm")] == ["ivan.petrov@yandex.ru"]

    visitor.open_latest_letter("")
    visitor.follow_link_in_letter("/register/confirm/")
    radios = page.locator("#document_type label")
    expect(radios).to_have_count(3)
    page.select_option("#citizenship", "RU")
    expect(radios).to_have_text(["Паспорт РФ (внутренний)", "Заграничный паспорт"])
    expect(page.locator("#patronymic")).to_be_visible()
    expect(page.locator("#document_country")).to_be_hidden()
    page.select_option("#citizenship", "FR")
    expect(radios).to_have_count(3)
    expect(page.locator("#patronymic")).to_be_hidden()
    page.check("input[name=document_type][value=driving_licence]")
    expect(page.locator("#document_country")).to_be_visible()
    visitor.check("step 2, a driving licence")
    page.select_option("#citizenship", "RU")
    page.check("input[name=document_type][value=national_id]")
    expect(page.locator("#document_country")).to_be_hidden()
    visitor.check("step 2, a Russian citizen")
    context.close()


def test_the_accessibility_check_does_find_violations(chromium):
    """The audit is not a formality: a page with known faults fails it."""
    page = chromium.new_page()
    page.set_content("<html><body><img src='x.png'><input type='text'></body></html>")
    found = " ".join(accessibility_violations(page))
    assert "image-alt" in found
    assert "html-has-lang" in found
    assert "label" in found
    page.close()


VERIFICATION_WORDS = {
    "en": ("Pending since", "Approved on"),
    "ru": ("На проверке с", "Подтверждена"),
    "fr": ("En cours de vérification depuis", "Approuvée le"),
}


def desk_tab(chromium, live, email: str, locale: str):
    """A staff member set up from the CLI's link, signed out, then signed in again with a
    fresh TOTP code: the desk's tab on its queue."""
    import pyotp

    from tests.staff import STAFF_PASSWORD, add_staff, fresh_code, secret_on

    context = chromium.new_context(locale=locale)
    page = context.new_page()
    desk = Visitor(page, live.url)
    desk.goto(add_staff(live.app, email), "desk setup")
    secret = secret_on(page.content())
    page.fill("#password", STAFF_PASSWORD)
    page.fill("#password_confirm", STAFF_PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("input[name=submit]:visible")
    expect(page).to_have_url(re.compile(r"/support$"))
    page.locator("nav.account-nav button[type=submit]").click()
    desk.goto("/support/login", "desk sign-in")
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    page.fill("#code", fresh_code(live.app, email, secret))
    page.click("input[name=submit]:visible")
    expect(page).to_have_url(re.compile(r"/support$"))
    desk.check("review queue")
    return context, page, desk


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_identity_verified_end_to_end(chromium, live, language, tmp_path):
    """A person uploads a passport page, a reviewer signs in with a TOTP code and approves
    it, the person's account says so; axe on every page of both sides."""
    from tests import document_files
    from tests.journey import open_wallet

    pending, approved = VERIFICATION_WORDS[language]
    person = Person(email=f"verify-{language}@example.com", language=language)
    open_wallet(live.app.test_client(), live.app, person)
    scan = tmp_path / "passport.jpg"
    scan.write_bytes(document_files.jpeg(640, 480))
    locale = {"en": "en-GB", "ru": "ru-RU", "fr": "fr-FR"}[language]

    context = chromium.new_context(locale=locale)
    page = context.new_page()
    visitor = Visitor(page, live.url)
    visitor.goto("/login", "sign-in page")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.press("#password", "Enter")
    expect(page).to_have_url(re.compile(r"/account$"))
    page.locator("#verification-link").click()
    expect(page).to_have_url(re.compile(r"/account/verification$"))
    visitor.check("verification page")
    page.set_input_files("#document", str(scan))
    page.click("input[name=submit]:visible")
    expect(page.locator("#verification-status")).to_contain_text(pending)
    visitor.check("verification pending")

    desk_context, desk_page, desk = desk_tab(
        chromium, live, f"reviewer-{language}@example.com", locale
    )
    desk_page.locator("table button[type=submit]").first.click()
    expect(desk_page).to_have_url(re.compile(r"/support/requests/\d+$"))
    expect(desk_page.locator("figure.document img")).to_have_js_property("naturalWidth", 640)
    desk.check("request page")
    desk_page.check("input[name=decision][value=approve]")
    desk_page.locator("form[action$='/decide'] input[name=submit]").click()
    expect(desk_page).to_have_url(re.compile(r"/support$"))
    desk.check("queue after the decision")
    desk_context.close()

    page.goto(live.url + "/account")
    expect(page.locator("#verification-status")).to_contain_text(approved)
    visitor.check("account page, verified")
    context.close()


PAYMENT_WORDS = {
    "en": ("€1,234.50", "Payment confirmed"),
    "ru": ("1\xa0234,50\xa0€", "Платёж подтверждён"),
    "fr": ("1\u202f234,50\xa0€", "Paiement confirmé"),
}


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_pay_forget_reset_through_the_desk_and_pay_again(chromium, live, language, tmp_path):
    """A shop asks for a payment; the person sets a payment password on the way and
    confirms; forgets it, sends a document, staff approve, the letter's link sets a new
    one, and a second payment is confirmed with it. Axe on every page."""
    from portal.i18n import in_language
    from portal.letters import SUBJECTS
    from portal.payments import orders
    from tests import document_files
    from tests.journey import open_wallet

    amount, confirmed = PAYMENT_WORDS[language]
    person = Person(email=f"pay-{language}@example.com", language=language)
    open_wallet(live.app.test_client(), live.app, person)
    with live.app.app_context():
        _shop, key = orders.add_shop("Librairie du Parc")
    shop = live.app.test_client()

    def ask(reference: str) -> str:
        body = {
            "email": person.email,
            "amount": "1234.50",
            "currency": "EUR",
            "description": "Deux livres",
            "order_reference": reference,
        }
        answer = shop.post("/api/payments", json=body, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 201
        return answer.get_json()["confirmation_url"]

    locale = {"en": "en-GB", "ru": "ru-RU", "fr": "fr-FR"}[language]
    context = chromium.new_context(locale=locale)
    page = context.new_page()
    visitor = Visitor(page, live.url)
    page.goto(ask("first"))  # signed out: sign in first, then back to the payment
    expect(page).to_have_url(re.compile(r"/login"))
    visitor.check("sign-in before paying")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.press("#password", "Enter")
    expect(page).to_have_url(re.compile(r"/account/payment-password\?next="))
    visitor.check("set a payment password first")
    page.fill("#payment_password", "401937")
    page.fill("#payment_password_confirm", "401937")
    page.click("input[name=submit]:visible")
    expect(page).to_have_url(re.compile(r"/pay/"))
    expect(page.locator("#amount")).to_have_text(amount)
    visitor.check("payment page")
    page.fill("#payment_password", "401937")
    page.click("input[name=confirm]")
    expect(page.locator("#payment-state-title")).to_have_text(confirmed)
    visitor.check("payment confirmed")

    visitor.goto("/account/payment-password/forgot", "forgotten payment password")
    scan = tmp_path / "passport.jpg"
    scan.write_bytes(document_files.jpeg(640, 480))
    page.set_input_files("#document", str(scan))
    page.fill("#note", "Nouveau téléphone")
    page.click("input[name=submit]:visible")
    expect(page).to_have_url(re.compile(r"/account/payment-password$"))
    visitor.check("reset requested")

    desk_context, desk_page, desk = desk_tab(
        chromium, live, f"pay-reviewer-{language}@example.com", locale
    )
    desk_page.locator("table button[type=submit]").first.click()
    expect(desk_page).to_have_url(re.compile(r"/support/requests/\d+$"))
    desk.check("reset request page")
    desk_page.check("input[name=decision][value=approve]")
    desk_page.locator("form[action$='/decide'] input[name=submit]").click()
    expect(desk_page).to_have_url(re.compile(r"/support$"))
    desk_context.close()

    with live.app.app_context(), in_language(language):
        subject = str(SUBJECTS["payment_reset_approved"])
    visitor.open_latest_letter(subject)
    visitor.follow_link_in_letter("/account/payment-password/reset/")
    expect(page).to_have_url(re.compile(r"/account/payment-password/reset/"))
    visitor.check("choose a new payment password")
    page.fill("#payment_password", "583920")
    page.fill("#payment_password_confirm", "583920")
    page.click("input[name=submit]:visible")
    expect(page).to_have_url(re.compile(r"/account/payment-password$"))

    page.goto(ask("second"))
    page.fill("#payment_password", "583920")
    page.click("input[name=confirm]")
    expect(page.locator("#payment-state-title")).to_have_text(confirmed)
    visitor.check("second payment confirmed")
    context.close()


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_times_follow_the_browsers_time_zone(chromium, live, language):
    """The script tells the server the browser's zone (the tz cookie) and rewrites the times
    of the first page, written in the default zone, as the server then writes them."""
    from tests.journey import start

    start(live.app.test_client(), Person(email=f"tz-{language}@example.com", language=language))
    context = chromium.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    visitor = Visitor(page, live.url)
    visitor.goto(f"/dev/mail?lang={language}", "development mailbox, first visit")
    first = page.locator("time[data-local-time]").first
    expect(first).to_have_attribute("data-local-time", "Asia/Tokyo")
    by_script = first.text_content()
    assert "UTC" not in by_script
    assert {cookie["name"]: cookie["value"] for cookie in context.cookies()}["tz"] == "Asia/Tokyo"

    # The next page as the server writes it (before any script), with the browser's cookies.
    html = context.request.get(f"{live.url}/dev/mail").text()
    zone, by_server = re.search(r'data-local-time="([^"]*)">([^<]+)</time>', html).groups()
    assert zone == "Asia/Tokyo"
    # The same words (ICU's and CLDR-by-Babel's spaces may differ: one kind of space here).
    assert by_server.split() == by_script.split()
    moment = datetime.fromisoformat(first.get_attribute("datetime")).astimezone(
        ZoneInfo("Asia/Tokyo")
    )
    assert f"{moment:%H:%M}" in by_server
    if language == "en":
        assert by_server == f"{moment.day} {moment:%B %Y} at {moment:%H:%M}"
    context.close()
