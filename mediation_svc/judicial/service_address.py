"""A party's own 送达地址确认书, confirmed online: kept per case and party, newest first, and used by the joint
application for judicial confirmation (``service.start_application``) for that party, ahead of what an officer
recorded for them, since consent to electronic service is the party's alone to give. Keyword-only; never commits."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from ..audit.chain import record
from ..cases.models import Case, CaseParty
from ..db import id_of
from ..documents.inputs import ServiceAddress
from ..errors import invalid_input_from
from .models import ServiceAddressConfirmation


def confirm(session: Session, *, case: Case, party: CaseParty, details: dict[str, Any],
            actor: str) -> ServiceAddressConfirmation:
    """Record the party's confirmation, checked as the application's annex checks it."""
    try:
        checked = ServiceAddress.model_validate(details)
    except ValidationError as exc:
        raise invalid_input_from(exc) from exc
    row = ServiceAddressConfirmation(case_id=id_of(case), party_id=id_of(party), actor=actor,
                                     details=json.dumps(checked.model_dump(mode="json"), ensure_ascii=False,
                                                        sort_keys=True))
    session.add(row)
    session.flush()
    record(session, actor=actor, action="judicial.service_address_confirmed", subject=f"case:{case.id}",
           case_id=case.id, payload={"party_id": party.id, "electronic_consent": checked.electronic_consent,
                                     "electronic_channels": checked.electronic_channels})
    return row


def confirmed(session: Session, *, case: Case) -> dict[int, dict[str, Any]]:
    """Case party id -> the newest confirmation's details."""
    rows = session.exec(select(ServiceAddressConfirmation).where(col(ServiceAddressConfirmation.case_id) == case.id)
                        .order_by(col(ServiceAddressConfirmation.id))).all()
    return {row.party_id: json.loads(row.details) for row in rows}


def merged(*, confirmed_online: dict[int, dict[str, Any]],
           recorded: dict[int, dict[str, Any]] | None) -> dict[int, dict[str, Any]]:
    """What the application annexes per party: the party's own online confirmation wins over the officer's record."""
    return {**(recorded or {}), **confirmed_online}
