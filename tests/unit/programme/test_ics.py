"""The ``.ics`` file of an event (RFC 5545): CRLF lines folded at 75 octets, TEXT escaped, UTC times,
a stable UID, and a cancelled event says so; served from the event page with its content type."""

from __future__ import annotations

from datetime import datetime, timezone

from marketplace.programme.ics import calendar_of, escape_text
from marketplace.programme.models import ProgrammeEvent
from tests.unit.programme.helpers import create_event

CREATED = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


def _event(**overrides) -> ProgrammeEvent:
    values = dict(id=42, kind="workshop", status="scheduled", title="Batik, tenun; dan \\ anyaman",
                  description="Baris satu\nBaris dua: " + "é" * 60, venue="Balai Warga, RT 03", city="Bekasi",
                  starts_at=datetime(2026, 12, 14, 2, 0, tzinfo=timezone.utc),
                  ends_at=datetime(2026, 12, 14, 5, 30, tzinfo=timezone.utc), capacity=10,
                  created_at=CREATED, updated_at=CREATED)
    values.update(overrides)
    return ProgrammeEvent(**values)


def _unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_text_is_escaped_times_are_utc_and_lines_are_folded_at_75_octets():
    text = calendar_of(_event(), "https://pasar.test/")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends in CRLF
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    lines = _unfold(text)
    assert "SUMMARY:Batik\\, tenun\\; dan \\\\ anyaman" in lines
    assert "DTSTART:20261214T020000Z" in lines and "DTEND:20261214T053000Z" in lines  # 09.00–12.30 WIB
    assert "LOCATION:Balai Warga\\, RT 03\\, Bekasi" in lines
    assert "UID:programme-event-42@pasar.test" in lines and "STATUS:CONFIRMED" in lines
    [description] = [line for line in lines if line.startswith("DESCRIPTION:")]
    assert description == "DESCRIPTION:Baris satu\\nBaris dua: " + "é" * 60 + "\\n\\nhttps://pasar.test/events/42"
    assert sum(line.startswith(" ") for line in text.split("\r\n")) >= 2  # the long description was folded


def test_a_cancelled_event_and_an_edit_are_new_versions_of_the_same_uid():
    edited = _event(status="cancelled", updated_at=datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc))
    lines = _unfold(calendar_of(edited, "https://pasar.test"))
    assert "STATUS:CANCELLED" in lines and "SEQUENCE:86400" in lines and "UID:programme-event-42@pasar.test" in lines
    assert "SEQUENCE:0" in _unfold(calendar_of(_event(), "https://pasar.test"))
    assert escape_text("a\r\nb\rc") == "a\\nb\\nc"


def test_the_event_page_serves_the_file(api, client, market):
    event = create_event(api, market.admin, title="Festival; Bekasi, 2026")
    resp = client.get(f"/events/{event['id']}.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert f'filename="acara-{event["id"]}.ics"' in resp.headers["Content-Disposition"]
    assert "SUMMARY:Festival\\; Bekasi\\, 2026" in _unfold(resp.get_data(as_text=True))
    assert client.get("/events/999999.ics").status_code == 404
