"""The template registry: which documents exist, in which languages and versions, and what each needs.

A template is identified by ``template_id`` (the document family) + ``language`` + ``version``. Files
live in ``document_templates/<template_id>/<language>/v<version>.html`` and share ``base.html`` and
``base.css``. A published version is never edited: a change of wording is a new version, so a
finalised document's (template_id, template_version) always names the exact text it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from ..config import PROJECT_ROOT
from ..errors import NotFound
from .inputs import (AgreementInputs, AgreementInputsV2, EvidenceReportInputs, JudicialApplicationInputs,
                     JudicialApplicationInputsV2, JudicialApplicationInputsV3, NeutralEvaluationInputs, ServiceAddressInputs,
                     SessionNoticeInputs, SessionRecordInputs)

TEMPLATE_DIR = PROJECT_ROOT / "document_templates"


@dataclass(frozen=True)
class TemplateSpec:
    template_id: str
    language: str
    version: int
    kind: str  # the Document.kind of what it produces
    title: str  # PDF title and heading
    inputs: type[BaseModel]
    attach_data: bool = True  # embed the validated inputs as JSON (PDF/A-3 associated file)

    @property
    def path(self) -> str:
        """The Jinja2 name, relative to TEMPLATE_DIR."""
        return f"{self.template_id}/{self.language}/v{self.version}.html"


_SPECS = (
    TemplateSpec("mediation_agreement", "zh-CN", 1, "agreement", "调解协议书", AgreementInputs),
    TemplateSpec("mediation_agreement", "zh-CN", 2, "agreement", "调解协议书", AgreementInputsV2),
    TemplateSpec("mediation_agreement", "en", 1, "agreement", "Mediation Agreement", AgreementInputs),
    TemplateSpec("mediation_agreement", "en", 2, "agreement", "Mediation Agreement", AgreementInputsV2),
    TemplateSpec("session_notice", "zh-CN", 1, "session_notice", "调解通知书", SessionNoticeInputs),
    TemplateSpec("session_notice", "en", 1, "session_notice", "Notice of Mediation Session", SessionNoticeInputs),
    TemplateSpec("neutral_evaluation", "zh-CN", 1, "neutral_evaluation", "中立评估意见书", NeutralEvaluationInputs),
    TemplateSpec("judicial_application", "zh-CN", 1, "judicial_application", "司法确认申请书",
                 JudicialApplicationInputs),
    TemplateSpec("judicial_application", "zh-CN", 2, "judicial_application", "司法确认申请书",
                 JudicialApplicationInputsV2),
    TemplateSpec("judicial_application", "zh-CN", 3, "judicial_application", "司法确认申请书",
                 JudicialApplicationInputsV3),
    TemplateSpec("session_record", "zh-CN", 1, "session_record", "调解笔录", SessionRecordInputs),
    TemplateSpec("service_address", "zh-CN", 1, "service_address", "送达地址确认书", ServiceAddressInputs),
    TemplateSpec("signing_evidence_report", "zh-CN", 1, "evidence_report", "签署证据报告", EvidenceReportInputs),
)

REGISTRY: dict[tuple[str, str, int], TemplateSpec] = {(s.template_id, s.language, s.version): s for s in _SPECS}


def get_template(template_id: str, *, language: str, version: int | None = None) -> TemplateSpec:
    """The given version, or the latest one for that language; NotFound if there is none."""
    versions = [s for (tid, lang, _), s in REGISTRY.items() if tid == template_id and lang == language]
    if version is not None:
        versions = [s for s in versions if s.version == version]
    if not versions:
        wanted = f"{template_id} ({language}{', v' + str(version) if version else ''})"
        raise NotFound(f"no document template {wanted}", available=available())
    return max(versions, key=lambda s: s.version)


def available() -> list[dict]:
    return [{"template_id": s.template_id, "language": s.language, "version": s.version, "kind": s.kind,
             "title": s.title} for s in _SPECS]
