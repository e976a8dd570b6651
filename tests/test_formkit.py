"""What formkit keeps between requests gives exactly what WTForms and Flask-WTF give."""

from io import BytesIO

import pytest
from flask_wtf.file import FileField
from flask_wtf.i18n import translations as flask_wtf_translations
from werkzeug.datastructures import FileStorage
from wtforms import StringField
from wtforms.widgets import Select

from portal import create_app
from portal.formkit import KeptOptionsSelect, PortalForm
from portal.register.forms import EmailForm, PersonalForm, SecurityForm
from tests.conftest import csrf_token

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


class UploadForm(PortalForm):
    note = StringField()
    document = FileField()


def posted_form(app, **request):
    with app.test_request_context("/", method="POST", **request):
        form = UploadForm(meta={"csrf": False})
        document = form.document.data
        if isinstance(document, FileStorage):
            document = document.read()
        return form.note.data, document


def test_a_form_reads_text_from_text_parts_and_files_from_its_file_fields_only():
    app = create_app("testing")
    note, document = posted_form(
        app,
        data={
            "note": (BytesIO(b"not text"), "note.txt"),
            "document": [(BytesIO(b"%PDF-1.7"), "scan.pdf"), "text under a file's name"],
        },
        content_type="multipart/form-data",
    )
    assert note is None
    assert document == b"%PDF-1.7"


def test_a_json_body_is_not_form_data():
    app = create_app("testing")
    note, document = posted_form(app, json={"note": 12, "document": ["x"]})
    assert note is None and document is None


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"email": (BytesIO(b"x"), "email.txt"), "password": "pw"}},
        {"json": {"email": 12, "password": ["pw"]}},
    ],
    ids=["a file as the address", "JSON"],
)
def test_signing_in_with_a_body_no_browser_sends_shows_the_form_again(sqlite_app, body):
    client = sqlite_app.test_client()
    token = csrf_token(client, "/login")
    if "json" in body:
        response = client.post("/login", headers={"X-CSRFToken": token}, **body)
    else:
        body["data"]["csrf_token"] = token
        response = client.post("/login", content_type="multipart/form-data", **body)
    assert response.status_code == 200
    assert "Enter your email address." in response.get_data(as_text=True)
