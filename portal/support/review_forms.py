"""Forms of the desk's review pages: claim, release, decide. Field names: decision,
reason, note."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.formkit import ChoiceField, PortalForm, add_error

NOTE_MAX = 2000


class ClaimForm(PortalForm):
    id_prefix = "claim"
    submit = SubmitField(_l("Claim"))


class ReleaseForm(PortalForm):
    id_prefix = "release"
    submit = SubmitField(_l("Give back to the queue"))


class DecisionForm(PortalForm):
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("reject", _l("Reject"))],
        validators=[DataRequired(message=_l("Choose approve or reject."))],
        validate_choice=False,
    )
    reason = ChoiceField(
        _l("Reason for a rejection"),
        invalid_message=_l("Choose a reason from the list."),
    )
    note = TextAreaField(
        _l("Internal note"),
        validators=[
            Length(max=NOTE_MAX, message=_l("The note can have at most %(max)d characters."))
        ],
    )
    submit = SubmitField(_l("Record the decision"))

    def setup(self, reasons) -> None:
        self.reason.set_choices([("", _("Choose a reason")), *reasons.items()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data not in (None, "", "approve", "reject"):
            add_error(self.decision, _("Choose approve or reject."))
            return False
        if self.decision.data == "reject" and not self.reason.data:
            add_error(self.reason, _("Choose the reason for the rejection."))
            valid = False
        return valid

    @property
    def approved(self) -> bool:
        return self.decision.data == "approve"
