"""What bench/wizard.py stands on: PostgreSQL, gunicorn servers, a small browser that
walks the wizard, wrk, and the 100,000 rows of each kind for the growth check."""

from __future__ import annotations

import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from argon2 import PasswordHasher, Type
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.postgres import PostgresCluster, free_port  # noqa: E402

LUA_SCRIPT = BENCH / "requests.lua"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CAPTCHA_ID = re.compile(r'name="captcha_id" type="hidden" value="([^"]*)"')
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/register/confirm/\S+)")
CAPTCHA_ALPHABET = "ACEFGHJKMNPRTUVWXY34679"
# OWASP's argon2id parameters, the portal's production defaults.
OWASP_ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}

PERSONAL = {
    "first_name": "Jean",
    "last_name": "Dupont",
    "birth_date": "1990-05-17",
    "citizenship": "FR",
    "document_type": "passport",
    "document_number": "18AB12345",
    "country": "FR",
    "region": "Île-de-France",
    "city": "Paris",
    "street": "12 rue de la Paix",
    "postal_code": "75002",
    "phone": "06 12 34 56 78",
}
SECURITY = {
    "password": "velvet-otter-lantern-92",
    "password_confirm": "velvet-otter-lantern-92",
    "question_1": "first_pet",
    "answer_1": "Rex",
    "question_2": "parents_met",
    "answer_2": "Saint-Étienne",
}


def naive_utc(moment: datetime) -> datetime:
    """The portal stores naive UTC (see portal.models.types)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    wrk_version = (wrk.stdout or wrk.stderr).split("Copyright")[0].strip()
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "load_average": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "python": platform.python_version(),
        "wrk": wrk_version,
    }


# PostgreSQL -----------------------------------------------------------------------


class Database:
    def __init__(self, cluster: PostgresCluster, name: str) -> None:
        self.name = name
        self.url = cluster.url(name) if name == cluster.database else cluster.create_database(name)
        self.dsn = self.url.replace("postgresql+psycopg://", "postgresql://")

    def connect(self, **options) -> psycopg.Connection:
        return psycopg.connect(self.dsn, **options)

    def scalar(self, query: str, *params):
        with self.connect() as connection:
            row = connection.execute(query, params).fetchone()
            return row[0] if row else None

    def migrate(self, env: dict[str, str]) -> None:
        """``flask db upgrade``, as an operator would run it."""
        run_env = {**env, "PORTAL_SQLALCHEMY_DATABASE_URI": self.url, "FLASK_APP": "portal"}
        subprocess.run(
            [str(BIN / "flask"), "db", "upgrade"],
            cwd=ROOT,
            env=run_env,
            check=True,
            capture_output=True,
        )

    def vacuum_analyze(self) -> None:
        with self.connect(autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")

    def table_scans(self, tables=("drafts", "accounts", "outbox")) -> dict[str, tuple[int, int]]:
        """(sequential scans, index scans) per table, from PostgreSQL's statistics, once the
        servers' connections have gone (a backend publishes its counts as it exits)."""
        others = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        with self.connect(autocommit=True) as connection:
            deadline = time.monotonic() + 30
            while connection.execute(others).fetchone()[0] and time.monotonic() < deadline:
                time.sleep(0.2)
            rows = connection.execute(
                "SELECT relname, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables"
                " WHERE relname = ANY(%s)",
                (list(tables),),
            ).fetchall()
        return {name: (seq, idx) for name, seq, idx in rows}

    def add_captchas(self, count: int) -> list[tuple[str, str]]:
        """Challenges the bench can answer: (id, answer), valid for ten minutes."""
        now = datetime.now(UTC)
        rows = [
            (
                secrets.token_urlsafe(24),
                "".join(random.choice(CAPTCHA_ALPHABET) for _ in range(5)),
                naive_utc(now),
                naive_utc(now + timedelta(minutes=10)),
                0,
            )
            for _ in range(count)
        ]
        with self.connect() as connection, connection.cursor() as cursor:
            with cursor.copy(
                "COPY captcha_challenges (id, answer, created_at, expires_at, tries) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        return [(row[0], row[1]) for row in rows]


# Servers --------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def portal_env(database: Database) -> dict[str, str]:
    """The production configuration, on this database, rate limits off."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        PORTAL_CONFIG="production",
        PORTAL_SECRET_KEY=secrets.token_urlsafe(48),
        PORTAL_BASE_URL="https://wallet.example",
        PORTAL_SQLALCHEMY_DATABASE_URI=database.url,
        PORTAL_RATELIMIT_ENABLED="false",
        # Production refuses to start without its own keys for identity documents.
        PORTAL_DOCUMENT_KEYS=Fernet.generate_key().decode(),
    )
    return env


def start_gunicorn(
    name: str,
    app: str,
    env: dict[str, str],
    logs: Path,
    cwd: Path = ROOT,
    gunicorn: Path = BIN / "gunicorn",
    health: str | None = None,
):
    """``gunicorn -w 2`` serving ``app``, once ``health`` (default: /healthz for the
    portal, / otherwise) answers 200."""
    health = health or ("/healthz" if "wsgi" in app else "/")
    port = free_port()
    log = logs / f"{name}.log"
    process = subprocess.Popen(
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--error-logfile", str(log)]
        + app.split(),
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    server = Server(name, port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} did not start: see {log}\n{log.read_text()[-2000:]}")
        try:
            status = Browser(port).get(health)[0]
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer within 60 s: see {log}")


# A browser ------------------------------------------------------------------------


@dataclass
class Browser:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if not value or "Max-Age=0" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers, text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict):
        return self.request("POST", path, form)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def expect(response, status: int, location: str | None = None):
    code, headers, text = response
    where = headers.get("Location", "")
    if code != status or (location and not where.endswith(location)):
        raise RuntimeError(f"expected {status} {location or ''}, got {code} {where}\n{text[:500]}")
    return text


def hidden(html: str, pattern: re.Pattern) -> str:
    match = pattern.search(html)
    if not match:
        raise RuntimeError(f"no {pattern.pattern!r} in the page")
    return unescape(match.group(1))


@dataclass
class Visitor:
    """A browser's session cookie and the CSRF token its forms carry."""

    cookie: str
    csrf: str
    email: str = ""


def fresh_visitor(server: Server) -> Visitor:
    """Someone who has opened /register: a session with a CSRF token, no draft."""
    browser = Browser(server.port)
    html = expect(browser.get("/register"), 200)
    return Visitor(browser.cookie_header(), hidden(html, CSRF))


def start_floor(database: Database, logs: Path) -> Server:
    """bench/step3_floor.py on ``database``: step 3 with only what any implementation does."""
    env = {
        **portal_env(database),
        "FLOOR_DB_URL": database.url,
        "FLOOR_SECRET_KEY": secrets.token_urlsafe(32),
    }
    return start_gunicorn("floor", "--preload step3_floor:app", env, logs, cwd=BENCH, health="/")


def floor_visitor(floor: Server) -> Visitor:
    """A session of the floor app's, naming a row of its own, and its CSRF token."""
    browser = Browser(floor.port)
    html = expect(browser.get("/"), 200)
    return Visitor(browser.cookie_header(), hidden(html, CSRF))


def wizard_visitor(server: Server, database: Database, email: str) -> Visitor:
    """Walk the real wizard through step 3: letter, confirmation link, steps 2 and 3."""
    browser = Browser(server.port)
    html = expect(browser.get("/register"), 200)
    csrf, captcha_id = hidden(html, CSRF), hidden(html, CAPTCHA_ID)
    answer = database.scalar("SELECT answer FROM captcha_challenges WHERE id = %s", captcha_id)
    form = {"csrf_token": csrf, "captcha_id": captcha_id, "email": email, "captcha": answer}
    expect(browser.post("/register", {**form, "submit": "1"}), 302, "/register/sent")
    letter = database.scalar(
        "SELECT body_text FROM outbox WHERE recipient = %s AND kind = 'confirm'"
        " ORDER BY id DESC LIMIT 1",
        email,
    )
    link = CONFIRM_LINK.search(letter or "")
    if not link:
        raise RuntimeError(f"no confirmation link in the letter to {email}")
    expect(browser.get(link.group(1)), 302, "/register/personal")
    html = expect(browser.get("/register/personal"), 200)
    personal = {"csrf_token": hidden(html, CSRF), **PERSONAL, "submit": "1"}
    expect(browser.post("/register/personal", personal), 302, "/register/security")
    html = expect(browser.get("/register/security"), 200)
    csrf = hidden(html, CSRF)
    security = {"csrf_token": csrf, **SECURITY, "submit": "1"}
    expect(browser.post("/register/security", security), 302, "/register/refunds")
    expect(browser.get("/register/refunds"), 200)
    return Visitor(browser.cookie_header(), csrf, email)


# wrk ------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    errors: dict[str, int]
    latency_ms: dict[str, float]

    def rate(self, status: int) -> float:
        return self.statuses.get(status, 0) / self.seconds

    def unexpected(self, status: int) -> int:
        socket_errors = sum(self.errors.values())
        return self.requests - self.statuses.get(status, 0) + socket_errors


def wrk(
    server: Server,
    method: str,
    path: str,
    lines: list[tuple[str, str]],
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> WrkResult:
    """Load ``path`` for ``seconds``; ``lines`` are (cookie, form body) pairs to cycle."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requests_file:
        for cookie, body in lines:
            requests_file.write(f"{cookie}\t{body}\n")
    try:
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA_SCRIPT),
            server.url,
            "--",
            method,
            path,
            requests_file.name,
            str(threads),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        os.unlink(requests_file.name)
    for line in result.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            data = json.loads(line.removeprefix("WRK_JSON "))
            return WrkResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                statuses={int(code): count for code, count in data["statuses"].items()},
                errors=data["errors"],
                latency_ms={name: value / 1000 for name, value in data["latency_us"].items()},
            )
    raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")


def step1_bodies(visitor: Visitor, captchas, tag: str) -> list[tuple[str, str]]:
    """One POST /register per captcha, each for a new address."""
    return [
        (
            visitor.cookie,
            urlencode(
                {
                    "csrf_token": visitor.csrf,
                    "captcha_id": challenge_id,
                    "email": f"bench.{tag}.{number}@example.com",
                    "captcha": answer,
                    "submit": "1",
                }
            ),
        )
        for number, (challenge_id, answer) in enumerate(captchas)
    ]


def step3_bodies(visitors: list[Visitor]) -> list[tuple[str, str]]:
    return [
        (visitor.cookie, urlencode({"csrf_token": visitor.csrf, **SECURITY, "submit": "1"}))
        for visitor in visitors
    ]


# argon2id alone ---------------------------------------------------------------------


def step3_hashes(seconds: float) -> tuple[int, float]:
    """Step 3's three hashes (password, two answers), as many times as fit in ``seconds``."""
    hasher = PasswordHasher(**OWASP_ARGON2, type=Type.ID)
    secrets_hashed = (SECURITY["password"], "rex", "saint-étienne")
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for secret in secrets_hashed:
            hasher.hash(secret)
        done += 1
    return done, time.perf_counter() - start


def step3_hash_times(seconds: float) -> list[float]:
    """Seconds taken by each set of three hashes, one after another."""
    hasher = PasswordHasher(**OWASP_ARGON2, type=Type.ID)
    secrets_hashed = (SECURITY["password"], "rex", "saint-étienne")
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        began = time.perf_counter()
        for secret in secrets_hashed:
            hasher.hash(secret)
        times.append(time.perf_counter() - began)
    return times


# 100,000 of each ------------------------------------------------------------------

FIRST_NAMES = ["Jean", "Marie", "Анна", "Иван", "Léa", "Hugo", "Ольга", "Sophie", "Dmitri", "Zoé"]
LAST_NAMES = ["Dupont", "Martin", "Иванова", "Петров", "Lefèvre", "Moreau", "Смирнов", "Bernard"]
CITIES = [("FR", "Paris", "75002"), ("RU", "Москва", "101000"), ("FR", "Lyon", "69001")]
QUESTIONS = ["first_pet", "childhood_street", "first_teacher", "parents_met", "first_job"]


def letter_bodies(number: int, link: str) -> tuple[str, str]:
    text = (
        f"Hello,\n\nSomeone (we hope you) asked to open a wallet with this address.\n"
        f"To confirm the address and continue, open this link within 24 hours:\n\n{link}\n\n"
        "If you did not ask for it, ignore this letter: nothing happens without the link.\n\n"
        "Why doesn't the letter arrive? https://wallet.example/help/email\n"
        f"Support: support@wallet.example\n-- \nWallet · letter {number}\n"
    )
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Confirm</title>'
        '</head><body style="font-family: sans-serif; line-height: 1.5">'
        + "".join(f"<p>{paragraph}</p>" for paragraph in text.split("\n\n"))
        + f'<p><a href="{link}" style="display: inline-block; padding: 12px 20px">'
        "Confirm my address</a></p></body></html>"
    )
    return text, html


def seed(database: Database, count: int, letters: int | None = None) -> dict[str, float]:
    """``count`` accounts and drafts and ``letters`` letters (default ``count``), as a
    portal in service would keep them."""
    letters = count if letters is None else letters
    rng = random.Random(7)
    hasher = PasswordHasher(**OWASP_ARGON2, type=Type.ID)
    hashes = [hasher.hash(f"seed-secret-{n}") for n in range(8)]
    now = datetime.now(UTC)
    timings = {}
    with database.connect() as connection, connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(
            "COPY accounts (email, password_hash, first_name, last_name, citizenship,"
            " document_type, document_number, country, region, city, street, postal_code,"
            " phone, question_1, answer_1_hash, question_2, answer_2_hash, refund_to_wallet,"
            " locale, verification_status, created_at, password_changed_at,"
            " recovery_failures) FROM STDIN"
        ) as copy:
            for n in range(count):
                country, city, postal = CITIES[n % len(CITIES)]
                created = naive_utc(now - timedelta(minutes=n))
                copy.write_row(
                    (
                        f"account.{n}@mail{n % 97}.example.org",
                        hashes[n % 8],
                        FIRST_NAMES[n % len(FIRST_NAMES)],
                        LAST_NAMES[n % len(LAST_NAMES)],
                        country,
                        "passport",
                        f"{rng.randrange(10**9):09d}",
                        country,
                        "",
                        city,
                        f"{n % 200 + 1} rue de la Paix",
                        postal,
                        f"+3361{n:07d}",
                        QUESTIONS[n % 5],
                        hashes[(n + 1) % 8],
                        QUESTIONS[(n + 2) % 5],
                        hashes[(n + 2) % 8],
                        n % 3 == 0,
                        ("en", "ru", "fr")[n % 3],
                        ("unverified", "pending", "approved")[n % 3],
                        created,
                        created,
                        0,
                    )
                )
        timings["accounts"] = time.perf_counter() - started

        started = time.perf_counter()
        with cursor.copy(
            "COPY drafts (ref, email, locale, created_at, updated_at, expires_at, confirmed_at,"
            " personal, personal_done, password_hash, question_1, answer_1_hash, question_2,"
            " answer_2_hash, refund_to_wallet, last_letter_at, resends, resends_today,"
            " completed_at, account_id) FROM STDIN"
        ) as copy:
            for n in range(count):
                created = now - timedelta(minutes=n // 2)
                confirmed = n % 2 == 0
                personal = n % 5 in (0, 2)
                secured = n % 10 == 0
                completed = n % 20 == 0
                country, city, postal = CITIES[n % len(CITIES)]
                copy.write_row(
                    (
                        secrets.token_urlsafe(32),
                        f"draft.{n}@mail{n % 89}.example.net",
                        ("en", "ru", "fr")[n % 3],
                        naive_utc(created),
                        naive_utc(created),
                        naive_utc(created + timedelta(days=7)),
                        naive_utc(created + timedelta(minutes=5)) if confirmed else None,
                        json.dumps(
                            {
                                **PERSONAL,
                                "first_name": FIRST_NAMES[n % len(FIRST_NAMES)],
                                "country": country,
                                "city": city,
                                "postal_code": postal,
                                "phone": f"+3361{n:07d}",
                            }
                        )
                        if personal and not completed
                        else None,
                        personal,
                        hashes[n % 8] if secured and not completed else None,
                        QUESTIONS[n % 5] if secured else None,
                        hashes[(n + 1) % 8] if secured and not completed else None,
                        QUESTIONS[(n + 1) % 5] if secured else None,
                        hashes[(n + 2) % 8] if secured and not completed else None,
                        False,
                        naive_utc(created),
                        0,
                        0,
                        naive_utc(created + timedelta(minutes=30)) if completed else None,
                        n + 1 if completed else None,
                    )
                )
        timings["drafts"] = time.perf_counter() - started

        started = time.perf_counter()
        first_draft = cursor.execute("SELECT min(id) FROM drafts").fetchone()[0]
        with cursor.copy(
            "COPY outbox (kind, recipient, locale, subject, body_text, body_html, message_id,"
            " draft_id, status, attempts, next_attempt_at, created_at, sent_at) FROM STDIN"
        ) as copy:
            for n in range(letters):
                created = naive_utc(now - timedelta(minutes=n // 2))
                token = "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=120))
                text, html = letter_bodies(n, f"https://wallet.example/register/confirm/{token}")
                status = "sent" if n % 50 else ("queued", "dead")[n // 50 % 2]
                copy.write_row(
                    (
                        "confirm",
                        f"draft.{n}@mail{n % 89}.example.net",
                        ("en", "ru", "fr")[n % 3],
                        "Confirm your e-mail address to open your wallet",
                        text,
                        html,
                        f"<{secrets.token_hex(12)}.{n}@wallet.example>",
                        first_draft + n % count,
                        status,
                        1 if status == "sent" else (0 if status == "queued" else 8),
                        created,
                        created,
                        created if status == "sent" else None,
                    )
                )
        timings["outbox"] = time.perf_counter() - started
        connection.commit()
    started = time.perf_counter()
    database.vacuum_analyze()
    timings["vacuum_analyze"] = time.perf_counter() - started
    return timings


def results_folder() -> Path:
    folder = BENCH / "results"
    folder.mkdir(exist_ok=True)
    return folder


def which(program: str) -> str:
    path = shutil.which(program)
    if not path:
        raise SystemExit(f"bench: {program} is missing (make bench installs wrk from Debian)")
    return path
