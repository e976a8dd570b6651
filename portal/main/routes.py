from urllib.parse import urlsplit

from flask import current_app, render_template, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter
from portal.main import bp
from portal.security import is_safe_next


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/help/email")
def help_email():
    return render_template(
        "main/help_email.html",
        support_email=current_app.config["SUPPORT_EMAIL"],
        back_url=back_from_help(),
    )


def back_from_help() -> str | None:
    """Where "Back" leads: the page that linked here (its ``next``, or the referrer on
    this site), never a page that would start something new; None: the start page."""
    for candidate in (request.args.get("next"), same_site_referrer()):
        if not is_safe_next(candidate):
            continue
        path = urlsplit(candidate).path
        if path == request.path or (path == url_for("register.sent") and not has_draft()):
            continue  # "Check your mail" without a draft would start a new registration
        return candidate
    return None


def has_draft() -> bool:
    from portal.register.drafts import current_draft

    return current_draft() is not None


def same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: the database does not answer")
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "up"}
