"""The blank 申请表 for visitors who prefer paper: a printable PDF with a QR code that opens the online form.

Rendered like the center's other papers (``documents.rendering.render_page_pdf``: the documents' sandboxed templates, fonts
and stylesheet, nothing fetched from outside); the QR code is inline SVG from segno, pointing at /my/apply.
"""

from __future__ import annotations

import segno

from ..config import Settings
from ..selfservice import applications, policy
from ..documents.rendering import render_page_pdf

TEMPLATE = "application_form/zh-CN/v1.html"


def form_url(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/my/apply"


def blank_form_pdf(settings: Settings) -> bytes:
    qr = segno.make(form_url(settings), error="m")
    return render_page_pdf(TEMPLATE, qr_svg=qr.svg_inline(scale=4, border=2), center=settings.center_name,
                      hotline=settings.center_phone or "", consent_version=policy.CONSENT_VERSION,
                      consent_text=applications.consent_text(settings, "zh-CN"))
