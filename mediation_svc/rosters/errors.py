"""Rosters' domain errors (RFC 9457 problem types)."""

from __future__ import annotations

from ..errors import Conflict
from .policy import Exclusion


class MediatorExcluded(Conflict):
    """The chosen mediator may not take this case; ``reasons`` names each hard exclusion."""

    slug, title = "mediator-excluded", "This mediator cannot be assigned to the case"

    def __init__(self, *, mediator_id: int, name: str, reasons: list[Exclusion]) -> None:
        detail = f"调解员{name}不能指派到本案：" + "；".join(r.message for r in reasons)
        super().__init__(detail, mediator_id=mediator_id, reasons=[r.as_dict() for r in reasons])


class NoEligibleMediator(Conflict):
    slug, title = "no-eligible-mediator", "No mediator can take this case"


class ExpertConflict(Conflict):
    slug, title = "expert-conflict", "This expert has a declared tie with the respondent"
