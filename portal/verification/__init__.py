"""Identity verification, the person's side: /account/verification. The documents go to
the support desk's review queue as requests of kind "verification"."""

from flask import Blueprint

bp = Blueprint("verification", __name__)

from portal.verification import routes  # noqa: E402,F401
