# Sourced by the scripts: make .venv with the project installed (once, and again when pyproject changes).
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV"
fi
STAMP="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$STAMP" ]; then
  "$PY" -m pip install --quiet --upgrade pip
  "$PY" -m pip install --quiet -e '.[test]'
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
fi
export PATH="$PWD/$VENV/bin:$PATH"
