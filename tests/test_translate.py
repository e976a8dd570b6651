"""`flask translate check`: the gate that keeps the catalogs from rotting."""

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from portal import translate
from portal.translate import POT, catalog_problems, template_problems, typography_problems


def template(*message_ids) -> Catalog:
    """A .pot with these ids (a tuple id is a singular/plural pair)."""
    catalog = Catalog()
    for message_id in message_ids:
        catalog.add(message_id)
    return catalog


def write_catalog(folder: Path, language: str, entries) -> Path:
    catalog = Catalog(locale=language)
    for msgid, msgstr, flags in entries:
        catalog.add(msgid, msgstr, flags=flags)
    path = folder / f"{language}.po"
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


def test_the_committed_catalogs_pass(runner):
    result = runner.invoke(args=["translate", "check"])
    assert result.exit_code == 0, result.output
    assert "catalogs complete" in result.output


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (("Save", "", []), "is untranslated"),
        (("Save", "Enregistrer", ["fuzzy"]), "is fuzzy"),
        (("Hello %(name)s", "Bonjour %(nom)s", []), "unknown placeholders"),
        (("Hello %(name)s", "Bonjour", []), "drops placeholders"),
        (("Hello", "Bonjour", []), None),
    ],
)
def test_each_broken_entry_is_reported(tmp_path, entry, problem):
    pot = template(entry[0])
    path = write_catalog(tmp_path, "fr", [entry])
    problems = [p for p in catalog_problems("fr", pot, path) if "msgfmt" not in p]
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_an_entry_missing_from_the_catalog_is_reported(tmp_path):
    pot = template("Save", "Cancel")
    path = write_catalog(tmp_path, "ru", [("Save", "Сохранить", [])])
    assert any("'Cancel' is not in the catalog" in p for p in catalog_problems("ru", pot, path))


def test_russian_plurals_need_three_forms(tmp_path):
    plural = ("%(num)d second", "%(num)d seconds")
    pot = template(plural)
    catalog = Catalog(locale="ru")
    catalog.add(plural, ("%(num)d секунда", "%(num)d секунды"))
    path = tmp_path / "ru.po"
    with path.open("wb") as handle:
        write_po(handle, catalog)
    assert any("needs 3 plural forms, has 2" in p for p in catalog_problems("ru", pot, path))


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("fr", "Erreur: code", "non-breaking space before"),
        ("fr", "Toujours rien ?", "ordinary space"),
        ("fr", 'Appuyez sur "Envoyer"', "quotes"),
        ("fr", "Appuyez sur «Envoyer»", "inside « »"),
        ("fr", "Erreur\u00a0: code, voir https://example.com", None),
        ("fr", "Toujours rien\u202f? «\u00a0Oui\u00a0»", None),
        ("ru", 'Нажмите "Отправить"', "quotes"),
        ("ru", "Нажмите «Отправить»: готово", None),
    ],
)
def test_typography_rules(language, text, expected):
    problems = typography_problems(language, text)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_a_stale_template_is_reported():
    with POT.open("rb") as handle:
        committed = read_po(handle)
    with POT.open("rb") as handle:
        fresh = read_po(handle)
    fresh.add("A sentence added to the code but not extracted")
    problems = template_problems(fresh, committed)
    assert problems == [
        "new in the sources, missing from messages.pot: "
        "'A sentence added to the code but not extracted'"
    ]


def test_check_fails_when_a_source_string_is_not_extracted(app, tmp_path, monkeypatch):
    """The real command, on a copy of the project where the .pot lags behind the code."""
    copy = tmp_path / "project"
    for name in ("portal", "templates", "translations"):
        shutil.copytree(translate.ROOT / name, copy / name)
    shutil.copy(translate.ROOT / "babel.cfg", copy / "babel.cfg")
    page = copy / "templates" / "main" / "index.html"
    page.write_text(
        page.read_text().replace(
            "{% endblock %}", "<p>{{ _('Brand new text') }}</p>{% endblock %}", 1
        )
    )
    monkeypatch.setattr(translate, "ROOT", copy)
    monkeypatch.setattr(translate, "TRANSLATIONS", copy / "translations")
    monkeypatch.setattr(translate, "POT", copy / "translations" / "messages.pot")
    result = app.test_cli_runner().invoke(args=["translate", "check"])
    assert result.exit_code != 0
    assert "Brand new text" in result.output
    assert "flask translate update" in result.output


def test_adding_a_language_is_init_translate_configure(tmp_path, monkeypatch, sqlite_url):
    """The three steps TRANSLATING.md promises, and nothing else."""
    from portal import create_app

    folder = tmp_path / "translations"
    shutil.copytree(translate.TRANSLATIONS, folder)
    monkeypatch.setattr(translate, "TRANSLATIONS", folder)
    monkeypatch.setattr(translate, "POT", folder / "messages.pot")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": sqlite_url})

    # 1. flask translate init de
    result = app.test_cli_runner().invoke(args=["translate", "init", "de"])
    assert result.exit_code == 0, result.output
    # 2. translate (here: mechanically), then compile
    path = folder / "de" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = tuple(f"[de] {text}" for text in ids)
            message.string = strings if isinstance(message.id, tuple) else strings[0]
    with path.open("wb") as handle:
        write_po(handle, catalog)
    assert app.test_cli_runner().invoke(args=["translate", "compile"]).exit_code == 0
    # 3. add it to the configured languages
    german = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": sqlite_url,
            "LANGUAGES": ["en", "ru", "fr", "de"],
            "BABEL_TRANSLATION_DIRECTORIES": str(folder),
        },
    )
    html = german.test_client().get("/?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "[de] A wallet for your refunds" in html
    assert re.search(r'hreflang="de"[^>]*>Deutsch</a>', html)
    assert (
        "catalogs complete" in german.test_cli_runner().invoke(args=["translate", "check"]).output
    )
