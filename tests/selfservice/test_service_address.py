"""The 送达地址确认书 a party confirms online: kept as they gave it, with their consent to electronic service, and
annexed to the joint application ahead of what an officer recorded for them."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from mediation_svc.cases.models import Case
from mediation_svc.judicial import service_address

from ..web.conftest import csrf_of
from .test_pages import _prove, cases  # noqa: F401 - the fixture

pytestmark = pytest.mark.db


def test_a_party_confirms_the_address_for_service_online(client, engine, cases):  # noqa: F811
    mine, _ = cases
    _prove(client, engine)
    page = client.get(f"/my/cases/{mine.number}")
    assert "送达地址确认书" in page.text
    bad = client.post(f"/my/cases/{mine.number}/service-address", follow_redirects=False,
                      data={"address": "广州市越秀区东风中路100号", "by_email": "on", "csrf_token": csrf_of(page.text)})
    assert "ok=self_address_invalid" in bad.headers["location"]
    good = client.post(f"/my/cases/{mine.number}/service-address", follow_redirects=False,
                       data={"address": "广州市越秀区东风中路100号3楼", "postcode": "510030", "by_sms": "on",
                             "csrf_token": csrf_of(page.text)})
    assert "ok=self_address_confirmed" in good.headers["location"]
    after = client.get(good.headers["location"])
    assert "您已确认送达地址：广州市越秀区东风中路100号3楼" in after.text and "同意电子送达" in after.text
    with Session(engine) as s:
        given = service_address.confirmed(s, case=s.get(Case, mine.id))
    [(party_id, details)] = given.items()
    assert details["phone"] == "+8613800138000" and details["electronic_channels"] == ["sms"]
    recorded = {party_id: {**details, "address": "an officer's note", "electronic_consent": False,
                           "electronic_channels": []}}
    assert service_address.merged(confirmed_online=given, recorded=recorded)[party_id]["address"].endswith("3楼")
