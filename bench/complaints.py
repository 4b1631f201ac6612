"""Benchmark: the officer's forwarding board and the monthly complaint report with 100,000 complaints (PostgreSQL).

Seeds a dedicated database (created here and dropped at the end) with 300 institutions and 100,000 complaints
received over the last twelve months (with their forwarding dates, deadlines, answers, outcomes and a share
still open, overdue or urgent), loaded with COPY through psycopg, then times:

- the board: ``complaints.service.board`` (first 100 open complaints, urgent and overdue first) with each row
  turned into what the API returns, plus ``board_counts`` -- what ``GET /api/v1/complaints`` and the board
  page do;
- the monthly report: ``complaints.statistics.build`` for the last full month and the XLSX file
  (``to_xlsx``) -- what ``GET /api/v1/complaint-reports/{month}.xlsx`` does.

    .venv/bin/python bench/complaints.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                         [--runs 200] [--report-runs 20] [--keep]

Targets: board median under 100 ms, report under 2 s. The load average is printed beside every figure.
"""

from __future__ import annotations

import os
import random
import statistics as stats
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from _postgres import admin_url, database_arguments, drop_database, recreate_database  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from mediation_svc.accounts.models import User  # noqa: E402
from mediation_svc.config import Settings  # noqa: E402
from mediation_svc.db import make_engine  # noqa: E402
from mediation_svc.migrations_check import upgrade  # noqa: E402
from mediation_svc.timeutil import SHANGHAI, today_in_shanghai  # noqa: E402

# its own database per run, so that two runs on one server never meet
DB_NAME = f"bench_complaints_{uuid.uuid4().hex[:8]}"
COMPLAINTS = 100_000
INSTITUTIONS = 300
CHANNELS = ["hotline"] * 12 + ["web"] * 3 + ["wechat"] * 4 + ["letter"] * 2 + ["visit"]
CATEGORIES = ["bank_card", "loan", "wealth_management", "insurance_claim", "mis_selling", "surrender"]
NOW = datetime.now(timezone.utc)


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def seed(url: str) -> None:
    from mediation_svc.workdays import WorkdayCalendar

    calendar = WorkdayCalendar()
    rng = random.Random(17)
    today = today_in_shanghai()
    with psycopg.connect(admin_url(url)) as conn:
        with conn.cursor().copy("COPY institutions (id, name, kind, credit_code) FROM STDIN") as copy:
            for i in range(1, INSTITUTIONS + 1):
                copy.write_row((i, f"示例{'银行' if i % 2 else '保险'}股份有限公司第{i}分行", "bank" if i % 2 else "insurer",
                                f"91440000{i:09d}X"))
        conn.execute("SELECT setval('institutions_id_seq', %s)", (INSTITUTIONS,))
        conn.execute("INSERT INTO users (username, display_name, role, active, created_at) "
                     "VALUES ('bench.officer', '基准测试专员', 'case_officer', true, now())")
        columns = ["number", "kind", "channel", "status", "received_at", "consumer_name", "consumer_phone",
                   "institution_id", "institution_branch", "category_code", "facts", "request", "amount", "urgent",
                   "urgent_due_at", "forwarded_at", "forwarded_on", "limit_days", "deadline_on", "answered_at",
                   "outcome", "settled_amount", "consumer_accepted", "closed_at", "created_at", "updated_at"]
        with conn.cursor().copy(f"COPY contacts ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(COMPLAINTS):
                received = NOW - timedelta(days=365 * (i / COMPLAINTS) ** 1.0, minutes=rng.randint(0, 600))
                received_on = received.astimezone(SHANGHAI).date()
                forwarded_on = received_on
                deadline_on = calendar.add_days(forwarded_on, 15)
                urgent = rng.random() < 0.02
                age = (today - received_on).days
                answered_at = outcome = settled = accepted = closed = None
                status = "forwarded"
                if age <= 1 and rng.random() < 0.3:
                    status, forwarded_on, deadline_on = "received", None, None
                elif rng.random() < (0.9 if age > 30 else 0.55):
                    answered_on = calendar.add_workdays(forwarded_on, rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15]))
                    if answered_on < today:
                        answered_at = datetime.combine(answered_on, datetime.min.time(), SHANGHAI) + timedelta(hours=10)
                        outcome = rng.choices(["settled", "rejected", "mediation_requested"], [62, 30, 8])[0]
                        settled = rng.randint(500, 200_000) * 100 if outcome == "settled" else None
                        accepted = rng.random() < 0.8
                        status = "accepted" if accepted else "not_accepted"
                        closed = answered_at + timedelta(days=2) if accepted else None
                amount = rng.randint(1000, 300_000) * 100
                copy.write_row((
                    f"粤正和诉〔{received_on.year}〕第{i + 1:06d}号", "complaint", rng.choice(CHANNELS), status, received,
                    f"消费者{i}", f"+8613{rng.randint(100000000, 999999999)}", rng.randint(1, INSTITUTIONS), "支行",
                    rng.choice(CATEGORIES), "信用卡违约金过高，多次沟通未果。", "减免违约金", amount, urgent,
                    received + timedelta(hours=6) if urgent else None,
                    received + timedelta(hours=1) if forwarded_on else None, forwarded_on,
                    15 if forwarded_on else None, deadline_on, answered_at, outcome, settled, accepted, closed,
                    received, received))
        conn.commit()
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE contacts")  # what autovacuum does in production: index-only scans work


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and this process's CPU milliseconds per run."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def summary(name: str, samples: tuple[list[float], list[float]]) -> str:
    wall, cpu = sorted(samples[0]), samples[1]
    p95 = wall[max(0, int(len(wall) * 0.95) - 1)]
    return (f"{name}: median {stats.median(wall):.1f} ms, p95 {p95:.1f} ms over {len(wall)} runs "
            f"(CPU in this process: median {stats.median(cpu):.1f} ms; {load()})")


def main() -> None:
    parser = database_arguments(__doc__.splitlines()[0])
    parser.add_argument("--report-runs", type=int, default=20)
    args = parser.parse_args()
    url = recreate_database(args.url, DB_NAME)
    try:
        settings = Settings(database_url=url, _env_file=None)
        engine = make_engine(settings)
        upgrade(engine)
        started = time.perf_counter()
        seed(url)
        print(f"seeded {COMPLAINTS:,} complaints in {time.perf_counter() - started:.0f} s ({load()})")

        from mediation_svc.cases.service import workday_calendar
        from mediation_svc.complaints import service, statistics

        with Session(engine) as session:
            officer = session.exec(select(User).where(User.username == "bench.officer")).one()
            open_count = service.board_counts(session, user=officer)
            print(f"board counts: {open_count}")

            def board() -> None:
                calendar, names = workday_calendar(session), service.institution_names(session)
                rows = service.board(session, user=officer, limit=100)
                [service.to_read(c, calendar=calendar, settings=settings, institution_names=names) for c in rows]
                service.board_counts(session, user=officer)
                session.rollback()

            first_of_month = today_in_shanghai().replace(day=1)
            start = (first_of_month - timedelta(days=1)).replace(day=1)
            end = first_of_month - timedelta(days=1)

            def report() -> None:
                result = statistics.build(session, start=start, end=end)
                statistics.to_xlsx(result, center_name=settings.center_name)
                session.rollback()

            board()  # warm the caches once
            print(summary("board (100 rows + counts)", timed(board, args.runs)))
            totals = statistics.build(session, start=start, end=end).totals
            print(f"report month {start:%Y-%m}: {totals['complaints']:,} complaints, {totals['forwarded']:,} forwarded")
            print(summary("monthly report (figures + XLSX)", timed(report, args.report_runs)))
        engine.dispose()
    finally:
        if not args.keep:
            drop_database(args.url, DB_NAME)


if __name__ == "__main__":
    main()
