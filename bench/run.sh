#!/usr/bin/env bash
# One command for every benchmark (issue #15): `bash bench/run.sh [--quick] [--only NAME]... [--peer]`.
# Each benchmark starts what it needs (gunicorn for the app and for the bare Flask baseline, the embedded
# broker, a PostgreSQL schema of its own on TEST_DATABASE_URL — found as the tests find it); the load comes
# from wrk when installed (apt-get install wrk), else from bench/harness.py's Python generator.
# Figures go to bench/results/ (one JSON per benchmark + one summary table per run).
# --peer also runs the django-oscar peer in ../shared/peers/oscar beside ours, where a benchmark supports it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  for candidate in "postgresql://postgres@127.0.0.1:5432/test" "postgresql://${USER:-$(id -un)}@127.0.0.1:5432/test"; do
    if "$PY" -c "import sys; from sqlalchemy import create_engine, text; create_engine(sys.argv[1]).connect().execute(text('select 1'))" "$candidate" 2>/dev/null; then
      export TEST_DATABASE_URL="$candidate"; break
    fi
  done
fi
[ -n "${TEST_DATABASE_URL:-}" ] && echo "bench: PostgreSQL at ${TEST_DATABASE_URL##*@}" || echo "bench: no PostgreSQL found: SQLite only" >&2
command -v wrk >/dev/null || echo "bench: wrk not installed: using the Python load generator (apt-get install wrk for wrk)" >&2
case " $* " in *" --quick "*) exec "$PY" bench/run.py "$@" ;; *) exec "$PY" bench/run.py --full "$@" ;; esac
