"""`make run PORT=…` as a newcomer runs it: the letter's link must open the portal on the
port it serves, not on the default 5000."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from html import unescape
from pathlib import Path

import pytest

from config import ConfigError, development_base_url
from portal import create_app
from tests.journey import CAPTCHA_ID, CSRF
from tests.postgres import free_port

ROOT = Path(__file__).resolve().parent.parent


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client that reports redirects instead of following them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, body, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


def wait_until_served(browser: Browser, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make run stopped:\n{log.read_text()}"
        try:
            if browser.request("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"make run did not serve in time:\n{log.read_text()}")


@pytest.fixture
def make_run(tmp_path):
    """`make run PORT=<free port>` on a throwaway SQLite database and document folder."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.pop("PORT", None)
    env.update(
        PORTAL_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'portal.sqlite'}",
        PORTAL_DOCUMENT_STORAGE=str(tmp_path / "documents"),
        PORTAL_LEGAL_DIR=str(tmp_path / "legal"),
        # Development's captcha is random; this fixes it as a developer may (never in production).
        PORTAL_CAPTCHA_FIXED_ANSWER="TEST7",
    )
    log = tmp_path / "make-run.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        wait_until_served(browser, process, log)
        yield port, browser
    finally:
        # make, its shell, flask run and the outbox worker: one process group.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_the_letters_link_opens_the_portal_on_the_port_make_run_serves(make_run):
    port, browser = make_run
    status, _, html = browser.request("/register")
    assert status == 200
    form = {
        "csrf_token": CSRF.search(html).group(1),
        "captcha_id": unescape(CAPTCHA_ID.search(html).group(1)),
        "email": "newcomer@example.com",
        "captcha": "TEST7",
        "submit": "1",
    }
    status, headers, _ = browser.request("/register", form)
    assert (status, headers["Location"]) == (302, "/register/sent")

    # The development mailbox lists the letter (queued by the request, sent by the worker).
    status, _, inbox = browser.request("/dev/mail")
    assert status == 200
    letter = re.search(r'href="(/dev/mail/\d+)"', inbox)
    assert letter, inbox
    status, _, page = browser.request(letter.group(1))
    assert status == 200
    links = re.findall(r'href="(http://[^"]+/register/confirm/[^"]+)"', page)
    assert links, page
    link = unescape(links[0])
    assert link.startswith(f"http://127.0.0.1:{port}/register/confirm/")

    status, headers, _ = browser.request(link)
    assert (status, headers["Location"]) == (302, "/register/personal")
    status, _, step_2 = browser.request("/register/personal")
    assert status == 200 and 'name="first_name"' in step_2


def development_app(monkeypatch, **environ):
    for key in ("PORT", "PORTAL_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    return create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_base_url_follows_port_unless_set_explicitly(monkeypatch):
    assert development_app(monkeypatch).config["BASE_URL"] == "http://127.0.0.1:5000"
    app = development_app(monkeypatch, PORT="5091")
    assert app.config["BASE_URL"] == "http://127.0.0.1:5091"
    app = development_app(monkeypatch, PORT="5091", PORTAL_BASE_URL="http://dev.example:8000")
    assert app.config["BASE_URL"] == "http://dev.example:8000"


def test_port_never_moves_production_or_testing(monkeypatch):
    monkeypatch.setenv("PORT", "5091")
    assert create_app("testing").config["BASE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize("port", ["http", "0", "70000", "50 91"])
def test_a_port_that_is_not_one_is_refused_with_a_reason(port):
    with pytest.raises(ConfigError, match="PORT must be a port number"):
        development_base_url(port)
