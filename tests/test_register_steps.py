"""Confirmation, steps 2-4 and opening the wallet."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Account, Draft
from portal.models.types import utcnow
from portal.passwords import _as_typed, password_problem, verify_answer, verify_secret
from tests.journey import (
    CONSENT,
    Person,
    confirmation_path,
    letters,
    open_wallet,
    reach_personal,
    reach_refunds,
    reach_security,
    signed_long_ago,
    start,
    submit,
    text,
)

# Confirmation -------------------------------------------------------------------------


def test_confirmation_goes_to_the_first_unfinished_step(client, app):
    person = Person()
    response = reach_personal(client, app, person)
    assert response.headers["Location"] == "/register/personal"
    with app.app_context():
        assert db.session.scalar(select(Draft.confirmed_at)) is not None
    submit(client, "/register/personal", person.personal())
    # Opening the letter again resumes where the person stopped.
    again = client.get(confirmation_path(app, person.email))
    assert again.headers["Location"] == "/register/security"


def test_another_device_finishes_what_the_first_started(app):
    person = Person()
    laptop, phone = app.test_client(), app.test_client()
    start(laptop, person)
    submit_link = confirmation_path(app, person.email)
    assert phone.get(submit_link).headers["Location"] == "/register/personal"
    assert submit(phone, "/register/personal", person.personal()).status_code == 302
    # The laptop, which holds the same draft, continues from the step the phone reached.
    assert laptop.get("/register/personal").status_code == 200
    assert laptop.get("/register/refunds").headers["Location"] == "/register/security"
    submit(laptop, "/register/security", person.security())
    assert submit(laptop, "/register/refunds", CONSENT).headers["Location"] == "/account"


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "This link has expired"),
        ("ru", "Срок действия ссылки истёк"),
        ("fr", "Ce lien a expiré"),
    ],
)
def test_an_expired_link_explains_and_offers_a_new_letter(client, app, language, title):
    person = Person()
    start(client, person)
    with app.app_context():
        ref = db.session.scalar(select(Draft.ref))
    token = signed_long_ago(app, "confirm-email", {"d": ref, "e": person.email}, 25 * 3600)
    response = app.test_client().get(f"/register/confirm/{token}?lang={language}")
    assert response.status_code == 410
    html = text(response)
    assert title in html
    assert 'href="/register"' in html


def test_a_link_within_its_lifetime_still_works(client, app):
    person = Person()
    start(client, person)
    with app.app_context():
        ref = db.session.scalar(select(Draft.ref))
    token = signed_long_ago(app, "confirm-email", {"d": ref, "e": person.email}, 23 * 3600)
    assert app.test_client().get(f"/register/confirm/{token}").status_code == 302


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "eyJkIjoiYWJjIiwiZSI6ImFAYi5jIn0.ZZZZZZ.forgedsignatureforgedsignature",
    ],
)
def test_a_forged_link_gets_a_clear_page(client, token):
    response = client.get(f"/register/confirm/{token}")
    assert response.status_code == 400
    assert "This link does not work" in text(response)
    assert 'href="/register"' in text(response)


def test_a_link_signed_for_another_purpose_is_refused(client, app):
    with app.app_context():
        from portal.tokens import make_token

        token = make_token("recover", {"d": "x", "e": "a@b.c"})
    assert client.get(f"/register/confirm/{token}").status_code == 400


def test_after_the_wallet_exists_the_link_offers_sign_in(client, app):
    person = Person()
    open_wallet(client, app, person)
    response = app.test_client().get(confirmation_path(app, person.email))
    html = text(response)
    assert "Your wallet is already open" in html
    assert 'href="/login"' in html


# Guards -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/register/personal", "/register/security", "/register/refunds"])
def test_steps_need_a_draft(client, path):
    response = client.get(path)
    assert response.headers["Location"] == "/register"


@pytest.mark.parametrize("path", ["/register/personal", "/register/security", "/register/refunds"])
def test_steps_need_a_confirmed_address(client, path):
    start(client, Person())
    assert client.get(path).headers["Location"] == "/register/sent"


def test_no_skipping_ahead(client, app):
    reach_personal(client, app, Person())
    assert client.get("/register/security").headers["Location"] == "/register/personal"
    assert client.get("/register/refunds").headers["Location"] == "/register/personal"
    response = submit(client, "/register/refunds", {}, page="/register/personal")
    assert response.headers["Location"] == "/register/personal"
    with app.app_context():
        assert db.session.scalar(select(func.count(Account.id))) == 0


def test_an_expired_draft_cannot_be_continued(client, app):
    reach_personal(client, app, Person())
    with app.app_context():
        db.session.execute(update(Draft).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.get("/register/personal")
    assert response.headers["Location"] == "/register"


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Step 2 of 4"), ("ru", "Шаг 2 из 4"), ("fr", "Étape 2 sur 4")],
)
def test_progress_is_shown(client, app, language, label):
    reach_personal(client, app, Person())
    html = text(client.get(f"/register/personal?lang={language}"))
    assert label in html
    assert 'aria-current="step"' in html


@pytest.mark.parametrize("path", ["/register/personal", "/register/security", "/register/refunds"])
def test_enter_goes_forward(client, app, path):
    """The first submit button of each step is the forward one: Enter triggers it."""
    reach_refunds(client, app, Person())
    html = text(client.get(path))
    form = html[html.index("<form") : html.index("</form>")]
    first = re.search(r'<input[^>]*type="submit"[^>]*>', form).group(0)
    assert 'name="submit"' in first


# Step 2 -----------------------------------------------------------------------------


def personal_errors(client, app, language="en", **changes):
    person = Person(language=language)
    reach_personal(client, app, person)
    data = {**person.personal(), **changes}
    return text(submit(client, f"/register/personal?lang={language}", data))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Enter your first name as in your document."),
        (
            "first_name",
            "J3an",
            "Use only letters, spaces, hyphens and apostrophes in the first name",
        ),
        ("first_name", "-Jean", "The first name starts and ends with a letter."),
        ("last_name", "", "Enter your last name as in your document."),
        ("last_name", "Dup0nt", "hyphens and apostrophes in the last name"),
        ("last_name", "-Dupont", "The last name starts and ends with a letter."),
        ("last_name", "D" * 61, "The last name can have at most 60 characters."),
        ("city", "P" * 101, "The city or town can have at most 100 characters."),
        ("street", "r" * 201, "The street address can have at most 200 characters."),
        ("region", "R" * 101, "The region can have at most 100 characters."),
        ("citizenship", "EU", "Choose your citizenship from the list of countries."),
        ("citizenship", "", "Choose your citizenship."),
        ("document_type", "", "Choose the type of your document."),
        ("document_type", "visa", "Choose the type of your document."),
        ("document_number", "18AB1234", "A French passport number has 9 letters and digits"),
        ("document_number", "", "Enter the number of your document."),
        ("country", "ZZ", "Choose the country where you live from the list."),
        ("city", "", "Enter your city or town."),
        ("street", "", "Enter your street, house and flat number."),
        ("postal_code", "7500", "Enter a postal code like"),
        ("postal_code", "", "Enter your postal code."),
        ("phone", "12", "Enter a valid phone number, for example +33 6 12 34 56 78."),
        ("phone", "", "Enter your phone number."),
    ],
)
def test_each_personal_field_is_checked(client, app, field, value, message):
    html = personal_errors(client, app, **{field: value})
    assert message in html
    # Nothing typed is lost: the other fields come back as they were.
    assert 'value="Paris"' in html or field == "city"
    assert 'value="Dupont"' in html or field == "last_name"


@pytest.mark.parametrize(
    ("language", "changes", "message"),
    [
        ("ru", {"first_name": ""}, "Введите имя так, как в документе."),
        ("fr", {"first_name": ""}, "Saisissez votre prénom tel qu’il figure sur votre pièce"),
        (
            "ru",
            {"first_name": "Ж4"},
            "В имени можно использовать только буквы, пробелы, дефисы и апострофы",
        ),
        ("fr", {"first_name": "Ж4"}, "Utilisez uniquement des lettres, des espaces"),
        (
            "ru",
            {"citizenship": "RU", "document_type": "national_id", "document_number": "4509 1234"},
            "Номер паспорта РФ состоит из 10 цифр",
        ),
        (
            "ru",
            {"citizenship": "RU", "document_type": "passport", "document_number": "4509 1234"},
            "Номер заграничного паспорта состоит из 9 цифр",
        ),
        (
            "fr",
            {"document_number": "18AB1234"},
            "Le numéro d’un passeport français comporte 9 lettres et chiffres",
        ),
        ("ru", {"phone": "12"}, "Введите действующий номер телефона, например +33 6 12 34 56 78."),
        ("fr", {"phone": "12"}, "Saisissez un numéro de téléphone valide, par exemple"),
        ("ru", {"postal_code": "7500"}, "Введите почтовый индекс в формате"),
        ("fr", {"postal_code": "7500"}, "Saisissez un code postal comme"),
        ("ru", {"city": ""}, "Укажите город или населённый пункт."),
        ("fr", {"city": ""}, "Indiquez votre ville ou commune."),
    ],
)
def test_personal_messages_in_each_language(client, app, language, changes, message):
    assert message in personal_errors(client, app, language, **changes)


def saved_personal(app) -> dict:
    with app.app_context():
        return db.session.scalar(select(Draft.personal))


def test_personal_values_are_normalised(client, app):
    person = Person(
        first_name="  Алёна ",
        last_name="Петрова-Водкина",
        citizenship="RU",
        document_type="national_id",
        document_number="4509 123456",
        country="RU",
        postal_code="123 456",
        phone="8 (912) 345-67-89",
        region="",
    )
    reach_security(client, app, person)
    saved = saved_personal(app)
    assert saved["first_name"] == "Алёна"
    assert saved["last_name"] == "Петрова-Водкина"
    assert saved["document_number"] == "4509123456"
    assert saved["postal_code"] == "123456"
    assert saved["phone"] == "+79123456789"


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"country": "PL", "postal_code": "00950", "phone": "+48 512 345 678"}, "00-950"),
        ({"country": "GB", "postal_code": "sw1a1aa", "phone": "07400 123456"}, "SW1A 1AA"),
        ({"country": "US", "postal_code": "12345 6789", "phone": "(201) 555-0123"}, "12345-6789"),
    ],
)
def test_postal_codes_follow_each_country(client, app, changes, stored):
    person = Person(**changes)
    reach_security(client, app, person)
    assert saved_personal(app)["postal_code"] == stored


def test_phone_uses_the_country_of_residence_as_default(client, app):
    reach_security(client, app, Person(country="FR", phone="06 12 34 56 78"))
    assert saved_personal(app)["phone"] == "+33612345678"


def country_options(html: str, field: str) -> list[tuple[str, str]]:
    select_html = re.search(rf'<select[^>]*name="{field}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option[^>]*value="([A-Z]{2})"[^>]*>([^<]+)</option>', select_html)


@pytest.mark.parametrize(
    ("language", "expect_before", "expect_after", "name"),
    [
        # Ё sorts with Е, not after Я; É sorts with E, not after Z.
        ("ru", "Египет", "Замбия", "Ерев"),
        ("fr", "Équateur", "Érythrée", "Espagne"),
    ],
)
def test_countries_are_named_and_sorted_for_the_reader(
    client, app, language, expect_before, expect_after, name
):
    reach_personal(client, app, Person())
    html = text(client.get(f"/register/personal?lang={language}"))
    names = [label for _code, label in country_options(html, "citizenship")]
    assert expect_before in names and expect_after in names
    assert names.index(expect_before) < names.index(expect_after)
    if language == "fr":
        assert names.index("Espagne") > names.index("Équateur")
        assert names.index("Émirats arabes unis") < names.index("Espagne")
        assert names[-1] not in {"Émirats arabes unis", "Égypte", "Équateur"}


def test_only_real_countries_are_offered(client, app):
    reach_personal(client, app, Person())
    codes = {
        code for code, _name in country_options(text(client.get("/register/personal")), "country")
    }
    assert {"FR", "RU", "DE", "US", "GB", "JP"} <= codes
    assert not codes & {"EU", "UN", "EZ", "ZZ", "XA", "XB", "QO"}
    assert len(codes) > 240


# Step 3 -----------------------------------------------------------------------------


def security_page(client, app, language="en", **changes):
    person = Person(language=language)
    reach_security(client, app, person)
    return text(
        submit(client, f"/register/security?lang={language}", {**person.security(), **changes})
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "The password needs at least 8 characters."),
        ("password1", "This is one of the most common passwords"),
        ("qwertyuiop", "This is one of the most common passwords"),
        ("jean.dupont77!", "Do not use your email address in the password."),
        ("Dupont-1234", "Do not use your name in the password."),
        ("йцукенгшщ", "This is one of the most common passwords"),
        ("azertyuiop", "This is one of the most common passwords"),
        ("aaaaaaaaaaaa", "The password repeats characters, like aaa or abcabc, which is easy"),
        ("x" * 300, "The password can have at most 256 characters."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, app, password, message):
    html = security_page(client, app, password=password, password_confirm=password)
    assert message in html
    with app.app_context():
        assert db.session.scalar(select(Draft.password_hash)) is None


@pytest.mark.parametrize(
    ("typed", "on_qwerty"),
    [("azerty2024", "qwerty2024"), ("wxcvbn1234", "zxcvbn1234"),
     ("qsdfghjklm", "asdfghjklm"), ("aqwzsxedc", "qazwsxedc")],
)  # fmt: skip
def test_keyboard_walks_on_azerty_are_read_as_qwerty_and_refused(typed, on_qwerty):
    assert _as_typed(typed) == [typed, on_qwerty]
    assert password_problem(typed) is not None


def test_the_azerty_reading_is_left_out_where_it_only_renames_letters():
    """No keyboard walk through a swapped key: one zxcvbn estimate, not two."""
    assert _as_typed("velvet-otter-lantern-92") == ["velvet-otter-lantern-92"]
    assert password_problem("velvet-otter-lantern-92") is None
    assert _as_typed("gfhjkm-пароль") == ["gfhjkm-пароль", "gfhjkm-gfhjkm"]


def test_long_passwords_are_accepted(client, app):
    password = "a quiet river bends past the old mill " * 3 + "and the heron waits"
    assert len(password) >= 128
    html = security_page(client, app, password=password, password_confirm=password)
    assert "Please correct" not in html


def test_passwords_must_match(client, app):
    html = security_page(client, app, password_confirm="velvet-otter-lantern-93")
    assert "The repeated password is different" in html


def test_two_different_questions(client, app):
    html = security_page(client, app, question_2="first_pet")
    assert "Choose two different questions." in html


def test_questions_offer_at_least_six_translated_choices(client, app):
    reach_security(client, app, Person())
    html = text(client.get("/register/security?lang=ru"))
    options = re.findall(r'<option value="(\w+)"', html)
    assert len(set(options)) >= 6
    assert "Как звали вашего первого питомца?" in html


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "Capital letters and extra spaces do not matter"),
        ("ru", "Заглавные буквы и лишние пробелы не важны"),
        ("fr", "Les majuscules et les espaces en trop ne comptent pas"),
    ],
)
def test_the_page_says_case_and_spaces_do_not_matter(client, app, language, phrase):
    reach_security(client, app, Person())
    assert phrase in text(client.get(f"/register/security?lang={language}"))


def test_secrets_are_stored_only_as_argon2id_hashes(client, app):
    person = Person(answer_1="  Рекс  Второй ", answer_2="Ёлкино")
    reach_refunds(client, app, person)
    with app.app_context():
        draft = db.session.scalar(select(Draft))
        for value in (draft.password_hash, draft.answer_1_hash, draft.answer_2_hash):
            assert value.startswith("$argon2id$")
        assert verify_secret(draft.password_hash, person.password)
        assert verify_answer(draft.answer_1_hash, "рекс второй")
        assert verify_answer(draft.answer_2_hash, "ЕЛКИНО")
        assert not verify_answer(draft.answer_2_hash, "Елкина")
        row = repr(db.session.execute(select(Draft.__table__)).one())
        assert person.password not in row and "Рекс" not in row


def test_back_from_step_three_keeps_the_questions(client, app):
    person = Person()
    reach_security(client, app, person)
    response = submit(
        client,
        "/register/security",
        {"question_1": "first_job", "question_2": "favourite_book", "answer_1": "x"},
        button="back",
    )
    assert response.headers["Location"] == "/register/personal"
    html = text(client.get("/register/security"))
    assert re.search(
        r'<option selected value="first_job">|<option value="first_job" selected', html
    )
    assert 'value="Jean"' in text(client.get("/register/personal"))


def test_editing_step_three_may_keep_the_password_and_answers(client, app):
    person = Person()
    reach_refunds(client, app, person)
    html = text(client.get("/register/security"))
    assert "Leave a field empty to keep what you chose" in html
    response = submit(
        client,
        "/register/security",
        {"question_1": person.question_1, "question_2": person.question_2},
    )
    assert response.headers["Location"] == "/register/refunds"
    # A changed question needs its new answer.
    html = text(
        submit(
            client,
            "/register/security",
            {"question_1": "first_job", "question_2": person.question_2},
        )
    )
    assert "Enter the answer to the first question." in html
    assert "Enter the answer to the second question." not in html


# Step 4 and opening -----------------------------------------------------------------


def test_refund_choice_is_off_by_default_and_explained(client, app):
    reach_refunds(client, app, Person())
    html = text(client.get("/register/refunds"))
    checkbox = re.search(r'<input[^>]*name="refund_to_wallet"[^>]*>', html).group(0)
    assert "checked" not in checkbox
    assert "cannot be withdrawn to a card or a bank account" in html


def test_review_shows_everything_with_edit_links(client, app):
    reach_refunds(
        client,
        app,
        Person(citizenship="RU", document_type="national_id", document_number="4509123456"),
    )
    html = text(client.get("/register/refunds?lang=fr"))
    for value in (
        "jean.dupont@example.com",
        "Jean Dupont",
        "Russie",
        "4509 123456",
        "12 rue de la Paix",
        "+33 6 12 34 56 78",
    ):
        assert value in html
    assert 'href="/register/personal"' in html
    assert 'href="/register/security"' in html
    assert "velvet-otter" not in html


def test_back_from_step_four_keeps_the_choice(client, app):
    reach_refunds(client, app, Person())
    submit(client, "/register/refunds", {"refund_to_wallet": "y"}, button="back")
    checkbox = re.search(
        r'<input[^>]*name="refund_to_wallet"[^>]*>', text(client.get("/register/refunds"))
    ).group(0)
    assert "checked" in checkbox


@pytest.mark.parametrize("refund", [True, False])
def test_opening_the_wallet(client, app, refund):
    person = Person(refund_to_wallet=refund)
    response = open_wallet(client, app, person)
    assert response.headers["Location"] == "/account"
    page = text(client.get("/account"))
    assert "Jean Dupont" in page and person.email in page
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account.refund_to_wallet is refund
        assert account.phone == "+33612345678"
        assert account.document_number == "18AB12345"
        assert verify_secret(account.password_hash, person.password)
        assert verify_answer(account.answer_2_hash, "saint-étienne")
        draft = db.session.scalar(select(Draft))
        assert draft.completed_at is not None and draft.account_id == account.id
        assert draft.personal is None and draft.password_hash is None
        assert draft.answer_1_hash is None and draft.answer_2_hash is None
    welcome = letters(app, person.email, "welcome")
    assert len(welcome) == 1
    assert "/account" in welcome[0].body_text


def test_the_person_is_signed_in_with_a_fresh_session(client, app):
    person = Person()
    reach_refunds(client, app, person)
    with client.session_transaction() as session:
        before = dict(session)
    submit(client, "/register/refunds", CONSENT)
    with client.session_transaction() as session:
        after = dict(session)
    assert "draft" not in after and "auth" in after
    assert before.get("draft") and before.get("auth") is None


@pytest.mark.parametrize(
    "path", ["/register", "/register/personal", "/register/security", "/register/refunds"]
)
def test_back_after_the_wallet_opened_lands_on_the_account(client, app, path):
    open_wallet(client, app, Person())
    assert client.get(path).headers["Location"] == "/account"
    # Signed out, the same address is the start of a new registration again.
    submit(client, "/logout", {}, page="/account")
    assert client.get("/register").status_code == 200


def test_submitting_twice_opens_one_wallet(client, app):
    """A double click: two requests leave the browser with the same cookie."""
    person = Person()
    reach_refunds(client, app, person)
    html = text(client.get("/register/refunds"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    same_browser = app.test_client()
    for cookie in client._cookies.values():
        same_browser.set_cookie(cookie.key, cookie.value)
    form = {"csrf_token": token, "submit": "1", **CONSENT}
    first = client.post("/register/refunds", data=form)
    second = same_browser.post("/register/refunds", data=form)
    assert first.headers["Location"] == "/account"
    assert second.headers["Location"] == "/account"
    assert "Jean Dupont" in text(same_browser.get("/account"))
    with app.app_context():
        assert db.session.scalar(select(func.count(Account.id))) == 1
    assert len(letters(app, person.email, "welcome")) == 1


def test_purge_removes_expired_drafts(client, app, runner):
    reach_security(client, app, Person())
    start(app.test_client(), Person(email="fresh@example.com"))
    with app.app_context():
        db.session.execute(
            update(Draft)
            .where(Draft.email == "jean.dupont@example.com")
            .values(expires_at=utcnow() - timedelta(days=1))
        )
        db.session.commit()
    result = runner.invoke(args=["drafts", "purge"])
    assert "purged 1 expired draft(s)" in result.output
    with app.app_context():
        assert db.session.scalars(select(Draft.email)).all() == ["fresh@example.com"]


def test_drafts_expire_after_the_configured_time(client, app):
    start(client, Person())
    with app.app_context():
        draft = db.session.scalar(select(Draft))
        assert draft.expires_at - draft.updated_at == timedelta(days=7)
