"""Drafting an agreement through the API: versions, diff, preview, finalise, supersede, who may do what."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess

from sqlmodel import Session, select

from mediation_svc.audit.chain import verify_chain
from mediation_svc.audit.models import AuditEntry
from mediation_svc.cases.models import Case
from mediation_svc.documents.models import Document
from mediation_svc.documents.rendering import data_attachment

from .conftest import agreement_terms


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))


def drafts_url(case) -> str:
    return f"/api/v1/cases/{case.id}/drafts"


def start_draft(client, auth, dc, **terms) -> dict:
    response = client.post(drafts_url(dc.case), headers=auth(dc.mediator),
                           json={"template_id": "mediation_agreement", "inputs": agreement_terms(**terms),
                                 "note": "初稿"})
    assert response.status_code == 201, response.text
    return response.json()


def test_templates_are_listed_with_their_input_schema(client, auth, make_user):
    officer = make_user("case_officer")
    response = client.get("/api/v1/document-templates", headers=auth(officer))
    assert response.status_code == 200
    listed = {(t["template_id"], t["language"]): t for t in response.json()}
    assert set(listed) >= {("mediation_agreement", "zh-CN"), ("mediation_agreement", "en"),
                           ("session_notice", "zh-CN"), ("neutral_evaluation", "zh-CN"),
                           ("judicial_application", "zh-CN"), ("signing_evidence_report", "zh-CN")}
    schema = listed[("mediation_agreement", "zh-CN")]["inputs_schema"]
    assert {"case_number", "parties", "payments", "dispute_summary"} <= set(schema["properties"])
    assert "dispute_summary" in schema["required"]
    party = make_user("party")
    assert client.get("/api/v1/document-templates", headers=auth(party)).status_code == 403
    missing = client.get("/api/v1/document-templates/no_such_thing", headers=auth(officer))
    assert missing.status_code == 404


def test_draft_versions_diff_preview_finalise(client, auth, drafting_case, engine):
    dc = drafting_case
    draft = start_draft(client, auth, dc)
    assert draft["latest_version"] == 1 and draft["versions"][0]["note"] == "初稿"
    base = f"{drafts_url(dc.case)}/{draft['id']}"

    # The case knew number, parties and mediator; the first save moved it to agreement_drafted.
    v1 = client.get(f"{base}/versions/1", headers=auth(dc.mediator)).json()
    assert v1["inputs"]["case_number"] == dc.case.number
    assert v1["inputs"]["parties"][0]["name"] == "陈秀兰"
    assert v1["inputs"]["mediators"] == [{"name": "张立新", "title": "调解员"}]
    assert client.get(f"/api/v1/cases/{dc.case.id}", headers=auth(dc.officer)).json()["status"] == "agreement_drafted"

    # Version 2: the amount changes and a clause is added.
    inputs = v1["inputs"]
    inputs["payments"][0]["amount"] = "390000.00"
    inputs["clauses"].append("双方确认本协议系在平等自愿基础上签订。")
    saved = client.post(f"{base}/versions", headers=auth(dc.mediator),
                        json={"inputs": inputs, "note": "提高赔付金额", "base_version": 1})
    assert saved.status_code == 201, saved.text
    assert saved.json()["version"] == 2 and saved.json()["inputs_hash"] != v1["inputs_hash"]

    # A colleague still editing version 1 is told, not overwritten.
    stale = client.post(f"{base}/versions", headers=auth(dc.officer), json={"inputs": inputs, "base_version": 1})
    assert stale.status_code == 409
    assert stale.json()["type"] == "urn:mediation-svc:problem:stale-draft-version"
    assert stale.json()["latest_version"] == 2

    versions = client.get(f"{base}/versions", headers=auth(dc.mediator)).json()
    assert [v["version"] for v in versions] == [1, 2]

    diff = client.get(f"{base}/diff", params={"from": 1, "to": 2}, headers=auth(dc.mediator)).json()
    changes = {c["path"]: c for c in diff["changes"]}
    assert changes["payments[0].amount"] == {"path": "payments[0].amount", "change": "changed",
                                             "before": "380000.00", "after": "390000.00"}
    assert changes["clauses[2]"]["change"] == "added"
    assert "-payments[0].amount: 380000.00" in diff["unified"]
    assert "+payments[0].amount: 390000.00" in diff["unified"]

    preview = client.get(f"{base}/versions/2/preview.pdf", headers=auth(dc.mediator))
    assert preview.status_code == 200 and preview.headers["content-type"] == "application/pdf"
    assert "人民币叁拾玖万元整" in pdf_text(preview.content)
    with Session(engine) as session:
        assert session.exec(select(Document)).all() == []  # a preview stores nothing

    # Only the latest version can be finalised.
    old = client.post(f"{base}/finalise", headers=auth(dc.mediator), json={"version": 1})
    assert old.status_code == 409 and old.json()["type"].endswith("stale-draft-version")

    final = client.post(f"{base}/finalise", headers=auth(dc.mediator), json={"version": 2})
    assert final.status_code == 201, final.text
    document = final.json()
    assert document["status"] == "final" and document["template_id"] == "mediation_agreement"
    assert document["template_version"] == 2 and document["draft_version"] == 2
    assert document["inputs_hash"] == saved.json()["inputs_hash"]
    assert client.get(f"/api/v1/cases/{dc.case.id}", headers=auth(dc.officer)).json()["status"] == "signing"

    pdf = client.get(document["pdf_url"], headers=auth(dc.mediator))
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.content).hexdigest() == document["sha256"] == pdf.headers["x-document-sha256"]
    text = pdf_text(pdf.content)
    assert "人民币叁拾玖万元整" in text and "草稿" not in text
    code = document["verification_code"]
    assert "-".join(code[i:i + 4] for i in range(0, 16, 4)) in text and document["id"] in text
    attached = data_attachment(pdf.content)
    assert attached["inputs_hash"] == document["inputs_hash"] and attached["document_id"] == document["id"]

    # Frozen: no new version, no second finalisation.
    refused = client.post(f"{base}/versions", headers=auth(dc.mediator), json={"inputs": inputs})
    assert refused.status_code == 409 and refused.json()["type"].endswith("document-finalised")
    again = client.post(f"{base}/finalise", headers=auth(dc.mediator), json={"version": 2})
    assert again.status_code == 409 and again.json()["type"].endswith("document-finalised")

    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.case_id == dc.case.id)
                                                   .order_by(AuditEntry.seq))]
        assert actions.count("document.draft_saved") == 2
        assert "document.draft_created" in actions and "document.finalised" in actions
        finalised = session.exec(select(AuditEntry).where(AuditEntry.action == "document.finalised")).one()
        assert finalised.subject == f"document:{document['id']}"
        assert verify_chain(session).ok


def test_parties_and_courts_read_finalised_documents_others_see_nothing(client, auth, drafting_case, make_user):
    dc = drafting_case
    draft = start_draft(client, auth, dc)
    document = client.post(f"{drafts_url(dc.case)}/{draft['id']}/finalise", headers=auth(dc.officer),
                           json={"version": 1}).json()
    for reader in (dc.party, dc.court):
        listed = client.get(f"/api/v1/cases/{dc.case.id}/documents", headers=auth(reader))
        assert listed.status_code == 200 and [d["id"] for d in listed.json()] == [document["id"]]
        pdf = client.get(document["pdf_url"], headers=auth(reader))
        assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == document["sha256"]
        # ... but they do not draft.
        assert client.get(drafts_url(dc.case), headers=auth(reader)).status_code == 403
        assert client.post(f"/api/v1/documents/{document['id']}/supersede", headers=auth(reader),
                           json={"reason": "不同意"}).status_code == 403

    other_mediator, other_party = make_user("mediator"), make_user("party")
    for outsider in (other_mediator, other_party):
        assert client.get(document["pdf_url"], headers=auth(outsider)).status_code == 404
        assert client.get(f"/api/v1/documents/{document['id']}", headers=auth(outsider)).status_code == 404
    assert client.post(drafts_url(dc.case), headers=auth(other_mediator),
                       json={"inputs": agreement_terms()}).status_code == 404
    assert client.get(document["pdf_url"]).status_code == 401


def test_missing_and_malformed_inputs_are_all_listed(client, auth, drafting_case, engine):
    dc = drafting_case
    terms = agreement_terms()
    del terms["dispute_summary"]
    terms["payments"][0]["amount"] = "-5"
    terms["payments"][1]["due_date"] = "soon"
    terms["copies"] = 0
    response = client.post(drafts_url(dc.case), headers=auth(dc.mediator), json={"inputs": terms})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:mediation-svc:problem:invalid-input"
    locs = {".".join(map(str, e["loc"])) for e in body["errors"]}
    assert {"inputs.dispute_summary", "inputs.payments.0.amount", "inputs.payments.1.due_date",
            "inputs.copies"} <= locs
    with Session(engine) as session:  # nothing half-made: no draft, the case did not move
        assert session.get(Case, dc.case.id).status == "in_mediation"
        assert session.exec(select(AuditEntry).where(AuditEntry.action.like("document.%"))).all() == []


def test_supersede_voids_the_old_document_and_finalises_a_new_one(client, auth, drafting_case, engine):
    dc = drafting_case
    draft = start_draft(client, auth, dc)
    base = f"{drafts_url(dc.case)}/{draft['id']}"
    old = client.post(f"{base}/finalise", headers=auth(dc.mediator), json={"version": 1}).json()

    response = client.post(f"/api/v1/documents/{old['id']}/supersede", headers=auth(dc.mediator),
                           json={"reason": "被申请人要求更正开户行名称",
                                 "inputs": {"copies": 4}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["voided"]["status"] == "voided" and body["voided"]["void_reason"] == "被申请人要求更正开户行名称"
    assert body["draft"]["latest_version"] == 2
    assert client.get(f"/api/v1/cases/{dc.case.id}", headers=auth(dc.officer)).json()["status"] == "agreement_drafted"

    # The voided one can be neither superseded again nor changed, and is still downloadable as it was.
    again = client.post(f"/api/v1/documents/{old['id']}/supersede", headers=auth(dc.mediator),
                        json={"reason": "再次"})
    assert again.status_code == 409 and again.json()["type"].endswith("document-finalised")
    kept = client.get(old["pdf_url"], headers=auth(dc.party))
    assert hashlib.sha256(kept.content).hexdigest() == old["sha256"]

    new = client.post(f"{base}/finalise", headers=auth(dc.mediator), json={"version": 2})
    assert new.status_code == 201, new.text
    new = new.json()
    assert new["supersedes_id"] == old["id"] and new["sha256"] != old["sha256"]
    assert new["verification_code"] != old["verification_code"]
    assert "本协议一式四份" in pdf_text(client.get(new["pdf_url"], headers=auth(dc.mediator)).content)
    statuses = {d["id"]: d["status"] for d in
                client.get(f"/api/v1/cases/{dc.case.id}/documents", headers=auth(dc.court)).json()}
    assert statuses == {old["id"]: "voided", new["id"]: "final"}
    with Session(engine) as session:
        voided = session.exec(select(AuditEntry).where(AuditEntry.action == "document.voided")).one()
        assert json.loads(voided.payload)["sha256"] == old["sha256"]
        assert session.get(Case, dc.case.id).status == "signing"


def test_other_documents_do_not_move_the_case(client, auth, drafting_case):
    from mediation_svc.documents import samples

    dc = drafting_case
    notice = {k: v for k, v in samples.session_notice().items() if k not in ("case_number", "center_name",
                                                                             "parties", "mediators", "issued_on")}
    created = client.post(drafts_url(dc.case), headers=auth(dc.officer),
                          json={"template_id": "session_notice", "inputs": notice})
    assert created.status_code == 201, created.text
    final = client.post(f"{drafts_url(dc.case)}/{created.json()['id']}/finalise", headers=auth(dc.officer),
                        json={"version": 1})
    assert final.status_code == 201 and final.json()["kind"] == "session_notice"
    assert client.get(f"/api/v1/cases/{dc.case.id}", headers=auth(dc.officer)).json()["status"] == "in_mediation"
