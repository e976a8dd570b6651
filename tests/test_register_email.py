"""Step 1 (e-mail and captcha), the letter, /register/sent and resending."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal import captcha
from portal.extensions import db
from portal.models import CaptchaChallenge, Draft
from portal.models.types import utcnow
from portal.register import drafts
from tests.journey import (
    CAPTCHA_ID,
    CSRF,
    Person,
    confirmation_path,
    hidden,
    letters,
    link_in,
    open_wallet,
    start,
    submit,
    text,
)
from tests.pages import visible_text


def test_step_one_shows_the_captcha_with_its_alternatives(client):
    html = text(client.get("/register"))
    challenge_id = hidden(html, CAPTCHA_ID)
    assert f'src="/register/captcha/{challenge_id}.png"' in html
    assert f'href="/register/captcha/{challenge_id}.wav"' in html
    assert 'name="new_captcha"' in html
    assert "Step 1 of 4" in html
    # Enter submits the form's first button: it must be "Send the email".
    buttons = re.findall(r'<input[^>]*type="submit"[^>]*>', html)
    assert 'name="submit"' in buttons[0]


def test_captcha_image_and_audio_are_real_media(client):
    challenge_id = hidden(text(client.get("/register")), CAPTCHA_ID)
    image = client.get(f"/register/captcha/{challenge_id}.png")
    assert image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    audio = client.get(f"/register/captcha/{challenge_id}.wav")
    assert audio.mimetype == "audio/wav"
    assert audio.data[:4] == b"RIFF" and audio.data[8:12] == b"WAVE"
    assert image.headers["Cache-Control"] == "no-store"


def test_the_answer_is_never_readable_by_the_browser(app_factory):
    app = app_factory(CAPTCHA_FIXED_ANSWER=None)
    client = app.test_client()
    html = text(client.get("/register"))
    challenge_id = hidden(html, CAPTCHA_ID)
    with app.app_context():
        answer = db.session.get(CaptchaChallenge, challenge_id).answer
    cookies = " ".join(cookie.value for cookie in client._cookies.values())
    assert answer not in html
    assert answer not in cookies
    assert len(answer) == 5


def test_random_answers_avoid_look_alike_characters(app_factory):
    app = app_factory(CAPTCHA_FIXED_ANSWER=None)
    with app.app_context():
        answers = "".join(captcha.new_challenge().answer for _ in range(200))
        db.session.rollback()
    assert not set(answers) & set("0O1IlQDB8S5Z2")
    assert set(answers) <= set(captcha.ALPHABET)


def test_a_valid_step_one_creates_a_draft_and_queues_the_letter(client, app):
    response = start(client, Person(email="  Anna.Petrova@Example.RU "))
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/sent"
    with app.app_context():
        draft = db.session.scalar(select(Draft))
        assert draft.email == "anna.petrova@example.ru"
        assert draft.confirmed_at is None
    [letter] = letters(app)
    assert letter.kind == "confirm"
    assert letter.recipient == "anna.petrova@example.ru"
    assert "/register/confirm/" in letter.body_text and "/register/confirm/" in letter.body_html


def test_the_browser_holds_only_an_opaque_reference(client, app):
    start(client, Person(email="anna@example.ru"))
    with client.session_transaction() as session:
        values = dict(session)
    assert "anna@example.ru" not in repr(values)
    with app.app_context():
        assert db.session.scalar(select(Draft.ref)) == values["draft"]


def test_captcha_ignores_case_and_spaces(client, app):
    assert start(client, Person(), captcha=" te st7 ").status_code == 302


def test_wrong_captcha_keeps_the_email_and_the_image(client):
    html = text(client.get("/register"))
    challenge_id = hidden(html, CAPTCHA_ID)
    response = client.post(
        "/register",
        data={
            "csrf_token": hidden(html, CSRF),
            "captcha_id": challenge_id,
            "email": "anna@example.ru",
            "captcha": "WRONG",
            "submit": "1",
        },
    )
    page = text(response)
    assert response.status_code == 200
    assert "The characters do not match the image" in page
    assert 'value="anna@example.ru"' in page
    assert hidden(page, CAPTCHA_ID) == challenge_id


def test_a_few_wrong_tries_then_a_new_image(client, app):
    html = text(client.get("/register"))
    first = hidden(html, CAPTCHA_ID)
    for _ in range(app.config["CAPTCHA_MAX_TRIES"]):
        html = text(
            client.post(
                "/register",
                data={
                    "csrf_token": hidden(html, CSRF),
                    "captcha_id": hidden(html, CAPTCHA_ID),
                    "email": "anna@example.ru",
                    "captcha": "NOPE",
                    "submit": "1",
                },
            )
        )
    assert "Here is a new image" in html
    assert hidden(html, CAPTCHA_ID) != first
    # The burnt challenge no longer accepts even the right answer.
    with app.app_context():
        assert captcha.check(first, "TEST7") is captcha.Outcome.EXPIRED


def test_a_captcha_works_once(client, app):
    html = text(client.get("/register"))
    data = {
        "csrf_token": hidden(html, CSRF),
        "captcha_id": hidden(html, CAPTCHA_ID),
        "email": "anna@example.ru",
        "captcha": "TEST7",
        "submit": "1",
    }
    assert client.post("/register", data=data).status_code == 302
    for changed in ({"email": "boris@example.ru"}, {"captcha": "WRONG"}):
        replay = client.post("/register", data={**data, **changed})
        assert replay.status_code == 200
        assert "That image has expired" in text(replay)
    with app.app_context():
        db.session.execute(
            update(Draft).values(updated_at=utcnow() - drafts.SECOND_CLICK - timedelta(seconds=1))
        )
        db.session.commit()
    replay = client.post("/register", data=data)
    assert "That image has expired" in text(replay)
    assert len(letters(app)) == 1


@pytest.mark.parametrize("same_browser", [True, False], ids=["same cookie", "cookie before"])
def test_a_double_click_on_send_shows_check_your_mail(client, app, same_browser):
    """Both clicks leave with the cookie the page had: the second one, whose response the
    browser shows, finds the draft the first one started (by its captcha, its address)."""
    html = text(client.get("/register"))
    data = {
        "csrf_token": hidden(html, CSRF),
        "captcha_id": hidden(html, CAPTCHA_ID),
        "email": "anna@example.ru",
        "captcha": "test7",
        "submit": "1",
    }
    second = client
    if not same_browser:
        second = app.test_client()
        second.set_cookie("session", client.get_cookie("session").value)
    assert client.post("/register", data=data).status_code == 302
    replay = second.post("/register", data=data)
    assert replay.status_code == 302 and replay.headers["Location"] == "/register/sent"
    page = text(second.get("/register/sent"))
    assert "anna@example.ru" in page
    assert len(letters(app)) == 1


def test_a_captcha_expires(client, app):
    html = text(client.get("/register"))
    challenge_id = hidden(html, CAPTCHA_ID)
    with app.app_context():
        db.session.execute(
            update(CaptchaChallenge).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = client.post(
        "/register",
        data={
            "csrf_token": hidden(html, CSRF),
            "captcha_id": challenge_id,
            "email": "anna@example.ru",
            "captcha": "TEST7",
            "submit": "1",
        },
    )
    assert "That image has expired" in text(response)
    assert client.get(f"/register/captcha/{challenge_id}.png").status_code == 404
    assert letters(app) == []


def test_challenges_expire_after_ten_minutes(app):
    with app.app_context():
        challenge = captcha.new_challenge()
        assert challenge.expires_at - challenge.created_at == timedelta(minutes=10)
        db.session.rollback()


def test_another_worker_checks_the_same_captcha(app_factory):
    """Two app instances (two gunicorn workers) share nothing but the database."""
    first, second = app_factory(), app_factory()
    browser = first.test_client()
    html = text(browser.get("/register"))
    other = second.test_client()
    for cookie in browser._cookies.values():
        other.set_cookie(cookie.key, cookie.value)
    response = other.post(
        "/register",
        data={
            "csrf_token": hidden(html, CSRF),
            "captcha_id": hidden(html, CAPTCHA_ID),
            "email": "anna@example.ru",
            "captcha": "TEST7",
            "submit": "1",
        },
    )
    assert response.headers["Location"] == "/register/sent"


def test_new_image_without_javascript_keeps_the_email(client):
    html = text(client.get("/register"))
    first = hidden(html, CAPTCHA_ID)
    response = client.post(
        "/register",
        data={
            "csrf_token": hidden(html, CSRF),
            "captcha_id": first,
            "email": "anna@example.ru",
            "captcha": "",
            "new_captcha": "1",
        },
    )
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert 'value="anna@example.ru"' in page
    assert hidden(page, CAPTCHA_ID) != first
    assert "Please correct" not in page


def test_new_image_for_scripts(client):
    html = text(client.get("/register"))
    response = client.post("/register/captcha/new", headers={"X-CSRFToken": hidden(html, CSRF)})
    body = response.get_json()
    assert body["image"] == f"/register/captcha/{body['id']}.png"
    assert client.get(body["image"]).status_code == 200


@pytest.mark.parametrize(
    ("language", "email", "message"),
    [
        ("en", "", "Enter your email address."),
        ("ru", "", "Введите адрес электронной почты."),
        ("fr", "", "Saisissez votre adresse e-mail."),
        ("en", "anna.example.ru", "An email address has one @ sign"),
        ("ru", "anna.example.ru", "В адресе электронной почты должен быть один знак @"),
        ("fr", "anna@@example.ru", "Une adresse e-mail contient un seul signe @"),
        ("en", "anna@example", "Enter an email address like name@example.com."),
        ("ru", "anna@exa mple.ru", "Введите адрес в виде name@example.com."),
        ("fr", "anna@-example.ru", "Saisissez une adresse de la forme name@example.com."),
    ],
)
def test_email_errors_in_each_language(client, app, language, email, message):
    response = start(client, Person(email=email, language=language))
    html = text(response)
    assert response.status_code == 200
    assert message in html
    assert 'aria-invalid="true"' in html
    assert letters(app) == []


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The characters do not match the image"),
        ("ru", "Символы не совпадают с картинкой"),
        ("fr", "Les caractères ne correspondent pas à l’image"),
    ],
)
def test_captcha_error_in_each_language(client, language, message):
    html = text(start(client, Person(language=language), captcha="XXXXX"))
    assert message in html


def scrub(html: str) -> str:
    """Remove what differs between any two page loads: tokens and times."""
    html = CSRF.sub("", html)
    return re.sub(r"<time[^>]*>.*?</time>", "", html)


def test_existing_address_gets_the_same_page_but_another_letter(app):
    owner = Person(email="owner@example.com")
    open_wallet(app.test_client(), app, owner)

    newcomer_browser, owner_browser = app.test_client(), app.test_client()
    fresh = start(newcomer_browser, Person(email="newcomer@example.com"))
    again = start(owner_browser, Person(email="owner@example.com"))
    assert (fresh.status_code, fresh.headers["Location"]) == (
        again.status_code,
        again.headers["Location"],
    )
    fresh_page = scrub(text(newcomer_browser.get("/register/sent")))
    again_page = scrub(text(owner_browser.get("/register/sent")))
    assert fresh_page.replace("newcomer@", "X@") == again_page.replace("owner@", "X@")

    assert [m.kind for m in letters(app, "newcomer@example.com")] == ["confirm"]
    owner_letters = letters(app, "owner@example.com")
    assert owner_letters[-1].kind == "already_registered"
    assert "/login" in owner_letters[-1].body_text
    assert "/recover" in owner_letters[-1].body_text
    assert "/register/confirm/" not in owner_letters[-1].body_text


def test_step_one_is_rate_limited_per_client(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [
        start(client, Person(email=f"p{n}@example.com", language="ru")).status_code
        for n in range(4)
    ]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[3] == 429


def test_rate_limit_page_is_localized(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="1 per minute")
    client = app.test_client()
    start(client, Person(language="fr"))
    response = start(client, Person(language="fr"))
    assert response.status_code == 429
    assert "Trop de tentatives" in text(response)


# /register/sent ---------------------------------------------------------------------


def test_sent_page_without_a_draft_goes_to_step_one(client):
    response = client.get("/register/sent")
    assert response.headers["Location"] == "/register"


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("en", ["We sent an email to", "Send the email again", "Change the address"]),
        ("ru", ["Мы отправили письмо на адрес", "Отправить письмо ещё раз", "Изменить адрес"]),
        ("fr", ["Nous avons envoyé un e-mail à", "Renvoyer l’e-mail", "Modifier l’adresse"]),
    ],
)
def test_sent_page_tells_what_happened_and_what_to_do(client, language, phrases):
    start(client, Person(email="anna@example.ru", language=language))
    html = text(client.get("/register/sent"))
    assert "anna@example.ru" in html
    # Not sent yet: a sentence, no time and no outbox word ("queued").
    assert SENDING[language] in html
    assert not any("queue" in chunk.lower() for chunk in visible_text(html))
    assert 'href="/help/email"' in html
    assert 'href="/register"' in html
    for phrase in phrases:
        assert phrase in html


SENDING = {"en": "We are sending it.", "ru": "Мы отправляем письмо.", "fr": "Nous l’envoyons."}


@pytest.mark.parametrize(
    ("language", "seconds", "phrase"),
    [
        ("en", 60, "You can send it again in 60 seconds."),
        ("ru", 60, "Отправить письмо снова можно через 60 секунд."),
        ("ru", 21, "Отправить письмо снова можно через 21 секунду."),
        ("ru", 3, "Отправить письмо снова можно через 3 секунды."),
        ("fr", 60, "Vous pourrez le renvoyer dans 60 secondes."),
        ("fr", 1, "Vous pourrez le renvoyer dans 1 seconde."),
    ],
)
def test_cooldown_is_visible_with_plurals(app_factory, language, seconds, phrase):
    app = app_factory(RESEND_COOLDOWN_SECONDS=seconds)
    client = app.test_client()
    start(client, Person(language=language))
    html = text(client.get("/register/sent"))
    assert phrase in html
    assert f'data-wait="{seconds}"' in html


def age_last_letter(app, seconds: int) -> None:
    with app.app_context():
        db.session.execute(
            update(Draft).values(last_letter_at=utcnow() - timedelta(seconds=seconds))
        )
        db.session.commit()


def resend(client):
    return submit(client, "/register/resend", {}, page="/register/sent")


def test_resend_waits_for_the_cooldown(client, app):
    start(client, Person())
    response = resend(client)
    assert response.headers["Location"] == "/register/sent"
    assert "You can send it again in" in text(client.get("/register/sent"))
    assert len(letters(app)) == 1


def test_resend_sends_again_and_every_link_keeps_working(app):
    person = Person()
    client = app.test_client()
    start(client, person)
    first_link = confirmation_path(app, person.email)
    age_last_letter(app, 61)
    resend(client)
    assert "We sent the email again" in text(client.get("/register/sent"))
    confirm_letters = letters(app, person.email, "confirm")
    assert len(confirm_letters) == 2
    second_link = link_in(confirm_letters[1], "/register/confirm/")
    # The first letter may simply have been late: both links open the draft.
    for link in (first_link, second_link):
        other_device = app.test_client()
        assert other_device.get(link).headers["Location"] == "/register/personal"


def test_the_cooldown_grows_with_each_resend(client, app):
    start(client, Person())
    age_last_letter(app, 61)
    resend(client)
    # After one resend the wait is 120 s: 61 s is not enough any more.
    age_last_letter(app, 61)
    resend(client)
    assert len(letters(app)) == 2
    age_last_letter(app, 121)
    resend(client)
    assert len(letters(app)) == 3


def test_at_most_five_resends_a_day(client, app):
    start(client, Person())
    for _ in range(7):
        age_last_letter(app, 100_000)
        resend(client)
    assert len(letters(app)) == 1 + app.config["RESEND_DAILY_LIMIT"]
    assert "several times today" in text(client.get("/register/sent"))


def test_change_address_prefills_and_replaces_the_draft_address(client, app):
    person = Person(email="typo@exmaple.com")
    start(client, person)
    old_link = confirmation_path(app, person.email)
    assert 'value="typo@exmaple.com"' in text(client.get("/register"))
    start(client, Person(email="right@example.com"))
    with app.app_context():
        assert db.session.scalars(select(Draft.email)).all() == ["right@example.com"]
    assert "/register/sent" in start(client, Person(email="right@example.com")).headers["Location"]
    # The link sent to the mistyped address no longer opens anything.
    assert app.test_client().get(old_link).status_code == 400


def test_anonymous_views_of_step_1_add_a_bounded_number_of_captchas(app):
    for _ in range(200):
        assert app.test_client().get("/register").status_code == 200
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(CaptchaChallenge))
    assert rows == app.config["CAPTCHA_MAX_PER_CLIENT"]
    # The page still works for the next visitor, with a challenge it can solve.
    browser = app.test_client()
    response = start(browser, Person(email="after-crawl@example.com"))
    assert response.headers["Location"] == "/register/sent"
