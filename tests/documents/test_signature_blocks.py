"""Signature blocks from the layout: each signer's empty field where the template put the block, on the page
where it landed, inside the body (never in the footer), and none on a preview."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from mediation_svc.documents import samples
from mediation_svc.documents.rendering import _cn_phone, render_document

FOOTER_TOP = 30 * 72 / 25.4  # base.css: a 30 mm bottom margin holds the page furniture


def render(template="mediation_agreement", inputs=None, draft=False, **kw):
    return render_document(template, inputs or samples.agreement(), language="zh-CN",
                           document_id="3f2b6c1e-0000-4000-8000-00000000be7c", verification_code="K7QWM3XD9HFA2PRT",
                           base_url="http://127.0.0.1:8000", draft=draft, **kw)


def test_every_signer_has_an_empty_field_in_their_block_above_the_footer():
    rendered = render()
    names = [b.field_name for b in rendered.signature_blocks]
    assert names == ["party-1", "party-2", "mediator", "seal"]
    reader = PdfFileReader(io.BytesIO(rendered.pdf), strict=False)
    fields = {name: ref.get_object() for name, value, ref in enumerate_sig_fields(reader) if value is None}
    assert set(fields) == set(names)
    for block in rendered.signature_blocks:
        x1, y1, x2, y2 = block.box
        assert [round(float(v)) for v in fields[block.field_name]["/Rect"]] == [x1, y1, x2, y2]
        assert y1 > FOOTER_TOP and y2 < 842 - 24 * 72 / 25.4 and 0 < x1 < x2 < 595
        assert block.page == rendered.page_count - 1  # the blocks stay together on the last page
    seal = next(b for b in rendered.signature_blocks if b.field_name == "seal")
    assert seal.box[3] - seal.box[1] >= 40 * 72 / 25.4  # room for a 40 mm seal


def test_the_blocks_move_with_the_text_and_a_preview_has_no_fields():
    short = render(inputs=samples.agreement(obligations=[], clauses=[]))
    long = render(inputs=samples.agreement(clauses=["双方确认本条为测试用的较长约定。" * 12] * 6))
    assert (short.page_count, short.signature_blocks[0].box) != (long.page_count, long.signature_blocks[0].box)
    preview = render(draft=True)
    assert preview.signature_blocks == () and b"/FT /Sig" not in preview.pdf and b"/FT/Sig" not in preview.pdf


def test_the_application_has_blocks_for_both_applicants_the_mediator_and_the_seal():
    rendered = render("judicial_application", samples.judicial_application())
    assert [b.field_name for b in rendered.signature_blocks] == ["party-1", "party-2", "mediator", "seal"]


def test_phones_print_as_chinese_documents_print_them():
    assert _cn_phone("+8613800138000") == "13800138000"
    assert _cn_phone("+86 138-0013-8000") == "13800138000"
    assert _cn_phone("8613800138000") == "13800138000"
    assert _cn_phone("020-38888888") == "020-38888888"
    assert _cn_phone(None) == ""


def test_published_v1_templates_still_render_from_their_own_inputs():
    rendered = render(inputs=samples.agreement_v1(), version=1)
    assert rendered.template_version == 1 and rendered.signature_blocks == ()


def test_the_english_agreement_has_the_same_blocks():
    rendered = render_document("mediation_agreement", samples.agreement_en(), language="en",
                               document_id="3f2b6c1e-0000-4000-8000-00000000be7c",
                               verification_code="K7QWM3XD9HFA2PRT", base_url="http://127.0.0.1:8000")
    assert [b.field_name for b in rendered.signature_blocks] == ["party-1", "party-2", "mediator", "seal"]
