"""How a letter leaves: over SMTP through Flask-Mail, or into the dev mailbox.

Failures are sorted here, once: a 4xx reply, a refused or dropped connection or a
timeout is temporary (try again later); a 5xx reply or a letter that cannot be
encoded is permanent (the row dies and waits for an operator).
"""

from __future__ import annotations

import smtplib

from flask import Flask
from flask_mail import BadHeaderError, Connection, Message

from portal.letters import sender
from portal.outbox.claims import Letter


class DeliveryFailed(Exception):
    """This letter did not leave. ``connection_lost``: the next one needs a new connection."""

    def __init__(self, reason: str, *, permanent: bool, connection_lost: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.connection_lost = connection_lost


class ConnectFailed(DeliveryFailed):
    """No connection at all: every letter of the batch failed for the same reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=False, connection_lost=True)


class DevMailbox:
    """With MAIL_SERVER empty in development the outbox itself is the mailbox
    (/dev/mail shows it): delivering means only marking the row sent."""

    def send(self, letter: Letter) -> None:
        pass

    def close(self) -> None:
        pass


class TimedConnection(Connection):
    """Flask-Mail's connection, opened with MAIL_TIMEOUT (Flask-Mail sets none, and a
    silent server would hold the worker, and its leases, forever).

    The SMTP dialogue is printed only when MAIL_DEBUG is set explicitly: Flask-Mail
    would print it whenever DEBUG is on, confirmation links included.
    """

    def __init__(self, mail, timeout: float, debug: int) -> None:
        super().__init__(mail)
        self.timeout = timeout
        self.debug = debug

    def configure_host(self) -> smtplib.SMTP:
        kind = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = kind(self.mail.server, self.mail.port, timeout=self.timeout)
        try:
            host.set_debuglevel(self.debug)
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host


class SMTPTransport:
    """One SMTP connection, opened on the first letter and reused for the batch.

    Flask-Mail's MAIL_SUPPRESS_SEND (on whenever TESTING is) is deliberately not
    honoured: a row is marked sent only when a server has accepted it.
    """

    def __init__(self, app: Flask) -> None:
        self.connection = TimedConnection(
            app.extensions["mail"], app.config["MAIL_TIMEOUT"], int(app.config.get("MAIL_DEBUG", 0))
        )

    def send(self, letter: Letter) -> None:
        if self.connection.host is None:
            try:
                self.connection.host = self.connection.configure_host()
            except Exception as error:
                raise ConnectFailed(describe(error)) from error
        try:
            self.connection.send(build_message(letter))
        except Exception as error:
            failure = classify(error)
            if failure.connection_lost:
                self.close()
            raise failure from error

    def close(self) -> None:
        host, self.connection.host = self.connection.host, None
        if host is None:
            return
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            host.close()


def open_transport(app: Flask) -> SMTPTransport | DevMailbox:
    if app.config.get("MAIL_SERVER"):
        return SMTPTransport(app)
    if app.config.get("DEV_MAILBOX"):
        return DevMailbox()
    raise RuntimeError(
        "MAIL_SERVER is empty and DEV_MAILBOX is off: there is nowhere to deliver letters;"
        " set PORTAL_MAIL_SERVER"
    )


def build_message(letter: Letter) -> Message:
    message = Message(
        subject=letter.subject,
        recipients=[letter.recipient],
        body=letter.body_text,
        html=letter.body_html,
        extra_headers={
            "Content-Language": letter.locale,
            # RFC 3834: vacation responders should not answer a robot.
            "Auto-Submitted": "auto-generated",
        },
    )
    # A (name, address) pair, set after the constructor that would join it into one
    # string for Flask-Mail to split again (a comma in the name would break it): the
    # name is then encoded once (RFC 2047) however it is written.
    message.sender = sender(letter.locale)
    # Set when the row was queued, so a re-send can be recognised downstream.
    message.msgId = letter.message_id
    return message


def classify(error: Exception) -> DeliveryFailed:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (None, b""))
        return _reply(code, text)
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error.smtp_code, error.smtp_error)
    if isinstance(error, BadHeaderError | smtplib.SMTPNotSupportedError | UnicodeError):
        return DeliveryFailed(describe(error), permanent=True, connection_lost=False)
    # Dropped connections, timeouts and anything unforeseen: the session's state is
    # unknown, so start a new one and try the letter again later.
    return DeliveryFailed(describe(error), permanent=False, connection_lost=True)


def _reply(code: int | None, text: bytes | str) -> DeliveryFailed:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    permanent = code is not None and 500 <= code < 600
    # 421: the server is closing the connection.
    return DeliveryFailed(
        f"{code} {text}".strip(), permanent=permanent, connection_lost=code in (None, 421)
    )


def describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error.smtp_code, error.smtp_error).reason
    if isinstance(error, TimeoutError):
        return f"timed out: {error}" if str(error) else "timed out"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
