#!/usr/bin/env bash
# The test command (`make test`): set up the virtual environment, find PostgreSQL, run pytest.
#
# PostgreSQL: TEST_DATABASE_URL if set; else 127.0.0.1:5432 (database `test`); else a throwaway server
# when PostgreSQL's binaries are installed; else SQLite only, loudly — except under CI=true, where a
# missing PostgreSQL fails the run.
#
# Chromium (the browser test): Debian's `chromium` at /usr/bin/chromium, installed here when it is missing
# and we can (root with apt-get); never a browser build downloaded from elsewhere (no `playwright install`).
# CHROMIUM_PATH points the test at another binary (and skips the install). A browser test that cannot run
# is skipped loudly — except under CI=true, where it fails the run (tests/e2e/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh

pg_answers() {
  # Probe URLs can be overridden (PG_PROBE_URLS, space-separated) to exercise the fallbacks.
  "$PY" - "$1" <<'PYEOF'
import sys
from sqlalchemy import create_engine, text
from marketplace.db import normalise_url
try:
    e = create_engine(normalise_url(sys.argv[1]), connect_args={"connect_timeout": 3})
    with e.connect() as c:
        c.execute(text("SELECT 1"))
except Exception as exc:
    print(f"  ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})", file=sys.stderr)
    sys.exit(1)
PYEOF
}

THROWAWAY=""
PG_AS=()  # PostgreSQL refuses to run as root: as root, run its binaries as the postgres user
cleanup() {
  if [ -n "$THROWAWAY" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$THROWAWAY/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$THROWAWAY"
  fi
}
trap cleanup EXIT

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  for candidate in ${PG_PROBE_URLS:-"postgresql://postgres@127.0.0.1:5432/test" "postgresql://${USER:-$(id -un)}@127.0.0.1:5432/test"}; do
    if pg_answers "$candidate" 2>/dev/null; then export TEST_DATABASE_URL="$candidate"; break; fi
  done
fi

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$PG_BIN" ] || PG_BIN="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
  if [ -x "$PG_BIN/initdb" ]; then
    if [ "$(id -u)" = "0" ]; then PG_AS=(runuser -u postgres --); fi
    THROWAWAY="$(mktemp -d)"; chmod 777 "$THROWAWAY"
    PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$THROWAWAY/data" -U postgres -A trust >/dev/null
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$THROWAWAY/data" -o "-p $PORT -k $THROWAWAY -h 127.0.0.1" -l "$THROWAWAY/log" -w start >/dev/null
    "${PG_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres test
    export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORT/test"
    echo "test.sh: started a throwaway PostgreSQL on port $PORT"
  fi
fi

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "test.sh: FAIL — CI=true and no PostgreSQL answers (set TEST_DATABASE_URL or install PostgreSQL)" >&2
    exit 3
  fi
  echo "######################################################################" >&2
  echo "# test.sh: NO POSTGRESQL FOUND — running on SQLITE ONLY.             #" >&2
  echo "# Production runs PostgreSQL: set TEST_DATABASE_URL to test it too.  #" >&2
  echo "######################################################################" >&2
else
  echo "test.sh: PostgreSQL at ${TEST_DATABASE_URL##*@}"
fi

DEBIAN_CHROMIUM=/usr/bin/chromium
install_chromium() {
  # One `apt-get update`, then Debian's package; returns non-zero (never exits) when either step fails.
  echo "test.sh: no Chromium at $DEBIAN_CHROMIUM: installing Debian's chromium with apt-get"
  apt-get update -q >/dev/null || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || return 1
  [ -x "$DEBIAN_CHROMIUM" ]
}

BROWSER="${CHROMIUM_PATH:-$DEBIAN_CHROMIUM}"
if [ ! -x "$BROWSER" ]; then
  if [ "$BROWSER" != "$DEBIAN_CHROMIUM" ]; then
    echo "test.sh: CHROMIUM_PATH=$BROWSER is not an executable; not installing anything" >&2
  elif [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: no Chromium at $DEBIAN_CHROMIUM, and installing it needs root and apt-get" \
         "(run: sudo apt-get install chromium)" >&2
  elif ! install_chromium; then
    echo "test.sh: installing chromium failed (see apt-get's messages above)" >&2
  fi
fi
if [ -x "$BROWSER" ]; then
  echo "test.sh: browser test on $("$BROWSER" --version 2>/dev/null || echo "$BROWSER")"
elif [ "${CI:-}" = "true" ]; then
  echo "test.sh: no usable Chromium at $BROWSER: under CI=true the browser test will FAIL" >&2
else
  echo "test.sh: no usable Chromium at $BROWSER: the browser test will be SKIPPED" >&2
fi

# The browser test's page audit (tests/e2e/audit.py): axe-core and the Nu HTML checker (npm `vnu-jar`, run on
# the system's Java), installed with npm into .cache/npm when missing (--ignore-scripts: vnu-jar's own install
# script would download a Java; Debian's is used). Java comes from Debian's default-jre-headless, as Chromium.
# A missing tool skips that check loudly — except under CI=true, where the browser test fails.
AUDIT_PREFIX="$PWD/.cache/npm"
export AUDIT_NODE_MODULES="${AUDIT_NODE_MODULES:-$AUDIT_PREFIX/node_modules}"
AUDIT_PACKAGES=(axe-core@4.14.1 vnu-jar@26.9.27)
if [ ! -f "$AUDIT_NODE_MODULES/axe-core/axe.min.js" ] || [ ! -f "$AUDIT_NODE_MODULES/vnu-jar/build/dist/vnu.jar" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "test.sh: installing the page audit's ${AUDIT_PACKAGES[*]} with npm into $AUDIT_PREFIX"
    mkdir -p "$AUDIT_PREFIX"
    npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error --prefix "$AUDIT_PREFIX" \
      "${AUDIT_PACKAGES[@]}" >/dev/null || echo "test.sh: npm install of the page audit's tools failed" >&2
  else
    echo "test.sh: no npm: the page audit's axe-core and Nu HTML checker cannot be installed (apt-get install npm)" >&2
  fi
fi
if ! command -v java >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "test.sh: no Java for the Nu HTML checker: installing Debian's default-jre-headless"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q default-jre-headless; } >/dev/null \
    || echo "test.sh: installing default-jre-headless failed" >&2
fi
if [ -f "$AUDIT_NODE_MODULES/axe-core/axe.min.js" ] && [ -f "$AUDIT_NODE_MODULES/vnu-jar/build/dist/vnu.jar" ] \
   && command -v java >/dev/null 2>&1; then
  echo "test.sh: page audit with axe-core and the Nu HTML checker from $AUDIT_NODE_MODULES"
elif [ "${CI:-}" = "true" ]; then
  echo "test.sh: the page audit's tools are missing: under CI=true the browser test will FAIL" >&2
else
  echo "test.sh: the page audit's tools are missing: its axe and HTML checks will be SKIPPED (loudly)" >&2
fi

# Parallel workers (pytest-xdist): most integration and e2e tests wait on the broker, consumer groups and
# subprocesses rather than compute, so more workers than cores still pays. Each worker has its own
# PostgreSQL schema, broker, temp dirs and ports (tests/conftest.py); `--dist loadfile` keeps a file on one
# worker, so a module's fixtures (`marketplace run`, the browser, the S3 and SMTP servers) start once.
# TEST_WORKERS=0 runs serially in one process; arguments after ours win (`-n 2`), and `-p no:xdist`
# turns the plugin off.
XDIST=(-n "${TEST_WORKERS:-3}" --dist loadfile)
for arg in "$@"; do
  case "$arg" in *no:xdist) XDIST=() ;; esac
done
"$PY" -m pytest "${XDIST[@]}" --durations=15 "$@"
