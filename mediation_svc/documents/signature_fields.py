"""Signature blocks (the signers' areas a template marks with ``data-sign-field``) and their empty PDF signature
fields (ISO 32000-2 §12.7.5.5, a widget annotation merged with its /FT /Sig field): signing fills them by name.

``write_signature_fields`` adds the fields to the PDF WeasyPrint is writing (a finisher step, in the document's
one revision); ``add_signature_fields`` does the same to a finished file with pyHanko, in an incremental
update. The dictionaries are the ones pyHanko's ``append_signature_field`` writes: /F 132 (print, locked),
/Rect, /P, an empty appearance stream of the field's size, and the form's /SigFlags 1.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pydyf

SIGN_FIELD_ATTRIBUTE = "data-sign-field"
_FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch); PDF user space is 72 per inch


@dataclass(frozen=True)
class SignatureBlock:
    """A signer's block as laid out: the field name the template gave it, its page (0-based) and its box in
    PDF user space (points, origin at the page's lower left)."""

    field_name: str
    page: int
    box: tuple[int, int, int, int]


def signature_blocks(document) -> tuple[SignatureBlock, ...]:
    """Every element marked ``data-sign-field`` in a laid-out WeasyPrint document, where it landed.

    A block that page-breaks (the templates keep each one together) is taken where it starts."""
    from weasyprint.formatting_structure import boxes

    found: dict[str, SignatureBlock] = {}
    for index, page in enumerate(document.pages):
        height = page.height * _CSS_PX_TO_PT
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            name = element.get(SIGN_FIELD_ATTRIBUTE) if element is not None and box.element_tag else None
            if name and name not in found and isinstance(box, (boxes.BlockBox, boxes.InlineBlockBox)):
                if not _FIELD_NAME_RE.match(name):
                    raise ValueError(f"signature field name {name!r} in a template is not a plain name")
                x, y = box.border_box_x() * _CSS_PX_TO_PT, box.border_box_y() * _CSS_PX_TO_PT
                w, h = box.border_width() * _CSS_PX_TO_PT, box.border_height() * _CSS_PX_TO_PT
                found[name] = SignatureBlock(name, index, (round(x), round(height - y - h), round(x + w),
                                                           round(height - y)))
            stack.extend(reversed(getattr(box, "children", None) or []))
    return tuple(found.values())


def add_signature_fields(pdf: bytes, blocks: tuple[SignatureBlock, ...]) -> bytes:
    """Empty signature fields at the blocks (pyHanko, one incremental update): signing fills them by name."""
    if not blocks:
        return pdf
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields as sig_fields

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    for block in blocks:
        sig_fields.append_signature_field(writer, sig_fields.SigFieldSpec(
            sig_field_name=block.field_name, on_page=block.page, box=block.box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_signature_fields(pdf: pydyf.PDF, blocks: tuple[SignatureBlock, ...]) -> None:
    """Empty signature fields at the blocks, written into the PDF being generated (no second pass over the
    file, no pyHanko at rendering time)."""
    if not blocks:
        return
    form = pdf.catalog.get("AcroForm")
    if form is None:
        form = pdf.catalog["AcroForm"] = pydyf.Dictionary({"Fields": pydyf.Array()})
    form.setdefault("SigFlags", 1)
    page_numbers = pdf.pages["Kids"][::3]
    for block in blocks:
        page = pdf.objects[page_numbers[block.page]]
        x1, y1, x2, y2 = block.box
        appearance = pydyf.Stream([], extra={"Type": "/XObject", "Subtype": "/Form",
                                              "BBox": pydyf.Array([0, 0, abs(x2 - x1), abs(y2 - y1)]),
                                              "Resources": pydyf.Dictionary()})
        pdf.add_object(appearance)
        field = pydyf.Dictionary({
            "FT": "/Sig", "T": pydyf.String(block.field_name), "Type": "/Annot", "Subtype": "/Widget",
            "F": 132, "Rect": pydyf.Array([x1, y1, x2, y2]), "P": page.reference,
            "AP": pydyf.Dictionary({"N": appearance.reference})})
        pdf.add_object(field)
        page.setdefault("Annots", pydyf.Array()).append(field.reference)
        form["Fields"].append(field.reference)
