"""A consumer's own application: a complaint, or a request for mediation, filed from a proved phone.

It produces the same record as an officer's intake (``complaints.service.file_contact``), marked as filed by the
consumer so that an officer checks it first, with the PIPL consent recorded as given (the version and SHA-256 of
the words shown). The consumer gets the number by SMS. Keyword-only; never commits.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, col, select

from ..audit.chain import record
from ..cases.models import CaseCategory, Institution
from ..cases.schemas import AmountCNY
from ..cases.schemas import Channel as IntakeChannel  # where a contact came from (web, wechat...)
from ..complaints.models import Contact
from ..complaints.schemas import ContactIn
from ..complaints.service import file_contact
from ..config import Settings
from ..db import id_of
from ..errors import InvalidInput, invalid_input_from
from ..notifications.models import Channel
from ..notifications.outbox import enqueue
from ..security import throttle
from ..security.pipl import mask_phone
from ..i18n.catalogue import translator
from . import policy
from .models import Consent
from .service import ProvedPhone

APPLY = "self.apply.phone"


class ConsentRequired(InvalidInput):
    slug, title = "consent-required", "Consent to the processing of personal information is required"


class ApplicationIn(BaseModel):
    """What the consumer fills in; the phone is the proved one, never typed here."""

    wants_mediation: bool = False
    channel: str = Field(default="web", pattern="^(web|wechat)$")
    consumer_name: str = Field(min_length=1, max_length=200)
    consumer_id_number: str = Field(min_length=15, max_length=40)
    contact_address: str | None = Field(default=None, max_length=300)
    institution_id: int = Field(ge=1, le=2**31 - 1)
    institution_branch: str | None = Field(default=None, max_length=200)
    category_code: str | None = Field(default=None, max_length=40)
    facts: str = Field(min_length=1, max_length=20000)
    request: str = Field(min_length=1, max_length=5000)
    amount: AmountCNY | None = None
    preferred_language: str | None = Field(default=None, max_length=40)
    needs_elderly_support: bool = False
    needs_interpreter: bool = False
    consent: bool = False
    consent_version: str = Field(default="", max_length=20)


def consent_text(settings: Settings, language: str) -> str:
    """The words of the consent, as the form shows them (locales/selfservice.toml ``self.consent.text``)."""
    center = settings.center_name if language == "zh-CN" else settings.center_name_en
    return translator(language)("self.consent.text", center=center)


def consent_sha256(settings: Settings, language: str) -> str:
    return hashlib.sha256(consent_text(settings, language).encode("utf-8")).hexdigest()


def choices(session: Session) -> tuple[list[Institution], list[CaseCategory]]:
    """The institutions and the active categories a consumer may pick from."""
    institutions = list(session.exec(select(Institution).order_by(col(Institution.kind), col(Institution.name))).all())
    categories = list(session.exec(select(CaseCategory).where(col(CaseCategory.active).is_(True))
                                   .order_by(col(CaseCategory.code))).all())
    return institutions, categories


def apply(session: Session, settings: Settings, *, proved: ProvedPhone, data: ApplicationIn, client: str,
          language: str) -> Contact:
    """File the application; the consumer's consent is the condition, recorded with it."""
    if not data.consent or data.consent_version != policy.CONSENT_VERSION:
        raise ConsentRequired("请阅读并同意个人信息处理说明后再提交 (read and accept the personal information notice)",
                              errors=[{"loc": ["body", "consent"], "msg": "required", "type": "consent"}])
    throttle.ensure_allowed(session, bucket=APPLY, key=proved.phone, limit=policy.APPLICATIONS_PER_PHONE,
                            window=policy.APPLICATION_WINDOW,
                            message="这个手机号今天提交的申请已达上限，如需补充请拨打调解中心热线。 (too many applications today)")
    try:
        contact_in = ContactIn(kind="complaint", channel=IntakeChannel(data.channel), consumer_name=data.consumer_name,
                               consumer_phone=proved.phone, consumer_id_number=data.consumer_id_number,
                               contact_address=data.contact_address, institution_id=data.institution_id,
                               institution_branch=data.institution_branch, category_code=data.category_code,
                               facts=data.facts, request=data.request, amount=data.amount,
                               wants_mediation=data.wants_mediation, preferred_language=data.preferred_language,
                               needs_elderly_support=data.needs_elderly_support,
                               needs_interpreter=data.needs_interpreter)
    except ValidationError as exc:
        raise invalid_input_from(exc) from exc
    masked = mask_phone(proved.phone) or ""
    contact = file_contact(session, settings, data=contact_in, actor=f"consumer:{masked}", user_id=None,
                           by_consumer=True)
    consent = Consent(phone_proof_id=proved.proof_id, purpose="mediation" if data.wants_mediation else "complaint",
                      text_version=policy.CONSENT_VERSION, text_sha256=consent_sha256(settings, language), language=language,
                      client=client[:64], contact_id=id_of(contact))
    session.add(consent)
    session.flush()
    record(session, actor=f"consumer:{masked}", action="consumer.consented", subject=f"complaint:{id_of(contact)}",
           payload={"version": consent.text_version, "sha256": consent.text_sha256, "language": language,
                    "purpose": consent.purpose})
    throttle.remember(session, bucket=APPLY, key=proved.phone)
    what = "调解申请" if data.wants_mediation else "投诉"
    enqueue(session, kind="selfservice.applied", channel=Channel.SMS, recipient=proved.phone,
            recipient_name=data.consumer_name, ref=f"complaint:{id_of(contact)}",
            body=f"【{settings.center_name}】您的{what}已提交，编号 {contact.number}。工作人员审核后会短信告知您结果；"
                 f"查询进度请打开 {settings.public_base_url.rstrip('/')}/my")
    return contact
