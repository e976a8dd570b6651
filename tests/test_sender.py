"""The letters' sender as an inbox shows it: a name in the recipient's language, the
address of MAIL_DEFAULT_SENDER; and the help page that tells people what to look for."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.letters import enqueue_letter
from portal.outbox.delivery import deliver_all_due
from tests.journey import text
from tests.smtp import smtp_fixture  # noqa: F401

SENDER = "Wallet <no-reply@wallet.example>"
NAMES = {"en": "Wallet", "ru": "Кошелёк", "fr": "Portefeuille"}


@pytest.fixture
def mail_app(app_factory, smtp):
    return app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)


def send_welcome(app, recipient: str, language: str) -> None:
    with app.app_context():
        enqueue_letter(
            "welcome",
            recipient,
            language,
            name="Anna",
            account_url="http://127.0.0.1:5000/account",
            refund_to_wallet=False,
        )
        db.session.commit()
        assert deliver_all_due().sent == 1


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_the_from_header_names_the_sender_in_the_recipients_language(mail_app, smtp, language):
    send_welcome(mail_app, f"reader-{language}@example.com", language)
    [received] = smtp.received
    [sender] = received.message["From"].addresses
    assert sender.display_name == NAMES[language]
    assert sender.addr_spec == "no-reply@wallet.example"
    # Encoded once (RFC 2047) when it is not ASCII, never the encoded text encoded again.
    raw = received.message.as_bytes().split(b"\n\n", 1)[0]
    assert b"PT91dGYt" not in raw


def test_names_and_address_come_from_the_configuration(app_factory, smtp):
    app = app_factory(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER='"Acme, Wallet" <letters@acme.example>',
        MAIL_SENDER_NAMES={"fr": "Porte-monnaie Acme"},
    )
    send_welcome(app, "lea@example.com", "fr")
    send_welcome(app, "ivan@example.com", "ru")
    french, russian = smtp.received
    assert french.message["From"].addresses[0].display_name == "Porte-monnaie Acme"
    assert french.message["From"].addresses[0].addr_spec == "letters@acme.example"
    # A language without its own name gets the default sender's, comma and all.
    assert russian.message["From"].addresses[0].display_name == "Acme, Wallet"
    assert russian.message["From"].addresses[0].addr_spec == "letters@acme.example"


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_the_help_page_shows_the_sender_as_the_inbox_does(sqlite_app, language):
    html = text(sqlite_app.test_client().get(f"/help/email?lang={language}"))
    sentence = re.search(r'<p class="sender">(.*?)</p>', html, re.S)
    assert sentence, "no sentence about the sender"
    sentence = sentence.group(1)
    assert f'<strong class="sender__name">{NAMES[language]}</strong>' in sentence
    assert '<span class="sender__address">no-reply@wallet.example</span>' in sentence
    # Never the raw header form.
    assert SENDER not in html and "&lt;no-reply@wallet.example&gt;" not in html


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("MAIL_SENDER_NAMES", "Wallet"),
        ("MAIL_SENDER_NAMES", {"ru": ""}),
        ("MAIL_SENDER_NAMES", {"fr": 3}),
        ("OPERATOR_NAME", ""),
        ("OPERATOR_NAME", "   "),
    ],
)
def test_names_that_would_show_blank_or_break_letters_stop_the_start(key, value):
    from portal import ConfigError, create_app

    with pytest.raises(ConfigError, match=key):
        create_app("testing", {key: value})


def test_sender_names_from_the_environment_are_json(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("PORTAL_MAIL_SENDER_NAMES", '{"ru": "Кошелёк Acme"}')
    app = create_app("testing")
    with app.app_context():
        from portal.letters import sender

        assert sender("ru") == ("Кошелёк Acme", "no-reply@wallet.example")
        assert sender("fr") == ("Wallet", "no-reply@wallet.example")
