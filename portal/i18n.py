"""Which language a page speaks, and the switcher that changes it.

Order: ``?lang=`` (then kept in a cookie) > the cookie > the signed-in person's
preference > ``Accept-Language`` > English.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, g, request
from flask_babel import get_locale

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
PSEUDO_LOCALE = "en-XA"

# Each language's own name for itself, as the switcher shows it.
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "fr": "Français", PSEUDO_LOCALE: "Ƥşëüδö"}


def available_languages() -> list[str]:
    languages = list(current_app.config["LANGUAGES"])
    if current_app.config.get("PSEUDO_LOCALE_ENABLED"):
        languages.append(PSEUDO_LOCALE)
    return languages


def _known(code: str | None) -> str | None:
    return code if code in available_languages() else None


def requested_language() -> str | None:
    """The language asked for explicitly, by ``?lang=`` or the cookie it left."""
    return _known(request.args.get("lang")) or _known(request.cookies.get(LANG_COOKIE))


def select_language() -> str:
    """The language code of this request (may be the pseudo-locale)."""
    if "language" in g:
        return g.language
    language = requested_language()
    if language is None:
        preference = getattr(g.get("account"), "locale", None)
        language = _known(preference)
    if language is None:
        language = request.accept_languages.best_match(current_app.config["LANGUAGES"])
    g.language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    return g.language


def select_locale() -> str:
    """Flask-Babel's locale selector: the pseudo-locale formats like English."""
    language = select_language()
    return "en" if language == PSEUDO_LOCALE else language


def remember_language(response):
    """Keep an explicit ``?lang=`` choice in a cookie for the next requests."""
    chosen = _known(request.args.get("lang"))
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=LANG_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


def language_url(code: str) -> str:
    """This page's URL in another language: the same path and query, ``lang`` replaced."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    args.append(("lang", code))
    return f"{request.path}?{urlencode(args)}"


def html_lang() -> str:
    return select_language() if request else str(get_locale() or "en")


def switcher_languages() -> list[tuple[str, str]]:
    languages = list(current_app.config["LANGUAGES"])
    if select_language() == PSEUDO_LOCALE:
        languages.append(PSEUDO_LOCALE)
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in languages]
