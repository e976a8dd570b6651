"""Country names from CLDR in the reader's language, sorted as that reader expects."""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale

# Two-letter codes CLDR names that are not ISO 3166-1 countries: groupings (EU, UN,
# EZ), pseudo-regions (XA, XB, QO, ZZ), Kosovo's user-assigned XK and the
# "exceptionally reserved" codes (AC, CP, CQ, DG, EA, IC, TA).
NOT_COUNTRIES = frozenset(
    {"EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
)
# Letters that collation treats as two (NFD does not split them).
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})


def collation_key(name: str) -> tuple[str, str]:
    """Accents are secondary: É sorts with E, Ё with Е (ties broken by the exact name)."""
    decomposed = unicodedata.normalize("NFD", name.casefold().translate(LIGATURES))
    base = "".join(char for char in decomposed if not unicodedata.combining(char))
    base = "".join(char for char in base if char.isalnum() or char == " ")
    return base, name


@cache
def country_names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }


@cache
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    names = country_names(locale)
    return tuple(sorted(names.items(), key=lambda item: collation_key(item[1])))


@cache
def select_pairs(locale: str, placeholder: str) -> tuple[tuple[str, str], ...]:
    """A country select's choices, its placeholder first, made once per language."""
    return (("", placeholder), *country_choices(locale))


def country_name(code: str | None, locale: str) -> str:
    return country_names(locale).get(code or "", code or "")


def is_country(code: str | None) -> bool:
    return bool(code) and code in country_names("en")
