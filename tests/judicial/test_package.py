"""The evidence package's manifest and its JWS, without the database: what a court checks on receipt."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile

import pytest
from jose import jws

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


def entries_of(data: bytes) -> list[tuple[str, bytes]]:
    source = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, source.read(i)) for i in source.infolist()]


def zip_of(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", compression=compression) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": writing one is the point of some tests
        for name, body in entries:
            archive.writestr(name, body)
    return out.getvalue()


def test_a_second_entry_of_the_same_name_is_refused_wherever_it_sits(store):
    keys = attestation.jwks(store)
    genuine = entries_of(make(store))
    tampered = ("agreement-signed.pdf", b"%PDF-1.7 tampered")
    for forged in ([tampered, *genuine], [*genuine, tampered]):
        check = check_package(zip_of(forged), keys)
        assert not check.ok and check.files == {}
        assert check.problems == ["package refused: agreement-signed.pdf: more than one entry of this name (tools "
                                  "disagree on which one they extract)"]
    twice = [*genuine, (MANIFEST_JWS, dict(genuine)[MANIFEST_JWS])]
    assert "manifest.jws: more than one entry" in check_package(zip_of(twice), keys).problems[0]


def test_bytes_the_central_directory_does_not_list_are_refused(store):
    """A stream extractor (reading local headers in order) would find entries the directory hides."""
    keys = attestation.jwks(store)
    genuine = make(store)
    hidden = zip_of([("agreement-signed.pdf", b"%PDF-1.7 tampered")])
    local_only = hidden[:zipfile.ZipFile(io.BytesIO(hidden)).start_dir]
    # zipfile and unzip tolerate data in front of the first entry (they shift every offset by its length)
    assert zipfile.ZipFile(io.BytesIO(local_only + genuine)).testzip() is None
    assert check_package(local_only + genuine, keys).problems[0].startswith("package refused: ")
    assert check_package(genuine + b"trailing", keys).problems[0].startswith("package refused: ")
    assert check_package(genuine, keys).ok


def without_directory_record(data: bytes, name: str) -> bytes:
    """The same ZIP with ``name``'s central directory record cut out: its data stays where it was, listed
    nowhere (what a stream extractor would still find)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    start, end = archive.start_dir, data.rindex(b"PK\x05\x06")
    records, position = [], start
    while position < end:
        n, m, k = struct.unpack_from("<3H", data, position + 28)
        records.append(data[position:position + 46 + n + m + k])
        position += 46 + n + m + k
    kept = [r for r in records if r[46:46 + struct.unpack_from("<H", r, 28)[0]].decode() != name]
    directory = b"".join(kept)
    tail = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(kept), len(kept), len(directory), start, 0)
    return data[:start] + directory + tail


def test_an_entry_the_directory_does_not_list_is_refused(store):
    keys = attestation.jwks(store)
    genuine = entries_of(make(store))
    forged = without_directory_record(zip_of([genuine[0], ("agreement-signed.pdf.orig", b"%PDF-1.7 other"),
                                              *genuine[1:]]), "agreement-signed.pdf.orig")
    assert len(zipfile.ZipFile(io.BytesIO(forged)).infolist()) == len(genuine)  # zipfile does not see it
    assert check_package(forged, keys).problems == [
        f"package refused: {genuine[1][0]}: bytes before this entry that no listed entry covers (a hidden entry)"]


def test_decompression_is_bounded_before_anything_is_inflated(store):
    keys = attestation.jwks(store)
    genuine = entries_of(make(store))
    bomb = zip_of([*genuine, ("padding.bin", bytes(8 * 1024 * 1024))])
    assert check_package(bomb, keys).problems == [
        "package refused: padding.bin: expands more than 100 times (a decompression bomb?)"]
    big = zip_of([*genuine, ("big.bin", bytes(3 * 1024 * 1024))], compression=zipfile.ZIP_STORED)
    assert check_package(big, keys, max_bytes=2 * 1024 * 1024).problems == [
        "package refused: the package expands beyond 2 MiB"]
    many = zip_of([*genuine, *((f"f{i}.txt", b"x") for i in range(300))])
    assert check_package(many, keys).problems == ["package refused: 305 entries; a package holds at most 256"]


def test_a_verification_report_jws_is_not_a_manifest(store):
    """The anonymous endpoint signs a report for anyone: its JWS must not pass as a package manifest,
    neither with the report's own typ nor with the manifest's typ over the report key's signature."""
    keys = attestation.jwks(store)
    report = attestation.sign_payload(store, {"indication": "TOTAL_PASSED", "files": []},
                                      typ=attestation.REPORT.typ)
    payload = jws.get_unverified_claims(report)
    forged = zip_of([(MANIFEST, payload), (MANIFEST_JWS, report.encode())])
    check = check_package(forged, keys)
    assert not check.ok and check.manifest is None
    assert check.problems == ["manifest.jws is not the center's manifest signature: the signature does not verify: "
                              "its typ is 'verification-report+jws', where 'evidence-manifest+jws' is expected"]
    # a manifest typ in a JWS made with the report key's algorithm but another key is refused by kid
    other = KeyStore(store.directory / "other", b"other")
    stranger = attestation.sign_bytes(other, payload, typ=attestation.MANIFEST.typ)
    assert "not published" in check_package(zip_of([(MANIFEST, payload), (MANIFEST_JWS, stranger.encode())]),
                                            keys).problems[0]


def test_manifest_and_report_keys_are_published_with_their_purpose(store):
    keys = {k["purpose"]: k for k in attestation.jwks(store)["keys"]}
    assert keys["verification-report"]["jws_typ"] == ["verification-report+jws"]
    assert keys["evidence-manifest"]["jws_typ"] == ["evidence-manifest+jws"]
    assert keys["verification-report"]["kid"] != keys["evidence-manifest"]["kid"]
    manifest_token = zipfile.ZipFile(io.BytesIO(make(store))).read(MANIFEST_JWS).decode()
    assert jws.get_unverified_header(manifest_token)["kid"] == keys["evidence-manifest"]["kid"]
    # a report does not verify as a manifest with the manifest key, and a manifest not as a report
    with pytest.raises(attestation.AttestationInvalid):
        attestation.verify_payload(manifest_token, attestation.jwks(store))
    report = attestation.sign_payload(store, {"ok": True}, typ=attestation.REPORT.typ)
    with pytest.raises(attestation.AttestationInvalid):
        attestation.verify_bytes(report, attestation.jwks(store), typ=attestation.MANIFEST.typ)
    with pytest.raises(ValueError):
        attestation.sign_payload(store, {"ok": True}, typ="anything+jws")


def test_a_manifest_signed_before_the_manifest_key_existed_still_checks_out(store):
    """Packages built before: the report key, with the manifest typ (which reports never carried)."""
    from cryptography.hazmat.primitives import serialization

    report_key = attestation.signing_key(store, attestation.REPORT)
    pem = report_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())

    def legacy_sign(body: bytes) -> str:
        return jws.sign(body, pem, algorithm="ES256", headers={"kid": attestation.public_jwk(report_key)["kid"],
                                                               "typ": "evidence-manifest+jws"})

    data, _ = build_zip(FILES, meta={"case_number": "粤正和调〔2026〕第0001号"}, sign=legacy_sign)
    assert check_package(data, attestation.jwks(store)).ok
