"""Complaints: recording contacts, forwarding (转办), the institution's answer, the consumer's say, mediation.

Keyword-only services that flush and never commit; every state change is audited in the caller's transaction
(subject ``complaint:<id>``). Who sees a complaint is one rule, ``visibility_clause``, used by the API and
the pages alike: staff see all; an institution account sees complaints forwarded to its institution (and
branch, where its account names one); nobody else sees any.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..cases.models import Case, CaseCategory, Institution
from ..cases.service import next_case_number, workday_calendar
from ..config import Settings
from ..db import id_of, locked, one_or_404, utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition
from ..notifications.models import Channel
from ..notifications.outbox import enqueue
from ..security.pipl import mask_phone
from ..security.roles import STAFF, Role
from ..timeutil import SHANGHAI, format_shanghai, today_in_shanghai
from ..workdays import WorkdayCalendar
from . import policy
from .models import Contact, ConsumerLink, Extension, InstitutionAccount, Message
from .policy import OPEN, Outcome, Status
from .schemas import ContactIn, ContactRead, ConvertIn, ExtensionIn, ReplyIn

OUTCOME_ZH = {Outcome.SETTLED: "已和解", Outcome.REJECTED: "不予支持", Outcome.MEDIATION_REQUESTED: "建议调解"}


actor_ref = actor_of  # the audit log's name for a person (audit.chain.actor_of)


def limits_of(settings: Settings) -> policy.Limits:
    """The complaint time limits from the settings (answer, complex, approved extra; in days)."""
    return policy.Limits(settings.complaint_answer_days, settings.complaint_complex_days,
                         settings.complaint_approved_extra_days)


def close_of_day(settings: Settings) -> time:
    """``complaint_close_of_day`` (``HH:MM``, Beijing time) as a ``time``: when an urgent complaint is due."""
    hours, minutes = settings.complaint_close_of_day.split(":")
    return time(int(hours), int(minutes))


# --- who sees what ----------------------------------------------------------------------------------------------

def account_of(session: Session, user: User) -> InstitutionAccount | None:
    """The user's institution account; None for anyone who is not an institution user."""
    return session.get(InstitutionAccount, user.id) if user.role == Role.INSTITUTION else None


def visibility_clause(session: Session, user: User) -> sa.ColumnElement[bool]:
    """The contacts ``user`` sees, as a WHERE clause: staff every one; an institution account
    its institution's complaints from forwarding on (``policy.INSTITUTION_VISIBLE``), only its branch's where
    it names one; anyone else none."""
    if user.role in STAFF:
        return sa.true()
    account = account_of(session, user)
    if account is None:
        return sa.false()
    clause = sa.and_(col(Contact.kind) == "complaint", col(Contact.institution_id) == account.institution_id,
                     col(Contact.status).in_([s.value for s in policy.INSTITUTION_VISIBLE]))
    if account.branch:
        clause = sa.and_(clause, col(Contact.institution_branch) == account.branch)
    return clause


def get_visible_or_404(session: Session, *, user: User, contact_id: int, for_update: bool = False) -> Contact:
    """The contact if ``user`` sees it (``visibility_clause``), locked with ``for_update``;
    otherwise NotFound, the same as for one that does not exist."""
    query = select(Contact).where(col(Contact.id) == contact_id, visibility_clause(session, user))
    return one_or_404(session, query, missing=f"投诉不存在或无权查看 (complaint {contact_id} not found)",
                      for_update=for_update)


def side_of(user: User) -> str:
    """The side a message or attachment is from: ``institution`` for an institution user, else ``center``."""
    return "institution" if user.role == Role.INSTITUTION else "center"


# --- recording ---------------------------------------------------------------------------------------------------

def record_contact(session: Session, settings: Settings, *, data: ContactIn, actor: User,
                   calendar: WorkdayCalendar | None = None) -> Contact:
    """Record a contact: a consultation is answered and done; a complaint waits to be forwarded."""
    return file_contact(session, settings, data=data, actor=actor_ref(actor), user_id=actor.id, calendar=calendar)


def file_contact(session: Session, settings: Settings, *, data: ContactIn, actor: str, user_id: int | None,
                 by_consumer: bool = False, calendar: WorkdayCalendar | None = None) -> Contact:
    """The one way a contact is recorded, by an officer (``record_contact``) or by the consumer themself
    (``selfservice``: ``by_consumer``, marked for an officer's check); ``actor`` is the audit log's name."""
    calendar = calendar or workday_calendar(session)
    received_at = data.received_at or utcnow()
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=SHANGHAI)
    if data.kind == "complaint":
        if session.get(Institution, data.institution_id) is None:
            raise InvalidInput("被投诉机构不存在 (no such institution)", errors=[{"loc": ["institution_id"], "msg": "not found"}])
        if data.category_code and session.get(CaseCategory, data.category_code) is None:
            raise InvalidInput("纠纷类别不存在 (unknown category)", errors=[{"loc": ["category_code"], "msg": "not found"}])
    local_year = received_at.astimezone(SHANGHAI).year
    contact = Contact(
        number=next_case_number(session, prefix=settings.complaint_number_prefix, year=local_year),
        **data.model_dump(exclude={"received_at", "urgent"}), urgent=data.kind == "complaint" and data.urgent,
        received_at=received_at, created_by_user_id=user_id, filed_by_consumer=by_consumer,
        status=(Status.CONSULTED if data.kind == "consultation" else Status.RECEIVED).value)
    if data.kind == "consultation":
        contact.closed_at = received_at
    if contact.urgent:
        contact.urgent_due_at = policy.urgent_due(calendar, received_at, close_of_day(settings))
    session.add(contact)
    session.flush()
    from . import risk  # noqa: PLC0415

    risk.flag(session, contact=contact)
    record(session, actor=actor, action=f"contact.{data.kind}_recorded", subject=f"complaint:{contact.id}",
           payload={"number": contact.number, "channel": contact.channel, "institution_id": contact.institution_id,
                    "urgent": contact.urgent, "amount": contact.amount, "risk_flags": contact.risk_flags,
                    "by_consumer": by_consumer})
    return contact


def _move(session: Session, contact: Contact, target: Status, *, actor: str, reason: str | None = None,
          payload: dict | None = None) -> None:
    current = Status(contact.status)
    if not policy.can_move(current, target):
        raise InvalidTransition(f"投诉当前状态不能进行此操作 (a complaint cannot go from '{current.value}' to '{target.value}')",
                                current=current.value, allowed=policy.allowed(current))
    contact.status = target.value
    contact.status_reason = reason
    contact.updated_at = utcnow()
    if target not in OPEN:
        contact.closed_at = contact.updated_at
    session.add(contact)
    session.flush()
    record(session, actor=actor, action="complaint.status_changed", subject=f"complaint:{contact.id}",
           case_id=contact.case_id, payload={"from": current.value, "to": target.value, "reason": reason,
                                             **(payload or {})})


def institution_accounts(session: Session, contact: Contact) -> list[User]:
    """The active users of the complaint's institution who are texted about it: accounts without a
    branch, and those of the complaint's branch."""
    query = (select(User).join(InstitutionAccount, col(InstitutionAccount.user_id) == col(User.id))
             .where(col(InstitutionAccount.institution_id) == contact.institution_id, col(User.active).is_(True),
                    sa.or_(col(InstitutionAccount.branch).is_(None),
                           col(InstitutionAccount.branch) == contact.institution_branch)))
    return list(session.exec(query).all())


def _institution_of(session: Session, contact: Contact) -> Institution:
    """A complaint's institution: every complaint names one (``record_contact`` checks that it exists)."""
    institution = None if contact.institution_id is None else session.get(Institution, contact.institution_id)
    if institution is None:
        raise RuntimeError(f"complaint {contact.id} has no institution (institution_id={contact.institution_id})")
    return institution


def _time_limit(contact: Contact) -> tuple[date, int, date]:
    """A forwarded complaint's forwarding day, time limit (days) and deadline, all set by ``forward``."""
    if contact.forwarded_on is None or contact.limit_days is None or contact.deadline_on is None:
        raise RuntimeError(f"complaint {contact.id} is {contact.status} but has no time limit")
    return contact.forwarded_on, contact.limit_days, contact.deadline_on


def forward(session: Session, settings: Settings, *, contact: Contact, actor: User, note: str | None = None,
            calendar: WorkdayCalendar | None = None, now: datetime | None = None, notify: bool = True) -> Contact:
    """转办: hand the complaint to its institution today; its time limit starts running."""
    calendar = calendar or workday_calendar(session)
    if contact.kind != "complaint":
        raise Conflict("咨询无需转办 (only complaints are forwarded)")
    contact.forwarded_at = now or utcnow()
    contact.forwarded_on = today_in_shanghai(contact.forwarded_at)
    contact.limit_days = settings.complaint_answer_days
    deadline_on = contact.deadline_on = policy.deadline(calendar, contact.forwarded_on, contact.limit_days)
    _move(session, contact, Status.FORWARDED, actor=actor_ref(actor), reason=note,
          payload={"deadline_on": contact.deadline_on, "limit_days": contact.limit_days})
    for staff in institution_accounts(session, contact) if notify else ():
        if staff.phone:
            institution = _institution_of(session, contact)
            enqueue(session, kind="complaint_forwarded", channel=Channel.SMS, recipient=staff.phone,
                    recipient_name=staff.display_name, recipient_user_id=staff.id, ref=f"complaint:{contact.id}",
                    body=f"【{settings.center_name}】转办投诉{contact.number}（{institution.name}"
                         f"{contact.institution_branch or ''}），请于{deadline_on.isoformat()}前处理并在平台反馈。")
    return contact


def extend(session: Session, settings: Settings, *, contact: Contact, data: ExtensionIn, actor: User,
           calendar: WorkdayCalendar | None = None) -> Extension:
    """A longer limit (complex: 30 days; with approval, up to 30 more), with its reason recorded."""
    calendar = calendar or workday_calendar(session)
    if Status(contact.status) != Status.FORWARDED:
        raise Conflict("只有机构处理中的投诉可以延期 (only a complaint with the institution can have its time limit extended)")
    if data.kind == "approved" and not data.approved_by:
        raise InvalidInput("请填写批准人 (name who approved the extension)", errors=[{"loc": ["approved_by"], "msg": "required"}])
    forwarded_on, limit_days, before = _time_limit(contact)
    try:
        new_limit = policy.limit_after(limits_of(settings), current_days=limit_days, kind=data.kind,
                                       days=data.days)
    except ValueError as exc:
        raise InvalidInput(str(exc), errors=[{"loc": ["kind"], "msg": str(exc)}]) from exc
    contact.limit_days = new_limit
    after = contact.deadline_on = policy.deadline(calendar, forwarded_on, new_limit)
    extension = Extension(contact_id=id_of(contact), kind=data.kind, days=new_limit, reason=data.reason,
                          approved_by=data.approved_by, deadline_before=before, deadline_after=after,
                          user_id=id_of(actor))
    session.add_all([contact, extension])
    session.flush()
    record(session, actor=actor_ref(actor), action="complaint.extended", subject=f"complaint:{contact.id}",
           payload={"kind": data.kind, "limit_days": new_limit, "reason": data.reason, "approved_by": data.approved_by,
                    "from": before, "to": contact.deadline_on})
    return extension


def _new_link(session: Session, settings: Settings, contact: Contact) -> str:
    token = secrets.token_urlsafe(32)
    session.add(ConsumerLink(token_hash=hashlib.sha256(token.encode()).hexdigest(), contact_id=id_of(contact),
                             expires_at=utcnow() + timedelta(days=settings.complaint_link_days)))
    return f"{settings.public_base_url.rstrip('/')}/c/{token}"


def reply(session: Session, settings: Settings, *, contact: Contact, data: ReplyIn, actor: User,
          now: datetime | None = None, notify: bool = True) -> Contact:
    """The institution's answer (办结反馈); the consumer gets an SMS with the outcome and a link to say yes or no."""
    contact.answered_at = now or utcnow()
    contact.first_response_at = contact.first_response_at or contact.answered_at
    contact.outcome = data.outcome.value
    contact.settled_amount = data.settled_amount if data.outcome == Outcome.SETTLED else None
    contact.outcome_text = data.text
    _move(session, contact, Status.ANSWERED, actor=actor_ref(actor),
          payload={"outcome": data.outcome.value, "settled_amount": contact.settled_amount,
                   "late": contact.deadline_on is not None and today_in_shanghai(contact.answered_at) > contact.deadline_on})
    if contact.consumer_phone and notify:
        institution = _institution_of(session, contact)
        amount = f"，金额¥{contact.settled_amount:,.2f}" if contact.settled_amount else ""
        enqueue(session, kind="complaint_answered", channel=Channel.SMS, recipient=contact.consumer_phone,
                recipient_name=contact.consumer_name, ref=f"complaint:{contact.id}", confidential=True,
                body=f"【{settings.center_name}】{contact.consumer_name}您好，{institution.name}已答复您的投诉"
                     f"（{contact.number}）：{OUTCOME_ZH[data.outcome]}{amount}。是否接受？请打开 "
                     f"{_new_link(session, settings, contact)} 回复。咨询电话{settings.center_phone or ''}。")
    return contact


def link_or_404(session: Session, *, token: str, for_update: bool = False) -> tuple[ConsumerLink, Contact]:
    """The consumer's SMS link (found by the SHA-256 of ``token``) and its complaint; NotFound for an
    unknown token. Expiry and use are not checked here (``consumer_answer`` does)."""
    query = select(ConsumerLink).where(col(ConsumerLink.token_hash) == hashlib.sha256(token.encode()).hexdigest())
    link = one_or_404(session, query, missing="链接无效 (this link is not valid)", for_update=for_update)
    # ``for_update``: the complaint too, after its link (nothing locks them the other way round), and read as it
    # is once locked: an officer offering mediation or withdrawing it at the same moment is not undone.
    query_contact = select(Contact).where(col(Contact.id) == link.contact_id)
    contact = session.exec(locked(query_contact) if for_update else query_contact).first()
    if contact is None:  # the foreign key keeps a link's complaint
        raise RuntimeError(f"consumer link for complaint {link.contact_id}, which does not exist")
    return link, contact


class LinkExpired(Conflict):
    status, slug, title = 410, "link-expired", "This link has expired or was already used"


def consumer_answer(session: Session, *, token: str, accept: bool, comment: str | None) -> Contact:
    """The consumer accepts the institution's answer (closed as settled by it) or not (the officer steps in)."""
    link, contact = link_or_404(session, token=token, for_update=True)
    if link.used_at is not None or link.expires_at <= utcnow() or Status(contact.status) != Status.ANSWERED:
        raise LinkExpired("此链接已失效 (this link has expired or was already used)")
    link.used_at = utcnow()
    session.add(link)
    return record_consumer_answer(session, contact=contact, accept=accept, comment=comment, actor="consumer-link")


def record_consumer_answer(session: Session, *, contact: Contact, accept: bool, comment: str | None,
                           actor: str) -> Contact:
    """The consumer's yes or no to the institution's answer (by the SMS link, or told to an officer)."""
    contact.consumer_accepted = accept
    contact.consumer_comment = comment
    _move(session, contact, Status.ACCEPTED if accept else Status.NOT_ACCEPTED, actor=actor,
          reason=comment, payload={"accepted": accept})
    return contact


def offer_mediation(session: Session, *, contact: Contact, actor: User, note: str | None = None) -> Contact:
    """Not accepted, answered with a request for mediation, or no answer by the deadline: offer mediation."""
    status = Status(contact.status)
    overdue = contact.deadline_on is not None and contact.deadline_on < today_in_shanghai()
    consumer_silent = status == Status.ANSWERED and (contact.outcome == Outcome.MEDIATION_REQUESTED or overdue)
    if not (status == Status.NOT_ACCEPTED or consumer_silent or (status == Status.FORWARDED and overdue)):
        raise InvalidTransition("消费者不接受答复、机构建议调解或机构逾期未答复时，才能引导调解 (mediation is offered when the "
                                "consumer did not accept the answer, or when no answer came by the deadline)", current=status.value, allowed=policy.allowed(status))
    _move(session, contact, Status.MEDIATION_OFFERED, actor=actor_ref(actor), reason=note,
          payload={"overdue": overdue})
    return contact


def history_text(session: Session, contact: Contact) -> str:
    """The complaint's handling in Chinese, one line a step (registered, forwarded with its limit,
    the answer, the consumer's refusal or no answer in time), in Beijing time: ``convert_to_case`` adds it to
    the case's facts."""
    lines = [f"投诉编号：{contact.number}（{format_shanghai(contact.received_at)} 经{policy.CHANNEL_ZH.get(contact.channel, contact.channel)}登记）"]
    if contact.forwarded_on:
        forwarded_on, limit_days, deadline_on = _time_limit(contact)
        institution = _institution_of(session, contact)
        lines.append(f"{forwarded_on.isoformat()} 转办{institution.name}{contact.institution_branch or ''}，"
                     f"处理期限{deadline_on.isoformat()}（{limit_days}日）")
    if contact.answered_at and contact.outcome:  # reply() sets both
        amount = f"，金额¥{contact.settled_amount:,.2f}" if contact.settled_amount else ""
        lines.append(f"{format_shanghai(contact.answered_at)} 机构答复：{OUTCOME_ZH[Outcome(contact.outcome)]}{amount}；"
                     f"{contact.outcome_text}")
    if contact.consumer_accepted is False:
        lines.append("消费者不接受机构答复" + (f"：{contact.consumer_comment}" if contact.consumer_comment else ""))
    elif contact.answered_at is None:
        lines.append("机构未在期限内答复")
    return "\n".join(lines)


def convert_to_case(session: Session, settings: Settings, *, contact: Contact, data: ConvertIn, actor: User) -> Case:
    """With the consumer's consent, the complaint becomes a mediation case carrying its history."""
    from ..cases.schemas import CaseIntake  # noqa: PLC0415
    from ..cases.service import intake_case  # noqa: PLC0415

    if Status(contact.status) != Status.MEDIATION_OFFERED:
        raise InvalidTransition("请先向消费者提出调解 (offer mediation first)", current=contact.status, allowed=policy.allowed(Status(contact.status)))
    id_number = data.consumer_id_number or contact.consumer_id_number
    category = data.category_code or contact.category_code
    missing = [n for n, v in (("consumer_id_number", id_number), ("category_code", category)) if not v]
    if missing:
        raise InvalidInput("转为调解案件还需要：" + "、".join(missing) + " (the case needs " + ", ".join(missing) + ")", errors=[{"loc": [m], "msg": "required"} for m in missing])
    try:
        # Validated from plain values, as the API validates an intake (the stored channel is a string).
        intake = CaseIntake.model_validate(dict(
            channel=contact.channel, category_code=category,
            applicant={"name": contact.consumer_name, "id_type": "resident_id", "id_number": id_number,
                       "phone": contact.consumer_phone, "address": contact.contact_address},
            respondent={"institution_id": contact.institution_id, "branch": contact.institution_branch},
            claim_amount=contact.amount, facts=f"{contact.facts}\n\n【投诉处理经过】\n{history_text(session, contact)}",
            requests=contact.request, received_on=today_in_shanghai()))
    except ValueError as exc:
        raise InvalidInput(str(exc).splitlines()[0], errors=[{"loc": ["consumer_id_number"], "msg": str(exc)[:200]}]) from exc
    case = intake_case(session, settings, data=intake, actor=actor)
    contact.case_id = case.id
    if data.consumer_id_number:
        contact.consumer_id_number = id_number
    _move(session, contact, Status.MEDIATION, actor=actor_ref(actor), reason=data.consent,
          payload={"case_id": case.id, "case_number": case.number, "consent": data.consent})
    record(session, actor=actor_ref(actor), action="case.from_complaint", subject=f"case:{case.id}", case_id=case.id,
           payload={"complaint_id": contact.id, "complaint_number": contact.number, "consent": data.consent})
    return case


def withdraw(session: Session, *, contact: Contact, actor: User, reason: str) -> Contact:
    """Record that the consumer withdrew the complaint (closed, audited with ``reason``); from any open
    status, InvalidTransition (409) once it is closed."""
    _move(session, contact, Status.WITHDRAWN, actor=actor_ref(actor), reason=reason)
    return contact


def close(session: Session, *, contact: Contact, actor: User, reason: str) -> Contact:
    """Close the complaint with ``reason`` (audited); InvalidTransition (409) unless it is received, waiting
    for information, not accepted or offered mediation."""
    _move(session, contact, Status.CLOSED, actor=actor_ref(actor), reason=reason)
    return contact


def add_message(session: Session, *, contact: Contact, actor: User, body: str) -> Message:
    """A message on the complaint's thread from ``actor``'s side (audited with its length, not its text);
    an institution user's first message is the first response, which stops the urgent clock."""
    message = Message(contact_id=id_of(contact), side=side_of(actor), user_id=id_of(actor), body=body)
    if actor.role == Role.INSTITUTION and contact.first_response_at is None:
        contact.first_response_at = utcnow()
        session.add(contact)
    session.add(message)
    session.flush()
    record(session, actor=actor_ref(actor), action="complaint.message", subject=f"complaint:{contact.id}",
           payload={"message_id": message.id, "side": message.side, "length": len(body)})
    return message


def messages(session: Session, contact: Contact) -> list[tuple[Message, User]]:
    """The complaint's thread, oldest first, each message with its author."""
    return list(session.exec(select(Message, User).join(User, col(User.id) == col(Message.user_id))
                             .where(col(Message.contact_id) == contact.id).order_by(col(Message.id))).all())


def extensions(session: Session, contact: Contact) -> list[Extension]:
    """The complaint's time-limit extensions, oldest first."""
    return list(session.exec(select(Extension).where(col(Extension.contact_id) == contact.id)
                             .order_by(col(Extension.id))).all())


# --- reading ---------------------------------------------------------------------------------------------------------

def to_read(contact: Contact, *, calendar: WorkdayCalendar, settings: Settings, institution_names: dict[int, str],
            now: datetime | None = None) -> ContactRead:
    """The contact as the API shows it: phone masked, the institution's name, minutes left on an unanswered
    urgent complaint, the deadline's state while with the institution (working days from Beijing today) and
    the moves its status allows."""
    now = now or utcnow()
    today = today_in_shanghai(now)
    waiting = Status(contact.status) in policy.WITH_INSTITUTION
    urgent_open = contact.urgent and contact.first_response_at is None and Status(contact.status) in OPEN
    return ContactRead(
        **contact.model_dump(include={"id", "number", "kind", "channel", "received_at", "consumer_name",
                                      "representative_name", "topic", "answer", "institution_id", "institution_branch",
                                      "category_code", "facts", "request", "amount", "urgent", "urgent_reason",
                                      "urgent_due_at", "forwarded_on", "limit_days", "deadline_on", "answered_at",
                                      "outcome", "settled_amount", "outcome_text", "consumer_accepted",
                                      "consumer_comment", "closed_at", "status_reason", "case_id",
                                      "filed_by_consumer", "wants_mediation", "preferred_language",
                                      "needs_elderly_support", "needs_interpreter"}),
        status=Status(contact.status), consumer_phone_masked=mask_phone(contact.consumer_phone),
        institution_name=None if contact.institution_id is None else institution_names.get(contact.institution_id),
        urgent_minutes_left=policy.minutes_left(contact.urgent_due_at, now) if urgent_open else None,
        deadline_state=policy.deadline_state(calendar, today=today, deadline_on=contact.deadline_on,
                                             soon_days=settings.complaint_soon_working_days) if waiting else "none",
        deadline_provisional=contact.deadline_on is not None and calendar.is_provisional(contact.deadline_on),
        deadline_warning=calendar.provisional_warning(contact.deadline_on),
        risk_flags=[f for f in (contact.risk_flags or "").split(",") if f],
        allowed=policy.allowed(Status(contact.status)))


def institution_names(session: Session) -> dict[int, str]:
    """Every institution's name by its id (for ``to_read``)."""
    rows = session.exec(select(col(Institution.id), col(Institution.name))).all()
    return {ident: name for ident, name in rows if ident is not None}  # a stored row always has its id


def refresh_deadlines(session: Session, *, calendar: WorkdayCalendar, years: set[int], actor: str, settings) -> int:
    """When a year's arrangement changes, recompute the deadlines of complaints still with the institution.

    Each complaint is locked (in id order) and read as it is once locked: an extension committed meanwhile
    is recomputed with its longer limit, not overwritten by a deadline computed from the shorter one."""
    moved = 0
    query = (select(Contact).where(col(Contact.status) == Status.FORWARDED.value,
                                   col(Contact.deadline_on) >= datetime(min(years), 1, 1).date(),
                                   col(Contact.forwarded_on) <= datetime(max(years), 12, 31).date())
             .order_by(col(Contact.id)))
    for contact in session.exec(locked(query)).all():
        forwarded_on, limit_days, _deadline = _time_limit(contact)
        new = policy.deadline(calendar, forwarded_on, limit_days)
        if new != contact.deadline_on:
            record(session, actor=actor, action="complaint.deadline_recomputed", subject=f"complaint:{contact.id}",
                   payload={"from": contact.deadline_on, "to": new, "reason": "calendar changed"})
            contact.deadline_on = new
            session.add(contact)
            moved += 1
    return moved
