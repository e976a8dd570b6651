"""Identity documents: every accepted and refused upload, and what lies on the disk."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask_babel import force_locale
from PIL import ExifTags, Image
from sqlalchemy import select, text

from portal import ConfigError, create_app
from portal.documents import (
    DocumentRefused,
    DocumentUnavailable,
    discard,
    format_size,
    inspect_upload,
    preview_png,
    read,
    store,
)
from portal.extensions import db
from portal.models import Account, Document
from tests import document_files as files
from tests.document_files import MARKER, upload

MB = 1024 * 1024
LIMIT = 10 * MB


def make_account(email: str = "person@example.com") -> int:
    account = Account(
        email=email,
        password_hash="x",
        first_name="Anna",
        last_name="Petrova",
        citizenship="RU",
        document_type="passport",
        document_number="4509123456",
        country="RU",
        city="Moscow",
        street="Tverskaya 1",
        phone="+79161234567",
        question_1="q1",
        answer_1_hash="x",
        question_2="q2",
        answer_2_hash="x",
    )
    db.session.add(account)
    db.session.commit()
    return account.id


def refusal(app, data: bytes, *, max_bytes: int = LIMIT, name: str = "passport.jpg"):
    with app.app_context(), pytest.raises(DocumentRefused) as caught:
        inspect_upload(upload(data, name), max_bytes=max_bytes)
    return caught.value


def in_locale(app, message, locale: str) -> str:
    with app.app_context(), force_locale(locale):
        return str(message)


def stored_files(app) -> list[str]:
    folder = app.config["DOCUMENT_STORAGE"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


# --- accepted uploads -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "filename", "browser_type", "content_type"),
    [
        (files.jpeg, "passport.jpg", "image/jpeg", "image/jpeg"),
        (files.jpeg_with_exif_gps, "IMG_0001.JPG", "image/jpeg", "image/jpeg"),
        (files.png, "scan.png", "image/png", "image/png"),
        # Judged by the bytes: a PNG named .jpg is a PNG, a PDF sent as an image is a PDF.
        (files.png, "passport.jpg", "image/jpeg", "image/png"),
        (files.pdf, "scan.png", "image/png", "application/pdf"),
        (files.pdf, "scan", "application/octet-stream", "application/pdf"),
    ],
)
def test_each_accepted_type_is_judged_by_its_bytes(
    sqlite_app, make, filename, browser_type, content_type
):
    with sqlite_app.app_context():
        checked = inspect_upload(upload(make(), filename, browser_type), max_bytes=LIMIT)
    assert checked.content_type == content_type
    assert checked.size == len(checked.content)
    assert checked.sha256 == hashlib.sha256(checked.content).hexdigest()
    if content_type == "application/pdf":
        assert checked.pages == 1
        assert checked.width is None
    else:
        assert checked.pages is None
        decoded = Image.open(io.BytesIO(checked.content))
        assert decoded.format == content_type.split("/")[1].upper()
        assert (checked.width, checked.height) == decoded.size


def test_a_pdf_is_kept_byte_for_byte(sqlite_app):
    original = files.pdf(pages=2)
    with sqlite_app.app_context():
        checked = inspect_upload(upload(original, "scan.pdf"), max_bytes=LIMIT)
    assert checked.content == original
    assert checked.pages == 2


def test_pdf_pages_up_to_the_limit_are_accepted(sqlite_app):
    assert sqlite_app.config["VERIFICATION_MAX_PAGES"] == 4
    with sqlite_app.app_context():
        checked = inspect_upload(upload(files.pdf(pages=4), "scan.pdf"), max_bytes=LIMIT)
    assert checked.pages == 4


def test_the_default_size_limit_is_ten_megabytes(sqlite_app):
    assert sqlite_app.config["VERIFICATION_MAX_BYTES"] == 10 * MB


def test_a_file_of_exactly_the_limit_is_accepted(sqlite_app):
    data = files.png()
    with sqlite_app.app_context():
        checked = inspect_upload(upload(data), max_bytes=len(data))
    assert checked.content_type == "image/png"
    assert refusal(sqlite_app, data, max_bytes=len(data) - 1)


# --- re-encoding: metadata gone, orientation applied ------------------------------------


def test_exif_gps_and_comments_are_gone_after_reencoding(sqlite_app):
    original = files.jpeg_with_exif_gps()
    before = Image.open(io.BytesIO(original))
    assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert MARKER.encode() in original
    with sqlite_app.app_context():
        checked = inspect_upload(upload(original), max_bytes=LIMIT)
    after = Image.open(io.BytesIO(checked.content))
    assert dict(after.getexif()) == {}
    assert not after.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in after.info and "comment" not in after.info
    assert MARKER.encode() not in checked.content
    assert b"Exif" not in checked.content


def test_png_text_chunks_are_gone_after_reencoding(sqlite_app):
    original = files.png()
    assert MARKER.encode() in original
    with sqlite_app.app_context():
        checked = inspect_upload(upload(original, "scan.png"), max_bytes=LIMIT)
    assert MARKER.encode() not in checked.content
    assert Image.open(io.BytesIO(checked.content)).info.get("Comment") is None


def test_orientation_is_applied_before_the_tag_is_dropped(sqlite_app):
    # 64×32, left half red; orientation 6 means "turn 90° clockwise to view".
    with sqlite_app.app_context():
        checked = inspect_upload(upload(files.jpeg_with_exif_gps(orientation=6)), max_bytes=LIMIT)
    assert (checked.width, checked.height) == (32, 64)
    upright = Image.open(io.BytesIO(checked.content)).convert("RGB")
    top, bottom = upright.getpixel((16, 8)), upright.getpixel((16, 56))
    assert top[0] > 150 > top[2], top  # the red half is now on top
    assert bottom[2] > 150 > bottom[0], bottom


# --- refusals ---------------------------------------------------------------------------

REFUSALS = [
    (files.renamed_executable, "passport.jpg", "not a JPEG, PNG or PDF"),
    (files.text_file, "passport.pdf", "not a JPEG, PNG or PDF"),
    (lambda: b"", "passport.jpg", "The file is empty"),
    (files.truncated_jpeg, "passport.jpg", "seems damaged"),
    (files.truncated_png, "passport.png", "seems damaged"),
    (lambda: b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20, "passport.jpg", "seems damaged"),
    (files.broken_pdf, "passport.pdf", "seems damaged"),
    (files.decompression_bomb_png, "passport.png", "too large in pixels"),
    (lambda: files.decompression_bomb_png(8000, 8000), "passport.png", "too large in pixels"),
    (files.encrypted_pdf, "passport.pdf", "protected by a password"),
    (files.pdf_with_javascript, "passport.pdf", "contains JavaScript"),
    (files.pdf_with_open_action_javascript, "passport.pdf", "contains JavaScript"),
    (files.pdf_with_launch, "passport.pdf", "start other programs"),
    (files.pdf_with_embedded_file, "passport.pdf", "files attached"),
    (files.pdf_with_file_attachment_annotation, "passport.pdf", "files attached"),
    (lambda: files.pdf(pages=5), "passport.pdf", "more than 4 pages"),
]


@pytest.mark.parametrize(("make", "filename", "reason"), REFUSALS)
def test_each_refusal_says_why_in_three_languages(sqlite_app, make, filename, reason):
    refused = refusal(sqlite_app, make(), name=filename)
    english = in_locale(sqlite_app, refused.message, "en")
    assert reason in english
    for locale in ("ru", "fr"):
        translated = in_locale(sqlite_app, refused.message, locale)
        assert translated and translated != english, locale
    assert stored_files(sqlite_app) == []


def test_each_refusal_has_its_own_message(sqlite_app):
    reasons = {reason for _, _, reason in REFUSALS}
    messages = {
        in_locale(sqlite_app, refusal(sqlite_app, make()).message, "en") for make, *_ in REFUSALS
    }
    assert len(messages) == len(reasons)


def test_a_file_over_the_limit_is_refused_before_anything_is_read_further(sqlite_app):
    stream = io.BytesIO(b"\xff\xd8\xff" + b"\x00" * (LIMIT + 100))
    with sqlite_app.app_context(), pytest.raises(DocumentRefused) as caught:
        inspect_upload(upload(stream.getvalue()), max_bytes=LIMIT)
    message = caught.value.message
    assert in_locale(sqlite_app, message, "en") == "The file is larger than 10 MB."
    assert "10 МБ" in in_locale(sqlite_app, message, "ru")
    assert "10\u202fMo" in in_locale(sqlite_app, message, "fr")
    assert stored_files(sqlite_app) == []


@pytest.mark.parametrize(
    ("size", "locale", "shown"),
    [
        (10 * MB, "en", "10 MB"),
        (1536 * 1024, "ru", "1,5 МБ"),
        (2048, "fr", "2\u202fko"),
        (500, "en", "500 bytes"),
    ],
)
def test_sizes_are_formatted_for_the_reader(size, locale, shown):
    assert format_size(size, locale) == shown


def test_inspecting_bad_files_logs_nothing_of_their_content(sqlite_app, caplog):
    caplog.set_level(logging.DEBUG)
    for make, filename, _ in REFUSALS:
        refusal(sqlite_app, make(), name=filename)
    assert MARKER not in caplog.text
    assert "app.alert" not in caplog.text


# --- storage ----------------------------------------------------------------------------


def stored(app, make=files.pdf, kind="document"):
    """Check, store and commit one file; returns the checked file and the row's id."""
    with app.app_context():
        account_id = db.session.scalar(select(Account.id)) or make_account()
        checked = inspect_upload(upload(make(), "scan"), max_bytes=LIMIT)
        document = store(checked, account_id=account_id, kind=kind)
        db.session.commit()
        return checked, document.id


def test_store_keeps_metadata_and_reads_back_the_content(app):
    checked, document_id = stored(app, files.jpeg_with_exif_gps, kind="document_back")
    with app.app_context():
        document = db.session.get(Document, document_id)
        assert document.kind == "document_back"
        assert document.content_type == "image/jpeg"
        assert (document.size, document.sha256) == (checked.size, checked.sha256)
        assert len(document.stored_name) == 32 and int(document.stored_name, 16) >= 0
        assert document.uploaded_at is not None and document.discarded_at is None
        assert read(document) == checked.content


def test_stored_names_are_random(app):
    stored(app)
    stored(app)
    with app.app_context():
        names = db.session.scalars(select(Document.stored_name)).all()
    assert len(set(names)) == 2
    assert stored_files(app) == sorted(names)


def test_an_unknown_kind_is_refused(app):
    with app.app_context():
        account_id = make_account()
        checked = inspect_upload(upload(files.png()), max_bytes=LIMIT)
        with pytest.raises(ValueError):
            store(checked, account_id=account_id, kind="selfie")
    assert stored_files(app) == []


def test_the_file_on_disk_is_encrypted_private_and_needs_the_key(app):
    original = files.pdf()
    assert original.startswith(b"%PDF") and MARKER.encode() in original
    checked, document_id = stored(app, lambda: original)
    [name] = stored_files(app)  # no temporary file left beside it
    path = os.path.join(app.config["DOCUMENT_STORAGE"], name)
    with open(path, "rb") as file:
        raw = file.read()
    assert not raw.startswith((b"%PDF", b"\xff\xd8\xff", b"\x89PNG"))
    assert MARKER.encode() not in raw and b"%PDF" not in raw
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(raw)
    key = app.config["DOCUMENT_KEYS"][0]
    assert Fernet(key).decrypt(raw) == original

    stranger = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "DOCUMENT_STORAGE": app.config["DOCUMENT_STORAGE"],
            "DOCUMENT_KEYS": Fernet.generate_key().decode(),
        },
    )
    with stranger.app_context():
        with pytest.raises(DocumentUnavailable):
            read(db.session.get(Document, document_id))
        db.session.remove()
        db.engine.dispose()


def test_a_file_changed_on_disk_is_not_returned(app):
    _, document_id = stored(app, files.png)
    with app.app_context():
        document = db.session.get(Document, document_id)
        path = os.path.join(app.config["DOCUMENT_STORAGE"], document.stored_name)
        key = Fernet(app.config["DOCUMENT_KEYS"][0])
        with open(path, "wb") as file:
            file.write(key.encrypt(files.jpeg()))
        with pytest.raises(DocumentUnavailable):
            read(document)


def test_discard_deletes_the_file_and_keeps_the_row(app):
    _, document_id = stored(app)
    with app.app_context():
        document = db.session.get(Document, document_id)
        discard(document)
        db.session.commit()
    assert stored_files(app) == []
    with app.app_context():
        document = db.session.get(Document, document_id)
        assert document.discarded_at is not None
        first = document.discarded_at
        with pytest.raises(DocumentUnavailable):
            read(document)
        discard(document)  # twice is harmless and keeps the first date
        assert document.discarded_at == first


def test_deleting_the_account_deletes_its_rows(app):
    _, document_id = stored(app)
    with app.app_context():
        db.session.execute(text("DELETE FROM accounts"))
        db.session.commit()
        assert db.session.get(Document, document_id) is None


def test_key_rotation_moves_every_file_to_the_newest_key(app_factory):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = app_factory(DOCUMENT_KEYS=[old])
    _, first = stored(before, files.pdf)
    _, second = stored(before, files.png)
    _, gone = stored(before, files.jpeg)
    with before.app_context():
        discard(db.session.get(Document, gone))
        db.session.commit()

    # Comma-separated, as PORTAL_DOCUMENT_KEYS gives it: the new key first.
    both = app_factory(DOCUMENT_KEYS=f"{new},{old}")
    result = both.test_cli_runner().invoke(args=["documents", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "2 re-encrypted with the newest key, 0 already were, 0 missing" in result.output
    again = both.test_cli_runner().invoke(args=["documents", "rotate-keys"])
    assert "0 re-encrypted with the newest key, 2 already were" in again.output

    after = app_factory(DOCUMENT_KEYS=[new])
    with after.app_context():
        for document_id in (first, second):
            document = db.session.get(Document, document_id)
            assert read(document)
            with open(
                os.path.join(after.config["DOCUMENT_STORAGE"], document.stored_name), "rb"
            ) as file:
                raw = file.read()
            with pytest.raises(InvalidToken):
                Fernet(old).decrypt(raw)


def test_rotation_counts_missing_files(app):
    _, document_id = stored(app)
    [name] = stored_files(app)
    os.remove(os.path.join(app.config["DOCUMENT_STORAGE"], name))
    result = app.test_cli_runner().invoke(args=["documents", "rotate-keys"])
    assert "1 missing" in result.output
    with app.app_context(), pytest.raises(DocumentUnavailable):
        read(db.session.get(Document, document_id))


# --- previews for the desk ----------------------------------------------------------------


def test_the_preview_of_a_pdf_is_its_first_page_as_png(app):
    _, document_id = stored(app, lambda: files.pdf(pages=2))
    with app.app_context():
        preview = preview_png(db.session.get(Document, document_id))
    assert preview.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(preview))
    assert image.format == "PNG"
    assert max(image.size) == 1600 and image.height > image.width  # an A4 page, upright
    darkest, _ = image.convert("L").getextrema()
    assert darkest < 50  # the black band was drawn, not a blank page


@pytest.mark.parametrize("make", [files.jpeg_with_exif_gps, files.png])
def test_the_preview_of_an_image_is_a_smaller_png(app, make):
    checked, document_id = stored(app, make)
    with app.app_context():
        preview = preview_png(db.session.get(Document, document_id), max_side=16)
    image = Image.open(io.BytesIO(preview))
    assert image.format == "PNG"
    assert max(image.size) == 16
    assert image.size[0] / image.size[1] == checked.width / checked.height


# --- configuration ------------------------------------------------------------------------


def test_storage_defaults_to_the_instance_folder():
    app = create_app("testing")
    assert app.config["DOCUMENT_STORAGE"] == os.path.join(app.instance_path, "documents")
    relative = create_app("testing", {"DOCUMENT_STORAGE": "scans"})
    assert relative.config["DOCUMENT_STORAGE"] == os.path.join(app.instance_path, "scans")


def test_storage_inside_the_static_folder_is_refused():
    with pytest.raises(ConfigError, match="DOCUMENT_STORAGE"):
        create_app(
            "testing", {"DOCUMENT_STORAGE": os.path.join(create_app("testing").static_folder, "d")}
        )


def test_development_and_testing_have_a_key_of_their_own():
    development = create_app("development", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    testing = create_app("testing")
    for app in (development, testing):
        [key] = app.config["DOCUMENT_KEYS"]
        Fernet(key)
    assert development.config["DOCUMENT_KEYS"] != testing.config["DOCUMENT_KEYS"]


@pytest.mark.parametrize(
    ("limit", "russian", "french"),
    [(1, "больше 1 страницы", "plus de 1 page."), (4, "больше 4 страниц", "plus de 4 pages")],
)
def test_the_page_limit_speaks_plurals(app_factory, limit, russian, french):
    app = app_factory(VERIFICATION_MAX_PAGES=limit)
    refused = refusal(app, files.pdf(pages=limit + 1), name="scan.pdf")
    assert russian in in_locale(app, refused.message, "ru")
    assert french in in_locale(app, refused.message, "fr")
