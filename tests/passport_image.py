"""A synthetic passport data page: a TD3 MRZ from the ``mrz`` generator drawn with Pillow in
Debian's OCR-B font (fonts-ocr-b)."""

import io
import random

from mrz.generator.td3 import TD3CodeGenerator
from PIL import Image, ImageDraw, ImageFilter, ImageFont

OCRB = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def mrz_lines(*, surname, given_names, number, nationality, birth_date, expiry, sex="F"):
    code = TD3CodeGenerator(
        "P",
        nationality,
        surname,
        given_names,
        number,
        nationality,
        birth_date.strftime("%y%m%d"),
        sex,
        expiry.strftime("%y%m%d"),
    )
    return str(code).split("\n")


def draw_page(lines, *, rotate=0, noise=False) -> bytes:
    width, height = 1500, 1050
    page = Image.new("RGB", (width, height), (236, 232, 222))
    d = ImageDraw.Draw(page)
    label = ImageFont.truetype(DEJAVU, 26)
    d.rectangle((60, 150, 420, 620), fill=(190, 190, 200))
    d.text((60, 60), "PASSPORT  PASSEPORT", font=label, fill=(40, 40, 90))
    for i, text in enumerate(["Surname", "Given names", "Nationality", "Date of birth"]):
        d.text((480, 160 + i * 90), text, font=label, fill=(60, 60, 60))
    font = ImageFont.truetype(OCRB, 44)
    for i, line in enumerate(lines):
        d.text((50, 820 + i * 80), line, font=font, fill=(10, 10, 10))
    if rotate:
        page = page.rotate(rotate, expand=True, fillcolor=(236, 232, 222), resample=Image.BICUBIC)
    if noise:
        rng = random.Random(1)
        px = page.load()
        for _ in range(page.width * page.height // 40):
            x, y = rng.randrange(page.width), rng.randrange(page.height)
            v = rng.randrange(90, 200)
            px[x, y] = (v, v, v)
        page = page.filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    page.save(buf, "PNG")
    return buf.getvalue()


def passport_page(
    *, surname, given_names, number, nationality, birth_date, expiry, sex="F", rotate=0, noise=False
) -> bytes:
    lines = mrz_lines(
        surname=surname,
        given_names=given_names,
        number=number,
        nationality=nationality,
        birth_date=birth_date,
        expiry=expiry,
        sex=sex,
    )
    return draw_page(lines, rotate=rotate, noise=noise)
