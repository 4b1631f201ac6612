"""An institution on the platform: its complaint staff's accounts (scoped to the institution and, where named, a
branch), and who signs an agreement for it: one of those accounts, or a person an account named for the case
(``institution_signer``, which the signing domain asks when a request is opened; ``signer_choices`` for the
officer's form)."""

from __future__ import annotations


from sqlmodel import Session, col, select

from ..accounts.models import User
from ..accounts.schemas import UserCreate
from ..accounts.service import create_user
from ..audit.chain import actor_of, record
from ..cases.models import Case, Institution
from ..db import id_of
from ..errors import Conflict, Forbidden, InvalidInput
from ..phones import normalise_mobile
from ..security.roles import Role
from .models import Contact, InstitutionAccount, RepresentativeNomination
from .schemas import InstitutionAccountIn



def create_institution_account(session: Session, *, data: InstitutionAccountIn, actor: str) -> tuple[User, InstitutionAccount]:
    if session.get(Institution, data.institution_id) is None:
        raise InvalidInput("被投诉机构不存在 (no such institution)", errors=[{"loc": ["institution_id"], "msg": "not found"}])
    user = create_user(session, data=UserCreate(username=data.username, display_name=data.display_name,
                                                role=Role.INSTITUTION, password=data.password, phone=data.phone,
                                                email=data.email, institution_id=data.institution_id), actor=actor)
    account = make_institution_account(session, user=user, institution_id=data.institution_id, branch=data.branch,
                                       actor=actor)
    return user, account


def make_institution_account(session: Session, *, user: User, institution_id: int, branch: str | None,
                             actor: str) -> InstitutionAccount:
    """Scope an existing account to an institution (and branch) as its complaint staff."""
    user.role = Role.INSTITUTION
    user.institution_id = institution_id
    account = (session.get(InstitutionAccount, user.id)
               or InstitutionAccount(user_id=id_of(user), institution_id=institution_id))
    account.institution_id, account.branch = institution_id, branch
    session.add_all([user, account])
    session.flush()
    record(session, actor=actor, action="institution_account.scoped", subject=f"user:{user.id}",
           payload={"institution_id": institution_id, "branch": branch})
    return account


def nominate_representative(session: Session, *, contact: Contact, user: User, name: str, phone: str,
                            id_number: str | None) -> RepresentativeNomination:
    """An institution account names the person who signs the agreement for its institution, on the mediation
    case its complaint became (the inbox page). The officer then picks this nomination when opening signing."""
    account = session.get(InstitutionAccount, user.id) if user.role == Role.INSTITUTION else None
    if account is None or account.institution_id != contact.institution_id:
        raise Forbidden("only the complaint staff of the institution complained about name its representative")
    if contact.case_id is None:
        raise Conflict("the complaint has not become a mediation case; there is no agreement to sign yet")
    name, phone = (name or "").strip(), (phone or "").strip()
    if not name or not phone:
        raise InvalidInput("name the representative, with a mobile number for the signing code",
                           errors=[{"loc": ["name" if not name else "phone"], "msg": "required"}])
    try:
        phone = normalise_mobile(phone)  # the one phone rule: the signing code goes to this number
    except ValueError as exc:
        raise InvalidInput(str(exc), errors=[{"loc": ["phone"], "msg": str(exc), "type": "mobile_number"}]) from None
    nomination = RepresentativeNomination(case_id=contact.case_id, institution_id=account.institution_id,
                                          nominated_by_user_id=id_of(user), name=name, phone=phone,
                                          id_number=(id_number or "").strip() or None)
    session.add(nomination)
    session.flush()
    # the phone and ID number stay out of the log: who named whom is what the history needs
    record(session, actor=actor_of(user), action="institution.representative_nominated",
           subject=f"case:{contact.case_id}", case_id=contact.case_id,
           payload={"nomination_id": nomination.id, "institution_id": account.institution_id, "name": name})
    return nomination


def nominations_for(session: Session, *, case_id: int,
                    institution_id: int | None = None) -> list[RepresentativeNomination]:
    query = select(RepresentativeNomination).where(col(RepresentativeNomination.case_id) == case_id)
    if institution_id is not None:
        query = query.where(col(RepresentativeNomination.institution_id) == institution_id)
    return list(session.exec(query.order_by(col(RepresentativeNomination.id))).all())


def institution_signer(session: Session, *, case: Case, institution_id: int | None, account_user_id: int | None,
                       nomination_id: int | None) -> tuple[str, str | None, str | None, int | None] | None:
    """Who may sign for the institution party of a case: one of the institution's accounts (scoped to the
    case's branch where the account names one), or a person such an account named for this case. Returns
    (name, phone, id number or None, the account's user id or None); None when neither was chosen and the
    institution has no accounts, so the officer names the representative (an institution not yet online).
    """
    if account_user_id is not None:
        account = session.get(InstitutionAccount, account_user_id)
        user = session.get(User, account_user_id)
        if (account is None or user is None or not user.active or account.institution_id != institution_id
                or (account.branch is not None and account.branch != case.institution_branch)):
            raise InvalidInput("the representative's account is not one of this institution's accounts",
                               errors=[{"loc": ["representatives", "account_user_id"],
                                        "msg": "not an account of the institution on this case"}])
        return user.display_name, user.phone, None, user.id
    if nomination_id is not None:
        nomination = session.get(RepresentativeNomination, nomination_id)
        if nomination is None or nomination.case_id != case.id or nomination.institution_id != institution_id:
            raise InvalidInput("no such representative named by the institution on this case",
                               errors=[{"loc": ["representatives", "nomination_id"], "msg": "not found"}])
        return nomination.name, nomination.phone, nomination.id_number, None
    online = session.exec(select(col(InstitutionAccount.user_id))
                          .where(col(InstitutionAccount.institution_id) == institution_id).limit(1)).first()
    if online is not None:
        raise InvalidInput("this institution works on the platform: its representative is one of its accounts "
                           "or a person one of them named for this case",
                           errors=[{"loc": ["representatives"], "msg": "choose an account or a nomination"}])
    return None


def signer_choices(session: Session, *, case: Case, institution_id: int | None) -> list[tuple[str, str, str]]:
    """The representatives an officer may choose for an institution party: (form value, name, kind), its
    active accounts (for the case's branch where an account names one) and the people they named."""
    accounts = session.exec(select(User, InstitutionAccount)
                            .join(InstitutionAccount, col(InstitutionAccount.user_id) == col(User.id))
                            .where(col(InstitutionAccount.institution_id) == institution_id, col(User.active).is_(True))
                            .order_by(col(User.id))).all()
    choices = [(f"account:{u.id}", u.display_name, "account") for u, a in accounts
               if a.branch is None or a.branch == case.institution_branch]
    choices += [(f"nomination:{n.id}", n.name, "nomination")
                for n in nominations_for(session, case_id=id_of(case), institution_id=institution_id)]
    return choices
