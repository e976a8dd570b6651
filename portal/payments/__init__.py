"""The payment password and payments: the person's pages, the shops' JSON API."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from portal.payments import api, routes  # noqa: E402,F401
