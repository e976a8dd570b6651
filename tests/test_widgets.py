"""The portal's attribute formatting writes exactly what WTForms' own writes."""

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import widgets

from portal import create_app
from portal.register.forms import EmailForm, PersonalForm, SecurityForm
from portal.widgets import ORIGINAL, html_params

KEYS = st.one_of(
    st.sampled_from(["class_", "for_", "data_show_label", "aria_describedby", "id", "name",
                     "required", "type", "value", "data__x_", "aria_", "_"]),
    st.text(min_size=1, max_size=12),
)  # fmt: skip
VALUES = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    st.text(max_size=20),
    st.text(max_size=20).map(Markup),
    st.sampled_from(['"', "'", "<b>", "&amp;", 'a"b', Markup('x"y'), Markup("&lt;")]),
)


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_attributes_are_the_same_as_wtforms_writes(attributes):
    ours = html_params(**attributes)
    assert ours == ORIGINAL(**attributes)
    assert type(ours) is Markup


def test_it_is_what_the_widgets_use():
    create_app("testing")
    assert widgets.html_params is html_params
    assert widgets.core.Input.html_params is html_params


def rendered_fields(app, language: str) -> list[str]:
    with app.test_request_context(f"/?lang={language}"):
        off = {"csrf": False}  # a new token in every request
        personal = PersonalForm(data={"citizenship": "RU", "document_type": "passport"}, meta=off)
        personal.set_countries(language)
        security = SecurityForm(data={"question_1": "first_pet"}, meta=off)
        security.setup(email="jean@example.com", names=("Jean", "Dupont"), keeping=False)
        forms = (personal, security, EmailForm(meta=off))
        parts = []
        for form in forms:
            for field in form:
                parts.append(str(field(class_="x", aria_describedby="a b", data_x='"')))
                parts.append(str(field.label(class_="l")))
                parts.extend(str(option()) for option in getattr(field, "__iter__", list)()
                             if hasattr(option, "widget"))  # fmt: skip
        return parts


def test_every_field_renders_as_with_wtforms_own(monkeypatch):
    app = create_app("testing")
    ours = {language: rendered_fields(app, language) for language in ("en", "ru", "fr")}
    monkeypatch.setattr(widgets, "html_params", ORIGINAL)
    monkeypatch.setattr(widgets.core, "html_params", ORIGINAL)
    monkeypatch.setattr(widgets.core.Input, "html_params", staticmethod(ORIGINAL))
    monkeypatch.setattr(widgets.core.Button, "html_params", staticmethod(ORIGINAL))
    for language, parts in ours.items():
        assert parts == rendered_fields(app, language)
        assert any("<select" in part for part in parts)
        assert any('type="radio"' in part for part in parts)
