"""The portal's pages against the fair references of ../shared/bench (issue 14), in one run.

    .venv/bin/python bench/pages.py [--rounds 5] [--seconds 5] [--connections 16]

Starts a throwaway PostgreSQL cluster, the portal (production configuration, rate
limits off) and ``ref_db`` (the same stack filling step 2's fields from one row read by
primary key) under ``gunicorn -w 2`` on it, and Flask-Security's stock app (``ref_fsec``,
in a virtualenv of its own under bench/results/, made on first use) beside them. wrk
loads each pair back to back, alternating which goes first, and the ratio is taken
within each pair; min/median/max over the rounds are printed with a pass/miss per
target:

- GET /register/personal, /register/security, /register/refunds (a real draft) ≥ 0.85 ×
  ref_db's GET /form-db;
- GET /login and GET / ≥ 0.85 × ref_db's GET /form (no read), and GET /login ≥ 1.0 ×
  Flask-Security's GET /login;
- then, on a portal started afresh, the resident memory (RSS, and PSS: shared pages
  divided among the processes sharing them) of each gunicorn worker after at least
  10,000 mixed requests (every page above, /login and / in English, Russian and French,
  step 1's and step 3's POST): ≤ 100 MB. Uploads and the support desk are not in the
  mix: a worker that has handled them also holds pypdf, PDFium and cryptography.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

from wizard_setup import (
    ROOT,
    Browser,
    Database,
    PostgresCluster,
    expect,
    fresh_visitor,
    portal_env,
    results_folder,
    start_gunicorn,
    step1_bodies,
    step3_bodies,
    which,
    wizard_visitor,
    wrk,
)

from tests.servers import worker_memory as workers_memory

REFERENCES = ROOT.parent / "shared" / "bench"
PAIRS = [  # (portal page, reference, reference path, target)
    ("/register/personal", "ref_db", "/form-db", 0.85),
    ("/register/security", "ref_db", "/form-db", 0.85),
    ("/register/refunds", "ref_db", "/form-db", 0.85),
    ("/login", "ref_db", "/form", 0.85),
    ("/", "ref_db", "/form", 0.85),
    ("/login", "ref_fsec", "/login", 1.0),
]
MEMORY_REQUESTS = 10_000
MEMORY_TARGET_MB = 100
REST_SECONDS = 3
# What ../shared/bench/README.md lists for the references.
FSEC_PACKAGES = [
    "Flask", "Flask-WTF", "Flask-Babel", "Flask-SQLAlchemy", "Flask-Security-Too", "Flask-Mail",
    "email-validator", "argon2-cffi", "SQLAlchemy", "gunicorn",
]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="rounds to take ratios over")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--rows", type=int, default=100_000, help="rows seeded into ref_db")
    parser.add_argument("--rounds-only", action="store_true", help="skip the memory run")
    return parser.parse_args()


def say(message: str) -> None:
    print(message, flush=True)


def fsec_python(logs: Path) -> Path:
    """A virtualenv with stock Flask-Security beside the portal's (it is no dependency
    of the portal), made once and kept under bench/results/."""
    home = logs / "venv-fsec"
    python = home / "bin" / "python"
    if not python.exists():
        say("making a virtualenv for Flask-Security (once)")
        venv.create(home, with_pip=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *FSEC_PACKAGES], check=True)
    return python


def start_reference(name: str, python: Path, env: dict[str, str], logs: Path, health: str):
    return start_gunicorn(
        name, "app:app", env, logs, cwd=REFERENCES / name, gunicorn=python.parent / "gunicorn",
        health=health,
    )  # fmt: skip


def worker_memory(server, workers: int = 2) -> list[tuple[int, float, float, float]]:
    """(pid, RSS MB, PSS MB, peak RSS MB) of each of the server's gunicorn workers, once
    all ``workers`` are there (the server answers as soon as the first one is)."""
    deadline = time.monotonic() + 30
    while True:
        found = workers_memory(server.process.pid)
        if len(found) >= workers or time.monotonic() > deadline:
            return [(pid, memory["VmRSS"], memory["Pss"], memory["VmHWM"]) for pid, memory in found]
        time.sleep(0.1)


def memory(database: Database, logs: Path, problems: list[str]) -> dict:
    """A fresh portal, at least MEMORY_REQUESTS mixed requests, then each worker's memory."""
    portal = start_gunicorn("portal-memory", "wsgi:app", portal_env(database), logs)
    try:
        at_start = worker_memory(portal)
        people = [
            wizard_visitor(portal, database, f"memory.person{n}@example.com") for n in range(4)
        ]
        newcomer = fresh_visitor(portal)
        wizard = [(person.cookie, "") for person in people]
        runs = [("GET", path, wizard, 200) for path in ("/register/personal",
                "/register/security", "/register/refunds")]  # fmt: skip
        for language in ("en", "ru", "fr"):  # each language's catalog, country names, dates
            reader = Browser(portal.port)
            expect(reader.get(f"/login?lang={language}"), 200)
            runs += [("GET", path, [(reader.cookie_header(), "")], 200) for path in ("/login", "/")]
        runs.append(("GET", "/register", [(newcomer.cookie, "")], 200))
        sent, cycle = 0, 0
        while sent < MEMORY_REQUESTS:
            captchas = database.add_captchas(2000)
            posts = [
                ("POST", "/register", step1_bodies(newcomer, captchas, f"m{cycle}"), 302),
                ("POST", "/register/security", step3_bodies(people), 302),
            ]
            for method, path, lines, status in runs + posts:
                result = wrk(portal, method, path, lines, seconds=1, connections=4)
                if result.unexpected(status):
                    problems.append(f"memory run, {method} {path}: {result.statuses}")
                sent += result.requests
            cycle += 1
        # At rest: the last requests answered, and more than the second that
        # gunicorn.conf.py's workers wait before they give memory back gone by. The peak
        # (VmHWM) is printed too.
        time.sleep(REST_SECONDS)
        return {"requests": sent, "start": at_start, "end": worker_memory(portal)}
    finally:
        portal.stop()


def main() -> int:
    args = parse_args()
    which("wrk")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logs = results_folder()
    cluster = PostgresCluster(database="bench_pages").start()
    servers = []
    ratios: dict[tuple[str, str, str], list[float]] = {}
    problems: list[str] = []
    try:
        database = Database(cluster, "bench_pages")
        database.migrate(portal_env(database))
        ref_env = {
            **os.environ,
            "REF_DB_URL": database.url,
            "REF_SECRET_KEY": secrets.token_urlsafe(32),
        }
        say(f"seeding ref_db with {args.rows:,} rows")
        ref_app = str(REFERENCES / "ref_db" / "app.py")
        python = Path(sys.executable)
        subprocess.run([str(python), ref_app, "seed", str(args.rows)], env=ref_env, check=True)
        cookie = subprocess.run(
            [str(python), ref_app, "cookie", "ref00000042"],
            env=ref_env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        fsec = fsec_python(logs)
        fsec_env = {**os.environ, "FSEC_DB": str(logs / "fsec.db")}
        subprocess.run(
            [str(fsec), str(REFERENCES / "ref_fsec" / "app.py"), "seed"],
            env=fsec_env, check=True, cwd=REFERENCES / "ref_fsec",
        )  # fmt: skip

        portal = start_gunicorn("portal", "wsgi:app", portal_env(database), logs)
        servers.append(portal)
        references = {
            "ref_db": start_reference("ref_db", python, ref_env, logs, "/hello"),
            "ref_fsec": start_reference("ref_fsec", fsec, fsec_env, logs, "/login"),
        }
        servers.extend(references.values())
        people = [
            wizard_visitor(portal, database, f"pages.person{n}@example.com") for n in range(4)
        ]
        stranger = Browser(portal.port)
        expect(stranger.get("/login"), 200)
        portal_lines = {
            path: [(person.cookie, "") for person in people]
            for path in ("/register/personal", "/register/security", "/register/refunds")
        }
        for path in ("/login", "/"):
            portal_lines[path] = [(stranger.cookie_header(), "")]
        reference_lines = {"/form-db": [(f"session={cookie}", "")], "/form": [("", "")]}
        fsec_browser = Browser(references["ref_fsec"].port)
        expect(fsec_browser.get("/login"), 200)
        reference_lines["/login"] = [(fsec_browser.cookie_header(), "")]

        load = {"seconds": args.seconds, "connections": args.connections}
        say("warming up")
        for page, name, ref_path, _target in PAIRS:
            wrk(portal, "GET", page, portal_lines[page], seconds=1, connections=4)
            wrk(references[name], "GET", ref_path, reference_lines[ref_path], seconds=1,
                connections=4)  # fmt: skip
        for number in range(args.rounds):
            say(f"round {number + 1} of {args.rounds}")
            for index, (page, name, ref_path, _target) in enumerate(PAIRS):
                runs = {
                    "page": lambda page=page: wrk(portal, "GET", page, portal_lines[page], **load),
                    "reference": lambda name=name, ref_path=ref_path: wrk(
                        references[name], "GET", ref_path, reference_lines[ref_path], **load
                    ),
                }
                order = ["page", "reference"][:: 1 if (number + index) % 2 == 0 else -1]
                results = {which_run: runs[which_run]() for which_run in order}
                for which_run, result in results.items():
                    if result.unexpected(200):
                        problems.append(f"{which_run} for GET {page}: {result.statuses}")
                page_rate = results["page"].rate(200)
                reference_rate = results["reference"].rate(200)
                ratio = page_rate / reference_rate if reference_rate else 0.0
                ratios.setdefault((page, name, ref_path), []).append(ratio)
                say(
                    f"  GET {page}: {page_rate:.0f}/s, {name} GET {ref_path}:"
                    f" {reference_rate:.0f}/s, ratio {ratio:.2f}"
                )
        for server in servers:  # the memory run starts its own portal on a quiet machine
            server.stop()
        servers.clear()
        held = {"requests": 0, "start": [], "end": []}
        if not args.rounds_only:
            say(f"memory: a fresh portal, at least {MEMORY_REQUESTS:,} mixed requests")
            held = memory(database, logs, problems)
    finally:
        for server in servers:
            server.stop()
        cluster.stop()

    lines = [
        f"gunicorn -w 2, wrk -t1 -c{args.connections}, {args.rounds} rounds of"
        f" {args.seconds:g} s, pairs interleaved",
        "",
        "| Portal page | Reference | min | median | max | Target | |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    missed = 0
    for page, name, ref_path, target in PAIRS:
        values = ratios[(page, name, ref_path)]
        median = statistics.median(values)
        met = median >= target
        missed += not met
        lines.append(
            f"| GET {page} | {name} GET {ref_path} | {min(values):.2f} | {median:.2f}"
            f" | {max(values):.2f} | ≥ {target:.2f} | {'met' if met else 'MISSED'} |"
        )
    lines += [
        "",
        f"Memory of each gunicorn worker (--preload, see gunicorn.conf.py) after"
        f" {held['requests']:,} mixed requests:",
        "",
        "| Worker | RSS at start | RSS after, at rest | PSS after | Peak RSS | Target | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    start = {pid: rss for pid, rss, *_ in held["start"]}
    for number, (pid, rss, pss, peak) in enumerate(held["end"], start=1):
        met = rss <= MEMORY_TARGET_MB and held["requests"] >= MEMORY_REQUESTS
        missed += not met
        lines.append(
            f"| {number} | {start.get(pid, float('nan')):.1f} MB | {rss:.1f} MB | {pss:.1f} MB"
            f" | {peak:.1f} MB"
            f" | RSS ≤ {MEMORY_TARGET_MB} MB | {'met' if met else 'MISSED'} |"
        )
    lines += ["", f"Targets: {'all met' if not missed else f'{missed} MISSED'}."]
    if problems:
        lines += ["", "Unexpected responses:", *(f"- {problem}" for problem in problems)]
    text = "\n".join(lines)
    print()
    print(text)
    (logs / "pages.md").write_text(text + "\n")
    return 1 if problems or missed else 0


if __name__ == "__main__":
    sys.exit(main())
