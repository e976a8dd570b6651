"""The passport pre-check reads a synthetic data page drawn in OCR-B (tests/passport_image.py)."""

import datetime as dt
import os
from functools import cache

import pytest

from portal.mrz import precheck_passport, transliterate
from tests.passport_image import draw_page, mrz_lines, passport_page

TODAY = dt.date(2026, 12, 3)
PERSON = dict(
    surname="Martin",
    given_names="Claire Anne",
    number="AB1234567",
    nationality="FRA",
    birth_date=dt.date(1990, 1, 15),
)
STEP2 = dict(
    surname="Martin",
    given_names="Claire Anne",
    document_number="AB1234567",
    nationality="FR",
    birth_date=dt.date(1990, 1, 15),
)


@cache
def page(**overrides):
    args = dict(PERSON, expiry=dt.date(2030, 6, 1))
    args.update(overrides)
    return passport_page(**args)


@cache
def matching():
    return precheck_passport(page(), today=TODAY, **STEP2)


def by_name(result):
    return {f.name: f for f in result.fields}


def test_matching_page_reads_every_field_ok():
    r = matching()
    assert r.read
    assert [f.name for f in r.fields] == [
        "surname",
        "given_names",
        "document_number",
        "nationality",
        "birth_date",
    ]
    assert all(f.ok for f in r.fields), r.fields
    assert r.check_digits_ok is True
    assert r.expired is False
    assert r.expiry == dt.date(2030, 6, 1)


@pytest.mark.parametrize(
    "name,change",
    [
        ("surname", {"surname": "Bernard"}),
        ("given_names", {"given_names": "Sophie"}),
        ("document_number", {"document_number": "ZZ9876543"}),
        ("nationality", {"nationality": "DE"}),
        ("birth_date", {"birth_date": dt.date(1991, 1, 15)}),
    ],
)
def test_each_mismatch_is_reported_on_that_field_only(name, change):
    r = precheck_passport(page(), today=TODAY, **dict(STEP2, **change))
    assert r.read
    assert {f.name for f in r.fields if not f.ok} == {name}


def test_expired_passport():
    r = precheck_passport(page(expiry=dt.date(2024, 6, 1)), today=TODAY, **STEP2)
    assert r.read and r.expired is True and r.expiry == dt.date(2024, 6, 1)


def test_cyrillic_surname_matches_icao_transliteration():
    assert transliterate("Иванова") == "IVANOVA"
    assert transliterate("Щукина-Юрьева") == "SHCHUKINA<IUREVA"
    assert transliterate("Hélène") == "HELENE"
    img = page(surname="Ivanova", nationality="RUS")
    r = precheck_passport(img, today=TODAY, **dict(STEP2, surname="Иванова", nationality="RU"))
    assert r.read
    f = by_name(r)
    assert f["surname"].ok and f["surname"].expected == "IVANOVA"
    assert f["nationality"].ok


def test_corrupted_check_digit():
    lines = mrz_lines(**dict(PERSON, expiry=dt.date(2030, 6, 1)))
    digit = lines[1][9]
    lines[1] = lines[1][:9] + str((int(digit) + 1) % 10) + lines[1][10:]
    r = precheck_passport(draw_page(lines), today=TODAY, **STEP2)
    assert r.read
    assert r.check_digits_ok is False


def tiny_png():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


def blank_png():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), "white").save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        os.urandom(5000),
        b"\x89PNG\r\n\x1a\n" + os.urandom(300),
        b"%PDF-1.7\n%...\n",
        "tiny",
        "blank",
    ],
)
def test_unreadable_inputs_give_read_false(data):
    if data == "tiny":
        data = tiny_png()
    elif data == "blank":
        data = blank_png()
    r = precheck_passport(data, today=TODAY, **STEP2)
    assert r.read is False and r.fields == []


def test_rotated_noisy_photo_still_reads():
    r = precheck_passport(page(rotate=2, noise=True), today=TODAY, **STEP2)
    assert r.read
    f = by_name(r)
    assert f["document_number"].ok and f["birth_date"].ok and f["nationality"].ok
