"""Dates and times as a person reads them: "2 December 2026 at 12:40" in British English,
"2 декабря 2026 г. в 12:40", "2 décembre 2026 à 12:40", in the reader's own time zone.

The zone: the ``tz`` cookie that portal.js sets from the browser
(``Intl.DateTimeFormat().resolvedOptions().timeZone``) when it names a real IANA zone,
else ``DEFAULT_TIMEZONE``. A time shown in the default zone says which zone it is ("UTC"):
the reader may live elsewhere. Letters are read later, anywhere: always the default zone,
named.

Every date and time a page or a letter shows goes through ``moment_text`` or ``date_text``
(templates: the ``moment`` macro and the ``long_date`` filter); ``<time datetime>`` gets
``machine_time``: ISO 8601 to the second, with its offset.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone_gmt
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _

from config import ConfigError

TZ_COOKIE = "tz"
# What an IANA name looks like ("Europe/Moscow", "America/Argentina/Buenos_Aires",
# "Etc/GMT+3", "UTC"): anything else is not even looked up.
ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}")
# Babel formats for these instead of the language alone: English is British English.
FORMAT_LOCALES = {"en": "en_GB"}


# Bounded: the names come from a cookie, anyone can send a new one with every request.
@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """The zone of an IANA name, or None for anything that is not one."""
    if not isinstance(name, str) or len(name) > 64 or not ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def default_zone() -> ZoneInfo:
    name = current_app.config.get("DEFAULT_TIMEZONE", "UTC")
    found = zone(name)
    if found is None:
        raise ConfigError(f"DEFAULT_TIMEZONE {name!r} is not an IANA time zone")
    return found


def browser_zone() -> ZoneInfo | None:
    """The zone the reader's browser told (the ``tz`` cookie), if it is a real one."""
    if not has_request_context() or g.get("letter_zone"):
        return None
    return zone(request.cookies.get(TZ_COOKIE, ""))


def reader_zone() -> tuple[tzinfo, bool]:
    """The zone to show times in, and whether it is the reader's own (so needs no name)."""
    own = browser_zone()
    return (own, True) if own is not None else (default_zone(), False)


@contextmanager
def letter_zone():
    """Render a letter: the default zone, whatever the browser that caused it said."""
    had = g.get("letter_zone")
    g.letter_zone = True
    try:
        yield
    finally:
        g.letter_zone = had


def format_locale() -> Locale:
    locale = get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])
    return Locale.parse(FORMAT_LOCALES.get(str(locale), str(locale)))


def _aware(value: datetime) -> datetime:
    # The database keeps UTC; SQLite hands it back without its zone.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def local(value: datetime) -> datetime:
    return _aware(value).astimezone(reader_zone()[0])


def date_text(value: date | datetime) -> str:
    """ "2 December 2026", "2 декабря 2026 г.", "2 décembre 2026": a moment on the reader's
    calendar, or a plain date (a birth date) as it is."""
    if isinstance(value, datetime):
        value = local(value)
    return format_date(value, "long", locale=format_locale())


def moment_text(value: datetime) -> str:
    """ "2 December 2026 at 12:40" (and "… 12:40 UTC" when the zone is not the reader's own)."""
    shown_zone, own = reader_zone()
    moment = _aware(value).astimezone(shown_zone)
    locale = format_locale()
    time = format_datetime(moment, "HH:mm", locale=locale)
    if not own:
        time = f"{time}\u00a0{zone_label(moment, shown_zone, locale)}"
    # TRANSLATORS: a date and a time of day: "2 December 2026 at 12:40". Russian: "%(date)s в
    # %(time)s"; French: "%(date)s à %(time)s".
    return _("%(date)s at %(time)s", date=format_date(moment, "long", locale=locale), time=time)


def zone_label(moment: datetime, shown_zone: tzinfo, locale: Locale) -> str:
    """ "UTC", or the offset for another default zone ("GMT+03:00")."""
    if moment.utcoffset().total_seconds() == 0 and str(shown_zone) in ("UTC", "Etc/UTC"):
        return "UTC"
    return get_timezone_gmt(moment, "long", locale=locale)


def machine_time(value: datetime) -> str:
    """For ``<time datetime>``: "2026-12-02T12:40:00+00:00", never microseconds."""
    return _aware(value).isoformat(timespec="seconds")


def valid_default_zone(config) -> None:
    name = config.get("DEFAULT_TIMEZONE", "UTC")
    if zone(name) is None:
        raise ConfigError(f"DEFAULT_TIMEZONE {name!r} is not an IANA time zone (e.g. UTC)")
