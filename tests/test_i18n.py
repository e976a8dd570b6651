import pytest

from portal.i18n import LANG_COOKIE


def html_lang(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('<html lang="') + len('<html lang="')
    return html[start : html.index('"', start)]


def test_english_without_any_hint(client):
    assert html_lang(client.get("/")) == "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("fr-CA,fr;q=0.9", "fr"),
        ("de-DE,de;q=0.9,fr;q=0.5", "fr"),
        ("de-DE,ja;q=0.5", "en"),
    ],
)
def test_accept_language_beats_the_default(client, header, expected):
    assert html_lang(client.get("/", headers={"Accept-Language": header})) == expected


def test_cookie_beats_accept_language(client):
    client.set_cookie(LANG_COOKIE, "fr")
    assert html_lang(client.get("/", headers={"Accept-Language": "ru"})) == "fr"


def test_query_beats_cookie_and_is_remembered(client):
    client.set_cookie(LANG_COOKIE, "fr")
    response = client.get("/?lang=ru", headers={"Accept-Language": "fr"})
    assert html_lang(response) == "ru"
    cookie = client.get_cookie(LANG_COOKIE)
    assert cookie.value == "ru"
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    # The choice sticks on the next page, with no query.
    assert html_lang(client.get("/help/email", headers={"Accept-Language": "fr"})) == "ru"


def test_unknown_language_is_ignored(client):
    response = client.get("/?lang=xx", headers={"Accept-Language": "fr"})
    assert html_lang(response) == "fr"
    assert client.get_cookie(LANG_COOKIE) is None


def test_responses_vary_on_language_inputs(client):
    vary = client.get("/").headers["Vary"]
    assert "Cookie" in vary and "Accept-Language" in vary


def test_switcher_stays_on_the_page_and_keeps_the_query(client):
    html = client.get("/help/email?ref=letter&lang=fr").get_data(as_text=True)
    assert 'href="/help/email?ref=letter&amp;lang=ru"' in html
    assert 'href="/help/email?ref=letter&amp;lang=en"' in html
    assert 'lang="fr" hreflang="fr" aria-current="true">Français</a>' in html


def test_switcher_works_without_javascript(client):
    # A plain link: following it is all a browser without scripts needs to do.
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/?lang=ru" lang="ru" hreflang="ru">Русский</a>' in html
    assert html_lang(client.get("/?lang=ru")) == "ru"


@pytest.mark.parametrize("path", ["/", "/help/email", "/missing"])
def test_every_page_has_the_switcher(client, path):
    html = client.get(path).get_data(as_text=True)
    for code in ("en", "ru", "fr"):
        assert f'hreflang="{code}"' in html
