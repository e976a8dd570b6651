"""Passwords and security answers: argon2id hashes, the password policy, answer normalisation."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from zxcvbn import zxcvbn
from zxcvbn.matching import spatial_match

from portal import wordlists

MIN_LENGTH = 8
MAX_LENGTH = 256
# zxcvbn's estimate is only computed on this many characters (its own limit).
ESTIMATE_LENGTH = 72
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"

wordlists.install()


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )


def hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


def hash_secret(secret: str) -> str:
    return hasher().hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    if not secret_hash:
        return False
    try:
        return hasher().verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


_SPACES = re.compile(r"\s+")
# The same keys on the Russian (ЙЦУКЕН) and French (AZERTY) layouts, as QWERTY letters:
# "йцукен" and "azerty" are the "qwerty" of their keyboards, and "gfhjkm" is "пароль".
_RUSSIAN_KEYS = str.maketrans(
    "йцукенгшщзхъфывапролджэячсмитьбюё", "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
)
_AZERTY_KEYS = str.maketrans("azqwAZQW", "qwazQWAZ")


def normalize_answer(answer: str) -> str:
    """Answers match whatever the case, the spacing, the Unicode form or ё/е."""
    text = unicodedata.normalize("NFKC", answer).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def hash_answer(answer: str) -> str:
    return hash_secret(normalize_answer(answer))


def verify_answer(answer_hash: str | None, answer: str) -> bool:
    return verify_secret(answer_hash, normalize_answer(answer))


@cache
def common_word_list() -> tuple[str, ...]:
    """The shipped list in its file's order. zxcvbn ranks the words it is given by their
    position, so the order must not depend on the process's hash seed (a set's order does,
    and the reason shown for a weak password changed from one run to the next)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return tuple(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


@cache
def common_words() -> frozenset[str]:
    return frozenset(common_word_list())


def _core(password: str) -> str:
    """The password without the digits and symbols people add to satisfy rules."""
    return re.sub(r"[\W\d_]+", "", password.casefold())


def password_problem(password: str, email: str = "", names: tuple[str, ...] = ()) -> str | None:
    """Why this password would be easy to guess, in the reader's language; None if it is fine."""
    if len(password) < MIN_LENGTH:
        return _("The password needs at least %(num)d characters.", num=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password can have at most %(num)d characters.", num=MAX_LENGTH)
    folded = password.casefold()
    local_part = email.split("@", 1)[0].casefold()
    if len(local_part) >= 3 and local_part in folded:
        return _("Do not use your email address in the password.")
    if any(len(name) >= 3 and name.casefold() in folded for name in names):
        return _("Do not use your name in the password.")
    core = _core(password)
    if folded in common_words() or (core and core in common_words() and len(core) >= 4):
        return _("This is one of the most common passwords: it is the first one attackers try.")
    inputs = [local_part, *names, *common_word_list()]
    estimates = [
        zxcvbn(candidate[:ESTIMATE_LENGTH], user_inputs=inputs) for candidate in _as_typed(password)
    ]
    weakest = min(estimates, key=lambda estimate: estimate["guesses"])
    if weakest["score"] >= 3:
        return None
    return _reason(weakest["sequence"])


def _as_typed(password: str) -> list[str]:
    """The password, and the same keystrokes read on a QWERTY keyboard: Russian letters
    always (typed on the Latin layout they are words too: "пароль" is "gfhjkm"), AZERTY
    only where the swapped keys make a keyboard walk ("azerty" is "qwerty", "wxcvbn" is
    "zxcvbn"). Elsewhere the AZERTY reading only renames letters ("lantern" is
    "lqntern"): estimating it too cost a second zxcvbn run for nothing."""
    candidates = [password]
    folded = password.casefold()
    if any("а" <= char <= "я" or char == "ё" for char in folded):
        candidates.append(folded.translate(_RUSSIAN_KEYS))
    if any(char in "azqw" for char in folded):
        on_qwerty = password.translate(_AZERTY_KEYS)
        if _walks_through_a_swapped_key(password, on_qwerty):
            candidates.append(on_qwerty)
    return candidates


def _walks_through_a_swapped_key(password: str, on_qwerty: str) -> bool:
    """Whether one of zxcvbn's keyboard walks in ``on_qwerty`` covers a key that the
    AZERTY reading changed: the only patterns that reading can add."""
    pairs = enumerate(zip(password, on_qwerty, strict=True))
    swapped = [index for index, (typed, read) in pairs if typed != read]
    return any(
        match["i"] <= index <= match["j"]
        for match in spatial_match(on_qwerty[:ESTIMATE_LENGTH])
        for index in swapped
    )


def _reason(sequence: list[dict]) -> str:
    patterns = {match["pattern"] for match in sequence}
    names = {match.get("dictionary_name") for match in sequence}
    if "passwords" in names:
        return _("This is one of the most common passwords: it is the first one attackers try.")
    if "spatial" in patterns:
        return _(
            "The password has a keyboard pattern like qwerty, which is easy to guess. "
            "Add a few words of your own."
        )
    if "repeat" in patterns:
        return _("The password repeats characters, like aaa or abcabc, which is easy to guess.")
    if "sequence" in patterns:
        return _("The password has a sequence like abcd or 4321, which is easy to guess.")
    if patterns & {"date", "regex"}:
        return _(
            "The password has a date or a year, which is easy to guess. "
            "Add a few words of your own."
        )
    if "dictionary" in patterns:
        return _(
            "The password is made of common words or names, which are easy to guess even "
            "with digits or symbols added. Add another word or two."
        )
    return _(
        "This password is too easy to guess. A short phrase of three or four words is "
        "easy to remember and hard to guess."
    )
