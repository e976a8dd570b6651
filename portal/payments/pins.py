"""Which six-digit payment passwords are too easy to guess, and why.

Each rule returns the reason in words, so the person learns what to avoid rather than
being told only "too weak". The rules, in order:

- all one digit (000000, 777777);
- a run up or down, wrapping round (123456, 987654, 890123);
- a repeated pair or half (121212, 123123);
- the person's date of birth in a common six-digit form (DDMMYY, YYMMDD, MMDDYY);
- one of the most common six-digit PINs (``portal/data/common_pins.txt``; where the
  list comes from is written at its top).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from flask_babel import gettext as _

LENGTH = 6
COMMON_PINS = Path(__file__).parent.parent / "data" / "common_pins.txt"
BIRTH_DATE_FORMS = ("%d%m%y", "%y%m%d", "%m%d%y")


@cache
def common_pins() -> frozenset[str]:
    lines = COMMON_PINS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and line[0] != "#")


def birth_date_forms(born: date) -> set[str]:
    return {born.strftime(form) for form in BIRTH_DATE_FORMS}


def _is_run(pin: str) -> bool:
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    return steps in ({1}, {9})


def pin_problem(pin: str, birth_date: date | None = None) -> str | None:
    """Why ``pin`` may not be a payment password, or None when it may."""
    if len(pin) != LENGTH or not pin.isascii() or not pin.isdigit():
        return _("The payment password is exactly six digits.")
    if len(set(pin)) == 1:
        return _("The payment password cannot be one digit six times.")
    if _is_run(pin):
        return _("The payment password cannot be digits in a row, such as 123456 or 987654.")
    if pin[:2] * 3 == pin or pin[:3] * 2 == pin:
        return _("The payment password cannot repeat a pair or a half, such as 121212 or 123123.")
    if birth_date is not None and pin in birth_date_forms(birth_date):
        return _("The payment password cannot be your date of birth.")
    if pin in common_pins():
        return _("This is one of the most common payment passwords. Choose another.")
    return None
