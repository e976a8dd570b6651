"""Prometheus metrics at ``/metrics``, off unless ``METRICS_ENABLED`` is set.

When on, the page answers only a direct loopback peer (no proxy in between) or a request
carrying ``Authorization: Bearer <METRICS_TOKEN>``; everyone else gets the 403 page, and with
metrics off the page does not exist (404).

Per request the cost is two counter/histogram updates (no database query). The outbox's
figures are read from the database only when the page is scraped.

Under gunicorn each worker process counts on its own; with ``PROMETHEUS_MULTIPROC_DIR``
set (an empty folder, the same for the web workers and ``flask outbox worker``, emptied
before they start) a scrape of any worker adds up every process's counts.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.models.outbox import QUEUED, STATUSES, OutboxMessage
from portal.models.types import utcnow

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Headers a proxy adds: a loopback peer that forwards someone else is not loopback.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")

REQUESTS = Counter(
    "portal_http_requests",
    "Requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATE_LIMITED = Counter(
    "portal_rate_limit_refusals",
    "Requests refused by a rate limit (429), by endpoint.",
    ["endpoint"],
)
LOCKOUTS = Counter(
    "portal_lockouts",
    "Lockouts begun: sign-in delays, recovery locks, support desk sign-in delays.",
    ["kind"],
)
DELIVERIES = Counter(
    "portal_outbox_deliveries",
    "Delivery attempts by the outbox worker, by outcome (sent, retry, dead).",
    ["outcome"],
)
SEND_SECONDS = Histogram(
    "portal_outbox_send_duration_seconds",
    "Time the SMTP server took to accept one letter.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DELIVERY_DELAY = Histogram(
    "portal_outbox_delivery_delay_seconds",
    "Time from queueing a letter to the SMTP server accepting it.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)


def lockout(kind: str) -> None:
    LOCKOUTS.labels(kind).inc()


def letter_sent(send_seconds: float, queued_at) -> None:
    DELIVERIES.labels("sent").inc()
    SEND_SECONDS.observe(send_seconds)
    if queued_at is not None:
        DELIVERY_DELAY.observe(max((utcnow() - queued_at).total_seconds(), 0.0))


def letter_failed(outcome: str) -> None:
    DELIVERIES.labels(outcome).inc()


# Per request ------------------------------------------------------------------------


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    if response.status_code == 429:
        RATE_LIMITED.labels(endpoint).inc()
    return response


# At scrape time -------------------------------------------------------------------


class OutboxCollector:
    """The outbox as it is now: two small queries on the status index, per scrape."""

    def collect(self):
        depth = GaugeMetricFamily(
            "portal_outbox_letters", "Letters in the outbox, by status.", labels=["status"]
        )
        oldest = GaugeMetricFamily(
            "portal_outbox_oldest_queued_age_seconds",
            "Age of the oldest letter still waiting to be sent (0: none waiting).",
        )
        dead = GaugeMetricFamily(
            "portal_outbox_dead_letters", "Letters given up on (flask outbox list --status dead)."
        )
        try:
            counts = dict(
                db.session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()
            )
            first = db.session.scalar(
                select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == QUEUED)
            )
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("metrics: the outbox could not be read")
            return
        for status in STATUSES:
            depth.add_metric([status], counts.get(status, 0))
        oldest.add_metric([], max((utcnow() - first).total_seconds(), 0.0) if first else 0.0)
        dead.add_metric([], counts.get("dead", 0))
        yield from (depth, oldest, dead)


def exposition() -> bytes:
    """This process's counts (or every process's, in multiprocess mode), then the outbox."""
    if os.environ.get(MULTIPROCESS_DIR):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return generate_latest(counted) + generate_latest(outbox)


def _direct_loopback() -> bool:
    """The socket's peer is this machine and no proxy says it forwards someone else."""
    original = request.environ.get("werkzeug.proxy_fix.orig", {})
    peer = original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""
    if any(header in request.headers for header in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(peer.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _bearer_ok() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), str(token).encode())


def metrics_page():
    if not current_app.config.get("METRICS_ENABLED"):
        abort(404)
    if not (_direct_loopback() or _bearer_ok()):
        from portal.errors import render_error

        response = current_app.make_response(render_error(403))
        if current_app.config.get("METRICS_TOKEN"):
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = Response(exposition(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """The route always exists (404 when off), the per-request hooks only when on."""
    from portal.extensions import limiter

    app.add_url_rule("/metrics", "metrics", limiter.exempt(metrics_page), methods=["GET"])
    if app.config.get("METRICS_ENABLED"):
        app.before_request(_started)
        app.after_request(_answered)
