"""Forms of the account area. Field names are part of the contract (SPEC.md)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from portal.email_typos import SuggestsAddress
from portal.formkit import (
    ChoiceField,
    EmailAddressField,
    PortalForm,
    SecurityQuestionFields,
    check_new_password,
    mark_required,
)


class LoginForm(PortalForm):
    email = StringField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most %(max)d characters.")),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    submit = SubmitField(_l("Sign in"))


class LogoutForm(PortalForm):
    submit = SubmitField(_l("Sign out"))


class RefundChoiceForm(PortalForm):
    refund_to_wallet = BooleanField(_l("Credit my refunds to the wallet"))
    submit = SubmitField(_l("Save refund choice"))


class LanguageForm(PortalForm):
    id_prefix = "language"
    locale = ChoiceField(
        _l("Language for pages and emails"),
        invalid_message=_l("Choose a language from the list."),
        validators=[DataRequired(message=_l("Choose a language from the list."))],
    )
    submit = SubmitField(_l("Save language"))


class NewPasswordForm(PortalForm):
    """A new password typed twice, checked against the wizard's policy."""

    password = PasswordField(_l("New password"))
    password_confirm = PasswordField(_l("Repeat the new password"))

    def setup(self, email: str, names: tuple[str, ...]) -> None:
        self.email, self.names = email, names
        mark_required(self.password, self.password_confirm)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return (
            check_new_password(self.password, self.password_confirm, self.email, self.names)
            and valid
        )


class ChangePasswordForm(NewPasswordForm):
    page_order = ("current_password",)
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    submit = SubmitField(_l("Change password"))


class QuestionsForm(SecurityQuestionFields, PortalForm):
    page_order = ("current_password",)
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    submit = SubmitField(_l("Save security questions"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.questions_valid() and valid


class RecoverRequestForm(SuggestsAddress, PortalForm):
    email = EmailAddressField(
        _l("Email address"), validators=[DataRequired(message=_l("Enter your email address."))]
    )
    submit = SubmitField(_l("Email me a link to reset the password"))


class RecoverForm(NewPasswordForm):
    not_kept = ("answer_1", "answer_2")
    page_order = ("answer_1", "answer_2")
    answer_1 = StringField(
        _l("Answer to the first question"),
        validators=[DataRequired(message=_l("Enter the answer to the first question."))],
    )
    answer_2 = StringField(
        _l("Answer to the second question"),
        validators=[DataRequired(message=_l("Enter the answer to the second question."))],
    )
    submit = SubmitField(_l("Set the new password"))
