"""Month-end forecast: a backtest on demo data, the weekly rhythm, a partial first month, plain words."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost.analysis import forecast, queries
from aicost.sources import demo

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


def _day_spend(store, day: date, amount: str, provider: str = "groq") -> None:
    store.upsert([{"provider": provider, "source": "manual", "kind": "cost", "bucket_width": "1d",
                   "bucket_start": datetime.combine(day, datetime.min.time()), "entry_id": f"{provider}-{day}",
                   "cost_usd": Decimal(amount), "cost_status": "entered"}])


def test_on_the_first_the_month_forecast_starts_from_todays_spend(store):
    today = date(2026, 12, 1)
    for back in range(1, 29):
        _day_spend(store, today - timedelta(days=back), "40")
    _day_spend(store, today, "1305.31")
    fc = forecast.month_end(store, today)
    assert fc.spent == fc.today_spent == Decimal("1305.31")
    # today already spent more than a typical day: nothing more for it; 30 typical days after it
    assert fc.projected == Decimal("1305.31") + 30 * 40 and fc.low >= fc.spent
    assert fc.explanation.startswith("$1,305.31 spent from 2026-12-01 up to now (UTC), today's $1,305.31 so far "
                                     "included. The rest of today and the 30 days after it, to 2026-12-31, are filled")
    assert "never less than what is spent" in fc.explanation


def test_a_day_forecast_is_never_below_what_today_has_spent(store):
    today = date(2026, 12, 1)
    for back in range(1, 29):
        _day_spend(store, today - timedelta(days=back), "2.27")
    _day_spend(store, today, "1249.51")
    fc = forecast.project(store, queries.Filters(today, today, providers=("groq",)), today)
    assert fc.projected == fc.low == fc.spent == Decimal("1249.51") and fc.high >= fc.projected
    assert "nothing more is added for it" in fc.explanation
    assert fc.runs_out_on(Decimal(5)) == today

    # earlier in a quiet day: the rest of today adds a typical day less what it has spent
    _day_spend(store, today, "1.00")
    fc = forecast.project(store, queries.Filters(today, today, providers=("groq",)), today)
    assert fc.projected == Decimal("2.27") and fc.low >= Decimal("1.00")
    assert fc.explanation.startswith("$1.00 spent from 2026-12-01 up to now (UTC), today's $1.00 so far included. "
                                     "The rest of today is filled with a typical day of $2.27")


def test_periods_ahead_and_behind_in_plain_words(store):
    today = date(2026, 12, 10)
    for back in range(1, 29):
        _day_spend(store, today - timedelta(days=back), "10")
    ahead = forecast.project(store, queries.Filters(date(2026, 12, 14), date(2026, 12, 20)), today)
    assert ahead.spent == 0 and ahead.projected == 70
    assert ahead.explanation.startswith("The period starts on 2026-12-14 (UTC): nothing is spent in it yet. The 7 days "
                                        "from 2026-12-14 to 2026-12-20 are filled with a typical day of $10.00")
    behind = forecast.project(store, queries.Filters(date(2026, 11, 20), date(2026, 11, 26)), today)
    assert behind.projected == behind.spent == 70
    assert behind.explanation == "The period 2026-11-20 to 2026-11-26 (UTC) is over: $70.00 was spent."
