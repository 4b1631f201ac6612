"""The evidence package's Chinese 目录 (index) as its first entry, and the case's audit timeline as a PDF beside
the machine-readable trail: what a court clerk opens first, in words, each file named with its SHA-256.

Rendered like the other documents (the documents' sandboxed Jinja2 environment, fonts and stylesheet; the
fetcher serves template files only). ``service.build_package`` calls ``package_extras``.
"""

from __future__ import annotations

import hashlib

from ..db import utcnow
from ..audit.timeline import render_timeline_pdf, timeline
from ..documents.rendering import render_page_pdf

INDEX_NAME = "00-目录.pdf"
TIMELINE_NAME = "audit-trail.pdf"
TEMPLATE = "evidence_index/zh-CN/v1.html"
TITLES = {
    INDEX_NAME: "证据材料目录（本文件）",
    "agreement-signed.pdf": "调解协议书（各方已签署，加盖调解中心电子印章）",
    "application-signed.pdf": "司法确认申请书（各方已签署，附各方送达地址确认书）",
    "evidence-report.pdf": "电子签名证据报告",
    TIMELINE_NAME: "案件操作记录（时间线）",
    "audit-trail.json": "案件操作记录（机读格式，含哈希链）",
    "signing-events.json": "签署过程记录（机读格式）",
    "certificates/center-root.cer": "调解中心根证书",
    "manifest.json": "材料清单（各文件的 SHA-256 哈希值）",
    "manifest.jws": "材料清单的电子签名",
}
PREFIXES = (("verification/", "签名验证报告（机读格式）"), ("certificates/", "签署证书（长期验证数据）"),
            ("revocation/", "证书吊销状态数据（长期验证数据）"))


def title_of(name: str) -> str:
    if name in TITLES:
        return TITLES[name]
    return next((title for prefix, title in PREFIXES if name.startswith(prefix)), "其他材料")


def index_pdf(files: dict[str, bytes], *, case_number: str, court_name: str, center: str) -> bytes:
    listed = [{"name": n, "title": title_of(n), "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
              for n, d in sorted(files.items())]
    listed += [{"name": n, "title": title_of(n), "size": "—", "sha256": "（见该文件）"}
               for n in ("manifest.json", "manifest.jws")]
    return render_page_pdf(TEMPLATE, files=listed, case_number=case_number, court_name=court_name, center=center,
                generated_at=utcnow())


def package_extras(session, case, files: dict[str, bytes], *, court_name: str, center: str) -> dict[str, bytes]:
    """The timeline PDF and the index (which lists the timeline too) to add to the package's files."""
    data = timeline(session, case, "zh-CN")
    with_timeline = {**files, TIMELINE_NAME: render_timeline_pdf(case=case, rows=data["rows"], chain=data["chain"])}
    return {TIMELINE_NAME: with_timeline[TIMELINE_NAME],
            INDEX_NAME: index_pdf(with_timeline, case_number=case.number, court_name=court_name, center=center)}
