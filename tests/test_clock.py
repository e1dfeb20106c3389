"""aicost.clock: one today for every part of aicost, pinned by AICOST_TODAY, never cut at a wrong midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aicost import clock
from aicost.errors import InvalidInput

pytestmark = pytest.mark.dates


def test_a_pinned_today_and_now_agree_and_the_clock_runs_on(monkeypatch):
    monkeypatch.setenv(clock.ENV, "2028-02-29")
    assert clock.today() == date(2028, 2, 29)
    first = clock.now()
    second = clock.now()
    assert first.date() == date(2028, 2, 29) and first.hour == 12 and first.tzinfo is None
    assert second >= first and second - first < timedelta(minutes=1)


def test_without_a_pin_today_is_the_utc_date(monkeypatch):
    monkeypatch.delenv(clock.ENV, raising=False)
    before = datetime.now(UTC)
    today, now = clock.today(), clock.now()
    after = datetime.now(UTC)
    assert today in (before.date(), after.date())  # either side of a midnight passed meanwhile
    assert before.replace(tzinfo=None) <= now <= after.replace(tzinfo=None)


@pytest.mark.parametrize("text", ["2026-13-01", "tomorrow", "2026-02-30"])
def test_a_bad_pin_is_refused_by_name(monkeypatch, text):
    monkeypatch.setenv(clock.ENV, text)
    with pytest.raises(InvalidInput, match=f"AICOST_TODAY: '{text}' is not a date in the form YYYY-MM-DD"):
        clock.today()


def test_the_cli_says_a_bad_pin_in_one_line(cli, store):
    out = cli("alerts", "check", env={clock.ENV: "2026-13-01"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr == "aicost: error: AICOST_TODAY: '2026-13-01' is not a date in the form YYYY-MM-DD\n"


def test_the_cli_runs_as_of_the_pinned_day(cli, store):
    out = cli("demo", env={clock.ENV: "2028-02-29"})  # the demo's 90 days end today
    assert out.returncode == 0, out.stderr
    first, last = store.frame("SELECT min(bucket_start) AS a, max(bucket_start) AS b FROM usage"
                              " WHERE bucket_width = '1d'").iloc[0]
    assert (first.date(), last.date()) == (date(2027, 12, 2), date(2028, 2, 29))
