"""Step 2 asks for the date of birth: the passport pre-check and the payment password's
rules compare against it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Account, Draft
from tests.journey import Person, open_wallet, reach_personal, reach_refunds, submit, text


def years_ago(years: int, days: int = 0) -> str:
    today = date.today()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:
        then = today.replace(year=today.year - years, day=28)
    return date.fromordinal(then.toordinal() + days).isoformat()


def refused(client, app, value: str, language: str = "en") -> str:
    person = Person(language=language)
    reach_personal(client, app, person)
    response = submit(
        client, f"/register/personal?lang={language}", {**person.personal(), "birth_date": value}
    )
    assert response.status_code == 200  # the page again, not the next step
    return text(response)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter your date of birth."),
        ("yesterday", "Enter the date of birth as day, month and year, such as 17.05.1990."),
        ("1990-5", "Enter the date of birth as day, month and year"),
        ("31.02.1990", "This date does not exist. Check the day and the month."),
        ("1990-13-01", "This date does not exist."),
        ("2999-01-01", "A date of birth cannot be in the future."),
        ("1850-01-01", "Check the year of birth."),
        (years_ago(18, days=1), "You must be at least 18 years old to open a wallet."),
    ],
)
def test_a_wrong_birth_date_is_refused_next_to_the_field(client, app, value, message):
    html = refused(client, app, value)
    assert message in html
    assert 'aria-describedby="birth_date-error' in html or 'id="birth_date-error' in html
    assert 'value="Paris"' in html  # the rest of the form is kept


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Вам должно быть не меньше 18 лет, чтобы открыть кошелёк."),
        ("fr", "Vous devez avoir au moins 18 ans pour ouvrir un portefeuille."),
    ],
)
def test_the_age_rule_speaks_each_language(client, app, language, message):
    assert message in refused(client, app, years_ago(17), language)


def test_the_minimum_age_is_configurable(app_factory):
    app = app_factory(MINIMUM_AGE=1)
    client = app.test_client()
    html = refused(client, app, years_ago(0, days=-10))
    assert "You must be at least 1 year old to open a wallet." in html


@pytest.mark.parametrize("typed", ["17.05.1990", "17/05/1990", "17-05-1990", " 1990-05-17 "])
def test_a_date_typed_day_first_is_understood(client, app, typed):
    person = Person(birth_date=typed)
    reach_personal(client, app, person)
    response = submit(client, "/register/personal", person.personal())
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Draft.personal))["birth_date"] == "1990-05-17"


def test_an_eighteenth_birthday_today_is_old_enough(client, app):
    person = Person(birth_date=years_ago(18))
    reach_personal(client, app, person)
    assert submit(client, "/register/personal", person.personal()).status_code == 302


def test_the_field_is_a_date_input_for_the_browser(client, app):
    reach_personal(client, app, Person())
    html = text(client.get("/register/personal"))
    assert 'type="date"' in html and 'name="birth_date"' in html
    assert 'autocomplete="bday"' in html


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "17 May 1990"), ("fr", "17 mai 1990"), ("ru", "17 мая 1990\u202fг.")],
)
def test_the_review_shows_the_date_in_the_page_language(client, app, language, shown):
    person = Person(language=language)
    reach_refunds(client, app, person)
    assert shown in text(client.get(f"/register/refunds?lang={language}"))


def test_the_wallet_keeps_the_date_of_birth(client, app):
    person = Person(email="born@example.com")
    assert open_wallet(client, app, person).status_code == 302
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == person.email))
        assert account.birth_date == date(1990, 5, 17)
