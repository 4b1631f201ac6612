"""Roster upkeep through the API: mediators, pools, experts, CSV import and export, expert invitations."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, select

from mediation_svc.accounts.models import User
from mediation_svc.audit.chain import case_trail
from mediation_svc.cases.models import Institution
from mediation_svc.rosters.models import Mediator

from .conftest import mediator_payload

HEADER = ("username,name,background,years_of_practice,specialties,languages,cities,remote_capable,"
          "max_active_cases,status,certifications,affiliations,pools\n")


def _import(client, headers, text: str, encoding: str = "utf-8"):
    return client.post("/api/v1/rosters/mediators.csv", headers=headers,
                       files={"file": ("roster.csv", text.encode(encoding), "text/csv")})


def test_create_read_update_mediator(client, auth, officer):
    r = client.post("/api/v1/mediators", headers=auth(officer), json=mediator_payload(
        1, affiliations=[{"credit_code": "91440000723823PJ04", "institution_name": "某保险公司", "relation": "任职",
                          "started_on": "2010-01-01", "ended_on": "2018-12-31"}]))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["username"] == "med1" and created["languages"] == ["普通话", "粤语"]
    assert created["certification_valid_until"] == "2099-12-31"
    assert created["affiliations"][0]["credit_code"] == "91440000723823PJ04"
    update = mediator_payload(1, status="suspended", status_reason="停职审查", max_active_cases=3)
    r = client.put(f"/api/v1/mediators/{created['id']}", headers=auth(officer), json=update)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "suspended" and r.json()["affiliations"] == []
    listed = client.get("/api/v1/mediators", params={"status": "suspended"}, headers=auth(officer)).json()
    assert [m["id"] for m in listed] == [created["id"]]


def test_mediator_validation(client, auth, officer, make_user):
    bad = client.post("/api/v1/mediators", headers=auth(officer),
                      json=mediator_payload(1, specialties=["astrology"]))
    assert bad.status_code == 422 and "astrology" in bad.text
    party = make_user("party")
    wrong_role = client.post("/api/v1/mediators", headers=auth(officer),
                             json=mediator_payload(2, username=None, user_id=party.id))
    assert wrong_role.status_code == 422 and "role" in wrong_role.text
    no_lang = client.post("/api/v1/mediators", headers=auth(officer), json=mediator_payload(3, languages=[" "]))
    assert no_lang.status_code == 422
    cert = client.post("/api/v1/mediators", headers=auth(officer), json=mediator_payload(
        4, certifications=[{"name": "证书", "issued_on": "2025-01-01", "expires_on": "2024-01-01"}]))
    assert cert.status_code == 422
    first = client.post("/api/v1/mediators", headers=auth(officer), json=mediator_payload(5))
    assert first.status_code == 201
    assert client.post("/api/v1/mediators", headers=auth(officer), json=mediator_payload(5)).status_code == 409
    mediator_user = make_user("mediator")
    assert client.post("/api/v1/mediators", headers=auth(mediator_user),
                       json=mediator_payload(6)).status_code == 403


def test_csv_import_reports_bad_rows_by_line_and_imports_nothing(client, auth, officer, engine):
    client.post("/api/v1/pools", headers=auth(officer), json={"name": "保险理赔", "categories": ["insurance_claim"]})
    text = HEADER + (
        "lin.hm,林慧敏,insurance,12,insurance_claim;surrender,普通话;粤语,广州;佛山,是,8,active,"
        "人民调解员资格证书|GD-001|2028-06-30,,保险理赔\n"
        "zhao.lx,赵立新,astrology,5,loan,普通话,北京,否,5,active,,,\n"                       # line 3: background
        "wang.jg,王建国,finance,7,loan,普通话,深圳,maybe,5,active,,,\n"                      # line 4: remote
        "chen.x,陈晓,law,3,loan,普通话,深圳,否,5,active,证书|X|2025-13-01,,\n"                 # line 5: date
        "\"huang\nli\",黄丽,law,3,loan,普通话,深圳,否,5,active,,,未知库\n"                     # lines 6-7: pool
        "lin.hm,林慧敏,law,3,loan,普通话,深圳,否,5,active,,,\n"                              # line 8: duplicate
    )
    r = _import(client, auth(officer), text)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    by_line = {}
    for e in errors:
        by_line.setdefault(e["line"], []).append(e)
    assert sorted(by_line) == [3, 4, 5, 7, 8]
    assert by_line[3][0]["column"] == "background"
    assert "remote_capable" in by_line[4][0]["msg"]
    assert by_line[5][0]["column"] == "certifications"
    assert "未知库" in by_line[7][0]["msg"]
    assert "line 2" in by_line[8][0]["msg"]
    assert "nothing was imported" in r.json()["detail"]
    with Session(engine) as s:
        assert s.exec(select(Mediator)).all() == []
        assert s.exec(select(User).where(User.username == "lin.hm")).first() is None


def test_csv_import_then_export_round_trips(client, auth, officer, engine):
    client.post("/api/v1/pools", headers=auth(officer), json={"name": "保险理赔", "categories": ["insurance_claim"]})
    text = HEADER + (
        "lin.hm,林慧敏,insurance,12,insurance_claim;surrender,普通话、粤语,广州；佛山,是,8,active,"
        "人民调解员资格证书|GD-001|2028-06-30,91440000723823PJ04|某人寿保险公司|任职|2008-01-01|2016-05-31,保险理赔\n"
        "zhao.lx,赵立新,finance,5,loan,普通话,北京,否,5,suspended,,,\n")
    r = _import(client, auth(officer), text)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 2, "updated": 0}
    mediators = client.get("/api/v1/mediators", headers=auth(officer)).json()
    lin = next(m for m in mediators if m["username"] == "lin.hm")
    assert lin["languages"] == ["普通话", "粤语"] and lin["cities"] == ["广州", "佛山"] and lin["remote_capable"]
    assert lin["certifications"][0]["expires_on"] == "2028-06-30" and len(lin["pool_ids"]) == 1
    assert lin["affiliations"][0]["ended_on"] == "2016-05-31"

    exported = client.get("/api/v1/rosters/mediators.csv", headers=auth(officer))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["username"] for r in rows] == ["lin.hm", "zhao.lx"]
    assert rows[0]["pools"] == "保险理赔" and rows[1]["status"] == "suspended"
    again = client.post("/api/v1/rosters/mediators.csv", headers=auth(officer),
                        files={"file": ("r.csv", exported.content, "text/csv")})
    assert again.status_code == 200 and again.json() == {"created": 0, "updated": 2}
    # Re-importing replaces certification and affiliation rows, so only their ids may change.
    assert _without_child_ids(client.get("/api/v1/mediators", headers=auth(officer)).json()) == \
        _without_child_ids(mediators)


def test_csv_names_holding_a_dunhao_survive_import_and_export(client, auth, officer):
    """、 separates short words (languages, cities) as people type them, never a name: a pool, a certificate,
    an institution or a qualification may hold one, and the export must read back as it was written."""
    pool = "理财、存款纠纷调解员库"
    assert client.post("/api/v1/pools", headers=auth(officer),
                       json={"name": pool, "categories": ["wealth_management"]}).status_code == 201
    institution = "某银行股份有限公司信用卡、消费金融部"
    text = HEADER + (f"wu.q,吴倩,finance,9,wealth_management,普通话、粤语,广州、佛山,否,6,active,"
                     f"人民调解员、仲裁员资格|GD-009|2029-01-31,91440000723823PJ04|{institution}|任职|2012-03-01|2019-07-31,{pool}\n")
    r = _import(client, auth(officer), text)
    assert r.status_code == 200, r.text
    [wu] = client.get("/api/v1/mediators", headers=auth(officer)).json()
    assert wu["languages"] == ["普通话", "粤语"] and wu["cities"] == ["广州", "佛山"]
    assert [c["name"] for c in wu["certifications"]] == ["人民调解员、仲裁员资格"]
    assert [a["institution_name"] for a in wu["affiliations"]] == [institution]
    assert len(wu["pool_ids"]) == 1
    exported = client.get("/api/v1/rosters/mediators.csv", headers=auth(officer)).content
    again = client.post("/api/v1/rosters/mediators.csv", headers=auth(officer),
                        files={"file": ("r.csv", exported, "text/csv")})
    assert again.status_code == 200 and again.json() == {"created": 0, "updated": 1}, again.text
    assert _without_child_ids(client.get("/api/v1/mediators", headers=auth(officer)).json()) == \
        _without_child_ids([wu])

    experts = ("username,name,field,qualifications,cities\n"
               "prof.wu,吴教授,legal,律师、仲裁员双重执业资格;法学教授,广州、深圳\n")
    r = client.post("/api/v1/rosters/experts.csv", headers=auth(officer),
                    files={"file": ("e.csv", experts.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    [expert] = client.get("/api/v1/experts", headers=auth(officer)).json()
    assert expert["qualifications"] == ["律师、仲裁员双重执业资格", "法学教授"]
    assert expert["cities"] == ["广州", "深圳"]


def _without_child_ids(mediators: list[dict]) -> list[dict]:
    return [{**m, **{key: [{k: v for k, v in child.items() if k != "id"} for child in m[key]]
                     for key in ("certifications", "affiliations")}} for m in mediators]


def test_csv_import_accepts_gb18030_from_older_excel(client, auth, officer):
    r = _import(client, auth(officer), HEADER + "zhou.p,周平,law,20,,普通话;潮汕话,汕头,否,6,active,,,\n",
                encoding="gb18030")
    assert r.status_code == 200, r.text
    [m] = client.get("/api/v1/mediators", headers=auth(officer)).json()
    assert m["name"] == "周平" and m["languages"] == ["普通话", "潮汕话"]


def test_csv_header_must_have_required_columns(client, auth, officer):
    r = _import(client, auth(officer), "username,name\nx.y,某人\n")
    assert r.status_code == 422
    assert {e["column"] for e in r.json()["errors"]} == {"background", "languages"}
    assert all(e["line"] == 1 for e in r.json()["errors"])


def test_expert_csv_import_and_export(client, auth, officer):
    text = ("username,name,field,title,organisation,qualifications,cities,availability,availability_note,active,"
            "affiliations\n"
            "prof.li,李教授,actuarial,教授,中山大学,北美精算师;中国精算师,广州,available,,是,\n"
            "dr.he,何医生,surgery,主任医师,省人民医院,,广州,available,,是,\n")
    r = client.post("/api/v1/rosters/experts.csv", headers=auth(officer),
                    files={"file": ("e.csv", text.encode(), "text/csv")})
    assert r.status_code == 422 and [e["line"] for e in r.json()["errors"]] == [3]
    ok = text.replace("surgery", "medical")
    r = client.post("/api/v1/rosters/experts.csv", headers=auth(officer),
                    files={"file": ("e.csv", ok.encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["created"] == 2
    exported = client.get("/api/v1/rosters/experts.csv", headers=auth(officer)).content.decode("utf-8-sig")
    assert "北美精算师;中国精算师" in exported and "dr.he" in exported


def test_expert_invitation_acceptance_and_opinion(client, auth, officer, engine, accepted_case):
    case = accepted_case()
    r = client.post("/api/v1/experts", headers=auth(officer), json={
        "username": "prof.li", "name": "李教授", "field": "medical", "title": "主任医师",
        "qualifications": ["执业医师"], "cities": ["广州"]})
    assert r.status_code == 201, r.text
    expert = r.json()
    with Session(engine) as s:
        expert_user = s.get(User, expert["user_id"])
    # Before the invitation the expert cannot see the case.
    assert client.get(f"/api/v1/cases/{case.id}", headers=auth(expert_user)).status_code == 404
    r = client.post(f"/api/v1/cases/{case.id}/expert-invitations", headers=auth(officer), json={
        "expert_id": expert["id"], "purpose": "neutral_evaluation", "question": "申请人所患疾病是否属于投保前既往症？"})
    assert r.status_code == 201, r.text
    invitation = r.json()
    # Invited, not yet accepted: the expert reads the invitation (purpose, question) and nothing of the case.
    assert client.get(f"/api/v1/cases/{case.id}", headers=auth(expert_user)).status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}/audit", headers=auth(expert_user)).status_code == 404
    own = client.get(f"/api/v1/cases/{case.id}/expert-invitations", headers=auth(expert_user))
    assert own.status_code == 200 and own.json()[0]["question"].startswith("申请人所患疾病")
    early = client.post(f"/api/v1/expert-invitations/{invitation['id']}/opinion", headers=auth(expert_user),
                        json={"opinion": "尚未接受邀请时提交的意见，不应被接受。"})
    assert early.status_code == 409
    r = client.post(f"/api/v1/expert-invitations/{invitation['id']}/response", headers=auth(expert_user),
                    json={"accept": True})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert client.get(f"/api/v1/cases/{case.id}", headers=auth(expert_user)).status_code == 200
    # an accepted expert still reads neither the audit trail nor the documents (security.access)
    assert client.get(f"/api/v1/cases/{case.id}/audit", headers=auth(expert_user)).status_code == 403
    assert client.get(f"/api/v1/cases/{case.id}/documents", headers=auth(expert_user)).status_code == 403
    r = client.post(f"/api/v1/expert-invitations/{invitation['id']}/opinion", headers=auth(expert_user),
                    json={"opinion": "根据病历，确诊时间晚于投保日期两年，不属于既往症。"})
    assert r.status_code == 200 and r.json()["status"] == "opinion_submitted"
    listed = client.get(f"/api/v1/cases/{case.id}/expert-invitations", headers=auth(officer)).json()
    assert listed[0]["opinion"].startswith("根据病历")
    with Session(engine) as s:
        actions = [e.action for e in case_trail(s, case.id)]
    assert ["rosters.expert_invited", "rosters.expert_invitation_answered",
            "rosters.expert_opinion_submitted"] == [a for a in actions if a.startswith("rosters.expert")]


def test_expert_with_a_tie_to_the_respondent_is_refused(client, auth, officer, engine, accepted_case):
    case = accepted_case()
    with Session(engine) as s:
        inst = s.get(Institution, case.institution_id)
    expert = client.post("/api/v1/experts", headers=auth(officer), json={
        "username": "act.wu", "name": "吴精算", "field": "actuarial",
        "affiliations": [{"institution_id": inst.id, "relation": "顾问", "started_on": "2020-01-01"}]}).json()
    r = client.post(f"/api/v1/cases/{case.id}/expert-invitations", headers=auth(officer), json={
        "expert_id": expert["id"], "purpose": "consultation", "question": "保费计算是否合理？"})
    assert r.status_code == 409 and r.json()["type"].endswith("expert-conflict")
    assert inst.name in r.json()["detail"]
