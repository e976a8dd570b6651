from flask import current_app, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter
from portal.i18n import select_language
from portal.letters import sender
from portal.main import bp


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/help/email")
def help_email():
    # The sender as the reader's inbox shows it, in the language of this page.
    name, address = sender(select_language())
    return render_template(
        "main/help_email.html",
        support_email=current_app.config["SUPPORT_EMAIL"],
        sender_name=name,
        sender_address=address,
    )


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
