"""No timing tells who has a wallet: the two paths of /recover and of /login take the
same time. Each test times both paths interleaved and checks, with the Wilcoxon
signed-rank (Hodges-Lehmann) confidence interval of the shift between them, that any difference is
under 2 ms: a statistics test, not a threshold on absolute time.

A busy machine widens the interval without moving it: the test then times more pairs
(up to MAX_ROUNDS rounds) until the interval is narrow enough to show a 2 ms shift
either way, and fails at once if the interval lies wholly outside the ±2 ms band."""

from __future__ import annotations

import math
import time

from sqlalchemy import update

from portal.extensions import db
from portal.models import Draft
from tests.journey import CSRF, Person, hidden, open_wallet, start, text

TRIES = 150  # pairs per round
MAX_ROUNDS = 6
DETECTABLE_MS = 2.0
Z_999 = 3.29  # two-sided 99.9 %


def shift_interval(a: list[float], b: list[float]) -> tuple[float, float]:
    """The 99.9 % confidence interval of the shift a − b between paired tries (the
    Hodges-Lehmann estimate from the Wilcoxon signed-rank statistic's normal
    approximation). Pairs were timed back to back, so a busy machine slows both alike."""
    d = [x - y for x, y in zip(a, b, strict=True)]
    n = len(d)
    walsh = sorted((d[i] + d[j]) / 2 for i in range(n) for j in range(i, n))
    k = math.floor(n * (n + 1) / 4 - Z_999 * math.sqrt(n * (n + 1) * (2 * n + 1) / 24))
    return walsh[max(k, 0)], walsh[len(walsh) - 1 - max(k, 0)]


def timed_pairs(post_a, post_b, before=lambda: None, warm_up=5) -> tuple[list, list]:
    """``before`` runs untimed ahead of each request (to reset what the last one changed)."""
    a, b = [], []
    for index in range(TRIES + warm_up):
        pair = [(post_a, a), (post_b, b)]
        for post, times in pair if index % 2 else reversed(pair):
            before()
            began = time.perf_counter()
            response = post()
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code in (200, 302)
            if index >= warm_up:  # the first few warm caches up
                times.append(elapsed)
    return a, b


def assert_same_time(post_a, post_b, before=lambda: None):
    a, b = [], []
    for round_ in range(MAX_ROUNDS):
        more_a, more_b = timed_pairs(post_a, post_b, before, warm_up=5 if round_ == 0 else 0)
        a += more_a
        b += more_b
        low, high = shift_interval(a, b)
        if -DETECTABLE_MS < low and high < DETECTABLE_MS:
            return
        assert low < DETECTABLE_MS and high > -DETECTABLE_MS, (
            f"the paths differ: shift in [{low:.2f}, {high:.2f}] ms over {len(a)} pairs"
        )
    raise AssertionError(
        f"too noisy to tell a {DETECTABLE_MS} ms shift: [{low:.2f}, {high:.2f}] ms"
        f" over {len(a)} pairs"
    )


def form_poster(app, path, data):
    browser = app.test_client()
    token = hidden(text(browser.get(path)), CSRF)
    return lambda: browser.post(path, data={"csrf_token": token, "submit": "1", **data})


def test_recover_takes_as_long_for_a_wallet_as_for_an_unknown_address(app):
    owner = Person(email="owner@example.com")
    open_wallet(app.test_client(), app, owner)
    registered = form_poster(app, "/recover", {"email": owner.email})
    unknown = form_poster(app, "/recover", {"email": "nobody@example.com"})
    assert_same_time(registered, unknown)


def test_login_takes_as_long_for_an_unfinished_registration(app_factory):
    # Many attempts from one address: the throttle's waits are not what is timed here.
    app = app_factory(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=8)
    start(app.test_client(), Person(email="halfway@example.com"))
    with_draft = form_poster(
        app, "/login", {"email": "halfway@example.com", "password": "wrong-password-1"}
    )
    unknown = form_poster(app, "/login", {"email": "nobody@example.com", "password": "wrong-1"})
    from portal.account import signin

    signin.FREE_FAILURES, free = 10**6, signin.FREE_FAILURES

    def letter_due_again():
        # Each try is the first in a while for this address: the letter would be due.
        with app.app_context():
            db.session.execute(update(Draft).values(last_letter_at=None))
            db.session.commit()

    try:
        assert_same_time(with_draft, unknown, letter_due_again)
    finally:
        signin.FREE_FAILURES = free
