"""Benchmark: the PKI endpoints and the seal, timed through the app (in-process HTTP, no network).

Uses a throw-away key directory, SQLite database (1,000 issued signer certificates, 100 of them revoked, so
the CRL is not empty) and SoftHSM2 token.

1. ``tsa``: ``POST /tsa``, one RFC 3161 request and its signed token.
2. ``ocsp``: ``POST /pki/ocsp`` for a signer certificate: database lookup and a signed OCSP answer.
3. ``crl``: ``GET /pki/issuing.crl``: a freshly signed CRL with 100 entries.
4. ``seal_file`` / ``seal_hsm``: one PAdES B-T seal signature on the real 3-page agreement (rendered from
   ``documents/samples.py``, with its signature fields), key file vs the key inside a SoftHSM2 token through
   PKCS#11, timestamp included; the two interleaved (A B B A).
5. ``retimestamp``: archive renewal of that agreement closed to B-LTA (DSS update and a new document timestamp).

The certificates point at ``http://testserver``, the in-process app the benchmark talks to. Wall and CPU
medians, the load average, and one SUMMARY line per measurement (``make bench``).

    .venv/bin/python bench/pki.py [--runs 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import Samples, interleave, load_text, summary_line  # noqa: E402


def measure(fn, runs: int) -> Samples:
    return interleave({"one": fn}, runs=runs, warmup=1)["one"]


def softhsm_token(directory: Path) -> dict:
    (directory / "tokens").mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bench-seal", "--pin", "1234",
                    "--so-pin", "5678"], check=True, capture_output=True)
    return {"seal_pkcs11_module": Path("/usr/lib/softhsm/libsofthsm2.so"), "seal_pkcs11_token_label": "bench-seal",
            "seal_pkcs11_pin": "1234"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from mediation_svc.app import create_app
    from mediation_svc.config import Settings
    from mediation_svc.db import make_engine
    from mediation_svc.migrations_check import upgrade
    from mediation_svc.pki import hierarchy, service
    from mediation_svc.pki.keystore import KeyStore, init_keys
    from mediation_svc.pki.seal import generate_seal_in_hsm, seal_signer
    from mediation_svc.pki.settings import PkiSettings
    from mediation_svc.pki.tsa import make_timestamper
    from mediation_svc.signing import pades
    from mediation_svc.signing.credentials import lta_context

    tmp = Path(tempfile.mkdtemp(prefix="bench-pki-"))
    store = KeyStore(tmp / "keys", b"bench-passphrase")
    init_keys(store, urls=hierarchy.PkiUrls("http://testserver"))
    settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", key_dir=store.directory,
                        key_passphrase="bench-passphrase", public_base_url="http://testserver", log_json=False,
                        log_level="WARNING", _env_file=None)
    engine = make_engine(settings)
    upgrade(engine)
    now = dt.datetime.now(dt.timezone.utc)
    identity = pades.SignerIdentity("陈秀兰", "440***********1234", "粤正和调〔2026〕第0001号", "申请人")
    urls = hierarchy.PkiUrls("http://testserver")

    def credential():
        return pades.issue_signer_certificate(
            identity=identity, evidence_sha256=bytes(32), issuing_cert=store.certificate(hierarchy.ISSUING),
            issuing_key=store.private_key(hierarchy.ISSUING), chain=(store.certificate(hierarchy.ROOT),),
            urls=urls, now=now, lifetime=dt.timedelta(hours=1))

    with Session(engine) as session:
        creds = [credential() for _ in range(1000)]
        for i, cred in enumerate(creds):
            row = service.record_certificate(session, cred.cert, issuer=hierarchy.ISSUING, purpose="signer")
            if i % 10 == 0:
                row.revoked_at, row.revocation_reason = now, "superseded"
        session.commit()

    client = TestClient(create_app(settings, engine))
    from asn1crypto import algos, tsp
    from pyhanko.sign.timestamps.common_utils import get_nonce

    def tsa():
        req = tsp.TimeStampReq({"version": 1, "message_imprint": tsp.MessageImprint({
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "hashed_message": hashlib.sha256(os.urandom(16)).digest()}), "nonce": get_nonce(), "cert_req": True})
        res = client.post("/tsa", content=req.dump(), headers={"Content-Type": "application/timestamp-query"})
        assert res.status_code == 200

    target = creds[1].cert
    ocsp_der = ocsp.OCSPRequestBuilder().add_certificate(target, store.certificate(hierarchy.ISSUING),
                                                         hashes.SHA256()).build().public_bytes(
        serialization.Encoding.DER)

    def ocsp_post():
        res = client.post("/pki/ocsp", content=ocsp_der, headers={"Content-Type": "application/ocsp-request"})
        assert ocsp.load_der_ocsp_response(res.content).certificate_status == ocsp.OCSPCertStatus.GOOD

    def crl():
        assert client.get("/pki/issuing.crl").status_code == 200

    from mediation_svc.documents import samples
    from mediation_svc.documents.rendering import render_document

    pdf = render_document("mediation_agreement", samples.agreement(), language="zh-CN",
                          document_id="3f2b6c1e-0000-4000-8000-0000000b3c1a", verification_code="BENCHPKI0000SEAL",
                          base_url=settings.public_base_url).pdf
    in_process = make_timestamper(store)
    box = pades.FieldPlacement("seal", -1, None)  # the template's own seal field

    def sealer(signer):
        return lambda: pades.sign(pdf, signer=signer, timestamper=in_process, field=box, appearance_png=None,
                                  reason="调解组织盖章")

    hsm = PkiSettings(_env_file=None, **softhsm_token(tmp / "hsm"))
    generate_seal_in_hsm(store, hsm, urls=urls)
    sealed = sealer(seal_signer(store, PkiSettings(_env_file=None)))()
    with Session(engine) as session:
        lta = pades.close_lta(sealed, timestamper=in_process, context=lta_context(session, store))

    def retimestamp():
        with Session(engine) as session:  # as the archive job does: fresh CRLs, then the new timestamp
            context = lta_context(session, store)
        pades.retimestamp(lta, timestamper=in_process, context=context)

    results = {"tsa": measure(tsa, args.runs), "ocsp": measure(ocsp_post, args.runs),
               "crl_100_entries": measure(crl, args.runs)}
    results.update(interleave({"seal_file": sealer(seal_signer(store, PkiSettings(_env_file=None))),
                               "seal_hsm": sealer(seal_signer(store, hsm))}, runs=args.runs))
    results["retimestamp"] = measure(retimestamp, args.runs)
    print(json.dumps({"pdf_bytes": len(pdf), "results": {k: v.as_dict() for k, v in results.items()},
                      "load_average": load_text()}, indent=2))
    labels = {"tsa": "POST /tsa, one RFC 3161 token", "ocsp": "POST /pki/ocsp, one answer",
              "crl_100_entries": "GET /pki/issuing.crl, 100 entries"}
    for key, label in labels.items():
        print(summary_line(label, results[key]))
    print(summary_line("seal the 3-page agreement, key in SoftHSM2 vs key file", results["seal_hsm"],
                       peer=results["seal_file"]))
    print(summary_line("archive renewal (retimestamp) of the B-LTA agreement", results["retimestamp"]))


if __name__ == "__main__":
    main()
