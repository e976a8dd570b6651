import logging
import re

import pytest

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
