"""The wizard's forms. Field names are part of the contract (SPEC.md)."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal import document_kinds, identity
from portal.countries import country_name, is_country, select_pairs
from portal.email_typos import SuggestsAddress
from portal.formkit import (
    ChoiceField,
    EmailAddressField,
    PortalForm,
    SecurityQuestionFields,
    check_new_password,
    mark_required,
)
from portal.i18n import select_locale


class EmailForm(SuggestsAddress, PortalForm):
    not_kept = ("captcha",)
    email = EmailAddressField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most %(max)d characters.")),
        ],
    )
    captcha = StringField(
        _l("Characters in the image"),
        validators=[DataRequired(message=_l("Type the characters you see in the image."))],
    )
    captcha_id = HiddenField()
    submit = SubmitField(_l("Send the email"))
    new_captcha = SubmitField(_l("Show another image"))


class ResendForm(PortalForm):
    submit = SubmitField(_l("Send the email again"))


class PersonalForm(PortalForm):
    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(message=_l("Enter your first name as in your document."))],
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(message=_l("Enter your last name as in your document."))],
    )
    # Optional, and only for citizenships whose documents print one (document_kinds).
    patronymic = StringField(_l("Patronymic"), validators=[Optional()])
    birth_date = StringField(
        _l("Date of birth"),
        validators=[DataRequired(message=_l("Enter your date of birth."))],
    )
    citizenship = ChoiceField(
        _l("Citizenship"),
        validators=[DataRequired(message=_l("Choose your citizenship."))],
        invalid_message=_l("Choose your citizenship from the list of countries."),
    )
    document_type = RadioField(
        _l("Type of document"),
        choices=[SelectChoice(key, label) for key, label in identity.DOCUMENT_TYPES.items()],
        validators=[DataRequired(message=_l("Choose the type of your document."))],
        validate_choice=False,
    )
    # Empty: the country of citizenship. Only a driving licence may come from elsewhere.
    document_country = ChoiceField(
        _l("Country that issued the driving licence"),
        validators=[Optional()],
        invalid_message=_l("Choose the country that issued your driving licence from the list."),
    )
    document_number = StringField(
        _l("Document number"),
        validators=[DataRequired(message=_l("Enter the number of your document."))],
    )
    country = ChoiceField(
        _l("Country of residence"),
        validators=[DataRequired(message=_l("Choose the country where you live."))],
        invalid_message=_l("Choose the country where you live from the list."),
    )
    region = StringField(
        _l("Region, state or province"),
        validators=[
            Optional(),
            Length(max=100, message=_l("The region can have at most %(max)d characters.")),
        ],
    )
    city = StringField(
        _l("City or town"),
        validators=[
            DataRequired(message=_l("Enter your city or town.")),
            Length(max=100, message=_l("The city or town can have at most %(max)d characters.")),
        ],
    )
    street = StringField(
        _l("Street address"),
        validators=[
            DataRequired(message=_l("Enter your street, house and flat number.")),
            Length(max=200, message=_l("The street address can have at most %(max)d characters.")),
        ],
    )
    postal_code = StringField(_l("Postal code"), validators=[Optional()])
    phone = StringField(
        _l("Phone number"), validators=[DataRequired(message=_l("Enter your phone number."))]
    )
    submit = SubmitField(_l("Continue"))

    def set_countries(self, locale: str) -> None:
        choices = select_pairs(locale, _("Choose a country"))
        self.citizenship.set_choices(choices)
        self.country.set_choices(choices)
        self.document_country.set_choices(select_pairs(locale, _("The country of my citizenship")))
        self.set_document_types()

    def known_citizenship(self) -> str | None:
        return self.citizenship.data if is_country(self.citizenship.data) else None

    def set_document_types(self) -> None:
        """The documents of the chosen citizenship, by their names there (all three by
        their general names until a citizenship is chosen)."""
        offered = document_kinds.document_types_for(self.known_citizenship())
        self.document_type.choices = [SelectChoice(key, label) for key, label in offered.items()]

    @property
    def shows_patronymic(self) -> bool:
        citizenship = self.known_citizenship()
        return citizenship is None or document_kinds.has_patronymic(citizenship)

    def validate(self, extra_validators=None) -> bool:
        """Field checks first, then the rules that depend on the chosen countries."""
        valid = super().validate(extra_validators)
        self.cleaned: dict[str, str] = {}
        checks = {
            "first_name": lambda: identity.clean_name(self.first_name.data),
            "last_name": lambda: identity.clean_name(self.last_name.data, "last"),
            "patronymic": lambda: self._patronymic(),
            "birth_date": lambda: identity.clean_birth_date(
                self.birth_date.data,
                today=date.today(),
                minimum_age=current_app.config["MINIMUM_AGE"],
            ),
            "document_type": lambda: self._document_type(),
            "document_number": lambda: identity.clean_document_number(
                self.document_number.data, self.document_type.data, self.issuer()
            ),
            "phone": lambda: identity.clean_phone(self.phone.data, self.country.data),
            "postal_code": lambda: identity.clean_postal_code(
                self.postal_code.data or "", self.country.data
            ),
        }
        for name, check in checks.items():
            field = self[name]
            if field.errors or (name != "postal_code" and not field.data):
                continue
            if name == "document_number" and self.document_type.errors:
                continue  # its rule depends on the type
            if name in ("phone", "postal_code") and not is_country(self.country.data):
                continue
            try:
                self.cleaned[name] = check()
            except identity.Invalid as error:
                field.errors = [*field.errors, str(error)]
                valid = False
        for name in ("citizenship", "country", "region", "city", "street"):
            self.cleaned[name] = " ".join((self[name].data or "").split())
        self.cleaned.setdefault("patronymic", "")
        self.cleaned["document_country"] = self.issuer() or ""
        return valid

    def issuer(self) -> str | None:
        """The country that issued the document: the citizenship's, unless a driving
        licence says otherwise."""
        chosen = self.document_country.data
        if document_kinds.issuer_may_differ(self.document_type.data) and is_country(chosen):
            return chosen
        return self.known_citizenship()

    def _patronymic(self) -> str:
        if not self.shows_patronymic:
            return ""  # a citizenship without patronymics: what was typed is ignored
        return identity.clean_name(self.patronymic.data, "patronymic")

    def _document_type(self) -> str:
        chosen = self.document_type.data
        citizenship = self.known_citizenship()
        offered = document_kinds.document_types_for(citizenship)
        if chosen in offered:
            return chosen
        if chosen not in identity.DOCUMENT_TYPES or citizenship is None:
            raise identity.Invalid(_("Choose the type of your document."))
        raise identity.Invalid(
            _(
                "With the citizenship of %(country)s, choose one of these documents: "
                "%(documents)s.",
                country=country_name(citizenship, select_locale()),
                documents=", ".join(str(label) for label in offered.values()),
            )
        )


class SecurityForm(SecurityQuestionFields, PortalForm):
    page_order = ("password", "password_confirm")
    password = PasswordField(_l("Password"))
    password_confirm = PasswordField(_l("Repeat the password"))
    submit = SubmitField(_l("Continue"))
    back = SubmitField(_lp("button", "Back"))

    def setup(
        self,
        *,
        email: str,
        names: tuple[str, ...],
        keeping: bool,
        kept_questions: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """``keeping``: a password and answers exist already; blank fields keep them."""
        self.setup_questions(kept_questions if keeping else (None, None))
        self.email, self.names, self.keeping = email, names, keeping
        if not keeping:
            mark_required(self.password, self.password_confirm, self.answer_1, self.answer_2)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        password_ok = check_new_password(
            self.password, self.password_confirm, self.email, self.names, not self.keeping
        )
        questions_ok = self.questions_valid()  # checked even when the password is not:
        return valid and password_ok and questions_ok  # every message at once


# Names its field: the error summary shows the message alone.
CONSENT_REQUIRED = _l(
    "Give your consent to the processing of your personal data by ticking its box:"
    " without it we cannot open a wallet."
)


class RefundsForm(PortalForm):
    refund_to_wallet = BooleanField(_l("Credit my refunds to the wallet"))
    # The label names the operator (152-FZ: consent is given to a named operator, for a
    # stated purpose); set in __init__, where the configuration is known.
    consent_personal_data = BooleanField(
        validators=[DataRequired(message=CONSENT_REQUIRED)],
    )
    submit = SubmitField(_l("Open my wallet"))
    back = SubmitField(_lp("button", "Back"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.consent_personal_data.label.text = _(
            "I consent to %(operator)s processing my personal data in order to open and run"
            " my wallet, as described in the privacy notice.",
            operator=current_app.config["OPERATOR_NAME"],
        )
