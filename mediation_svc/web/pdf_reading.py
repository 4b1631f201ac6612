"""A finalised PDF as a signer's phone shows it (poppler's command-line tools): each page as an image, and the
text as paragraphs that reflow. Both are cached by the file's hash."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple
from xml.etree.ElementTree import Element

PAGE_DPI = 110


def pdf_page_images(pdf: bytes, dpi: int = PAGE_DPI) -> list[bytes]:
    """Each page as a JPEG (poppler's pdftoppm): on a phone an image per page reads better than a PDF viewer.
    JPEG rather than PNG: about six times faster to make and a third of the size, and text stays sharp."""
    return list(_page_images(hashlib.sha256(pdf).hexdigest(), pdf, dpi))


@lru_cache(maxsize=8)
def _page_images(digest: str, pdf: bytes, dpi: int) -> tuple[bytes, ...]:
    # Keyed by the file's hash: a signer reloading the page, or the next signer of the same revision, reuses it.
    with tempfile.TemporaryDirectory(prefix="msvc-pages-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-jpeg", "-jpegopt", "quality=85", "-r", str(dpi), str(source),
                        str(Path(tmp) / "page")], check=True, capture_output=True, timeout=60)
        pages = sorted(Path(tmp).glob("page-*.jpg"), key=lambda p: int(p.stem.split("-")[-1]))
        return tuple(p.read_bytes() for p in pages)


def agreement_text(pdf: bytes) -> list[dict]:
    """The finalised PDF's text as paragraphs that reflow on a phone (poppler's pdftotext word boxes; lines
    that run to the right margin continue in the next one). The page furniture at the foot of each page (the
    verification code, "page x of y") is left out: the original layout is one tap away."""
    return list(_agreement_text(hashlib.sha256(pdf).hexdigest(), pdf))


@lru_cache(maxsize=8)
def _agreement_text(digest: str, pdf: bytes) -> tuple[dict, ...]:
    with tempfile.TemporaryDirectory(prefix="msvc-text-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(source), "-"], check=True,
                             capture_output=True, timeout=60).stdout
    xhtml = "{http://www.w3.org/1999/xhtml}"
    paragraphs: list[dict] = []
    for page in ET.fromstring(out).iter(f"{xhtml}page"):
        lines: list[_Line] = []
        footer = 0.92 * _number(page, "height")  # the page furniture (verification code, page x of y)
        for line in page.iter(f"{xhtml}line"):
            text = _join_words([w.text or "" for w in line.findall(f"{xhtml}word")])
            if text.strip() and _number(line, "yMin") < footer:
                lines.append(_Line(x0=_number(line, "xMin"), x1=_number(line, "xMax"), text=text,
                                   y0=_number(line, "yMin"), y1=_number(line, "yMax")))
        if not lines:
            continue
        left, right = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
        previous: _Line | None = None
        for ln in lines:
            height = ln.height
            # a line continues the one above when that one ran to the right margin from (about) the left one
            # and no paragraph gap separates them
            continues = (previous is not None and previous.x1 >= right - 1.5 * height
                         and previous.x1 - previous.x0 >= 0.6 * (right - left)
                         and ln.y0 - previous.y1 < 0.35 * height and abs(previous.height - height) < 2)
            if continues:
                paragraphs[-1]["text"] += ln.text
            else:
                paragraphs.append({"text": ln.text, "heading": height > 20})
            previous = ln
    return tuple(paragraphs)


class _Line(NamedTuple):
    """One line of text as pdftotext places it on the page (points from the top left)."""

    x0: float
    x1: float
    y0: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _number(element: Element, name: str) -> float:
    """A coordinate of pdftotext's -bbox-layout output, which it always writes."""
    value = element.get(name)
    if value is None:
        raise ValueError(f"pdftotext wrote a {element.tag} without {name}")
    return float(value)


def _join_words(words: list[str]) -> str:
    text = ""
    for word in words:
        if text and text[-1].isascii() and word[:1].isascii() and text[-1].isalnum() and word[:1].isalnum():
            text += " "
        text += word
    return text
