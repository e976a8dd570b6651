"""Opening a wallet: the four-step wizard, its letters and its drafts."""

from flask import Blueprint

bp = Blueprint("register", __name__, url_prefix="/register")

from portal.register import routes  # noqa: E402,F401
