"""Benchmark: rank mediator candidates for a case through the endpoint, on large rosters (PostgreSQL).

For each size (mediators and historical assignments, e.g. 10,000/1,000,000 and 100,000/1,000,000) it seeds a
dedicated database (created here and dropped at the end unless --keep) with the mediators, 200 pools,
the historical cases with one assignment each (3% still open), certifications and declared affiliations,
all loaded with COPY through psycopg. Then it starts one real server per size (``mediation-svc serve``,
uvicorn in a subprocess on a free port, its own keys) and times ``GET /api/v1/cases/{id}/mediator-candidates``
over HTTP for random open cases: the whole request (token check, every query, the ranking, the
explanations of the twenty candidates returned, the excluded ones with their reasons, JSON out and parsed).

- cold: the first request of each fresh server (one per size, on a case not asked before);
- warm: the sizes interleaved (A B B A ...) against their servers, each run a different random case;
- in process: ``rank_candidates(limit=20)`` alone (no HTTP), and the old whole-roster ranking
  (``limit=None``, every candidate scored in Python) beside it, interleaved.

    .venv/bin/python bench/assignment.py [--sizes 10000:1000000,100000:1000000] [--pools 200] [--runs 100]
                                         [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                         [--keep] [--reuse]

Goals (issue 19): through the endpoint, median under 50 ms at 10,000 mediators / 1,000,000 assignments,
under 250 ms at 100,000 mediators.
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from _common import Samples, interleave, load_text, summary_line, timed  # noqa: E402
from _postgres import admin_url, database_arguments, database_exists, drop_database, recreate_database  # noqa: E402
from _server import CpuMeter, database_backends, running_server  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from mediation_svc.config import Settings  # noqa: E402
from mediation_svc.db import make_engine, unit_of_work  # noqa: E402
from mediation_svc.migrations_check import upgrade  # noqa: E402

OPEN_SHARE = 0.03
INSTITUTIONS = 300
CATEGORIES = ["insurance_claim", "mis_selling", "bank_card", "loan", "wealth_management", "surrender", "other"]
LANGUAGES = ["粤语", "客家话", "潮汕话", "English", "闽南语"]
CITIES = ["广州", "深圳", "佛山", "东莞", "珠海", "汕头", "湛江", "惠州", "江门", "肇庆", "梅州", "韶关"]
BACKGROUNDS = ["law", "finance", "insurance", "medicine", "other"]
NOW = datetime.now(timezone.utc)
LOGIN, PASSWORD = "bench.login", "bench-password-2026"
GOALS_MS = {10_000: 50.0, 100_000: 250.0}


@dataclass(frozen=True)
class Size:
    mediators: int
    assignments: int
    pools: int

    @property
    def label(self) -> str:
        return f"{self.mediators // 1000}k mediators / {self.assignments / 1e6:g}M assignments"

    @property
    def database(self) -> str:
        return f"mediation_bench_assign_{self.mediators}_{self.assignments}"


def copy_rows(conn, table: str, columns: list[str], rows) -> None:
    with conn.cursor().copy(f'COPY {table} ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def history(size: Size, seed_value: float):
    """The historical cases, generated identically on every call with the same seed."""
    rng = random.Random(seed_value)
    span = 3 * 365 * 86400
    for i in range(1, size.assignments + 1):
        at = NOW - timedelta(seconds=rng.randint(0, span))
        yield (i, at, rng.random() < OPEN_SHARE, rng.choice(CATEGORIES), rng.randint(1, INSTITUTIONS),
               "粤语" if rng.random() < 0.4 else "普通话", rng.choice(CITIES), rng.randint(1, size.mediators))


def mediator_rows(size: Size, rng: random.Random) -> tuple[list, list, list]:
    """(mediators, certifications, affiliations) rows."""
    mediators, certs, ties = [], [], []
    for i in range(1, size.mediators + 1):
        languages = ["普通话"] + rng.sample(LANGUAGES, rng.choice([0, 1, 1, 2]))
        specialties = rng.sample(CATEGORIES, rng.choice([1, 2, 2, 3]))
        cities = rng.sample(CITIES, rng.choice([1, 1, 2, 3]))
        status = rng.choices(["active", "suspended", "retired"], [94, 3, 3])[0]
        expiry = NOW.date() + timedelta(days=rng.randint(-120, 2000))
        certs.append((i, i, "人民调解员资格证书", f"GD{i:06d}", expiry))
        mediators.append((i, i, f"调解员{i}", rng.choice(BACKGROUNDS), rng.randint(1, 30),
                          json.dumps(specialties, ensure_ascii=False), json.dumps(languages, ensure_ascii=False),
                          json.dumps(cities, ensure_ascii=False), rng.random() < 0.6, rng.choice([5, 8, 10, 15]),
                          status, 0, 0, expiry, NOW, NOW))
        for _ in range(rng.choice([0, 1, 1, 2])):
            inst = rng.randint(1, INSTITUTIONS)
            ended = None if rng.random() < 0.3 else NOW.date() - timedelta(days=rng.randint(30, 4000))
            ties.append((len(ties) + 1, i, inst, f"9144{inst:014d}", f"测试金融机构{inst}", "任职", date(2005, 1, 1),
                         ended))
    return mediators, certs, ties


def seed_roster(conn, size: Size, rng: random.Random) -> None:
    copy_rows(conn, "institutions", ["id", "name", "kind", "credit_code"],
              ((i, f"测试金融机构{i}", "bank" if i % 2 else "insurer", f"9144{i:014d}")
               for i in range(1, INSTITUTIONS + 1)))
    copy_rows(conn, "users", ["id", "username", "display_name", "role", "active", "created_at"],
              [(i, f"bench_mediator_{i}", f"调解员{i}", "mediator", True, NOW) for i in range(1, size.mediators + 1)]
              + [(size.mediators + 1, "bench_officer", "办案员", "case_officer", True, NOW)])
    mediators, certs, ties = mediator_rows(size, rng)
    copy_rows(conn, "mediators", ["id", "user_id", "name", "background", "years_of_practice", "specialties",
                                  "languages", "cities", "remote_capable", "max_active_cases", "status",
                                  "active_cases", "assignments_total", "certification_valid_until",
                                  "created_at", "updated_at"], mediators)
    copy_rows(conn, "mediator_certifications", ["id", "mediator_id", "name", "number", "expires_on"], certs)
    copy_rows(conn, "mediator_affiliations", ["id", "mediator_id", "institution_id", "credit_code",
                                              "institution_name", "relation", "started_on", "ended_on"], ties)
    copy_rows(conn, "mediator_pools", ["id", "name", "active", "created_at"],
              ((p, f"调解员库{p}", True, NOW) for p in range(1, size.pools + 1)))
    categories = {(p, code) for p in range(1, size.pools + 1) for code in rng.sample(CATEGORIES, rng.choice([1, 1, 2]))}
    copy_rows(conn, "mediator_pool_categories", ["pool_id", "category_code"], sorted(categories))
    members = {(p, m) for m in range(1, size.mediators + 1)
               for p in rng.sample(range(1, size.pools + 1), rng.choice([1, 2, 2, 3]))}
    copy_rows(conn, "mediator_pool_members", ["pool_id", "mediator_id"], sorted(members))


def seed_history(conn, size: Size, rng: random.Random) -> None:
    history_seed, officer_id = rng.random(), size.mediators + 1
    copy_rows(conn, "cases", ["id", "number", "channel", "category_code", "status", "institution_id", "facts",
                              "preferred_language", "city", "needs_elderly_support", "needs_interpreter",
                              "fast_track", "received_on", "due_on", "created_at", "updated_at", "closed_at",
                              "mediator_user_id"],
              ((i, f"粤正和调〔{at.year}〕第{i:07d}号", "hotline", category, "in_mediation" if is_open else "closed",
                institution, "历史案件", language, city, False, False, False, at.date(),
                at.date() + timedelta(days=42), at, at, None if is_open else at, mediator)
               for i, at, is_open, category, institution, language, city, mediator in history(size, history_seed)))
    # One assignment per historical case, to its mediator at its creation (the same generated sequence).
    copy_rows(conn, "mediator_assignments", ["case_id", "mediator_id", "assigned_at", "mode", "assigned_by_user_id"],
              ((i, mediator, at, "auto", officer_id)
               for i, at, _open, _cat, _inst, _lang, _city, mediator in history(size, history_seed)))
    # The aggregates ranking reads, computed once here as the assignment service keeps them.
    conn.execute("""
        UPDATE mediators m SET last_assigned_at = h.last_at, assignments_total = h.n
        FROM (SELECT mediator_id, max(assigned_at) AS last_at, count(*) AS n
              FROM mediator_assignments GROUP BY mediator_id) h
        WHERE h.mediator_id = m.id""")
    conn.execute("""
        UPDATE mediators m SET active_cases = o.n
        FROM (SELECT mediator_user_id, count(*) AS n FROM cases WHERE status = 'in_mediation'
              GROUP BY mediator_user_id) o
        WHERE o.mediator_user_id = m.user_id""")
    for table in ("institutions", "users", "mediators", "mediator_certifications", "mediator_affiliations",
                  "mediator_pools", "cases"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def seed(db_url: str, size: Size, rng: random.Random) -> None:
    started = time.perf_counter()
    with psycopg.connect(admin_url(db_url)) as conn:
        seed_roster(conn, size, rng)
        conn.commit()
        seed_history(conn, size, rng)
        conn.commit()
    add_login(db_url)
    with psycopg.connect(admin_url(db_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"seeded {size.label}, {size.pools} pools in {time.perf_counter() - started:.0f} s", flush=True)


def add_login(db_url: str) -> None:
    """The case officer whose token the benchmark's HTTP client holds (a real password, checked at login)."""
    from mediation_svc.accounts.schemas import UserCreate
    from mediation_svc.accounts.service import create_user
    from mediation_svc.security.passwords import use_profile

    use_profile("cheapest")
    engine = make_engine(Settings(database_url=db_url, _env_file=None))
    with unit_of_work(engine) as session:
        create_user(session, data=UserCreate(username=LOGIN, password=PASSWORD, display_name="基准测试",
                                             role="case_officer"), actor="bench")
    engine.dispose()


def prepare(args, size: Size, rng: random.Random) -> str:
    """The size's database: seeded now, or (``--reuse``) the one a ``--keep`` run left, migrated."""
    reuse = args.reuse and database_exists(args.url, size.database)
    db_url = make_url(args.url).set(database=size.database).render_as_string(hide_password=False)
    if not reuse:
        db_url = recreate_database(args.url, size.database)
    engine = create_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        has_login = conn.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": LOGIN}).first()
    engine.dispose()
    if not reuse:
        seed(db_url, size, rng)
    elif not has_login:
        add_login(db_url)
    if reuse:
        with psycopg.connect(admin_url(db_url), autocommit=True) as conn:
            conn.execute("ANALYZE")
    return db_url


def open_cases(db_url: str, runs: int, rng: random.Random) -> list[int]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM cases WHERE status = 'in_mediation' LIMIT 5000"))]
    engine.dispose()
    return [rng.choice(ids) for _ in range(runs + 20)]


def requester(client, cases: list[int], sizes_seen: list[int]):
    """One endpoint call per invocation, on the next case of the list; the JSON parsed, its size kept."""
    queue = iter(cases)

    def call():
        answer = client.get(f"/api/v1/cases/{next(queue)}/mediator-candidates")
        answer.raise_for_status()
        body = answer.json()
        assert body["candidates"] and all(c["criteria"] for c in body["candidates"])
        sizes_seen.append(body["total_candidates"] + body["excluded_count"])
        return body

    return call


def in_process(db_url: str, cases: list[int], runs: int) -> dict[str, Samples]:
    """``rank_candidates`` with the limit the endpoint uses, and the whole-roster ranking, interleaved."""
    from mediation_svc.cases.models import Case
    from mediation_svc.rosters.assignment import rank_candidates

    engine = make_engine(Settings(database_url=db_url, _env_file=None))
    with Session(engine) as session:
        picks = iter(cases * 4)

        def ranking(limit):
            def call():
                result = rank_candidates(session, case=session.get(Case, next(picks)), limit=limit)
                _ = [r.criteria for r in result.ranked[:20]]
                session.rollback()
            return call

        results = interleave({"shortlist": ranking(20), "whole roster": ranking(None)}, runs=runs, warmup=2)
    engine.dispose()
    return results


def endpoint(sizes: list[Size], urls: dict[Size, str], runs: int, rng: random.Random, args_url: str) -> dict:
    """Cold and warm endpoint figures for every size, the sizes' servers up together and interleaved; the
    CPU time each server and its database backends spent per request."""
    cold: dict[Size, Samples] = {}
    contenders, seen, processes = {}, {}, {}
    with contextlib.ExitStack() as stack:
        for size in sizes:
            server = stack.enter_context(running_server(urls[size]))
            client = server.client(username=LOGIN, password=PASSWORD)
            stack.callback(client.close)
            seen[size] = []
            call = requester(client, open_cases(urls[size], runs, rng), seen[size])
            cold[size] = Samples()
            timed(call, cold[size])  # the first request this server process answers
            contenders[size] = call
            processes[size] = server.process.pid
        for _ in range(3):  # warm-up, then the processes' CPU counted over the timed runs
            for call in contenders.values():
                call()
        meters = {size: CpuMeter([pid]) for size, pid in processes.items()}
        meters |= {("db", size): CpuMeter(database_backends(args_url, size.database)) for size in sizes}
        for meter in meters.values():
            meter.start()
        warm = interleave(contenders, runs=runs, warmup=0)
        used = {key: meter.stop() * 1000 / runs for key, meter in meters.items()}
    return {"cold": cold, "warm": warm, "candidates": {s: sorted(v)[len(v) // 2] for s, v in seen.items()},
            "server_cpu": {s: used[s] for s in sizes}, "db_cpu": {s: used[("db", s)] for s in sizes}}


def report(sizes: list[Size], figures: dict, local: dict[Size, dict[str, Samples]]) -> None:
    print(f"\n{load_text()} on 2 shared cores")
    for size in sizes:
        warm, cold = figures["warm"][size], figures["cold"][size]
        print(f"{size.label} (median {figures['candidates'][size]} candidates per case): endpoint warm median "
              f"{warm.median:.1f} ms, p95 {warm.p95:.1f} ms, client CPU {warm.cpu_median:.1f} ms; "
              f"cold (first request of the server) {cold.median:.1f} ms")
        server, db = figures["server_cpu"][size], figures["db_cpu"][size]
        print(f"    CPU per request: server {server:.1f} ms, PostgreSQL {db:.1f} ms, client {warm.cpu_median:.1f} ms: "
              f"{server + db + warm.cpu_median:.1f} ms of work (what an idle machine's wall time would be near)")
        short, whole = local[size]["shortlist"], local[size]["whole roster"]
        print(f"    in process: rank_candidates(limit=20) {short.median:.1f} ms (CPU {short.cpu_median:.1f}), "
              f"whole roster in Python {whole.median:.1f} ms (CPU {whole.cpu_median:.1f}): "
              f"{whole.median / short.median:.1f}x")
    if len(sizes) > 1:
        first, last = sizes[0], sizes[-1]
        ratio = figures["warm"][last].median / figures["warm"][first].median
        print(f"growth: {last.mediators / first.mediators:g}x mediators cost {ratio:.2f}x time (interleaved)")
    for size in sizes:
        goal = GOALS_MS.get(size.mediators)
        warm = figures["warm"][size]
        print(summary_line(f"ranking endpoint {size.label} (HTTP, warm)", warm,
                           goal=f"< {goal:g} ms" if goal else "", met=None if goal is None else warm.median < goal))
        print(summary_line(f"ranking endpoint {size.label} (HTTP, cold)", figures["cold"][size]))


def parse_sizes(text_value: str, pools: int) -> list[Size]:
    sizes = []
    for part in text_value.split(","):
        mediators, assignments = (int(float(x)) for x in part.split(":"))
        sizes.append(Size(mediators, assignments, pools))
    return sizes


def main() -> None:
    parser = database_arguments(__doc__.split("\n\n")[0])
    parser.set_defaults(runs=100)
    parser.add_argument("--sizes", default="10000:1000000,100000:1000000",
                        help="mediators:assignments, comma-separated (each its own database)")
    parser.add_argument("--pools", type=int, default=200)
    parser.add_argument("--reuse", action="store_true",
                        help="use the databases a previous --keep run left, where they exist (migrated first)")
    args = parser.parse_args()
    rng = random.Random(20261123)
    sizes = parse_sizes(args.sizes, args.pools)
    urls: dict[Size, str] = {}
    try:
        for size in sizes:
            urls[size] = prepare(args, size, rng)
        print(f"timing {args.runs} interleaved runs per size; {load_text()}", flush=True)
        figures = endpoint(sizes, urls, args.runs, rng, args.url)
        local = {size: in_process(urls[size], open_cases(urls[size], 10, rng), min(args.runs, 10)) for size in sizes}
        report(sizes, figures, local)
    finally:
        if not args.keep:
            for size in urls:
                drop_database(args.url, size.database)


if __name__ == "__main__":
    main()
