"""Benchmark of the registration wizard's POSTs and of its growth (issues 3 and 14). Run:
``make bench``, or ``.venv/bin/python bench/wizard.py [--seconds 5] [--rounds 5]``.

The portal runs in its production configuration under ``gunicorn -w 2`` on a throwaway
PostgreSQL cluster, rate limits off, and wrk loads it. Every figure is the median of
several rounds, and each round interleaves what is compared, because the machine is
shared and its speed drifts:

1. The step-1 POST (captcha checked, draft created, letter queued, 302): target 200/s.
2. Step 3's cost against its three argon2id hashes at OWASP parameters, timed in the
   same round: (a) throughput of POST /register/security with two workers against
   three-hash sets in two processes; (b) one request at a time against one three-hash
   set. Ratio = hash rate / step-3 rate, or step-3 latency / hash time. Target: 1.1.
   bench/step3_floor.py, the same POST with only what any implementation must do
   (CSRF, the form, one row read and written through the ORM, the three hashes) on the
   same stack, is measured the same way in each round: how far from its hashes the
   stack alone already is.
3. Latency of every page, one request at a time, on an empty database and on one with
   100,000 drafts and accounts and 1,000,000 letters, the two servers taking turns.
   Target: p50 at most 1.1 × empty; PostgreSQL's counters also show whether any request
   scanned those tables.

The pages' throughput is measured against the fair references of ../shared/bench by
bench/pages.py (it replaced this script's comparison with a bare page that reads no
database, issue 14).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import statistics
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

from wizard_setup import (
    Database,
    PostgresCluster,
    Visitor,
    floor_visitor,
    fresh_visitor,
    machine,
    portal_env,
    results_folder,
    seed,
    start_floor,
    start_gunicorn,
    step1_bodies,
    step3_bodies,
    step3_hash_times,
    step3_hashes,
    which,
    wizard_visitor,
    wrk,
)

PAGES = ["/register", "/register/sent", "/register/personal", "/register/security",
         "/register/refunds", "/login", "/"]  # fmt: skip
SIGNED_OUT = ("/register", "/login", "/")
STEP1_TARGET = 200
STEP3_TARGET = 1.1
GROWTH_LIMIT = 1.10  # what the noise of this machine allows us to call "no growth"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="rounds to take medians over")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--rows", type=int, default=100_000, help="drafts and accounts kept")
    parser.add_argument("--letters", type=int, default=1_000_000, help="outbox rows kept")
    return parser.parse_args()


@dataclass
class Figures:
    samples: dict[str, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.samples.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def check(self, label: str, result, status: int) -> None:
        unexpected = result.unexpected(status)
        if unexpected:
            self.problems.append(
                f"{label}: {unexpected} of {result.requests} responses were not {status}"
                f" ({result.statuses}, socket errors {result.errors})"
            )


def say(message: str) -> None:
    print(message, flush=True)


def lines_for(visitors: list[Visitor]) -> list[tuple[str, str]]:
    return [(visitor.cookie, "") for visitor in visitors]


def wizard_visitors(server, database, tag: str, count: int) -> list[Visitor]:
    return [
        wizard_visitor(server, database, f"bench.{tag}.person{n}@example.com") for n in range(count)
    ]


# 1-3: throughput ----------------------------------------------------------------------


def posts(args, figures: Figures, main_db: Database, logs) -> None:
    portal = start_gunicorn("portal", "wsgi:app", portal_env(main_db), logs)
    floor = start_floor(main_db, logs)
    try:
        newcomer = fresh_visitor(portal)
        people = wizard_visitors(portal, main_db, "main", 4)
        floor_people = [floor_visitor(floor) for _ in range(4)]
        seconds, connections = args.seconds, args.connections
        say("warming up")
        wrk(portal, "GET", "/register/security", lines_for(people), seconds=1, connections=2)
        wrk(floor, "POST", "/security", step3_bodies(floor_people), seconds=1, connections=2)
        for number in range(args.rounds):
            say(f"round {number + 1} of {args.rounds}")
            captchas = main_db.add_captchas(int(seconds * 800) + 200)
            result = wrk(
                portal, "POST", "/register", step1_bodies(newcomer, captchas, f"r{number}"),
                seconds=seconds, connections=connections,
            )  # fmt: skip
            figures.check("POST /register", result, 302)
            figures.add("step1 rate", result.rate(302))
            say(f"  POST /register: {result.rate(302):.0f}/s")
            step3_round(
                figures,
                (portal, "/register/security", people),
                (floor, "/security", floor_people),
                seconds,
            )
    finally:
        floor.stop()
        portal.stop()


def step3_round(figures: Figures, portal, floor, seconds: float) -> None:
    """Step 3, then the floor app, each against three-hash sets timed just before."""
    step3_against_hashes(figures, "step3", *portal, seconds)
    step3_against_hashes(figures, "floor", *floor, seconds)


def step3_against_hashes(
    figures: Figures, name: str, server, path: str, people: list[Visitor], seconds: float
) -> None:
    bodies = step3_bodies(people)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        sets = pool.map(step3_hashes, [seconds, seconds])
    hash_rate = sum(done / elapsed for done, elapsed in sets)
    result = wrk(server, "POST", path, bodies, seconds=seconds, connections=2)
    figures.check(f"POST {path} (2 connections)", result, 302)
    rate = result.rate(302)
    figures.add(f"{name} hash sets/s", hash_rate)
    figures.add(f"{name} rate", rate)
    figures.add(f"{name} throughput ratio", hash_rate / rate)

    hash_ms = statistics.median(step3_hash_times(seconds)) * 1000
    single = wrk(server, "POST", path, bodies[:1], seconds=seconds, connections=1)
    figures.check(f"POST {path} (1 connection)", single, 302)
    figures.add(f"{name} hash ms", hash_ms)
    figures.add(f"{name} p50 ms", single.latency_ms["p50"])
    figures.add(f"{name} latency ratio", single.latency_ms["p50"] / hash_ms)
    say(
        f"  {path}: {rate:.1f}/s vs {hash_rate:.1f} hash sets/s;"
        f" {single.latency_ms['p50']:.1f} ms vs {hash_ms:.1f} ms"
    )


# 4: latency against rows kept -----------------------------------------------------------


def growth(args, figures: Figures, empty_db: Database, seeded_db: Database, logs) -> None:
    """Both servers are started afresh for each round, so that one process's luck (which
    core, which memory) does not always side with the same database."""
    databases = {"empty": empty_db, "seeded": seeded_db}
    envs = {name: portal_env(database) for name, database in databases.items()}
    visitors = {}
    with running_portals(envs, logs) as servers:
        for name, server in servers.items():
            visitors[name] = {
                "newcomer": fresh_visitor(server),
                "people": wizard_visitors(server, databases[name], name, 2),
            }
    scans_before = seeded_db.table_scans()
    for number in range(args.rounds):
        say(f"latency round {number + 1} of {args.rounds}")
        order = ["empty", "seeded"] if number % 2 == 0 else ["seeded", "empty"]
        with running_portals(envs, logs) as servers:
            for name in order:
                for path in PAGES:
                    people = [visitors[name]["newcomer"]] if path in SIGNED_OUT else None
                    lines = lines_for(people or visitors[name]["people"])
                    wrk(servers[name], "GET", path, lines, seconds=1, connections=1)
            for label in growth_labels():
                for name in order:
                    result, status = latency_run(
                        label, servers[name], databases[name], visitors[name], args, number
                    )
                    figures.check(f"{label} ({name})", result, status)
                    figures.add(f"p50 {name} {label}", result.latency_ms["p50"])
                    figures.add(f"mean {name} {label}", result.latency_ms["mean"])
        say("  " + ", ".join(
            f"{label}: {figures.samples[f'p50 empty {label}'][-1]:.2f}"
            f"/{figures.samples[f'p50 seeded {label}'][-1]:.2f} ms"
            for label in growth_labels()
        ))  # fmt: skip
    scans_after = seeded_db.table_scans()
    for table, (seq, idx) in scans_after.items():
        before_seq, before_idx = scans_before.get(table, (0, 0))
        figures.add(f"seq scans {table}", seq - before_seq)
        figures.add(f"index scans {table}", idx - before_idx)


@contextmanager
def running_portals(envs: dict[str, dict[str, str]], logs):
    servers = {}
    try:
        for name, env in envs.items():
            servers[name] = start_gunicorn(f"portal-{name}", "wsgi:app", env, logs)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def latency_run(label: str, server, database: Database, visitor: dict, args, number: int):
    """One request at a time on ``label`` for ``args.seconds``: (wrk's result, status)."""
    load = {"seconds": args.seconds, "connections": 1}
    if label == "POST /register":
        captchas = database.add_captchas(int(args.seconds * 300) + 100)
        bodies = step1_bodies(visitor["newcomer"], captchas, f"{database.name}{number}")
        return wrk(server, "POST", "/register", bodies, **load), 302
    if label == "POST /register/security":
        bodies = step3_bodies(visitor["people"])
        return wrk(server, "POST", "/register/security", bodies, **load), 302
    path = label.removeprefix("GET ")
    lines = lines_for([visitor["newcomer"]] if path in SIGNED_OUT else visitor["people"])
    return wrk(server, "GET", path, lines, **load), 200


def growth_labels() -> list[str]:
    return [*(f"GET {path}" for path in PAGES), "POST /register", "POST /register/security"]


# The report -------------------------------------------------------------------------


def report(args, info: dict, figures: Figures) -> tuple[str, int]:
    """The report, and how many targets it says were missed."""
    m = figures.median
    judged: list[bool] = []

    def verdict(ok: bool) -> str:
        judged.append(ok)
        return "met" if ok else "MISSED"

    def spread(name: str) -> str:
        return f"{min(figures.samples[name]):.2f}–{max(figures.samples[name]):.2f}"

    step1 = m("step1 rate")
    throughput_ratio, latency_ratio = m("step3 throughput ratio"), m("step3 latency ratio")
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores; load average {info['load_average']}"
        f" at start, {info['load_average_end']} at end; Python {info['python']}, {info['wrk']},"
        f" PostgreSQL {info['postgresql']}",
        f"Runs: gunicorn -w 2 (sync workers), wrk -t1 -c{args.connections} for throughput,"
        f" -c1 for latency; {args.rounds} rounds of {args.seconds:g} s; medians.",
        "",
        "| Figure | Value | Target |",
        "|---|---:|---|",
        f"| POST /register (captcha, draft, letter; 302) | {step1:.0f} req/s"
        f" | ≥ 200: {verdict(step1 >= STEP1_TARGET)} |",
        f"| POST /register/security, 2 workers | {m('step3 rate'):.1f} req/s | |",
        f"| 3 × argon2id (19 MiB, t=2, p=1), 2 processes | {m('step3 hash sets/s'):.1f} sets/s | |",
        f"| Step 3 cost / its hashes (throughput: hash sets/s ÷ step-3 req/s)"
        f" | {throughput_ratio:.2f} | ≤ 1.1: {verdict(throughput_ratio <= STEP3_TARGET)} |",
        f"| POST /register/security, one at a time (p50) | {m('step3 p50 ms'):.1f} ms | |",
        f"| 3 × argon2id, one process (median) | {m('step3 hash ms'):.1f} ms | |",
        f"| Step 3 cost / its hashes (latency: p50 ÷ hash time)"
        f" | {latency_ratio:.2f} | ≤ 1.1: {verdict(latency_ratio <= STEP3_TARGET)} |",
        f"| bench/step3_floor.py / its hashes (throughput, latency; min–max)"
        f" | {m('floor throughput ratio'):.2f}, {m('floor latency ratio'):.2f}"
        f" ({spread('floor throughput ratio')}; {spread('floor latency ratio')}) | |",
        f"| Step 3 / the floor (throughput, latency)"
        f" | {throughput_ratio / m('floor throughput ratio'):.2f},"
        f" {latency_ratio / m('floor latency ratio'):.2f} | |",
        "",
        f"| Page (one request at a time) | p50 empty (ms) | p50 with {args.rows:,} drafts and"
        f" accounts, {args.letters:,} letters (ms) | Ratio | No growth (≤ 1.10) |",
        "|---|---:|---:|---:|---|",
    ]
    for label in growth_labels():
        empty, seeded = m(f"p50 empty {label}"), m(f"p50 seeded {label}")
        ratio = statistics.median(
            s / e
            for e, s in zip(
                figures.samples[f"p50 empty {label}"],
                figures.samples[f"p50 seeded {label}"],
                strict=True,
            )
        )
        lines.append(
            f"| {label} | {empty:.2f} | {seeded:.2f} | {ratio:.2f}"
            f" | {verdict(ratio <= GROWTH_LIMIT)} |"
        )
    scans = ", ".join(
        f"{table} {int(m(f'seq scans {table}'))} sequential / {int(m(f'index scans {table}'))}"
        " index"
        for table in ("drafts", "accounts", "outbox")
        if f"seq scans {table}" in figures.samples
    )
    missed = judged.count(False)
    lines += [
        "",
        f"Scans of the seeded tables during the latency runs: {scans}.",
        "",
        f"Targets: {'all met' if not missed else f'{missed} MISSED'}.",
    ]
    if figures.problems:
        lines += ["", "Unexpected responses:", *(f"- {problem}" for problem in figures.problems)]
    return "\n".join(lines), missed


def main() -> int:
    args = parse_args()
    which("wrk")
    # A stopped run still stops its servers and its PostgreSQL cluster (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = machine()
    logs = results_folder()
    figures = Figures()
    say(f"Machine: {info['cpu']}, {info['cores']} cores, load average {info['load_average']}")
    cluster = PostgresCluster(database="bench_main").start()
    try:
        main_db = Database(cluster, "bench_main")
        empty_db = Database(cluster, "bench_empty")
        seeded_db = Database(cluster, "bench_seeded")
        info["postgresql"] = main_db.scalar("SHOW server_version").split()[0]
        for database in (main_db, empty_db, seeded_db):
            database.migrate(portal_env(database))
        say(f"seeding {args.rows:,} accounts and drafts, {args.letters:,} letters")
        timings = seed(seeded_db, args.rows, args.letters)
        say("  " + ", ".join(f"{name} {took:.1f} s" for name, took in timings.items()))
        posts(args, figures, main_db, logs)
        growth(args, figures, empty_db, seeded_db, logs)
    finally:
        cluster.stop()
    info["load_average_end"] = machine()["load_average"]
    text, missed = report(args, info, figures)
    print()
    print(text)
    (logs / "wizard.md").write_text(text + "\n")
    (logs / "wizard.json").write_text(
        json.dumps({"machine": info, "args": vars(args), "samples": figures.samples}, indent=1)
    )
    return 1 if figures.problems or missed else 0


if __name__ == "__main__":
    sys.exit(main())
