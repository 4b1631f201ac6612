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


STAFF = (Role.ADMIN, Role.CASE_OFFICER)
