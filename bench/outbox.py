"""Outbox throughput, measured (a benchmark, not a test).

Prints, for this machine:
- the ceiling: Flask-Mail alone sending the same letters over one connection;
- one ``flask outbox worker`` on SQLite and on PostgreSQL, and three on PostgreSQL,
  letters per second from the commit that queued them to the last one accepted;
- duplicates and losses, counted by Message-ID at the SMTP server;
- the cost of claiming a batch with no sent rows kept, and with 100,000.

The SMTP server is aiosmtpd in its own process, accepting without storing. The
PostgreSQL cluster is the test suite's throwaway one (tests/postgres.py), which runs
with fsync off: commits cost less than on a production server.

    .venv/bin/python bench/outbox.py [--letters 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text, update  # noqa: E402

from tests.postgres import PostgresCluster, free_port  # noqa: E402

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.MULTILINE | re.IGNORECASE)
KEPT_SENT_ROWS = 100_000


# The SMTP server, in its own process ------------------------------------------------


def smtp_sink(port: int, control) -> None:
    """Accept everything, keep only a count per Message-ID; answer the parent's questions."""
    from aiosmtpd.controller import Controller

    counts: dict[bytes, int] = {}
    total = [0]

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            match = MESSAGE_ID.search(envelope.content)
            key = match.group(1) if match else b"?"
            counts[key] = counts.get(key, 0) + 1
            total[0] += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    while True:
        command = control.recv()
        if command == "count":
            control.send((total[0], len(counts)))
        elif command == "reset":
            counts.clear()
            total[0] = 0
            control.send("ok")
        else:
            controller.stop()
            control.send("ok")
            return


class Sink:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.control, child = context.Pipe()
        self.process = context.Process(target=smtp_sink, args=(self.port, child), daemon=True)
        self.process.start()
        assert self.control.recv() == "ready"

    def ask(self, command: str):
        self.control.send(command)
        return self.control.recv()

    def wait_for(self, total: int, timeout: float = 300) -> float:
        deadline = time.monotonic() + timeout
        while self.ask("count")[0] < total:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {self.ask('count')[0]} of {total} letters arrived")
            time.sleep(0.02)
        return time.perf_counter()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(10)


# The portal's side ----------------------------------------------------------------


def make_app(url: str, port: int):
    from portal import create_app

    return create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_SUPPRESS_SEND": False,
        },
    )


def prepare_database(url: str, port: int):
    from flask_migrate import upgrade

    app = make_app(url, port)
    with app.app_context():
        upgrade()
    return app


def queue(app, count: int, before_commit=lambda: None) -> float:
    """Queue ``count`` rendered confirmation letters in one commit; returns its time."""
    from portal.extensions import db
    from portal.letters import enqueue_letter

    with app.app_context():
        db.session.execute(text("DELETE FROM outbox"))
        for number in range(count):
            enqueue_letter(
                "confirm",
                f"person{number}@example.com",
                "en",
                confirm_url=f"http://127.0.0.1:5000/register/confirm/token-{number}",
                valid_hours=24,
            )
        db.session.flush()
        before_commit()
        db.session.commit()
        return time.perf_counter()


@dataclass
class Run:
    rate: float  # letters per second, wall clock
    cpu_ms: float  # CPU milliseconds per letter in the sending process(es)
    received: int = 0
    distinct: int = 0


def process_cpu(pid: int) -> float:
    """CPU seconds used so far by a process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ceiling(app, sink: Sink, count: int) -> Run:
    """Flask-Mail alone: the same letters, one connection, nothing written back."""
    from sqlalchemy import select

    from portal.extensions import db, mail
    from portal.outbox.claims import LETTER_COLUMNS, Letter
    from portal.outbox.transport import build_message

    queue(app, count)
    with app.app_context():
        letters = [Letter(*row) for row in db.session.execute(select(*LETTER_COLUMNS)).all()]
        sink.ask("reset")
        cpu = time.process_time()
        started = time.perf_counter()
        with mail.connect() as connection:
            for letter in letters:
                connection.send(build_message(letter))
        cpu = time.process_time() - cpu
        finished = sink.wait_for(count)
    return Run(count / (finished - started), cpu / count * 1000)


def workers(app, url: str, sink: Sink, count: int, how_many: int) -> Run:
    """``how_many`` worker processes draining ``count`` letters."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        FLASK_APP="portal",
        PORTAL_CONFIG="testing",
        PORTAL_SQLALCHEMY_DATABASE_URI=url,
        PORTAL_MAIL_SERVER="127.0.0.1",
        PORTAL_MAIL_PORT=str(sink.port),
        PORTAL_OUTBOX_POLL_SECONDS="0.05",
    )
    with app.app_context():
        from portal.extensions import db

        db.session.execute(text("DELETE FROM outbox"))
        db.session.commit()
    sink.ask("reset")
    logs = [tempfile.TemporaryFile() for _ in range(how_many)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "outbox", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        for process, log in zip(processes, logs, strict=True):
            while b"worker started" not in read(log):
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited at start: {read(log).decode()[-2000:]}")
                time.sleep(0.05)
        # CPU is counted from the commit on: not the idle polls while letters are rendered.
        cpu_before = []
        started = queue(
            app,
            count,
            lambda: cpu_before.append(sum(process_cpu(process.pid) for process in processes)),
        )
        finished = sink.wait_for(count)
        cpu = sum(process_cpu(process.pid) for process in processes) - cpu_before[0]
        time.sleep(0.3)  # a duplicate would arrive now
        received, distinct = sink.ask("count")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
    return Run(count / (finished - started), cpu / count * 1000, received, distinct)


def read(log) -> bytes:
    log.seek(0)
    return log.read()


def claim_cost(app, kept: int, repeats: int = 30) -> float:
    """Median milliseconds to claim a batch of 50 due letters beside ``kept`` sent ones."""
    from portal.extensions import db
    from portal.models import OutboxMessage
    from portal.models.outbox import QUEUED
    from portal.outbox.claims import claim_due

    with app.app_context():
        db.session.execute(text("DELETE FROM outbox"))
        db.session.commit()
        if kept:
            insert_sent_rows(kept)
        queue(app, 50)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            batch = claim_due(50, 120)
            timings.append(time.perf_counter() - started)
            assert len(batch.letters) == 50
            db.session.execute(
                update(OutboxMessage).values(status=QUEUED, lease_until=None)
                .where(OutboxMessage.status != "sent")
            )  # fmt: skip
            db.session.commit()
        return statistics.median(timings) * 1000


def claim_plan(app) -> str:
    """How the database finds due letters: it must read the index, not the table."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import OutboxMessage
    from portal.models.outbox import QUEUED
    from portal.models.types import utcnow

    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        query = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= utcnow())
            .order_by(OutboxMessage.next_attempt_at)
            .limit(50)
        )
        if postgresql:
            query = query.with_for_update(skip_locked=True)
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
        rows = [str(row[-1]).strip() for row in db.session.execute(text(explain + sql)).all()]
        db.session.rollback()
    return " / ".join(row.lstrip("-> ").split("  (cost")[0] for row in rows if "outbox" in row)


def insert_sent_rows(count: int) -> None:
    from portal.extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text(
                "INSERT INTO outbox (kind, recipient, locale, subject, body_text, body_html,"
                " message_id, status, attempts, next_attempt_at, created_at, sent_at)"
                " SELECT 'confirm', 'kept' || n || '@example.com', 'en', 's', 't', 'h',"
                " '<kept-' || n || '@bench>', 'sent', 1, now() - interval '1 day',"
                " now() - interval '1 day', now() - interval '1 day'"
                " FROM generate_series(1, :count) AS n"
            ),
            {"count": count},
        )
        db.session.commit()
        db.session.execute(text("ANALYZE outbox"))
    else:
        db.session.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)"
                " INSERT INTO outbox (kind, recipient, locale, subject, body_text, body_html,"
                " message_id, status, attempts, next_attempt_at, created_at, sent_at)"
                " SELECT 'confirm', 'kept' || i || '@example.com', 'en', 's', 't', 'h',"
                " '<kept-' || i || '@bench>', 'sent', 1, '2026-01-01 00:00:00.000000',"
                " '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000' FROM n"
            ),
            {"count": count},
        )
        db.session.execute(text("ANALYZE"))
    db.session.commit()


# Report ---------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or model
    return (
        f"{model}, {os.cpu_count()} cores; {platform.system()} {platform.release()};"
        f" Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"
    )


def dispose(app) -> None:
    from portal.extensions import db

    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=2000, help="letters per run")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each, medians shown")
    options = parser.parse_args()
    count = options.letters

    sink = Sink()
    cluster = PostgresCluster().start()
    folder = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    sqlite_url = f"sqlite:///{folder / 'bench.sqlite'}"
    postgres_url = cluster.create_database("outbox_bench")
    lite = prepare_database(sqlite_url, sink.port)
    pg = prepare_database(postgres_url, sink.port)
    try:
        with pg.app_context():
            from portal.extensions import db

            server = db.session.scalar(text("SHOW server_version"))
        print(f"machine: {machine()}; PostgreSQL {server} (fsync off)")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(
            f"{count} letters per run, {options.rounds} rounds: median rates, and the median"
            " of each round's ratio\n"
        )

        runs: dict[str, list[Run]] = {"ceiling": [], "sqlite": [], "one": [], "three": []}
        for _ in range(options.rounds):
            # Interleaved, so that a busy moment on the machine hits every figure alike.
            runs["ceiling"].append(ceiling(pg, sink, count))
            runs["sqlite"].append(workers(lite, sqlite_url, sink, count, 1))
            runs["one"].append(workers(pg, postgres_url, sink, count, 1))
            runs["three"].append(workers(pg, postgres_url, sink, count, 3))
        rate = {name: statistics.median(run.rate for run in done) for name, done in runs.items()}
        cpu = {name: statistics.median(run.cpu_ms for run in done) for name, done in runs.items()}

        def ratio(name: str, base: str) -> float:
            """Median of the ratios within each round: runs next to each other in time
            share the machine's mood (other people's jobs come and go)."""
            pairs = zip(runs[name], runs[base], strict=True)
            return statistics.median(run.rate / other.rate for run, other in pairs)

        def line(label: str, name: str, compared: str = "") -> None:
            rates = ", ".join(f"{run.rate:.0f}" for run in runs[name])
            print(
                f"{label:<43}{rate[name]:5.0f} letters/s  {compared:<16}"
                f"{cpu[name]:5.2f} ms CPU/letter  (runs: {rates})"
            )

        line("Flask-Mail alone, one connection (ceiling)", "ceiling")
        line("one worker, SQLite", "sqlite", f"{ratio('sqlite', 'ceiling'):.2f} x ceiling")
        line("one worker, PostgreSQL", "one", f"{ratio('one', 'ceiling'):.2f} x ceiling")
        line("three workers, PostgreSQL", "three", f"{ratio('three', 'one'):.2f} x one")
        checked = [run for name in ("sqlite", "one", "three") for run in runs[name]]
        print(
            f"worker runs: {sum(run.received for run in checked)} letters accepted at the server,"
            f" {sum(run.received - run.distinct for run in checked)} duplicates,"
            f" {sum(count - run.distinct for run in checked)} lost (by Message-ID)"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}\n")
        for name, app in (("SQLite", lite), ("PostgreSQL", pg)):
            empty = claim_cost(app, 0)
            full = claim_cost(app, KEPT_SENT_ROWS)
            print(
                f"claim of 50 on {name:<10}: {empty:5.2f} ms with no sent rows kept,"
                f" {full:5.2f} ms with {KEPT_SENT_ROWS:,}"
            )
            print(f"  plan: {claim_plan(app)}")
    finally:
        dispose(lite)
        dispose(pg)
        sink.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
