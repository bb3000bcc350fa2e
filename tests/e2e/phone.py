"""What the phone-page browser tests share: a 390-px phone and patience for a busy machine (the
``crowd`` fixture, the people of ``test_browser``, is in ``conftest``)."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_browser import People

PHONE_390 = {"viewport": {"width": 390, "height": 844}}
#: Longer than the main journey's: these are often run beside other suites on a busy machine.
PATIENCE_MS = 60_000


def open_phone(people: People, who: str) -> Any:
    """``who``'s page on a 390-px phone, waiting up to :data:`PATIENCE_MS` for each step."""
    page = people.open(who, **PHONE_390)
    page.context.set_default_timeout(PATIENCE_MS)
    page.context.set_default_navigation_timeout(PATIENCE_MS)
    return page
