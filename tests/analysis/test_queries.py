"""Read models: spend is billed cost, never estimate on top; period entries spread exactly; UTC months."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.analysis.queries import Filters

pytestmark = pytest.mark.both_backends  # each test runs on DuckDB and on a real PostgreSQL


def _usage(day, **extra):
    return {"provider": "openai", "source": "api", "kind": "usage", "item": "completions", "model": "gpt-4o",
            "bucket_start": datetime(2026, 10, day), "bucket_width": "1d", "input_tokens": 1000,
            "output_tokens": 100, "cost_status": ledger.COST_COVERED, "estimate_usd": Decimal("5.00"), **extra}


def _cost(day, amount, **extra):
    return {"provider": "openai", "source": "api", "kind": "cost", "item": "gpt-4o, input",
            "bucket_start": datetime(2026, 10, day), "bucket_width": "1d", "cost_usd": Decimal(amount),
            "cost_status": ledger.COST_BILLED, **extra}


OCTOBER = Filters(date(2026, 10, 1), date(2026, 10, 31))


def test_spend_is_the_billed_cost_not_billed_plus_estimate(store):
    store.upsert([_usage(1), _cost(1, "4.80")])
    totals = queries.totals_by(store, OCTOBER, "provider").iloc[0]
    assert totals["cost_usd"] == Decimal("4.80")
    assert totals["estimate_usd"] == Decimal("5.00")  # kept beside it for reconciliation
    assert totals["input_tokens"] == 1000


def test_unpriced_usage_is_counted_not_priced_at_zero(store):
    store.upsert([_usage(2, provider="groq", model="mystery", cost_status=ledger.COST_UNPRICED, estimate_usd=None,
                         source="manual", entry_id="e1")])
    totals = queries.totals_by(store, OCTOBER, "provider").iloc[0]
    assert totals["unpriced_rows"] == 1
    assert totals["cost_usd"] == 0 and totals["input_tokens"] == 1000


def test_a_period_entry_is_spread_evenly_and_exactly(store):
    store.upsert([{"provider": "perplexity", "source": "manual", "kind": "cost", "entry_id": "inv",
                   "bucket_start": datetime(2026, 10, 1), "bucket_end": datetime(2026, 11, 1), "bucket_width": "31d",
                   "cost_usd": Decimal("100.00"), "cost_status": ledger.COST_ENTERED, "input_tokens": 1000}])
    daily = queries.totals_by(store, OCTOBER, "day")
    assert len(daily) == 31
    assert set(daily["cost_usd"]) == {Decimal("3.225806452"), Decimal("3.225806451")}
    assert sum(daily["cost_usd"]) == Decimal("100.00")
    assert daily["input_tokens"].sum() == 1000
    # a window that cuts the period takes only its days
    first_week = queries.total_spend(store, Filters(date(2026, 10, 1), date(2026, 10, 7)))
    assert Decimal("22.58") < first_week < Decimal("22.59")


def test_days_are_utc_buckets_and_bounds_inclusive(store):
    store.upsert([_cost(1, "1"), _cost(31, "2"), {**_cost(1, "4"), "bucket_start": datetime(2026, 9, 30, 23),
                                                  "bucket_width": "1h"}])
    assert queries.total_spend(store, OCTOBER) == Decimal("3")
    assert queries.total_spend(store, Filters(date(2026, 9, 30), date(2026, 9, 30))) == Decimal("4")


def test_month_summary(store):
    store.upsert([_cost(3, "10"), _cost(20, "5"), {**_cost(2, "7"), "bucket_start": datetime(2026, 11, 2)}])
    summary = queries.month_summary(store, date(2026, 11, 5))
    assert summary.month_to_date == Decimal("7")
    assert summary.same_point_last_month == Decimal("10")
    assert summary.last_month == Decimal("15")


def test_filters_by_provider_and_model(store):
    store.upsert([_cost(1, "1"), {**_cost(1, "2"), "provider": "anthropic"}, {**_usage(1), "model": "other"}])
    only = Filters(date(2026, 10, 1), date(2026, 10, 31), providers=("anthropic",))
    assert queries.total_spend(store, only) == Decimal("2")
    by_model = queries.totals_by(store, Filters(date(2026, 10, 1), date(2026, 10, 31), models=("other",)), "model")
    assert list(by_model["model"]) == ["other"]
