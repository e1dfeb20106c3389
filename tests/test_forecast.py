"""Month-end forecast: a backtest on demo data, the weekly rhythm, a partial first month, plain words."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost import demo, forecast, queries

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # on a team server's PostgreSQL too


def _month_end(m: date) -> date:
    return (m + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@pytest.mark.parametrize("today", [date(2026, 5, 20), date(2025, 11, 30)])
def test_day_15_projection_lands_in_its_range_for_the_demos_regular_months(store, today):
    demo.load(store, today)
    spike = today - timedelta(days=demo.SPIKE_DAYS_AGO)
    first = today - timedelta(days=demo.DAYS - 1)
    month = _month_end(first) + timedelta(days=1)  # the first complete month
    checked = 0
    while _month_end(month) < today:
        end = _month_end(month)
        if not month <= spike <= end:  # the spike month is not regular
            for providers in ((), ("openai",), ("anthropic",)):
                f = queries.Filters(month, end, providers=providers)
                fc = forecast.project(store, f, month.replace(day=15))
                actual = queries.total_spend(store, f)
                assert fc.low <= actual <= fc.high, (month, providers, actual, fc)
                assert fc.low <= fc.projected <= fc.high
                assert (fc.high - fc.low) / actual < Decimal("0.15")  # a range that says something
                assert fc.rhythm and fc.weekend_rate < fc.weekday_rate / 2
                checked += 1
        month = end + timedelta(days=1)
    assert checked >= 3  # at least one regular month, three scopes


def test_weekend_rhythm_fills_the_days_left_by_their_kind():
    # 4 weeks of $100 weekdays and $10 weekend days; project a week from Monday 2026-03-02 with 0 days seen
    history = {date(2026, 2, 1) + timedelta(days=i): 0.0 for i in range(29)}
    for d in history:
        history[d] = 10.0 if d.weekday() >= 5 else 100.0
    fc = forecast.from_history(date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 1), Decimal(0), history)
    assert fc.projected == Decimal("520")  # 5 x $100 + 2 x $10, not 7 x the average day
    assert fc.low == fc.high == fc.projected  # no noise at all: no range
    assert fc.runs_out_on(Decimal("250")) == date(2026, 3, 4)
    assert fc.runs_out_on(Decimal("1000")) is None


def test_partial_first_month_projects_from_the_days_it_has_and_says_the_range_is_wide(store):
    # the ledger starts on 2026-03-10: three days of $50
    store.upsert([{"provider": "openai", "source": "manual", "kind": "cost", "bucket_width": "1d",
                   "bucket_start": datetime(2026, 3, 10 + i), "entry_id": str(i), "cost_usd": Decimal(50),
                   "cost_status": "entered"} for i in range(3)])
    fc = forecast.month_end(store, date(2026, 3, 13))
    assert fc.spent == Decimal(150) and fc.days_left == 19
    assert fc.projected == Decimal(150 + 19 * 50)
    assert fc.low < fc.projected < fc.high and fc.high - fc.low >= Decimal(950)  # +-50% of the days left
    assert "Only 3 days of history" in fc.explanation
    assert "$1,100.00" in fc.explanation and "(UTC)" in fc.explanation


def test_an_empty_scope_projects_zero_in_plain_words(store):
    fc = forecast.month_end(store, date(2026, 3, 13), queries.Filters.everything())
    assert fc.projected == fc.low == fc.high == 0
    assert "No spend recorded yet" in fc.explanation
