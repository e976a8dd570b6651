"""Upload checks: a document is judged by its bytes, never by its name or the browser's type.

Images are decoded and re-encoded (orientation applied, every bit of metadata dropped); PDFs
are kept as sent, but only when they carry no password, script, launch action or attachment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from portal.documents import images, pdfs
from portal.documents.sizes import format_size

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
MAGIC = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
)


class DocumentRefused(Exception):
    """An upload that cannot be kept; ``message`` tells the person why, in their language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# One message per reason, shown next to the field.
EMPTY = _l("The file is empty. Choose the scan or photo of your document again.")
NOT_ACCEPTED = _l(
    "This file is not a JPEG, PNG or PDF. Upload a photo or scan of your document in one of "
    "these formats."
)
DAMAGED = _l(
    "The file seems damaged and cannot be opened. Save or export it again and upload the new copy."
)
PDF_ENCRYPTED = _l(
    "This PDF is protected by a password. Upload a copy without a password, or a photo or scan."
)
PDF_JAVASCRIPT = _l(
    "This PDF contains JavaScript, which we do not accept. Print it to a new PDF or upload a "
    "photo or scan instead."
)
PDF_LAUNCH = _l(
    "This PDF tries to start other programs, which we do not accept. Print it to a new PDF or "
    "upload a photo or scan instead."
)
PDF_ATTACHMENTS = _l(
    "This PDF has files attached inside it, which we do not accept. Upload a PDF without "
    "attachments, or a photo or scan."
)


def _too_large(limit: int) -> str:
    return LazyString(lambda: _("The file is larger than %(size)s.", size=format_size(limit)))


def _too_many_pixels(limit: int) -> str:
    return LazyString(
        lambda: _(
            "This image is too large in pixels (more than %(megapixels)s megapixels). Take the "
            "photo at a lower resolution or scan at 300 dpi.",
            megapixels=limit // 1_000_000,
        )
    )


def _too_many_pages(limit: int) -> str:
    return LazyString(
        lambda: ngettext(
            "This PDF has more than %(num)d page. Upload only the pages of your document.",
            "This PDF has more than %(num)d pages. Upload only the pages of your document.",
            limit,
        )
    )


PDF_REFUSALS = {
    pdfs.ENCRYPTED: lambda limit: PDF_ENCRYPTED,
    pdfs.JAVASCRIPT: lambda limit: PDF_JAVASCRIPT,
    pdfs.LAUNCH: lambda limit: PDF_LAUNCH,
    pdfs.ATTACHMENTS: lambda limit: PDF_ATTACHMENTS,
    pdfs.TOO_MANY_PAGES: _too_many_pages,
    pdfs.DAMAGED: lambda limit: DAMAGED,
}


@dataclass(frozen=True)
class CheckedFile:
    """What is safe to store: re-encoded image bytes or the original PDF."""

    content: bytes
    content_type: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None

    def __repr__(self) -> str:  # never the bytes, in a log or a traceback
        return f"CheckedFile({self.content_type}, {self.size} bytes, sha256={self.sha256[:12]}…)"


def inspect_upload(file: FileStorage, *, max_bytes: int) -> CheckedFile:
    """Read at most ``max_bytes`` and decide from them; raise DocumentRefused with the reason."""
    data = _read_limited(file, max_bytes)
    if not data:
        raise DocumentRefused(EMPTY)
    content_type = sniff(data)
    if content_type is None:
        raise DocumentRefused(NOT_ACCEPTED)
    config = current_app.config
    if content_type == PDF:
        max_pages = config["VERIFICATION_MAX_PAGES"]
        try:
            pages = pdfs.check(data, max_pages=max_pages)
        except pdfs.Refused as refusal:
            raise DocumentRefused(PDF_REFUSALS[refusal.reason](max_pages)) from None
        return _checked(data, PDF, pages=pages)
    max_pixels = config["VERIFICATION_MAX_PIXELS"]
    try:
        content, width, height = images.reencode(data, content_type, max_pixels=max_pixels)
    except images.TooManyPixels:
        raise DocumentRefused(_too_many_pixels(max_pixels)) from None
    except images.Undecodable:
        raise DocumentRefused(DAMAGED) from None
    return _checked(content, content_type, width=width, height=height)


def sniff(data: bytes) -> str | None:
    """The type the first bytes claim; only a successful decode later confirms it."""
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def _read_limited(file: FileStorage, max_bytes: int) -> bytes:
    stream = file.stream
    if stream.seekable():
        stream.seek(0)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DocumentRefused(_too_large(max_bytes))
    return data


def _checked(content: bytes, content_type: str, **shape) -> CheckedFile:
    return CheckedFile(
        content=content,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        **shape,
    )
