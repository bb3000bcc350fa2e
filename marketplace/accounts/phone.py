"""Phone numbers: the one rule, for ``PATCH /api/v1/me`` and the notification settings page alike.

We store E.164 (``+62812…``), the form WhatsApp's Cloud API addresses. People type Indonesian mobile
numbers every way (``0812-3456-7890``, ``62812…``, ``+62 812 …``, ``(0812) …``): spaces, dashes, dots
and brackets are dropped and the national ``0`` or the bare ``62`` become ``+62``. Only Indonesian
mobile numbers are accepted (``+628`` and 9 to 12 digits after ``+62``): WhatsApp runs on mobiles, and
the marketplace serves Indonesia; anything else is refused with the expected format, never guessed.
"""

from __future__ import annotations

import re

PHONE_MESSAGE = "Enter an Indonesian mobile number, e.g. 0812 3456 7890 or +62 812 3456 7890."
PHONE_MAX = 16  # "+62" and at most 12 digits; E.164 allows 15 digits in all
_SEPARATORS = re.compile(r"[\s\-.()/]")
_NATIONAL = re.compile(r"8\d{8,11}")  # after +62: a mobile number, 9 to 12 digits

#: The same rule as a JSON Schema ``pattern`` (the OpenAPI document): blank, or the forms above with
#: any of the separators between any two characters.
_SEP = r"[ \t\n\r\-.()/]*"
PHONE_PATTERN = (rf"^(?:[ \t\n\r]*|{_SEP}(?:(?:\+{_SEP}6{_SEP}2|6{_SEP}2|0){_SEP})?(?:0{_SEP})?8{_SEP}"
                 rf"(?:[0-9]{_SEP}){{8,11}})$")


def normalise_phone(raw: str) -> str:
    """``raw`` as ``+62…``; ``ValueError(PHONE_MESSAGE)`` when it is not an Indonesian mobile number."""
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+62"):
        national = text[3:]
    elif text.startswith("+"):
        raise ValueError(PHONE_MESSAGE)  # a foreign country code
    elif text.startswith("62"):
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text
    if national.startswith("0"):  # "+62 0812…": the national 0 kept after the country code
        national = national[1:]
    if not _NATIONAL.fullmatch(national):
        raise ValueError(PHONE_MESSAGE)
    return "+62" + national


def masked(phone: str | None) -> str | None:
    """``+62812••••7890``: enough for a person to recognise their own number, for pages that confirm it."""
    if not phone:
        return None
    return phone[:6] + "•" * max(0, len(phone) - 10) + phone[-4:]
