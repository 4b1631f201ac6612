from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..config import Settings
from ..db import get_or_404, id_of, one_or_404, utcnow
from ..errors import Conflict, InvalidInput, NotFound
from ..security.roles import Role, is_staff
from ..timeutil import today_in_shanghai
from ..workcalendar.store import load_calendar
from ..workdays import WorkdayCalendar
from ..security.pipl import mask_id_number
from .models import Case, CaseCategory, CaseNumberCounter, CaseParty, CaseShare, Institution
from .schemas import CaseIntake, CaseRead, PartyRead
from .states import NEEDS_REASON, OPEN_STATES, CaseStatus, check_manual_transition, check_transition
from .deadlines import COURT_SHARE_MAX_DAYS, due_on, is_fast_track


def workday_calendar(session: Session) -> WorkdayCalendar:
    """The working-day calendar as the database holds it (``workcalendar``), with the centre's closures."""
    return load_calendar(session)


def format_case_number(prefix: str, year: int, sequence: int) -> str:
    """A number as printed, ``<prefix>〔<year>〕第<sequence>号`` with the sequence at least four
    digits; complaints are numbered the same way."""
    return f"{prefix}〔{year}〕第{sequence:04d}号"


def next_case_number(session: Session, *, prefix: str, year: int) -> str:
    """Take the next number for the year inside the caller's transaction (gap-free: a rollback returns it)."""
    session.execute(_insert_for(session)(CaseNumberCounter).values(prefix=prefix, year=year, last_value=0)
                    .on_conflict_do_nothing(index_elements=["prefix", "year"]))
    # The UPDATE holds the counter row's lock until commit: concurrent intakes queue, none skips a number.
    sequence = session.execute(
        update(CaseNumberCounter)
        .where(col(CaseNumberCounter.prefix) == prefix, col(CaseNumberCounter.year) == year)
        .values(last_value=col(CaseNumberCounter.last_value) + 1)
        .returning(col(CaseNumberCounter.last_value))
    ).scalar_one()
    return format_case_number(prefix, year, sequence)


def find_or_create_institution(session: Session, *, data, actor: str) -> Institution:
    """The respondent institution: the one ``data.institution_id`` names (InvalidInput, 422,
    when there is none), else the one with ``data.credit_code``, created and audited when new (an existing
    row is not updated from ``data``)."""
    if data.institution_id is not None:
        institution = session.get(Institution, data.institution_id)
        if institution is None:
            raise InvalidInput("respondent institution not found", errors=[
                {"loc": ["respondent", "institution_id"], "msg": "no such institution"}])
        return institution
    # INSERT ... ON CONFLICT: two intakes naming the same new institution at once both end up with one row.
    inserted_id = session.execute(
        _insert_for(session)(Institution)
        .values(name=data.name, kind=data.kind, credit_code=data.credit_code, address=data.address,
                legal_representative=data.legal_representative)
        .on_conflict_do_nothing(index_elements=["credit_code"])
        .returning(col(Institution.id))
    ).scalar_one_or_none()
    institution = session.exec(select(Institution).where(col(Institution.credit_code) == data.credit_code)).one()
    if inserted_id is not None:
        record(session, actor=actor, action="institution.created", subject=f"institution:{institution.id}",
               payload={"name": institution.name, "credit_code": institution.credit_code})
    return institution


def _insert_for(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def intake_case(session: Session, settings: Settings, *, data: CaseIntake, actor: User) -> Case:
    """Register a case (audited ``case.received``): an active category (else InvalidInput, 422), the
    respondent found or created, the due date in working days from receipt (Beijing today unless given; fast
    track by claim amount), the receipt year's next number, and the applicant and respondent as parties."""
    category = session.get(CaseCategory, data.category_code)
    if category is None or not category.active:
        raise InvalidInput("unknown case category", errors=[
            {"loc": ["category_code"], "msg": f"'{data.category_code}' is not an active category"}])
    actor_ref = actor_of(actor)
    institution = find_or_create_institution(session, data=data.respondent, actor=actor_ref)
    received_on = data.received_on or today_in_shanghai()
    fast_track = is_fast_track(data.claim_amount, settings)
    # Everything that does not need the number comes first: the counter's row lock, taken below, is held
    # until commit and every other intake waits for it (issue 16).
    due = due_on(workday_calendar(session), settings, received_on=received_on, fast_track=fast_track)
    case = Case(
        number=next_case_number(session, prefix=settings.case_number_prefix, year=received_on.year),
        channel=data.channel.value, category_code=category.code, institution_id=id_of(institution),
        institution_branch=data.respondent.branch, claim_amount=data.claim_amount, facts=data.facts,
        requests=data.requests, preferred_language=data.preferred_language, city=data.city,
        needs_elderly_support=data.needs_elderly_support, needs_interpreter=data.needs_interpreter,
        needs_note=data.needs_note, fast_track=fast_track, received_on=received_on,
        due_on=due,
        created_by_user_id=actor.id, officer_user_id=actor.id if actor.role == Role.CASE_OFFICER else None,
    )
    session.add(case)
    session.flush()
    applicant = data.applicant
    case_id = id_of(case)
    session.add(CaseParty(case_id=case_id, role="applicant", kind="person", name=applicant.name,
                          id_type=applicant.id_type, id_number=applicant.id_number, phone=applicant.phone,
                          address=applicant.address))
    session.add(CaseParty(case_id=case_id, role="respondent", kind="institution", name=institution.name,
                          credit_code=institution.credit_code, address=institution.address,
                          representative_name=institution.legal_representative, institution_id=institution.id))
    session.flush()
    record(session, actor=actor_ref, action="case.received", subject=f"case:{case.id}", case_id=case.id,
           payload={"number": case.number, "channel": case.channel, "category": case.category_code,
                    "claim_amount": case.claim_amount, "fast_track": fast_track, "due_on": case.due_on})
    return case


def transition(session: Session, *, case: Case, target: CaseStatus, actor: str,
               reason: str | None = None, payload: dict | None = None, manual: bool = False) -> Case:
    """Move the case; ``manual=True`` for a move an officer makes by hand (``states.MANUAL_TRANSITIONS``)."""
    current = CaseStatus(case.status)
    (check_manual_transition if manual else check_transition)(current, target)
    if target in NEEDS_REASON and not (reason and reason.strip()):
        raise InvalidInput(f"moving to '{target.value}' needs a reason",
                           errors=[{"loc": ["reason"], "msg": "required for this status"}])
    case.status = target
    case.status_reason = reason
    case.updated_at = utcnow()
    if target == CaseStatus.CLOSED:
        case.closed_at = case.updated_at
    session.add(case)
    session.flush()
    record(session, actor=actor, action="case.status_changed", subject=f"case:{case.id}", case_id=case.id,
           payload={"from": current.value, "to": target.value, "reason": reason, **(payload or {})})
    return case


def assign_mediator_user(session: Session, *, case: Case, mediator: User, actor: str, reason: str | None) -> Case:
    """Put a mediator on the case (the checks on who may mediate live in the rosters domain)."""
    if mediator.role != Role.MEDIATOR:
        raise InvalidInput("the chosen user is not a mediator")
    previous = case.mediator_user_id
    case.mediator_user_id = mediator.id
    if CaseStatus(case.status) == CaseStatus.ACCEPTED:
        transition(session, case=case, target=CaseStatus.MEDIATOR_ASSIGNED, actor=actor, reason=None)
    elif CaseStatus(case.status) not in (CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION):
        raise Conflict(f"a mediator cannot be assigned while the case is '{case.status}'")
    session.add(case)
    session.flush()
    record(session, actor=actor, action="case.mediator_assigned", subject=f"case:{case.id}", case_id=case.id,
           payload={"mediator_user_id": mediator.id, "previous_mediator_user_id": previous, "reason": reason})
    return case


def visibility_clause(user: User):
    """The SQL condition selecting the cases a user may see (least privilege per role)."""
    if is_staff(user.role):
        return True
    if user.role == Role.MEDIATOR:
        return col(Case.mediator_user_id) == user.id
    if user.role == Role.PARTY:
        return exists().where(and_(col(CaseParty.case_id) == Case.id, col(CaseParty.user_id) == user.id))
    if user.role == Role.COURT:
        return exists().where(and_(col(CaseShare.case_id) == Case.id, col(CaseShare.court_user_id) == user.id,
                                   col(CaseShare.revoked).is_(False), col(CaseShare.expires_at) > utcnow()))
    if user.role == Role.EXPERT:
        return expert_visibility_clause(user)
    if user.role == Role.INSTITUTION:
        return institution_visibility_clause(user)
    return False


def institution_visibility_clause(user: User):
    """``visibility_clause`` for an institution user: an EXISTS over its institution account."""
    # An institution's complaint staff see the cases against their institution (and branch, where their
    # account names one); the scope is the complaints domain's institution account.
    from ..complaints.models import InstitutionAccount  # noqa: PLC0415

    return exists().where(and_(col(InstitutionAccount.user_id) == user.id,
                               col(InstitutionAccount.institution_id) == Case.institution_id,
                               col(InstitutionAccount.branch).is_(None)
                               | (col(InstitutionAccount.branch) == Case.institution_branch)))


def expert_visibility_clause(user: User):
    """``visibility_clause`` for an expert (False when the rosters domain is not installed)."""
    # Experts see the cases whose invitation they accepted (an invitation alone shows them only itself:
    # purpose and question); the rosters domain provides that link when present.
    try:
        from ..rosters.models import ExpertInvitation, InvitationStatus  # noqa: PLC0415
    except ImportError:
        return False
    return exists().where(and_(col(ExpertInvitation.case_id) == Case.id,
                               col(ExpertInvitation.expert_user_id) == user.id,
                               col(ExpertInvitation.status).in_([InvitationStatus.ACCEPTED.value,
                                                            InvitationStatus.OPINION_SUBMITTED.value])))


def get_case_or_404(session: Session, case_id: int) -> Case:
    """The case, or NotFound; no visibility check (``get_visible_case_or_404`` has one)."""
    return get_or_404(session, Case, case_id, missing=f"case {case_id} not found")


def get_visible_case_or_404(session: Session, *, user: User, case_id: int, for_update: bool = False,
                            missing: str | None = None) -> Case:
    """The case, if this user may see it; otherwise 404, so that others' case ids reveal nothing. For a row of
    the case (a document, a signing request, a session) ``missing`` is that row's own 404: another's says no
    more than one that does not exist."""
    return one_or_404(session, select(Case).where(col(Case.id) == case_id).where(visibility_clause(user)),
                      missing=missing or f"case {case_id} not found", for_update=for_update)


def list_cases(session: Session, *, user: User, status: CaseStatus | None = None, overdue_only: bool = False,
               limit: int = 100, offset: int = 0) -> list[Case]:
    """The cases ``user`` may see, soonest due first; ``overdue_only`` keeps open cases past their due
    date (Beijing today)."""
    query = select(Case).where(visibility_clause(user))
    if status is not None:
        query = query.where(col(Case.status) == status)
    if overdue_only:
        query = query.where(col(Case.due_on) < today_in_shanghai(),
                            col(Case.status).in_([s.value for s in OPEN_STATES]))
    query = query.order_by(col(Case.due_on), col(Case.id)).limit(limit).offset(offset)
    return list(session.exec(query).all())


def parties_of(session: Session, case_id: int) -> list[CaseParty]:
    """The case's parties in the order they were added (applicant, then respondent, at intake)."""
    return list(session.exec(select(CaseParty).where(col(CaseParty.case_id) == case_id).order_by(col(CaseParty.id))).all())


def to_read(session: Session, case: Case, calendar: WorkdayCalendar | None = None) -> CaseRead:
    """The case as the API shows it: ID numbers masked (PIPL), working days to the due date (negative
    once past, from Beijing today), overdue only while open, and whether the due date rests on a provisional
    calendar."""
    today = today_in_shanghai()
    calendar = calendar or workday_calendar(session)
    is_open = CaseStatus(case.status) in OPEN_STATES
    left = calendar.workdays_between(today, case.due_on) if case.due_on > today else -calendar.workdays_between(
        case.due_on, today)
    parties = [PartyRead(id=id_of(p), role=p.role, kind=p.kind, name=p.name, id_type=p.id_type,
                         id_number_masked=mask_id_number(p.id_number), credit_code=p.credit_code,
                         phone=p.phone, address=p.address, representative_name=p.representative_name)
               for p in parties_of(session, id_of(case))]
    return CaseRead(**case.model_dump(exclude={"parties"}, warnings=False), overdue=is_open and case.due_on < today,
                    working_days_left=left, parties=parties, due_on_provisional=calendar.is_provisional(case.due_on),
                    due_warning=calendar.provisional_warning(case.due_on))


def link_party_user(session: Session, *, case: Case, party_id: int, user: User, actor: str) -> CaseParty:
    """Link a party account to one of the case's parties, so that it sees the case (audited); NotFound
    for a party not on this case, InvalidInput (422) for an account that is not a party's."""
    party = session.get(CaseParty, party_id)
    if party is None or party.case_id != case.id:
        raise NotFound("party not found on this case")
    if user.role != Role.PARTY:
        raise InvalidInput("only a party account can be linked to a case party")
    party.user_id = user.id
    session.add(party)
    session.flush()
    record(session, actor=actor, action="case.party_linked", subject=f"case:{case.id}", case_id=case.id,
           payload={"party_id": party.id, "user_id": user.id})
    return party


def share_with_court(session: Session, *, case: Case, court_user: User, days: int, actor: str) -> CaseShare:
    """Let a court account see the case for ``days`` days, unless revoked (audited); InvalidInput (422) for any
    other account, or for ``days`` outside 1 to ``deadlines.COURT_SHARE_MAX_DAYS``."""
    if court_user.role != Role.COURT:
        raise InvalidInput("cases can only be shared with court accounts")
    if not 1 <= days <= COURT_SHARE_MAX_DAYS:
        raise InvalidInput(f"a share lasts between 1 and {COURT_SHARE_MAX_DAYS} days",
                           errors=[{"loc": ["days"], "msg": f"1..{COURT_SHARE_MAX_DAYS}"}])
    share = CaseShare(case_id=id_of(case), court_user_id=id_of(court_user), expires_at=utcnow() + timedelta(days=days))
    session.add(share)
    session.flush()
    record(session, actor=actor, action="case.shared_with_court", subject=f"case:{case.id}", case_id=case.id,
           payload={"court_user_id": court_user.id, "expires_at": share.expires_at, "share_id": share.id})
    return share


