"""The RFC 3161 TSA at POST /tsa, checked with the openssl CLI."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess

import pytest
from pyhanko.sign.timestamps import TimestampRequestError

from mediation_svc.pki import hierarchy
from mediation_svc.pki.keystore import KeyStore
from mediation_svc.pki.tsa import RejectionResp, make_timestamper, token_gen_time


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.mark.parametrize("with_cert", [True, False])
def test_openssl_query_and_verify(client, keys_dir, tmp_path, with_cert):
    data = tmp_path / "agreement.pdf"
    data.write_bytes(b"%PDF-1.7 pretend agreement bytes")
    query = tmp_path / "q.tsq"
    openssl("ts", "-query", "-data", str(data), "-sha256", *(["-cert"] if with_cert else []), "-out", str(query))
    res = client.post("/tsa", content=query.read_bytes(), headers={"Content-Type": "application/timestamp-query"})
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/timestamp-reply"
    reply = tmp_path / "r.tsr"
    reply.write_bytes(res.content)
    root = str(keys_dir / f"{hierarchy.ROOT}.crt.pem")
    extra = [] if with_cert else ["-untrusted", str(keys_dir / f"{hierarchy.TSA}.crt.pem")]
    out = openssl("ts", "-verify", "-in", str(reply), "-queryfile", str(query), "-CAfile", root, *extra)
    assert "Verification: OK" in out.stdout
    # and against the data itself, not only the query
    out = openssl("ts", "-verify", "-in", str(reply), "-data", str(data), "-CAfile", root, *extra)
    assert "Verification: OK" in out.stdout


def test_token_does_not_verify_for_other_data(client, keys_dir, tmp_path):
    (tmp_path / "a").write_bytes(b"original")
    (tmp_path / "b").write_bytes(b"tampered")
    openssl("ts", "-query", "-data", str(tmp_path / "a"), "-sha256", "-cert", "-out", str(tmp_path / "q"))
    res = client.post("/tsa", content=(tmp_path / "q").read_bytes(),
                      headers={"Content-Type": "application/timestamp-query"})
    (tmp_path / "r").write_bytes(res.content)
    out = openssl("ts", "-verify", "-in", str(tmp_path / "r"), "-data", str(tmp_path / "b"),
                  "-CAfile", str(keys_dir / f"{hierarchy.ROOT}.crt.pem"), check=False)
    assert out.returncode != 0 and "Verification: OK" not in out.stdout


def test_weak_digest_and_garbage_are_rejected(client, tmp_path):
    (tmp_path / "a").write_bytes(b"x")
    openssl("ts", "-query", "-data", str(tmp_path / "a"), "-sha1", "-out", str(tmp_path / "q"))
    res = client.post("/tsa", content=(tmp_path / "q").read_bytes(),
                      headers={"Content-Type": "application/timestamp-query"})
    resp = RejectionResp.load(res.content)
    assert resp["status"]["status"].native == "rejection"
    assert resp["status"]["fail_info"].native == {"bad_alg"}
    (tmp_path / "r").write_bytes(res.content)
    assert "Status: Rejected" in openssl("ts", "-reply", "-in", str(tmp_path / "r"), "-text").stdout
    res = client.post("/tsa", content=b"not der", headers={"Content-Type": "application/timestamp-query"})
    assert RejectionResp.load(res.content)["status"]["fail_info"].native == {"bad_data_format"}


def test_wrong_content_type_is_a_problem(client):
    res = client.post("/tsa", content=b"x", headers={"Content-Type": "application/json"})
    assert res.status_code == 415
    assert res.headers["content-type"] == "application/problem+json"


def test_in_process_timestamper_returns_a_token_with_our_time(keys_dir):
    stamper = make_timestamper(KeyStore(keys_dir, b"test-passphrase-not-for-production"))
    token = asyncio.run(stamper.async_timestamp(hashlib.sha256(b"doc").digest(), "sha256"))
    assert token_gen_time(token).tzinfo is not None


def test_unreachable_external_tsa_raises(keys_dir):
    stamper = make_timestamper(None, url="http://127.0.0.1:9/tsa", timeout=2)
    with pytest.raises((TimestampRequestError, OSError)):
        asyncio.run(stamper.async_timestamp(hashlib.sha256(b"doc").digest(), "sha256"))
