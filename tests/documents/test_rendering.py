"""The rendered PDF itself, read back with the tools a court clerk or an archive would use (poppler, pikepdf).

Each document is rendered once per module (a render costs about 0.15 s); the tests read that one PDF.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from weasyprint import HTML

from mediation_svc.documents import samples
from mediation_svc.documents.rendering import (DATA_ATTACHMENT_NAME, TemplateFetcher, data_attachment,
                                               get_renderer, render_document, validate_inputs)
from mediation_svc.documents.templates import REGISTRY, TEMPLATE_DIR
from mediation_svc.errors import InvalidInput

DOC_ID = "0b7c6a52-3f7e-4f7a-9d54-1c2b3a4d5e6f"
CODE = "K7QWM3XD9HFA2PRT"
BASE_URL = "https://mediation.example.cn"
HOSTILE = '<img src="file:///etc/passwd"><script>alert("x")</script>陈秀兰'


def run(*args: str, data: bytes) -> str:
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode("utf-8")


def text_of(pdf: bytes) -> str:
    return run("pdftotext", "-layout", "-", "-", data=pdf)


def squash(text: str) -> str:
    """pdftotext breaks lines and drops or adds spaces between CJK glyphs: compare without whitespace."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def agreement():
    """The Chinese agreement with a hostile consumer name; (RenderedDocument, fetcher, text)."""
    inputs = samples.agreement(parties=[{**samples.CONSUMER, "name": HOSTILE}, samples.INSURER])
    rendered, fetcher = get_renderer().render("mediation_agreement", inputs, language="zh-CN", document_id=DOC_ID,
                                              verification_code=CODE, base_url=BASE_URL)
    return rendered, fetcher, text_of(rendered.pdf)


# -- the sandbox ---------------------------------------------------------------------------------------

def test_markup_in_a_name_is_printed_as_text_and_fetches_nothing(agreement):
    rendered, fetcher, text = agreement
    flat = squash(text)
    assert squash('<img src="file:///etc/passwd">') in flat
    assert squash('<script>alert("x")</script>陈秀兰') in flat
    assert "root:x:0:0" not in text
    assert fetcher.refused == []  # nothing even tried to load /etc/passwd
    assert not any("passwd" in url for url in fetcher.served)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://127.0.0.1:9/x.css",
    "https://example.com/logo.png",
    "ftp://example.com/x",
    "data:text/plain;base64,cm9vdDp4OjA6MA==",  # a data: URI this render did not make
    (TEMPLATE_DIR / ".." / "pyproject.toml").as_uri(),  # climbing out of the template folder
])
def test_fetcher_refuses_everything_but_template_files(url):
    fetcher = TemplateFetcher(TEMPLATE_DIR)
    with pytest.raises(ValueError, match="refused"):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_template_files_and_its_own_data_uri():
    own = "data:image/png;base64,iVBORw0KGgo="
    fetcher = TemplateFetcher(TEMPLATE_DIR, data_uris=frozenset({own}))
    assert b"@page" in fetcher.fetch((TEMPLATE_DIR / "base.css").as_uri()).read()
    assert fetcher.fetch(own).read().startswith(b"\x89PNG")
    assert fetcher.refused == []


def test_weasyprint_asks_the_fetcher_and_gets_nothing_from_outside(tmp_path):
    """Even raw HTML (a template author's mistake) cannot pull in local files or the network."""
    fetcher = TemplateFetcher(TEMPLATE_DIR)
    html = ('<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">'
            '<p>x<img src="file:///etc/passwd"><img src="https://example.com/t.png"></p>')
    pdf = HTML(string=html, base_url=TEMPLATE_DIR.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert set(fetcher.refused) == {"http://127.0.0.1:9/evil.css", "file:///etc/passwd",
                                    "https://example.com/t.png"}
    assert "root:" not in text_of(pdf)


# -- what a reader finds in the PDF --------------------------------------------------------------------

def test_text_is_extractable_with_names_and_amounts_in_capitals(agreement):
    rendered, _, text = agreement
    flat = squash(text)
    for expected in ("调解协议书", samples.CASE_NUMBER, samples.INSURER["name"], samples.INSURER["agent"]["name"],
                     "人民币叁拾捌万元整（¥380,000.00）", "人民币壹万陆仟肆佰零玖元零贰分（¥16,409.02）",
                     "经调解，双方自愿达成如下协议：", "张立新", samples.CENTER):
        assert squash(expected) in flat, expected
    assert rendered.page_count == 3


def test_a4_with_fonts_embedded_and_subset(agreement):
    rendered, _, _ = agreement
    info = run("pdfinfo", "-", data=rendered.pdf)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    rows = [line.split() for line in run("pdffonts", "-", data=rendered.pdf).splitlines()[2:] if line.strip()]
    assert rows, "no fonts listed"
    for row in rows:
        name, emb, sub, uni = row[0], row[-5], row[-4], row[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert re.match(r"^[A-Z]{6}\+", name), name  # the subset tag


def test_metadata_names_title_case_number_and_language(agreement):
    rendered, _, _ = agreement
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        info = pdf.docinfo
        assert str(info["/Title"]) == "调解协议书"
        assert samples.CASE_NUMBER in str(info["/Subject"])
        assert str(info["/casenumber"]) == samples.CASE_NUMBER
        assert str(info["/documentid"]) == DOC_ID
        assert str(pdf.Root.Lang) == "zh-CN"
        xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp  # PDF/A-3b
        assert "/OutputIntents" in pdf.Root


def test_structured_data_is_attached_and_reads_back(agreement):
    rendered, _, _ = agreement
    data = data_attachment(rendered.pdf)
    assert data["document_id"] == DOC_ID and data["template_id"] == "mediation_agreement"
    assert data["inputs_hash"] == rendered.inputs_hash
    assert [p["amount"] for p in data["inputs"]["payments"]] == ["380000.00", "16409.02"]
    assert data["inputs"]["parties"][0]["name"] == HOSTILE
    # the PDF/A-3 associated file: in the catalog's /AF with relationship /Data
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert DATA_ATTACHMENT_NAME in reader.attachments
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        spec = pdf.Root.AF[0]
        assert str(spec.AFRelationship) == "/Data" and str(spec.F) == DATA_ATTACHMENT_NAME


def test_every_page_carries_page_numbers_code_and_document_id(agreement):
    rendered, _, text = agreement
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) == rendered.page_count == 3
    for number, page in enumerate(pages, start=1):
        flat = squash(page)
        assert f"第{number}页共3页" in flat, number
        assert "K7QW-M3XD-9HFA-2PRT" in flat
        assert DOC_ID in flat


def test_every_page_has_a_qr_code_that_opens_the_verification_page(agreement, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    rendered, _, _ = agreement
    (tmp_path / "a.pdf").write_bytes(rendered.pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(tmp_path / "a.pdf"), str(tmp_path / "p")],
                   check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 3
    for page in pages:
        results = zxingcpp.read_barcodes(Image.open(page))
        assert [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode] == \
            [f"{BASE_URL}/verify/code/{CODE}"], page.name


# -- every template, from the seed data ---------------------------------------------------------------

@pytest.mark.parametrize(("template_id", "language"), sorted({(t, lang) for t, lang, _ in REGISTRY}))
def test_every_template_renders_from_seed_data(template_id, language):
    rendered = render_document(template_id, samples.SAMPLES[(template_id, language)](), language=language,
                               document_id=DOC_ID, verification_code=CODE, base_url=BASE_URL)
    text = squash(text_of(rendered.pdf))
    assert rendered.pdf.startswith(b"%PDF-") and rendered.page_count >= 1
    assert squash(rendered.title).lower() in text.lower()
    assert "K7QW-M3XD-9HFA-2PRT" in text and DOC_ID in text
    assert f"第1页共{rendered.page_count}页" in text or f"Page1of{rendered.page_count}" in text
    assert rendered.size < 250_000


# -- inputs --------------------------------------------------------------------------------------------

def test_every_missing_or_malformed_input_is_listed():
    inputs = samples.agreement()
    del inputs["case_number"], inputs["dispute_summary"]
    inputs["payments"][0]["amount"] = "12.345"
    inputs["payments"][1]["due_date"] = "next friday"
    inputs["parties"] = [samples.CONSUMER, {**samples.INSURER, "credit_code": None}]
    inputs["favourite_colour"] = "red"
    with pytest.raises(InvalidInput) as caught:
        validate_inputs("mediation_agreement", inputs, language="zh-CN")
    locs = {".".join(e["loc"]) for e in caught.value.extensions["errors"]}
    assert {"inputs.case_number", "inputs.dispute_summary", "inputs.payments.0.amount",
            "inputs.payments.1.due_date", "inputs.parties.1", "inputs.favourite_colour"} <= locs


def test_draft_preview_is_marked_on_every_page():
    rendered = render_document("mediation_agreement", samples.agreement(), language="zh-CN",
                               document_id="draft-1-v2", verification_code="PREVIEW", base_url=BASE_URL,
                               draft=True)
    # The mark is rotated: poppler extracts it a glyph or two per line, so look for each of its characters.
    pages = [p for p in run("pdftotext", "-raw", "-", "-", data=rendered.pdf).split("\f") if p.strip()]
    assert len(pages) == rendered.page_count
    for page in pages:
        assert set("草稿仅供预览") <= set(page), page[:80]
    assert "草" not in text_of(render_document("mediation_agreement", samples.agreement(), language="zh-CN",
                                               document_id=DOC_ID, verification_code=CODE, base_url=BASE_URL).pdf)


def test_rendering_is_deterministic_for_the_same_inputs(agreement):
    """The stored hash must mean something: the same inputs and ids give the same text and data."""
    rendered, _, text = agreement
    again = render_document("mediation_agreement", dict(data_attachment(rendered.pdf)["inputs"]),
                            language="zh-CN", document_id=DOC_ID, verification_code=CODE, base_url=BASE_URL)
    assert again.inputs_hash == rendered.inputs_hash
    assert text_of(again.pdf) == text


def test_template_files_stay_inside_the_template_folder():
    assert all(Path(TEMPLATE_DIR / spec.path).is_file() for spec in REGISTRY.values())
