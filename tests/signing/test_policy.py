"""The signing rules on plain values (signing/policy.py): whose turn, who may act, the signer page's state, the
deadline, the consent words. No database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from mediation_svc.errors import Conflict
from mediation_svc.signing import policy
from mediation_svc.signing.models import STAGE_MEDIATOR, STAGE_PARTIES, STAGE_SEAL

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)


def request(status="open", deadline=NOW + timedelta(days=3)):
    return SimpleNamespace(status=status, deadline_at=deadline)


def signer(status="pending", mode="remote", locked=False):
    return SimpleNamespace(status=status, mode=mode, otp_locked=locked)


def test_the_parties_then_the_mediator_then_the_seal():
    signers = [(STAGE_PARTIES, "signed"), (STAGE_PARTIES, "pending"), (STAGE_MEDIATOR, "waiting"),
               (STAGE_SEAL, "waiting")]
    assert policy.next_stage(signers) == STAGE_PARTIES
    assert not policy.stage_done(signers, STAGE_PARTIES)
    signers[1] = (STAGE_PARTIES, "signed")
    assert policy.stage_done(signers, STAGE_PARTIES) and policy.next_stage(signers) == STAGE_MEDIATOR
    assert policy.next_stage([(s, "signed") for s, _ in signers]) is None
    assert policy.next_stage([]) is None


@pytest.mark.parametrize("role, mediator, opens, manages, hosts", [
    ("admin", False, True, True, False),
    ("case_officer", False, True, True, False),
    ("mediator", True, True, False, True),
    ("mediator", False, False, False, False),  # another case's mediator
    ("party", False, False, False, False),
    ("institution", False, False, False, False),
    ("court", False, False, False, False),
])
def test_who_may_act(role, mediator, opens, manages, hosts):
    assert policy.may_open_request(role, is_case_mediator=mediator) is opens
    assert policy.may_manage_request(role) is manages
    assert policy.may_host_onsite(role, is_case_mediator=mediator) is hosts


def test_a_request_is_open_only_before_its_deadline():
    policy.check_open(request(), now=NOW)
    with pytest.raises(policy.SigningRequestExpired):
        policy.check_open(request(deadline=NOW - timedelta(seconds=1)), now=NOW)
    with pytest.raises(Conflict):
        policy.check_open(request(status="completed"), now=NOW)


@pytest.mark.parametrize("req, who, state", [
    (request(status="completed"), signer("signed"), "completed"),
    (request(), signer("signed"), "signed"),
    (request(status="declined"), signer("declined"), "declined"),
    (request(status="declined"), signer("pending"), "declined_other"),
    (request(status="voided"), signer("pending"), "voided"),
    (request(deadline=NOW - timedelta(minutes=1)), signer("pending"), "expired"),
    (request(status="awaiting_authorisation"), signer("waiting"), "not_open"),
    (request(), signer("waiting"), "waiting"),
    (request(), signer("pending", locked=True), "locked"),
    (request(), signer("pending"), "open"),
])
def test_the_signers_page_state(req, who, state):
    assert policy.signer_state(req, who, now=NOW) == state
    assert state in policy.SIGNER_STATES


def test_each_state_gets_its_own_error():
    policy.require_state("open", "open")
    for state, error in (("expired", policy.SigningRequestExpired), ("locked", policy.CodeLocked),
                         ("waiting", policy.NotYourTurn), ("signed", policy.SignerStateError)):
        with pytest.raises(error):
            policy.require_state(state, "open")


def test_where_a_key_may_be_made():
    assert policy.allowed_key_origins(signer(mode="remote")) == (policy.KEY_SIGNER_DEVICE,)
    assert policy.allowed_key_origins(signer(mode="onsite")) == (policy.KEY_SIGNER_DEVICE, policy.KEY_CENTER_SERVER)
    assert policy.allowed_key_origins(signer(mode="external")) == (policy.KEY_INSTITUTION,)


def test_the_agreed_amount_is_the_sum_of_the_payments():
    document = SimpleNamespace(inputs_json='{"payments": [{"amount": "300000.00"}, {"amount": "50000.50"}]}')
    assert policy.agreed_amount(document) == Decimal("350000.50")
    assert policy.agreed_amount(SimpleNamespace(inputs_json='{"payments": []}')) is None


def test_the_deadline_as_the_sms_says_it():
    assert policy.chinese_deadline(datetime(2026, 12, 9, 10, 0, tzinfo=timezone.utc)) == "12月9日 18:00"
