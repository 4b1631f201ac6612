"""The evidence package's manifest and its JWS, without the database: what a court checks on receipt."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from mediation_svc.judicial.package import MANIFEST, MANIFEST_JWS, build_zip, check_package
from mediation_svc.judicial.service import _sign_bytes
from mediation_svc.pki.keystore import KeyStore
from mediation_svc.verification import attestation

FILES = {"agreement-signed.pdf": b"%PDF-1.7 agreement", "audit-trail.json": b'{"entries": []}',
         "certificates/center-root.cer": b"\x30\x82der"}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("package-keys"), b"package")


def make(store, files=FILES) -> bytes:
    data, _ = build_zip(files, meta={"case_number": "粤正和调〔2026〕第0001号"}, sign=lambda b: _sign_bytes(store, b))
    return data


def rewrite(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = {i.filename: source.read(i) for i in source.infolist()}
    change(entries)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_genuine_package_checks_out_and_is_reproducible(store):
    data = make(store)
    check = check_package(data, attestation.jwks(store))
    assert check.ok, check.problems
    assert {e["name"] for e in check.manifest["files"]} == set(FILES)
    assert check.manifest["case_number"] == "粤正和调〔2026〕第0001号"
    again = zipfile.ZipFile(io.BytesIO(make(store)))
    # same files, same manifest bytes (the JWS differs: ECDSA signatures are randomised)
    assert again.read(MANIFEST) == zipfile.ZipFile(io.BytesIO(data)).read(MANIFEST)


def test_changed_added_and_missing_files_are_named(store):
    keys = attestation.jwks(store)
    changed = rewrite(make(store), lambda e: e.update({"audit-trail.json": b'{"entries": [1]}'}))
    assert check_package(changed, keys).problems == ["audit-trail.json: does not match its SHA-256 in the manifest"]
    added = rewrite(make(store), lambda e: e.update({"extra.pdf": b"%PDF"}))
    assert check_package(added, keys).problems == ["extra.pdf: in the package but not in the manifest"]
    missing = rewrite(make(store), lambda e: e.pop("agreement-signed.pdf"))
    assert check_package(missing, keys).problems == ["agreement-signed.pdf: listed in the manifest but missing"]


def test_a_rewritten_manifest_or_another_key_is_refused(store, tmp_path):
    keys = attestation.jwks(store)

    def forge_manifest(entries):
        manifest = json.loads(entries[MANIFEST])
        manifest["files"][0]["sha256"] = "0" * 64
        entries[MANIFEST] = json.dumps(manifest).encode()

    assert "signs other content" in check_package(rewrite(make(store), forge_manifest), keys).problems[0]
    other = KeyStore(tmp_path, b"other")
    foreign = make(other)
    assert not check_package(foreign, keys).ok  # signed, but not with the center's published key
    no_jws = rewrite(make(store), lambda e: e.pop(MANIFEST_JWS))
    assert check_package(no_jws, keys).problems == ["manifest.json or manifest.jws is missing"]
    assert not check_package(b"not a zip", keys).ok
