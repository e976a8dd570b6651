"""Step 2: documents as each country issues them, the patronymic, and the country that
issued a driving licence, through the wizard and into the account."""

import json
import re
from html import unescape

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Account, Draft
from tests.journey import (
    CONSENT,
    Person,
    open_wallet,
    reach_personal,
    reach_refunds,
    submit,
    text,
)

IVAN = dict(
    first_name="Иван",
    last_name="Петров",
    patronymic="Иванович",
    citizenship="RU",
    document_type="national_id",
    document_number="4509 123456",
    country="RU",
    region="Москва",
    city="Москва",
    street="ул. Тверская, д. 1, кв. 5",
    postal_code="125009",
    phone="+7 912 345-67-89",
)


def document_options(html: str) -> list[tuple[str, str]]:
    fieldset = re.search(r'<fieldset id="document_type".*?</fieldset>', html, re.S).group(0)
    return re.findall(
        r'<input[^>]*value="(\w+)"[^>]*>\s*<label for="[^"]+">([^<]+)</label>', fieldset
    )


def saved_personal(app) -> dict:
    with app.app_context():
        return db.session.scalar(select(Draft.personal))


def step_two(client, app, language="en", **changes):
    """Step 2 sent with ``changes``: the page it gave back (errors) or its redirect."""
    person = Person(language=language)
    reach_personal(client, app, person)
    return submit(client, f"/register/personal?lang={language}", {**person.personal(), **changes})


@pytest.mark.parametrize(
    ("language", "citizenship", "offered"),
    [
        (
            "ru",
            "RU",
            [("national_id", "Паспорт РФ (внутренний)"), ("passport", "Заграничный паспорт")],
        ),
        (
            "en",
            "RU",
            [
                ("national_id", "Russian internal passport (паспорт РФ)"),
                ("passport", "Russian international passport (заграничный паспорт)"),
            ],
        ),
        (
            "fr",
            "FR",
            [
                ("national_id", "Carte nationale d’identité"),
                ("passport", "Passeport français"),
                ("driving_licence", "Permis de conduire"),
            ],
        ),
        ("en", "GB", [("passport", "UK passport"), ("driving_licence", "Driving licence")]),
        (
            "en",
            "IT",
            [
                ("passport", "Passport"),
                ("driving_licence", "Driving licence"),
                ("national_id", "National identity card"),
            ],
        ),
    ],
)
def test_the_documents_offered_are_those_of_the_citizenship(
    client, app, language, citizenship, offered
):
    # Without JavaScript: once the citizenship is known (here, sent with an error
    # elsewhere), the page lists that country's documents by their names there.
    html = text(step_two(client, app, language, citizenship=citizenship, city=""))
    assert document_options(html) == offered


def test_before_a_citizenship_all_three_kinds_are_offered_and_it_is_said_why(client, app):
    reach_personal(client, app, Person())
    html = text(client.get("/register/personal"))
    assert [key for key, _label in document_options(html)] == [
        "passport",
        "driving_licence",
        "national_id",
    ]
    assert "Once you choose your citizenship, the documents of that country" in html
    # The script that filters them as soon as the citizenship changes has their names.
    table = json.loads(unescape(re.search(r'data-document-types="([^"]+)"', html).group(1)))
    assert table["RU"] == [
        ["national_id", "Russian internal passport (паспорт РФ)"],
        ["passport", "Russian international passport (заграничный паспорт)"],
    ]
    assert [key for key, _label in table["*"]] == ["passport", "driving_licence", "national_id"]
    assert 'src="/static/documents.js"' in html


@pytest.mark.parametrize(
    ("document_type", "typed", "stored"),
    [("national_id", "4509 123456", "4509123456"), ("passport", "75 1234567", "751234567")],
)
def test_both_russian_passports_are_accepted_as_typed(client, app, document_type, typed, stored):
    person = dict(IVAN, document_type=document_type, document_number=typed)
    response = step_two(client, app, "ru", **person)
    assert response.headers["Location"] == "/register/security"
    saved = saved_personal(app)
    assert saved["document_number"] == stored
    assert saved["document_country"] == "RU"


@pytest.mark.parametrize(
    ("language", "changes", "message"),
    [
        (
            "en",
            {"document_type": "passport", "document_number": "4509 1234"},
            "The number of a Russian international passport has 9 digits",
        ),
        (
            "ru",
            {"document_type": "national_id", "document_number": "75 12345"},
            "Номер паспорта РФ состоит из 10 цифр: серия из 4 цифр и номер из 6 цифр",
        ),
        # The number of the other passport: the message says which one to choose.
        (
            "en",
            {"document_type": "passport", "document_number": "4509 123456"},
            "This is the number of an internal passport (10 digits). Choose “Russian "
            "internal passport (паспорт РФ)” above",
        ),
        (
            "ru",
            {"document_type": "national_id", "document_number": "75 1234567"},
            "Это номер заграничного паспорта (9 цифр). Выберите выше «Заграничный паспорт»",
        ),
        (
            "en",
            {"document_type": "driving_licence", "document_number": "7712345678"},
            "With the citizenship of Russia, choose one of these documents: Russian internal "
            "passport (паспорт РФ), Russian international passport (заграничный паспорт).",
        ),
        (
            "fr",
            {"document_type": "driving_licence", "document_number": "7712345678"},
            "Avec la nationalité «\u00a0Russie\u00a0», choisissez l’une de ces pièces",
        ),
    ],
)
def test_russian_documents_are_checked_by_kind(client, app, language, changes, message):
    html = text(step_two(client, app, language, **dict(IVAN, **changes)))
    assert message in html
    assert 'value="Иванович"' in html  # nothing typed is lost


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"document_type": "national_id", "document_number": "123456789"},
            "With the citizenship of United Kingdom, choose one of these documents",
        ),
        (
            {"document_type": "driving_licence", "document_number": "MORGA7531"},
            "A UK driving licence number has 16 letters and digits",
        ),
        (
            {"document_type": "passport", "document_number": "12345678A"},
            "A UK passport number has 9 digits",
        ),
    ],
)
def test_british_documents_are_checked_by_kind(client, app, changes, message):
    uk = {"citizenship": "GB", "country": "GB", "postal_code": "SW1A 1AA", "phone": "07400 123456"}
    assert message in text(step_two(client, app, **uk, **changes))


def test_a_british_driving_licence_is_accepted(client, app):
    uk = {"citizenship": "GB", "country": "GB", "postal_code": "SW1A 1AA", "phone": "07400 123456"}
    response = step_two(
        client, app, **uk, document_type="driving_licence", document_number="morga 753116 sm9ij"
    )
    assert response.headers["Location"] == "/register/security"
    assert saved_personal(app)["document_number"] == "MORGA753116SM9IJ"


def test_a_driving_licence_may_come_from_another_country(client, app):
    person = Person(
        document_type="driving_licence",
        document_country="GB",
        document_number="MORGA753116SM9IJ",
    )
    reach_refunds(client, app, person)
    saved = saved_personal(app)
    assert (saved["citizenship"], saved["document_country"]) == ("FR", "GB")
    html = text(client.get("/register/refunds"))
    assert "Driving licence, MORGA753116SM9IJ, issued by United Kingdom" in html
    # Checked by the rule of the country that issued it, not of the citizenship.
    html = text(
        step_two(
            client,
            app,
            document_type="driving_licence",
            document_country="GB",
            document_number="123",
        )
    )
    assert "A UK driving licence number has 16 letters and digits" in html


def test_a_passport_comes_from_the_country_of_citizenship(client, app):
    response = step_two(client, app, document_country="GB")  # a French passport
    assert response.headers["Location"] == "/register/security"
    assert saved_personal(app)["document_country"] == "FR"


def test_the_issuing_country_is_asked_only_for_a_driving_licence(client, app):
    html = text(step_two(client, app, city=""))  # a passport
    part = re.search(r'<div id="document-country-part"[^>]*>', html).group(0)
    assert "hidden" in part
    html = text(step_two(client, app, city="", document_type="driving_licence"))
    part = re.search(r'<div id="document-country-part"[^>]*>', html).group(0)
    assert "hidden" not in part
    assert "Country that issued the driving licence" in html


def test_a_patronymic_goes_into_the_review_and_the_account(client, app):
    person = Person(language="ru", email="ivan@example.com", **IVAN)
    reach_refunds(client, app, person)
    assert saved_personal(app)["patronymic"] == "Иванович"
    review = text(client.get("/register/refunds?lang=ru"))
    assert "Иван Иванович Петров" in review
    assert "Паспорт РФ (внутренний), 4509 123456" in review
    account_page = text(client.get(open_wallet_location(client)))
    assert "Иван Иванович Петров" in account_page
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert (account.patronymic, account.document_country) == ("Иванович", "RU")
        assert account.document_type == "national_id"


def open_wallet_location(client) -> str:
    response = submit(client, "/register/refunds", {"refund_to_wallet": "y", **CONSENT})
    assert response.headers["Location"] == "/account"
    return "/account?lang=ru"


def test_a_patronymic_is_checked_and_named_in_its_message(client, app):
    html = text(step_two(client, app, "ru", **dict(IVAN, patronymic="Иван0вич")))
    assert "В отчестве можно использовать только буквы" in html
    html = text(step_two(client, app, "en", **dict(IVAN, patronymic="-Ivanovich")))
    assert "The patronymic starts and ends with a letter." in html


def test_a_patronymic_is_not_asked_of_citizenships_without_one(client, app):
    # Shown while the citizenship is unknown or one that has patronymics ...
    reach_personal(client, app, Person())
    part = re.search(r'<div id="patronymic-part"[^>]*>', text(client.get("/register/personal")))
    assert "hidden" not in part.group(0)
    # ... hidden, and ignored, for a French citizen.
    html = text(step_two(client, app, patronymic="Pierre", city=""))
    assert " hidden>" in re.search(r'<div id="patronymic-part"[^>]*>', html).group(0)
    response = step_two(client, app, patronymic="Pierre")
    assert response.headers["Location"] == "/register/security"
    assert saved_personal(app)["patronymic"] == ""


def test_an_account_opened_without_a_patronymic_shows_the_name_alone(client, app):
    open_wallet(client, app, Person())
    html = text(client.get("/account"))
    assert "Jean Dupont" in html
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert (account.patronymic, account.document_country) == ("", "FR")


FIELD_WORDS = {
    "en": {"first_name": r"\bfirst name", "last_name": r"\blast name", "patronymic": "patronymic"},
    "ru": {"first_name": r"\bим(я|ени)\b", "last_name": r"\bфамили", "patronymic": r"\bотчеств"},
    "fr": {"first_name": r"\bprénom\b", "last_name": r"\bnom\b", "patronymic": r"\bpatronyme\b"},
}


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_each_name_message_names_its_own_field(app, language):
    """A surname's error never speaks of the first name, in any language."""
    from flask_babel import force_locale

    from portal.identity import name_messages

    words = FIELD_WORDS[language]
    parts = {"first_name": "first", "last_name": "last", "patronymic": "patronymic"}
    with app.test_request_context(), force_locale(language):
        for field, part in parts.items():
            for message in name_messages(part).values():
                said = message.casefold()
                assert re.search(words[field], said), message
                others = [word for name, word in words.items() if name != field]
                assert not any(re.search(word, said) for word in others), message


def test_a_wrong_issuing_country_is_shown_next_to_its_field(client, app):
    html = text(step_two(client, app, document_country="XX", city=""))
    part = re.search(r'<div id="document-country-part"[^>]*>', html).group(0)
    assert "hidden" not in part
    assert "Choose the country that issued your driving licence from the list." in html
