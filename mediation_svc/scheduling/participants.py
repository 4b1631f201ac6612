"""Who attends a session: the case's mediator (always), its parties, and the users or named people asked for,
resolved into ``Planned`` participants whose ``resource`` keys are what bookings are made on; and who a booked
session's participants are (``participants_of``), for the service, its notices and its documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..cases.models import Case, CaseParty
from ..cases.service import parties_of
from ..db import id_of
from ..errors import InvalidInput
from ..security.roles import Role
from .availability import party_key, user_key
from .models import ParticipantRole, SessionParticipant
from .schemas import ParticipantIn


@dataclass
class Planned:
    role: ParticipantRole
    name: str
    user_id: int | None = None
    party_id: int | None = None
    email: str | None = None
    phone: str | None = None
    language: str = "zh-CN"  # of the notices they receive

    @property
    def resource(self) -> str | None:
        if self.user_id is not None:
            return user_key(self.user_id)
        if self.party_id is not None:
            return party_key(self.party_id)
        return None  # a named person without an account cannot be checked against other sessions


ENGLISH = frozenset({"english", "英语", "英文", "en"})


def _party_planned(party: CaseParty, user: User | None, case: Case) -> Planned:
    """A party of the case; their notices are in English when the case was taken in English."""
    role = ParticipantRole.APPLICANT if party.role == "applicant" else ParticipantRole.RESPONDENT
    language = "en" if (case.preferred_language or "").strip().lower() in ENGLISH else "zh-CN"
    return Planned(role=role, name=party.name, user_id=party.user_id, party_id=party.id,
                   email=user.email if user else None, phone=(user.phone if user and user.phone else party.phone),
                   language=language)


def _mediator_of(session: Session, case: Case) -> User:
    if case.mediator_user_id is None:
        raise InvalidInput("案件尚未指派调解员，不能安排调解会议 (the case has no mediator yet)")
    mediator = session.get(User, case.mediator_user_id)
    if mediator is None:
        raise RuntimeError(f"case {case.id} refers to mediator user {case.mediator_user_id}, which does not exist")
    return mediator


def plan_participants(session: Session, *, case: Case, wanted: Sequence[ParticipantIn] | None) -> list[Planned]:
    """Resolve who attends; the case's mediator is always among them."""
    mediator = _mediator_of(session, case)
    planned = [Planned(ParticipantRole.MEDIATOR, mediator.display_name, user_id=mediator.id,
                       email=mediator.email, phone=mediator.phone)]
    parties = {p.id: p for p in parties_of(session, id_of(case))}
    if wanted is None:
        for party in parties.values():
            planned.append(_party_planned(party, session.get(User, party.user_id) if party.user_id else None, case))
        return planned
    errors = []
    for index, item in enumerate(wanted):
        if item.user_id == mediator.id:
            continue
        if item.party_id is not None:
            chosen = parties.get(item.party_id)
            if chosen is None:
                errors.append({"loc": ["participants", index, "party_id"], "msg": "not a party of this case"})
                continue
            p = _party_planned(chosen, session.get(User, chosen.user_id) if chosen.user_id else None, case)
            p.email, p.phone = item.email or p.email, item.phone or p.phone
            p.language = item.language or p.language
            planned.append(p)
        elif item.user_id is not None:
            user = session.get(User, item.user_id)
            if user is None or not user.active:
                errors.append({"loc": ["participants", index, "user_id"], "msg": "no such active user"})
                continue
            if item.role == ParticipantRole.MEDIATOR and user.role != Role.MEDIATOR:
                errors.append({"loc": ["participants", index, "role"], "msg": "this user is not a mediator"})
                continue
            planned.append(Planned(item.role, item.name or user.display_name, user_id=user.id,
                                   email=item.email or user.email, phone=item.phone or user.phone,
                                   language=item.language or "zh-CN"))
        elif item.name and item.name.strip():
            planned.append(Planned(item.role, item.name.strip(), email=item.email, phone=item.phone,
                                   language=item.language or "zh-CN"))
        else:  # ParticipantIn already refuses this; kept so that a nameless person is never planned
            errors.append({"loc": ["participants", index, "name"], "msg": "give user_id, party_id or name"})
    if errors:
        raise InvalidInput("some participants are not valid", errors=errors)
    seen: set[str] = set()
    unique = []
    for p in planned:
        key = p.resource or f"name:{p.role}:{p.name}"
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def participants_of(session: Session, session_id: int) -> list[SessionParticipant]:
    """The session's participants in id order."""
    return list(session.exec(select(SessionParticipant).where(col(SessionParticipant.session_id) == session_id)
                             .order_by(col(SessionParticipant.id))).all())
