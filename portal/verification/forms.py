"""The upload form of /account/verification. Field names: document, document_back."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import SubmitField

from portal.documents import CheckedFile, DocumentRefused, inspect_upload
from portal.formkit import PortalForm, add_error, mark_required

ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"


def chosen(field) -> FileStorage | None:
    data = field.data
    return data if isinstance(data, FileStorage) and data.filename else None


def checked_upload(field, max_bytes: int) -> CheckedFile | None:
    """The file chosen in ``field`` judged by its bytes; a refusal goes next to the field."""
    try:
        return inspect_upload(chosen(field), max_bytes=max_bytes)
    except DocumentRefused as refusal:
        add_error(field, str(refusal.message))
        return None


class VerificationForm(PortalForm):
    document = FileField(_l("Your identity document"))
    document_back = FileField(_l("The back of the document"))
    submit = SubmitField(_l("Send for checking"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mark_required(self.document)
        self.checked: dict[str, CheckedFile] = {}

    def validate(self, extra_validators=None) -> bool:
        """Each file judged by its bytes; a refusal is shown next to its field and nothing
        is stored unless every file chosen is accepted."""
        valid = super().validate(extra_validators)
        limit = current_app.config["VERIFICATION_MAX_BYTES"]
        if chosen(self.document) is None:
            add_error(self.document, _("Choose the scan or photo of your document."))
            valid = False
        for field in (self.document, self.document_back):
            if chosen(field) is None:
                continue
            checked = checked_upload(field, limit)
            if checked is None:
                valid = False
            else:
                self.checked[field.name] = checked
        if not valid:
            self.checked = {}
        return valid


class WithdrawForm(PortalForm):
    id_prefix = "withdraw"
    submit = SubmitField(_l("Withdraw this request"))
