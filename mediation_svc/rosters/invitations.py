"""Experts on cases: the invitation, the expert's answer and their written opinion (专家意见), audited.

An invited expert sees the case (``cases.service.expert_visibility_clause`` reads ``expert_invitations``).
An expert with a current declared tie to the respondent is refused, as a mediator would be.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import record
from ..cases.models import Case
from ..cases.states import OPEN_STATES, CaseStatus
from ..db import id_of, one_or_404, utcnow
from ..errors import Conflict
from ..timeutil import today_in_shanghai
from . import policy
from .assignment import case_profile
from .errors import ExpertConflict
from .models import Expert, ExpertAffiliation, ExpertAvailability, ExpertInvitation, InvitationStatus

LIVE = (InvitationStatus.INVITED, InvitationStatus.ACCEPTED)


def expert_ties(session: Session, *, expert: Expert, case: Case) -> list[policy.Tie]:
    """The expert's declared affiliations that name the case's respondent (by institution id or credit code),
    as policy ties, current or not (``policy.tie_is_current`` decides)."""
    profile = case_profile(session, case)
    rows = session.exec(select(ExpertAffiliation).where(col(ExpertAffiliation.expert_id) == expert.id)).all()
    return [policy.Tie(a.institution_name, a.relation, a.started_on, a.ended_on) for a in rows
            if (a.institution_id is not None and a.institution_id == profile.respondent_institution_id)
            or (a.credit_code and a.credit_code == profile.respondent_credit_code)]


def invite_expert(session: Session, *, case: Case, expert: Expert, purpose: str, question: str,
                  actor: User, actor_ref: str) -> ExpertInvitation:
    """Invite the expert onto an open case, audited (``rosters.expert_invited``). 409 when the case is not
    open, the expert is inactive or unavailable, or has a live invitation on it already; ExpertConflict (409)
    for a tie with the respondent current today (Beijing date)."""
    if CaseStatus(case.status) not in OPEN_STATES:
        raise Conflict(f"experts cannot be invited to a case in state '{case.status}'")
    if not expert.active or expert.availability == ExpertAvailability.UNAVAILABLE:
        raise Conflict("this expert is not available for invitations",
                       availability=expert.availability, active=expert.active)
    today = today_in_shanghai()
    current = [t for t in expert_ties(session, expert=expert, case=case) if policy.tie_is_current(t, today)]
    if current:
        tie = current[0]
        raise ExpertConflict(f"专家{expert.name}与被申请人{tie.institution_name}存在利害关系（{tie.relation}）",
                             reasons=[{"code": "conflict_of_interest", "institution_name": tie.institution_name,
                                       "relation": tie.relation}])
    live = session.exec(select(ExpertInvitation.id).where(
        col(ExpertInvitation.case_id) == case.id, col(ExpertInvitation.expert_id) == expert.id,
        col(ExpertInvitation.status).in_([s.value for s in LIVE]))).first()
    if live is not None:
        raise Conflict("this expert already has an open invitation on the case", invitation_id=live)
    invitation = ExpertInvitation(case_id=id_of(case), expert_id=id_of(expert), expert_user_id=expert.user_id,
                                  purpose=purpose, question=question.strip(), invited_by_user_id=actor.id)
    session.add(invitation)
    session.flush()
    record(session, actor=actor_ref, action="rosters.expert_invited", subject=f"expert_invitation:{invitation.id}",
           case_id=case.id, payload={"expert_id": expert.id, "purpose": purpose, "question": invitation.question})
    return invitation


def get_own_invitation_for_update(session: Session, *, invitation_id: int, user: User) -> ExpertInvitation:
    """The invitation, if it is addressed to this expert; 404 otherwise."""
    return one_or_404(session, select(ExpertInvitation).where(col(ExpertInvitation.id) == invitation_id,
                                                              col(ExpertInvitation.expert_user_id) == user.id),
                      missing=f"invitation {invitation_id} not found", for_update=True)


def respond(session: Session, *, invitation: ExpertInvitation, accept: bool, note: str | None, actor_ref: str,
            now: datetime | None = None) -> ExpertInvitation:
    """Accept or decline a pending invitation, with a note, audited; 409 once it is answered."""
    if invitation.status != InvitationStatus.INVITED:
        raise Conflict(f"this invitation was already answered ({invitation.status})")
    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.responded_at, invitation.response_note = now or utcnow(), note
    session.add(invitation)
    session.flush()
    record(session, actor=actor_ref, action="rosters.expert_invitation_answered",
           subject=f"expert_invitation:{invitation.id}", case_id=invitation.case_id,
           payload={"status": invitation.status, "note": note})
    return invitation


def submit_opinion(session: Session, *, invitation: ExpertInvitation, opinion: str, actor_ref: str,
                   now: datetime | None = None) -> ExpertInvitation:
    """Store the written opinion (专家意见) on an accepted invitation, once (409 otherwise); the audit entry
    carries the opinion's SHA-256 and length, not its text."""
    if invitation.status != InvitationStatus.ACCEPTED:
        raise Conflict("an opinion can be submitted once, after accepting the invitation",
                       current_status=invitation.status)
    invitation.status = InvitationStatus.OPINION_SUBMITTED
    invitation.opinion, invitation.opinion_submitted_at = opinion.strip(), now or utcnow()
    session.add(invitation)
    session.flush()
    # The opinion text is evidence: its digest goes into the hash chain, so a later edit is detectable.
    record(session, actor=actor_ref, action="rosters.expert_opinion_submitted",
           subject=f"expert_invitation:{invitation.id}", case_id=invitation.case_id,
           payload={"sha256": hashlib.sha256(invitation.opinion.encode("utf-8")).hexdigest(),
                    "characters": len(invitation.opinion)})
    return invitation


def invitations_for_case(session: Session, case_id: int, *, expert_user_id: int | None = None) -> list[ExpertInvitation]:
    """The case's invitations in id order, only one expert's with ``expert_user_id``; no access check (the
    routes make it)."""
    query = select(ExpertInvitation).where(col(ExpertInvitation.case_id) == case_id)
    if expert_user_id is not None:
        query = query.where(col(ExpertInvitation.expert_user_id) == expert_user_id)
    return list(session.exec(query.order_by(col(ExpertInvitation.id))).all())
