"""A case moved by hand (``states.MANUAL_TRANSITIONS``), and what follows in the domains that hang off it.

The move itself is ``service.transition``; a case that leaves the open states (withdrawn, mediation failed,
rejected, closed by hand; signed when its agreement's last signature closes the file) also cancels its sessions
still to come (``after_move``, through ``scheduling.service.cancel_upcoming``): their rooms are freed, the unsent
reminders withdrawn and the participants told. The one home of both, for the API
(``POST /api/v1/cases/{id}/transitions``), the case page and the signing close.
"""

from __future__ import annotations

from sqlmodel import Session

from ..accounts.models import User
from ..audit.chain import actor_of
from ..config import Settings
from ..scheduling import messages
from ..scheduling import service as scheduling
from .models import Case
from .service import transition
from .states import OPEN_STATES, CaseStatus

ENDED = messages.CASE_ENDED  # the cancellation's reason when the move gives none
SIGNED = messages.AGREEMENT_SIGNED  # the reason when the signed agreement closes the case


def move_by_hand(session: Session, settings: Settings, *, case: Case, target: CaseStatus, actor: User,
                 reason: str | None) -> list[int]:
    """Move the case as an officer asked (409 for a move not allowed by hand, 422 without a reason where one is
    needed); when it ends, cancel its sessions still to come. Returns the ids of the sessions cancelled."""
    transition(session, case=case, target=target, actor=actor_of(actor), reason=reason, manual=True)
    return after_move(session, settings, case=case, actor=actor, reason=reason or ENDED)


def after_move(session: Session, settings: Settings, *, case: Case, actor: User, reason: str) -> list[int]:
    """What a move owes the case's sessions: none while the case is open; once it has left the open states, each
    session still to come is cancelled with ``reason``. Returns the ids of the sessions cancelled."""
    if CaseStatus(case.status) in OPEN_STATES:
        return []
    return scheduling.cancel_upcoming(session, settings, case=case, reason=reason, actor=actor)
