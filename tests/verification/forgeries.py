"""Ways to forge or damage a signed PDF, each building the bad file from a genuine one (test helpers)."""

from __future__ import annotations

import io
import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader


def _first_page_ref(writer: IncrementalPdfFileWriter):
    return writer.root["/Pages"]["/Kids"].raw_get(0)


def _stream(writer: IncrementalPdfFileWriter, content: bytes):
    return writer.add_object(generic.StreamObject(stream_data=content))


def flip_byte_in_signed_range(pdf: bytes, marker: bytes = b"/Producer") -> bytes:
    """Change one byte that the first signature's /ByteRange covers (in the original document)."""
    data = bytearray(pdf)
    index = data.index(marker)
    data[index + 2] = ord("X") if data[index + 2] != ord("X") else ord("Y")
    return bytes(data)


def replace_page_content(pdf: bytes) -> bytes:
    """An incremental update after the last signature that swaps page 1's content for other text."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref = _first_page_ref(writer)
    page = page_ref.get_object()
    forged = b"BT /F1 24 Tf 72 700 Td (Pay 4000000.00) Tj ET"
    page["/Contents"] = _stream(writer, forged)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_page(pdf: bytes) -> bytes:
    """An incremental update after the last signature that appends a page with new terms."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    first = _first_page_ref(writer).get_object()
    page = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): first["/MediaBox"],
        generic.NameObject("/Contents"): _stream(writer, b"BT /F1 18 Tf 72 700 Td (Supplementary term) Tj ET"),
        generic.NameObject("/Resources"): generic.DictionaryObject(),
    })
    writer.insert_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def annotation_over_amount(pdf: bytes) -> bytes:
    """An incremental update adding a FreeText annotation with a white box and another amount on page 1."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref = _first_page_ref(writer)
    page = page_ref.get_object()
    rect = generic.ArrayObject([generic.FloatObject(v) for v in (60, 600, 400, 640)])
    appearance = _stream(writer, b"1 1 1 rg 0 0 340 40 re f 0 0 0 rg BT /Helv 14 Tf 4 12 Td (400.00) Tj ET")
    appearance.get_object()["/Type"] = generic.NameObject("/XObject")
    appearance.get_object()["/Subtype"] = generic.NameObject("/Form")
    appearance.get_object()["/BBox"] = generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, 340, 40)])
    annot = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
        generic.NameObject("/Rect"): rect,
        generic.NameObject("/Contents"): generic.TextStringObject("400.00"),
        generic.NameObject("/DA"): generic.TextStringObject("/Helv 14 Tf 0 g"),
        generic.NameObject("/AP"): generic.DictionaryObject({generic.NameObject("/N"): appearance}),
        generic.NameObject("/P"): page_ref,
    }))
    existing = page.get("/Annots")
    page["/Annots"] = generic.ArrayObject(
        [*(existing.raw_get(i) for i in range(len(existing) if existing is not None else 0)), annot])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _white_box_with_amount(writer: IncrementalPdfFileWriter, text: bytes = b"400.00"):
    appearance = _stream(writer, b"1 1 1 rg 0 0 340 40 re f 0 0 0 rg BT /Helv 14 Tf 4 12 Td (" + text + b") Tj ET")
    appearance.get_object()["/Type"] = generic.NameObject("/XObject")
    appearance.get_object()["/Subtype"] = generic.NameObject("/Form")
    appearance.get_object()["/BBox"] = generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, 340, 40)])
    return appearance


def _add_to_page_and_form(writer: IncrementalPdfFileWriter, field_ref) -> None:
    page_ref = _first_page_ref(writer)
    page = page_ref.get_object()
    existing = page.get("/Annots")
    page["/Annots"] = generic.ArrayObject(
        [*(existing.raw_get(i) for i in range(len(existing) if existing is not None else 0)), field_ref])
    writer.update_container(page)
    form = writer.root["/AcroForm"]
    fields = form["/Fields"]
    fields.append(field_ref)
    writer.update_container(form)


def unsigned_signature_field_over_amount(pdf: bytes) -> bytes:
    """An incremental update adding an empty signature field whose widget draws a white box and another
    amount over the agreement (pdfsig notices it; pyHanko's CLI does not)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    field = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
        generic.NameObject("/FT"): generic.NameObject("/Sig"),
        generic.NameObject("/T"): generic.TextStringObject("overlay"),
        generic.NameObject("/F"): generic.NumberObject(4),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (60, 600, 400, 640)]),
        generic.NameObject("/AP"): generic.DictionaryObject({generic.NameObject("/N"): _white_box_with_amount(writer)}),
        generic.NameObject("/P"): _first_page_ref(writer),
    }))
    _add_to_page_and_form(writer, field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_text_field(pdf: bytes, value: str = "") -> bytes:
    """A document with an (empty) text form field, as a file prepared elsewhere may have: signed after this."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if "/AcroForm" not in writer.root:
        writer.root["/AcroForm"] = writer.add_object(generic.DictionaryObject({
            generic.NameObject("/Fields"): generic.ArrayObject()}))
        writer.update_root()
    field = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
        generic.NameObject("/FT"): generic.NameObject("/Tx"),
        generic.NameObject("/T"): generic.TextStringObject("remark"),
        generic.NameObject("/V"): generic.TextStringObject(value),
        generic.NameObject("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (60, 560, 400, 590)]),
        generic.NameObject("/P"): _first_page_ref(writer),
    }))
    _add_to_page_and_form(writer, field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_text_field(pdf: bytes, value: bytes = b"amount now 4000000.00") -> bytes:
    """Fill the text field after signing, with an appearance that shows a new value (a shadow attack)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field.get("/T")) == "remark":
            field["/V"] = generic.TextStringObject(value.decode())
            field["/AP"] = generic.DictionaryObject({generic.NameObject("/N"): _white_box_with_amount(writer, value)})
            writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rewrite_info(pdf: bytes, title: str = "调解协议书（已变更）") -> bytes:
    """Rewrite /Info (title, subject) in an incremental update after signing."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    info = writer.trailer["/Info"]
    info["/Title"] = generic.TextStringObject(title)
    info["/Subject"] = generic.TextStringObject("赔付金额人民币肆佰万元整")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def shrink_byte_range(pdf: bytes) -> bytes:
    """Edit the last signature's /ByteRange so that it covers less (the same length, fewer bytes)."""
    ranges = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf))
    match = ranges[-1]
    a, b, c, d = (int(x) for x in match.groups())
    text = f"/ByteRange [{a} {b} {c} {max(d - 1000, 0)}]".encode()
    original = match.group(0)
    text = text + b" " * (len(original) - len(text))
    if len(text) != len(original):
        raise AssertionError("could not keep the length")
    return pdf[:match.start()] + text + pdf[match.end():]


def truncate(pdf: bytes, cut: int = 3000) -> bytes:
    """Cut the file inside its last revision (a cut that falls exactly on a revision boundary leaves an
    earlier, complete revision: a different file, not a truncated one)."""
    last_start = pdf.rfind(b"%%EOF", 0, len(pdf) - 8) + len(b"%%EOF")
    if len(pdf) - cut <= last_start:
        raise AssertionError("the last revision is shorter than the cut")
    return pdf[: len(pdf) - cut]


def append_after_eof(pdf: bytes, junk: bytes = b"\n% appended after the end\n1 0 obj (x) endobj\n") -> bytes:
    return pdf + junk


def signature_count(pdf: bytes) -> int:
    return len(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures)
