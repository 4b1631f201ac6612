"""The audit timeline as a PDF (zh-CN) for the evidence package, rendered like the other documents: the
documents' sandboxed Jinja2 environment, fonts and stylesheet, and a fetcher that serves template files only."""

from __future__ import annotations

from ..db import utcnow

TEMPLATE = "audit_timeline/zh-CN/v1.html"


def render_timeline_pdf(*, case, rows, chain) -> bytes:
    from .evidence_index import _pdf

    return _pdf(TEMPLATE, case_number=case.number, rows=rows, chain=chain, generated_at=utcnow())
