"""Prometheus metrics at /metrics: absent unless configured, readable only from loopback or
with the token, and counting what happened — in one process and across gunicorn's."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import OutboxMessage
from portal.models.outbox import DEAD, SENT
from portal.models.types import utcnow
from tests.letters import queue_letters
from tests.servers import ROOT, PortalServer
from tests.smtp import smtp_fixture  # noqa: F401

TOKEN = "metrics-token-for-the-tests-0123456789"


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of one scrape."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, **options) -> dict:
    response = client.get("/metrics", **options)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


@pytest.fixture
def metrics_app(app_factory):
    return app_factory(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN)


def test_metrics_are_not_there_unless_configured(app):
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers=headers).status_code == 404


def test_a_request_is_counted_with_its_endpoint_status_and_latency(metrics_app):
    client = metrics_app.test_client()
    before = scrape(client)
    assert client.get("/help/email").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    after = scrape(client)
    ok = {"endpoint": "main.help_email", "method": "GET", "status": "200"}
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "portal_http_requests_total", **ok) == (
        value(before, "portal_http_requests_total", **ok) + 1
    )
    assert value(after, "portal_http_requests_total", **missing) == (
        value(before, "portal_http_requests_total", **missing) + 1
    )
    latency = "portal_http_request_duration_seconds_count"
    assert value(after, latency, endpoint="main.help_email") == (
        value(before, latency, endpoint="main.help_email") + 1
    )


def test_a_rate_limit_refusal_is_counted(app_factory):
    app = app_factory(
        METRICS_ENABLED=True,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="1 per minute",
        WTF_CSRF_ENABLED=False,
    )
    client = app.test_client()
    before = scrape(client)
    form = {"email": "limited@example.com", "password": "not-the-password-1"}
    assert client.post("/login", data=form).status_code == 200
    assert client.post("/login", data=form).status_code == 429
    after = scrape(client)
    refused = {"endpoint": "account.login", "method": "POST", "status": "429"}
    assert value(after, "portal_http_requests_total", **refused) == (
        value(before, "portal_http_requests_total", **refused) + 1
    )
    refusals = "portal_rate_limit_refusals_total"
    assert value(after, refusals, endpoint="account.login") == (
        value(before, refusals, endpoint="account.login") + 1
    )


def test_a_sign_in_lockout_is_counted(app_factory):
    app = app_factory(METRICS_ENABLED=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    before = scrape(client)
    form = {"email": "nobody-here@example.com", "password": "wrong-password-1"}
    for _ in range(3):
        assert client.post("/login", data=form).status_code == 200
    after = scrape(client)
    assert value(after, "portal_lockouts_total", kind="sign_in") == (
        value(before, "portal_lockouts_total", kind="sign_in") + 1
    )


def test_outbox_depth_and_oldest_letter_match_the_rows(metrics_app):
    with metrics_app.app_context():
        ids = queue_letters(5)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[0]).values(
            status=SENT, sent_at=utcnow()))  # fmt: skip
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[1]).values(
            status=DEAD))  # fmt: skip
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[2])
            .values(created_at=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
        counts = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    assert counts == {"sent": 1, "dead": 1, "queued": 3}
    found = scrape(metrics_app.test_client())
    for status in ("queued", "sending", "sent", "dead"):
        assert value(found, "portal_outbox_letters", status=status) == counts.get(status, 0)
    assert value(found, "portal_outbox_dead_letters") == 1
    oldest = value(found, "portal_outbox_oldest_queued_age_seconds")
    assert 2 * 3600 <= oldest < 2 * 3600 + 300


@pytest.mark.parametrize(
    ("remote", "headers", "status"),
    [
        ("127.0.0.1", {}, 200),
        ("::1", {}, 200),
        ("203.0.113.7", {}, 403),
        ("203.0.113.7", {"Authorization": "Bearer not-the-token"}, 403),
        ("203.0.113.7", {"Authorization": f"Basic {TOKEN}"}, 403),
        ("203.0.113.7", {"Authorization": f"Bearer {TOKEN}"}, 200),
        # A proxy on this machine forwarding somebody else: not loopback.
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, 403),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.7"}, 403),
    ],
)
def test_only_loopback_or_the_token_reads_the_metrics(metrics_app, remote, headers, status):
    response = metrics_app.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote}
    )
    assert response.status_code == status
    if status == 403:
        assert "portal_http_requests" not in response.get_data(as_text=True)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_without_a_token_a_remote_peer_is_refused_too(app_factory):
    app = app_factory(METRICS_ENABLED=True)
    response = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response.headers


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=15) as response:
        return response.status, response.read().decode()


def test_counts_add_up_across_gunicorn_workers_and_the_outbox_worker(app, smtp, tmp_path):
    """Two gunicorn workers and a `flask outbox send` share PROMETHEUS_MULTIPROC_DIR: any
    worker's scrape shows every process's counts."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    settings = {
        "PORTAL_CONFIG": "testing",
        "PORTAL_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_METRICS_ENABLED": "true",
        "PORTAL_MAIL_SERVER": "127.0.0.1",
        "PORTAL_MAIL_PORT": str(smtp.port),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    with app.app_context():
        queue_letters(3)
    server = PortalServer(settings, workers=2)
    try:
        # Eight at a time, so that both workers (one request each at a time) take some.
        requests = 80
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: fetch(f"{server.url}/healthz")[0], range(requests)))
        assert statuses == [200] * requests
        env = {key: v for key, v in os.environ.items() if not key.startswith("PORTAL_")}
        sent = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "portal", "outbox", "send"],
            cwd=ROOT,
            env={**env, **settings},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        assert len(smtp.received) == 3
        # Several scrapes, answered by whichever worker: every one sees the same sums.
        healthz = {"endpoint": "main.healthz", "method": "GET", "status": "200"}
        for _ in range(6):
            found = samples(fetch(f"{server.url}/metrics")[1])
            assert value(found, "portal_http_requests_total", **healthz) == requests
            assert value(found, "portal_outbox_deliveries_total", outcome="sent") == 3
            assert value(found, "portal_outbox_send_duration_seconds_count") == 3
            assert value(found, "portal_outbox_letters", status="sent") == 3
        counter_files = [path for path in folder.iterdir() if path.name.startswith("counter_")]
        # Both web workers counted (and the outbox command): the sums came from files.
        assert len(counter_files) >= 3, sorted(path.name for path in counter_files)
    finally:
        server.stop()
