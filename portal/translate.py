"""``flask translate``: the translators' workflow around pybabel, and its gate.

``check`` is what ``make test`` runs: it fails on a ``.pot`` that no longer matches
the sources, and on any untranslated, fuzzy or format-broken entry.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import current_app
from flask.cli import AppGroup

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = ["_l", "lazy_gettext", "_lp:1c,2", "lazy_pgettext:1c,2", "lazy_ngettext:1,2"]

translate = AppGroup("translate", help="Extract, update, compile and check the catalogs.")


def pybabel(*args: str, quiet: bool = False) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *(["-q"] if quiet else []), *args]
    subprocess.run(command, check=True, cwd=ROOT)


def extract_to(output: Path, quiet: bool = False) -> None:
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        *keywords,
        "--add-comments=TRANSLATORS:",
        "--strip-comment-tags",
        "--add-location=file",
        "--project=wallet-portal",
        "--no-wrap",
        "-o",
        str(output),
        ".",
        quiet=quiet,
    )


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def catalog_languages() -> list[str]:
    return [code for code in current_app.config["LANGUAGES"] if code != "en"]


@translate.command()
def extract() -> None:
    """Write translations/messages.pot from the sources."""
    extract_to(POT)


@translate.command()
def update() -> None:
    """Extract, then merge the template into every catalog (new entries untranslated)."""
    extract_to(POT)
    pybabel(
        "update",
        "-i",
        str(POT),
        "-d",
        str(TRANSLATIONS),
        "--no-fuzzy-matching",
        "--no-wrap",
        "--ignore-obsolete",
    )


@translate.command()
def compile() -> None:
    """Build the .mo files the app reads."""
    pybabel("compile", "-d", str(TRANSLATIONS))


@translate.command()
@click.argument("language")
def init(language: str) -> None:
    """Start a catalog for LANGUAGE from the template."""
    pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", language, "--no-wrap")


def _entries(catalog: Catalog) -> dict:
    return {
        (message.context, _key(message.id)): (
            message.id,
            tuple(sorted(path for path, _ in message.locations)),
            tuple(message.auto_comments),
            frozenset(message.flags - {"fuzzy"}),
        )
        for message in catalog
        if message.id
    }


def _key(message_id) -> str:
    return message_id[0] if isinstance(message_id, tuple | list) else message_id


def template_problems(fresh: Catalog, committed: Catalog) -> list[str]:
    """What differs between the template the sources give and the committed one."""
    ours, theirs = _entries(fresh), _entries(committed)
    problems = []
    for key in ours.keys() - theirs.keys():
        problems.append(f"new in the sources, missing from messages.pot: {key[1]!r}")
    for key in theirs.keys() - ours.keys():
        problems.append(f"in messages.pot, gone from the sources: {key[1]!r}")
    for key in ours.keys() & theirs.keys():
        if ours[key] != theirs[key]:
            problems.append(f"changed (plural, places or comments): {key[1]!r}")
    return sorted(problems)


PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def placeholders(text: str) -> set[str]:
    return {
        match.group(0) if not match.group(1) else match.group(1)
        for match in PLACEHOLDER.finditer(text)
        if match.group(0) != "%%"
    }


NBSP, NNBSP = "\u00a0", "\u202f"
_FRENCH_RULES = (
    (re.compile(r'["“”]'), "uses straight or English quotes: write « … »"),
    (
        re.compile(r"(?<![\s\u00a0\u202f/])[:;!?](?=\s|$)"),
        "needs a non-breaking space before : ; ! ?",
    ),
    (re.compile(r" [:;!?](?=\s|$)"), "has an ordinary space before : ; ! ? (use U+00A0/U+202F)"),
    (re.compile(r"«(?!\u00a0)|(?<!\u00a0)»"), "needs non-breaking spaces inside « »"),
)
_RUSSIAN_RULES = ((re.compile(r'["“”„]'), "uses straight or English quotes: write «…»"),)


def typography_problems(language: str, text: str) -> list[str]:
    """The house typography of each language (French spacing and guillemets, Russian «»)."""
    rules = {"fr": _FRENCH_RULES, "ru": _RUSSIAN_RULES}.get(language, ())
    return [message for pattern, message in rules if pattern.search(text)]


def catalog_problems(language: str, template: Catalog, path: Path | None = None) -> list[str]:
    """Entries of one language's catalog that a reader would see broken or in English."""
    path = path or po_path(language)
    if not path.exists():
        return [f"{language}: no catalog at {path.relative_to(ROOT)} (flask translate init)"]
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = []
    for expected in template:
        if not expected.id:
            continue
        message = catalog.get(expected.id, context=expected.context)
        label = f"{language}: {_key(expected.id)!r}"
        if message is None:
            problems.append(f"{label} is not in the catalog (flask translate update)")
            continue
        if message.fuzzy:
            problems.append(f"{label} is fuzzy: review it and remove the fuzzy flag")
        plural = isinstance(expected.id, tuple | list)
        strings = list(message.string) if plural else [message.string]
        filled = [text for text in strings if text]
        if plural and filled and len(filled) < catalog.num_plurals:
            problems.append(f"{label} needs {catalog.num_plurals} plural forms, has {len(filled)}")
            continue
        if len(filled) < len(strings) or not filled:
            problems.append(f"{label} is untranslated")
            continue
        if plural:
            wanted = placeholders(expected.id[1]) | placeholders(expected.id[0])
        else:
            wanted = placeholders(expected.id)
        for text in strings:
            problems.extend(f"{label} {problem}" for problem in typography_problems(language, text))
            found = placeholders(text)
            if found - wanted:
                problems.append(f"{label} uses unknown placeholders {sorted(found - wanted)}")
            elif not plural and found != wanted:
                problems.append(f"{label} drops placeholders {sorted(wanted - found)}")
    problems.extend(msgfmt_problems(language, path))
    return problems


def msgfmt_problems(language: str, path: Path) -> list[str]:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return ["msgfmt (gettext) is missing: run make (it installs gettext)"]
    result = subprocess.run(
        [msgfmt, "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    if result.returncode:
        return [f"{language}: msgfmt --check: {line}" for line in result.stderr.splitlines()]
    return []


@translate.command()
def check() -> None:
    """Fail on a stale template or any untranslated, fuzzy or broken entry."""
    with tempfile.TemporaryDirectory() as folder:
        fresh_path = Path(folder) / "messages.pot"
        extract_to(fresh_path, quiet=True)
        with fresh_path.open("rb") as handle:
            fresh = read_po(handle)
    if not POT.exists():
        raise click.ClickException("translations/messages.pot is missing: flask translate extract")
    with POT.open("rb") as handle:
        committed = read_po(handle)
    problems = template_problems(fresh, committed)
    if problems:
        problems.append("the template is stale: run 'flask translate update' and translate")
    for language in catalog_languages():
        problems.extend(catalog_problems(language, fresh))
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the catalogs")
    click.echo(f"catalogs complete: {len(fresh)} messages in {', '.join(catalog_languages())}")
