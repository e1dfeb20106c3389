"""FOCUS-style export (CLI and page builder) and formula-safe table downloads."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.delivery import export, focus
from aicost.sources import demo, manual

pytestmark = pytest.mark.both_backends  # on a team server's PostgreSQL too


def _seed(store):
    store.upsert([
        {"provider": "openai", "source": "api", "kind": "usage", "item": "completions", "model": "gpt-4o",
         "project": "proj_a", "project_name": "Web app", "api_key": "key_1", "api_key_name": "web-prod",
         "bucket_start": datetime(2026, 11, 2), "bucket_end": datetime(2026, 11, 3), "bucket_width": "1d",
         "input_tokens": 1500, "cache_read_tokens": 500, "output_tokens": 40, "requests": 3,
         "cost_status": ledger.COST_COVERED, "estimate_usd": Decimal("1.30"), "price_source": "genai-prices 0.2.3"},
        {"provider": "openai", "source": "api", "kind": "cost", "item": "gpt-4o, input", "project": "proj_a",
         "bucket_start": datetime(2026, 11, 2), "bucket_end": datetime(2026, 11, 3), "bucket_width": "1d",
         "cost_usd": Decimal("1.2378912"), "cost_status": ledger.COST_BILLED, "quantity": 1500.0,
         "quantity_unit": "tokens"},
        {"provider": "perplexity", "source": "manual", "kind": "cost", "entry_id": "inv", "model": "sonar-pro",
         "item": "invoice", "bucket_start": datetime(2026, 11, 1), "bucket_end": datetime(2026, 12, 1),
         "bucket_width": "30d", "cost_usd": Decimal("195.00"), "cost_status": ledger.COST_ENTERED,
         "note": "=HYPERLINK(\"http://evil\")"},
        {"provider": "groq", "source": "manual", "kind": "usage", "model": "mystery-ft", "entry_id": "g2",
         "bucket_start": datetime(2026, 11, 5), "bucket_width": "1d", "input_tokens": 5000, "output_tokens": 100,
         "cost_status": ledger.COST_UNPRICED},
    ])


def test_focus_cli_export_has_the_focus_columns_and_exact_costs(cli, store):
    _seed(store)
    out = cli("export", "--format", "focus", "--since", "2026-11-01", "--until", "2026-11-30")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == list(focus.COLUMNS)
    assert len(rows) == 4
    by = {(r["ProviderName"], r["x_Kind"], r["x_CostStatus"]): r for r in rows}
    billed = by[("OpenAI", "cost", "billed")]
    assert billed["BilledCost"] == "1.237891200" and billed["EffectiveCost"] == "1.237891200"
    assert billed["ChargePeriodStart"] == "2026-11-02T00:00:00Z" and billed["ChargePeriodEnd"] == "2026-11-03T00:00:00Z"
    assert billed["ConsumedQuantity"] == "1500.0" and billed["ConsumedUnit"] == "tokens"
    assert (billed["BillingCurrency"], billed["ChargeCategory"], billed["ServiceCategory"]) == (
        "USD", "Usage", "AI and Machine Learning")
    assert billed["SubAccountId"] == "proj_a" and billed["SkuId"] == "gpt-4o, input"
    usage = by[("OpenAI", "usage", "covered")]
    assert usage["BilledCost"] == "0" and usage["ListCost"] == "1.300000000"  # never counted twice
    assert (usage["ConsumedQuantity"], usage["ConsumedUnit"]) == ("1540", "Tokens")
    assert (usage["SkuId"], usage["SubAccountName"], usage["ResourceId"], usage["ResourceName"]) == (
        "gpt-4o", "Web app", "key_1", "web-prod")
    invoice = by[("Perplexity", "cost", "entered")]
    assert invoice["BilledCost"] == "195.000000000" and invoice["ChargeFrequency"] == "Recurring"
    assert invoice["ChargePeriodEnd"] == "2026-12-01T00:00:00Z"
    assert invoice["ChargeDescription"].startswith("'=")  # neutralised formula
    unpriced = by[("Groq", "usage", "unpriced")]
    assert unpriced["BilledCost"] == "0" and unpriced["ListCost"] == ""
    assert unpriced["ChargePeriodEnd"] == "2026-11-06T00:00:00Z"  # from the bucket width
    # FOCUS totals are aicost's spend
    total = sum(Decimal(r["BilledCost"]) for r in rows)
    assert total == queries.total_spend(store, queries.Filters(datetime(2026, 11, 1).date(),
                                                               datetime(2026, 11, 30).date()))


def test_table_downloads_neutralise_formulas_and_keep_numbers(store):
    frame = pd.DataFrame({"project": ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "plain"],
                          "cost_usd": [Decimal("1.5"), Decimal("-2.25"), Decimal("0"), Decimal("3"), Decimal("4")],
                          "input_tokens": [1, 2, 3, 4, 5]})
    rows = list(csv.reader(io.StringIO(export.frame_csv(frame))))
    assert rows[0] == ["project", "cost_usd", "input_tokens"]
    assert [r[0] for r in rows[1:]] == ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "plain"]
    assert [r[1] for r in rows[1:]] == ["1.5", "-2.25", "0", "3", "4"]  # a negative number is not neutralised
    data = json.loads(export.frame_json(frame))
    assert data[1] == {"project": "+1", "cost_usd": -2.25, "input_tokens": 2}


def test_models_table_download_is_formula_safe(store):
    store.upsert([{"provider": "groq", "source": "manual", "kind": "cost", "model": "=1+1", "entry_id": "x",
                   "bucket_start": datetime(2026, 11, 2), "bucket_width": "1d", "cost_usd": Decimal("2"),
                   "cost_status": ledger.COST_ENTERED}])
    frame = queries.models(store, queries.Filters(datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date()))
    rows = list(csv.DictReader(io.StringIO(export.frame_csv(frame))))
    assert rows[0]["model"] == "'=1+1" and rows[0]["cost_usd"] == "2.000000000"


def test_consecutive_exports_hold_every_row_exactly_once(store):
    # a period entry (a monthly invoice from the 15th) belongs to the export of the window it starts in
    demo.load(store, date(2026, 11, 25))
    manual.add(store, manual.Entry("perplexity", "2026-10-15", until="2026-11-14", cost="20.00", note="invoice"),
               today=date(2026, 11, 25))

    def exported(a, b):
        return queries.rows(store, queries.Filters(a, b))

    october, november = exported(date(2026, 10, 1), date(2026, 10, 31)), exported(date(2026, 11, 1), date(2026, 11, 30))
    both = exported(date(2026, 10, 1), date(2026, 11, 30))
    periods = both[~both["bucket_width"].isin(ledger.SHORT_WIDTHS)]
    straddling = periods[(periods["bucket_start"] < datetime(2026, 11, 1)) & (periods["bucket_end"] > datetime(2026, 11, 1))]
    assert len(straddling) == 1 and straddling["note"].iloc[0] == "invoice"
    start = straddling["bucket_start"].iloc[0]
    assert (october["bucket_start"] == start).any() and not (november["bucket_start"] == start).any()
    assert len(october) + len(november) == len(both)
    assert october["cost_usd"].dropna().sum() + november["cost_usd"].dropna().sum() == both["cost_usd"].dropna().sum()


def test_a_subscription_is_a_recurring_purchase_in_focus(store):
    manual.add(store, manual.Entry("github-copilot", "2026-03-01", until="2026-03-31", cost="190", subscription=True),
               today=date(2026, 11, 25))
    manual.add(store, manual.Entry("groq", "2026-03-02", cost="4"), today=date(2026, 11, 25))
    rows = {r["ProviderName"]: r for r in focus.records(queries.rows(store, queries.Filters(date(2026, 3, 1),
                                                                                         date(2026, 3, 31))))}
    copilot, groq = rows["GitHub Copilot"], rows["Groq"]
    assert (copilot["ChargeCategory"], copilot["ChargeFrequency"], copilot["BilledCost"]) == (
        "Purchase", "Recurring", Decimal("190"))
    assert (groq["ChargeCategory"], groq["ChargeFrequency"]) == ("Usage", "Usage-Based")
