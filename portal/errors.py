"""Error pages in the reader's language."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db

PAGES = {
    400: (
        _l("The request could not be understood"),
        _l("Something in the request was wrong or incomplete. Go back and try again."),
    ),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check the address or start from the home page."),
    ),
    405: (
        _l("This action is not available here"),
        _l("This page cannot be used this way. Start again from the home page."),
    ),
    413: (
        _l("What you sent is too large"),
        _l(
            "The form or file you sent is larger than we accept. Go back, shorten what you "
            "typed or choose a smaller file, and try again."
        ),
    ),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Wait a little and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l(
            "We could not complete your request. Nothing you entered was lost: "
            "try again in a minute."
        ),
    ),
}

CSRF_PAGE = (
    _l("This form has expired"),
    _l(
        "For your security, forms only work in the browser window where they were opened, "
        "with cookies enabled. Go back, reload the page and send it again."
    ),
)


def render_error(code: int, page: tuple | None = None):
    title, message = page or PAGES.get(code, PAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code not in PAGES:
        return error
    from portal.payments.api import api_error, is_api_request

    response = api_error(code, error.name) if is_api_request() else render_error(code)
    if code == 429 and getattr(error, "retry_after", None):
        return (*response, {"Retry-After": str(error.retry_after)})
    return response


def handle_csrf_error(_error: CSRFError):
    return render_error(400, CSRF_PAGE)


def handle_server_error(_error: Exception):
    db.session.rollback()
    from portal.payments.api import api_error, is_api_request

    return api_error(500, "internal server error") if is_api_request() else render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
