"""The clock: what "now" and "today" are (UTC), in one place, so every part of aicost agrees on the date.

AICOST_TODAY=YYYY-MM-DD pins today (demos, screenshots, reproducing a past day's view, the test suite): the
clock then reads noon of that day and runs on from there, so "now" and "today" never disagree, even when the
real date changes while a process runs.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from aicost.errors import InvalidInput

ENV = "AICOST_TODAY"
_started: dict[date, float] = {}  # pinned day -> monotonic reading when it was first used in this process


def pinned() -> date | None:
    """The day AICOST_TODAY pins, or None when the real date applies.

    Raises:
        InvalidInput: AICOST_TODAY is set but is not a date in the form YYYY-MM-DD.
    """
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(ENV, f"{text!r} is not a date in the form YYYY-MM-DD") from None


def now() -> datetime:
    """Now as a naive UTC datetime (the ledger stores UTC without a zone)."""
    day = pinned()
    if day is None:
        return datetime.now(UTC).replace(tzinfo=None)
    start = _started.setdefault(day, time.monotonic())
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=12, seconds=time.monotonic() - start)


def today() -> date:
    """Today as a UTC day: every date aicost shows, fetches or checks against is UTC."""
    return pinned() or datetime.now(UTC).date()
