"""The operator's legal pages: the privacy notice and the terms, per language."""

from flask import Blueprint

bp = Blueprint("legal", __name__, url_prefix="/legal")

from portal.legal import routes  # noqa: E402,F401
