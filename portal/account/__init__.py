"""The open wallet: signing in and out, the account page and settings, recovery."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from portal.account import routes, strength  # noqa: E402,F401
