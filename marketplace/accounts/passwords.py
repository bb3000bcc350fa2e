"""Which passwords are too easy to guess, checked offline (NIST SP 800-63B §5.1.1.2).

A length rule alone let ``1234567890``, ``aaaaaaaaaa``, ``password12`` and ten spaces through. NIST asks a
verifier to refuse passwords found in lists of breached or common passwords, repetitive or sequential
characters, and context-specific words (the service's name, the user's own name or e-mail), and to
impose no composition rules. So a password is refused when, compared without case:

- it holds no visible character, or is a short unit repeated (``aaaaaaaaaa``, ``ababab…``, ``abcabc…``);
- it is a run of the alphabet, the digits or a keyboard row, forwards or backwards (``1234567890``);
- it is in ``data/common-passwords.txt.gz`` — the 20,000 most common passwords of public breach
  corpora compiled by Royce Williams, lowercased, as Django ships it (BSD licence, ``data/LICENSE.django``);
- it is such a common password, the user's own name or e-mail (or its local part), or a word of this
  service or its places, with at most a short or trivial tail or head of digits and symbols
  (``password2024!``, ``budi.santoso123``).

No network is involved: the list ships with the package and is read once per process.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"

PASSWORD_GUESSABLE_MESSAGE = "This password is too common or easy to guess; choose another."
PASSWORD_PERSONAL_MESSAGE = "Do not use your name or e-mail address as the password."

#: Words of this service and its places that a guesser tries first (context-specific words, §5.1.1.2).
CONTEXT_WORDS = frozenset({
    "pasarkreatif", "pasar kreatif", "pasar-kreatif", "pasar", "kreatif", "katasandi", "kata sandi",
    "sandi", "rahasia", "tangerang", "tangsel", "bekasi", "jakarta", "indonesia", "batik", "perajin",
})
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm",
              "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
#: The most characters of digits and symbols around a guessable word that still leave it guessable.
_SHORT_AFFIX = 4
_AFFIX = re.compile(r"^([^a-z]*)(.*?)([^a-z]*)$", re.DOTALL)
_YEAR = re.compile(r"(19|20)\d\d")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def _repetitive(text: str) -> bool:
    """A unit of up to three characters repeated (``aaaa``, ``1212``, ``abcabc``)."""
    return any(len(text) > size and text == (text[:size] * (len(text) // size + 1))[:len(text)]
               for size in (1, 2, 3))


def _sequential(text: str) -> bool:
    return len(text) >= 3 and any(text in seq or text in seq[::-1] for seq in _SEQUENCES)


def _trivial(text: str) -> bool:
    """Digits and symbols that add little: short, repeated, a run, or a year with a symbol or two."""
    return (len(text) <= _SHORT_AFFIX or _repetitive(text) or _sequential(text)
            or len(_YEAR.sub("", text, count=1)) <= 2)


def _personal_words(email: str | None, name: str | None) -> set[str]:
    words: set[str] = set()
    if email:
        email = email.strip().lower()
        words |= {email, email.partition("@")[0]}
    if name:
        name = " ".join(name.lower().split())
        words |= {name, name.replace(" ", ""), *(part for part in name.split(" ") if len(part) >= 4)}
    return {w for w in words if len(w) >= 3}


def _core(text: str) -> tuple[str, str]:
    """The letters-first middle of ``text`` and what was around it (leading and trailing non-letters)."""
    match = _AFFIX.match(text)
    assert match is not None  # the pattern matches every string
    return match.group(2), match.group(1) + match.group(3)


def guessable_password_error(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """The message for a password a guesser would find early, or None when it is not one of those."""
    text = password.lower()
    if not text.strip() or _repetitive(text) or _sequential(text):
        return PASSWORD_GUESSABLE_MESSAGE
    common = common_passwords()
    if text in common or text.strip() in common:
        return PASSWORD_GUESSABLE_MESSAGE
    core, affix = _core(text)
    personal = _personal_words(email, name)
    if text in personal or (core in personal and _trivial(affix)):
        return PASSWORD_PERSONAL_MESSAGE
    if core and _trivial(affix) and (core in common or core in CONTEXT_WORDS):
        return PASSWORD_GUESSABLE_MESSAGE
    return None
