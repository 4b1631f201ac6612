"""The court's package, built for real (the judicial flow's signed case): the shared evidence is in it, listed
in the signed manifest with its SHA-256, size, who gave it and when; evidence not shared is not."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from sqlmodel import select

from mediation_svc.accounts.models import User
from mediation_svc.app import create_app
from mediation_svc.cases.models import Case
from mediation_svc.config import Settings
from mediation_svc.db import unit_of_work
from mediation_svc.evidence import service as evidence
from mediation_svc.judicial.case_evidence import LIST_NAME
from mediation_svc.judicial.package import check_package
from mediation_svc.judicial.service import build_package
from tests.conftest import TEST_PASSPHRASE
from tests.evidence import files
from tests.judicial.test_confirmation_flow import flow  # noqa: F401 - the module-scoped signed case

pytestmark = pytest.mark.db


def test_the_package_carries_and_lists_the_shared_evidence(flow, keys_dir):  # noqa: F811 - the fixture
    engine = flow["engine"]
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False), key_dir=keys_dir,
                        key_passphrase=TEST_PASSPHRASE, public_base_url="http://testserver", log_json=False,
                        log_level="WARNING", password_hash_profile="cheapest", _env_file=None)
    keystore = create_app(settings, engine).state.keystore
    with unit_of_work(engine) as s:
        case = s.get(Case, flow["case_id"])
        officer = s.exec(select(User).where(User.username == "officer.j")).one()
        shared = evidence.add(s, settings=settings, case=case, uploaded_by="consumer:138****8000", side="consumer",
                              filename="收据.jpg", data=files.jpeg_with_gps())
        kept = evidence.add(s, settings=settings, case=case, uploaded_by="consumer:138****8000", side="consumer",
                            filename="私人.pdf", data=files.pdf())
        evidence.share(s, case=case, item_id=shared.id, shared=True, actor=officer)
        shared_id, shared_sha, kept_sha = shared.id, shared.sha256, kept.sha256
    with unit_of_work(engine) as s:
        officer = s.exec(select(User).where(User.username == "officer.j")).one()
        package = build_package(s, settings, keystore, case=s.get(Case, flow["case_id"]), actor=officer)
        data = package.zip_bytes
    check = check_package(data, flow["jwks"])
    assert check.ok, check.problems
    assert check.manifest is not None
    listed = check.manifest["evidence"]
    assert [(e["filename"], e["sha256"], e["uploaded_by"]) for e in listed] == [
        ("收据.jpg", shared_sha, "consumer:138****8000")]
    assert listed[0]["size"] > 0 and listed[0]["created_at"]
    contents = zipfile.ZipFile(io.BytesIO(data))
    assert hashlib.sha256(contents.read(listed[0]["file"])).hexdigest() == shared_sha
    assert json.loads(contents.read(LIST_NAME))["items"] == listed
    manifest_text = json.dumps(check.manifest, ensure_ascii=False) + contents.read(LIST_NAME).decode()
    assert kept_sha not in manifest_text and "私人" not in manifest_text  # not shared: not in the package
    assert [n for n in contents.namelist() if n.startswith("evidence/")] == sorted([LIST_NAME, listed[0]["file"]])
    assert shared_id == int(listed[0]["file"].split("/")[1].split("-")[0])
