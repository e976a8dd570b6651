"""Rate limits shared by several servers through Redis (RATELIMIT_STORAGE_URI)."""

import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.servers import PortalServer, RedisServer


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


def sign_in_attempt(base_url: str) -> int:
    data = urllib.parse.urlencode({"email": "target@example.com", "password": "guess-123"})
    request = urllib.request.Request(f"{base_url}/login", data=data.encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def two_servers(sqlite_url, storage_uri):
    settings = {
        "PORTAL_CONFIG": "testing",
        "PORTAL_SQLALCHEMY_DATABASE_URI": sqlite_url,
        "PORTAL_RATELIMIT_ENABLED": "true",
        "PORTAL_RATELIMIT_STORAGE_URI": storage_uri,
        "PORTAL_LOGIN_RATE_LIMIT": "2 per minute",
        # A client that posts without a form: the limit is what this test is about.
        "PORTAL_WTF_CSRF_ENABLED": "false",
    }
    return PortalServer(settings), PortalServer(settings)


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        ("redis", [200, 200, 429, 429]),
        # Without a shared store each server counts alone: the limit is never reached.
        ("memory", [200, 200, 200, 200]),
    ],
)
def test_servers_share_limits_through_redis(sqlite_app, redis_server, storage, expected):
    uri = redis_server.url if storage == "redis" else "memory://"
    first, second = two_servers(sqlite_app.config["SQLALCHEMY_DATABASE_URI"], uri)
    try:
        statuses = [sign_in_attempt(server.url) for server in (first, second, first, second)]
    finally:
        first.stop()
        second.stop()
    assert statuses == expected


def production_settings(sqlite_url, **extra):
    import secrets

    from cryptography.fernet import Fernet

    return {
        "PORTAL_CONFIG": "production",
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_DOCUMENT_KEYS": Fernet.generate_key().decode(),
        "PORTAL_BASE_URL": "https://wallet.example",
        "PORTAL_SQLALCHEMY_DATABASE_URI": sqlite_url,
        **extra,
    }


def test_production_with_several_workers_refuses_per_worker_counts(sqlite_url):
    """memory:// under gunicorn -w 4 would let each worker count alone: it does not start."""
    import os
    import subprocess
    import sys

    from tests.postgres import free_port
    from tests.servers import ROOT

    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(production_settings(sqlite_url))
    command = [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{free_port()}"]
    result = subprocess.run(
        [*command, "wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "portal: refusing to start: RATELIMIT_STORAGE_URI memory://" in result.stderr
