"""送达地址确认书: one party's address for service, rendered from its template with the party's signature block
(field party-1, placed from the layout above the footer), the consent to electronic service and the
consequences of a wrong address in plain Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from mediation_svc.documents import samples
from mediation_svc.documents.rendering import render_document, validate_inputs
from mediation_svc.errors import InvalidInput

from ..signing.conftest import drawn_signature, keystore  # noqa: F401 - the fixture
from ..signing.paper import check_signed_on_paper, page_texts

FOOTER_TOP = 30 * 72 / 25.4


def render(inputs):
    return render_document("service_address", inputs, language="zh-CN",
                           document_id="3f2b6c1e-0000-4000-8000-00000000be7d", verification_code="K7QWM3XD9HFA2PRU",
                           base_url="http://127.0.0.1:8000")


@pytest.mark.parametrize("party", [samples.CONSUMER, samples.INSURER])
def test_each_party_gets_a_confirmation_with_its_own_block(party):
    rendered = render(samples.service_address(party))
    assert rendered.kind == "service_address" and rendered.title == "送达地址确认书"
    assert rendered.page_count == 1  # the form, the notice and the block on one page
    [block] = rendered.signature_blocks
    assert block.field_name == "party-1" and block.box[1] > FOOTER_TOP
    text = "".join("".join(page_texts(rendered.pdf)).split())
    assert "送达地址确认书" in text and party["name"] in text and "受送达人（" in text
    assert "送达地址广东省广州市" in text and "■同意□不同意" in text
    assert "以文书退回之日视为送达之日" in text and "未及时告知的，按原地址和方式送达的，视为有效送达" in text
    if party["kind"] == "institution":
        assert "统一社会信用代码：" + party["credit_code"] in text and "授权代表（签名）：王晓明" in text
        assert "手机短信13922223333" in text
    else:
        from mediation_svc.security.pipl import mask_id_number

        # the ID number masked as everywhere (first six shown): the full number, and its last four, never printed
        assert "居民身份证号码：" + mask_id_number(party["id_number"]) in text and "手机短信13800138000" in text
        assert party["id_number"] not in text
        assert "电子邮件chenxl@example.cn" in text


def test_no_consent_prints_no_channels():
    inputs = samples.service_address(service={**samples.service_address()["service"], "electronic_consent": False,
                                              "electronic_channels": []})
    text = "".join("".join(page_texts(render(inputs).pdf)).split())
    assert "□同意■不同意" in text and "手机短信" not in text


@pytest.mark.parametrize("change, message", [
    ({"electronic_consent": True, "electronic_channels": []}, "at least one channel"),
    ({"electronic_consent": False, "electronic_channels": ["sms"]}, "only with consent"),
    ({"email": None, "electronic_channels": ["email"]}, "needs an e-mail address"),
    ({"postcode": "5100"}, "pattern"),
])
def test_inconsistent_service_details_are_refused(change, message):
    inputs = samples.service_address()
    inputs["service"] = {**inputs["service"], **change}
    with pytest.raises(InvalidInput) as caught:
        validate_inputs("service_address", inputs, language="zh-CN")
    assert any(message in e["msg"] for e in caught.value.extensions["errors"]), caught.value.extensions


def test_signed_by_the_party_the_mark_sits_in_its_block(keystore):  # noqa: F811
    from mediation_svc.pki.tsa import make_timestamper
    from mediation_svc.signing import appearance, pades
    from mediation_svc.verification.report import verify_pdf

    from ..verification.conftest import context, credential

    unsigned = render(samples.service_address(samples.INSURER)).pdf
    cred = credential(keystore, "王晓明", "440***********0032", "被申请人代理人")
    mark = appearance.signer_mark(drawing_png=drawn_signature(3), name="王晓明", capacity="授权代表",
                                  signed_at=dt.datetime.now(dt.timezone.utc))
    signed = pades.sign(unsigned, signer=cred.pyhanko_signer(), timestamper=make_timestamper(keystore),
                        field=pades.FieldPlacement("party-1", -1, None), appearance_png=None, reason="受送达人签署",
                        stamp_style=mark, validation_context=lambda: context(keystore))
    check_signed_on_paper(unsigned, signed, signers={"party-1": "受送达人"})
    from mediation_svc.pki import hierarchy

    report = verify_pdf(signed, trust_roots=[keystore.certificate(hierarchy.ROOT)])
    assert report.indication.value == "TOTAL_PASSED", report.summary
