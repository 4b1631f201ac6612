"""The registered file a court is offered is the signed agreement, never a revision of a signing that did not
finish: one rule (signing.store.signed_revision) for the code look-up, the registry match and the case page."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from mediation_svc.documents.models import Document
from mediation_svc.signing.models import SignedRevision, SigningRequest

from ..signing.test_signer_rules import world  # noqa: F401 - the fixture: an open request, consumer and bank
from ..web.test_verification_pages import upload


def test_a_declined_signing_leaves_the_final_pdf_as_the_registered_file(world):  # noqa: F811
    client, engine = world.client, world.engine
    consumer = world.consumer().identify().prepare()
    assert consumer.confirm().status_code == 200  # the consumer signs: one revision
    representative = world.representative().identify()
    declined = client.post("/api/v1/sign/session/decline", headers=representative.headers,
                           json={"reason": "金额有误"})
    assert declined.status_code == 200 and declined.json()["request_status"] == "declined"
    with Session(engine) as s:
        request = s.get(SigningRequest, world.request_id)
        document = s.get(Document, request.document_id)
        partial = s.exec(select(SignedRevision).where(SignedRevision.request_id == world.request_id)).one()
        code, final_sha = document.verification_code, document.sha256
        partial_pdf, partial_sha = partial.pdf, partial.sha256_after
    assert hashlib.sha256(partial_pdf).hexdigest() == partial_sha != final_sha

    looked_up = client.get(f"/api/v1/verify/code/{code}")
    assert looked_up.status_code == 200, looked_up.text
    body = looked_up.json()
    assert body["registered_sha256"] == final_sha, "the half-signed file is not the registered original"
    assert [e["sha256_after"] for e in body["signing_history"]] == [partial_sha]  # kept as evidence
    original = client.get(body["original_url"], headers=world.auth(world.officer))
    assert original.status_code == 200 and hashlib.sha256(original.content).hexdigest() == final_sha

    uploaded = client.post("/api/v1/verify", files={"file": ("partial.pdf", partial_pdf, "application/pdf")})
    registry = uploaded.json()["registry"]
    assert registry["matched"] and registry["match"] == "signed_revision"
    assert registry["latest_revision"] is False and registry["latest_sha256"] == final_sha
    page = upload(client, partial_pdf)
    assert page.status_code == 200 and "不是本中心登记的签署完成文本" in page.text
