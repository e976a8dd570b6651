"""What the support desk shows: a PNG of the document, never the uploaded file itself."""

from __future__ import annotations

import io

from PIL import Image

from portal.documents.images import FORMATS
from portal.documents.storage import read
from portal.models.document import Document

# A4 at 72 points an inch is 595×842: a scale above this would only blow up pixels.
MAX_PDF_SCALE = 4.0


def preview_png(document: Document, *, max_side: int = 1600) -> bytes:
    """Images scaled to fit ``max_side``; a PDF's first page rendered to the same size."""
    content = read(document)
    if document.content_type in FORMATS:
        image = Image.open(io.BytesIO(content), formats=[FORMATS[document.content_type]])
        image.load()
    else:
        image = _first_page(content, max_side)
    image.thumbnail((max_side, max_side))
    if image.mode not in {"1", "L", "LA", "P", "RGB", "RGBA"}:
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _first_page(content: bytes, max_side: int) -> Image.Image:
    # PDFium, some 12 MB, is loaded by the first PDF a desk worker shows, not with the portal.
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(content)
    try:
        page = pdf[0]
        try:
            width, height = page.get_size()
            scale = min(max_side / max(width, height, 1), MAX_PDF_SCALE)
            bitmap = page.render(scale=scale)
            try:
                return bitmap.to_pil().copy()
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        pdf.close()
