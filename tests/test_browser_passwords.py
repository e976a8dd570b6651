"""Password fields in Chromium: the show/hide button the script adds, and the live
strength message, which is the server's own, in the page's language, at a desktop and
a phone's width; without scripts, a plain password field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.passwords import password_problem
from tests.journey import Person, open_wallet
from tests.test_browser import Visitor

pytestmark = pytest.mark.browser

LABELS = {
    "en": ("Show password", "Hide password", "Good: this password is hard to guess."),
    "ru": ("Показать пароль", "Скрыть пароль", "Хорошо: такой пароль трудно угадать."),
    "fr": (
        "Afficher le mot de passe",
        "Masquer le mot de passe",
        "Bien\u00a0: ce mot de passe est difficile à deviner.",
    ),
}
WEAK = "aaaaaaaaaaaa"


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_show_hide_and_the_live_strength_message(chromium, live, language, width):
    person = Person(email=f"strength-{language}-{width}@example.com", language=language)
    open_wallet(live.app.test_client(), live.app, person)
    show, hide, good = LABELS[language]
    with live.app.test_request_context(f"/?lang={language}"):
        weak_message = password_problem(WEAK, person.email, (person.first_name,))
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    visitor = Visitor(page, live.url)

    # Signing in: the current password can be shown and hidden again.
    visitor.goto(f"/login?lang={language}", "sign-in page with its show/hide button")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    toggle = page.locator("#password + button.password-toggle")
    expect(toggle).to_have_text(show)
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator("#password")).to_have_attribute("type", "text")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_text(hide)
    visitor.check("sign-in page, password shown")
    toggle.click()
    expect(page.locator("#password")).to_have_attribute("type", "password")
    expect(toggle).to_have_text(show)
    toggle.click()  # sent while shown: the script hides it again before the form leaves
    page.press("#password", "Enter")
    expect(page).to_have_url(live.url + "/account")

    # A new password: the server's verdict, announced politely, as one types.
    visitor.goto("/account/password", "change password")
    verdict = page.locator("#password-strength")
    expect(verdict).to_have_attribute("aria-live", "polite")
    expect(page.locator("#password")).to_have_attribute(
        "aria-describedby", "password-hint password-strength"
    )
    page.locator("#password").press_sequentially(WEAK, delay=20)
    expect(verdict).to_have_text(weak_message)
    expect(verdict).to_have_class("field__strength field__strength--weak")
    visitor.check("change password, weak password said")
    page.fill("#password", "")
    page.locator("#password").press_sequentially("velvet otter lantern harbour", delay=10)
    expect(verdict).to_have_text(good)
    visitor.check("change password, strong password said")
    # Each password field has its own button.
    expect(page.locator("button.password-toggle")).to_have_count(3)
    context.close()


def test_without_scripts_a_password_field_is_plain(chromium, live):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live.url + "/login")
    expect(page.locator("#password")).to_have_attribute("type", "password")
    expect(page.locator("button.password-toggle")).to_have_count(0)
    context.close()


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_the_changed_pages_pass_axe_on_a_phone(chromium, live, language):
    """The sign-in failure with this browser's unfinished registration, the reset's
    "Check your mail" with its resend, and the help page with its way back."""
    context = chromium.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    visitor = Visitor(page, live.url)
    email = f"phone-{language}@example.com"
    visitor.goto(f"/register?lang={language}", "step 1")
    page.fill("#email", email)
    page.fill("#captcha", "TEST7")
    page.press("#captcha", "Enter")
    expect(page).to_have_url(live.url + "/register/sent")
    page.locator("a[href^='/help/email']").last.click()
    visitor.check("help, from check your mail")
    page.locator(".panel a.button--secondary").click()  # Back
    expect(page).to_have_url(live.url + "/register/sent")

    visitor.goto("/login", "sign-in page")
    page.fill("#email", email)
    page.fill("#password", "not-a-password-1")
    page.press("#password", "Enter")
    expect(page.locator(".error-summary a[href='/register/sent']")).to_be_visible()
    expect(page.locator(".error-summary a[href='/recover']")).to_be_visible()
    visitor.check("sign-in failed, this browser's unfinished registration")

    visitor.goto("/recover", "reset your password")
    page.fill("#email", email)
    page.press("#email", "Enter")
    expect(page).to_have_url(live.url + "/recover/sent")
    resend = page.locator("form[action='/recover/resend'] input[name=submit]")
    expect(resend).to_be_disabled()  # the countdown runs
    expect(page.locator("#resend-wait")).to_contain_text(re.compile(r"\d"))
    visitor.check("reset email sent, with its resend")
    context.close()
