"""The support desk: staff accounts with two-factor sign-in, the review queue, the audit trail."""

from flask import Blueprint

bp = Blueprint("support", __name__, url_prefix="/support")


@bp.after_request
def never_cache(response):
    # Desk pages show people's documents and data: no browser or proxy keeps a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


from portal.support import desk, routes  # noqa: E402,F401
