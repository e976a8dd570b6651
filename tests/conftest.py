from __future__ import annotations

import os
import re
import time

import pytest
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from playwright.sync_api import sync_playwright
from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from tests.browser import CHROMIUM_FLAGS, LiveServer, chromium_path
from tests.postgres import PostgresCluster

# Hypothesis: the same examples in every run of `make test` ("ci"), long random runs by
# hand with `make fuzz` ("fuzz", examples kept in .hypothesis/ to replay failures).
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[*_QUIET, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3000")),
    deadline=None,
    suppress_health_check=[*_QUIET, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, driven by Playwright: one per test module."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def live(postgresql_url):
    """The portal on PostgreSQL behind a real HTTP server on loopback, for Chromium."""
    app = make_app(postgresql_url)
    with LiveServer(app) as server:
        app.config["BASE_URL"] = server.url
        server.app = app
        yield server
    with app.app_context():
        # The server stops accepting at once, but a request Chromium sent just before may
        # still hold a connection in its thread. Disposing of the pool under it leaves that
        # connection to be garbage-collected open, and psycopg's ResourceWarning then fails
        # whichever test is running (seen once, in a later journey).
        deadline = time.monotonic() + 10
        while db.engine.pool.checkedout() and time.monotonic() < deadline:
            time.sleep(0.05)
        clear_tables()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres():
    """One throwaway cluster for the whole run; under CI its absence is a failure."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def migrate(url: str) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'portal.sqlite'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url(postgres):
    migrate(postgres.url())
    return postgres.url()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request):
    """Every test that touches storage runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


def clear_tables() -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    if not tables:
        return
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{name}"' for name in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f'DELETE FROM "{name}"'))
    db.session.commit()


def make_app(database_url: str, **overrides):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


@pytest.fixture
def app_factory(database_url, tmp_path):
    """Build an app on this run's database with extra settings; tables are emptied after.
    Uploaded documents go to this test's own folder, never to the instance folder."""
    apps = []

    def build(**overrides):
        overrides = {"DOCUMENT_STORAGE": str(tmp_path / "documents"), **overrides}
        app = make_app(database_url, **overrides)
        apps.append(app)
        return app

    yield build
    if apps:
        ours = [app for app in apps if app.config["SQLALCHEMY_DATABASE_URI"] == database_url]
        if not ours:
            apps.append(make_app(database_url))
            ours = apps[-1:]
        with ours[0].app_context():
            clear_tables()
        for app in apps:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def sqlite_app(sqlite_url, tmp_path):
    """For tests about text, not storage: one database is enough."""
    app = make_app(sqlite_url, DOCUMENT_STORAGE=str(tmp_path / "documents"))
    yield app
    with app.app_context():
        clear_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token a real browser would find in the form at ``path``."""
    page = client.get(path)
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in the form at {path}"
    return match.group(1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skip is a failure: a missing tool is an install bug, not a reason."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which must run everything: {report.longrepr}"
