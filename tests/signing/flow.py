"""Helpers for the signing-flow tests: a case with a finalised agreement, and a signer walking through the API.

The signer reads the link and the code from the SMS outbox, as a person reads their phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, select

from mediation_svc.accounts.models import User
from mediation_svc.cases.models import Case, CaseParty
from mediation_svc.cases.service import assign_mediator_user, transition
from mediation_svc.cases.states import CaseStatus
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.documents.models import Document
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.signing.demo import PhoneKey

from .conftest import drawn_signature

REP_PHONE = "13922223333"
REP_ID = "440104198806150032"
CONSENT_ZH = None  # read from the signer view


def walk_to_drafting(engine, case_id: int, mediator: User) -> None:
    with unit_of_work(engine) as s:
        case = s.get(Case, case_id)
        transition(s, case=case, target=CaseStatus.ACCEPTED, actor="test")
        assign_mediator_user(s, case=case, mediator=s.get(User, mediator.id), actor="test", reason=None)
        transition(s, case=case, target=CaseStatus.IN_MEDIATION, actor="test")


def finalise_agreement(engine, settings, case_id: int, officer: User) -> Document:
    """Through the documents service, as the documents API does: draft, then finalise (renders the PDF)."""
    from mediation_svc.documents import samples
    from mediation_svc.documents.service import create_draft, finalise

    with unit_of_work(engine) as s:
        case = s.get(Case, case_id)
        actor = s.get(User, officer.id)
        draft, version = create_draft(s, settings, case=case, template_id="mediation_agreement", language="zh-CN",
                                      inputs=samples.agreement(case_number=case.number), note=None, actor=actor)
        return finalise(s, settings, case=case, draft=draft, version=version.version, actor=actor)


def request_on_finalised_agreement(client, engine, settings, auth, make_user, make_case):
    """A case walked to drafting, its agreement finalised (rendered) and a signing request opened on it for the
    consumer and the bank's representative: (officer, case, document, request id)."""
    officer = make_user("case_officer")
    mediator = make_user("mediator", phone="13902000001")
    case = make_case(officer=officer)
    walk_to_drafting(engine, case.id, mediator)
    document = finalise_agreement(engine, settings, case.id, officer)
    bank = institution_party(engine, case.id)
    opened = client.post(f"/api/v1/cases/{case.id}/signing-requests", headers=auth(officer), json={
        "document_id": document.id, "deadline_at": deadline(),
        "representatives": [{"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID}]})
    assert opened.status_code == 201, opened.text
    return officer, case, document, opened.json()["id"]


def insert_final_document(engine, case_id: int, pdf: bytes, *, move_case: bool = True) -> Document:
    """A quick finalised agreement for rule tests (no rendering): the stored bytes are the given PDF."""
    import hashlib

    from mediation_svc.documents.service import generate_verification_code

    with unit_of_work(engine) as s:
        case = s.get(Case, case_id)
        if move_case:
            transition(s, case=case, target=CaseStatus.AGREEMENT_DRAFTED, actor="test")
            transition(s, case=case, target=CaseStatus.SIGNING, actor="test")
        document = Document(case_id=case_id, kind="agreement", title="调解协议书", template_id="mediation_agreement",
                            template_version=1, language="zh-CN", inputs_json="{}", inputs_hash="0" * 64, pdf=pdf,
                            sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), page_count=1,
                            verification_code=generate_verification_code())
        s.add(document)
        s.flush()
        return document


def institution_party(engine, case_id: int) -> CaseParty:
    with Session(engine) as s:
        return s.exec(select(CaseParty).where(CaseParty.case_id == case_id, CaseParty.kind == "institution")).one()


def deadline(days: int = 7) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


def latest_sms(engine, *, kind: str, name: str) -> OutboxMessage | None:
    with Session(engine) as s:
        return s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.recipient_name == name)
                      .order_by(OutboxMessage.id.desc())).first()


def link_from_sms(engine, name: str, kind: str = "signing.link") -> str:
    message = latest_sms(engine, kind=kind, name=name)
    assert message is not None, f"no signing link was sent to {name}"
    return re.search(r"/s/([0-9A-Z]{12})\b", message.body).group(1)


# What the signer's browser does with WebCrypto; the private key lives only in that object (the test plays the
# browser).
BrowserKey = PhoneKey


def sign_with_browser_key(client, headers: dict, key: "BrowserKey | None" = None):
    """The browser's two calls: public key + proof of possession, then its signature over the signed attributes."""
    import base64

    from mediation_svc.signing.remote_key import possession_message

    key = key or BrowserKey()
    view = client.get("/api/v1/sign/session", headers=headers)
    assert view.status_code == 200, view.text
    challenge = view.json()["possession_challenge"]
    prepared = client.post("/api/v1/sign/session/key/prepare", headers=headers, json={
        "public_key_b64": base64.b64encode(key.spki()).decode(),
        "possession_signature_b64": base64.b64encode(key.sign(possession_message(challenge))).decode()})
    if prepared.status_code != 200:
        return prepared
    attrs = base64.b64decode(prepared.json()["signed_attributes_b64"])
    return client.post("/api/v1/sign/session/key/finish", headers=headers,
                       json={"signature_b64": base64.b64encode(key.sign(attrs)).decode()})


def code_from_sms(engine, name: str) -> str:
    message = latest_sms(engine, kind="signing.otp", name=name)
    assert message is not None, f"no code was sent to {name}"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def module_app(database_template, keys_dir, tmp_path_factory, name: str):
    """A migrated database, settings, engine and app of its own, for a module-scoped run (the per-test
    ``client`` fixture would reset the database between tests)."""
    import shutil

    from mediation_svc.app import create_app
    from mediation_svc.config import Settings
    from mediation_svc.db import make_engine

    from ..conftest import PG_URL, TEST_PASSPHRASE

    if PG_URL:
        database_template.reset()
        url = database_template.url.render_as_string(hide_password=False)
    else:
        path = tmp_path_factory.mktemp(name) / f"{name}.db"
        shutil.copyfile(database_template, path)
        url = f"sqlite:///{path}"
    settings = Settings(database_url=url, key_dir=keys_dir, key_passphrase=TEST_PASSPHRASE,
                        public_base_url="http://testserver", log_json=False, log_level="WARNING",
                        password_hash_profile="cheapest", _env_file=None)
    engine = make_engine(settings)
    return settings, engine, create_app(settings, engine)


@dataclass
class Signer:
    client: object
    engine: object
    name: str
    id_last4: str | None
    link: str | None = None
    token: str | None = None
    headers: dict = field(default_factory=dict)
    user_agent: str = "test-phone/1.0 (Android 14; WeChat)"

    def identify(self, link: str | None = None) -> "Signer":
        self.link = link or link_from_sms(self.engine, self.name)
        r = self.client.post("/api/v1/sign/code", json={"link": self.link})
        assert r.status_code == 200, r.text
        body = {"link": self.link, "code": code_from_sms(self.engine, self.name)}
        if self.id_last4:
            body["id_last4"] = self.id_last4
        r = self.client.post("/api/v1/sign/verify", json=body, headers={"User-Agent": self.user_agent})
        assert r.status_code == 200, r.text
        self.token = r.json()["session_token"]
        self.headers = {"Authorization": f"Bearer {self.token}", "User-Agent": self.user_agent}
        return self

    def prepare(self, seed: int = 0) -> "Signer":
        view = self.client.get("/api/v1/sign/session", headers=self.headers)
        assert view.status_code == 200, view.text
        r = self.client.get("/api/v1/sign/session/document", headers=self.headers)
        assert r.status_code == 200 and r.content.startswith(b"%PDF-"), r.text
        r = self.client.post("/api/v1/sign/session/consent", headers=self.headers,
                             json={"consent_text": view.json()["consent_text"]})
        assert r.status_code == 200, r.text
        r = self.client.put("/api/v1/sign/session/drawing", headers={**self.headers, "Content-Type": "image/png"},
                            content=drawn_signature(seed))
        assert r.status_code == 200, r.text
        return self

    def confirm(self):
        """Sign with a key made in the (test's) browser, as the signer's page does."""
        return sign_with_browser_key(self.client, self.headers)

    def identify_as_mediator(self, request_id: int, auth_headers: dict) -> "Signer":
        """The mediator, logged in, signs from the case page: the SMS code, no link."""
        r = self.client.post(f"/api/v1/signing-requests/{request_id}/mediator/code", headers=auth_headers)
        assert r.status_code == 200, r.text
        r = self.client.post(f"/api/v1/signing-requests/{request_id}/mediator/verify", headers=auth_headers,
                             json={"code": code_from_sms(self.engine, self.name)})
        assert r.status_code == 200, r.text
        self.token = r.json()["session_token"]
        self.headers = {"Authorization": f"Bearer {self.token}", "User-Agent": self.user_agent}
        return self
