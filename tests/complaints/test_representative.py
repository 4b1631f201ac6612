"""The institution's representative who signs an agreement is one of its (institution) accounts or a person
one of them named from the inbox pages (issue 17); an account of another institution is refused, and so is a
representative the officer names for an institution that works on the platform."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.complaints.models import Contact
from mediation_svc.db import unit_of_work
from mediation_svc.signing.models import SigningParticipant

from ..signing.conftest import agreement_pdf  # noqa: F401 (the fixture)
from ..signing.flow import REP_ID, REP_PHONE, insert_final_document, institution_party, walk_to_drafting
from ..web.conftest import csrf_of, login  # noqa: F401 (fixtures)
from .conftest import complaint_payload

pytestmark = pytest.mark.db


def _case_against_icbc(engine, make_user, make_case, world, pdf):
    mediator = make_user("mediator", display_name="陈国栋", phone="13902000001")
    case = make_case(officer=world.officer, respondent={"institution_id": world.icbc, "branch": "天河支行"})
    walk_to_drafting(engine, case.id, mediator)
    document = insert_final_document(engine, case.id, pdf)
    return case, document, institution_party(engine, case.id)


def _open(client, auth, world, case, document, rep: dict):
    deadline = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).isoformat()
    return client.post(f"/api/v1/cases/{case.id}/signing-requests", headers=auth(world.officer),
                       json={"document_id": document.id, "deadline_at": deadline, "representatives": [rep]})


def _representative(engine, request_id: int) -> SigningParticipant:
    with Session(engine) as s:
        return s.exec(select(SigningParticipant).where(SigningParticipant.request_id == request_id,
                                                       SigningParticipant.kind == "representative")).one()


def test_an_account_of_the_institution_signs_and_one_of_another_is_refused(client, auth, engine, make_user,
                                                                            make_case, world, agreement_pdf):
    case, document, bank = _case_against_icbc(engine, make_user, make_case, world, agreement_pdf)
    other = _open(client, auth, world, case, document,
                  {"party_id": bank.id, "account_user_id": world.ccb_staff.id, "id_number": REP_ID})
    assert other.status_code == 422 and "not one of this institution's accounts" in other.json()["detail"]
    # ICBC works on the platform: a name the officer types in is not taken either
    typed = _open(client, auth, world, case, document,
                  {"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID})
    assert typed.status_code == 422 and "one of its accounts" in typed.json()["detail"]
    opened = _open(client, auth, world, case, document,
                   {"party_id": bank.id, "account_user_id": world.icbc_staff.id, "id_number": REP_ID})
    assert opened.status_code == 201, opened.text
    rep = _representative(engine, opened.json()["id"])
    assert (rep.name, rep.user_id, rep.phone, rep.on_behalf_of) == (
        "工行投诉专员", world.icbc_staff.id, "+8613700137000", bank.name)


def test_a_person_named_on_the_inbox_page_signs_for_the_institution(client, auth, engine, make_user, make_case,
                                                                     world, agreement_pdf, login):
    case, document, bank = _case_against_icbc(engine, make_user, make_case, world, agreement_pdf)
    filed = client.post("/api/v1/contacts", headers=auth(world.officer), json=complaint_payload(world.icbc))
    assert filed.status_code == 201, filed.text
    contact_id = filed.json()["id"]
    with unit_of_work(engine) as s:  # as if it had been turned into this case (tests/complaints cover that)
        contact = s.get(Contact, contact_id)
        contact.case_id, contact.status = case.id, "mediation"
        s.add(contact)

    def name_on_page(user):
        login(user)
        page = client.get(f"/complaints/{contact_id}")
        if page.status_code != 200:
            return page
        return client.post(f"/complaints/{contact_id}/representative", follow_redirects=True,
                           data={"name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID,
                                 "csrf_token": csrf_of(page.text)})

    assert name_on_page(world.ccb_staff).status_code == 404  # CCB never sees ICBC's complaint
    named = name_on_page(world.icbc_staff)
    assert named.status_code == 200 and "已指定签署代表" in named.text and "王晓明" in named.text
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "institution.representative_nominated")).one()
    assert entry.subject == f"case:{case.id}" and REP_PHONE not in entry.payload and REP_ID not in entry.payload
    nomination_id = int(re.search(r'"nomination_id": ?(\d+)', entry.payload).group(1))

    # the officer's signing page offers the account and the named person
    login(world.officer)
    signing_page = client.get(f"/cases/{case.id}")
    assert f'value="nomination:{nomination_id}"' in signing_page.text
    assert f'value="account:{world.icbc_staff.id}"' in signing_page.text
    opened = _open(client, auth, world, case, document, {"party_id": bank.id, "nomination_id": nomination_id})
    assert opened.status_code == 201, opened.text
    rep = _representative(engine, opened.json()["id"])
    assert (rep.name, rep.phone, rep.user_id) == ("王晓明", "+8613922223333", None)
