"""Machine pre-check of a passport's machine-readable zone (MRZ) for the support desk.

Pure functions, no Flask. ``precheck_passport`` reads the TD3 MRZ of a passport data page
(PNG or JPEG bytes: the desk renders PDFs to an image before calling it; PDF bytes are
answered with ``read=False``) with PassportEye over Debian's tesseract-ocr, verifies the check
digits with the ``mrz`` package and compares each field with what the person gave at step 2.
It never raises and logs nothing of the document (no number, no names).
The reviewer decides; this only informs.
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field

from babel import Locale

FIELDS = ("surname", "given_names", "document_number", "nationality", "birth_date")


@dataclass(frozen=True)
class FieldCheck:
    name: str
    expected: str
    found: str
    ok: bool


@dataclass(frozen=True)
class PreCheck:
    read: bool
    fields: list[FieldCheck] = field(default_factory=list)
    expired: bool | None = None
    check_digits_ok: bool | None = None
    expiry: datetime.date | None = None


# ICAO 9303 part 3 / Russian MVD order of 2019 (as printed in Russian passports).
_CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "ZH",
    "З": "Z", "И": "I", "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O",
    "П": "P", "Р": "R", "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "KH", "Ц": "TS",
    "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU",
    "Я": "IA", "І": "I", "Ї": "I", "Є": "IE", "Ґ": "G", "Ў": "U",
}  # fmt: skip
_SPECIAL = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "Æ": "AE", "Ø": "OE", "Œ": "OE", "Å": "AA"}


def transliterate(name: str) -> str:
    """A name as it appears in an MRZ: upper case Latin, '<' between the parts."""
    out = []
    for ch in (name or "").upper():
        if ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif "A" <= ch <= "Z" or "0" <= ch <= "9":
            out.append(ch)
        elif ch in " -<,.":
            out.append("<")
        elif ch == "'":
            continue
        else:
            base = unicodedata.normalize("NFKD", ch)
            out.append("".join(c for c in base if "A" <= c <= "Z"))
    parts = [p for p in "".join(out).split("<") if p]
    return "<".join(parts)


_ALPHA3: dict[str, str] | None = None


def alpha3(alpha2: str) -> str:
    """ISO 3166 alpha-2 (as stored by step 2) to the ICAO code an MRZ uses (DE -> D)."""
    global _ALPHA3
    if _ALPHA3 is None:
        from mrz.base.countries import english

        names = Locale("en").territories
        by_name = {k.lower(): v for k, v in english.items()}
        _ALPHA3 = {}
        for code, name in names.items():
            if len(code) == 2 and name.lower() in by_name:
                _ALPHA3[code] = by_name[name.lower()]
        _ALPHA3.update(
            {
                "GB": "GBR",
                "US": "USA",
                "RU": "RUS",
                "DE": "D",
                "KR": "KOR",
                "KP": "PRK",
                "VN": "VNM",
                "IR": "IRN",
                "SY": "SYR",
                "MD": "MDA",
                "TW": "TWN",
                "LA": "LAO",
                "BO": "BOL",
                "VE": "VEN",
                "TZ": "TZA",
                "CZ": "CZE",
                "MK": "MKD",
                "HK": "HKG",
                "MO": "MAC",
                "PS": "PSE",
            }
        )
    return _ALPHA3.get((alpha2 or "").upper(), (alpha2 or "").upper())


def _mrz_date(yymmdd: str, *, future: bool, today: datetime.date) -> datetime.date | None:
    try:
        yy, mm, dd = int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
        century = today.year // 100 * 100
        d = datetime.date(century + yy, mm, dd)
        if future and d.year > today.year + 50:
            d = d.replace(year=d.year - 100)
        if not future and d > today:
            d = d.replace(year=d.year - 100)
        return d
    except (ValueError, TypeError, IndexError):
        return None


def _is_image(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff"


def _read_lines(image_bytes: bytes) -> list[str] | None:
    """The two TD3 lines read by PassportEye, or None."""
    from PIL import Image

    with Image.open(io.BytesIO(image_bytes)) as im:
        im.verify()
    with Image.open(io.BytesIO(image_bytes)) as im:
        if im.width < 200 or im.height < 100 or im.width * im.height > 40_000_000:
            return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from passporteye import read_mrz

        found = read_mrz(io.BytesIO(image_bytes))
    if found is None or found.mrz_type != "TD3":
        return None
    lines = [ln for ln in found.aux["text"].split("\n") if ln.strip()]
    lines = [ln.replace(" ", "") for ln in lines]
    if len(lines) != 2:
        return None
    return [ln[:44].ljust(44, "<") for ln in lines]


def _given_names_match(pattern: str, field_text: str) -> bool:
    """The given names after a separator, then filler to the end of the field. A long
    filler run is misread now and then ('<' as K, E, sometimes S): the tail counts as filler
    when nine in ten of its characters are '<', K or E and it starts with '<' or K."""
    match = re.search(r"[<K]" + pattern + r"(?=[<K]|$)", field_text)
    if match is None:
        return False
    tail = field_text[match.end() :].rstrip("<")
    if not tail:
        return True
    return field_text[match.end()] in "<K" and sum(c in "<KE" for c in tail) >= 0.9 * len(tail)


def precheck_passport(
    image_bytes: bytes,
    *,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    birth_date: datetime.date | None,
    today: datetime.date,
) -> PreCheck:
    try:
        if not isinstance(image_bytes, bytes | bytearray) or not _is_image(bytes(image_bytes)):
            return PreCheck(read=False)
        lines = _read_lines(bytes(image_bytes))
        if lines is None:
            return PreCheck(read=False)
        return _compare(
            lines, surname, given_names, document_number, nationality, birth_date, today
        )
    except Exception:  # noqa: BLE001 - the pre-check must never break the desk
        return PreCheck(read=False)


def _compare(lines, surname, given_names, document_number, nationality, birth_date, today):
    from mrz.base.functions import hash_string

    l1, l2 = lines
    # Check digits of the second line (number, birth, expiry, optional data, composite).
    try:
        check_ok = (
            hash_string(l2[0:9]) == l2[9]
            and hash_string(l2[13:19]) == l2[19]
            and hash_string(l2[21:27]) == l2[27]
            and hash_string(l2[28:42]) == l2[42]
            and hash_string(l2[0:10] + l2[13:20] + l2[21:43]) == l2[43]
        )
    except Exception:  # noqa: BLE001
        check_ok = False
    # Tesseract (5.3, eng) often reads the '<' filler of line 1 as 'K' (or 'E' in a long run),
    # so a name is accepted when it matches with each separator read as '<' or 'K' and is
    # followed only by filler (line 1 has no check digit). Line 2 reads cleanly and its
    # check digits are verified.
    field_text = l1[5:44]
    sur_pat = re.escape(transliterate(surname)).replace("<", "[<K]{1,3}")
    giv_pat = re.escape(transliterate(given_names)).replace("<", "[<K]{1,3}")
    m_sur = re.match(sur_pat + r"[<K]{1,3}", field_text) if surname else None
    m_giv = _given_names_match(giv_pat, field_text) if given_names else None
    raw = re.sub(r"[<K]*<[<KE]*$", "", field_text)
    raw_sur, _, raw_giv = raw.partition("<<")
    found_surname = transliterate(surname) if m_sur else raw_sur
    found_given = transliterate(given_names) if m_giv else raw_giv
    found_number = l2[0:9].rstrip("<")
    found_nat = l2[10:13].rstrip("<")
    found_birth = _mrz_date(l2[13:19], future=False, today=today)
    expiry = _mrz_date(l2[21:27], future=True, today=today)

    exp_surname = transliterate(surname)
    exp_given = transliterate(given_names)
    exp_number = "".join(c for c in (document_number or "").upper() if c.isalnum())
    exp_nat = alpha3(nationality)
    exp_birth = birth_date.isoformat() if birth_date else ""
    fields = [
        FieldCheck("surname", exp_surname, found_surname, bool(m_sur)),
        FieldCheck("given_names", exp_given, found_given, bool(m_giv)),
        FieldCheck("document_number", exp_number, found_number, exp_number == found_number),
        FieldCheck("nationality", exp_nat, found_nat, exp_nat == found_nat),
        FieldCheck(
            "birth_date",
            exp_birth,
            found_birth.isoformat() if found_birth else l2[13:19],
            bool(birth_date) and found_birth == birth_date,
        ),
    ]
    expired = None if expiry is None else expiry < today
    return PreCheck(
        read=True, fields=fields, expired=expired, check_digits_ok=check_ok, expiry=expiry
    )
