"""A real SMTP server on loopback for the tests (aiosmtpd, in a thread of the test
process), which records what it accepts and can be told to misbehave: answer 4xx or
5xx, drop the connection, or take its time before saying 250."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.postgres import free_port


@dataclass
class Received:
    """One accepted letter, as a mail program would read it."""

    message_id: str
    recipients: list[str]
    message: EmailMessage
    peer: tuple

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return body.get_content()


@dataclass
class RecordingHandler:
    """What the server does; tests change these fields between deliveries."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    # The next N letters are refused at DATA with this temporary reply.
    temporary_failures: int = 0
    temporary_reply: str = "451 4.3.0 Mailbox busy, try again later"
    # Every letter is refused with this permanent reply, at RCPT or at DATA.
    permanent_reply: str | None = None
    permanent_at: str = "data"
    # The next N letters get their connection closed instead of a reply.
    drops: int = 0
    # Seconds between recording a letter and answering 250 for it.
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.permanent_reply and self.permanent_at == "rcpt":
            return self.permanent_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.drops:
                self.drops -= 1
                server.transport.close()
                return "421 4.4.2 Connection dropped"
            if self.temporary_failures:
                self.temporary_failures -= 1
                return self.temporary_reply
            if self.permanent_reply:
                return self.permanent_reply
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.received.append(
                Received(str(message["Message-ID"]), list(envelope.rcpt_tos), message, session.peer)
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Accepted"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [letter.message_id for letter in self.received]

    def peers(self) -> set[tuple]:
        """The client ends (address, port) that letters came from: one per connection."""
        with self.lock:
            return {letter.peer for letter in self.received}

    def wait_for(self, count: int, timeout: float = 20.0) -> list[str]:
        """Wait until ``count`` letters were accepted; returns their Message-IDs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ids = self.message_ids()
            if len(ids) >= count:
                return ids
            time.sleep(0.01)
        raise AssertionError(f"the server accepted {len(self.message_ids())}, not {count}")


@pytest.fixture(name="smtp")
def smtp_fixture():
    """A recording SMTP server on a free loopback port (``.port``), stopped after the test."""
    handler = RecordingHandler(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture(name="closed_port")
def closed_port_fixture() -> int:
    """A loopback port nobody listens on: connecting is refused."""
    return free_port()
