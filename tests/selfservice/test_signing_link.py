"""What waits for the consumer's signature shows on their case page, and a lost signing SMS can be sent again
to the same phone (the earlier link stops working), a bounded number of times, never past a locked code."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from mediation_svc.db import unit_of_work
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.signing.models import SigningParticipant

from ..signing.test_signer_rules import open_world
from ..web.conftest import csrf_of
from .test_api import MINE
from .test_pages import _prove

pytestmark = pytest.mark.db


@pytest.fixture
def pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<html lang='zh'><body><h1>调解协议书</h1><p>付款人民币壹万元整</p></body></html>").write_pdf()


def _links(engine) -> list[str]:
    with Session(engine) as s:
        return [m.body for m in s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signing.link",
                                                                   OutboxMessage.recipient == "+86" + MINE))]


def test_a_lost_signing_sms_is_sent_again_to_the_same_phone(client, engine, auth, make_user, make_case, pdf):
    world = open_world(client, engine, auth, make_user, make_case, pdf)
    with Session(engine) as s:
        from mediation_svc.cases.models import Case

        number = s.exec(select(Case.number)).first()
        consumer = s.exec(select(SigningParticipant).where(SigningParticipant.request_id == world.request_id,
                                                           SigningParticipant.phone == "+86" + MINE)).one()
    before = len(_links(engine))
    _prove(client, engine)
    page = client.get(f"/my/cases/{number}")
    assert "等待您签署" in page.text and "重新发送签署短信" in page.text
    action = f"/my/cases/{number}/sign/{consumer.id}/resend"
    for _ in range(3):
        sent = client.post(action, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
        assert sent.status_code == 303 and "ok=self_resent" in sent.headers["location"]
    assert len(_links(engine)) == before + 3
    fourth = client.post(action, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert "ok=self_resend_limit" in fourth.headers["location"]
    assert len(_links(engine)) == before + 3


def test_a_locked_code_is_the_centers_to_renew_and_another_signer_is_not_yours(client, engine, auth, make_user,
                                                                              make_case, pdf):
    world = open_world(client, engine, auth, make_user, make_case, pdf)
    with unit_of_work(engine) as s:
        from mediation_svc.cases.models import Case

        number = s.exec(select(Case.number)).first()
        rows = s.exec(select(SigningParticipant).where(SigningParticipant.request_id == world.request_id)).all()
        consumer = next(p for p in rows if p.phone == "+86" + MINE)
        representative = next(p for p in rows if p.kind == "representative")
        consumer.otp_locked = True
        s.add(consumer)
        consumer_id, representative_id = consumer.id, representative.id
    before = len(_links(engine))
    _prove(client, engine)
    page = client.get(f"/my/cases/{number}")
    locked = client.post(f"/my/cases/{number}/sign/{consumer_id}/resend", data={"csrf_token": csrf_of(page.text)},
                         follow_redirects=False)
    assert "ok=self_resend_refused" in locked.headers["location"]
    other = client.post(f"/my/cases/{number}/sign/{representative_id}/resend",
                        data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert "ok=self_resend_refused" in other.headers["location"]
    assert len(_links(engine)) == before
