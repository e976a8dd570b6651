"""The select that keeps its rendered options writes exactly what WTForms' Select writes."""

import pytest
from wtforms.widgets import Select

from portal import create_app
from portal.formkit import KeptOptionsSelect
from portal.register.forms import PersonalForm, SecurityForm

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
