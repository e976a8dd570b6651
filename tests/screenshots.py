"""The README's pictures of the wizard, one per language: `make screenshots`.

Renders the wizard's pages in Chromium from a throwaway SQLite database, exactly as
the visual tests see them, and writes docs/screenshots/<step>-<language>.png."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser import CHROMIUM_FLAGS, LiveServer, chromium_path, open_html
from tests.conftest import make_app, migrate
from tests.pages import every_page

SHOTS = {"step 1": "wizard-step1", "step 2": "wizard-step2"}
LANGUAGES = ("en", "ru", "fr")


def main(folder: str = "docs/screenshots") -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/screenshots.sqlite"
        migrate(url)
        app = make_app(url, DOCUMENT_STORAGE=f"{scratch}/documents")
        with LiveServer(app) as live, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_FLAGS
            )
            tab = browser.new_page(viewport={"width": 900, "height": 700})
            for language in LANGUAGES:
                pages = {page.label: page for page in every_page(app, language)}
                for label, name in SHOTS.items():
                    open_html(tab, live.url, pages[label].html)
                    path = out / f"{name}-{language}.png"
                    tab.screenshot(path=str(path), full_page=True)
                    print(path)
            browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
