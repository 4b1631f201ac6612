"""Who sees what on a case: one rule per object, pure, used by the API and the pages alike.

Two questions decide every read. First, may this user see the case at all
(``cases.service.visibility_clause``: staff all cases, a mediator the assigned ones, a party their own, a
court the ones shared with it and not expired, an expert the ones whose invitation they *accepted*)?
Then, for the objects hanging off the case, this table: which role sees which object, and how much.

A role missing from an object's row sees nothing of it (least privilege). Callers load the case through
``get_visible_case_or_404`` and then call ``require(user, Obj.X)``, which raises ``Forbidden``.
"""

from __future__ import annotations

from enum import StrEnum

from ..errors import Forbidden
from .roles import Role


class Obj(StrEnum):
    CASE = "case"  # the case record: parties (ID numbers masked), status, dates
    AGREEMENT = "agreement"  # the finalised and signed documents (调解协议书, joint application)
    SIGNING_EVIDENCE = "signing_evidence"  # every signer's address, browser, consent and signing times
    EVIDENCE_PACKAGE = "evidence_package"  # the judicial package: documents, evidence, full audit trail
    AUDIT_TRAIL = "audit_trail"  # the case's entries in the hash-chained audit log


class View(StrEnum):
    FULL = "full"
    SUMMARY = "summary"  # what happened and when; not who, not the recorded detail


R = Role
RULES: dict[Obj, dict[Role, View]] = {
    Obj.CASE: {R.ADMIN: View.FULL, R.CASE_OFFICER: View.FULL, R.MEDIATOR: View.FULL, R.EXPERT: View.FULL,
               R.PARTY: View.FULL, R.COURT: View.FULL},
    # Experts give an opinion on the dispute; the agreement and how it was signed are not theirs to read.
    Obj.AGREEMENT: {R.ADMIN: View.FULL, R.CASE_OFFICER: View.FULL, R.MEDIATOR: View.FULL, R.PARTY: View.FULL,
                    R.COURT: View.FULL},
    # Other signers' addresses and devices are personal data: the center and the court only.
    Obj.SIGNING_EVIDENCE: {R.ADMIN: View.FULL, R.CASE_OFFICER: View.FULL, R.MEDIATOR: View.FULL,
                           R.COURT: View.FULL},
    Obj.EVIDENCE_PACKAGE: {R.ADMIN: View.FULL, R.CASE_OFFICER: View.FULL, R.MEDIATOR: View.FULL,
                           R.COURT: View.FULL},
    Obj.AUDIT_TRAIL: {R.ADMIN: View.FULL, R.CASE_OFFICER: View.FULL, R.MEDIATOR: View.FULL, R.COURT: View.FULL,
                      R.PARTY: View.SUMMARY},
}

DENIED = {
    Obj.AGREEMENT: "the agreement is for the parties, the center and the court",
    Obj.SIGNING_EVIDENCE: "the evidence of every signer is for the center and the court",
    Obj.EVIDENCE_PACKAGE: "the evidence package for judicial confirmation is for the center and the court",
    Obj.AUDIT_TRAIL: "the audit trail of this case is not shown to your role",
}


def view_of(role: Role | str, obj: Obj) -> View | None:
    """How much of ``obj`` a role sees on a case it may see; None: nothing."""
    try:
        return RULES[obj].get(Role(role))
    except ValueError:
        return None


def require(user, obj: Obj) -> View:
    """The view ``user`` has of ``obj`` (on a case already loaded as visible to them), or ``Forbidden``."""
    view = view_of(user.role, obj)
    if view is None:
        raise Forbidden(DENIED.get(obj, "not allowed for your role"))
    return view
