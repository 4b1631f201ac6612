"""Benchmark: time to verify a 4-signature PAdES B-LTA agreement (issue 7), side by side in the same run with
poppler's ``pdfsig`` and pyHanko's own command-line validator (``pyhanko sign adesverify``) on the same file.

The file: the real agreement template rendered by WeasyPrint, signed by two parties and the mediator
(one-time signer certificates) and the center's seal, then closed to B-LTA (DSS with CRLs, document
timestamp) with a throw-away key directory. Measured:

1. ``verify_pdf``: our report in process (pyHanko AdES LTA validation and difference analysis for every
   signature, the document timestamp, revocation sources, file-structure checks): the endpoint's work.
2. ``endpoint``: POST /api/v1/verify through the ASGI app (multipart parsing, registry look-up in SQLite,
   JSON serialisation), in process with Starlette's TestClient.
3. ``mediation-svc verify --json`` as a subprocess (includes Python start-up and imports).
4. ``pdfsig -nssdir <db with our root> -no-ocsp`` as a subprocess (C++, CMS check per signature only; it
   says "Signature is Valid." for a page replaced after signing).
5. ``pyhanko sign adesverify --trust root --executive-summary`` as a subprocess (Python start-up included).

Subprocess figures include process start-up, which is what a person running the tool waits for. CPU time
(``time.process_time``) is printed beside the in-process wall time: on a shared 2-core machine the wall
time includes waiting for a core.

    .venv/bin/python bench/verify.py [--runs 30] [--tool-runs 10]

Target: ``verify_pdf`` median under 250 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT_DIR))


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"runs": len(samples), "median_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1),
            "min_ms": round(ordered[0], 1), "max_ms": round(ordered[-1], 1)}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def build_agreement(work: Path):
    import datetime as dt

    from mediation_svc.documents import samples
    from mediation_svc.documents.rendering import render_document
    from mediation_svc.pki import hierarchy
    from mediation_svc.pki.keystore import KeyStore, init_keys
    from mediation_svc.pki.revocation import build_crl
    from mediation_svc.pki.tsa import make_timestamper
    from mediation_svc.signing import pades

    keystore = KeyStore(work / "keys", b"bench")
    init_keys(keystore)
    stamper = make_timestamper(keystore)
    now = dt.datetime.now(dt.timezone.utc)
    pdf = render_document("mediation_agreement", samples.agreement(), language="zh-CN", version=1,
                          document_id="3f2b6c1e-0000-4000-8000-000000000007", verification_code="BENCH0000000VRFY",
                          base_url="http://127.0.0.1:8000").pdf
    root, issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)
    urls = hierarchy.PkiUrls("http://127.0.0.1:8000")
    people = [("陈秀兰", "440***********1237", "申请人"), ("王晓明", "440***********0031", "被申请人代理人"),
              ("陈国栋", None, "调解员")]

    def context():
        """Fresh CRLs, issued after the signature they are for (as the signing service makes them)."""
        at = dt.datetime.now(dt.timezone.utc)
        crls = [build_crl(issuer_cert=root, issuer_key=keystore.private_key(hierarchy.ROOT), revoked=[], now=at,
                          validity=timedelta(days=7)),
                build_crl(issuer_cert=issuing, issuer_key=keystore.private_key(hierarchy.ISSUING), revoked=[],
                          now=at, validity=timedelta(days=7))]
        return pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls)

    for index, (name, masked, role) in enumerate(people):
        cred = pades.issue_signer_certificate(
            identity=pades.SignerIdentity(name, masked, "粤正和调〔2026〕第0128号", role), evidence_sha256=bytes(32),
            issuing_cert=issuing, issuing_key=keystore.private_key(hierarchy.ISSUING), chain=(root,), urls=urls,
            now=now, lifetime=timedelta(hours=1))
        pdf = pades.sign(pdf, signer=cred.pyhanko_signer(), timestamper=stamper,
                         field=pades.FieldPlacement(f"party-{index}", -1, (36 + 132 * index, 40, 156 + 132 * index, 110)),
                         appearance_png=None, reason=f"{role}签署", validation_context=context)
        cred.destroy()
    seal = pades.key_signer(keystore.certificate(hierarchy.SEAL), keystore.private_key(hierarchy.SEAL), (issuing, root))
    pdf = pades.sign(pdf, signer=seal, timestamper=stamper, field=pades.FieldPlacement("seal", -1, (432, 40, 552, 110)),
                     appearance_png=None, reason="调解组织盖章", validation_context=context)
    return keystore, pades.close_lta(pdf, timestamper=stamper, context=context())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="in-process runs")
    parser.add_argument("--tool-runs", type=int, default=10, help="runs of each command-line tool")
    args = parser.parse_args()
    import logging

    logging.getLogger("pyhanko").setLevel(logging.ERROR)

    from fastapi.testclient import TestClient

    from mediation_svc.app import create_app
    from mediation_svc.config import Settings
    from mediation_svc.db import make_engine
    from mediation_svc.migrations_check import upgrade
    from mediation_svc.pki import hierarchy
    from mediation_svc.security.passwords import use_profile
    from mediation_svc.verification.report import verify_pdf

    use_profile("cheapest")
    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    keystore, lta = build_agreement(work)
    path = work / "agreement-b-lta.pdf"
    path.write_bytes(lta)
    root_pem = keystore.cert_path(hierarchy.ROOT)
    root = keystore.certificate(hierarchy.ROOT)

    report = verify_pdf(lta, trust_roots=[root])
    assert report.indication.value == "TOTAL_PASSED", report.summary
    assert len([s for s in report.signatures if s.kind == "signature"]) == 4
    in_process, cpu = [], []
    for _ in range(args.runs):
        started = time.process_time()
        in_process.append(timed(lambda: verify_pdf(lta, trust_roots=[root])))
        cpu.append((time.process_time() - started) * 1000)

    settings = Settings(database_url=f"sqlite:///{work}/bench.db", key_dir=work / "keys", key_passphrase="bench",
                        public_base_url="http://127.0.0.1:8000", log_json=False, log_level="WARNING",
                        password_hash_profile="cheapest", _env_file=None)
    engine = make_engine(settings)
    upgrade(engine)
    with TestClient(create_app(settings, engine)) as client:
        def post():
            r = client.post("/api/v1/verify", files={"file": ("a.pdf", lta, "application/pdf")})
            assert r.status_code == 200 and r.json()["indication"] == "TOTAL_PASSED", r.text
        post()
        endpoint = [timed(post) for _ in range(args.runs)]

    env = {**os.environ, "MEDIATION_KEY_DIR": str(work / "keys"), "MEDIATION_KEY_PASSPHRASE": "bench"}
    venv_bin = Path(sys.executable).parent
    nss = work / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "center-root", "-t", "CT,C,C", "-i", str(root_pem)],
                   check=True, capture_output=True)
    tools = {
        "mediation_svc_cli": [str(venv_bin / "mediation-svc"), "verify", str(path), "--json", "--trust", str(root_pem)],
        "pdfsig": ["pdfsig", "-nssdir", str(nss), "-no-ocsp", str(path)],
        "pyhanko_cli_adesverify": [str(venv_bin / "pyhanko"), "sign", "adesverify", "--trust", str(root_pem),
                                   "--trust-replace", "--executive-summary", str(path)],
    }
    results = {}
    for name, command in tools.items():
        first = subprocess.run(command, capture_output=True, text=True, env=env)
        verdict = {"exit_code": first.returncode,
                   "says": " | ".join(line for line in first.stdout.splitlines()
                                      if "Signature Validation" in line or ":VALID" in line or ":INVALID" in line
                                      or line.strip().startswith('"indication"'))[:300]}
        samples = [timed(lambda: subprocess.run(command, capture_output=True, env=env)) for _ in range(args.tool_runs)]
        results[name] = {**summary(samples), **verdict}
    print(json.dumps({"file_bytes": len(lta), "signatures": 4, "document_timestamps": 1,
                      "verify_pdf_in_process": summary(in_process), "verify_pdf_cpu_time": summary(cpu),
                      "endpoint_post_api_v1_verify": summary(endpoint),
                      "command_line_tools": results, "load_average": os.getloadavg()}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
