"""Benchmark: the real server under concurrent clients (issue 16).

`mediation-svc serve --workers 2` on a throw-away PostgreSQL database (``bench_load_<random>``, dropped at the
end), driven from this process by 20, 100 and 200 concurrent clients (asyncio + httpx, one keep-alive
connection per client), 30 s each, on a mix of reads (case list, one case), intakes (POST /api/v1/cases with
an Idempotency-Key), remote signatures (the browser-held key: prepare, then finish with the PAdES signature
and its RFC 3161 token; signers are made ready beforehand, two per signing request) and a signer's drawing
upload (the request that froze the service before). A client told 503 waits its Retry-After (at most 1 s).
For each level: successful requests per second, p50/p95/p99 of every answer, p95 of the 503s, the count of
each status (and of client timeouts) overall and per kind, and the load average beside it.

    .venv/bin/python bench/load.py [--seconds 30] [--levels 20,100,200] [--signing-requests 40]

Goal: no 500 at any level; at 200 clients every answer 2xx or a fast 503; throughput at 200 clients at least
80% of that at 20.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench._postgres import database_arguments, drop_database, recreate_database  # noqa: E402

PASSPHRASE = "bench-passphrase"
EXAMPLES: dict = {}  # the first answer of each refused kind, printed at the end
MIX = (("read_list", 40), ("read_case", 25), ("intake", 20), ("sign", 10), ("drawing", 5))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, keys: Path, signing_requests: int):
    """Schema, keys, an officer, a few cases, and a signer half-way through signing (for drawing uploads)."""
    from fastapi.testclient import TestClient

    from mediation_svc.accounts.service import issue_access_token
    from mediation_svc.app import create_app
    from mediation_svc.config import Settings
    from mediation_svc.db import make_engine
    from mediation_svc.migrations_check import upgrade
    from mediation_svc.pki.keystore import KeyStore, init_keys
    from mediation_svc.security.passwords import use_profile
    from tests.factories import intake_payload
    from tests.signing.conftest import AGREEMENT_HTML
    from tests.signing.test_signer_rules import open_world

    use_profile("cheapest")
    init_keys(KeyStore(keys, PASSPHRASE.encode()))
    settings = Settings(database_url=url, key_dir=keys, key_passphrase=PASSPHRASE, log_json=False,
                        log_level="WARNING", password_hash_profile="cheapest", _env_file=None)
    engine = make_engine(settings)
    upgrade(engine)
    app = create_app(settings, engine)

    counter = iter(range(1, 1000))

    def make_user(role="case_officer", **fields):
        from mediation_svc.accounts.schemas import UserCreate
        from mediation_svc.accounts.service import create_user
        from mediation_svc.db import unit_of_work

        data = UserCreate(username=f"{role}{next(counter)}", password="correct-horse-42",
                          display_name=fields.pop("display_name", "测试"), role=role, **fields)
        with unit_of_work(engine) as session:
            return create_user(session, data=data, actor="bench")

    def auth(user):
        return {"Authorization": f"Bearer {issue_access_token(app.state.tokens, settings, user)[0]}"}

    import weasyprint

    pdf = weasyprint.HTML(string=AGREEMENT_HTML).write_pdf()
    with TestClient(app) as client:
        def make_case(officer=None, **overrides):
            r = client.post("/api/v1/cases", json=intake_payload(**overrides), headers=auth(officer))
            assert r.status_code == 201, r.text
            from mediation_svc.cases.models import Case
            from sqlmodel import Session

            with Session(engine) as s:
                return s.get(Case, r.json()["id"])

        world = open_world(client, engine, auth, make_user, lambda officer: make_case(officer), pdf)
        signer = world.consumer().identify()
        headers = auth(world.officer)
        case_ids = [make_case(world.officer).id for _ in range(5)]
        # Signers ready to sign (identified, consent given, drawing uploaded): a consumer and a bank's
        # representative per signing request. A "sign" takes one; when none is left it uploads a drawing.
        ready = []
        for seed in range(signing_requests):
            other = open_world(client, engine, auth, make_user, lambda officer: make_case(officer), pdf)
            ready += [other.consumer().identify().prepare(seed).headers,
                      other.representative().identify().prepare(seed + 1).headers]
    engine.dispose()
    return {"officer": headers, "signer": signer.headers, "cases": case_ids, "settings": settings,
            "ready_signers": ready}


async def sign(http: httpx.AsyncClient, headers: dict) -> httpx.Response:
    """One remote signature as the signer's phone makes it: the key made in the browser, its proof of
    possession and public key, then its ECDSA signature over the CMS signed attributes (PAdES B-T with the
    RFC 3161 token on the server). The first answer that is not 200 is the signature's answer."""
    import base64

    from mediation_svc.signing.demo import PhoneKey
    from mediation_svc.signing.remote_key import possession_message

    key = PhoneKey()
    for _ in range(3):  # the other signer of the request signed in between: prepare again, as the page does
        view = await http.get("/api/v1/sign/session", headers=headers)
        if view.status_code != 200:
            return view
        prepared = await http.post("/api/v1/sign/session/key/prepare", headers=headers, json={
            "public_key_b64": base64.b64encode(key.spki()).decode(),
            "possession_signature_b64": base64.b64encode(
                key.sign(possession_message(view.json()["possession_challenge"]))).decode()})
        if prepared.status_code != 200:
            return prepared
        attributes = base64.b64decode(prepared.json()["signed_attributes_b64"])
        finished = await http.post("/api/v1/sign/session/key/finish", headers=headers,
                                   json={"signature_b64": base64.b64encode(key.sign(attributes)).decode()})
        if finished.status_code != 409 or "signing-document-changed" not in finished.text:
            return finished
    return finished


async def client_loop(http: httpx.AsyncClient, fixture, deadline: float, samples: list, statuses: Counter,
                      png: bytes, per_op: dict, op_ms: dict, shed_ms: list) -> None:
    names = [n for n, _ in MIX]
    weights = [w for _, w in MIX]
    while time.monotonic() < deadline:
        op = random.choices(names, weights)[0]
        started = time.perf_counter()
        try:
            if op == "read_list":
                r = await http.get("/api/v1/cases?limit=20", headers=fixture["officer"])
            elif op == "read_case":
                r = await http.get(f"/api/v1/cases/{random.choice(fixture['cases'])}", headers=fixture["officer"])
            elif op == "intake":
                from tests.factories import intake_payload

                r = await http.post("/api/v1/cases", json=intake_payload(facts=f"负载测试 {uuid.uuid4().hex}"),
                                    headers={**fixture["officer"], "Idempotency-Key": uuid.uuid4().hex})
            elif op == "sign" and fixture["ready_signers"]:
                signer = fixture["ready_signers"].pop()
                r = await sign(http, signer)
                if r.status_code == 503:  # nothing was changed: the signer tries again later
                    fixture["ready_signers"].insert(0, signer)
            else:
                op = "drawing"
                r = await http.put("/api/v1/sign/session/drawing", content=png,
                                   headers={**fixture["signer"], "Content-Type": "image/png"})
            statuses[r.status_code] += 1
            per_op.setdefault(op, Counter())[r.status_code] += 1
            op_ms.setdefault(op, []).append((time.perf_counter() - started) * 1000)
            samples.append((time.perf_counter() - started) * 1000)
            if r.status_code == 503:
                shed_ms.append(samples[-1])
            elif r.status_code >= 400 and (op, r.status_code) not in EXAMPLES:
                EXAMPLES[(op, r.status_code)] = r.text[:300]
            if r.status_code == 503:
                await asyncio.sleep(min(float(r.headers.get("Retry-After", "1")), 1.0))
        except httpx.TimeoutException:
            statuses["timeout"] += 1
        except httpx.TransportError:
            statuses["transport-error"] += 1


async def level(base_url: str, fixture, clients: int, seconds: float, png: bytes) -> dict:
    samples: list[float] = []
    statuses: Counter = Counter()
    per_op: dict = {}
    op_ms: dict = {}
    shed_ms: list[float] = []
    # One client, one connection (keep-alive), as a browser or an app would hold; a shared httpx pool of
    # hundreds of connections costs the benchmark more time than the server takes.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    https = [httpx.AsyncClient(base_url=base_url, timeout=10.0, limits=limits) for _ in range(clients)]
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    cpu = time.process_time()
    await asyncio.gather(*(client_loop(http, fixture, deadline, samples, statuses, png, per_op, op_ms, shed_ms)
                           for http in https))
    elapsed = time.monotonic() - started
    cpu = (time.process_time() - cpu) / elapsed
    await asyncio.gather(*(http.aclose() for http in https))
    samples.sort()

    def pct(p):
        return samples[min(len(samples) - 1, int(p * (len(samples) - 1)))] if samples else float("nan")

    ok = sum(v for k, v in statuses.items() if isinstance(k, int) and 200 <= k < 300)
    return {"clients": clients, "seconds": round(elapsed, 1), "ok_per_s": ok / elapsed, "p50": pct(0.5),
            "p95": pct(0.95), "p99": pct(0.99), "statuses": dict(statuses), "load": os.getloadavg(), "client_cpu": cpu,
            "shed_p95": sorted(shed_ms)[int(0.95 * (len(shed_ms) - 1))] if shed_ms else None,
            "per_op": {op: (dict(c), sorted(op_ms[op])[len(op_ms[op]) // 2]) for op, c in per_op.items()}}


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below on SIGTERM too
    parser = database_arguments(__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each level (at most 30)")
    parser.add_argument("--levels", default="20,100,200")
    parser.add_argument("--signing-requests", type=int, default=60,
                        help="signing requests prepared beforehand (two signers each), shared among the levels")
    args = parser.parse_args()
    seconds = min(args.seconds, 30.0)
    name = f"bench_load_{uuid.uuid4().hex[:8]}"
    url = recreate_database(args.url, name)
    keys = Path(tempfile.mkdtemp(prefix="bench-load-keys-"))
    server = None
    try:
        fixture = prepare(url, keys, args.signing_requests)
        print(f"{len(fixture['ready_signers'])} signers ready", flush=True)
        port = free_port()
        env = {**os.environ, "MEDIATION_DATABASE_URL": url, "MEDIATION_KEY_DIR": str(keys),
               "MEDIATION_KEY_PASSPHRASE": PASSPHRASE,
               "MEDIATION_LOG_LEVEL": "INFO" if os.environ.get("BENCH_SERVER_LOG") else "WARNING",
               "MEDIATION_PASSWORD_HASH_PROFILE": "cheapest"}
        server_log = open(keys / "server.log", "w")  # noqa: SIM115 - closed with the directory
        server = subprocess.Popen([str(Path(sys.executable).parent / "mediation-svc"), "serve", "--workers", "2",
                                   "--port", str(port)], env=env, cwd=ROOT, stdout=server_log,
                                  stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/readyz", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("the server did not become ready:\n" + (keys / "server.log").read_text()[-3000:])
        from tests.signing.conftest import drawn_signature

        png = drawn_signature(3)
        print(f"2 workers, PostgreSQL; mix {dict(MIX)}; {seconds:g} s per level; load before "
              f"{os.getloadavg()[0]:.2f}", flush=True)
        results = []
        levels = [int(c) for c in args.levels.split(",")]
        signers, share = fixture["ready_signers"], len(fixture["ready_signers"]) // len(levels)
        for number, clients in enumerate(levels):  # each level gets its share of the ready signers
            fixture["ready_signers"] = signers[number * share:(number + 1) * share]
            row = asyncio.run(level(base, fixture, clients, seconds, png))
            results.append(row)
            print(f"{row['clients']:4d} clients  {row['ok_per_s']:7.1f} ok/s  p50 {row['p50']:7.1f} ms  "
                  f"p95 {row['p95']:7.1f} ms  p99 {row['p99']:7.1f} ms  statuses {row['statuses']}  "
                  f"load {row['load'][0]:.2f}/{row['load'][1]:.2f}/{row['load'][2]:.2f}", flush=True)
            shed = f"503 p95 {row['shed_p95']:.0f} ms; " if row["shed_p95"] is not None else ""
            print(f"      {shed}client CPU {100 * row['client_cpu']:.0f}%; " + "; ".join(f"{op} p50 {ms:.0f} ms {c}" for op, (c, ms) in row["per_op"].items()), flush=True)
        if len(results) > 1 and results[0]["ok_per_s"]:
            print(f"throughput at {results[-1]['clients']} clients: "
                  f"{100 * results[-1]['ok_per_s'] / results[0]['ok_per_s']:.0f}% of that at {results[0]['clients']}")
        for (op, status), text in EXAMPLES.items():
            print(f"first {status} on {op}: {text}")
        errors = sum(r["statuses"].get(500, 0) for r in results)
        print(f"500 answers: {errors}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if os.environ.get("BENCH_SERVER_LOG"):
            shutil.copy(keys / "server.log", os.environ["BENCH_SERVER_LOG"])
        shutil.rmtree(keys, ignore_errors=True)
        if not args.keep:
            drop_database(args.url, name)


if __name__ == "__main__":
    main()
