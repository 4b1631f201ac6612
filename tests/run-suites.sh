#!/usr/bin/env bash
# `make test`: the whole suite on SQLite and, when PostgreSQL answers on PG_TEST_URL, the database tests on
# PostgreSQL, both at once (two processes for the machine's two cores; they share no port, file or database:
# servers bind free ports, files go to each run's own pytest temporary directories, and the PostgreSQL run
# creates a database of its own). Each run writes its own log; both are printed at the end under a header
# saying how it ended, how long it took and the load average. Fails when either run fails.
# Usage: BIN=.venv/bin PG_TEST_URL=postgresql+psycopg://... tests/run-suites.sh [pytest arguments...]
set -uo pipefail

BIN=${BIN:-.venv/bin}
PG_TEST_URL=${PG_TEST_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
LOGS=${TEST_LOGS:-var/test-logs}
mkdir -p "$LOGS"
rm -f "$LOGS"/sqlite.* "$LOGS"/postgresql.*

load() { cut -d' ' -f1-3 /proc/loadavg; }

pg_answers() {
  "$BIN/python" -c "import psycopg,sys; psycopg.connect(sys.argv[1].replace('+psycopg',''), connect_timeout=3).close()" \
    "$PG_TEST_URL" 2>/dev/null
}

declare -A pid
run() {  # run NAME COMMAND...: in the background, output to $LOGS/NAME.log, its time and end load beside it
  local name=$1; shift
  (
    start=$(date +%s)
    "$@"; rc=$?
    echo "$(( $(date +%s) - start )) $(load)" >"$LOGS/$name.took"
    exit $rc
  ) >"$LOGS/$name.log" 2>&1 &
  pid[$name]=$!
}

stop() { for p in "${pid[@]}"; do pkill -TERM -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; exit 130; }
trap stop INT TERM

echo "== make test: SQLite and PostgreSQL runs side by side (2 cores; load average at start: $(load)) =="
run sqlite env -u MEDIATION_TEST_DATABASE_URL "$BIN/python" -m pytest -q "$@"
if pg_answers; then
  run postgresql env MEDIATION_TEST_DATABASE_URL="$PG_TEST_URL" "$BIN/python" -m pytest -q \
    -m "db or postgresql_only" -o cache_dir=.pytest_cache/postgresql "$@"
else
  echo "== PostgreSQL does not answer on $PG_TEST_URL: SKIPPED the PostgreSQL run =="
fi

failed=0
for name in sqlite postgresql; do
  [ -n "${pid[$name]:-}" ] || continue
  wait "${pid[$name]}"; rc=$?
  [ "$rc" -eq 0 ] || failed=1
  read -r took load1 load5 load15 <"$LOGS/$name.took" || took=0
  if [ "$name" = sqlite ]; then title="test suite on SQLite"
  else title="database tests again on PostgreSQL ($PG_TEST_URL)"; fi
  echo
  echo "== $title: exit $rc, $((took / 60)) min $((took % 60)) s, load average at its end ${load1:-?} ${load5:-} ${load15:-} (log: $LOGS/$name.log) =="
  cat "$LOGS/$name.log"
done
exit $failed
