"""The desk shows the passport pre-check beside a passport: field by field, the check
digits and the expiry. It informs; the reviewer decides."""

from __future__ import annotations

from datetime import date

from tests.desk import as_file, person_with_wallet, requests_of, staff_at_desk, upload
from tests.journey import text
from tests.passport_image import passport_page


def test_a_matching_passport_and_one_with_another_number(app):
    client, person = person_with_wallet(app)
    page = passport_page(
        surname="DUPONT",
        given_names="JEAN",
        number="18AB12346",  # one digit off the number given at step 2
        nationality="FRA",
        birth_date=date(1990, 5, 17),
        expiry=date(2031, 1, 1),
    )
    assert upload(client, as_file(page, "passport.png", "image/png")).status_code == 302
    desk, _secret = staff_at_desk(app)
    [request] = requests_of(app, person.email)
    html = text(desk.get(f"/support/requests/{request.id}"))
    assert 'id="precheck"' in html
    assert html.count("precheck--ok") == 4 and html.count("precheck--mismatch") == 1
    assert "18AB12346" in html  # what the document says, for the reviewer only
    assert "The check digits are right." in html and "Valid until" in html


def test_an_unreadable_image_says_so(app):
    from tests import document_files as files

    client, person = person_with_wallet(app)
    upload(client, as_file(files.jpeg()))
    desk, _secret = staff_at_desk(app)
    [request] = requests_of(app, person.email)
    html = text(desk.get(f"/support/requests/{request.id}?lang=fr"))
    assert 'id="precheck"' in html and "precheck--ok" not in html
