"""Every link and form target in the page templates is built by ``url_for``, so an English page's links
stay under ``/en/`` (a hard-coded ``/listings/…`` dropped the visitor back into Indonesian)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "marketplace" / "templates"
#: Mails are read outside the site: their links are absolute URLs built by the sender.
HARD_CODED = re.compile(r'(?:href|action|src)="/(?!/)')


def test_no_page_template_hard_codes_a_site_path():
    offenders = [f"{path.relative_to(TEMPLATES)}:{number}"
                 for path in TEMPLATES.rglob("*.html") if "notifications/mail" not in path.as_posix()
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if HARD_CODED.search(line)]
    assert offenders == []
