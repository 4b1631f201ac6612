"""Benchmark: server time for one remote signature, and for closing a 4-signature agreement to PAdES B-LTA.

Uses a throw-away key directory and SQLite database, the real agreement template rendered by WeasyPrint,
and the center's in-process RFC 3161 TSA (no network hop; an external TSA adds its round trip).

1. ``signature``: what the server does when a signer confirms: issue the one-time signer certificate
   (P-256, issuing CA), sign PAdES B-T with the drawn signature as appearance, fetch the RFC 3161 token.
2. ``remote_key_with_db``: one remote signature with the key in the signer's browser, through the service with
   the database: ``prepare_browser_key`` (proof of possession, evidence, the certificate for the browser's key,
   the PDF placeholder and the CMS signed attributes) + ``finish_browser_key`` (check the browser's signature,
   the RFC 3161 token, embed, new revision, audit). The browser's own ECDSA operations are not counted.
4. ``browser_signing_step``: the browser's part in Debian's Chromium (headless, WebCrypto): make the
   non-extractable P-256 key, export its public key, sign the possession challenge and the signed attributes.
3. ``close_lta``: the center's CRLs, DSS with every chain and revocation answer, the document timestamp,
   on an agreement carrying two parties', the mediator's and the seal's signatures.
5. ``close_vs_timestamp`` (issue 19): ``close_lta`` interleaved (A B B A) with a bare pyHanko document
   timestamp on the same file (``PdfTimeStamper.timestamp_pdf`` with the same validation context, so that it
   embeds the TSA's chain and the context's CRLs: the revocation data a close must embed), on agreements
   with 1, 2, 4 and 8 signatures. Both build their context from the same CRLs inside the timer.

    .venv/bin/python bench/sign.py [--runs 30] [--signatures 1,2,4,8] [--close-only]

Targets: signature median under 150 ms; close_lta median under 400 ms; close_lta at most 2x the bare
document timestamp (issue 19).
"""

from __future__ import annotations

import argparse
import io
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw  # noqa: E402


def drawing(seed: int) -> bytes:
    image = Image.new("RGBA", (360, 140), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20 + 40 * i, 70 + ((i * 37 + seed * 13) % 50) - 25) for i in range(9)], fill=(10, 10, 60, 255),
              width=7)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"runs": len(samples), "median_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1),
            "min_ms": round(ordered[0], 1), "max_ms": round(ordered[-1], 1)}


CPU_MS: dict[str, list[float]] = {}


def timed(fn, label: str = "") -> tuple[float, object]:
    """Wall time in ms; the process CPU time goes to CPU_MS[label] (on a shared machine the wall time also
    counts waiting for a core, the CPU time does not)."""
    cpu, start = time.process_time(), time.perf_counter()
    result = fn()
    CPU_MS.setdefault(label, []).append((time.process_time() - cpu) * 1000)
    return (time.perf_counter() - start) * 1000, result


def cpu_median(label: str) -> float:
    return round(statistics.median(CPU_MS[label]), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--signatures", default="1,2,4,8", help="signature counts of the close comparison")
    parser.add_argument("--close-only", action="store_true", help="only the close against the bare timestamp")
    args = parser.parse_args()
    import logging

    logging.getLogger("pyhanko").setLevel(logging.ERROR)  # stamp layout notes, one per signature

    from mediation_svc.config import Settings
    from mediation_svc.db import make_engine, unit_of_work
    from mediation_svc.documents import samples
    from mediation_svc.documents.rendering import render_document
    from mediation_svc.migrations_check import upgrade
    from mediation_svc.pki import hierarchy
    from mediation_svc.pki.keystore import KeyStore, init_keys
    from mediation_svc.pki.tsa import make_timestamper
    from mediation_svc.security.passwords import use_profile
    from mediation_svc.signing import credentials, pades

    use_profile("cheapest")
    work = Path(tempfile.mkdtemp(prefix="bench-sign-"))
    settings = Settings(database_url=f"sqlite:///{work}/bench.db", key_dir=work / "keys", key_passphrase="bench",
                        public_base_url="http://127.0.0.1:8000", log_json=False, log_level="WARNING",
                        password_hash_profile="cheapest", _env_file=None)
    keystore = KeyStore(settings.key_dir, b"bench")
    init_keys(keystore)
    engine = make_engine(settings)
    upgrade(engine)
    stamper = make_timestamper(keystore)
    pdf = render_document("mediation_agreement", samples.agreement(), language="zh-CN",
                          document_id="3f2b6c1e-0000-4000-8000-00000000be7c", verification_code="BENCH0000000SIGN",
                          base_url=settings.public_base_url).pdf
    root, issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)
    urls = hierarchy.PkiUrls(settings.public_base_url)
    from mediation_svc.db import utcnow
    from mediation_svc.signing import appearance

    def one_signature(source: bytes, field: str, index: int, look: str = "mark") -> bytes:
        """look: "mark" (what the service draws now: the signer's block filled with the drawn signature, name
        and Beijing time), "png" (the drawn signature alone, as before issue 13), "invisible" (no appearance)."""
        cred = pades.issue_signer_certificate(
            identity=pades.SignerIdentity("陈秀兰", "440***********1237", "粤正和调〔2026〕第0128号", "申请人"),
            evidence_sha256=bytes(32), issuing_cert=issuing, issuing_key=keystore.private_key(hierarchy.ISSUING),
            chain=(root,), urls=urls, now=utcnow(), lifetime=timedelta(hours=1))
        png = drawing(index)
        try:
            if look == "invisible":
                return pades.sign(source, signer=cred.pyhanko_signer(), timestamper=stamper,
                                  field=pades.FieldPlacement(f"bench-{index}", -1, None), appearance_png=None,
                                  reason="申请人签署")
            style = appearance.signer_mark(drawing_png=png, name="陈秀兰", signed_at=utcnow()) if look == "mark" else None
            return pades.sign(source, signer=cred.pyhanko_signer(), timestamper=stamper,
                              field=pades.FieldPlacement(field, -1, None), appearance_png=png, reason="申请人签署",
                              stamp_style=style)
        finally:
            cred.destroy()

    if args.close_only:
        bench_close_vs_timestamp(engine, keystore, stamper, pdf, one_signature, runs=args.runs,
                                 counts=[int(n) for n in args.signatures.split(",")])
        return
    for look in ("mark", "png", "invisible"):
        one_signature(pdf, "party-1", 0, look)  # warm-up: imports, font, glyph and key caches
    # Interleaved, so that the machine's other load falls on the three alike.
    looks: dict[str, list[float]] = {"mark": [], "png": [], "invisible": []}
    for run in range(args.runs):
        order = ["mark", "png", "invisible"]
        for look in order[run % 3:] + order[:run % 3]:
            looks[look].append(timed(lambda: one_signature(pdf, "party-1", 0, look), f"look-{look}")[0])
    signature = looks["mark"]
    load_after_looks = os.getloadavg()

    # The marks alone, as pyHanko draws them into a field's appearance stream (no CMS, no timestamp): what the
    # visible signature adds, measured without the noise of the signature around it.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.layout import BoxConstraints

    def draw(style, box) -> None:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        style.create_stamp(writer, BoxConstraints(*box), {}).register()

    png = drawing(1)
    marks: dict[str, list[float]] = {"signer_mark": [], "seal_mark": []}
    for _ in range(args.runs * 5):
        marks["signer_mark"].append(timed(lambda: draw(appearance.signer_mark(
            drawing_png=png, name="王晓明", capacity="授权代表", signed_at=utcnow()), (204, 65)), "signer_mark")[0])
        marks["seal_mark"].append(timed(lambda: draw(appearance.seal_mark(
            center_name=settings.center_name, signed_at=utcnow()), (204, 125)), "seal_mark")[0])
    load_after_marks = os.getloadavg()

    four = pdf
    for index, field in enumerate(("party-1", "party-2", "mediator")):
        four = one_signature(four, field, index)
    seal = credentials.seal_signer(keystore, settings)
    four = pades.sign(four, signer=seal, timestamper=stamper, field=pades.FieldPlacement("seal", -1, None),
                      appearance_png=None, reason="调解组织盖章",
                      stamp_style=appearance.seal_mark(center_name=settings.center_name, signed_at=utcnow()))

    def close() -> bytes:
        with unit_of_work(engine) as session:
            context = credentials.lta_context(session, keystore)
        return pades.close_lta(four, timestamper=stamper, context=context)

    close()
    lta = [timed(close, "close_lta")[0] for _ in range(max(5, args.runs // 2))]
    checks = pades.validate_lta(close(), trust_roots=[root])
    assert all(c.indication == "PASSED" for c in checks), checks

    confirm = bench_confirm(settings, engine, keystore, stamper, pdf, runs=max(5, args.runs // 2))
    visible = {look: {**summary(v), "cpu_median_ms": cpu_median(f"look-{look}")} for look, v in looks.items()}
    remote = bench_remote_key(settings, engine, keystore, stamper, pdf, runs=max(5, args.runs // 2))
    browser = bench_browser_step(runs=max(5, args.runs // 2))
    print(json.dumps({"pdf_bytes": len(pdf), "loadavg": [round(x, 2) for x in os.getloadavg()],
                      "remote_key_with_db": {**summary(remote), "cpu_median_ms": cpu_median("remote_key")},
                      "browser_signing_step_chromium": summary(browser) if browser else "chromium not installed",
                      "signature": {**summary(signature), "cpu_median_ms": cpu_median("look-mark")},
                      "visible_mark_vs": {
                          "looks": visible, "load_average": [round(x, 2) for x in load_after_looks],
                          "mark_minus_png_ms": round(visible["mark"]["median_ms"] - visible["png"]["median_ms"], 1),
                          "mark_minus_invisible_ms": round(visible["mark"]["median_ms"]
                                                           - visible["invisible"]["median_ms"], 1),
                          "mark_minus_invisible_cpu_ms": round(visible["mark"]["cpu_median_ms"]
                                                               - visible["invisible"]["cpu_median_ms"], 1)},
                      "marks_alone": {**{k: {**summary(v), "cpu_median_ms": cpu_median(k)} for k, v in marks.items()},
                                      "load_average": [round(x, 2) for x in load_after_marks]},
                      "confirm_with_db": {**summary(confirm), "cpu_median_ms": cpu_median("confirm")},
                      "close_lta_4_signatures": {**summary(lta), "cpu_median_ms": cpu_median("close_lta")},
                      "lta_bytes": len(close())}, indent=2))
    bench_close_vs_timestamp(engine, keystore, stamper, pdf, one_signature, runs=args.runs,
                             counts=[int(n) for n in args.signatures.split(",")])


def bench_close_vs_timestamp(engine, keystore, stamper, pdf: bytes, one_signature, *, runs: int,
                             counts: list[int]) -> None:
    """Issue 19: close_lta against a bare pyHanko document timestamp with the same revocation data,
    interleaved, for each signature count; one SUMMARY line per count (goal: at most 2x)."""
    from _common import interleave, load_text, summary_line
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_signer import TimestampDSSContentSettings

    from mediation_svc.db import unit_of_work
    from mediation_svc.pki import hierarchy
    from mediation_svc.pki import service as pki_service
    from mediation_svc.pki.settings import get_pki_settings
    from mediation_svc.signing import pades

    with unit_of_work(engine) as session:
        crls = [pki_service.current_crl(session, keystore, get_pki_settings(), ca_name=name)
                for name in (hierarchy.ROOT, hierarchy.ISSUING)]
    root, issuing = keystore.certificate(hierarchy.ROOT), keystore.certificate(hierarchy.ISSUING)

    def context():
        return pades.validation_context(trust_roots=[root], other_certs=[issuing], crls=crls)

    fields = ["party-1", "party-2", "mediator"] + [f"extra-{i}" for i in range(max(counts))]
    signed, done = pdf, 0
    for count in sorted(counts):
        while done < count:
            signed = one_signature(signed, fields[done], done)
            done += 1
        source = signed

        def ours(source=source) -> bytes:
            return pades.close_lta(source, timestamper=stamper, context=context())

        def bare(source=source) -> bytes:
            writer = IncrementalPdfFileWriter(io.BytesIO(source), strict=False)
            return signers.PdfTimeStamper(stamper).timestamp_pdf(
                writer, "sha256", validation_context=context(),
                dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False)).getvalue()

        results = interleave({"close_lta": ours, "bare_timestamp": bare}, runs=runs, warmup=2)
        a, b = results["close_lta"], results["bare_timestamp"]
        print(f"close to B-LTA, {count} signatures ({len(source):,} bytes): close_lta {a.as_dict()}, "
              f"bare document timestamp {b.as_dict()}, ratio {a.median / b.median:.2f}x wall, "
              f"{a.cpu_median / b.cpu_median:.2f}x CPU ({load_text()})")
        print(summary_line(f"close to B-LTA, {count} signatures, vs bare pyHanko document timestamp", a, peer=b,
                           goal="<= 2x", met=a.median <= 2 * b.median))


def bench_remote_key(settings, engine, keystore, stamper, pdf: bytes, *, runs: int) -> list[float]:
    """prepare_browser_key + finish_browser_key with the database, each run a fresh request on the same
    finalised agreement; the time of the browser's ECDSA steps in between is left out."""
    import hashlib
    import re

    from sqlmodel import select

    from mediation_svc.accounts.models import User
    from mediation_svc.accounts.schemas import UserCreate
    from mediation_svc.accounts.service import create_user
    from mediation_svc.cases.models import CaseParty
    from mediation_svc.cases.schemas import CaseIntake
    from mediation_svc.cases.service import assign_mediator_user, intake_case, transition
    from mediation_svc.cases.states import CaseStatus
    from mediation_svc.db import unit_of_work, utcnow
    from mediation_svc.documents.models import Document
    from mediation_svc.documents.service import generate_verification_code
    from mediation_svc.notifications.models import OutboxMessage
    from mediation_svc.security.tokens import TokenService
    from mediation_svc.signing import service
    from mediation_svc.signing.demo import PhoneKey
    from mediation_svc.signing.remote_key import possession_message

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from factories import intake_payload, resident_id  # noqa: PLC0415

    tokens = TokenService(keystore=keystore, audience=settings.token_audience, issuer=settings.public_base_url)
    with unit_of_work(engine) as s:
        officer = create_user(s, data=UserCreate(username="officer.bench", password="bench-password-1",
                                                 display_name="李文静", role="case_officer"), actor="bench")
        mediator = create_user(s, data=UserCreate(username="mediator.bench", password="bench-password-1",
                                                  display_name="陈国栋", role="mediator", phone="13902000001"),
                               actor="bench")
        case = intake_case(s, settings, data=CaseIntake(**intake_payload()), actor=officer)
        for target in (CaseStatus.ACCEPTED,):
            transition(s, case=case, target=target, actor="bench")
        assign_mediator_user(s, case=case, mediator=mediator, actor="bench", reason=None)
        for target in (CaseStatus.IN_MEDIATION, CaseStatus.AGREEMENT_DRAFTED, CaseStatus.SIGNING):
            transition(s, case=case, target=target, actor="bench")
        document = Document(case_id=case.id, kind="agreement", title="调解协议书", template_id="mediation_agreement",
                            template_version=1, language="zh-CN", inputs_json="{}", inputs_hash="0" * 64, pdf=pdf,
                            sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), page_count=1,
                            verification_code=generate_verification_code())
        s.add(document)
        s.flush()
        bank = s.exec(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.kind == "institution")).one()
        ids = (case.id, document.id, bank.id)
    client = service.Client("127.0.0.1", "bench")
    samples_ms = []
    for _ in range(runs + 1):
        with unit_of_work(engine) as s:
            request = service.open_request(
                s, settings, tokens, keystore, case=s.get(__import__("mediation_svc.cases.models", fromlist=["Case"]).Case, ids[0]),
                document_id=ids[1], deadline_at=utcnow() + timedelta(days=3), actor=s.get(User, officer.id),
                representatives=[service.RepresentativeSpec(ids[2], "王晓明", "13922223333", "440104198806150032")])
            rep = next(p for p in service.participants_of(s, request.id) if p.kind == "representative")
            service.upload_authorisation(s, request=request, participant=rep, pdf=pdf, actor=s.get(User, officer.id))
            service.approve_authorisation(s, settings, tokens, request=request, participant=rep,
                                          actor=s.get(User, officer.id))
            request_id = request.id
            link_body = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signing.link",
                                                           OutboxMessage.recipient_name == "陈秀兰")
                               .order_by(OutboxMessage.id.desc())).first().body
        link = re.search(r"/s/([0-9A-Z]{12})", link_body).group(1)
        with unit_of_work(engine) as s:
            service.request_code(s, settings, tokens, keystore, link_code=link)
        with unit_of_work(engine) as s:
            code = re.search(r"\b(\d{6})\b", s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signing.otp")
                                                    .order_by(OutboxMessage.id.desc())).first().body).group(1)
        with unit_of_work(engine) as s:
            token = service.verify_identity(s, settings, tokens, keystore, link_code=link, code=code,
                                            id_last4=resident_id()[-4:], client=client)["session_token"]
        with unit_of_work(engine) as s:
            service.signer_document(s, tokens, session_token=token)
            service.accept_consent(s, tokens, session_token=token, consent_text=service.CONSENT_TEXT["zh-CN"])
            service.save_drawing(s, tokens, session_token=token, png=drawing(1))

            challenge = service.signer_challenge(s, tokens, session_token=token)
        phone = PhoneKey()  # the browser's key: its signing time is measured in Chromium, not here
        proof = phone.sign(possession_message(challenge))

        def prepare():
            with unit_of_work(engine) as s:
                return service.prepare_browser_key(s, settings, tokens, keystore, session_token=token,
                                                   public_key_der=phone.spki(), possession_signature=proof,
                                                   client=client)

        first, prepared = timed(prepare, "remote_key")
        signature = phone.sign(base64.b64decode(prepared["signed_attributes_b64"]))

        def finish():
            with unit_of_work(engine) as s:
                return service.finish_browser_key(s, settings, tokens, stamper, session_token=token,
                                                  signature=signature)

        second, _ = timed(finish, "remote_key")
        samples_ms.append(first + second)
        with unit_of_work(engine) as s:
            service.void(s, settings, request=s.get(service.SigningRequest, request_id), reason="bench",
                         actor=s.get(User, officer.id))
    CPU_MS["remote_key"] = [a + b for a, b in zip(CPU_MS["remote_key"][2::2], CPU_MS["remote_key"][3::2])]
    return samples_ms[1:]  # the first run warms the caches


BROWSER_STEP = """async () => {
  const ecdsa = {name: "ECDSA", hash: "SHA-256"}, attrs = new Uint8Array(290), challenge = new Uint8Array(75);
  const t0 = performance.now();
  const key = await crypto.subtle.generateKey({name: "ECDSA", namedCurve: "P-256"}, false, ["sign"]);
  await crypto.subtle.exportKey("spki", key.publicKey);
  await crypto.subtle.sign(ecdsa, key.privateKey, challenge);
  await crypto.subtle.sign(ecdsa, key.privateKey, attrs);
  return performance.now() - t0;
}"""


def bench_browser_step(*, runs: int) -> list[float] | None:
    """The browser's signing step in Debian's Chromium (None when Chromium is not installed)."""
    if not Path("/usr/bin/chromium").exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page()
            # a page at http://127.0.0.1 is a secure context (as https is); answered by Playwright, no server
            page.route("http://127.0.0.1:9/**", lambda route: route.fulfill(body="<!doctype html><title>b</title>",
                                                                           content_type="text/html"))
            page.goto("http://127.0.0.1:9/bench")
            assert page.evaluate("window.isSecureContext && !!crypto.subtle")
            page.evaluate(BROWSER_STEP)  # warm-up
            return [page.evaluate(BROWSER_STEP) for _ in range(runs)]
        finally:
            browser.close()


if __name__ == "__main__":
    main()
