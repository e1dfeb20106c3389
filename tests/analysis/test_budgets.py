"""Budgets: validation names every bad field and writes nothing; CRUD; progress, thresholds and the forecast."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost.analysis import budgets

pytestmark = pytest.mark.both_backends  # on a team server's PostgreSQL too


def _spend(store, day: date, amount: str, provider: str = "openai", model: str = "", n: int = 0):
    store.upsert([{"provider": provider, "source": "manual", "kind": "cost", "bucket_width": "1d", "model": model,
                   "bucket_start": datetime.combine(day, datetime.min.time()), "entry_id": f"{day}-{provider}-{n}",
                   "cost_usd": Decimal(amount), "cost_status": "entered"}])


def test_validation_names_every_bad_field():
    with pytest.raises(budgets.BudgetInvalid) as err:
        budgets.validate("", "fortnight", "provider", " ", "-5", "50, lots")
    assert set(err.value.errors) == {"name", "period", "scope_value", "amount", "thresholds"}
    assert err.value.errors["amount"] == "must not be negative"
    with pytest.raises(budgets.BudgetInvalid) as err:
        budgets.validate("x", "month", "total", "", "0")
    assert err.value.errors == {"amount": "must be more than $0"}
    with pytest.raises(budgets.BudgetInvalid):
        budgets.validate("x", "month", "total", "", 12.5)  # floats are not money


def test_valid_budget_is_normalised():
    b = budgets.validate(" Team ", "month", "total", "ignored", "1000.50", "100%, 50,80, 80")
    assert (b.name, b.scope_value, b.amount_usd, b.thresholds) == ("Team", "", Decimal("1000.50"), (50, 80, 100))


def test_create_update_delete(store):
    b = budgets.create(store, budgets.validate("OpenAI", "month", "provider", "openai", "100"))
    assert budgets.all_budgets(store) == [b] and len(b.budget_id) == 12
    changed = budgets.validate("OpenAI weekly", "week", "provider", "openai", "25", "90", False, b.budget_id)
    budgets.update(store, changed)
    assert budgets.get(store, b.budget_id) == changed
    assert budgets.delete(store, b.budget_id) and budgets.all_budgets(store) == []
    assert not budgets.delete(store, b.budget_id)


def test_periods_are_utc_months_iso_weeks_and_days():
    d = date(2026, 3, 14)  # a Saturday
    assert budgets.period_bounds("month", d) == (date(2026, 3, 1), date(2026, 3, 31))
    assert budgets.period_bounds("week", d) == (date(2026, 3, 9), date(2026, 3, 15))
    assert budgets.period_bounds("day", d) == (d, d)
    assert [budgets.period_label(p, d) for p in budgets.PERIODS] == ["2026-03", "2026-W11", "2026-03-14"]


def test_status_counts_only_the_scope_and_projects_the_month(store):
    today = date(2026, 3, 11)
    for i in range(28 + 9):  # $10 a day on OpenAI gpt-4.1 since early February, $500 a day elsewhere
        day = date(2026, 2, 2) + timedelta(days=i)
        _spend(store, day, "10", model="gpt-4.1")
        _spend(store, day, "500", provider="anthropic")
    b = budgets.create(store, budgets.validate("4.1", "month", "model", "gpt-4.1", "200"))
    s = budgets.status(store, b, today)
    assert s.spent == Decimal(100) and s.share == Decimal("0.5") and s.crossed == (50,)
    assert s.projection.projected == Decimal(310) and s.projected_over == Decimal(110)
    assert s.projection.runs_out_on(b.amount_usd) == date(2026, 3, 20)
    total = budgets.create(store, budgets.validate("all", "day", "total", "", "400"))
    assert budgets.status(store, total, date(2026, 3, 10)).crossed == (50, 80, 100)
