"""A pooled connection the server has closed is never handed to a request (PostgreSQL)."""

import time

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from portal.database import _still_open
from portal.extensions import db
from tests.conftest import clear_tables, make_app
from tests.journey import Person, reach_personal


@pytest.fixture
def pg_app(postgresql_url, tmp_path):
    app = make_app(postgresql_url, DOCUMENT_STORAGE=str(tmp_path / "documents"))
    yield app
    with app.app_context():
        clear_tables()
        db.engine.dispose()


def pooled_backend(app) -> int:
    """The server process behind the pool's connection, which goes back to the pool."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.rollback()
        return pid


def terminate(postgresql_url: str, pid: int) -> None:
    """What a restart or an idle timeout does to every connection: the server ends it."""
    dsn = postgresql_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.02)


def test_a_page_after_the_server_closed_the_pooled_connection(pg_app, postgresql_url):
    client = pg_app.test_client()
    reach_personal(client, pg_app, Person())
    assert client.get("/register/personal").status_code == 200
    before = pooled_backend(pg_app)
    terminate(postgresql_url, before)

    response = client.get("/register/personal")
    assert response.status_code == 200
    assert 'name="first_name"' in response.get_data(as_text=True)
    assert pooled_backend(pg_app) != before


def test_without_the_check_that_request_would_fail(pg_app, postgresql_url):
    """The scenario above is real: the check is what saves the request."""
    with pg_app.app_context():
        engine = db.engine
    event.remove(engine, "checkout", _still_open)
    try:
        terminate(postgresql_url, pooled_backend(pg_app))
        with pg_app.app_context(), pytest.raises(OperationalError):
            db.session.execute(text("SELECT 1"))
    finally:
        event.listen(engine, "checkout", _still_open)


def test_a_healthy_connection_is_kept(pg_app):
    first = pooled_backend(pg_app)
    assert all(pooled_backend(pg_app) == first for _ in range(20))
