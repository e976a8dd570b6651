"""Staff TOTP: secrets encrypted at rest, codes good once, the enrolment QR code as SVG."""

from __future__ import annotations

import base64
import hmac
import io
from typing import TYPE_CHECKING

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import or_, update

from portal.extensions import db
from portal.models import Staff
from portal.models.types import utcnow

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# Codes from the step before and after now are accepted (clocks drift, people are slow).
DRIFT_STEPS = 1


def _fernet() -> Fernet:
    # Imported here: some 7 MB that only a worker serving the desk needs.
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = current_app.config.get("SUPPORT_TOTP_KEY")
    if not key:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal support totp"
        ).derive(str(current_app.config["SECRET_KEY"]).encode())
        key = base64.urlsafe_b64encode(derived)
    return Fernet(key)


def new_secret() -> str:
    return pyotp.random_base32()


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str | None) -> str | None:
    from cryptography.fernet import InvalidToken

    if not sealed:
        return None
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def grouped(secret: str) -> str:
    """The secret in groups of four, as people read and type it."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(staff: Staff, secret: str) -> str:
    issuer = current_app.config["SUPPORT_TOTP_ISSUER"]
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=issuer)


def qr_svg(uri: str, label: str) -> Markup:
    """The QR code as an inline <svg> with an accessible name, for the page to embed."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, scale=5, border=4, svgclass="qr", lineclass=None
    )
    svg = out.getvalue().decode()
    named = Markup('<svg role="img" aria-label="{}" ').format(label)
    return named + Markup(svg.removeprefix("<svg "))


def matching_step(secret: str, code: str) -> int | None:
    """The time step whose code this is, within the allowed drift; None if none matches."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(utcnow())
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(staff: Staff, code: str) -> bool:
    """True once per code: the step is recorded atomically, so a replayed code (even two
    requests racing with the same one) is refused."""
    secret = unseal(staff.totp_secret)
    step = matching_step(secret, code) if secret else None
    if step is None:
        return False
    claimed = db.session.execute(
        update(Staff)
        .where(
            Staff.id == staff.id,
            or_(Staff.last_totp_step.is_(None), Staff.last_totp_step < step),
        )
        .values(last_totp_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        staff.last_totp_step = step
    return bool(claimed)
