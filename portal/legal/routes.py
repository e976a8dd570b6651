from flask import abort, current_app, render_template

from portal.i18n import select_locale
from portal.legal import bp
from portal.legal.documents import PAGES, operator_text


@bp.get("/<any(privacy, terms):page>")
def page(page: str):
    if page not in PAGES:
        abort(404)
    return render_template(
        f"legal/{page}.html",
        page=page,
        operator_text=operator_text(page, select_locale()),
        operator=current_app.config["OPERATOR_NAME"],
        support_email=current_app.config["SUPPORT_EMAIL"],
    )
