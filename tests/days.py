"""The suite's today: the UTC day the test session started (or AICOST_TEST_TODAY=YYYY-MM-DD), pinned for every
test through AICOST_TODAY (aicost.clock), so a run that crosses midnight, or a test that computes a date a moment
before the code under test does, still agrees on the date. Tests that need a particular day (a month end, a leap
day) pin their own; `.ci/dates` runs the date-sensitive tests with the clock started at several instants."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

TODAY: date = date.fromisoformat(os.environ.get("AICOST_TEST_TODAY") or datetime.now(UTC).date().isoformat())
YESTERDAY: date = TODAY - timedelta(days=1)
TOMORROW: date = TODAY + timedelta(days=1)


def ago(days: int) -> date:
    """The UTC day `days` before the suite's today."""
    return TODAY - timedelta(days=days)
