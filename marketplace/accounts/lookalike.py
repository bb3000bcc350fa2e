"""E-mail addresses that read like another (issue #30): ``p\u0435mbeli@…`` with a Cyrillic ``е``, or
fullwidth ``ｐembeli@…``, would register as new accounts that look exactly like an existing one — to
an admin reading a list, to a buyer reading who wrote to them.

Two rules, applied by the registration schema: every address is NFKC-normalised first (fullwidth and
other compatibility forms become the plain letters, so ``ｐembeli`` *is* ``pembeli`` and meets the
"already registered" rule), and a part of the address (the local part, each label of the domain) may
not mix letters of two scripts, nor be written wholly in another script's letters that all have a
Latin look-alike (``раура`` in Cyrillic). Digits and punctuation belong to every script.
"""

from __future__ import annotations

import re
import unicodedata

MESSAGE = ("Write the e-mail address exactly as your provider shows it: "
           "it mixes letters of different alphabets.")

#: Letters of other scripts that a reader cannot tell from a Latin one (lower case, as addresses are).
LATIN_LOOKALIKES = frozenset(
    "аеорсухіјѕԁԛԝһӏ"  # Cyrillic: a e o p c y x i j s d q w h l
    "αοριυνκτχ"  # Greek: a o p i u v k t x
    "ոսօ"  # Armenian: n u o
)


def normalise(address: str) -> str:
    """The address as stored and compared: compatibility forms folded (NFKC), trimmed, lower case."""
    return unicodedata.normalize("NFKC", address).strip().lower()


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "LATIN"
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]


def confusable(address: str) -> bool:
    """Whether some part of the (normalised) address mixes scripts or poses as Latin in another one."""
    for part in re.split(r"[@.]", normalise(address)):
        scripts = {s for s in map(_script, part) if s is not None}
        if len(scripts) > 1:
            return True
        letters = [ch for ch in part if ch.isalpha()]
        if scripts and scripts != {"LATIN"} and all(ch in LATIN_LOOKALIKES for ch in letters):
            return True
    return False
