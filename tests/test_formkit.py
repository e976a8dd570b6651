"""What formkit keeps between requests gives exactly what WTForms and Flask-WTF give."""

import pytest
from flask_wtf.i18n import translations as flask_wtf_translations
from wtforms.widgets import Select

from portal import create_app
from portal.formkit import KeptOptionsSelect
from portal.register.forms import EmailForm, PersonalForm, SecurityForm

ATTRIBUTES = [
    {},
    {"aria_describedby": "citizenship-hint", "class_": "", "autocomplete": "off"},
    {"aria_describedby": "country-error", "aria_invalid": "true", "class_": "wide"},
]


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"citizenship": "FR", "country": "RU"},
        {"citizenship": "", "country": "ZZ"},
        {"citizenship": "AX", "country": "ÉÉ"},
    ],
)
def test_kept_options_match_wtforms_select(language, data):
    app = create_app("testing")
    with app.test_request_context(f"/?lang={language}"):
        personal = PersonalForm(data=data, meta={"csrf": False})
        personal.set_countries(language)
        security = SecurityForm(data={"question_1": "first_pet"}, meta={"csrf": False})
        security.setup(email="jean@example.com", names=("Jean", "Dupont"), keeping=False)
        for field in (personal.citizenship, personal.country, security.question_1):
            for attributes in ATTRIBUTES:
                kept = KeptOptionsSelect()(field, **attributes)
                assert kept == Select()(field, **attributes)
                assert type(kept) is type(Select()(field, **attributes))


WTFORMS_MESSAGES = ["This field is required.", "Not a valid choice.", "Invalid email address."]


@pytest.mark.parametrize("language", ["en", "ru", "fr"])
def test_kept_wtforms_catalogs_translate_as_flask_wtf_does(language):
    app = create_app("testing")
    with app.test_request_context(f"/?lang={language}"):
        form = EmailForm(meta={"csrf": False})
        messages = form.meta.get_translations(form)
        for message in WTFORMS_MESSAGES:
            assert messages.gettext(message) == flask_wtf_translations.gettext(message)
        plural = ("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.")  # fmt: skip
        for count in (1, 3, 5):
            assert messages.ngettext(*plural, count) == flask_wtf_translations.ngettext(
                *plural, count
            )
