"""Every feature has its own translations file, merged into one catalogue: a message id two files
translate differently shows whichever file loads last, on every page. It hid a form field once (an offer's
"Processing days" renamed the listing form's) and put "Sampai" (until) over the admins' mail recipients."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parents[2] / "marketplace" / "translations"


def test_no_message_id_is_translated_two_ways():
    for locale in (p for p in TRANSLATIONS.iterdir() if p.is_dir()):
        seen: dict[str, dict[str, str]] = defaultdict(dict)
        for path in sorted(locale.glob("*.json")):
            for message_id, text in json.loads(path.read_text(encoding="utf-8")).items():
                seen[message_id][path.name] = json.dumps(text, sort_keys=True, ensure_ascii=False)
        clashes = {m: files for m, files in seen.items() if len(set(files.values())) > 1}
        assert not clashes, f"{locale.name}: translated differently by several files: {clashes}"
