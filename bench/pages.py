"""Benchmark: server time of the pages people wait for (issue 8).

A throw-away SQLite database with keys and the demo data, the app in-process through FastAPI's TestClient
(cookie session and CSRF as a browser has them, no network), and for each page the median and p95 of the
full request:

- the officer's dashboard and a case page with its ranked mediator candidates;
- a case page with a free-slot search (the mediator's, the parties' and the rooms' calendars);
- the live drafting preview (the agreement rendered to PDF by WeasyPrint, marked draft);
- the signer's document page on a phone (the agreement's pages rendered to JPEG by pdftoppm), first view
  and reload;
- the verification page with a signed agreement uploaded (the ETSI report).

    .venv/bin/python bench/pages.py [--runs 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from mediation_svc.config import Settings  # noqa: E402
from mediation_svc.db import make_engine  # noqa: E402
from mediation_svc.migrations_check import upgrade  # noqa: E402
from mediation_svc.pki.keystore import KeyStore, init_keys  # noqa: E402
from mediation_svc.security.passwords import use_profile  # noqa: E402

PASSPHRASE = "bench-passphrase"


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def timed(label: str, runs: int, call) -> dict:
    call()  # warm-up: imports, template compilation, caches
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (label, response.status_code, response.text[:300])
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    row = {"page": label, "runs": runs, "median_ms": statistics.median(samples), "p95_ms": p95}
    print(f"{label:58s} runs {runs:3d}  median {row['median_ms']:8.1f} ms  p95 {p95:8.1f} ms", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    use_profile("cheapest")  # demo logins only; password hashing is not what is measured

    from mediation_svc.app import create_app
    from mediation_svc.cases.models import Case
    from mediation_svc.demo import DEMO_PASSWORD, seed
    from mediation_svc.notifications.models import OutboxMessage

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        root = Path(tmp)
        init_keys(KeyStore(root / "keys", PASSPHRASE.encode()))
        settings = Settings(database_url=f"sqlite:///{root / 'bench.db'}", key_dir=root / "keys",
                            key_passphrase=PASSPHRASE, public_base_url="http://testserver", log_json=False,
                            log_level="WARNING", password_hash_profile="cheapest", _env_file=None)
        engine = make_engine(settings)
        upgrade(engine)
        seed(engine, settings)
        with Session(engine) as s:
            by_status = {c.status: c.id for c in s.exec(select(Case).order_by(Case.id)).all()}
        app = create_app(settings, engine)
        with TestClient(app) as officer, TestClient(app) as mediator, TestClient(app) as phone:
            for client, name in ((officer, "officer.li"), (mediator, "mediator.chen")):
                page = client.get("/login").text
                r = client.post("/login", data={"username": name, "password": DEMO_PASSWORD, "csrf_token": csrf(page)},
                                follow_redirects=False)
                assert r.status_code == 303, r.text
            accepted, assigned = by_status["accepted"], by_status["mediator_assigned"]
            drafting = by_status.get("in_mediation") or by_status["agreement_drafted"]
            rows = [timed("dashboard (officer, demo cases)", args.runs, lambda: officer.get("/dashboard")),
                    timed("case page with ranked candidates", args.runs, lambda: officer.get(f"/cases/{accepted}")),
                    timed("case page with a free-slot search (14 days, on site)", args.runs,
                          lambda: officer.get(f"/cases/{assigned}?find=1&mode=onsite&duration=90"))]
            draft_page = officer.get(f"/cases/{drafting}/draft").text
            terms = {"csrf_token": csrf(draft_page), "dispute_summary": "申请人信用卡逾期产生违约金，双方同意减免并分期。",
                     "pay_payer": "陈秀兰", "pay_payee": "中国工商银行股份有限公司广州分行", "pay_amount": "30000.00",
                     "pay_due": "2027-06-30", "pay_method": "分12期银行转账", "clauses": "被申请人减免违约金8650元。",
                     "language": "zh-CN"}
            rows.append(timed("live drafting preview (WeasyPrint PDF)", max(5, args.runs // 3),
                              lambda: officer.post(f"/cases/{drafting}/draft/preview", data=terms)))

            with Session(engine) as s:
                link = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signing.link")
                              .order_by(OutboxMessage.id)).first()
            token = re.search(r"/sign/(\S+)", link.body).group(1)
            start = phone.get(f"/sign/{token}").text
            phone.post(f"/sign/{token}/code", data={"csrf_token": csrf(start)})
            with Session(engine) as s:
                otp = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signing.otp")
                             .order_by(OutboxMessage.id.desc())).first()
            code = re.search(r"\b(\d{6})\b", otp.body).group(1)
            verified = phone.post(f"/sign/{token}/verify", data={"csrf_token": csrf(start), "code": code,
                                                                 "id_last4": _last4(engine, link)},
                                  follow_redirects=False)
            assert verified.status_code == 303, verified.text
            from mediation_svc.web.signer_pages import _page_images

            def first_view():
                _page_images.cache_clear()
                return phone.get("/sign/session")

            rows.append(timed("signer's document page, first view (pdftoppm JPEG)", max(5, args.runs // 3),
                              first_view))
            rows.append(timed("signer's document page, reload (page images cached)", args.runs,
                              lambda: phone.get("/sign/session")))

            signed = _a_signed_pdf(engine)
            if signed is None:
                print("(no signed revision in the demo data: verification page not timed; see bench/verify.py)")
            else:
                verify_page = officer.get("/verify").text
                rows.append(timed("verification page with a signed agreement", max(5, args.runs // 3),
                                  lambda: officer.post("/verify", data={"csrf_token": csrf(verify_page)},
                                                       files={"file": ("a.pdf", signed, "application/pdf")})))
        engine.dispose()


def _last4(engine, link) -> str:
    from mediation_svc.cases.models import CaseParty

    with Session(engine) as s:
        party = s.exec(select(CaseParty).where(CaseParty.name == link.recipient_name)).first()
        return (party.id_number or "")[-4:] if party else ""


def _a_signed_pdf(engine) -> bytes | None:
    from mediation_svc.signing.models import SignedRevision

    with Session(engine) as s:
        revision = s.exec(select(SignedRevision).order_by(SignedRevision.id.desc())).first()
        return revision.pdf if revision else None


if __name__ == "__main__":
    main()
