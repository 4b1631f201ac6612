"""Benchmark: rank mediator candidates for a case on a realistically large roster (PostgreSQL).

Seeds a dedicated database (created here and dropped at the end) with 10,000 mediators, 200 pools,
1,000,000 historical cases with 1,000,000 assignments (3% of the cases still open), certifications and
declared affiliations, all loaded with COPY through psycopg, then times
``rosters.assignment.rank_candidates`` (every query the endpoint makes, and the pure scoring) for random
open cases and prints the median and p95.

    .venv/bin/python bench/assignment.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                         [--runs 200] [--keep]

Target: median under 50 ms.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from _postgres import admin_url, database_arguments, drop_database, recreate_database  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from mediation_svc.cases.models import Case  # noqa: E402
from mediation_svc.config import Settings  # noqa: E402
from mediation_svc.db import make_engine  # noqa: E402
from mediation_svc.migrations_check import upgrade  # noqa: E402

DB_NAME = "mediation_bench_assign"
MEDIATORS = 10_000
POOLS = 200
HISTORY = 1_000_000
OPEN_SHARE = 0.03
INSTITUTIONS = 300
CATEGORIES = ["insurance_claim", "mis_selling", "bank_card", "loan", "wealth_management", "surrender", "other"]
LANGUAGES = ["粤语", "客家话", "潮汕话", "English", "闽南语"]
CITIES = ["广州", "深圳", "佛山", "东莞", "珠海", "汕头", "湛江", "惠州", "江门", "肇庆", "梅州", "韶关"]
BACKGROUNDS = ["law", "finance", "insurance", "medicine", "other"]
NOW = datetime.now(timezone.utc)


def copy_rows(conn, table: str, columns: list[str], rows) -> None:
    with conn.cursor().copy(f'COPY {table} ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def history(seed_value: float):
    """The historical cases, generated identically on every call with the same seed."""
    rng = random.Random(seed_value)
    span = 3 * 365 * 86400
    for i in range(1, HISTORY + 1):
        at = NOW - timedelta(seconds=rng.randint(0, span))
        yield (i, at, rng.random() < OPEN_SHARE, rng.choice(CATEGORIES), rng.randint(1, INSTITUTIONS),
               "粤语" if rng.random() < 0.4 else "普通话", rng.choice(CITIES), rng.randint(1, MEDIATORS))


def seed(db_url: str, rng: random.Random) -> dict:
    timings = {}
    started = time.perf_counter()
    with psycopg.connect(admin_url(db_url)) as conn:
        copy_rows(conn, "institutions", ["id", "name", "kind", "credit_code"],
                  ((i, f"测试金融机构{i}", "bank" if i % 2 else "insurer", f"9144{i:014d}")
                   for i in range(1, INSTITUTIONS + 1)))
        officer_id = MEDIATORS + 1
        copy_rows(conn, "users", ["id", "username", "display_name", "role", "active", "created_at"],
                  [(i, f"bench_mediator_{i}", f"调解员{i}", "mediator", True, NOW) for i in range(1, MEDIATORS + 1)]
                  + [(officer_id, "bench_officer", "办案员", "case_officer", True, NOW)])

        mediator_rows, certs, ties = [], [], []
        cert_id = tie_id = 0
        for i in range(1, MEDIATORS + 1):
            languages = ["普通话"] + rng.sample(LANGUAGES, rng.choice([0, 1, 1, 2]))
            specialties = rng.sample(CATEGORIES, rng.choice([1, 2, 2, 3]))
            cities = rng.sample(CITIES, rng.choice([1, 1, 2, 3]))
            status = rng.choices(["active", "suspended", "retired"], [94, 3, 3])[0]
            expiry = NOW.date() + timedelta(days=rng.randint(-120, 2000))
            cert_id += 1
            certs.append((cert_id, i, "人民调解员资格证书", f"GD{i:06d}", expiry))
            mediator_rows.append((i, i, f"调解员{i}", rng.choice(BACKGROUNDS), rng.randint(1, 30),
                                  json.dumps(specialties, ensure_ascii=False), json.dumps(languages, ensure_ascii=False),
                                  json.dumps(cities, ensure_ascii=False), rng.random() < 0.6, rng.choice([5, 8, 10, 15]),
                                  status, 0, 0, expiry, NOW, NOW))
            for _ in range(rng.choice([0, 1, 1, 2])):
                tie_id += 1
                inst = rng.randint(1, INSTITUTIONS)
                ended = None if rng.random() < 0.3 else NOW.date() - timedelta(days=rng.randint(30, 4000))
                ties.append((tie_id, i, inst, f"9144{inst:014d}", f"测试金融机构{inst}", "任职", date(2005, 1, 1), ended))
        copy_rows(conn, "mediators", ["id", "user_id", "name", "background", "years_of_practice", "specialties",
                                      "languages", "cities", "remote_capable", "max_active_cases", "status",
                                      "active_cases", "assignments_total", "certification_valid_until",
                                      "created_at", "updated_at"], mediator_rows)
        copy_rows(conn, "mediator_certifications", ["id", "mediator_id", "name", "number", "expires_on"], certs)
        copy_rows(conn, "mediator_affiliations", ["id", "mediator_id", "institution_id", "credit_code",
                                                  "institution_name", "relation", "started_on", "ended_on"], ties)
        copy_rows(conn, "mediator_pools", ["id", "name", "active", "created_at"],
                  ((p, f"调解员库{p}", True, NOW) for p in range(1, POOLS + 1)))
        pool_categories = set()
        for p in range(1, POOLS + 1):
            for code in rng.sample(CATEGORIES, rng.choice([1, 1, 2])):
                pool_categories.add((p, code))
        copy_rows(conn, "mediator_pool_categories", ["pool_id", "category_code"], sorted(pool_categories))
        members = set()
        for m in range(1, MEDIATORS + 1):
            for p in rng.sample(range(1, POOLS + 1), rng.choice([1, 2, 2, 3])):
                members.add((p, m))
        copy_rows(conn, "mediator_pool_members", ["pool_id", "mediator_id"], sorted(members))
        conn.commit()
        timings["roster"] = time.perf_counter() - started

        started = time.perf_counter()
        history_seed = rng.random()
        copy_rows(conn, "cases", ["id", "number", "channel", "category_code", "status", "institution_id", "facts",
                                  "preferred_language", "city", "needs_elderly_support", "needs_interpreter",
                                  "fast_track", "received_on", "due_on", "created_at", "updated_at", "closed_at",
                                  "mediator_user_id"],
                  ((i, f"粤正和调〔{at.year}〕第{i:07d}号", "hotline", category, "in_mediation" if is_open else "closed",
                    institution, "历史案件", language, city, False, False, False, at.date(),
                    at.date() + timedelta(days=42), at, at, None if is_open else at, mediator)
                   for i, at, is_open, category, institution, language, city, mediator in history(history_seed)))
        conn.commit()
        timings["cases"] = time.perf_counter() - started

        started = time.perf_counter()
        # One assignment per historical case, to its mediator at its creation (the same generated sequence).
        copy_rows(conn, "mediator_assignments", ["case_id", "mediator_id", "assigned_at", "mode", "assigned_by_user_id"],
                  ((i, mediator, at, "auto", officer_id)
                   for i, at, _open, _cat, _inst, _lang, _city, mediator in history(history_seed)))
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
        conn.commit()
        timings["history"] = time.perf_counter() - started
    with psycopg.connect(admin_url(db_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(db_url: str, runs: int, rng: random.Random) -> dict:
    from mediation_svc.rosters.assignment import rank_candidates

    engine = make_engine(Settings(database_url=db_url, _env_file=None))
    with engine.connect() as conn:
        open_ids = [r[0] for r in conn.execute(text("SELECT id FROM cases WHERE status = 'in_mediation' LIMIT 5000"))]
    sample = [rng.choice(open_ids) for _ in range(runs)]
    timings, cpu, sizes = [], [], []
    load_before = os.getloadavg()
    with Session(engine) as session:
        for warm in sample[:10]:  # warm the plan and buffer caches
            rank_candidates(session, case=session.get(Case, warm))
            session.rollback()
        for case_id in sample:
            case = session.get(Case, case_id)
            started, started_cpu = time.perf_counter(), time.process_time()
            result = rank_candidates(session, case=case)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            sizes.append(len(result.ranked) + len(result.rejected))
            session.rollback()
            session.expunge_all()
    engine.dispose()
    return {"median_ms": statistics.median(timings), "p95_ms": percentile(timings, 0.95),
            "cpu_median_ms": statistics.median(cpu), "candidates_median": statistics.median(sizes), "runs": runs,
            "load": (load_before, os.getloadavg())}


def main() -> None:
    parser = database_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true",
                        help="time against the database a previous --keep run left (migrating it first)")
    args = parser.parse_args()
    rng = random.Random(20261123)
    if args.reuse:
        db_url = make_url(args.url).set(database=DB_NAME).render_as_string(hide_password=False)
    else:
        db_url = recreate_database(args.url, DB_NAME)
    try:
        engine = create_engine(db_url)
        upgrade(engine)
        engine.dispose()
        if args.reuse:
            with psycopg.connect(admin_url(db_url), autocommit=True) as conn:
                conn.execute("ANALYZE")
        else:
            timings = seed(db_url, rng)
            print(f"seeded {MEDIATORS} mediators, {POOLS} pools, {HISTORY} historical cases and assignments "
                  f"(roster {timings['roster']:.1f}s, cases {timings['cases']:.1f}s, "
                  f"history {timings['history']:.1f}s)")
        result = run(db_url, args.runs, rng)
        print(f"rank candidates for a case: median {result['median_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms "
              f"({result['runs']} runs, median {result['candidates_median']:.0f} candidates per case; "
              f"client CPU median {result['cpu_median_ms']:.1f} ms)")
        before, after = result["load"]
        print(f"machine load average (1 min) before {before[0]:.2f}, after {after[0]:.2f} on {os.cpu_count()} CPUs")
    finally:
        if not args.keep:
            drop_database(args.url, DB_NAME)


if __name__ == "__main__":
    main()
