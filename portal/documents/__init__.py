"""Identity documents: uploads checked by their bytes, stored encrypted, read back for the desk.

The verification pages and the support desk call only what is exported here.
"""

from portal.documents.checks import CheckedFile, DocumentRefused, inspect_upload
from portal.documents.preview import preview_png
from portal.documents.sizes import format_size
from portal.documents.storage import DocumentUnavailable, discard, read, rotate_keys, store

__all__ = [
    "CheckedFile",
    "DocumentRefused",
    "DocumentUnavailable",
    "discard",
    "format_size",
    "inspect_upload",
    "preview_png",
    "read",
    "rotate_keys",
    "store",
]
