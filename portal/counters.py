"""Counters that hold under concurrency: take the row's lock before judging.

A limit read in one statement and written in another lets simultaneous requests all
read the same count and all pass. ``hold`` closes that gap the same way on PostgreSQL
and SQLite: one write statement on the counter's row (an upsert when the row may not
exist yet) takes its lock, which lasts until the transaction ends, and the row is then
read back fresh. Every request on the same key waits its turn, so N simultaneous
attempts are judged one after the other, each seeing what the previous one counted.

API::

    row = hold(Model, key=value)               # create if missing (the model's defaults)
    row = hold(Model, create=False, id=42)     # an existing row (None if there is none)
    ...judge with row's columns, change them...
    db.session.commit()                        # releases the lock (as does a rollback)

``hold`` returns the ORM instance, refreshed after the lock was taken. Keep the work
between ``hold`` and the commit short (one password check at most): other requests on
the same key wait for it. On PostgreSQL the lock is the row's; on SQLite it is the
database's write lock. Used by the sign-in throttle, the recovery lockout, the
resend cooldown and the payment password's lock.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db

M = TypeVar("M")


def hold(model: type[M], *, create: bool = True, **key: Any) -> M | None:
    """Lock the row named by its primary key ``key`` until the transaction ends; return it."""
    table = model.__table__
    primary = [column.name for column in table.primary_key]
    if sorted(key) != sorted(primary):
        raise TypeError(f"hold({model.__name__}) needs its primary key {primary}")
    # Setting a column to itself changes nothing but takes the lock.
    other = next(column for column in table.columns if column.name not in key)
    if create:
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(table)
            .values(**key)
            .on_conflict_do_update(index_elements=primary, set_={other.name: table.c[other.name]})
        )
    else:
        statement = (
            update(table)
            .where(*(table.c[name] == value for name, value in key.items()))
            .values({other.name: table.c[other.name]})
        )
    db.session.execute(statement)
    identity = tuple(key[name] for name in primary)
    return db.session.get(
        model, identity[0] if len(identity) == 1 else identity, populate_existing=True
    )
