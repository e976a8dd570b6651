"""Protections every response gets: headers, proxy trust, redacted logs, safe redirects."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Flask, Request, current_app, request
from werkzeug.formparser import FormDataParser
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Links from letters carry one-time secrets in their path; logs keep only the route.
_SECRET_PATHS = re.compile(r"(/(?:confirm|recover|reset|setup)/)[^\s/?\"']+")


class RedactSecretsFilter(logging.Filter):
    """Redacts the message and its arguments in place. A mapping stays the same mapping
    (gunicorn's access log formats ``%(r)s`` from its own dict, which answers ``-`` for
    atoms it lacks): only its text values change."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, Mapping):
            for key, value in list(args.items()):
                if isinstance(value, str):
                    args[key] = redact(value)
        elif isinstance(args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact(text: str) -> str:
    return _SECRET_PATHS.sub(r"\1…", text)


class NamedPartsOnly(FormDataParser):
    """A multipart part whose header carries no readable name (``name="\n"``) is parsed by
    Werkzeug under the key None, which code reading the form by name does not expect
    (Flask-WTF's CSRF check calls ``key.endswith``). Such a part is no field: left out."""

    def parse(self, *args, **kwargs):
        stream, form, files = super().parse(*args, **kwargs)
        return stream, _named(form), _named(files)


def _named(data):
    if None not in data:
        return data
    return type(data)((key, value) for key, value in data.items(multi=True) if key is not None)


class PortalRequest(Request):
    form_data_parser_class = NamedPartsOnly

    @property
    def max_content_length(self) -> int | None:
        """MAX_CONTENT_LENGTH, or the larger limit of a view marked with ``body_limit``.
        Decided before any hook reads the body (the CSRF check does, first of all)."""
        if self._max_content_length is None and current_app and self.url_rule is not None:
            view = current_app.view_functions.get(self.url_rule.endpoint)
            limit = getattr(view, "body_limit", None)
            if limit is not None:
                return limit(current_app.config)
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def body_limit(limit: Callable[[dict], int]):
    """Let one view (an upload) take a larger body than MAX_CONTENT_LENGTH: ``limit``
    gets the app's config and returns the bytes. Put it right under the route decorator."""

    def decorator(view):
        view.body_limit = limit
        return view

    return decorator


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html" and "Cache-Control" not in headers:
        # Pages can hold personal data: never keep them in shared caches.
        headers["Cache-Control"] = "no-store"
    return response


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site (``/account``), false for anything that leaves it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(char) < 32 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT = "json"), for log collectors; the message is
    the redacted one, as in the text format."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


LOG_FORMATS = ("text", "json")


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.after_request(set_security_headers)
    names = ("werkzeug", "gunicorn.access", "gunicorn.error", "portal", app.logger.name)
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(RedactSecretsFilter())
    if app.config.get("LOG_FORMAT", "text") == "json":
        use_json_logs(names)


def use_json_logs(names) -> None:
    """Every handler of the portal's loggers (gunicorn's included) writes JSON lines; a
    logger without a handler of its own gets one on stderr."""
    for name in names:
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.StreamHandler(sys.stderr))
            logger.propagate = False
        for handler in logger.handlers:
            if not isinstance(handler.formatter, JsonFormatter):
                handler.setFormatter(JsonFormatter())
