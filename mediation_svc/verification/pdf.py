"""The verification report as a signed PDF in the reader's language (zh-CN or en).

Rendered with the documents' sandboxed Jinja2 environment, fonts and stylesheets from
``document_templates/verification_report/v2.html``; every word comes from the page catalogue
(``i18n/locales/report.toml``), so the Chinese report holds no English beyond names of formats and standards.

Signed by the center's verification service: a PAdES signature (ETSI EN 319 142-1, ``signing.pades.sign``)
with the ``report-signing`` key, whose certificate the issuing CA gives it (``pki.hierarchy``, made by
``keys init``), the RFC 3161 signature timestamp of the center's TSA (B-T) and, with a validation context,
the chain and fresh CRLs in the DSS at once (B-LT). The visible mark sits in the report's own block
(``data-sign-field="report"``), placed from the layout as the agreement's blocks are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from weasyprint import HTML

from ..documents.rendering import TemplateFetcher, add_signature_fields, get_renderer, signature_blocks
from ..errors import ServiceUnavailable
from ..i18n.catalogue import ZH, in_language, translator
from ..i18n.labels import labeller
from ..pki import hierarchy
from .schemas import SignatureResult, VerificationReport
from .headline import verdict_of

TEMPLATE = "verification_report/v2.html"
FIELD = "report"
LANGUAGES = ("zh-CN", "en")


class ReportSignerUnavailable(ServiceUnavailable):
    """The report key has no certificate yet (a key directory from before reports were signed)."""

    slug, title = "report-signer-unavailable", "The verification service cannot sign reports yet"


def _warnings_of(result: SignatureResult, language: str) -> list[str]:
    """Catalogue keys for the warnings the structured result itself shows (the Chinese report's words for
    them; the English report prints the warnings as they are)."""
    if language == "en":
        return []
    keys = []
    if result.pades_level == "B-B" and result.warnings:
        keys.append("vreport.warn.no_timestamp")
    revocation = result.revocation
    if result.indication == "TOTAL_PASSED" and revocation is not None and revocation.status == "revoked":
        keys.append("vreport.warn.revoked_later")
    return keys


def render_report_pdf(report: VerificationReport, *, language: str = "zh-CN", center_name: str = "") -> bytes:
    """The report, unsigned, with an empty signature field in its issuer block."""
    language = language if language in LANGUAGES else "zh-CN"
    renderer = get_renderer()
    kinds = {"signature", "seal", "lta", "archive_timestamp"}
    html_text = renderer.env.get_template(TEMPLATE).render(
        r=report, lang=language, t=translator(language), label=labeller(language), center=center_name,
        verdict=verdict_of(report.indication, report.sub_indication, report.signatures),
        signature_count=sum(1 for s in report.signatures if s.kind == "signature"),
        has_reason=lambda sub: f"verify.sub.{sub}" in ZH,
        event=lambda kind: translator(language)(f"vreport.event.{kind if kind in kinds else 'other'}"),
        in_language=lambda value: in_language(value, language),
        warnings_of=lambda result: _warnings_of(result, language),
        colon=": " if language == "en" else "：", open=" (" if language == "en" else "（",
        close=")" if language == "en" else "）")
    with renderer._lock:  # WeasyPrint's font configuration is shared with document rendering
        fetcher = TemplateFetcher(renderer.template_dir)
        sheets = [renderer.stylesheet("@fonts")] + [renderer.stylesheet(n) for n in renderer.stylesheet_names(language)]
        document = HTML(string=html_text, base_url=renderer.template_dir.as_uri() + "/",
                        url_fetcher=fetcher).render(font_config=renderer.font_config, stylesheets=sheets)
        pdf = document.write_pdf()
        blocks = signature_blocks(document)
    return add_signature_fields(pdf, blocks)


def report_signer(keystore):
    """The verification service's pyHanko signer: the report key and its certificate from the issuing CA."""
    from ..pki.keystore import REPORT_SIGNING_KEY  # noqa: PLC0415
    from ..signing import pades  # noqa: PLC0415

    if not keystore.cert_path(REPORT_SIGNING_KEY).exists():
        raise ReportSignerUnavailable("the report key has no certificate yet; run: mediation-svc keys init")
    chain = (keystore.certificate(hierarchy.ISSUING), keystore.certificate(hierarchy.ROOT))
    return pades.key_signer(keystore.certificate(REPORT_SIGNING_KEY), keystore.private_key(REPORT_SIGNING_KEY),
                            chain)


def signed_report_pdf(report: VerificationReport, *, keystore, timestamper, language: str = "zh-CN",
                      center_name: str = "", validation_context: Callable | None = None,
                      now: dt.datetime | None = None) -> bytes:
    """The report, signed by the verification service (PAdES B-T; B-LT with ``validation_context``)."""
    from ..signing import appearance, pades  # noqa: PLC0415
    from ..signing.credentials import timestamped, validated  # noqa: PLC0415

    signer = report_signer(keystore)
    pdf = render_report_pdf(report, language=language, center_name=center_name)

    # the issuer line above the block names the center; the mark says who signed and when
    mark = appearance.signer_mark(drawing_png=None, name=translator(language)("vreport.mark"),
                                  signed_at=now or dt.datetime.now(dt.timezone.utc), language=language)
    return validated(lambda: timestamped(lambda: pades.sign(
        pdf, signer=signer, timestamper=timestamper, field=pades.FieldPlacement(FIELD, -1, None),
        appearance_png=None, reason="电子签名验证报告" if language != "en" else "Signature validation report",
        location=center_name or None, validation_context=validation_context, stamp_style=mark)))
