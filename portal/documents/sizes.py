"""File sizes in the reader's language ("10 MB", "10 МБ", "10 Mo")."""

from __future__ import annotations

from babel import Locale
from babel.units import format_unit
from flask_babel import get_locale

_UNITS = (
    (1024 * 1024 * 1024, "digital-gigabyte"),
    (1024 * 1024, "digital-megabyte"),
    (1024, "digital-kilobyte"),
)


def format_size(size: int, locale: Locale | str | None = None) -> str:
    """Binary multiples, as file managers show them, with at most one decimal."""
    locale = locale or get_locale() or "en"
    for factor, unit in _UNITS:
        if size >= factor:
            return format_unit(size / factor, unit, length="short", format="#,##0.#", locale=locale)
    return format_unit(size, "digital-byte", length="long", locale=locale)
