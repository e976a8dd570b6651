"""bench/step3_floor.py does what any step 3 must, so that make bench's floor is one."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.journey import Person

FLOOR = Path(__file__).resolve().parent.parent / "bench" / "step3_floor.py"
FORM = {**Person().security(), "submit": "1"}


@pytest.fixture
def floor(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOOR_DB_URL", f"sqlite:///{tmp_path / 'floor.db'}")
    spec = importlib.util.spec_from_file_location("step3_floor", FLOOR)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "step3_floor", module)  # for its annotations
    spec.loader.exec_module(module)
    yield module
    module.engine.dispose()


def started(floor):
    client = floor.app.test_client()
    html = client.get("/").get_data(as_text=True)
    return client, re.search(r'value="([^"]+)"', html).group(1)


def test_it_hashes_and_keeps_the_three_secrets(floor):
    client, token = started(floor)
    response = client.post("/security", data={**FORM, "csrf_token": token})
    assert response.status_code == 302
    with floor.Session() as db:
        (draft,) = db.query(floor.FloorDraft).all()
        hasher = PasswordHasher()
        assert hasher.verify(draft.password_hash, FORM["password"])
        assert hasher.verify(draft.answer_1_hash, "rex")
        assert hasher.verify(draft.answer_2_hash, "saint-étienne")
        assert (draft.question_1, draft.question_2) == ("first_pet", "parents_met")


@pytest.mark.parametrize(
    "change",
    [
        {"password_confirm": "velvet-otter-lantern-93"},
        {"password": "short", "password_confirm": "short"},
        {"question_2": "first_pet"},
        {"answer_1": ""},
        {"csrf_token": "forged"},
    ],
)
def test_it_refuses_what_step_3_refuses(floor, change):
    client, token = started(floor)
    response = client.post("/security", data={**FORM, "csrf_token": token, **change})
    assert response.status_code in (200, 400)
    with floor.Session() as db:
        assert db.query(floor.FloorDraft).one().password_hash is None
