"""Claims and leases, called directly: who may touch a row, and when it comes back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from portal.extensions import db
from portal.models import OutboxMessage
from portal.models.outbox import DEAD, QUEUED, SENDING
from portal.models.types import utcnow
from portal.outbox import claims
from tests.letters import expire_leases, outbox_rows, queue_letters


def failure(batch, letter, permanent=False):
    status = claims.record_failure(
        batch, letter, "451 busy", permanent=permanent, max_attempts=8, retry_base=1, retry_max=9
    )
    db.session.commit()
    return status


def test_claim_leases_due_letters_oldest_first(app):
    with app.app_context():
        ids = queue_letters(4)
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[3])
            .values(next_attempt_at=utcnow() - timedelta(hours=1))
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[2])
            .values(next_attempt_at=utcnow() + timedelta(hours=1))
        )
        db.session.commit()
        batch = claims.claim_due(limit=2, lease_seconds=120)
        again = claims.claim_due(limit=10, lease_seconds=120)
        rows = outbox_rows()
    assert [letter.id for letter in batch.letters] == [ids[3], ids[0]]
    assert [letter.id for letter in again.letters] == [ids[1]], "held or not due are skipped"
    for letter in batch.letters:
        row = rows[letter.id]
        assert (row.status, row.attempts, row.lease_until) == (SENDING, 1, batch.lease_until)
        assert letter.message_id == row.message_id and letter.attempts == 1
    assert 110 < (batch.lease_until - utcnow()).total_seconds() <= 120
    assert rows[ids[2]].status == QUEUED


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_row(app):
    with app.app_context():
        queue_letters(2)
        batch = claims.claim_due(limit=10, lease_seconds=120)
        first, second = batch.letters
        # Another worker reclaimed and claimed the rows meanwhile: a different lease.
        db.session.execute(
            update(OutboxMessage).values(lease_until=utcnow() + timedelta(seconds=300))
        )
        db.session.commit()
        failure(batch, first)
        claims.release(batch, [second])
        assert claims.renew_lease(batch, [first, second], 120) == []
        rows = outbox_rows()
    assert {(row.status, row.attempts, row.last_error) for row in rows.values()} == {
        (SENDING, 1, None)
    }


def test_renewed_lease_keeps_the_rows(app):
    with app.app_context():
        queue_letters(2)
        batch = claims.claim_due(limit=10, lease_seconds=1)
        held = claims.renew_lease(batch, batch.letters, 600)
        rows = outbox_rows()
    assert held == batch.letters
    assert {row.lease_until for row in rows.values()} == {batch.lease_until}
    assert (batch.lease_until - utcnow()).total_seconds() > 590


def test_released_letters_do_not_count_an_attempt(app):
    with app.app_context():
        queue_letters(2)
        batch = claims.claim_due(limit=10, lease_seconds=120)
        claims.release(batch, batch.letters)
        rows = outbox_rows()
    assert {(row.status, row.attempts, row.lease_until) for row in rows.values()} == {
        (QUEUED, 0, None)
    }


def test_expired_lease_brings_rows_back_and_a_letter_out_of_attempts_dies(app):
    with app.app_context():
        fresh, worn = queue_letters(2)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == worn).values(attempts=2))
        db.session.commit()
        claims.claim_due(limit=10, lease_seconds=120)
        assert claims.reclaim_expired(max_attempts=3) == 0, "leases still running"
        expire_leases()
        assert claims.reclaim_expired(max_attempts=3) == 2
        rows = {i: (row.status, row.attempts, row.last_error) for i, row in outbox_rows().items()}
        again = claims.claim_due(limit=10, lease_seconds=120)
    assert rows[fresh] == (QUEUED, 1, claims.LEASE_EXPIRED)
    assert rows[worn] == (DEAD, 3, claims.LEASE_EXPIRED)
    assert [letter.id for letter in again.letters] == [fresh]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_claims_on_postgresql_skip_rows_another_worker_has_locked(app):
    with app.app_context():
        ids = queue_letters(6)
        with db.engine.connect() as other_worker:
            # Another worker is in the middle of its claim of the three oldest rows.
            locked = other_worker.scalars(
                select(OutboxMessage.id)
                .order_by(OutboxMessage.id)
                .limit(3)
                .with_for_update(skip_locked=True)
            ).all()
            db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            batch = claims.claim_due(limit=10, lease_seconds=120)
            other_worker.rollback()
    assert locked == ids[:3]
    assert [letter.id for letter in batch.letters] == ids[3:]
