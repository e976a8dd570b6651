"""Load test (issue 12): N people at once walk the whole journey, again and again, for a
while. Run: ``make load`` (CONCURRENCY=100 DURATION=300), or
``.venv/bin/python bench/load.py --concurrency 100 --duration 300``.

By default it starts everything on this machine, loopback only: a throwaway PostgreSQL
cluster, ``gunicorn -w 2 wsgi:app``, one ``flask outbox worker`` and an SMTP sink
(aiosmtpd). The portal runs with production's costs (argon2id at OWASP's parameters, no
debug, real SMTP delivery), a fixed captcha text (CAPTCHA_FIXED_ANSWER, which production
refuses, so the configuration is development's with its conveniences turned off) and rate
limits raised out of the way (every simulated person comes from 127.0.0.1).

One journey: GET /register, step 1 with the captcha, the confirmation letter read from
the SMTP sink, the link, steps 2-4 (each page got, then posted), /account, sign out,
sign in. Printed at the end: journeys completed, errors by step and status, p50/p95 of
each step, and letters queued vs sent once the outbox has drained. Exit status 0 only
with no error and every letter sent.

``--url`` loads a portal that is already running (loopback only); it then needs
``--database-url`` (its PostgreSQL) to read the letters from the outbox table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from wizard_setup import PERSONAL, SECURITY  # noqa: E402

from tests.postgres import PostgresCluster, free_port  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CAPTCHA_ID = re.compile(r'name="captcha_id" type="hidden" value="([^"]*)"')
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/register/confirm/[^\s\"<]+)")
CAPTCHA_TEXT = "LOAD7"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# The same person as the wizard benchmark (one place to change when a step gains a field).
PASSWORD = SECURITY["password"]
# In the order a journey takes them; each is timed on its own.
STEPS = [
    "GET /register",
    "POST /register",
    "GET /register/sent",
    "letter delivered",
    "GET confirm link",
    "GET /register/personal",
    "POST /register/personal",
    "GET /register/security",
    "POST /register/security",
    "GET /register/refunds",
    "POST /register/refunds",
    "GET /account",
    "POST /logout",
    "GET /login",
    "POST /login",
]


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=100, help="people at once")
    parser.add_argument("--duration", type=float, default=300, help="seconds to start journeys")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--outbox-workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--letter-timeout", type=float, default=120, help="seconds per letter")
    parser.add_argument("--drain-timeout", type=float, default=120, help="outbox drain, at end")
    parser.add_argument("--url", help="an already running portal (loopback only)")
    parser.add_argument(
        "--database-url", help="PostgreSQL to use instead of a throwaway cluster (or --url's)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 1000:
        parser.error("--concurrency must be between 1 and 1000")
    if not 0 < args.duration <= 3600:
        parser.error("--duration must be between 0 and 3600 seconds")
    if args.url:
        if urlsplit(args.url).hostname not in LOOPBACK:
            parser.error("--url must be a loopback address: this script loads only this machine")
        if not args.database_url:
            parser.error("--url needs --database-url, to read the letters from the outbox")
    return args


# The mail: an SMTP sink, or the outbox table --------------------------------------


class Mailbox:
    """Letters as they arrive, by recipient; ``wait`` blocks until one comes."""

    def __init__(self) -> None:
        self.letters: dict[str, list[str]] = defaultdict(list)
        self.accepted = 0
        self.condition = threading.Condition()

    def deliver(self, recipients: list[str], text: str) -> None:
        with self.condition:
            self.accepted += 1
            for recipient in recipients:
                self.letters[recipient.lower()].append(text)
            self.condition.notify_all()

    def wait(self, recipient: str, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        with self.condition:
            while not self.letters.get(recipient):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.condition.wait(left)
            return self.letters[recipient][-1]


class SmtpSink:
    def __init__(self, mailbox: Mailbox) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = message_from_bytes(envelope.content, policy=policy.default)
                body = message.get_body(preferencelist=("plain",))
                mailbox.deliver(list(envelope.rcpt_tos), body.get_content() if body else "")
                return "250 2.0.0 Accepted"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


class OutboxReader:
    """For --url: the confirmation letter read from the outbox table."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.local = threading.local()

    def wait(self, recipient: str, timeout: float) -> str | None:
        if not hasattr(self.local, "connection"):
            self.local.connection = psycopg.connect(self.dsn, autocommit=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.local.connection.execute(
                "SELECT body_text FROM outbox WHERE recipient = %s AND kind = 'confirm'"
                " ORDER BY id DESC LIMIT 1",
                (recipient,),
            ).fetchone()
            if row:
                return row[0]
            time.sleep(0.2)
        return None


# The servers ----------------------------------------------------------------------


@dataclass
class Servers:
    url: str
    dsn: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    cleanups: list = field(default_factory=list)
    logs: Path | None = None

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for cleanup in reversed(self.cleanups):
            cleanup()


def portal_env(database_url: str, port: int, smtp_port: int, metrics_dir: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        FLASK_APP="portal",
        PORTAL_CONFIG="development",
        PORTAL_DEBUG="false",
        PORTAL_SECRET_KEY=secrets.token_urlsafe(48),
        PORTAL_SQLALCHEMY_DATABASE_URI=database_url,
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
        PORTAL_MAIL_SERVER="127.0.0.1",
        PORTAL_MAIL_PORT=str(smtp_port),
        PORTAL_DEV_MAILBOX="false",
        PORTAL_PSEUDO_LOCALE_ENABLED="false",
        PORTAL_CAPTCHA_FIXED_ANSWER=CAPTCHA_TEXT,
        PORTAL_REGISTER_RATE_LIMIT="100000 per minute",
        PORTAL_LOGIN_RATE_LIMIT="100000 per minute",
        PORTAL_LOGIN_ADDRESS_RATE_LIMIT="100000 per minute",
        PORTAL_RECOVER_RATE_LIMIT="100000 per minute",
        PORTAL_METRICS_ENABLED="true",
        PROMETHEUS_MULTIPROC_DIR=metrics_dir,
    )
    return env


def wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: see {log}\n{log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the portal did not answer within 60 s: see {log}")


def start_servers(args, mailbox: Mailbox) -> Servers:
    logs = Path(tempfile.mkdtemp(prefix="portal-load-"))
    servers = Servers(url="", dsn="", logs=logs)
    try:
        if args.database_url:
            database_url = args.database_url
        else:
            cluster = PostgresCluster(database="portal_load").start()
            servers.cleanups.append(cluster.stop)
            database_url = cluster.url()
        servers.dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
        sink = SmtpSink(mailbox)
        servers.cleanups.append(sink.stop)
        metrics_dir = logs / "prometheus"
        metrics_dir.mkdir()
        port = free_port()
        env = portal_env(database_url, port, sink.port, str(metrics_dir))
        subprocess.run(
            [str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
            capture_output=True,
        )  # fmt: skip
        log = logs / "gunicorn.log"
        servers.processes.append(
            subprocess.Popen(
                [str(BIN / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                 "--backlog", "2048", "--error-logfile", str(log), "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        for number in range(args.outbox_workers):
            with open(logs / f"outbox-{number}.log", "wb") as outbox_log:
                servers.processes.append(
                    subprocess.Popen(
                        [str(BIN / "flask"), "outbox", "worker"],
                        cwd=ROOT, env=env, stdout=outbox_log, stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip
        servers.url = f"http://127.0.0.1:{port}"
        wait_until_up(servers.url, servers.processes[0], log)
    except BaseException:
        servers.stop()
        raise
    return servers


# One person -----------------------------------------------------------------------


class JourneyFailed(Exception):
    def __init__(self, step: str, what: str) -> None:
        super().__init__(f"{step}: {what}")
        self.step, self.what = step, what


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    completed: int = 0
    started: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def time(self, step: str, seconds: float) -> None:
        with self.lock:
            self.timings[step].append(seconds)

    def fail(self, failure: JourneyFailed, detail: str = "") -> None:
        key = f"{failure.step}: {failure.what}"
        with self.lock:
            self.errors[key] += 1
            self.examples.setdefault(key, detail[:600])


class Person:
    def __init__(self, base: str, email: str, mail, results: Results, args) -> None:
        self.base, self.email, self.mail, self.results = base, email, mail, results
        self.timeout, self.letter_timeout = args.timeout, args.letter_timeout
        self.session = requests.Session()

    def call(self, step: str, method: str, path: str, expect: int, to: str = "", **form):
        began = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, data=form or None, allow_redirects=False,
                timeout=self.timeout,
            )  # fmt: skip
        except requests.RequestException as error:
            raise JourneyFailed(step, type(error).__name__) from error
        self.results.time(step, time.perf_counter() - began)
        where = response.headers.get("Location", "")
        if response.status_code != expect or (to and urlsplit(where).path != to):
            what = f"{response.status_code}" + (f" to {urlsplit(where).path}" if where else "")
            failure = JourneyFailed(step, what)
            self.results.fail(failure, response.text)
            raise failure
        return response.text

    def page(self, path: str, step: str | None = None) -> str:
        return self.call(step or f"GET {path}", "GET", path, 200)

    def walk(self) -> None:
        html = self.page("/register")
        step1 = {"csrf_token": token(html, CSRF), "captcha_id": token(html, CAPTCHA_ID)}
        self.call("POST /register", "POST", "/register", 302, "/register/sent",
                  email=self.email, captcha=CAPTCHA_TEXT, submit="1", **step1)  # fmt: skip
        self.page("/register/sent")
        began = time.perf_counter()
        letter = self.mail.wait(self.email, self.letter_timeout)
        link = CONFIRM_LINK.search(letter or "")
        if not link:
            failure = JourneyFailed("letter delivered", "no letter" if not letter else "no link")
            self.results.fail(failure)
            raise failure
        self.results.time("letter delivered", time.perf_counter() - began)
        self.call("GET confirm link", "GET", link.group(1), 302, "/register/personal")
        html = self.page("/register/personal")
        self.call("POST /register/personal", "POST", "/register/personal", 302,
                  "/register/security", csrf_token=token(html, CSRF), submit="1",
                  **PERSONAL)  # fmt: skip
        html = self.page("/register/security")
        self.call("POST /register/security", "POST", "/register/security", 302,
                  "/register/refunds", csrf_token=token(html, CSRF), submit="1",
                  **SECURITY)  # fmt: skip
        html = self.page("/register/refunds")
        self.call("POST /register/refunds", "POST", "/register/refunds", 302, "/account",
                  csrf_token=token(html, CSRF), refund_to_wallet="y", consent_personal_data="y",
                  submit="1")  # fmt: skip
        html = self.page("/account")
        self.call("POST /logout", "POST", "/logout", 302, "/", csrf_token=token(html, CSRF))
        html = self.page("/login")
        self.call("POST /login", "POST", "/login", 302, "/account", csrf_token=token(html, CSRF),
                  email=self.email, password=PASSWORD, submit="1")  # fmt: skip


def token(html: str, pattern: re.Pattern) -> str:
    match = pattern.search(html)
    return unescape(match.group(1)) if match else ""


def person_loop(number: int, base: str, mail, results: Results, deadline: float, args, run: str):
    journey = 0
    while time.monotonic() < deadline:
        email = f"load.{run}.{number}.{journey}@example.com"
        journey += 1
        with results.lock:
            results.started += 1
        try:
            Person(base, email, mail, results, args).walk()
        except JourneyFailed:
            time.sleep(0.5)  # a failing server is not hammered in a tight loop
            continue
        with results.lock:
            results.completed += 1


# The end: letters and the report ---------------------------------------------------


def outbox_counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    return dict(rows)


def drain(dsn: str, timeout: float) -> dict[str, int]:
    """Wait until no letter is queued or being sent (or the timeout); the counts then."""
    deadline = time.monotonic() + timeout
    while True:
        counts = outbox_counts(dsn)
        waiting = counts.get("queued", 0) + counts.get("sending", 0)
        if not waiting or time.monotonic() > deadline:
            return counts
        time.sleep(0.5)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)
    return ordered[index]


def report(args, results: Results, elapsed: float, counts: dict, accepted: int | None) -> str:
    queued = sum(counts.values())
    sent = counts.get("sent", 0)
    lines = [
        f"Load: {args.concurrency} people at once for {args.duration:g} s on gunicorn"
        f" -w {args.workers} (PostgreSQL, {args.outbox_workers} outbox worker(s));"
        f" {os.cpu_count()} cores, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}",
        f"Journeys completed: {results.completed} of {results.started} started"
        f" in {elapsed:.0f} s ({results.completed / elapsed * 60:.1f} per minute)",
        "Errors: "
        + (
            ", ".join(f"{key} × {count}" for key, count in results.errors.most_common())
            if results.errors
            else "none"
        ),
        f"Letters: {queued} queued, {sent} sent"
        + (f" (the SMTP sink accepted {accepted})" if accepted is not None else "")
        + f", {counts.get('queued', 0) + counts.get('sending', 0)} still waiting,"
        f" {counts.get('dead', 0)} dead",
        "",
        "| Step | Count | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in STEPS:
        values = results.timings.get(step)
        if values:
            lines.append(
                f"| {step} | {len(values)} | {statistics.median(values) * 1000:.0f}"
                f" | {percentile(values, 0.95) * 1000:.0f} | {max(values) * 1000:.0f} |"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mailbox = Mailbox()
    servers = None
    if args.url:
        base, dsn, mail = args.url.rstrip("/"), args.database_url, None
        dsn = dsn.replace("postgresql+psycopg://", "postgresql://")
        mail = OutboxReader(dsn)
    else:
        if not shutil.which("gunicorn", path=str(BIN)):
            raise SystemExit("load: gunicorn is missing from the virtual environment")
        say("starting PostgreSQL, gunicorn, the outbox worker and an SMTP sink")
        servers = start_servers(args, mailbox)
        base, dsn, mail = servers.url, servers.dsn, mailbox
    try:
        results = Results()
        run = secrets.token_hex(3)
        say(f"{args.concurrency} people at once for {args.duration:g} s against {base}")
        started = time.monotonic()
        deadline = started + args.duration
        threads = [
            threading.Thread(
                target=person_loop,
                args=(n, base, mail, results, deadline, args, run),
                daemon=True,
            )
            for n in range(args.concurrency)
        ]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            time.sleep(min(10, args.duration / 4 + 0.1))
            with results.lock:
                say(
                    f"  {time.monotonic() - started:.0f} s: {results.completed} journeys done,"
                    f" {sum(results.errors.values())} errors"
                )
        elapsed = time.monotonic() - started
        counts = drain(dsn, args.drain_timeout)
        accepted = mailbox.accepted if servers else None
        text = report(args, results, elapsed, counts, accepted)
    finally:
        if servers:
            servers.stop()
    print()
    print(text)
    for key, example in results.examples.items():
        if example:
            print(f"\nFirst response for {key}:\n{example}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "completed": results.completed,
                    "started": results.started,
                    "errors": dict(results.errors),
                    "outbox": counts,
                    "timings": {k: sorted(v) for k, v in results.timings.items()},
                },
                indent=1,
            )
        )
    waiting = counts.get("queued", 0) + counts.get("sending", 0) + counts.get("dead", 0)
    lost = accepted is not None and accepted < counts.get("sent", 0)
    ok = not results.errors and not waiting and not lost and results.completed > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
