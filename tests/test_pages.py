import re

import pytest

# One sentence per page and language, written by hand: if the catalog loses it,
# the page falls back to English and this fails.
PAGES = {
    "/": {
        "en": ["A wallet for your refunds", "Open a wallet now", "cannot be withdrawn"],
        "ru": ["Кошелёк для ваших возвратов", "Открыть кошелёк", "Вывести их на карту"],
        "fr": ["Un portefeuille pour vos remboursements", "Ouvrir un portefeuille", "retiré"],
    },
    "/help/email": {
        "en": ["spam or junk folder", "Give it a few minutes", "Check the address", "support"],
        "ru": ["Загляните в папку «Спам»", "Подождите несколько минут", "Проверьте адрес"],
        "fr": ["courriers indésirables", "Patientez quelques minutes", "Vérifiez l’adresse"],
    },
}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_page_speaks_each_language(client, path, language):
    response = client.get(f"{path}?lang={language}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    for phrase in PAGES[path][language]:
        assert phrase in html


@pytest.mark.parametrize("language", ["ru", "fr"])
@pytest.mark.parametrize("path", PAGES)
def test_translated_pages_keep_no_english_sentence(client, path, language):
    english = visible_text(client.get(f"{path}?lang=en").get_data(as_text=True))
    translated = visible_text(client.get(f"{path}?lang={language}").get_data(as_text=True))
    sentences = {s for s in english if len(s.split()) >= 2 and "@" not in s}
    assert sentences.isdisjoint(translated), sentences & translated


def visible_text(html: str) -> set[str]:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return {chunk.strip() for chunk in re.split(r"<[^>]+>", html) if chunk.strip()}


def test_landing_page_links_to_the_journey(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/register"' in html
    assert 'href="/login"' in html


def test_healthz_answers_with_the_database(client, database_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up"}


def test_healthz_reports_a_database_that_does_not_answer(app_factory, postgres):
    # A port nobody listens on: the real driver fails to connect.
    from tests.postgres import free_port

    app = app_factory(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://portal@127.0.0.1:{free_port()}/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "Page not found"), ("ru", "Страница не найдена"), ("fr", "Page introuvable")],
)
def test_not_found_page_is_localized(client, language, title):
    response = client.get(f"/no-such-page?lang={language}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert title in html
    assert f'<html lang="{language}">' in html


@pytest.mark.parametrize(
    ("code", "language", "title"),
    [
        (400, "ru", "Не удалось обработать запрос"),
        (403, "fr", "Accès refusé"),
        (429, "ru", "Слишком много попыток"),
        (500, "fr", "Un problème est survenu de notre côté"),
        (500, "en", "Something went wrong on our side"),
    ],
)
def test_error_pages_are_localized(app_factory, code, language, title):
    from werkzeug.exceptions import abort

    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.get("/fail")
    def fail():
        if code == 500:
            raise RuntimeError("boom")
        abort(code)

    response = app.test_client().get(f"/fail?lang={language}")
    assert response.status_code == code
    assert title in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/dev/mail", "/dev/mail/1", "/dev/mail/1/html"])
def test_the_dev_mailbox_exists_only_in_development(app_factory, path):
    app = app_factory(DEV_MAILBOX=False)
    assert app.test_client().get(path).status_code == 404


def test_the_dev_mailbox_lists_letters_with_working_links(client, app):
    from tests.journey import Person, start

    start(client, Person(email="newcomer@example.com", language="fr"))
    html = client.get("/dev/mail").get_data(as_text=True)
    assert "newcomer@example.com" in html
    letter = re.search(r'href="(/dev/mail/\d+)"', html).group(1)
    page = client.get(letter).get_data(as_text=True)
    assert "Confirmez votre adresse e-mail" in page
    assert re.search(r'<a href="http://127\.0\.0\.1:5000/register/confirm/[^"]+"', page)
    html_part = client.get(f"{letter}/html")
    assert html_part.mimetype == "text/html"
    assert "style-src 'unsafe-inline'" in html_part.headers["Content-Security-Policy"]
