"""Real ``flask outbox worker`` processes: killed mid-batch, stopped by a signal, three
at once on PostgreSQL, two at once refused on SQLite, and the newcomer's dev mailbox."""

from __future__ import annotations

import signal
import time
from collections import Counter

import pytest

from portal.models.outbox import QUEUED, SENDING, SENT
from portal.outbox.claims import LEASE_EXPIRED
from portal.outbox.delivery import deliver_due
from tests.letters import expire_leases, outbox_rows, queue_letters
from tests.smtp import smtp_fixture  # noqa: F401
from tests.workers import start_worker_fixture  # noqa: F401


def wait_until(condition, timeout: float = 20.0, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError("timed out waiting")


def test_worker_killed_mid_batch_loses_nothing(app_factory, smtp, start_worker, database_url):
    app = app_factory(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        ids = queue_letters(10)
    smtp.delay = 0.1  # each 250 comes a moment after the letter is taken
    worker = start_worker(database_url, smtp.port, OUTBOX_BATCH_SIZE=10)
    smtp.wait_for(3)
    worker.signal(signal.SIGKILL)
    worker.wait()
    smtp.delay = 0

    with app.app_context():
        statuses = Counter(row.status for row in outbox_rows().values())
        assert statuses[SENT] >= 2 and statuses[SENDING] >= 1
        assert statuses[SENT] + statuses[SENDING] == 10
        # The dead worker's lease still runs: nobody may take its rows yet.
        assert deliver_due().claimed == 0
        assert expire_leases() == statuses[SENDING]

    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert f"reclaimed {statuses[SENDING]}" in result.output

    with app.app_context():
        rows = outbox_rows()
    assert {rows[i].status for i in ids} == {SENT}
    received = Counter(smtp.message_ids())
    assert set(received) == {rows[i].message_id for i in ids}, "a letter was lost"
    doubled = [message_id for message_id, count in received.items() if count > 1]
    assert len(doubled) <= 1 and max(received.values()) <= 2, received
    for message_id in doubled:
        # Only the one in hand can go twice, and it was one of the reclaimed rows.
        [row] = [row for row in rows.values() if row.message_id == message_id]
        assert row.last_error == LEASE_EXPIRED and row.attempts == 2


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_worker_stops_cleanly_after_the_letter_in_hand(
    app, smtp, start_worker, database_url, signum
):
    with app.app_context():
        ids = queue_letters(5)
    smtp.delay = 0.5
    worker = start_worker(database_url, smtp.port, OUTBOX_BATCH_SIZE=10)
    smtp.wait_for(1)
    worker.signal(signum)  # while the server is still thinking about the first letter
    assert worker.wait(timeout=10) == 0
    assert "worker stopped: sent 1," in worker.output()

    with app.app_context():
        rows = outbox_rows()
    assert smtp.message_ids() == [rows[ids[0]].message_id]
    assert rows[ids[0]].status == SENT
    for letter_id in ids[1:]:
        row = rows[letter_id]
        assert (row.status, row.attempts, row.lease_until) == (QUEUED, 0, None)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_workers_on_postgresql_deliver_each_letter_exactly_once(
    app, smtp, start_worker, database_url
):
    smtp.delay = 0.003
    workers = [start_worker(database_url, smtp.port, OUTBOX_BATCH_SIZE=10) for _ in range(3)]
    for worker in workers:
        worker.wait_started()  # all three are polling when the letters land
    with app.app_context():
        ids = queue_letters(300)
    smtp.wait_for(300, timeout=60)
    time.sleep(0.2)  # room for a duplicate to show up, if there were one
    assert [worker.stop() for worker in workers] == [0, 0, 0]

    with app.app_context():
        rows = outbox_rows()
    received = Counter(smtp.message_ids())
    assert received == Counter(rows[i].message_id for i in ids)
    assert {rows[i].status for i in ids} == {SENT}
    shares = [worker.sent_count() for worker in workers]
    assert sum(shares) == 300
    assert sum(1 for share in shares if share) >= 2, f"no sharing happened: {shares}"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_second_worker_on_sqlite_is_refused(app, start_worker, database_url):
    first = start_worker(database_url).wait_started()

    second = start_worker(database_url)
    assert second.wait() == 1
    message = f"another outbox worker (pid {first.pid}) is already delivering from this SQLite"
    assert message in second.output()
    refused = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert refused.exit_code == 1 and message in refused.output

    assert first.stop() == 0
    allowed = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert allowed.exit_code == 0, allowed.output


def test_dev_mailbox_worker_delivers_within_two_seconds(app, smtp, start_worker, database_url):
    # As `make run` starts it: no MAIL_SERVER, the default one-second poll.
    worker = start_worker(database_url, OUTBOX_POLL_SECONDS=1).wait_started()
    with app.app_context():
        [letter_id] = queue_letters(1)
        queued_at = outbox_rows()[letter_id].created_at
        row = wait_until(lambda: (r := outbox_rows()[letter_id]).status == SENT and r, 5)
    assert (row.sent_at - queued_at).total_seconds() < 2
    assert worker.stop() == 0
    assert smtp.received == []
    assert "delivering to the dev mailbox (/dev/mail)" in worker.output()
    assert "<td>Sent</td>" in app.test_client().get("/dev/mail").text
