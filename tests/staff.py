"""Helpers for tests of the support desk: put someone on the desk, enrol them, sign them in
(the way a person does it: the command, the setup page, the sign-in form)."""

from __future__ import annotations

import re
from html import unescape

import pyotp
from sqlalchemy import select

from portal.extensions import db
from portal.models import Staff
from portal.models.types import utcnow
from tests.journey import CSRF, hidden, submit, text

STAFF_PASSWORD = "quiet-harbour-lantern-93"
SETUP_LINK = re.compile(r"https?://\S+(/support/setup/\S+)")
SECRET = re.compile(r'<code class="totp-secret">([A-Z2-7 ]+)</code>')


def add_staff(app, email: str) -> str:
    """``flask support add-staff EMAIL``; returns the path of the setup link it printed."""
    result = app.test_cli_runner().invoke(args=["support", "add-staff", email])
    assert result.exit_code == 0, result.output
    return SETUP_LINK.search(result.output).group(1)


def secret_on(html: str) -> str:
    return "".join(unescape(SECRET.search(html).group(1)).split())


def enrol(client, setup_url: str, password: str = STAFF_PASSWORD) -> str:
    """Finish the setup page: password, and the first code of the app; returns the secret."""
    html = text(client.get(setup_url))
    secret = secret_on(html)
    response = client.post(
        setup_url,
        data={
            "csrf_token": hidden(html, CSRF),
            "password": password,
            "password_confirm": password,
            "code": pyotp.TOTP(secret).now(),
            "submit": "1",
        },
    )
    assert response.status_code == 302, text(response)
    return secret


def fresh_code(app, email: str, secret: str) -> str:
    """A code the desk has not seen yet. A code is good once per 30-second step and three
    steps are accepted around now; when a test has used all three, the record of the last
    step is moved back, which a new step of the clock would do, without the wait."""
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(utcnow())
    with app.app_context():
        staff = db.session.scalar(select(Staff).where(Staff.email == email))
        last = staff.last_totp_step if staff is not None else None
        if last is not None and last >= now_step + 1:
            staff.last_totp_step = now_step - 2
            db.session.commit()
            last = now_step - 2
    step = now_step - 1 if last is None else max(now_step - 1, last + 1)
    return totp.generate_otp(step)


def sign_in_staff(client, email: str, password: str, secret: str, **extra):
    """Sign in at /support/login with a fresh code; returns the response (302 on success)."""
    code = fresh_code(client.application, email, secret)
    return submit(
        client,
        "/support/login",
        {"email": email, "password": password, "code": code, **extra},
    )
