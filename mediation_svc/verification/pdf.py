"""The verification report as a readable PDF (zh-CN), rendered with the documents' sandboxed Jinja2
environment, fonts and stylesheet from ``document_templates/verification_report/``."""

from __future__ import annotations

from weasyprint import HTML

from ..documents.rendering import TemplateFetcher, get_renderer
from .schemas import Indication, VerificationReport

TEMPLATE = "verification_report/zh-CN/v1.html"
VERDICTS = {Indication.TOTAL_PASSED: "签名有效，文件自签署后未被改动",
            Indication.TOTAL_FAILED: "验证未通过，不能依赖本文件",
            Indication.INDETERMINATE: "无法确定签名是否有效"}


def render_report_pdf(report: VerificationReport) -> bytes:
    renderer = get_renderer()
    html_text = renderer.env.get_template(TEMPLATE).render(r=report, verdict=VERDICTS[report.indication])
    with renderer._lock:  # WeasyPrint's font configuration is shared with document rendering
        fetcher = TemplateFetcher(renderer.template_dir)
        document = HTML(string=html_text, base_url=renderer.template_dir.as_uri() + "/", url_fetcher=fetcher)
        return document.write_pdf(font_config=renderer.font_config,
                                  stylesheets=[renderer.stylesheet("@fonts"), renderer.stylesheet("base.css")])
