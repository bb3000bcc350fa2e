"""Every name the code uses is defined, and every import is used (pyflakes' rules, through ruff).

A module that moves leaves importers behind: after this project's restructuring (issue #23) three such
names (a view's ``get_db``, payments' ``UnknownIntent``, a benchmark's ``marketplace``) would only have
failed on the request or command that reached them. This reads the source, so it fails on all of them at
once, before any of those requests is made.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: undefined name, redefinition of an unused name, unused import.
RULES = "F821,F811,F401"


def _ruff() -> list[str]:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert found, "ruff is a test dependency (pyproject's [test] extra)"
    return [found]


def test_no_undefined_or_unused_names_in_the_code():
    out = subprocess.run(
        [*_ruff(), "check", "--no-cache", "--isolated", "--select", RULES, "--output-format", "concise",
         "marketplace", "events", "workers", "bench", "migrations"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_check_finds_an_undefined_name(tmp_path):
    (tmp_path / "broken.py").write_text("def view():\n    return get_db()\n")
    out = subprocess.run([*_ruff(), "check", "--no-cache", "--isolated", "--select", RULES, str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "F821" in out.stdout
