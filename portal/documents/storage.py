"""Documents at rest: Fernet-encrypted files under random names, metadata in the database.

``DOCUMENT_KEYS`` lists the keys newest first: new files use the first, any of them reads,
and ``rotate_keys`` moves every file to the first so an old key can then be removed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from config import ConfigError, document_keys
from portal.documents.checks import CheckedFile
from portal.extensions import db
from portal.models.document import KINDS, Document
from portal.models.types import utcnow

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

# cryptography (some 7 MB) is imported by the functions that encrypt or decrypt, so that a
# worker holds it only once it has handled a document.


class DocumentUnavailable(Exception):
    """The file is gone (discarded), or cannot be decrypted with the configured keys."""


def keys() -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    names = document_keys(current_app.config.get("DOCUMENT_KEYS"))
    if not names:
        raise ConfigError("DOCUMENT_KEYS is empty: documents cannot be encrypted")
    try:
        return MultiFernet([Fernet(name) for name in names])
    except ValueError:
        raise ConfigError("DOCUMENT_KEYS holds a value that is not a Fernet key") from None


def store(checked: CheckedFile, *, account_id: int, kind: str) -> Document:
    """Encrypt and write the file, then add its row to the session (the caller commits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    stored_name = secrets.token_hex(16)
    _write_atomically(_path(stored_name), keys().encrypt(checked.content))
    document = Document(
        account_id=account_id,
        kind=kind,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        stored_name=stored_name,
        uploaded_at=utcnow(),
    )
    db.session.add(document)
    return document


def read(document: Document) -> bytes:
    """The decrypted content, checked against the sha256 recorded at upload."""
    from cryptography.fernet import InvalidToken

    if document.discarded_at is not None:
        raise DocumentUnavailable("discarded")
    try:
        with open(_path(document.stored_name), "rb") as file:
            token = file.read()
    except FileNotFoundError:
        raise DocumentUnavailable("file missing") from None
    try:
        content = keys().decrypt(token)
    except InvalidToken:
        raise DocumentUnavailable("no configured key decrypts it") from None
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise DocumentUnavailable("content does not match its sha256")
    return content


def discard(document: Document) -> None:
    """Delete the file for good; the row stays, marked, as a record that it existed."""
    try:
        os.remove(_path(document.stored_name))
    except FileNotFoundError:
        pass
    if document.discarded_at is None:
        document.discarded_at = utcnow()


@dataclass
class Rotation:
    rotated: int = 0
    current: int = 0
    missing: int = 0

    def __str__(self) -> str:
        return (
            f"{self.rotated} re-encrypted with the newest key, {self.current} already were,"
            f" {self.missing} missing"
        )


def rotate_keys() -> Rotation:
    """Re-encrypt every kept file with the newest key; running it again changes nothing."""
    from cryptography.fernet import Fernet, InvalidToken

    multi = keys()
    newest = Fernet(document_keys(current_app.config["DOCUMENT_KEYS"])[0])
    report = Rotation()
    kept = select(Document).where(Document.discarded_at.is_(None)).order_by(Document.id)
    for document in db.session.scalars(kept):
        path = _path(document.stored_name)
        try:
            with open(path, "rb") as file:
                token = file.read()
        except FileNotFoundError:
            report.missing += 1
            continue
        try:
            newest.decrypt(token)
        except InvalidToken:
            _write_atomically(path, multi.rotate(token))
            report.rotated += 1
        else:
            report.current += 1
    return report


def _storage() -> str:
    folder = current_app.config["DOCUMENT_STORAGE"]
    os.makedirs(folder, mode=0o700, exist_ok=True)
    return folder


def _path(stored_name: str) -> str:
    if not stored_name.isalnum():
        raise ValueError("stored names are hex")
    return os.path.join(_storage(), stored_name)


def _write_atomically(path: str, data: bytes) -> None:
    """A reader sees the old file or the new one, never half of one; only we may read it."""
    folder = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except FileNotFoundError:
            pass
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
