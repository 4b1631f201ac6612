"""The audit timeline as a PDF (zh-CN) for the evidence package, rendered like the other documents: the
documents' sandboxed Jinja2 environment, fonts and stylesheet, and a fetcher that serves template files only."""

from __future__ import annotations

from weasyprint import HTML

from ..db import utcnow
from ..documents.rendering import TemplateFetcher, get_renderer

TEMPLATE = "audit_timeline/zh-CN/v1.html"


def render_timeline_pdf(*, case, rows, chain) -> bytes:
    renderer = get_renderer()
    html_text = renderer.env.get_template(TEMPLATE).render(case_number=case.number, rows=rows, chain=chain,
                                                           generated_at=utcnow())
    with renderer._lock:  # WeasyPrint's font configuration is shared with document rendering
        fetcher = TemplateFetcher(renderer.template_dir)
        document = HTML(string=html_text, base_url=renderer.template_dir.as_uri() + "/", url_fetcher=fetcher)
        return document.write_pdf(font_config=renderer.font_config,
                                  stylesheets=[renderer.stylesheet("@fonts"), renderer.stylesheet("base.css")])
