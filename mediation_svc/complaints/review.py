"""An officer's check of a consumer's own application (filed from /my): accept, ask for more, or reject.

- accept: a complaint is forwarded to its institution (``service.forward``, its clock starts); an application
  for mediation is offered mediation and becomes a case at once (``service.convert_to_case``), the consent
  being the one the consumer gave online (``selfservice.models.Consent``, named in the case's record).
- ask for more: the application waits for the consumer (``needs_info``) with the question they read on /my and
  receive by SMS; their answer is added to the facts, dated, and the application is back with the officers.
- reject: closed with the reason, which the consumer reads on /my and receives by SMS.
Keyword-only; never commits; each step audited (``service._move`` records the status change).
"""

from __future__ import annotations

from sqlmodel import Session

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..cases.models import Case
from ..config import Settings
from ..db import utcnow
from ..errors import Conflict
from ..notifications.models import Channel
from ..notifications.outbox import enqueue
from ..security.pipl import mask_phone
from ..timeutil import format_shanghai
from ..evidence import service as evidence
from . import attachments
from .models import Contact
from .policy import Status
from .schemas import ConvertIn
from .service import _move, convert_to_case, forward

SUPPLEMENT_MAX = 5000


class NotAConsumerFiling(Conflict):
    slug, title = "not-a-consumer-filing", "Only a consumer's own application is checked this way"


def _check(contact: Contact, *, wanted: Status) -> None:
    if not contact.filed_by_consumer:
        raise NotAConsumerFiling("这不是消费者在线提交的申请 (this complaint was not filed by the consumer online)")
    if Status(contact.status) != wanted:
        raise Conflict(f"当前状态不能办理此操作 (the application is '{contact.status}', not '{wanted.value}')",
                       current=contact.status)


def _tell(session: Session, settings: Settings, contact: Contact, body: str) -> None:
    if contact.consumer_phone:
        enqueue(session, kind="selfservice.reviewed", channel=Channel.SMS, recipient=contact.consumer_phone,
                recipient_name=contact.consumer_name, ref=f"complaint:{contact.id}",
                body=f"【{settings.center_name}】{body}查询请打开 {settings.public_base_url.rstrip('/')}/my")


def accept(session: Session, settings: Settings, *, contact: Contact, actor: User,
           category_code: str | None = None) -> Case | None:
    """Take the application on: forwarded (a complaint) or a mediation case (returned)."""
    _check(contact, wanted=Status.RECEIVED)
    if not contact.wants_mediation:
        forward(session, settings, contact=contact, actor=actor)
        _tell(session, settings, contact, f"您的投诉{contact.number}已审核通过，已转交被投诉机构处理，"
                                          f"机构须于{contact.deadline_on}前答复。")
        return None
    _move(session, contact, Status.MEDIATION_OFFERED, actor=actor_of(actor), reason="消费者在线申请调解")
    case = convert_to_case(session, settings, contact=contact, actor=actor,
                           data=ConvertIn(consent="消费者在线申请调解，并同意个人信息处理说明（网上申请时记录）",
                                         category_code=category_code))
    for attachment in attachments.list_for(session, contact):
        if attachment.side == "consumer":  # what the consumer sent with the application becomes the case's evidence
            evidence.carry_over(session, case=case, uploaded_by=f"consumer:{mask_phone(contact.consumer_phone)}",
                                filename=attachment.filename,
                                media_type=attachment.media_type, data=attachment.data,
                                source=f"complaint-attachment:{attachment.id}")
    _tell(session, settings, contact, f"您的调解申请{contact.number}已受理，案号{case.number}。调解中心会为您安排调解员。")
    return case


def ask_for_more(session: Session, settings: Settings, *, contact: Contact, actor: User, question: str) -> Contact:
    """Send the application back to the consumer with what is missing."""
    _check(contact, wanted=Status.RECEIVED)
    _move(session, contact, Status.NEEDS_INFO, actor=actor_of(actor), reason=question)
    _tell(session, settings, contact, f"您的申请{contact.number}还需要补充：{question}")
    return contact


def reject(session: Session, settings: Settings, *, contact: Contact, actor: User, reason: str) -> Contact:
    """Decline the application, with the reason the consumer reads."""
    if not contact.filed_by_consumer:
        raise NotAConsumerFiling("这不是消费者在线提交的申请 (this complaint was not filed by the consumer online)")
    _move(session, contact, Status.CLOSED, actor=actor_of(actor), reason=reason)
    _tell(session, settings, contact, f"您的申请{contact.number}未被受理，原因：{reason}")
    return contact


def supplement(session: Session, *, contact: Contact, actor: str, text: str) -> Contact:
    """The consumer's answer to the question: added to the facts, dated; the application is back with officers."""
    _check(contact, wanted=Status.NEEDS_INFO)
    question = contact.status_reason or ""
    addition = f"\n\n【补充材料 {format_shanghai(utcnow())}】\n（问：{question}）\n{text.strip()[:SUPPLEMENT_MAX]}"
    contact.facts = ((contact.facts or "") + addition)[:20000]
    _move(session, contact, Status.RECEIVED, actor=actor, reason=None)
    record(session, actor=actor, action="complaint.supplemented", subject=f"complaint:{contact.id}",
           payload={"length": len(text)})
    return contact
