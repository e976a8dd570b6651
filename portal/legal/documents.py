"""Where a legal page's text comes from: the operator's own file in ``LEGAL_DIR``
(``<page>.<language>.md`` or ``.html``), else the English one, else the default text
shipped in ``templates/legal/``. The operator's words are the ones that bind, so the
portal never edits them; Markdown is rendered with raw HTML off (an ``.html`` file is
the way to give HTML), and its headings are moved one level down under the page's own
``<h1>``."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import current_app
from markdown_it import MarkdownIt
from markupsafe import Markup

PAGES = ("privacy", "terms")


@dataclass(frozen=True)
class LegalText:
    html: Markup
    # The language the text is written in (the English fallback may serve a French page).
    language: str


def legal_dir() -> str:
    """``LEGAL_DIR``, a relative path being resolved in the instance folder."""
    return os.path.join(current_app.instance_path, current_app.config.get("LEGAL_DIR") or "legal")


def operator_text(page: str, language: str) -> LegalText | None:
    """The operator's text of ``page`` in ``language``, or in English, or None."""
    folder = legal_dir()
    for candidate in dict.fromkeys((language, "en")):
        for extension in ("md", "html"):
            path = os.path.join(folder, f"{page}.{candidate}.{extension}")
            if os.path.isfile(path):
                # A stray byte shows as U+FFFD rather than taking the page down.
                with open(path, encoding="utf-8", errors="replace") as file:
                    source = file.read()
                html = render_markdown(source) if extension == "md" else source
                return LegalText(Markup(html), candidate)
    return None


_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def render_markdown(source: str) -> str:
    tokens = _markdown.parse(source)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, 6)
            token.tag = f"h{level}"
    return _markdown.renderer.render(tokens, _markdown.options, {})
