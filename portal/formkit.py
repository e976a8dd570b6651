"""Form pieces shared by the wizard and the account: fields and the checks of secrets."""

from __future__ import annotations

from functools import cache, lru_cache

from babel import support
from email_validator import EmailNotValidError, validate_email
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.form import _Auto, _is_submitted
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Choice, SelectChoice, SelectField, StringField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, ValidationError
from wtforms.widgets import Select

from portal.passwords import password_problem
from portal.questions import question_choices
from portal.widgets import html_params


class WTFormsMessages:
    """WTForms' own messages in the page's language, as Flask-WTF gives them, but from
    catalogs loaded once per language: Flask-WTF reads and parses the catalog file again
    in every request that builds a form."""

    def gettext(self, string):
        catalog = wtforms_catalog()
        return string if catalog is None else catalog.ugettext(string)

    def ngettext(self, singular, plural, n):
        catalog = wtforms_catalog()
        if catalog is None:
            return singular if n == 1 else plural
        return catalog.ungettext(singular, plural, n)


def wtforms_catalog() -> support.Translations | None:
    if not request or "babel" not in current_app.extensions:
        return None
    return wtforms_catalog_for(str(get_locale()))


@cache
def wtforms_catalog_for(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


WTFORMS_MESSAGES = WTFormsMessages()


class PortalForm(FlaskForm):
    """FlaskForm with WTForms' messages from the kept catalogs (``WTFormsMessages``), and
    no NUL character let through to the checks.

    ``not_kept``: text fields holding a secret (passwords, files and buttons never are kept).

    ``id_prefix``: see below; the CSRF token has no id at all.

    ``page_order``: the fields the page shows first, when they are not first in the class
    (fields mixed in or inherited come first there). The error summary lists errors in
    field order, so it then reads in the order of the page.
    """

    page_order: tuple[str, ...] = ()
    # Put before every field's id (not its name, which is the contract): a form sharing a
    # page with another one keeps its ids apart ("language-submit" beside "submit").
    id_prefix: str = ""
    # Text fields that hold a secret: never kept to be shown again (portal.unsaved).
    not_kept: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in reversed(self.page_order):
            self._fields.move_to_end(name, last=False)
        if self.id_prefix:
            for field in self._fields.values():
                field.id = field.label.field_id = f"{self.id_prefix}-{field.id}"
        if "csrf_token" in self._fields:
            # A hidden field has no label to point at it: without an id, several forms
            # (or one form repeated down a list) on a page never share one.
            self._fields["csrf_token"].id = False

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return WTFORMS_MESSAGES

        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:
                return super().wrap_formdata(form, formdata)
            return submitted_form_data(form) if _is_submitted() else None

    def validate(self, extra_validators=None) -> bool:
        """A NUL character cannot be typed, only sent; PostgreSQL refuses it in text, so no
        check may look anything up with it. It is refused next to its field, before any check
        runs, and taken out of what the page shows again."""
        unusable = [field for field in self if isinstance(field.data, str) and "\x00" in field.data]
        if not unusable:
            return super().validate(extra_validators)
        for field in self:
            field.errors = list(field.process_errors)
        for field in unusable:
            field.data = field.data.replace("\x00", "")
            field.errors.append(
                _(
                    "“%(field)s” contains a character that cannot be used. Type it again.",
                    field=field.label.text,
                )
            )
        return False


def submitted_form_data(form) -> MultiDict:
    """What an HTML form posted: the text of ``request.form`` (always strings) and, for
    the form's file fields only, the uploaded files.

    Flask-WTF would also read a JSON body as form data and merge every uploaded file in,
    so validators met ints, lists and files where a browser only ever sends text. A file
    sent under a text field's name, or text under a file field's, is simply not there.
    """
    files = {field.name for field in form if isinstance(field, FileField)}
    data = MultiDict(
        (name, value) for name, value in request.form.items(multi=True) if name not in files
    )
    for name in files:
        for upload in request.files.getlist(name):
            data.add(name, upload)
    return data


def clean_email(value: str) -> str:
    """The address as stored: validated without network lookups, then lower-cased."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        if "@" not in value or value.count("@") > 1:
            raise ValidationError(
                _("An email address has one @ sign, like name@example.com.")
            ) from error
        raise ValidationError(_("Enter an email address like name@example.com.")) from error
    return result.normalized.lower()


def lookup_email(value: str) -> str:
    """The form of a typed address used to find a wallet (never fails)."""
    try:
        return clean_email(value)
    except ValidationError:
        return " ".join(value.split()).lower()


class EmailAddressField(StringField):
    """Holds the normalised address in ``.cleaned`` once validated."""

    cleaned: str | None = None

    def pre_validate(self, form) -> None:
        self.cleaned = None
        if self.data and self.data.strip():
            self.cleaned = clean_email(self.data)


class KeptOptionsSelect(Select):
    """WTForms' Select, with the options of each list of choices rendered once and kept.

    Step 2 lists some 250 countries twice; escaping and formatting them again on every
    view was most of that page's time. The markup is the same as Select's.
    """

    def __call__(self, field, **kwargs):
        pairs = getattr(field, "choice_pairs", None)
        if pairs is None:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        options, places = rendered_options(pairs)
        if isinstance(field.data, str) and field.data in places:
            start, end, label = places[field.data]
            chosen = self.render_option(Choice(field.data, label, True, {}))
            options = f"{options[:start]}{chosen}{options[end:]}"
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


@lru_cache(maxsize=64)
def rendered_options(pairs: tuple[tuple[str, str], ...]) -> tuple[str, dict]:
    """The options' markup, none selected, and where each value's option lies in it."""
    parts: list[str] = []
    places: dict[str, tuple[int, int, str]] = {}
    offset = 0
    for value, label in pairs:
        option = str(Select.render_option(Choice(value, label, False, {})))
        places.setdefault(value, (offset, offset + len(option), label))
        parts.append(option)
        offset += len(option)
    return "".join(parts), places


@lru_cache(maxsize=64)
def select_choices(pairs: tuple[tuple[str, str], ...]) -> tuple[SelectChoice, ...]:
    """WTForms' choices of a list of pairs, made once: step 2's three lists of some 250
    countries were a tenth of the page's time and most of its garbage."""
    return tuple(SelectChoice(value, label) for value, label in pairs)


class ChoiceField(SelectField):
    """A select whose choices are set per request, checked with our own message."""

    widget = KeptOptionsSelect()

    def __init__(self, *args, invalid_message=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def pre_validate(self, form) -> None:
        if self.data and self.data not in {value for value, _label in self.iter_values()}:
            raise ValidationError(str(self.invalid_message))

    def set_choices(self, pairs) -> None:
        """``pairs``: (value, label) pairs; a tuple is taken as it is (its labels are text
        already: see ``countries.select_pairs``), anything else is made one."""
        if not isinstance(pairs, tuple):
            pairs = tuple((value, str(label)) for value, label in pairs)
        self.choice_pairs = pairs
        self.choices = select_choices(self.choice_pairs)

    def iter_values(self):
        for choice in self.choices or ():
            yield choice.value, choice.label

    def known(self, value: str | None) -> bool:
        return bool(value) and value in {v for v, _label in self.iter_values()}


def add_error(field, message: str) -> None:
    field.errors = [*field.errors, message]


def mark_required(*fields) -> None:
    """For fields whose requirement a form checks itself (it depends on what is kept):
    labelled without "(optional)" and given the ``required`` attribute, like a field with
    DataRequired."""
    for field in fields:
        field.flags.required = True


def check_new_password(password_field, confirm_field, email: str, names=(), required=True) -> bool:
    """The wizard's password policy, with the reason shown next to the field. A weak
    password and a different repetition are both said at once: fixing one must not
    reveal the other only on the next submit."""
    password, confirm = password_field.data or "", confirm_field.data or ""
    if not (password or confirm or required):
        return True
    problem = (
        password_problem(password, email, tuple(names)) if password else _("Choose a password.")
    )
    if problem:
        add_error(password_field, problem)
    if password and not confirm:
        add_error(confirm_field, _("Type the password a second time to confirm it."))
    elif password != confirm:
        add_error(
            confirm_field,
            _("The repeated password is different. Type the same password in both fields."),
        )
    return not problem and password == confirm


def set_question_choices(*fields) -> None:
    choices = [("", _("Choose a question")), *question_choices()]
    for field in fields:
        field.set_choices(choices)


def answer_messages(number: int) -> dict[str, str]:
    """The errors of the answer to question 1 or 2, each naming its question."""
    if number == 1:
        return {
            "missing": _("Enter the answer to the first question."),
            "short": _("The answer to the first question needs at least 2 characters."),
            "long": _(
                "The answer to the first question can have at most %(num)d characters.", num=100
            ),
        }
    return {
        "missing": _("Enter the answer to the second question."),
        "short": _("The answer to the second question needs at least 2 characters."),
        "long": _(
            "The answer to the second question can have at most %(num)d characters.", num=100
        ),
    }


def check_questions(pairs, kept_questions=(None, None)) -> bool:
    """Two different questions, each with an answer (or kept: same question, left empty)."""
    (question_1, _answer_1), (question_2, _answer_2) = pairs
    valid = True
    if question_1.data and question_1.data == question_2.data:
        add_error(question_2, _("Choose two different questions."))
        valid = False
    for number, ((question, answer), kept) in enumerate(
        zip(pairs, kept_questions, strict=True), start=1
    ):
        messages = answer_messages(number)
        text = " ".join((answer.data or "").split())
        if not text and not (kept and question.data == kept):
            add_error(answer, messages["missing"])
            valid = False
        elif text and len(text) < 2:
            add_error(answer, messages["short"])
            valid = False
        elif len(text) > 100:
            add_error(answer, messages["long"])
            valid = False
    return valid


class SecurityQuestionFields:
    """The two security questions and their answers, as the wizard and the account
    page both ask them. Mixed into a form; ``setup_questions`` before validating."""

    not_kept = ("answer_1", "answer_2")
    question_1 = ChoiceField(
        _l("First security question"),
        validators=[DataRequired(message=_l("Choose the first security question."))],
        invalid_message=_l("Choose the first security question from the list."),
    )
    answer_1 = StringField(_l("Answer to the first question"))
    question_2 = ChoiceField(
        _l("Second security question"),
        validators=[DataRequired(message=_l("Choose the second security question."))],
        invalid_message=_l("Choose the second security question from the list."),
    )
    answer_2 = StringField(_l("Answer to the second question"))

    def setup_questions(self, kept_questions=(None, None)) -> None:
        """``kept_questions``: questions whose old answer an empty field keeps."""
        set_question_choices(self.question_1, self.question_2)
        self.kept_questions = kept_questions

    def questions_valid(self) -> bool:
        pairs = ((self.question_1, self.answer_1), (self.question_2, self.answer_2))
        return check_questions(pairs, self.kept_questions)
