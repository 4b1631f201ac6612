"""The consumer's self-service rules on plain values: codes, attempts, what a status means and what comes next.

- A code is 6 digits, lives 5 minutes, is used once; a newer code replaces the older ones of the same phone.
- Sending: at most one code a minute and 5 an hour to a phone, 20 an hour from one client address.
- Checking: 5 wrong codes in 15 minutes lock the phone (and 20 the client address) for the rest of the window.
- A proved phone holds for 30 minutes (the token's lifetime); looking cases up is bounded per phone too.
- Applying needs the consent to the processing of personal information, given to the current notice; 5
  applications a day from one phone.
- A consumer sees a case when one of its parties has the proved phone on record, and a complaint when it was
  filed with that phone; nothing else, and nothing personal before the phone is proved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..cases.states import CaseStatus

CODE_LIFETIME = timedelta(minutes=5)
RESEND_GAP = timedelta(seconds=60)
SEND_WINDOW = timedelta(hours=1)
SENDS_PER_PHONE = 5
SENDS_PER_CLIENT = 20
CHECK_WINDOW = timedelta(minutes=15)
FAILURES_PER_PHONE = 5
FAILURES_PER_CLIENT = 20
PROOF_LIFETIME = timedelta(minutes=30)
LOOKUP_WINDOW = timedelta(hours=1)
LOOKUPS_PER_PHONE = 240

TOKEN_PURPOSE = "consumer"

# The personal information notice a consumer accepts before applying (locales/selfservice.toml self.consent.text);
# a new wording is a new version, and the consent records the version and the SHA-256 of the words shown.
CONSENT_VERSION = "2026-12-v1"
APPLICATION_WINDOW = timedelta(days=1)
APPLICATIONS_PER_PHONE = 5


@dataclass(frozen=True)
class CodeState:
    expires_at: datetime
    proved_at: datetime | None
    revoked_at: datetime | None


def code_refusal(state: CodeState, *, now: datetime) -> str | None:
    """Why a typed code cannot be checked against this row (a slug), or None when it may be."""
    if state.revoked_at is not None:
        return "replaced"
    if state.proved_at is not None:
        return "used"
    if now >= state.expires_at:
        return "expired"
    return None


def proof_refusal(state: CodeState, *, now: datetime) -> str | None:
    """Why a token naming this row no longer proves the phone, or None while it does."""
    if state.proved_at is None:
        return "not-proved"
    if state.revoked_at is not None:
        return "revoked"
    if now >= state.proved_at + PROOF_LIFETIME:
        return "expired"
    return None


def resend_wait(last_sent_at: datetime | None, *, now: datetime) -> int:
    """Seconds to wait before another code may go to the phone (0: now)."""
    if last_sent_at is None:
        return 0
    return max(0, int((last_sent_at + RESEND_GAP - now).total_seconds() + 0.999))


# What happens next, for the consumer, by case status: a key of the page catalogue (locales/selfservice.toml).
NEXT_STEP: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: "self.next.received",
    CaseStatus.ACCEPTED: "self.next.accepted",
    CaseStatus.MEDIATOR_ASSIGNED: "self.next.mediator_assigned",
    CaseStatus.IN_MEDIATION: "self.next.in_mediation",
    CaseStatus.AGREEMENT_DRAFTED: "self.next.agreement_drafted",
    CaseStatus.SIGNING: "self.next.signing",
    CaseStatus.SIGNED: "self.next.signed",
    CaseStatus.CONFIRMATION_REQUESTED: "self.next.confirmation_requested",
    CaseStatus.CONFIRMED: "self.next.confirmed",
    CaseStatus.NOT_CONFIRMED: "self.next.not_confirmed",
    CaseStatus.MEDIATION_FAILED: "self.next.mediation_failed",
    CaseStatus.REJECTED: "self.next.rejected",
    CaseStatus.WITHDRAWN: "self.next.withdrawn",
    CaseStatus.CLOSED: "self.next.closed",
}


def next_step_key(status: CaseStatus | str) -> str:
    return NEXT_STEP[CaseStatus(status)]
