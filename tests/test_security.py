import logging
import re
import secrets

import pytest
from cryptography.fernet import Fernet

from portal.security import RedactSecretsFilter, is_safe_next


@pytest.mark.parametrize("path", ["/", "/help/email", "/missing"])
def test_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/help/email", "/missing"])
def test_pages_have_no_inline_script_or_style_and_fetch_nothing_outside(client, path):
    html = client.get(path).get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html.replace('href="mailto:', ""))


def test_redaction_filter_hides_tokens_in_request_lines():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", "GET /register/confirm/eyJkIjoi.abc.def HTTP/1.1", "302"),
        None,
    )
    RedactSecretsFilter().filter(record)
    message = record.getMessage()
    assert "eyJkIjoi" not in message
    assert "/register/confirm/…" in message


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/account", True),
        ("/account?tab=settings", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
        ("account", False),
        ("/\tevil", False),
    ],
)
def test_only_local_paths_are_safe_next_targets(target, safe):
    assert is_safe_next(target) is safe


def session_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_session_cookie_is_httponly_and_lax(client):
    cookie = session_cookie(client.get("/register"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_in_production(sqlite_url):
    from portal import create_app

    app = create_app(
        "production",
        {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DOCUMENT_KEYS": Fernet.generate_key().decode(),
            "RATELIMIT_ONE_WORKER": True,
            "BASE_URL": "https://wallet.example",
            "SQLALCHEMY_DATABASE_URI": sqlite_url,
        },
    )
    client = app.test_client()
    cookie = session_cookie(client.get("/register", base_url="https://wallet.example"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    lang = client.get("/?lang=ru", base_url="https://wallet.example").headers.getlist("Set-Cookie")
    assert any(h.startswith("lang=ru") and "Secure" in h for h in lang)


def test_forms_need_a_csrf_token(client):
    response = client.post("/register", data={"email": "a@example.com", "captcha": "TEST7"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_logs_hold_no_secret_and_no_document_number(app, caplog):
    """A whole journey with every logger at DEBUG, as an operator might run it."""
    import logging

    from tests.journey import Person, confirmation_path, letters, open_wallet

    person = Person(document_number="18XY98765", answer_1="Bobik", answer_2="Tambov")
    caplog.set_level(logging.DEBUG)
    open_wallet(app.test_client(), app, person)
    token = confirmation_path(app, person.email).rsplit("/", 1)[1]
    assert letters(app, person.email)
    logged = caplog.text
    for secret in (person.password, person.document_number, "Bobik", "Tambov", token):
        assert secret not in logged
