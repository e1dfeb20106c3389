"""The pages in a reporting currency other than USD (AICOST_REPORTING_CURRENCY=EUR), through Streamlit's AppTest:
figures converted per day and marked €, which rates were used said under the title, no rate at all said in one
line, budgets in the currency they were made in."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import budgets, queries
from aicost.sources import currency, demo
from tests import days

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]

TODAY = days.TODAY


@pytest.fixture
def in_eur(monkeypatch):
    monkeypatch.setenv("AICOST_REPORTING_CURRENCY", "EUR")


def _today_cost(store, usd: str) -> None:
    store.upsert([{"provider": "openai", "source": "api", "kind": "cost", "item": "x", "bucket_width": "1d",
                   "bucket_start": datetime.combine(TODAY, datetime.min.time()), "cost_usd": Decimal(usd),
                   "cost_status": ledger.COST_BILLED}])


def _rate(store, usd: str, day) -> None:
    currency.store_rates(store, [currency.Rate("EUR", Decimal(usd), day, currency.ENTERED)])


def test_the_overview_shows_euros_at_the_days_rate_and_says_which(app_test, store, in_eur):
    _today_cost(store, "1160.00")
    _rate(store, "1.16", TODAY - timedelta(days=40))
    at = app_test().run()
    assert not at.exception
    assert at.metric[0].value == "€1,000.00"
    assert not [m for m in at.metric[:4] if "$" in m.value]
    assert any("Amounts in EUR" in c.value and "1 EUR = 1.16 USD" in c.value for c in at.caption)
    assert not at.warning  # every day with rows has a rate: nothing to warn of
    assert "€1,000.00" in at.dataframe[0].value["Spend"].tolist()


def test_no_rate_of_the_reporting_currency_is_one_line_saying_how_to_enter_one(app_test, store, in_eur):
    _today_cost(store, "1160.00")
    at = app_test().run()
    assert not at.exception
    assert len(at.error) == 1 and "aicost rates set EUR" in at.error[0].value


def test_the_dashboard_fetches_the_ecb_rates_it_lacks_once(app_test, store, in_eur, ecb_fake):
    _today_cost(store, "1000.00")
    at = app_test().run()
    assert not at.exception
    assert len(ecb_fake.requests) == 1
    per_usd = (1 / ecb_fake.usd("EUR", TODAY)).quantize(Decimal("1e-12"))
    day_rate = currency.Rate("EUR", ecb_fake.usd("EUR", TODAY), TODAY, currency.ECB)
    expected = queries.total_spend(store, queries.Filters(TODAY, TODAY, currency="EUR"))
    assert expected == (Decimal("1000.00") * per_usd).quantize(Decimal("1e-9"))
    assert at.metric[0].value == f"€{expected.quantize(Decimal('0.01')):,}"
    assert day_rate.usd > 1
    app_test().run()
    assert len(ecb_fake.requests) == 1  # asked at most hourly, and the ledger now has them


def test_every_analytics_page_shows_euros_on_the_demo_data(app_test, store, in_eur):
    demo.load(store, TODAY)
    _rate(store, "1.25", TODAY - timedelta(days=800))
    for page in ("pages/models.py", "pages/projects_keys.py", "pages/reconciliation.py", "pages/teams.py",
                 "pages/anomalies.py"):
        at = app_test(page).run()
        assert not at.exception, page
        money = [v for d in at.dataframe for c in ("Spend", "Billed", "Month to date") if c in d.value
                 for v in d.value[c].tolist() if isinstance(v, str) and v not in ("—", "")]
        assert money, page
        assert all("€" in v for v in money if not v.startswith("EUR")), (page, money[:5])


def test_a_budget_is_made_in_the_reporting_currency_and_keeps_it(app_test, store, in_eur, monkeypatch):
    _today_cost(store, "116.00")
    _rate(store, "1.16", TODAY - timedelta(days=40))
    old = budgets.create(store, budgets.validate("Dollars", "month", "total", "", "500"))
    at = app_test("pages/budgets.py").run()
    assert not at.exception
    amount = next(t for t in at.text_input if t.label == "Amount (EUR)")
    next(t for t in at.text_input if t.label == "Name").input("Euros")
    amount.input("200")
    next(b for b in at.button if b.label == "Save budget").click().run()
    assert not at.exception
    made = {b.name: b for b in budgets.all_budgets(store)}
    assert (made["Euros"].currency, made["Euros"].amount_usd) == ("EUR", Decimal("200"))
    assert old.currency == "USD"
    text = " ".join(m.value for m in at.markdown)
    assert "€100.00 of €200.00 (50%)" in text  # $116 at 1.16
    assert "$116.00 of $500.00 (23%)" in text  # the dollar budget still counts dollars


def test_a_tables_download_names_the_currency_its_amounts_are_in(store, in_eur):
    from pages import ui

    _today_cost(store, "116.00")
    _rate(store, "1.16", TODAY - timedelta(days=40))
    f = queries.Filters(TODAY, TODAY, currency="EUR")
    frame, stem = ui.as_downloaded(queries.models(store, f), "models", f)
    assert stem == f"aicost-models-eur-{TODAY:%Y%m%d}-{TODAY:%Y%m%d}"
    assert {"cost_eur", "billed_eur", "eur_per_1m_tokens"} <= set(frame.columns)
    assert not [c for c in frame.columns if "usd" in c.split("_")]
    assert frame["cost_eur"].sum() == Decimal("100")
    dollars, stem = ui.as_downloaded(queries.currencies(store, f), "currencies", f, dollars=True)
    assert "cost_usd" in dollars.columns and stem == f"aicost-currencies-{TODAY:%Y%m%d}-{TODAY:%Y%m%d}"
    usd = queries.Filters(TODAY, TODAY)
    assert ui.as_downloaded(queries.models(store, usd), "models", usd)[1] == f"aicost-models-{TODAY:%Y%m%d}-{TODAY:%Y%m%d}"
