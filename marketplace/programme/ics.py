"""An event as an iCalendar file (RFC 5545), for "add to calendar" on a phone.

Written by hand (a dozen properties; no dependency): lines end in CRLF and are folded at 75 octets
(never inside a UTF-8 character, §3.1); TEXT values escape backslash, semicolon, comma and newlines
(§3.3.11); times are UTC (``…Z``, §3.3.5 form #2), which every calendar shows in its own zone, so a
phone in WIB shows the event's WIB hours. ``UID`` is stable per event, and ``SEQUENCE`` grows with each
edit (seconds since creation), so re-importing an edited event updates it instead of adding a copy.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from marketplace.programme.models import EventStatus, ProgrammeEvent

PRODID = "-//Pasar Kreatif//Acara Program//ID"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): ``\\`` ``;`` ``,`` escaped, newlines as ``\\n``."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n"))


def utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, each continuation starting with a space."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def calendar_of(event: ProgrammeEvent, base_url: str, *, now: datetime | None = None) -> str:
    base = base_url.rstrip("/")
    host = urlsplit(base).hostname or "pasar-kreatif"
    url = f"{base}/events/{event.id}"
    stamp = now or event.updated_at or event.created_at
    sequence = max(0, int((event.updated_at - event.created_at).total_seconds())) if event.updated_at else 0
    cancelled = event.status == EventStatus.CANCELLED.value
    description = event.description or ""
    description = f"{description}\n\n{url}" if description else url
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:programme-event-{event.id}@{host}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(event.starts_at)}",
        f"DTEND:{utc(event.ends_at)}",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{escape_text(event.title)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"LOCATION:{escape_text(f'{event.venue}, {event.city}')}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
