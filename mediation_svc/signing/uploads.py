"""Checks on what signers and officers upload: the drawn signature (PNG), the authorisation letter (PDF) and an
institution's seal image (PNG or JPEG, re-encoded).

Both are checked by content, not by the declared type: the PNG must decode with Pillow within sane
dimensions and not be blank; the PDF must start with the PDF magic and parse.
"""

from __future__ import annotations

import io
from typing import cast

from PIL import Image, UnidentifiedImageError

from ..errors import InvalidInput, PayloadTooLarge

MAX_DRAWING_BYTES = 512 * 1024
MAX_LETTER_BYTES = 5 * 1024 * 1024
DRAWING_MIN = (60, 20)
DRAWING_MAX = (2400, 1200)


def check_drawing(png: bytes) -> bytes:
    if len(png) > MAX_DRAWING_BYTES:
        raise PayloadTooLarge(f"the drawn signature is over {MAX_DRAWING_BYTES // 1024} KiB",
                              limit_bytes=MAX_DRAWING_BYTES)
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InvalidInput("the drawn signature must be a PNG image", errors=[{"loc": ["body"], "msg": "not a PNG"}])
    try:
        image = Image.open(io.BytesIO(png))
        # The header's size first: a "pixel bomb" (a few KiB declaring 50000x50000) must not be decoded.
        _check_size(*image.size)
        image.verify()  # structure and CRCs
        image = Image.open(io.BytesIO(png))
        image.load()
    except Image.DecompressionBombError:
        raise InvalidInput(f"the drawn signature declares too many pixels; expected at most "
                           f"{DRAWING_MAX[0]}x{DRAWING_MAX[1]}",
                           errors=[{"loc": ["body"], "msg": "image dimensions out of range"}]) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput("the drawn signature is not a valid PNG image",
                           errors=[{"loc": ["body"], "msg": str(exc)[:200]}]) from None
    _check_size(*image.size)
    if _is_blank(image):
        raise InvalidInput("the drawn signature is empty: draw the signature before confirming")
    return png


def _check_size(width: int, height: int) -> None:
    if not (DRAWING_MIN[0] <= width <= DRAWING_MAX[0] and DRAWING_MIN[1] <= height <= DRAWING_MAX[1]):
        raise InvalidInput(f"the drawn signature is {width}x{height} pixels; expected between "
                           f"{DRAWING_MIN[0]}x{DRAWING_MIN[1]} and {DRAWING_MAX[0]}x{DRAWING_MAX[1]}",
                           errors=[{"loc": ["body"], "msg": "image dimensions out of range"}])


def _is_blank(image: Image.Image) -> bool:
    rgba = image.convert("RGBA")
    alpha_extrema = rgba.getchannel("A").getextrema()
    if alpha_extrema[1] == 0:
        return True  # fully transparent
    grey = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("L")
    low, _high = cast(tuple[int, int], grey.getextrema())
    return low > 235  # nothing darker than near-white


def check_letter(pdf: bytes) -> bytes:
    if len(pdf) > MAX_LETTER_BYTES:
        raise PayloadTooLarge(f"the authorisation letter is over {MAX_LETTER_BYTES // (1024 * 1024)} MiB",
                              limit_bytes=MAX_LETTER_BYTES)
    if not pdf.startswith(b"%PDF-"):
        raise InvalidInput("the authorisation letter must be a PDF file",
                           errors=[{"loc": ["body"], "msg": "missing %PDF- header"}])
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        if int(reader.root["/Pages"]["/Count"]) < 1:
            raise ValueError("no pages")
    except Exception as exc:  # noqa: BLE001 - any parse failure means the upload is not a usable PDF
        raise InvalidInput("the authorisation letter could not be read as a PDF",
                           errors=[{"loc": ["body"], "msg": str(exc)[:200]}]) from None
    return pdf


MAX_SEAL_BYTES = 2 * 1024 * 1024
MAX_SEAL_PIXELS = 4096 * 4096  # checked from the header, before anything is decoded
SEAL_SIDE = 600  # stored at most this many pixels a side: 5 cm printed at about 300 dpi


def reencode_seal_image(data: bytes) -> bytes:
    """An institution's seal image, bounded and re-encoded: PNG or JPEG in, a fresh RGBA PNG out (no metadata,
    no second image hidden after the first), its white ground made transparent so it prints like a stamp."""
    if len(data) > MAX_SEAL_BYTES:
        raise PayloadTooLarge(f"the seal image is over {MAX_SEAL_BYTES // (1024 * 1024)} MiB",
                              limit_bytes=MAX_SEAL_BYTES)
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise InvalidInput("the seal image must be a PNG or JPEG file", errors=[{"loc": ["body"], "msg": "not an image"}])
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > MAX_SEAL_PIXELS or min(width, height) < 40:
            raise InvalidInput(f"the seal image is {width}x{height} pixels; expected at least 40 and at most "
                               f"{MAX_SEAL_PIXELS} pixels in all")
        image.verify()  # structure and checksums: a truncated or patched file stops here
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("the seal image could not be read", errors=[{"loc": ["body"], "msg": str(exc)[:200]}]) from None
    rgba = image.convert("RGBA")
    rgba.thumbnail((SEAL_SIDE, SEAL_SIDE))
    grey = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("L")
    ink = grey.point(lambda v: 0 if v > 235 else 255)
    if ink.getbbox() is None:
        raise InvalidInput("the seal image is blank")
    rgba.putalpha(Image.composite(rgba.getchannel("A"), Image.new("L", rgba.size, 0), ink))
    out = io.BytesIO()
    rgba.save(out, "PNG", optimize=True)
    return out.getvalue()
