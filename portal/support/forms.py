"""Forms of the desk's own pages (sign-in, setup). Field names: email, password, code."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired

from portal.formkit import PortalForm, add_error, check_new_password, mark_required
from portal.support.accounts import MIN_PASSWORD_LENGTH

CODE_HINT = _l("The six digits your authenticator app shows now.")


class CodeField(StringField):
    """A six-digit one-time code; spaces people type between the groups are dropped."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = "".join(self.data.split())


def check_code(field) -> bool:
    if field.data and not (field.data.isdigit() and len(field.data) == 6):
        add_error(field, _("The code has six digits."))
        return False
    return True


class StaffLoginForm(PortalForm):
    not_kept = ("code",)
    email = StringField(
        _l("Email address"), validators=[DataRequired(message=_l("Enter your email address."))]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    code = CodeField(
        _l("Code from the authenticator app"),
        validators=[DataRequired(message=_l("Enter the code from your authenticator app."))],
    )
    submit = SubmitField(_l("Sign in"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return check_code(self.code) and valid


class StaffSetupForm(PortalForm):
    not_kept = ("code",)
    password = PasswordField(_l("New password"))
    password_confirm = PasswordField(_l("Repeat the new password"))
    code = CodeField(
        _l("Code from the authenticator app"),
        validators=[DataRequired(message=_l("Enter the code from your authenticator app."))],
    )
    submit = SubmitField(_l("Finish setting up"))

    def setup(self, email: str) -> None:
        self.email = email
        mark_required(self.password, self.password_confirm)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        password = self.password.data or ""
        if password and len(password) < MIN_PASSWORD_LENGTH:
            add_error(
                self.password,
                _("The password needs at least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
            )
            valid = False
        elif not check_new_password(self.password, self.password_confirm, self.email):
            valid = False
        return check_code(self.code) and valid


class StaffLogoutForm(PortalForm):
    submit = SubmitField(_l("Sign out"))
