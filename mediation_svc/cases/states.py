"""The case life cycle as a table of allowed transitions (pure, no database)."""

from __future__ import annotations

from enum import StrEnum

from ..errors import InvalidTransition


class CaseStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MEDIATOR_ASSIGNED = "mediator_assigned"
    IN_MEDIATION = "in_mediation"
    AGREEMENT_DRAFTED = "agreement_drafted"
    SIGNING = "signing"
    SIGNED = "signed"
    CONFIRMATION_REQUESTED = "confirmation_requested"  # 司法确认申请
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    MEDIATION_FAILED = "mediation_failed"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


S = CaseStatus
_WITHDRAWABLE = {S.RECEIVED, S.ACCEPTED, S.MEDIATOR_ASSIGNED, S.IN_MEDIATION, S.AGREEMENT_DRAFTED, S.SIGNING}

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.ACCEPTED, S.REJECTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.MEDIATOR_ASSIGNED, S.WITHDRAWN}),
    # Back to ACCEPTED when a recusal leaves the case without a mediator.
    S.MEDIATOR_ASSIGNED: frozenset({S.IN_MEDIATION, S.ACCEPTED, S.MEDIATION_FAILED, S.WITHDRAWN}),
    S.IN_MEDIATION: frozenset({S.AGREEMENT_DRAFTED, S.MEDIATION_FAILED, S.WITHDRAWN, S.ACCEPTED}),
    S.AGREEMENT_DRAFTED: frozenset({S.SIGNING, S.IN_MEDIATION, S.MEDIATION_FAILED, S.WITHDRAWN}),
    # Back to AGREEMENT_DRAFTED when the agreement being signed is voided and superseded.
    S.SIGNING: frozenset({S.SIGNED, S.AGREEMENT_DRAFTED, S.MEDIATION_FAILED, S.WITHDRAWN}),
    S.SIGNED: frozenset({S.CONFIRMATION_REQUESTED, S.CLOSED}),
    S.CONFIRMATION_REQUESTED: frozenset({S.CONFIRMED, S.NOT_CONFIRMED}),
    S.CONFIRMED: frozenset({S.CLOSED}),
    S.NOT_CONFIRMED: frozenset({S.CLOSED}),
    S.MEDIATION_FAILED: frozenset({S.CLOSED}),
    S.REJECTED: frozenset({S.CLOSED}),
    S.WITHDRAWN: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

# The moves a case officer may make by hand (``POST /api/v1/cases/{id}/transitions`` and the case page).
# Every other move belongs to its own step, which checks what the move means: assigning a mediator
# (rosters), the first session (scheduling), drafting and finalising (documents), signing and voiding
# (signing), filing for judicial confirmation and the court's ruling (judicial), a recusal (back to
# accepted, clearing the mediator).
MANUAL_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.ACCEPTED, S.REJECTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.WITHDRAWN}),
    S.MEDIATOR_ASSIGNED: frozenset({S.IN_MEDIATION, S.MEDIATION_FAILED, S.WITHDRAWN}),
    S.IN_MEDIATION: frozenset({S.MEDIATION_FAILED, S.WITHDRAWN}),
    S.AGREEMENT_DRAFTED: frozenset({S.IN_MEDIATION, S.MEDIATION_FAILED, S.WITHDRAWN}),
    S.SIGNING: frozenset({S.MEDIATION_FAILED, S.WITHDRAWN}),
    S.SIGNED: frozenset({S.CLOSED}),
    S.CONFIRMED: frozenset({S.CLOSED}),
    S.NOT_CONFIRMED: frozenset({S.CLOSED}),
    S.MEDIATION_FAILED: frozenset({S.CLOSED}),
    S.REJECTED: frozenset({S.CLOSED}),
    S.WITHDRAWN: frozenset({S.CLOSED}),
}

# States in which the case still runs against its due date.
OPEN_STATES = frozenset({S.RECEIVED, S.ACCEPTED, S.MEDIATOR_ASSIGNED, S.IN_MEDIATION,
                         S.AGREEMENT_DRAFTED, S.SIGNING})
# States in which the reason must be given.
NEEDS_REASON = frozenset({S.REJECTED, S.MEDIATION_FAILED, S.WITHDRAWN, S.NOT_CONFIRMED})


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    if target not in TRANSITIONS[current]:
        allowed = sorted(s.value for s in TRANSITIONS[current])
        raise InvalidTransition(
            f"a case in state '{current.value}' cannot move to '{target.value}'",
            current_status=current.value, requested_status=target.value, allowed=allowed,
        )


def manual_targets(current: CaseStatus) -> frozenset[CaseStatus]:
    return MANUAL_TRANSITIONS.get(current, frozenset())


def check_manual_transition(current: CaseStatus, target: CaseStatus) -> None:
    """A move made by hand: allowed by the life cycle *and* not one that belongs to its own step."""
    check_transition(current, target)
    if target not in manual_targets(current):
        allowed = sorted(s.value for s in manual_targets(current))
        raise InvalidTransition(
            f"'{current.value}' -> '{target.value}' happens through its own step (assignment, sessions, "
            "drafting, signing, the court's ruling), not by hand",
            current_status=current.value, requested_status=target.value, allowed=allowed,
        )
