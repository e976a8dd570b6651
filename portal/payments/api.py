"""The shops' JSON API: ask a wallet for a payment, read its state.

Authenticated by the shop's API key (``Authorization: Bearer <key>``); answers are JSON,
errors included: ``{"error": "...", "field": "amount"}`` with a 4xx status.
"""

from __future__ import annotations

from flask import current_app, jsonify, request

from portal.extensions import csrf, db, limiter
from portal.models import Payment
from portal.payments import bp, orders


def api_key() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    return key.strip() if scheme.lower() == "bearer" else None


def refused(status: int, message: str, field: str | None = None):
    return jsonify({"error": message, "field": field}), status


def shop_limit() -> str:
    return current_app.config["PAYMENTS_API_RATE_LIMIT"]


def shop_key() -> str:
    return "shop:" + (api_key() or request.remote_addr or "")[:100]


def authenticated_shop():
    shop = orders.shop_for_key(api_key())
    return shop


@bp.post("/api/payments")
@csrf.exempt
@limiter.limit(shop_limit, key_func=shop_key)
def api_ask():
    shop = authenticated_shop()
    if shop is None:
        return refused(401, "a valid API key is required (Authorization: Bearer <key>)")
    if not request.is_json:
        return refused(415, "the body must be JSON (Content-Type: application/json)")
    body = request.get_json(silent=True)
    if body is None:
        return refused(400, "the body is not valid JSON")
    try:
        payment, created = orders.ask(shop, orders.parse(body))
    except orders.Refused as error:
        db.session.rollback()
        return refused(error.status, error.message, error.field)
    return jsonify(orders.as_json(payment)), 201 if created else 200


@bp.get("/api/payments/<payment_id>")
@limiter.limit(shop_limit, key_func=shop_key)
def api_read(payment_id: str):
    shop = authenticated_shop()
    if shop is None:
        return refused(401, "a valid API key is required (Authorization: Bearer <key>)")
    payment = db.session.get(Payment, payment_id) if len(payment_id) <= 32 else None
    if payment is None or payment.shop_id != shop.id:
        return refused(404, "no such payment for this shop", "id")
    return jsonify(orders.as_json(payment))


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(code: int, name: str):
    """An error of the API's paths as JSON, not an HTML page (see portal.errors)."""
    return refused(code, name.lower())
