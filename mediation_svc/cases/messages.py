"""The thread between a consumer and the center on a case: who may write, the message, and who is told.

- A consumer writes from a proved phone that is one of the case's parties' (``selfservice``); the center
  answers by an officer (or admin) or the case's own mediator. Nobody else reads or writes the thread.
- Each message is kept as written and recorded in the case's audit chain with its SHA-256.
- A consumer's message is texted to the case's mediator (when one is assigned and has a phone); the center's
  reply is texted to the phone the consumer last wrote from (else the applicant's phone on record).
Keyword-only; never commits.
"""

from __future__ import annotations

import hashlib

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..config import Settings
from ..db import id_of
from ..errors import Forbidden, InvalidInput
from ..notifications.models import Channel
from ..notifications.outbox import enqueue
from ..security.roles import Role
from .models import Case, CaseMessage, CaseParty

MAX_LENGTH = 2000


def may_talk(*, role: Role | str, is_case_mediator: bool) -> bool:
    """Who writes for the center: officers and admins, and the case's own mediator."""
    return role in (Role.ADMIN, Role.CASE_OFFICER) or (role == Role.MEDIATOR and is_case_mediator)


def _body(text: str) -> str:
    body = (text or "").strip()
    if not body:
        raise InvalidInput("请输入留言内容 (write the message)", errors=[{"loc": ["body", "text"], "msg": "empty",
                                                                       "type": "missing"}])
    if len(body) > MAX_LENGTH:
        raise InvalidInput(f"留言不能超过 {MAX_LENGTH} 字 (at most {MAX_LENGTH} characters)",
                           errors=[{"loc": ["body", "text"], "msg": "too long", "type": "string_too_long"}])
    return body


def thread(session: Session, *, case: Case) -> list[CaseMessage]:
    return list(session.exec(select(CaseMessage).where(col(CaseMessage.case_id) == case.id)
                             .order_by(col(CaseMessage.id))).all())


def _store(session: Session, *, case: Case, side: str, author: str, text: str, user_id: int | None = None,
           phone: str | None = None) -> CaseMessage:
    message = CaseMessage(case_id=id_of(case), side=side, author=author, user_id=user_id, phone=phone,
                          body=_body(text))
    session.add(message)
    session.flush()
    record(session, actor=author, action="case.message", subject=f"case:{case.id}", case_id=case.id,
           payload={"message_id": message.id, "side": side, "length": len(message.body),
                    "sha256": hashlib.sha256(message.body.encode("utf-8")).hexdigest()})
    return message


def from_consumer(session: Session, settings: Settings, *, case: Case, phone: str, author: str,
                  text: str) -> CaseMessage:
    """A consumer's message (their phone already proved to be a party's on this case)."""
    message = _store(session, case=case, side="consumer", author=author, text=text, phone=phone)
    mediator = session.get(User, case.mediator_user_id) if case.mediator_user_id else None
    if mediator is not None and mediator.phone:
        enqueue(session, kind="case.message_received", channel=Channel.SMS, recipient=mediator.phone,
                recipient_name=mediator.display_name, recipient_user_id=mediator.id, case_id=case.id,
                body=f"【{settings.center_name}】案件{case.number}的当事人有新留言，请登录平台查看并答复。")
    return message


def from_center(session: Session, settings: Settings, *, case: Case, user: User, text: str) -> CaseMessage:
    """An officer's or the case's mediator's reply; the consumer is texted that there is one."""
    if not may_talk(role=user.role, is_case_mediator=case.mediator_user_id == user.id):
        raise Forbidden("只有案件专员或本案调解员可以答复当事人留言 (only officers or the case's mediator reply)")
    message = _store(session, case=case, side="center", author=actor_of(user), text=text, user_id=user.id)
    phone = _consumer_phone(session, case)
    if phone:
        enqueue(session, kind="case.message_reply", channel=Channel.SMS, recipient=phone, case_id=case.id,
                body=f"【{settings.center_name}】调解中心答复了您在案件{case.number}的留言，请打开 "
                     f"{settings.public_base_url.rstrip('/')}/my 查看。")
    return message


def _consumer_phone(session: Session, case: Case) -> str | None:
    last = session.exec(select(CaseMessage.phone).where(col(CaseMessage.case_id) == case.id,
                                                        col(CaseMessage.side) == "consumer",
                                                        col(CaseMessage.phone).is_not(None))
                        .order_by(col(CaseMessage.id).desc())).first()
    if last:
        return last
    return session.exec(select(CaseParty.phone).where(col(CaseParty.case_id) == case.id,
                                                      col(CaseParty.role) == "applicant")).first()
