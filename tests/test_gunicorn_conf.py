"""gunicorn.conf.py as deployed: a worker that has checked a password gives argon2id's
memory back once it rests, and keeps it while requests keep coming."""

from __future__ import annotations

import time

from tests.servers import PortalServer, worker_memory
from tests.test_rate_limits import sign_in_attempt

ARGON2_MIB = 19


def worker_rss_mib(server: PortalServer) -> float:
    ((_pid, memory),) = worker_memory(server.process.pid)
    return memory["VmRSS"]


def test_a_resting_worker_gives_argon2s_memory_back(sqlite_url):
    server = PortalServer(
        {
            "PORTAL_CONFIG": "testing",
            "PORTAL_SQLALCHEMY_DATABASE_URI": sqlite_url,
            "PORTAL_WTF_CSRF_ENABLED": "false",
            "PORTAL_ARGON2_MEMORY_COST": str(ARGON2_MIB * 1024),
            "PORTAL_ARGON2_TIME_COST": "2",
        }
    )
    try:
        busy = []
        for _ in range(3):  # an unknown address is checked against a hash all the same
            assert sign_in_attempt(server.url) == 200
            busy.append(worker_rss_mib(server))
        time.sleep(2.5)
        resting = worker_rss_mib(server)
    finally:
        server.stop()
    # Right after each check the worker still holds the hash's memory, at rest it does not.
    assert min(busy) - resting >= ARGON2_MIB * 0.8, (busy, resting)
