"""Files a person might upload, good and bad, drawn fresh by each test (Pillow and pypdf).

Every generator returns bytes; ``upload(data, name)`` wraps them as the browser would send
them. ``MARKER`` is written inside each file so a test can look for it in what is stored.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from werkzeug.datastructures import FileStorage

MARKER = "MARKER-7f3a9c"
RED, BLUE = (220, 20, 20), (20, 20, 220)


def upload(data: bytes, filename: str = "document.jpg", content_type: str = "image/jpeg"):
    """What request.files holds; the name and type are the browser's claims, not the truth."""
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def _half_and_half(width: int, height: int) -> Image.Image:
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def jpeg_with_exif_gps(width: int = 64, height: int = 32, orientation: int = 6) -> bytes:
    """A phone photo: GPS position, camera make and an orientation tag (6: turn 90° clockwise)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = MARKER
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (55.0, 45.0, 21.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (37.0, 37.0, 4.0),
    }
    out = io.BytesIO()
    _half_and_half(width, height).save(
        out, "JPEG", quality=95, exif=exif.tobytes(), comment=MARKER.encode()
    )
    return out.getvalue()


def jpeg(width: int = 64, height: int = 32) -> bytes:
    out = io.BytesIO()
    _half_and_half(width, height).save(out, "JPEG", quality=95)
    return out.getvalue()


def png(width: int = 48, height: int = 24, mode: str = "RGB") -> bytes:
    """A scan saved as PNG, with a text chunk that must not survive re-encoding."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", MARKER)
    image = _half_and_half(width, height).convert(mode)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def decompression_bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A few hundred bytes that declare ``width``×``height`` pixels (grey, 8 bits)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # a few rows; the rest never arrives
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = jpeg(320, 240)
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = png(320, 240)
    return data[: len(data) // 2]


def renamed_executable() -> bytes:
    """The start of a Linux program, as if someone renamed it passport.jpg."""
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x90" * 512


def text_file() -> bytes:
    return f"Passport number 1234 567890 {MARKER}\n".encode()


def _page_with_text(writer: PdfWriter, text: str) -> None:
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    contents = DecodedStreamObject()
    contents.set_data(
        f"0 0 0 rg 50 500 495 200 re f BT /F1 36 Tf 1 1 1 rg 72 600 Td ({text}) Tj ET".encode()
    )
    page[NameObject("/Contents")] = writer._add_object(contents)


def _pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _writer(pages: int) -> PdfWriter:
    writer = PdfWriter()
    for number in range(1, pages + 1):
        _page_with_text(writer, f"{MARKER} page {number}")
    return writer


def pdf(pages: int = 1) -> bytes:
    """A scanned document: a black band and white text on each A4 page."""
    return _pdf_bytes(_writer(pages))


def pdf_with_javascript() -> bytes:
    """Document-level JavaScript (the /Names /JavaScript tree)."""
    writer = _writer(1)
    script = writer._add_object(_action("/JavaScript", JS=TextStringObject("app.alert('hi');")))
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("greeting"), script])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return _pdf_bytes(writer)


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action")})
    action[NameObject("/S")] = NameObject(kind)
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def pdf_with_open_action_javascript() -> bytes:
    """JavaScript run when the PDF opens, through /OpenAction only."""
    writer = _writer(1)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        _action("/JavaScript", JS=TextStringObject("app.alert('opened');"))
    )
    return _pdf_bytes(writer)


def pdf_with_launch() -> bytes:
    """Opening the PDF asks the viewer to start a program."""
    writer = _writer(1)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        _action("/Launch", F=TextStringObject("calc.exe"))
    )
    return _pdf_bytes(writer)


def pdf_with_embedded_file() -> bytes:
    """An attachment in the /EmbeddedFiles name tree."""
    writer = _writer(1)
    writer.add_attachment("invoice.exe", b"MZ" + MARKER.encode())
    return _pdf_bytes(writer)


def pdf_with_file_attachment_annotation() -> bytes:
    """An attachment hung on the page as an annotation (a paper-clip icon)."""
    writer = _writer(1)
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject(
                [FloatObject(10), FloatObject(10), NumberObject(30), NumberObject(30)]
            ),
            NameObject("/Contents"): TextStringObject("note"),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return _pdf_bytes(writer)


def encrypted_pdf(password: str = "secret") -> bytes:
    writer = _writer(1)
    writer.encrypt(password, algorithm="AES-256")
    return _pdf_bytes(writer)


def broken_pdf() -> bytes:
    """A PDF header followed by nothing a PDF reader can use."""
    return b"%PDF-1.7\n" + b"\x00garbage\xff" * 64
