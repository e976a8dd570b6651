"""Engine settings that depend on the database behind it."""

import select

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from portal.extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the outbox worker write while pages read; busy_timeout waits for a lock
    # instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _still_open(dbapi_connection, _record, _proxy) -> None:
    """A pooled PostgreSQL connection the server has closed (a restart, an idle timeout,
    pg_terminate_backend) is given up as it is checked out, and the pool connects again:
    the request that takes it goes on as if nothing happened.

    Between queries the server has nothing to say, so a socket that can be read from now
    carries its last word ("terminating connection…") or its end. Finding that costs one
    system call where the pool's pre-ping cost a round trip to the server on every
    checkout — a twentieth of a wizard page under load."""
    if dbapi_connection.closed:
        raise DisconnectionError("the connection is closed")
    readable, _writable, _broken = select.select([dbapi_connection.fileno()], [], [], 0)
    if readable:
        raise DisconnectionError("the server has closed the connection")


def configure(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "checkout", _still_open)


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"
