"""Images are decoded in full and drawn again: what is stored is pixels, not what was sent."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Modes each format can store as they are; anything else becomes RGB (or RGBA with alpha).
KEEP_MODES = {"JPEG": {"L", "RGB"}, "PNG": {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}}
JPEG_QUALITY = 90


class Undecodable(Exception):
    """Not an image of the claimed format, or a damaged one."""


class TooManyPixels(Exception):
    """Declares more pixels than we are willing to decode."""


def open_image(data: bytes, content_type: str, *, max_pixels: int) -> Image.Image:
    """Decode fully, with the pixel limit checked from the header before any decoding."""
    fmt = FORMATS[content_type]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
            if width * height > max_pixels:
                raise TooManyPixels
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise TooManyPixels from None
        except TooManyPixels:
            raise
        except Exception:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
            raise Undecodable from None
    if width < 1 or height < 1:
        raise Undecodable
    return image


def reencode(data: bytes, content_type: str, *, max_pixels: int) -> tuple[bytes, int, int]:
    """The image upright, in the same format, with no EXIF, GPS, comment or profile."""
    image = open_image(data, content_type, max_pixels=max_pixels)
    fmt = FORMATS[content_type]
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block: keep the pixels as they are
        pass
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode not in KEEP_MODES[fmt]:
        has_alpha = "A" in image.getbands() and fmt == "PNG"
        image = image.convert("RGBA" if has_alpha else "RGB")
    image.info = {}
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(out, "PNG", optimize=False)
    return out.getvalue(), image.width, image.height
