"""The audit timeline as a PDF (zh-CN) for the evidence package, rendered like the other documents: the
documents' sandboxed Jinja2 environment, fonts and stylesheet, and a fetcher that serves template files only.
``render_pdf`` is that rendering, shared with the package's index (``evidence_index``)."""

from __future__ import annotations

from weasyprint import HTML

from ..db import utcnow
from ..documents.rendering import TemplateFetcher, get_renderer

TEMPLATE = "audit_timeline/zh-CN/v1.html"


def render_pdf(template: str, **values) -> bytes:
    """A page template of ours (not a document template) as a PDF, with the documents' fonts and stylesheet."""
    renderer = get_renderer()
    html_text = renderer.env.get_template(template).render(**values)
    with renderer._lock:  # WeasyPrint's font configuration is shared with document rendering
        fetcher = TemplateFetcher(renderer.template_dir)
        document = HTML(string=html_text, base_url=renderer.template_dir.as_uri() + "/", url_fetcher=fetcher)
        return document.write_pdf(font_config=renderer.font_config,
                                  stylesheets=[renderer.stylesheet("@fonts"), renderer.stylesheet("base.css")])


def render_timeline_pdf(*, case, rows, chain) -> bytes:
    return render_pdf(TEMPLATE, case_number=case.number, rows=rows, chain=chain, generated_at=utcnow())
