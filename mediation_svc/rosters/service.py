"""Roster upkeep: mediators, pools and experts (create, update, read), each change audited.

Every save resolves and checks all references first (account, categories, institutions, pools) and only
then writes, so a refused row leaves nothing behind even before the transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import delete
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import record
from ..cases.models import CaseCategory, Institution
from ..db import id_of, one_or_404, utcnow
from ..errors import Conflict, InvalidInput
from ..security.roles import Role
from . import policy
from .models import (Expert, ExpertAffiliation, Mediator, MediatorAffiliation, MediatorCertification, Pool,
                     PoolCategory, PoolMember)
from .schemas import (AccountRef, AffiliationIn, AffiliationRead, CertificationRead, ExpertIn, ExpertRead,
                      MediatorIn, MediatorRead, PoolIn, PoolRead)


Entry = TypeVar("Entry", Mediator, Expert)


# --- shared checks ------------------------------------------------------------------------------------

def _entry_account(session: Session, *, model: type[Mediator] | type[Expert], entry: Mediator | Expert | None,
                   ref: AccountRef, role: Role, display_name: str) -> User | dict:
    """The login account of a roster entry (``model``): an existing ``entry``'s own; for a new one the user
    ``ref`` names, or the data for a new password-less account when that username is free."""
    if entry is not None:
        return account_of(session, entry.user_id)
    user: User | None
    if ref.user_id is not None:
        user = session.get(User, ref.user_id)
        if user is None:
            raise InvalidInput("no such user", errors=[{"loc": ["user_id"], "msg": "no such user"}])
    else:
        user = session.exec(select(User).where(col(User.username) == ref.username)).first()
        if user is None:
            return {"username": ref.username, "display_name": display_name, "role": role}
    if user.role != role:
        raise InvalidInput(f"user '{user.username}' has the role {user.role}, not {role.value}",
                           errors=[{"loc": ["user_id" if ref.user_id else "username"],
                                    "msg": f"the account must have the role {role.value}"}])
    if session.exec(select(col(model.id)).where(col(model.user_id) == id_of(user))).first() is not None:
        raise Conflict(f"user '{user.username}' already has a roster entry")
    return user


def account_of(session: Session, user_id: int) -> User:
    """The login account of an existing roster entry (a foreign key: its absence is corrupt data)."""
    user = session.get(User, user_id)
    if user is None:
        raise RuntimeError(f"roster entry refers to user {user_id}, which does not exist")
    return user


def _create_account(session: Session, data: dict, actor: str) -> User:
    # No password: the person sets one through the accounts domain before they can log in.
    user = User(username=data["username"], display_name=data["display_name"], role=data["role"])
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.created", subject=f"user:{user.id}",
           payload={"username": user.username, "role": user.role, "via": "rosters"})
    return user


def _write_entry(session: Session, model: type[Entry], entry: Entry | None, *, user_id: int,
                 fields: dict[str, Any]) -> Entry:
    """A new roster entry of ``model`` for ``user_id`` with ``fields``, or ``entry`` given them; flushed."""
    if entry is None:
        entry = model(user_id=user_id, **fields)
    else:
        for key, value in fields.items():
            setattr(entry, key, value)
        entry.updated_at = utcnow()
    session.add(entry)
    session.flush()
    return entry


def check_categories(session: Session, codes: Iterable[str], loc: str) -> None:
    """InvalidInput (422) naming, under ``loc``, each code that is not a known case category."""
    codes = list(codes)
    if not codes:
        return
    known = set(session.exec(select(CaseCategory.code).where(col(CaseCategory.code).in_(codes))).all())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(f"unknown case categories: {', '.join(unknown)}",
                           errors=[{"loc": [loc], "msg": f"unknown case category '{c}'"} for c in unknown])


def resolve_affiliations(session: Session, items: list[AffiliationIn]) -> list[dict]:
    """Institution id, credit code and name for each declared tie (linking a known institution by its code)."""
    rows = []
    institution_id: int | None
    code: str | None
    name: str | None
    for i, a in enumerate(items):
        if a.institution_id is not None:
            inst = session.get(Institution, a.institution_id)
            if inst is None:
                raise InvalidInput("unknown institution", errors=[
                    {"loc": ["affiliations", i, "institution_id"], "msg": "no such institution"}])
            institution_id, code, name = inst.id, inst.credit_code, a.institution_name or inst.name
        else:
            inst = session.exec(select(Institution).where(col(Institution.credit_code) == a.credit_code)).first()
            institution_id, code, name = (inst.id if inst else None), a.credit_code, a.institution_name
        rows.append({"institution_id": institution_id, "credit_code": code, "institution_name": name,
                     "relation": a.relation, "started_on": a.started_on, "ended_on": a.ended_on})
    return rows


def _check_pools(session: Session, pool_ids: list[int]) -> None:
    if not pool_ids:
        return
    found = set(session.exec(select(Pool.id).where(col(Pool.id).in_(pool_ids))).all())
    missing = [p for p in pool_ids if p not in found]
    if missing:
        raise InvalidInput("unknown pools", errors=[{"loc": ["pool_ids"], "msg": f"no pool {p}"} for p in missing])


# --- mediators ----------------------------------------------------------------------------------------

def get_mediator_or_404(session: Session, mediator_id: int, *, for_update: bool = False) -> Mediator:
    """The mediator (locked FOR UPDATE with ``for_update``, as every change of them is: certifications and
    affiliations are replaced as a whole, and two unlocked replacements would keep both), or NotFound (404)."""
    return one_or_404(session, select(Mediator).where(col(Mediator.id) == mediator_id),
                      missing=f"mediator {mediator_id} not found", for_update=for_update)


def save_mediator(session: Session, *, data: MediatorIn, actor: str, mediator: Mediator | None = None) -> Mediator:
    """Create a mediator (``mediator`` None) or replace one's roster details; certifications and
    affiliations are replaced as a whole, pool memberships when ``pool_ids`` is given."""
    creating = mediator is None
    account = _entry_account(session, model=Mediator, entry=mediator, ref=data, role=Role.MEDIATOR,
                             display_name=data.name)
    check_categories(session, data.specialties, "specialties")
    affiliations = resolve_affiliations(session, data.affiliations)
    if data.pool_ids is not None:
        _check_pools(session, data.pool_ids)

    user = account if isinstance(account, User) else _create_account(session, account, actor)
    certs = [(c.name, c.expires_on) for c in data.certifications]
    fields = data.model_dump(include={"name", "years_of_practice", "specialties", "languages", "cities",
                                      "remote_capable", "max_active_cases", "status_reason"})
    fields.update(background=data.background.value, status=data.status.value,
                  certification_valid_until=policy.certification_valid_until(certs))
    previous_status = mediator.status if mediator is not None else None
    mediator = _write_entry(session, Mediator, mediator, user_id=id_of(user), fields=fields)
    mediator_id = id_of(mediator)
    session.execute(delete(MediatorCertification).where(col(MediatorCertification.mediator_id) == mediator_id))
    session.execute(delete(MediatorAffiliation).where(col(MediatorAffiliation.mediator_id) == mediator_id))
    for c in data.certifications:
        session.add(MediatorCertification(mediator_id=mediator_id, **c.model_dump()))
    for a in affiliations:
        session.add(MediatorAffiliation(mediator_id=mediator_id, **a))
    if data.pool_ids is not None:
        session.execute(delete(PoolMember).where(col(PoolMember.mediator_id) == mediator_id))
        for pool_id in data.pool_ids:
            session.add(PoolMember(pool_id=pool_id, mediator_id=mediator_id))
    session.flush()
    payload = data.model_dump(mode="json", exclude={"user_id", "username"})
    if not creating and previous_status != mediator.status:
        payload["previous_status"] = previous_status
    record(session, actor=actor, action="rosters.mediator_created" if creating else "rosters.mediator_updated",
           subject=f"mediator:{mediator_id}", payload={"user_id": user.id, **payload})
    return mediator


def mediator_details(session: Session, mediator: Mediator) -> tuple[list[MediatorCertification],
                                                                     list[MediatorAffiliation], list[int]]:
    """A mediator's certifications, declared affiliations and pool ids, each in a stable order."""
    certs = session.exec(select(MediatorCertification)
                         .where(col(MediatorCertification.mediator_id) == mediator.id)
                         .order_by(col(MediatorCertification.id))).all()
    ties = session.exec(select(MediatorAffiliation).where(col(MediatorAffiliation.mediator_id) == mediator.id)
                        .order_by(col(MediatorAffiliation.id))).all()
    pools = session.exec(select(PoolMember.pool_id).where(col(PoolMember.mediator_id) == mediator.id)
                         .order_by(col(PoolMember.pool_id))).all()
    return list(certs), list(ties), list(pools)


def mediator_read(session: Session, mediator: Mediator) -> MediatorRead:
    """The mediator as the API shows it: roster fields, username, certifications, affiliations, pool ids."""
    user = account_of(session, mediator.user_id)
    certs, ties, pools = mediator_details(session, mediator)
    return MediatorRead(
        **mediator.model_dump(exclude={"created_at", "updated_at"}), username=user.username,
        certifications=[CertificationRead(**c.model_dump(exclude={"mediator_id"})) for c in certs],
        affiliations=[AffiliationRead(**a.model_dump(exclude={"mediator_id"})) for a in ties],
        pool_ids=list(pools))


def list_mediators(session: Session, *, status: str | None = None, pool_id: int | None = None,
                   limit: int = 100, offset: int = 0) -> list[Mediator]:
    """Mediators in id order, ``limit`` from ``offset``; optionally of one status or one pool's members."""
    query = select(Mediator)
    if status:
        query = query.where(col(Mediator.status) == status)
    if pool_id is not None:
        query = query.where(col(Mediator.id).in_(select(PoolMember.mediator_id)
                                                 .where(col(PoolMember.pool_id) == pool_id)))
    return list(session.exec(query.order_by(col(Mediator.id)).limit(limit).offset(offset)).all())


# --- pools --------------------------------------------------------------------------------------------

def get_pool_or_404(session: Session, pool_id: int, *, for_update: bool = False) -> Pool:
    """The pool (locked FOR UPDATE with ``for_update``, as every change of it is), or NotFound (404)."""
    return one_or_404(session, select(Pool).where(col(Pool.id) == pool_id), missing=f"pool {pool_id} not found",
                      for_update=for_update)


def save_pool(session: Session, *, data: PoolIn, actor: str, pool: Pool | None = None) -> Pool:
    """Create a pool (``pool`` None) or replace one's details, categories and members as a whole (duplicates
    dropped), audited; 409 when another pool has the name, 422 for unknown categories or mediators."""
    creating = pool is None
    clash = session.exec(select(Pool.id).where(col(Pool.name) == data.name)).first()
    if clash is not None and (pool is None or clash != pool.id):
        raise Conflict(f"a pool named '{data.name}' already exists")
    categories = list(dict.fromkeys(data.categories))
    members = list(dict.fromkeys(data.mediator_ids))
    check_categories(session, categories, "categories")
    if members:
        found = set(session.exec(select(Mediator.id).where(col(Mediator.id).in_(members))).all())
        missing = [m for m in members if m not in found]
        if missing:
            raise InvalidInput("unknown mediators", errors=[
                {"loc": ["mediator_ids"], "msg": f"no mediator {m}"} for m in missing])
    pool = pool or Pool(name=data.name)
    pool.name, pool.description, pool.active = data.name, data.description, data.active
    session.add(pool)
    session.flush()
    pool_id = id_of(pool)
    session.execute(delete(PoolCategory).where(col(PoolCategory.pool_id) == pool_id))
    session.execute(delete(PoolMember).where(col(PoolMember.pool_id) == pool_id))
    session.add_all([PoolCategory(pool_id=pool_id, category_code=c) for c in categories])
    session.add_all([PoolMember(pool_id=pool_id, mediator_id=m) for m in members])
    session.flush()
    record(session, actor=actor, action="rosters.pool_created" if creating else "rosters.pool_updated",
           subject=f"pool:{pool_id}", payload=data.model_dump(mode="json"))
    return pool


def set_pool_member(session: Session, *, pool: Pool, mediator: Mediator, member: bool, actor: str) -> None:
    """Add (``member``) or remove the mediator, audited; when it is so already, nothing is written."""
    existing = session.get(PoolMember, (pool.id, mediator.id))
    if member and existing is None:
        session.add(PoolMember(pool_id=id_of(pool), mediator_id=id_of(mediator)))
    elif not member and existing is not None:
        session.delete(existing)
    else:
        return
    session.flush()
    record(session, actor=actor, action="rosters.pool_member_added" if member else "rosters.pool_member_removed",
           subject=f"pool:{pool.id}", payload={"mediator_id": mediator.id})


def pool_read(session: Session, pool: Pool) -> PoolRead:
    """The pool with its category codes and member mediator ids, each sorted."""
    categories = session.exec(select(PoolCategory.category_code).where(col(PoolCategory.pool_id) == pool.id)
                              .order_by(col(PoolCategory.category_code))).all()
    members = session.exec(select(PoolMember.mediator_id).where(col(PoolMember.pool_id) == pool.id)
                           .order_by(col(PoolMember.mediator_id))).all()
    return PoolRead(id=id_of(pool), name=pool.name, description=pool.description, active=pool.active,
                    categories=list(categories), mediator_ids=list(members))


# --- experts ------------------------------------------------------------------------------------------

def get_expert_or_404(session: Session, expert_id: int, *, for_update: bool = False) -> Expert:
    """The expert (locked FOR UPDATE with ``for_update``, as every change of them is), or NotFound (404)."""
    return one_or_404(session, select(Expert).where(col(Expert.id) == expert_id),
                      missing=f"expert {expert_id} not found", for_update=for_update)


def save_expert(session: Session, *, data: ExpertIn, actor: str, expert: Expert | None = None) -> Expert:
    """Create an expert (``expert`` None) or replace one's roster details; affiliations are replaced as a
    whole. A new entry takes the named account, or a new password-less one for a free username: 422 for a
    missing user or another role, 409 when the user is on the expert roster already. Audited."""
    creating = expert is None
    account = _entry_account(session, model=Expert, entry=expert, ref=data, role=Role.EXPERT, display_name=data.name)
    affiliations = resolve_affiliations(session, data.affiliations)
    user = account if isinstance(account, User) else _create_account(session, account, actor)
    fields = data.model_dump(exclude={"user_id", "username", "affiliations"})
    fields["field"], fields["availability"] = data.field.value, data.availability.value
    expert = _write_entry(session, Expert, expert, user_id=id_of(user), fields=fields)
    expert_id = id_of(expert)
    session.execute(delete(ExpertAffiliation).where(col(ExpertAffiliation.expert_id) == expert_id))
    session.add_all([ExpertAffiliation(expert_id=expert_id, **a) for a in affiliations])
    session.flush()
    record(session, actor=actor, action="rosters.expert_created" if creating else "rosters.expert_updated",
           subject=f"expert:{expert_id}",
           payload={"user_id": user.id, **data.model_dump(mode="json", exclude={"user_id", "username"})})
    return expert


def expert_read(session: Session, expert: Expert) -> ExpertRead:
    """The expert as the API shows it: roster fields, login username and declared affiliations."""
    user = account_of(session, expert.user_id)
    ties = session.exec(select(ExpertAffiliation).where(col(ExpertAffiliation.expert_id) == expert.id)
                        .order_by(col(ExpertAffiliation.id))).all()
    return ExpertRead(**expert.model_dump(exclude={"created_at", "updated_at"}), username=user.username,
                      affiliations=[AffiliationRead(**a.model_dump(exclude={"expert_id"})) for a in ties])


def list_experts(session: Session, *, field: str | None = None, limit: int = 100, offset: int = 0) -> list[Expert]:
    """Experts in id order, ``limit`` from ``offset``; optionally of one field."""
    query = select(Expert)
    if field:
        query = query.where(col(Expert.field) == field)
    return list(session.exec(query.order_by(col(Expert.id)).limit(limit).offset(offset)).all())
