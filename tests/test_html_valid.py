"""Every page, in every state tests/pages.py reaches and in the three languages, is valid
HTML as the Nu HTML checker (vnu, the W3C's validator) reads it.

The pages are written to a folder and checked in one run of the checker (one JVM for all
of them). Under CI a missing checker or Java is a failure (conftest turns the skip into one);
`make system-deps` installs both.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import clear_tables, make_app
from tests.pages import every_page

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LANGUAGES = ["en", "ru", "fr"]


def vnu_errors(folder: Path) -> list[dict]:
    """The checker's errors on every .html file of ``folder``, in one run."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.skip("the Nu HTML checker needs Java and node_modules/vnu-jar: run make system-deps")
    files = sorted(str(path) for path in folder.glob("*.html"))
    assert files, "no page to check"
    done = subprocess.run(
        [java, "-Xss8m", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # vnu writes its JSON report to stderr and exits 1 when it found errors.
    try:
        report = json.loads(done.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"the checker did not run (exit {done.returncode}): {done.stderr[:2000]}")
    return [message for message in report.get("messages", []) if message.get("type") != "info"]


def describe(message: dict) -> str:
    name = Path(message.get("url", "?")).name
    return f"{name}:{message.get('lastLine', '?')}: {message.get('message', '').strip()}"


def file_name(language: str, index: int, label: str) -> str:
    return f"{language}-{index:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.html"


@pytest.fixture(scope="module")
def pages_folder(sqlite_url, tmp_path_factory):
    from portal.extensions import db

    folder = tmp_path_factory.mktemp("pages")
    app = make_app(sqlite_url, DOCUMENT_STORAGE=str(folder / "documents"))
    count = 0
    for language in LANGUAGES:
        for index, page in enumerate(every_page(app, language)):
            (folder / file_name(language, index, page.label)).write_text(page.html)
            count += 1
        with app.app_context():
            clear_tables()
    with app.app_context():
        db.engine.dispose()
    return folder, count


def test_every_page_is_valid_html(pages_folder):
    folder, count = pages_folder
    assert count >= 3 * 40
    errors = vnu_errors(folder)
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(map(describe, errors))


# <time datetime>: a day, or a moment to the second with its offset (no microseconds).
MACHINE_TIME = re.compile(r"\d{4}-\d\d-\d\d(?:T\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d))?")


def test_every_time_element_is_to_the_second(pages_folder):
    folder, _count = pages_folder
    values = []
    for path in sorted(folder.glob("*.html")):
        for value in re.findall(r'<time\b[^>]*\bdatetime="([^"]*)"', path.read_text()):
            values.append(value)
            assert MACHINE_TIME.fullmatch(value), f"{path.name}: {value}"
    assert any("T" in value for value in values), "no moment on any page"


def test_the_checker_finds_an_error(tmp_path):
    # The check above could pass on a checker that says nothing: this one must speak.
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html lang="en"><head><title>x</title></head>'
        '<body><p id="a">one</p><p id="a">two</p></body></html>'
    )
    errors = vnu_errors(tmp_path)
    assert any("Duplicate ID" in message["message"] for message in errors), errors
    assert describe(errors[0]).startswith("bad.html:1: ")
