"""PDFs are opened with pypdf and every reachable object is looked at for active content.

Nothing is decoded but the structure (content streams stay untouched), so a PDF costs at most
one walk over its objects; the walk is bounded so a crafted file cannot make it endless.
"""

from __future__ import annotations

import io
import logging
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject

# pypdf (with fontTools under it) is some 14 MB that a worker needs only once a PDF
# arrives: it is imported by the functions that read one, not with the portal.

ENCRYPTED = "encrypted"
JAVASCRIPT = "javascript"
LAUNCH = "launch"
ATTACHMENTS = "attachments"
TOO_MANY_PAGES = "too_many_pages"
DAMAGED = "damaged"

# More objects than this in one identity document is not a scan: refuse it as damaged.
MAX_OBJECTS = 200_000
SCRIPT_KEYS = {"/JS", "/JavaScript", "/XFA"}
ATTACHMENT_KEYS = {"/EmbeddedFiles", "/EF"}


class Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check(data: bytes, *, max_pages: int) -> int:
    """The number of pages of an acceptable PDF; Refused(reason) for any other."""
    from pypdf import PdfReader

    with _quiet():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise Refused(ENCRYPTED)
            pages = len(reader.pages)
            _look_for_active_content(reader)
        except Refused:
            raise
        except Exception:  # pypdf raises many kinds on a broken file (PdfReadError, KeyError...)
            raise Refused(DAMAGED) from None
    if pages < 1:
        raise Refused(DAMAGED)
    if pages > max_pages:
        raise Refused(TOO_MANY_PAGES)
    return pages


def _look_for_active_content(reader: PdfReader) -> None:
    """Scripts, launch actions and attachments anywhere: catalog, names, pages, annotations."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    todo: list = [reader.trailer]
    visited = 0
    while todo:
        node = todo.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise Refused(DAMAGED)
        if isinstance(node, DictionaryObject):
            _judge(node)
            todo.extend(node.values())
        elif isinstance(node, ArrayObject):
            todo.extend(node)


def _judge(node: DictionaryObject) -> None:
    keys = set(node.keys())
    if keys & SCRIPT_KEYS or _name(node, "/S") == "/JavaScript":
        raise Refused(JAVASCRIPT)
    if _name(node, "/S") == "/Launch" or "/Launch" in keys:
        raise Refused(LAUNCH)
    if (
        keys & ATTACHMENT_KEYS
        or _name(node, "/Type") == "/EmbeddedFile"
        or _name(node, "/Subtype") == "/FileAttachment"
    ):
        raise Refused(ATTACHMENTS)


def _name(node: DictionaryObject, key: str) -> str | None:
    from pypdf.generic import IndirectObject, NameObject

    value = node.get(key)
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return str(value) if isinstance(value, NameObject) else None


@contextmanager
def _quiet():
    """pypdf reports repairs through logging and warnings: a broken upload is not our error."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR + 10)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
