"""Logs under gunicorn, as deployed: the access log works and keeps secrets out, in the
text format and in the JSON one (LOG_FORMAT)."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

import pytest

from portal.security import JsonFormatter, RedactSecretsFilter
from tests.servers import PortalServer

SECRET = "eyJhbGciOiJzZWNyZXQtbGluay10b2tlbg"


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def served_logs(tmp_path, sqlite_url, **settings) -> tuple[str, str]:
    env = {
        "PORTAL_CONFIG": "testing",
        "PORTAL_SQLALCHEMY_DATABASE_URI": sqlite_url,
        **{f"PORTAL_{key}": value for key, value in settings.items()},
    }
    server = PortalServer(
        env, workers=2, options=("--access-logfile", "-", "--log-level", "info"), output=tmp_path
    )
    try:
        for _ in range(4):
            assert get(f"{server.url}/register/confirm/{SECRET}") in (200, 400, 410)
        assert get(f"{server.url}/healthz") == 200
        time.sleep(0.5)
    finally:
        server.stop()
    return (tmp_path / "stdout.log").read_text(), (tmp_path / "stderr.log").read_text()


def test_gunicorn_access_log_is_written_and_redacted(tmp_path, sqlite_url):
    stdout, stderr = served_logs(tmp_path, sqlite_url)
    assert "Logging error" not in stderr and "TypeError" not in stderr
    lines = [line for line in stdout.splitlines() if "/register/confirm/" in line]
    assert len(lines) == 4
    assert all('"GET /register/confirm/… HTTP/1.1"' in line for line in lines)
    assert SECRET not in stdout + stderr
    assert any('"GET /healthz HTTP/1.1" 200' in line for line in stdout.splitlines())


def test_json_log_format_writes_one_redacted_object_per_line(tmp_path, sqlite_url):
    stdout, stderr = served_logs(tmp_path, sqlite_url, LOG_FORMAT="json")
    assert "Logging error" not in stderr
    entries = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    access = [e for e in entries if e["logger"] == "gunicorn.access"]
    assert len([e for e in access if "/register/confirm/…" in e["message"]]) == 4
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert SECRET not in stdout + stderr
    booted = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(e["logger"] == "gunicorn.error" for e in booted)


def test_redaction_keeps_a_mapping_a_mapping():
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, "%(r)s %(s)s", None, None
    )
    record.args = {"r": f"GET /recover/{SECRET} HTTP/1.1", "s": "200"}
    RedactSecretsFilter().filter(record)
    assert record.getMessage() == "GET /recover/… HTTP/1.1 200"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "GET /recover/… HTTP/1.1 200"


def test_an_unknown_log_format_is_refused():
    from portal import ConfigError, create_app

    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        create_app("testing", {"LOG_FORMAT": "xml"})
