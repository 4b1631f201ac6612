"""The self-service rules on plain values: codes expire, are used once, are replaced; proofs lapse."""

from datetime import datetime, timedelta, timezone

import pytest

from mediation_svc.cases.states import CaseStatus
from mediation_svc.selfservice import policy
from mediation_svc.i18n.catalogue import EN, ZH

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


def state(*, expires_in=timedelta(minutes=5), proved=None, revoked=None):
    return policy.CodeState(expires_at=NOW + expires_in, proved_at=proved, revoked_at=revoked)


def test_a_fresh_code_may_be_checked():
    assert policy.code_refusal(state(), now=NOW) is None
    assert policy.code_refusal(state(), now=NOW + timedelta(minutes=4, seconds=59)) is None


@pytest.mark.parametrize("kind, row, at", [
    ("expired", state(), NOW + timedelta(minutes=5)),
    ("used", state(proved=NOW), NOW),
    ("replaced", state(revoked=NOW), NOW),
])
def test_a_code_is_refused_once_expired_used_or_replaced(kind, row, at):
    assert policy.code_refusal(row, now=at) == kind


def test_a_proof_holds_for_its_lifetime_then_lapses():
    proved = state(proved=NOW)
    assert policy.proof_refusal(proved, now=NOW + policy.PROOF_LIFETIME - timedelta(seconds=1)) is None
    assert policy.proof_refusal(proved, now=NOW + policy.PROOF_LIFETIME) == "expired"
    assert policy.proof_refusal(state(), now=NOW) == "not-proved"
    assert policy.proof_refusal(state(proved=NOW, revoked=NOW), now=NOW) == "revoked"


def test_resend_waits_a_minute_rounded_up():
    assert policy.resend_wait(None, now=NOW) == 0
    assert policy.resend_wait(NOW, now=NOW) == 60
    assert policy.resend_wait(NOW - timedelta(seconds=59, milliseconds=500), now=NOW) == 1
    assert policy.resend_wait(NOW - timedelta(seconds=60), now=NOW) == 0


def test_every_status_says_what_happens_next_in_both_languages():
    for status in CaseStatus:
        key = policy.next_step_key(status)
        assert ZH[key] and EN[key] and ZH[key] != key
