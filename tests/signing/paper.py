"""What a signed document looks like printed: page images (pdftoppm -r 150) and page text (pdftotext), checked
as a court clerk or a bank teller would look at them.

``check_signed_on_paper(unsigned, signed, signers)`` asserts, for a document rendered from a template and then
signed through the service:
- every signer's field is where the layout put that signer's block (its label just above it, same page),
  and holds new ink after signing (the drawn signature, name and time);
- the center's seal field, under 调解组织（印章）, holds red seal pixels;
- nothing else on any page changed: the footer (核验码, document number, 第 X 页 共 Y 页, QR code) and every
  line of text are pixel for pixel what they were before signing;
- no page's text carries a library default stamp, UTF-16 shown as Latin-1, or an English UTC time.
Used by the judicial flow test and the browser story (on what the browser downloads).
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops

DPI = 150
FOOTER_MM = 30  # the bottom page margin, where base.css puts the page furniture
FORBIDDEN_TEXT = ("Digitally signed", "þÿ", "UTC", "Signed by", "Timestamp")


@dataclass(frozen=True)
class Field:
    name: str
    page: int  # 0-based
    rect: tuple[float, float, float, float]  # PDF points, origin lower left
    filled: bool


def signature_fields(pdf: bytes) -> dict[str, Field]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    pages = [reader.find_page_for_modification(i)[0].idnum for i in range(int(reader.root["/Pages"]["/Count"]))]
    found = {}
    for name, value, ref in enumerate_sig_fields(reader):
        widget = ref.get_object()
        rect = tuple(float(v) for v in widget["/Rect"])
        page = pages.index(widget.raw_get("/P").idnum)
        found[name] = Field(name, page, rect, value is not None)
    return found


def page_images(pdf: bytes) -> list[Image.Image]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(path), str(Path(tmp) / "page")], check=True)
        return [Image.open(p).convert("RGB") for p in sorted(Path(tmp).glob("page-*.png"))]


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def keep_pages(pdf: bytes, name: str) -> list[Path]:
    """The pages as PNG files in test-artifacts/ (git-ignored), for a person to look at.

    Each file is written beside its place and renamed into it: `make test` runs the SQLite and the PostgreSQL
    suites at once, and both keep the pages of the same documents under the same names."""
    ARTIFACTS.mkdir(exist_ok=True)
    paths = []
    for number, image in enumerate(page_images(pdf), start=1):
        path = ARTIFACTS / f"{name}-page{number}.png"
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        image.save(partial, format="PNG")
        os.replace(partial, path)
        paths.append(path)
    return paths


def page_texts(pdf: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def word_boxes(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """Words of one page with their boxes in PDF points (origin lower left), from pdftotext -bbox."""
    import re

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        html = subprocess.run(["pdftotext", "-bbox", "-f", str(page + 1), "-l", str(page + 1), str(path), "-"],
                              capture_output=True, text=True, check=True).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    words = []
    for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                         html):
        x1, y1, x2, y2 = (float(m.group(i)) for i in range(1, 5))
        words.append((m.group(5), x1, height - y2, x2, height - y1))
    return words


def to_pixels(rect, image: Image.Image) -> tuple[int, int, int, int]:
    scale = DPI / 72
    x1, y1, x2, y2 = rect
    return (int(x1 * scale), int(image.height - y2 * scale), int(x2 * scale) + 1, int(image.height - y1 * scale) + 1)


def count(image: Image.Image, box, predicate) -> int:
    region = image.crop(box)
    return sum(1 for pixel in region.getdata() if predicate(pixel))


def is_red(p) -> bool:
    return p[0] > 170 and p[1] < 110 and p[2] < 110


def is_ink(p) -> bool:
    return sum(p) < 3 * 120


def label_above(pdf: bytes, field: Field, label: str) -> bool:
    """The block's label (e.g. 调解组织（印章）) sits just above the field, overlapping it horizontally."""
    x1, y1, x2, y2 = field.rect
    for text, wx1, wy1, wx2, _wy2 in word_boxes(pdf, field.page):
        if label in text and wy1 >= y2 - 2 and wy1 - y2 < 60 and wx1 < x2 and wx2 > x1:
            return True
    return False


def check_text_is_clean(pdf: bytes) -> None:
    for number, text in enumerate(page_texts(pdf), start=1):
        for bad in FORBIDDEN_TEXT:
            assert bad not in text, f"page {number} of the signed file shows {bad!r}"


def check_signed_on_paper(unsigned: bytes, signed: bytes, *, signers: dict[str, str],
                          seal_label: str = "调解组织（印章）") -> None:
    """``signers``: field name -> the label of its block (e.g. {"party-1": "申请人", "mediator": "调解员",
    "seal": "调解组织（印章）"})."""
    before_fields, after_fields = signature_fields(unsigned), signature_fields(signed)
    assert set(signers) <= set(before_fields), f"the unsigned document lacks fields: {set(signers) - set(before_fields)}"
    before, after = page_images(unsigned), page_images(signed)
    assert len(before) == len(after)
    for name, label in signers.items():
        field = after_fields[name]
        assert field.filled, f"field {name} is not signed"
        assert field.rect == before_fields[name].rect and field.page == before_fields[name].page
        assert label_above(signed, field, label), f"field {name} is not under its block's label {label!r}"
        box = to_pixels(field.rect, after[field.page])
        if name == "seal":
            assert count(after[field.page], box, is_red) > 1500, "no red seal in the 调解组织（印章） block"
            assert count(before[field.page], box, is_red) == 0
        else:
            gained = count(after[field.page], box, is_ink) - count(before[field.page], box, is_ink)
            assert gained > 400, f"no signature ink in {name}'s block ({gained} new dark pixels)"
    footer_px = round(FOOTER_MM / 25.4 * DPI)
    for index, (a, b) in enumerate(zip(before, after)):
        footer = (0, a.height - footer_px, a.width, a.height)
        assert ImageChops.difference(a.crop(footer), b.crop(footer)).getbbox() is None, \
            f"the footer of page {index + 1} changed when the document was signed"
        # outside the signature fields, nothing on the page changed (no mark over the agreement's text)
        mask = Image.new("L", a.size, 255)
        for field in after_fields.values():
            if field.page == index:
                mask.paste(0, to_pixels(field.rect, a))
        changed = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 40 else 0)
        outside = ImageChops.multiply(changed, mask).getbbox()
        assert outside is None, f"page {index + 1} changed outside the signature fields at {outside}"
    check_text_is_clean(signed)
