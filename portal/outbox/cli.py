"""``flask outbox ...``: deliver letters, and let an operator see and fix stuck ones."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.outbox import DEAD, QUEUED, SENDING, SENT, STATUSES, OutboxMessage
from portal.outbox.claims import requeue_dead
from portal.outbox.delivery import deliver_all_due
from portal.outbox.locking import WorkerAlreadyRunning, single_worker
from portal.outbox.transport import open_transport
from portal.outbox.worker import run_worker, stop_on_signals
from portal.register.reminders import remind_unconfirmed
from portal.security import JsonFormatter

outbox = AppGroup("outbox", help="Deliver the letters in the outbox; list and retry stuck ones.")
log = logging.getLogger("portal.outbox")
ERROR_WIDTH = 60


@outbox.command("send")
def send_command() -> None:
    """Deliver the letters that are due now, then exit."""
    destination = prepare()
    with delivering(), stop_on_signals() as stop:
        report = deliver_all_due(stop)
    click.echo(f"outbox send, to {destination}: {report}")


@outbox.command("worker")
def worker_command() -> None:
    """Keep delivering letters as they fall due; SIGTERM or Ctrl-C stops it cleanly."""
    destination = prepare()
    config = current_app.config
    with delivering(), stop_on_signals() as stop:
        log.info(
            "worker started: pid %d, delivering to %s, every %ss, %d letters a batch",
            os.getpid(),
            destination,
            config["OUTBOX_POLL_SECONDS"],
            config["OUTBOX_BATCH_SIZE"],
        )
        total = run_worker(stop)
    log.info("worker stopped: %s", total)


@outbox.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only letters in this state.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
def list_command(status: str | None, limit: int) -> None:
    """Show letters by status: attempts, when sent or next tried, and the last error."""
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    click.echo("  ".join(f"{name}: {counts.get(name, 0)}" for name in STATUSES))
    query = select(
        OutboxMessage.id,
        OutboxMessage.status,
        OutboxMessage.attempts,
        OutboxMessage.kind,
        OutboxMessage.recipient,
        OutboxMessage.created_at,
        OutboxMessage.sent_at,
        OutboxMessage.next_attempt_at,
        OutboxMessage.lease_until,
        OutboxMessage.last_error,
    ).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = db.session.execute(query.limit(limit)).all()
    if not rows:
        click.echo("no letters" + (f" with status {status}" if status else ""))
        return
    header = (
        "ID",
        "STATUS",
        "TRIES",
        "KIND",
        "TO",
        "QUEUED (UTC)",
        "SENT/NEXT (UTC)",
        "LAST ERROR",
    )
    table = [header, *(list_row(row) for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(header) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        click.echo("  ".join([*cells, line[-1]]).rstrip())


def list_row(row) -> tuple[str, ...]:
    when = {
        SENT: stamp(row.sent_at),
        QUEUED: stamp(row.next_attempt_at),
        SENDING: f"lease to {stamp(row.lease_until)}",
        DEAD: "-",
    }[row.status]
    error = " ".join((row.last_error or "").split())
    if len(error) > ERROR_WIDTH:
        error = error[: ERROR_WIDTH - 1] + "…"
    return (
        str(row.id),
        row.status,
        str(row.attempts),
        row.kind,
        row.recipient,
        stamp(row.created_at),
        when,
        error or "-",
    )


def stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int, required=True)
def retry_command(ids: tuple[int, ...]) -> None:
    """Queue dead letters again, with a fresh set of attempts."""
    refused = False
    for letter_id in ids:
        if requeue_dead(letter_id):
            click.echo(f"letter #{letter_id} queued again")
            continue
        refused = True
        letter = db.session.get(OutboxMessage, letter_id)
        if letter is None:
            click.echo(f"no letter #{letter_id}", err=True)
        else:
            click.echo(
                f"letter #{letter_id} is {letter.status}, not dead: only dead letters are retried",
                err=True,
            )
    if refused:
        sys.exit(1)


@outbox.command("remind")
def remind_command() -> None:
    """Send the confirmation letter again, once, to drafts left unconfirmed too long."""
    count = remind_unconfirmed()
    click.echo(f"queued {count} reminder{'s' if count != 1 else ''}")


class StderrHandler(logging.Handler):
    """Writes to whatever sys.stderr is at the time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def prepare() -> str:
    """Log to stderr, and say where letters go; refuse a configuration with nowhere."""
    if not any(isinstance(handler, StderrHandler) for handler in log.handlers):
        handler = StderrHandler()
        handler.setFormatter(
            JsonFormatter()
            if current_app.config.get("LOG_FORMAT") == "json"
            else logging.Formatter("%(asctime)s outbox: %(message)s")
        )
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    config = current_app.config
    try:
        open_transport(current_app)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    if config.get("MAIL_SERVER"):
        return f"SMTP {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return "the dev mailbox (/dev/mail)"


@contextmanager
def delivering() -> Iterator[None]:
    """Hold the single-worker lock (SQLite), or stop with its one-line reason."""
    with ExitStack() as stack:
        try:
            stack.enter_context(single_worker())
        except WorkerAlreadyRunning as error:
            raise click.ClickException(str(error)) from None
        yield
