"""The consent on step 4, the footer of every page and the legal pages it links."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import in_language
from portal.models import Account
from portal.models.types import utcnow
from portal.register.forms import CONSENT_REQUIRED
from tests.journey import Person, open_wallet, reach_refunds, submit, text


def checkbox(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no checkbox {name}"
    return match.group(0)


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_step_4_without_consent_says_why_next_to_the_box_and_keeps_the_choice(
    client, app, language
):
    person = Person(language=language)
    reach_refunds(client, app, person)
    response = submit(client, f"/register/refunds?lang={language}", {"refund_to_wallet": "y"})
    assert response.status_code == 200
    html = text(response)
    with app.test_request_context(), in_language(language):
        message = str(CONSENT_REQUIRED)
    # The message in the person's language, right beside the box, and the box points to it.
    error = re.search(r'<p class="field__error" id="consent_personal_data-error">([^<]*)</p>', html)
    assert error and error.group(1) == message
    consent = checkbox(html, "consent_personal_data")
    assert "consent_personal_data-error" in consent and 'aria-invalid="true"' in consent
    assert "checked" not in consent
    # The summary at the top repeats the message (which names the box) and leads to it.
    assert f'<a href="#consent_personal_data">{message}</a>' in html
    # The refund choice made on the same submit is still ticked.
    assert "checked" in checkbox(html, "refund_to_wallet")
    with app.app_context():
        assert db.session.scalar(select(func.count(Account.id))) == 0


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "I consent to Acme Wallet SAS processing my personal data"),
        ("ru", "Я даю согласие Acme Wallet SAS на обработку моих персональных данных"),
        ("fr", "Je consens au traitement de mes données personnelles par Acme Wallet SAS"),
    ],
)
def test_the_consent_names_the_operator_and_links_the_privacy_notice(app_factory, language, words):
    app = app_factory(OPERATOR_NAME="Acme Wallet SAS")
    client = app.test_client()
    reach_refunds(client, app, Person(language=language))
    html = text(client.get(f"/register/refunds?lang={language}"))
    label = re.search(r'<label for="consent_personal_data">([^<]*)</label>', html)
    assert label and label.group(1).startswith(words)
    hint = re.search(r'<p class="field__hint" id="consent_personal_data-hint">(.*?)</p>', html)
    assert hint and 'href="/legal/privacy"' in hint.group(1)
    assert 'aria-describedby="consent_personal_data-hint"' in checkbox(
        html, "consent_personal_data"
    )


def test_the_consent_is_stored_with_the_notice_version_and_the_time(app_factory):
    app = app_factory(PRIVACY_NOTICE_VERSION="2027-01-15")
    client = app.test_client()
    before = utcnow()
    response = open_wallet(client, app, Person(refund_to_wallet=False))
    assert response.headers["Location"] == "/account"
    with app.app_context():
        account = db.session.scalars(select(Account)).one()
        assert account.privacy_notice_version == "2027-01-15"
        assert before - timedelta(seconds=1) <= account.consented_at <= utcnow()
        assert account.refund_to_wallet is False


def test_a_wallet_never_opens_without_consent(app):
    """The domain function refuses too, whatever view calls it."""
    from portal.models import Draft
    from portal.register.drafts import open_wallet as open_draft

    client = app.test_client()
    reach_refunds(client, app, Person())
    with app.test_request_context():
        draft = db.session.scalars(select(Draft)).one()
        with pytest.raises(ValueError):
            open_draft(draft, True, consented=False)
        assert db.session.scalar(select(func.count(Account.id))) == 0


# The footer -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/register", "/login", "/help/email", "/legal/terms"])
def test_every_page_has_the_operators_footer_from_the_configuration(app_factory, path):
    app = app_factory(OPERATOR_NAME="Acme Wallet SAS", SUPPORT_EMAIL="aide@acme.example")
    html = text(app.test_client().get(path))
    footer = re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S)
    assert footer, path
    footer = footer.group(1)
    assert "Acme Wallet SAS" in footer
    assert 'href="/legal/privacy"' in footer and 'href="/legal/terms"' in footer
    assert 'href="mailto:aide@acme.example"' in footer


def test_the_footer_speaks_the_pages_language(sqlite_app):
    html = text(sqlite_app.test_client().get("/?lang=ru"))
    footer = re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S).group(1)
    with sqlite_app.test_request_context(), in_language("ru"):
        privacy, terms = gettext("Privacy notice"), gettext("Terms of use")
    assert privacy != "Privacy notice" and f">{privacy}</a>" in footer
    assert terms != "Terms of use" and f">{terms}</a>" in footer


# The legal pages ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
@pytest.mark.parametrize(
    ("page", "title"), [("privacy", "Privacy notice"), ("terms", "Terms of use")]
)
def test_default_text_in_each_language(sqlite_app, language, page, title):
    response = sqlite_app.test_client().get(f"/legal/{page}?lang={language}")
    assert response.status_code == 200
    html = text(response)
    with sqlite_app.test_request_context(), in_language(language):
        heading = gettext(title)
    if language != "en":
        assert heading != title
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert re.search(rf"<title>{re.escape(heading)} · ", html)
    assert "Wallet Example Ltd" in html


def test_legal_pages_link_the_support_address_and_mark_themselves_in_the_footer(sqlite_app):
    client = sqlite_app.test_client()
    for page, other in (("privacy", "terms"), ("terms", "privacy")):
        html = text(client.get(f"/legal/{page}"))
        article = re.search(r"<article.*?</article>", html, re.S).group(0)
        assert '<a href="mailto:support@wallet.example">support@wallet.example</a>' in article
        footer = re.search(r"<footer.*?</footer>", html, re.S).group(0)
        assert f'<a href="/legal/{page}" aria-current="page">' in footer
        assert f'<a href="/legal/{other}">' in footer


def test_the_privacy_notice_shows_its_version(app_factory):
    app = app_factory(PRIVACY_NOTICE_VERSION="2027-01-15")
    assert "2027-01-15" in text(app.test_client().get("/legal/privacy"))


def test_the_operators_markdown_replaces_the_default_text(app_factory, tmp_path):
    folder = tmp_path / "legal"
    folder.mkdir()
    (folder / "privacy.fr.md").write_text(
        "# Notre politique\n\nNous traitons **vos données** avec soin.\n\n"
        "<script>alert(1)</script>\n",
        encoding="utf-8",
    )
    app = app_factory(LEGAL_DIR=str(folder))
    html = text(app.test_client().get("/legal/privacy?lang=fr"))
    assert "<strong>vos données</strong>" in html
    # The operator's headings go under the page's own <h1>; raw HTML is not run.
    assert "<h2>Notre politique</h2>" in html and html.count("<h1") == 1
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Who is responsible for your data" not in html


def test_a_language_without_its_own_text_gets_the_english_one_marked_english(app_factory, tmp_path):
    folder = tmp_path / "legal"
    folder.mkdir()
    (folder / "terms.en.html").write_text("<p>Our <em>own</em> terms.</p>", encoding="utf-8")
    app = app_factory(LEGAL_DIR=str(folder))
    client = app.test_client()
    russian = text(client.get("/legal/terms?lang=ru"))
    assert '<div class="legal__text" lang="en">' in russian
    assert "<p>Our <em>own</em> terms.</p>" in russian
    english = text(client.get("/legal/terms?lang=en"))
    assert '<div class="legal__text">' in english
    # The privacy notice has no file: the default text.
    assert "Who is responsible for your data" in text(client.get("/legal/privacy?lang=en"))


def test_a_relative_legal_dir_is_resolved_in_the_instance_folder(app_factory):
    import os

    app = app_factory(LEGAL_DIR="legal-texts")
    from portal.legal.documents import legal_dir

    with app.app_context():
        assert legal_dir() == os.path.join(app.instance_path, "legal-texts")


def test_an_unknown_legal_page_is_not_found(sqlite_app):
    assert sqlite_app.test_client().get("/legal/cookies").status_code == 404
