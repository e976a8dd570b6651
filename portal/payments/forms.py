"""Forms of the payment password and of a payment. Field names are part of the contract."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import PasswordField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.documents import CheckedFile
from portal.formkit import PortalForm, add_error, mark_required
from portal.payments.pins import pin_problem
from portal.verification.forms import checked_upload, chosen

# A phone shows its digit keypad; the field stays masked, and the browser offers no
# autofill for it.
PIN_INPUT = {"inputmode": "numeric", "maxlength": 6, "pattern": "[0-9]*", "spellcheck": "false"}


def pin_field(label, required_message):
    return PasswordField(
        label, validators=[DataRequired(message=required_message)], render_kw=PIN_INPUT
    )


class NewPaymentPasswordForm(PortalForm):
    payment_password = pin_field(
        _l("New payment password"), _l("Enter a payment password of six digits.")
    )
    payment_password_confirm = pin_field(
        _l("Repeat the payment password"), _l("Type the payment password again.")
    )
    submit = SubmitField(_l("Save payment password"))

    def setup(self, birth_date: date | None) -> NewPaymentPasswordForm:
        self.birth_date = birth_date
        return self

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        pin = (self.payment_password.data or "").strip()
        if self.payment_password.errors:
            return False
        problem = pin_problem(pin, getattr(self, "birth_date", None))
        if problem:
            add_error(self.payment_password, problem)
            return False
        if self.payment_password_confirm.errors:
            return False
        if (self.payment_password_confirm.data or "").strip() != pin:
            add_error(
                self.payment_password_confirm,
                _("The two payment passwords are different. Type the same six digits twice."),
            )
            return False
        return valid


class ChangePaymentPasswordForm(NewPaymentPasswordForm):
    page_order = ("current_payment_password",)
    current_payment_password = pin_field(
        _l("Current payment password"), _l("Enter your current payment password.")
    )
    submit = SubmitField(_l("Change payment password"))


class ConfirmPaymentForm(PortalForm):
    payment_password = pin_field(_l("Payment password"), _l("Enter your payment password."))
    confirm = SubmitField(_l("Confirm payment"))


class DeclinePaymentForm(PortalForm):
    decline = SubmitField(_l("Decline"))


class ForgotPaymentPasswordForm(PortalForm):
    document = FileField(_l("Scan or photo of your identity document"))
    note = TextAreaField(
        _l("Note for the support team"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("The note can have at most %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Send to support"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mark_required(self.document)
        self.checked: CheckedFile | None = None

    def validate(self, extra_validators=None) -> bool:
        """The document judged by its bytes, as on the verification page."""
        valid = super().validate(extra_validators)
        if chosen(self.document) is None:
            add_error(self.document, _("Choose the scan or photo of your document."))
            return False
        self.checked = checked_upload(self.document, current_app.config["VERIFICATION_MAX_BYTES"])
        return valid and self.checked is not None
