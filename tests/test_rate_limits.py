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
