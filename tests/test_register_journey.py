"""The whole journey with the test client, in each language: every page, flash message
and letter on the way speaks the language the person chose."""

import pytest

from tests.journey import Person, letters, link_in, start, submit, text

JOURNEY = {
    "en": {
        "sent": ["Check your mail", "What you enter is kept for 7 days"],
        "letter": "Confirm your email address to open your wallet",
        "personal": ["Thank you: your email address is confirmed.", "Step 2 of 4"],
        "security": ["Password and security questions", "Step 3 of 4"],
        "refunds": ["Refunds to your wallet", "Step 4 of 4", "Check your details"],
        "account": ["Your wallet is open. Welcome!", "My wallet"],
        "welcome": "Your wallet is open",
    },
    "ru": {
        "sent": ["Проверьте почту", "Введённые данные хранятся 7 дней"],
        "letter": "Подтвердите адрес электронной почты, чтобы открыть кошелёк",
        "personal": ["Спасибо! Адрес электронной почты подтверждён.", "Шаг 2 из 4"],
        "security": ["Пароль и контрольные вопросы", "Шаг 3 из 4"],
        "refunds": ["Возвраты в кошелёк", "Шаг 4 из 4", "Проверьте данные"],
        "account": ["Кошелёк открыт. Добро пожаловать!", "Мой кошелёк"],
        "welcome": "Ваш кошелёк открыт",
    },
    "fr": {
        "sent": ["Consultez votre messagerie", "Ce que vous saisissez est conservé 7 jours"],
        "letter": "Confirmez votre adresse e-mail pour ouvrir votre portefeuille",
        "personal": ["Merci\u00a0: votre adresse e-mail est confirmée.", "Étape 2 sur 4"],
        "security": ["Mot de passe et questions de sécurité", "Étape 3 sur 4"],
        "refunds": [
            "Remboursements sur le portefeuille",
            "Étape 4 sur 4",
            "Vérifiez vos informations",
        ],
        "account": ["Votre portefeuille est ouvert. Bienvenue\u202f!", "Mon portefeuille"],
        "welcome": "Votre portefeuille est ouvert",
    },
}


def page_has(response, phrases):
    html = text(response)
    assert response.status_code == 200
    for phrase in phrases:
        assert phrase in html, phrase
    return html


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_the_journey_speaks_one_language(client, app, language):
    expected = JOURNEY[language]
    person = Person(email=f"journey-{language}@example.com", language=language)

    sent = start(client, person)
    page_has(client.get(sent.headers["Location"]), expected["sent"])

    [letter] = letters(app, person.email)
    assert letter.locale == language
    assert letter.subject == expected["letter"]
    assert f'<html lang="{language}">' in letter.body_html
    personal = client.get(link_in(letter, "/register/confirm/"))
    page_has(client.get(personal.headers["Location"]), expected["personal"])
    security = submit(client, "/register/personal", person.personal())
    page_has(client.get(security.headers["Location"]), expected["security"])
    refunds = submit(client, "/register/security", person.security())
    page_has(client.get(refunds.headers["Location"]), expected["refunds"])
    account = submit(client, "/register/refunds", {"refund_to_wallet": "y"})
    page_has(client.get(account.headers["Location"]), expected["account"])

    [welcome] = letters(app, person.email, "welcome")
    assert welcome.subject == expected["welcome"]
    assert welcome.locale == language
