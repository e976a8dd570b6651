"""Failed desk sign-ins, counted per address and per IP. Each failure is one atomic
upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING), so parallel guesses cannot slip
past the count; after a few, each next try waits, twice as long every time."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal import metrics
from portal.extensions import db
from portal.models import StaffThrottle
from portal.models.types import utcnow

# Failures older than this are forgotten when the next one comes.
WINDOW = timedelta(hours=24)


def keys(email: str, ip: str | None) -> list[str]:
    found = [_key("address", email)]
    if ip:
        found.append(_key("ip", ip))
    return found


def _key(kind: str, value: str) -> str:
    return f"{kind}:" + hashlib.sha256(f"support-sign-in:{value}".encode()).hexdigest()


def wait_seconds(email: str, ip: str | None) -> int:
    """Seconds before another try is listened to (0: now)."""
    now = utcnow()
    rows = db.session.scalars(
        select(StaffThrottle.blocked_until).where(StaffThrottle.key.in_(keys(email, ip)))
    ).all()
    waits = [math.ceil((until - now).total_seconds()) for until in rows if until]
    return max([0, *waits])


def record_failure(email: str, ip: str | None) -> None:
    config = current_app.config
    for key in keys(email, ip):
        failures = _count(key)
        free = config[
            "SUPPORT_FREE_FAILURES" if key.startswith("address:") else "SUPPORT_IP_FREE_FAILURES"
        ]
        if failures >= free:
            delay = min(
                config["SUPPORT_FIRST_DELAY_SECONDS"] * 2 ** (failures - free),
                config["SUPPORT_MAX_DELAY_SECONDS"],
            )
            db.session.execute(
                update(StaffThrottle)
                .where(StaffThrottle.key == key)
                .values(blocked_until=utcnow() + timedelta(seconds=delay))
            )
            metrics.lockout("support_sign_in")


def _count(key: str) -> int:
    now = utcnow()
    dialect = db.engine.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = StaffThrottle.__table__
    statement = insert(table).values(key=key, failures=1, last_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case(
                (table.c.last_failure_at < now - WINDOW, 1), else_=table.c.failures + 1
            ),
            "last_failure_at": now,
        },
    ).returning(table.c.failures)
    return db.session.execute(statement).scalar_one()


def clear(email: str, ip: str | None) -> None:
    db.session.execute(delete(StaffThrottle).where(StaffThrottle.key.in_(keys(email, ip))))
