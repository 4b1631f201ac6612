from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CASE_OFFICER = "case_officer"
    MEDIATOR = "mediator"
    EXPERT = "expert"
    PARTY = "party"  # a consumer, or a representative of an institution
    COURT = "court"
    INSTITUTION = "institution"  # an institution's complaint staff, scoped to it (and a branch): complaints/


# The center's staff: they see every case and act on it (intake, assignment, letters, the seal). Every "is this
# an officer" question in routes, pages and services asks is_staff, so the rule has one home.
STAFF = (Role.ADMIN, Role.CASE_OFFICER)


def is_staff(role: Role | str) -> bool:
    """An administrator or a case officer (the center's staff)."""
    return role in STAFF


# Who works a case on the center's side: the staff and the mediators (each on the cases they may see, the
# case's visibility rule). They arrange sessions and write their records, draft documents, add evidence and
# file a representative's papers; the permission is asked through works_cases, here only.
CASE_WORKERS = (*STAFF, Role.MEDIATOR)


def works_cases(role: Role | str) -> bool:
    """Staff or a mediator (``CASE_WORKERS``)."""
    return role in CASE_WORKERS
