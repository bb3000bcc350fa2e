#!/usr/bin/env bash
# `make run`: set up the virtual environment and start the whole system on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
exec "$VENV/bin/marketplace" run "$@"
