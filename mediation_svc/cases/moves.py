"""A case moved by hand (``states.MANUAL_TRANSITIONS``), and what follows in the domains that hang off it.

The move itself is ``service.transition``; a case that leaves the open states (withdrawn, mediation failed,
rejected, closed) also cancels its sessions still to come (``scheduling.service.cancel_upcoming``): their rooms
are freed, the unsent reminders withdrawn and the participants told. The one home of both, for the API
(``POST /api/v1/cases/{id}/transitions``) and the case page.
"""

from __future__ import annotations

from sqlmodel import Session

from ..accounts.models import User
from ..audit.chain import actor_of
from ..config import Settings
from ..scheduling import service as scheduling
from .models import Case
from .service import transition
from .states import OPEN_STATES, CaseStatus

ENDED = "案件已结束 (the case has ended)"  # the cancellation's reason when the move gives none


def move_by_hand(session: Session, settings: Settings, *, case: Case, target: CaseStatus, actor: User,
                 reason: str | None) -> list[int]:
    """Move the case as an officer asked (409 for a move not allowed by hand, 422 without a reason where one is
    needed); when it ends, cancel its sessions still to come. Returns the ids of the sessions cancelled."""
    transition(session, case=case, target=target, actor=actor_of(actor), reason=reason, manual=True)
    if target in OPEN_STATES:
        return []
    return scheduling.cancel_upcoming(session, settings, case=case, reason=reason or ENDED, actor=actor)
