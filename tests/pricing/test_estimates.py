"""Token estimates at the tier each request was billed at, within 1% of the bill: the fake providers' bills are
priced from their usage at the providers' list prices per tier (context window, batch, flex, cache time to live,
US-only inference: tests/fakeprovider.py), independently of genai-prices; aicost estimates the same usage from
daily aggregates with genai-prices and must land within 1% of each model's billed token lines."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.config.settings import Settings
from aicost.sources import demo, imports, sync
from tests import fakeprovider
from tests.days import TODAY

pytestmark = pytest.mark.both_backends

SINCE, UNTIL = TODAY - timedelta(days=28), TODAY - timedelta(days=1)
TOLERANCE = Decimal("0.01")


@pytest.fixture
def synced(store, fake, ledger_url):
    settings = Settings(database_url=ledger_url, openai_admin_key=fakeprovider.OPENAI_KEY,
                        anthropic_admin_key=fakeprovider.ANTHROPIC_KEY, openai_base_url=fake.openai_base_url,
                        anthropic_base_url=fake.anthropic_base_url, max_retries=0, request_timeout_seconds=5)
    outcomes = sync.sync(store, settings, fakeprovider.PROVIDERS, since=SINCE, until=UNTIL, sleep=lambda s: None)
    assert all(o.status == "ok" for o in outcomes), [o.error for o in outcomes]
    return store


def _tier(provider: str, service_tier: str, item: str) -> str:
    """The billing tier of a row: OpenAI's from its line item's prefix or its folded tier; Anthropic's base tier."""
    if provider == "openai":
        if " | " in item:
            return item.split(" | ")[0]
        return "batch" if service_tier.endswith("batch") else service_tier or "default"
    return service_tier.split("+")[0]


def accuracy(store) -> dict[tuple[str, str, str], tuple[Decimal, Decimal]]:
    """(provider, model, tier) -> (billed token lines, estimate of the usage they cover)."""
    bills = store.frame(f"SELECT provider, {queries._model()} AS model, item, service_tier, cost_usd FROM usage"
                        " WHERE cost_status = 'billed' AND kind = 'cost'")
    usage = store.frame("SELECT provider, model, item, service_tier, estimate_usd FROM usage"
                        " WHERE cost_status = 'covered'")
    out: dict[tuple[str, str, str], list[Decimal]] = {}
    for r in bills.to_dict("records"):
        if r["model"]:  # web search and code execution lines have no tokens to estimate
            out.setdefault((r["provider"], r["model"], _tier(r["provider"], r["service_tier"], r["item"])),
                           [Decimal(0), Decimal(0)])[0] += r["cost_usd"]
    for r in usage.to_dict("records"):
        out.setdefault((r["provider"], r["model"], _tier(r["provider"], r["service_tier"], r["item"])),
                       [Decimal(0), Decimal(0)])[1] += r["estimate_usd"] or 0
    return {k: (b, e) for k, (b, e) in out.items()}


def test_every_model_and_tier_is_estimated_within_one_percent_of_its_bill(synced):
    got = accuracy(synced)
    assert {(p, t) for p, _, t in got} == {("openai", "default"), ("openai", "batch"), ("openai", "flex"),
                                          ("anthropic", "standard"), ("anthropic", "batch")}
    for key, (billed, estimate) in got.items():
        assert billed > 0 and estimate > 0, key
        assert abs(estimate - billed) <= billed * TOLERANCE, (key, billed, estimate)


def test_long_context_and_us_only_usage_is_estimated_at_its_own_prices(synced):
    """Sonnet 4 requests over 200k input at $6 / $22.50 (a daily aggregate far above 200k is not one of them);
    Opus 4.6 US-only inference at 1.1x."""
    rows = synced.frame("SELECT model, context_window, service_tier, price_source FROM usage"
                        " WHERE provider = 'anthropic' AND kind = 'usage'").to_dict("records")
    sonnet_long = [r for r in rows if r["model"] == "claude-sonnet-4-20250514" and r["context_window"] == "200k-1M"]
    sonnet_short = [r for r in rows if r["model"] == "claude-sonnet-4-20250514" and r["context_window"] == "0-200k"]
    assert sonnet_long and all("Sonnet 4 rates" in r["price_source"] for r in sonnet_long)
    assert sonnet_short and not any("long context" in r["price_source"] for r in sonnet_short)
    us = [r for r in rows if r["model"] == "claude-opus-4-6" and r["service_tier"].endswith("+us")]
    assert us and all("US-only inference x1.1" in r["price_source"] for r in us)
    priority = [r for r in rows if r["service_tier"].startswith("priority")]
    assert priority and all("priority: tier price unknown, priced at standard" in r["price_source"] for r in priority)


def test_the_reconciliation_adds_up_to_the_cent_on_synced_data(synced):
    f = queries.Filters(SINCE, UNTIL)
    total = queries.reconciled(queries.reconciliation(synced, f, "provider"))
    assert total.gap == total.billed - total.estimate
    assert abs(total.gap) <= total.billed * TOLERANCE
    all_billed = synced.scalar("SELECT sum(cost_usd) FROM usage WHERE cost_status = 'billed'")
    assert total.billed + total.billed_other == all_billed  # web search and code execution lines stand apart
    for grain in ("model", "day", "model_day"):
        assert queries.reconciled(queries.reconciliation(synced, f, grain)) == total


def test_the_reconciliation_adds_up_to_the_cent_on_the_demo_data(store):
    demo.load(store, TODAY)
    f = queries.Filters(TODAY - timedelta(days=89), TODAY)
    frame = queries.reconciliation(store, f, "model_day")
    total = queries.reconciled(frame)
    assert total.billed > 0 and total.gap == total.billed - total.estimate
    status = queries.totals_by(store, f, "cost_status").set_index("cost_status")["cost_usd"]
    assert total.billed + total.billed_other == status["billed"] + status["entered"]  # invoices spread as everywhere
    for _, row in frame.iterrows():
        if row["billed_usd"] is not None:
            assert row["gap_usd"] == row["billed_usd"] - row["estimate_usd"]


def _console_exports(fake, since: date, until: date) -> tuple[str, str]:
    """The fake's Anthropic usage as the Console exports it: a usage file and a cost file (display names)."""
    usage = ["usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,"
             "usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,"
             "usage_output_tokens,web_search_count,inference_geo,speed"]
    cost = ["usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,"
            "cost_type,inference_geo,speed"]
    window = {"0-200k": "≤ 200k", "200k-1M": "> 200k"}
    day = since
    while day <= until:
        for r in fake.data[fakeprovider.AN_MESSAGES].get(day, []):
            if r["service_tier"] == "priority":
                continue
            ws, key = r["workspace_id"] or "Default", r["api_key_id"] or ""
            usage.append(f"{day},{r['model']},{key},{ws},{r['service_tier']},{window[r['context_window']]},"
                         f"{r['uncached_input_tokens']},{r['cache_5m']},{r['cache_1h']},{r['cache_read_input_tokens']},"
                         f"{r['output_tokens']},0,{r['inference_geo']},")
            for line in fakeprovider._an_cost_lines(r):
                dollars = line["amount"] / 100
                cost.append(f"{day},{fakeprovider._DISPLAY[r['model']]},{ws},{key},{r['service_tier']},"
                            f"{window[r['context_window']]},{line['token_type']},{dollars},{dollars},token,"
                            f"{r['inference_geo']},")
        day += timedelta(days=1)
    return "\n".join(usage) + "\n", "\n".join(cost) + "\n"


def test_a_console_usage_export_is_estimated_within_one_percent_of_its_cost_export(store, fake):
    since, until = TODAY - timedelta(days=10), TODAY - timedelta(days=1)
    usage, cost = _console_exports(fake, since, until)
    imported = imports.import_bytes(store, usage.encode(), "claude_api_tokens.csv", today=TODAY)
    assert imported.unpriced == 0 and imported.estimated > 0
    estimates = store.frame("SELECT regexp_replace(model, '-[0-9]{8}$', '') AS model, sum(estimate_usd) AS e"
                            " FROM usage GROUP BY 1")
    billed = imports.import_bytes(store, cost.encode(), "claude_api_cost.csv", today=TODAY)
    assert billed.covered == imported.rows  # the bill covers every estimate: counted once
    bills = store.frame("SELECT model, sum(cost_usd) AS b FROM usage WHERE kind = 'cost' GROUP BY 1")
    want = {"claude-sonnet-4": "claude-sonnet-4", "claude-3-5-haiku": "claude-3-5-haiku",
            "claude-opus-4-6": "claude-opus-4-6"}
    by_model = dict(zip(bills["model"], bills["b"], strict=True))
    for model, estimate in zip(estimates["model"], estimates["e"], strict=True):
        billed_usd = by_model[want[model]]
        assert abs(estimate - billed_usd) <= billed_usd * TOLERANCE, (model, billed_usd, estimate)
    assert store.scalar("SELECT sum(cost_usd) FROM usage") == sum(by_model.values())
    assert store.scalar(f"SELECT count(*) FROM {ledger.TABLE} WHERE cost_status = 'estimated'") == 0
