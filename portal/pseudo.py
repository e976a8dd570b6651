"""The pseudo-locale (``?lang=en-XA``): every catalog string, accented and bracketed.

Built from ``messages.pot`` when first needed, so it always matches the sources. A
page in this language shows at a glance — and to a test — any text that did not go
through the catalogs: it is the only text left without ⟦brackets⟧.
"""

from __future__ import annotations

import re
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

OPEN, CLOSE = "⟦", "⟧"
ACCENTED = str.maketrans(
    "aceinosuyzACEINOSUYZ",
    "áçéîñöšûýžÁÇÉÎÑÖŠÛÝŽ",
)
# Placeholders stay as they are: they are code, not text.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd%]|\{\w*\}")


def pseudo(text: str) -> str:
    parts = PLACEHOLDER.split(text)
    holes = PLACEHOLDER.findall(text)
    accented = [part.translate(ACCENTED) for part in parts]
    body = "".join(
        part + (holes[index] if index < len(holes) else "") for index, part in enumerate(accented)
    )
    return f"{OPEN}{body}{CLOSE}"


def pseudo_catalog(template: Catalog) -> Catalog:
    catalog = Catalog(locale="en", domain="messages")
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            string = tuple(pseudo(form) for form in message.id)
        else:
            string = pseudo(message.id)
        catalog.add(message.id, string, context=message.context)
    return catalog


@cache
def _translations(template_path: str, mtime: float) -> Translations:
    with open(template_path, "rb") as handle:
        template = read_po(handle)
    buffer = BytesIO()
    write_mo(buffer, pseudo_catalog(template))
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def pseudo_translations(template_path: Path) -> Translations:
    return _translations(str(template_path), template_path.stat().st_mtime)
