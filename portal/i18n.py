"""Which language a page speaks, and the switcher that changes it.

Order: ``?lang=`` (then kept in a cookie) > the cookie > the signed-in person's
preference > ``Accept-Language`` > English.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale
from flask import current_app, g, request
from flask_babel import Babel, Domain, force_locale, get_locale, ngettext

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
PSEUDO_LOCALE = "en-XA"

PSEUDO_NAME = "Ƥşëüδö"


class PortalDomain(Domain):
    """Flask-Babel's domain, plus the pseudo-locale built from the template."""

    def get_translations(self):
        """The request's catalog, kept for the request beside Flask-Babel's locale: a page
        looks some sixty strings up, and finding the catalog again through Flask-Babel
        each time was a tenth of step 2. ``force_locale`` (letters in the reader's
        language) puts another locale object there, and the catalog is found again."""
        try:
            state = g._flask_babel
        except (AttributeError, RuntimeError):
            return self._find_translations()
        kept = getattr(state, "portal_translations", None)
        if kept is not None and kept[0] is getattr(state, "babel_locale", None):
            return kept[1]
        translations = self._find_translations()
        state.portal_translations = (getattr(state, "babel_locale", None), translations)
        return translations

    def _find_translations(self):
        if g and "language" not in g:
            get_locale()  # runs the selector, which sets g.language
        if g and g.get("language") == PSEUDO_LOCALE:
            from portal.pseudo import pseudo_translations

            folder = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0])
            return pseudo_translations(folder / "messages.pot")
        return super().get_translations()


class PortalBabel(Babel):
    @cached_property
    def domain_instance(self):
        return PortalDomain(domain=self.domain)


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
    if not request:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    language = requested_language()
    if language is None:
        language = _known(getattr(_signed_in_person(), "locale", None))
    if language is None:
        language = request.accept_languages.best_match(current_app.config["LANGUAGES"])
    g.language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    return g.language


def _signed_in_account():
    from sqlalchemy.exc import SQLAlchemyError

    from portal.auth import current_account

    try:
        return current_account()
    except SQLAlchemyError:
        # An error page must still render when the database is down.
        return None


def _signed_in_person():
    """Whose preference counts here: the staff member on the support desk's pages, the
    wallet's owner everywhere else (the two sessions are apart)."""
    if not request.path.startswith("/support"):
        return _signed_in_account()
    from sqlalchemy.exc import SQLAlchemyError

    from portal.support.staff import current_staff

    try:
        return current_staff()
    except SQLAlchemyError:
        return None


def select_locale() -> str:
    """Flask-Babel's locale selector: the pseudo-locale formats like English."""
    language = select_language()
    return "en" if language == PSEUDO_LOCALE else language


def remember_language(response):
    """Keep an explicit ``?lang=`` choice in a cookie for the next requests."""
    chosen = _known(request.args.get("lang"))
    if chosen and chosen != PSEUDO_LOCALE:
        _keep_on_account(chosen)
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


def _keep_on_account(language: str) -> None:
    """A signed-in person's explicit choice is also their preference (pages and letters)."""
    from portal.extensions import db

    account = _signed_in_person()
    if account is not None and account.locale != language:
        account.locale = language
        db.session.commit()


def language_url(code: str) -> str:
    """This page's URL in another language: the same path and query, ``lang`` replaced."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    args.append(("lang", code))
    return f"{request.path}?{urlencode(args)}"


def html_lang() -> str:
    return select_language() if request else str(get_locale() or "en")


@cache
def language_name(code: str) -> str:
    """A language's own name for itself (CLDR), as a switcher shows it: "Русский"."""
    if code == PSEUDO_LOCALE:
        return PSEUDO_NAME
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def switcher_languages() -> list[tuple[str, str]]:
    languages = list(current_app.config["LANGUAGES"])
    if select_language() == PSEUDO_LOCALE:
        languages.append(PSEUDO_LOCALE)
    return [(code, language_name(code)) for code in languages]


@contextmanager
def in_language(code: str):
    """Render in another language (a letter in its recipient's), then come back."""
    had_language = "language" in g
    previous = g.get("language")
    g.language = code
    try:
        with force_locale("en" if code == PSEUDO_LOCALE else code):
            yield
    finally:
        if had_language:
            g.language = previous
        else:
            g.pop("language", None)


def plural_templates(singular: str, plural: str) -> dict[str, str]:
    """One rendering per CLDR plural category, with ``{n}`` where the number goes.

    The page's script picks one with ``Intl.PluralRules``, so a countdown stays
    grammatical in Russian (1 секунду, 2 секунды, 5 секунд) without the server.
    """
    return {
        category: ngettext(singular, plural, number).replace(str(number), "{n}")
        for category, number in plural_samples(get_locale()).items()
    }


@cache
def plural_samples(locale: Locale) -> dict[str, int]:
    """A number of each CLDR plural category of ``locale``, found once per language
    rather than by running its rule over 200 numbers on every page that counts down."""
    samples: dict[str, int] = {}
    for number in (*range(200), 1_000_000):
        samples.setdefault(locale.plural_form(number), number)
    return samples
