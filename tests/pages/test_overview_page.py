"""The Overview through Streamlit's AppTest: empty state, demo data loaded, demo removed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.sources import manual
from tests import days

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # pages on a team server's PostgreSQL too


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_empty_ledger_offers_demo_data_and_removal_empties_it(app_test, store):
    at = app_test().run()
    assert not at.exception
    assert "ledger is empty" in at.info[0].value
    _button(at, "Load demo data").click().run()
    assert not at.exception
    assert store.count() > 1000
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Month to date", "Month-end forecast", "Last month", "Same point last month"]
    assert all(m.value.startswith("$") for m in at.metric[:4])
    assert len(at.get("plotly_chart")) == 2  # daily spend by provider, top models
    _button(at, "Remove demo data").click().run()
    assert not at.exception
    assert store.count() == 0
    assert "ledger is empty" in at.info[0].value


def test_overview_figures_come_from_the_ledger(app_test, store):
    # today: in this month and in the default period (the last 30 days), whichever day of the month it is
    store.upsert([{"provider": "openai", "source": "api", "kind": "cost", "item": "x", "bucket_width": "1d",
                   "bucket_start": datetime.combine(days.TODAY, datetime.min.time()), "cost_usd": Decimal("1234.565"),
                   "cost_status": ledger.COST_BILLED}])
    at = app_test().run()
    assert not at.exception
    assert at.metric[0].value == "$1,234.56"  # rounded for display only, half to even
    assert "OpenAI" in at.dataframe[0].value["Provider"].tolist()
    assert not [b for b in at.button if b.label == "Remove demo data"]


def test_overview_shows_flat_subscriptions_apart_from_metered_spend(app_test, store):
    today = days.TODAY  # in this month and in the default period (the last 30 days) on any day of the month
    manual.add(store, manual.Entry("github-copilot", today, cost="190", subscription=True), today=today)
    manual.add(store, manual.Entry("groq", today, cost="10"), today=today)
    at = app_test().run()
    assert not at.exception
    flat = next(m for m in at.metric if m.label == "Flat subscriptions")
    spend = next(m for m in at.metric if m.label == "Spend")
    assert (spend.value, flat.value) == ("$200.00", "$190.00") and "$10.00" in flat.delta
