"""Image and audio captchas whose answers never leave the server.

A challenge is a row: the browser holds only its random id, so any worker can check
it and the answer cannot be read from a cookie. Challenges are single-use, expire,
ignore case, skip look-alike characters and allow a few tries.
"""

from __future__ import annotations

import enum
import hashlib
import io
import re
import secrets
from datetime import timedelta

from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha
from flask import current_app
from PIL import Image
from sqlalchemy import delete, func, select, update

from portal.extensions import db
from portal.models import CaptchaChallenge
from portal.models.types import utcnow

# No 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B: characters that look alike in a distorted image.
ALPHABET = "ACEFGHJKMNPRTUVWXY34679"
IMAGE_SIZE = (240, 80)
# What secrets.token_urlsafe(24) makes; anything else is not looked up.
CHALLENGE_ID = re.compile(r"[A-Za-z0-9_-]{32}")


class Outcome(enum.Enum):
    SOLVED = "solved"
    WRONG = "wrong"
    EXHAUSTED = "exhausted"  # too many wrong tries: a new image is needed
    EXPIRED = "expired"  # unknown, used or too old


def _answer() -> str:
    fixed = current_app.config.get("CAPTCHA_FIXED_ANSWER")
    if fixed:
        return str(fixed).upper()
    return "".join(secrets.choice(ALPHABET) for _ in range(current_app.config["CAPTCHA_LENGTH"]))


def new_challenge(client: str | None = None) -> CaptchaChallenge:
    now = utcnow()
    challenge = CaptchaChallenge(
        id=secrets.token_urlsafe(24),
        answer=_answer(),
        created_at=now,
        expires_at=now + timedelta(seconds=current_app.config["CAPTCHA_TTL_SECONDS"]),
        client=client,
    )
    db.session.add(challenge)
    return challenge


def client_key(address: str | None) -> str:
    return hashlib.sha256(f"captcha:{address or '-'}".encode()).hexdigest()


def challenge_for(client: str) -> CaptchaChallenge:
    """A new challenge for this client, or, once it holds CAPTCHA_MAX_PER_CLIENT live ones,
    the newest of those: anonymous views of step 1 add a bounded number of rows."""
    live = (
        CaptchaChallenge.client == client,
        CaptchaChallenge.used_at.is_(None),
        CaptchaChallenge.expires_at > utcnow(),
    )
    held = db.session.scalar(select(func.count()).select_from(CaptchaChallenge).where(*live))
    if held >= current_app.config["CAPTCHA_MAX_PER_CLIENT"]:
        newest = db.session.scalar(
            select(CaptchaChallenge).where(*live).order_by(CaptchaChallenge.created_at.desc())
        )
        if newest is not None:
            return newest
    return new_challenge(client)


def live_challenge(challenge_id: str | None) -> CaptchaChallenge | None:
    """The challenge if it can still be answered."""
    if not challenge_id or not CHALLENGE_ID.fullmatch(challenge_id):
        return None
    challenge = db.session.get(CaptchaChallenge, challenge_id)
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= utcnow():
        return None
    return challenge


def normalize(answer: str) -> str:
    return "".join(answer.split()).upper()


def check(challenge_id: str | None, answer: str) -> Outcome:
    """Check a typed answer; a correct one uses the challenge up, atomically."""
    challenge = live_challenge(challenge_id)
    if challenge is None:
        return Outcome.EXPIRED
    if secrets.compare_digest(normalize(answer).encode(), challenge.answer.encode()):
        # Only one request can flip used_at: a replayed answer finds it set.
        claimed = db.session.execute(
            update(CaptchaChallenge)
            .where(CaptchaChallenge.id == challenge.id, CaptchaChallenge.used_at.is_(None))
            .values(used_at=utcnow())
        ).rowcount
        return Outcome.SOLVED if claimed == 1 else Outcome.EXPIRED
    tries = challenge.tries + 1
    values = {"tries": CaptchaChallenge.tries + 1}
    if tries >= current_app.config["CAPTCHA_MAX_TRIES"]:
        values["used_at"] = utcnow()
    db.session.execute(
        update(CaptchaChallenge).where(CaptchaChallenge.id == challenge.id).values(**values)
    )
    return Outcome.EXHAUSTED if "used_at" in values else Outcome.WRONG


def was_answer(challenge_id: str, answer: str) -> bool:
    """Whether ``answer`` is the one of this challenge, even used up (a second click)."""
    challenge = db.session.get(CaptchaChallenge, challenge_id)
    return challenge is not None and secrets.compare_digest(
        normalize(answer).encode(), challenge.answer.encode()
    )


def _channel(low: int, high: int) -> int:
    return low + secrets.randbelow(high - low + 1)


def image_png(challenge: CaptchaChallenge) -> bytes:
    """The distorted characters, dark on light, at 7:1 or more.

    The library pastes each glyph through a mask made from the glyph colour's own
    lightness, so a dark colour comes out faint (2.5:1 at best, measured). So it draws
    white on black, which makes the image the glyphs' exact coverage (noise and
    smoothing included), and that coverage blends a random dark ink (every channel at
    most 80) into a random light paper (at least 240)."""
    images = ImageCaptcha(width=IMAGE_SIZE[0], height=IMAGE_SIZE[1])
    coverage = images.generate_image(
        challenge.answer, bg_color=(0, 0, 0), fg_color=(255, 255, 255, 255)
    ).convert("L")
    paper = Image.new("RGB", IMAGE_SIZE, tuple(_channel(240, 255) for _ in range(3)))
    ink = Image.new("RGB", IMAGE_SIZE, tuple(_channel(0, 80) for _ in range(3)))
    out = io.BytesIO()
    Image.composite(ink, paper, coverage).save(out, format="PNG")
    return out.getvalue()


def audio_wav(challenge: CaptchaChallenge) -> bytes:
    return bytes(AudioCaptcha().generate(challenge.answer))


def purge_expired() -> int:
    return db.session.execute(
        delete(CaptchaChallenge).where(CaptchaChallenge.expires_at < utcnow())
    ).rowcount
