"""Analytics read models with exact figures: models, projects and keys, reconciliation, unpriced, options."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.analysis.queries import Filters

pytestmark = pytest.mark.both_backends  # each test runs on DuckDB and on a real PostgreSQL

NOV = Filters(date(2026, 11, 1), date(2026, 11, 30))


def _day(d):
    return {"bucket_start": datetime(2026, 11, d), "bucket_end": datetime(2026, 11, d + 1), "bucket_width": "1d"}


def _seed(store):
    store.upsert([
        # OpenAI: usage covered by two billed line items naming the model, in one project with a key
        {**_day(2), "provider": "openai", "source": "api", "kind": "usage", "item": "completions",
         "model": "gpt-4o-2024-08-06", "project": "proj_a", "project_name": "Web app", "api_key": "key_1",
         "api_key_name": "web-prod", "input_tokens": 3_000_000, "cache_read_tokens": 1_000_000,
         "output_tokens": 1_000_000, "requests": 400, "cost_status": ledger.COST_COVERED,
         "estimate_usd": Decimal("17.500000000")},
        {**_day(2), "provider": "openai", "source": "api", "kind": "cost", "item": "gpt-4o-2024-08-06, input",
         "project": "proj_a", "cost_usd": Decimal("6.000000000"), "cost_status": ledger.COST_BILLED},
        {**_day(2), "provider": "openai", "source": "api", "kind": "cost", "item": "gpt-4o-2024-08-06, output",
         "project": "proj_a", "cost_usd": Decimal("12.000000000"), "cost_status": ledger.COST_BILLED},
        # Anthropic: default workspace, Console key; billed per workspace and model
        {**_day(3), "provider": "anthropic", "source": "api", "kind": "usage", "item": "messages",
         "model": "claude-haiku-4-5", "project": ledger.DEFAULT_WORKSPACE, "api_key": ledger.CONSOLE_KEY,
         "input_tokens": 2_000_000, "cache_read_tokens": 500_000, "cache_write_tokens": 100_000,
         "output_tokens": 200_000, "cost_status": ledger.COST_COVERED, "estimate_usd": Decimal("3.000000000")},
        {**_day(3), "provider": "anthropic", "source": "api", "kind": "cost", "item": "claude-haiku-4-5 Usage - Tokens",
         "model": "claude-haiku-4-5", "project": ledger.DEFAULT_WORKSPACE, "cost_usd": Decimal("2.700000000"),
         "cost_status": ledger.COST_BILLED},
        # Groq: estimated spend, and one unpriced model
        {**_day(4), "provider": "groq", "source": "manual", "kind": "usage", "model": "llama-3.3-70b", "entry_id": "g1",
         "input_tokens": 1_000_000, "output_tokens": 250_000, "requests": 100, "cost_usd": Decimal("0.790000000"),
         "cost_status": ledger.COST_ESTIMATED, "estimate_usd": Decimal("0.790000000")},
        {**_day(5), "provider": "groq", "source": "manual", "kind": "usage", "model": "mystery-ft", "entry_id": "g2",
         "input_tokens": 5000, "output_tokens": 100, "requests": 3, "cost_status": ledger.COST_UNPRICED},
        # October: outside the window
        {"bucket_start": datetime(2026, 10, 31), "bucket_width": "1d", "provider": "openai", "source": "api",
         "kind": "cost", "item": "gpt-4o-2024-08-06, input", "project": "proj_a", "cost_usd": Decimal("99"),
         "cost_status": ledger.COST_BILLED},
    ])


def test_models_split_billed_and_estimated_with_effective_price_and_cache_hits(store):
    _seed(store)
    m = queries.models(store, NOV).set_index(["provider", "model"])
    assert list(m.index) == [("openai", "gpt-4o-2024-08-06"), ("anthropic", "claude-haiku-4-5"),
                             ("groq", "llama-3.3-70b"), ("groq", "mystery-ft")]
    gpt = m.loc[("openai", "gpt-4o-2024-08-06")]
    assert gpt["billed_usd"] == Decimal("18") and gpt["estimated_usd"] == 0 and gpt["cost_usd"] == Decimal("18")
    assert gpt["token_estimate_usd"] == Decimal("17.5")
    assert (gpt["requests"], gpt["input_tokens"], gpt["cache_read_tokens"], gpt["output_tokens"]) == (
        400, 3_000_000, 1_000_000, 1_000_000)
    assert gpt["usd_per_1m_tokens"] == Decimal("4.5")  # $18 over 4M input + output tokens
    assert round(gpt["cache_hit_ratio"], 6) == Decimal("0.333333")
    haiku = m.loc[("anthropic", "claude-haiku-4-5")]
    assert haiku["cost_usd"] == Decimal("2.7") and haiku["cache_write_tokens"] == 100_000
    assert haiku["cache_hit_ratio"] == Decimal("0.25")
    llama = m.loc[("groq", "llama-3.3-70b")]
    assert llama["billed_usd"] == 0 and llama["estimated_usd"] == Decimal("0.79")
    mystery = m.loc[("groq", "mystery-ft")]
    assert mystery["unpriced_rows"] == 1 and mystery["cost_usd"] == 0 and mystery["usd_per_1m_tokens"] is None


def test_a_model_filter_takes_the_openai_line_items_of_that_model(store):
    _seed(store)
    only = Filters(NOV.start, NOV.end, models=("gpt-4o-2024-08-06",))
    assert queries.total_spend(store, only) == Decimal("18")
    assert len(queries.rows(store, only)) == 3  # the usage row and both billed line items


def test_projects_and_keys_keep_names_and_provider_placeholders(store):
    _seed(store)
    p = queries.projects(store, NOV).set_index(["provider", "project"])
    assert p.loc[("openai", "proj_a"), "cost_usd"] == Decimal("18")
    assert p.loc[("openai", "proj_a"), "project_name"] == "Web app"
    assert p.loc[("anthropic", ledger.DEFAULT_WORKSPACE), "cost_usd"] == Decimal("2.7")
    k = queries.api_keys(store, NOV).set_index(["provider", "project", "api_key"])
    key = k.loc[("openai", "proj_a", "key_1")]
    assert key["api_key_name"] == "web-prod" and key["cost_usd"] == 0
    assert key["token_estimate_usd"] == Decimal("17.5") and key["input_tokens"] == 3_000_000
    assert k.loc[("openai", "proj_a", ""), "cost_usd"] == Decimal("18")  # the bill is per project, not per key
    console = k.loc[("anthropic", ledger.DEFAULT_WORKSPACE, ledger.CONSOLE_KEY)]
    assert console["token_estimate_usd"] == Decimal("3")


def test_reconciliation_sets_the_bill_beside_the_estimate_with_the_gap(store):
    _seed(store)
    r = queries.reconciliation(store, NOV, "model").set_index(["provider", "model"])
    gpt = r.loc[("openai", "gpt-4o-2024-08-06")]
    assert (gpt["billed_usd"], gpt["estimate_usd"], gpt["gap_usd"]) == (Decimal("18"), Decimal("17.5"), Decimal("0.5"))
    assert round(gpt["gap_ratio"], 6) == Decimal("0.028571")
    haiku = r.loc[("anthropic", "claude-haiku-4-5")]
    assert haiku["gap_usd"] == Decimal("-0.3") and haiku["gap_ratio"] == Decimal("-0.1")
    assert ("groq", "llama-3.3-70b") not in r.index  # no bill and nothing covered: nothing to reconcile
    days = queries.reconciliation(store, NOV, "model_day")
    assert [(p, str(d)) for p, d in zip(days["provider"], days["day"])] == [
        ("anthropic", "2026-11-03"), ("openai", "2026-11-02")]
    # October's $99 line has no usage beside it: counted apart, so billed, estimate and gap still add up
    per_provider = queries.reconciliation(store, Filters(date(2026, 10, 1), date(2026, 11, 30)), "provider")
    openai = per_provider.set_index("provider").loc["openai"]
    assert (openai["billed_usd"], openai["estimate_usd"], openai["gap_usd"], openai["billed_other_usd"]) == (
        Decimal("18"), Decimal("17.5"), Decimal("0.5"), Decimal("99"))
    total = queries.reconciled(per_provider)
    assert (total.billed, total.estimate, total.gap, total.billed_other) == (
        Decimal("20.7"), Decimal("20.5"), Decimal("0.2"), Decimal("99"))
    assert queries.reconciled(queries.reconciliation(store, Filters(date(2026, 10, 1), date(2026, 11, 30)),
                                                     "model_day")) == total  # the same at every grain


def test_unpriced_rows_are_listed_and_daily_spend_has_every_day(store):
    _seed(store)
    u = queries.unpriced(store, NOV)
    assert list(u["model"]) == ["mystery-ft"] and int(u["input_tokens"].iloc[0]) == 5000
    daily = queries.daily_spend(store, Filters(date(2026, 11, 1), date(2026, 11, 5)))
    assert daily == {date(2026, 11, 1): 0, date(2026, 11, 2): Decimal("18"), date(2026, 11, 3): Decimal("2.7"),
                     date(2026, 11, 4): Decimal("0.79"), date(2026, 11, 5): 0}


def test_filter_options_and_newest_days(store):
    _seed(store)
    o = queries.options(store)
    assert o.providers == ("anthropic", "groq", "openai")
    assert ("openai", "proj_a", "Web app") in o.projects
    assert ("anthropic", ledger.DEFAULT_WORKSPACE, "") in o.projects
    assert o.models == ("claude-haiku-4-5", "gpt-4o-2024-08-06", "llama-3.3-70b", "mystery-ft")
    newest = queries.newest_days(store).set_index(["provider", "source"])["newest_day"]
    assert str(newest[("openai", "api")]) == "2026-11-02" and str(newest[("groq", "manual")]) == "2026-11-05"


def test_models_by_maker_puts_a_clouds_claude_beside_anthropics_own(store):
    store.upsert([
        {**_day(6), "provider": "anthropic", "source": "api", "kind": "cost", "item": "claude-sonnet-4-5 Usage - Tokens",
         "model": "claude-sonnet-4-5", "cost_usd": Decimal("4.000000000"), "cost_status": ledger.COST_BILLED},
        {**_day(7), "provider": "aws-bedrock", "source": "api", "kind": "cost", "item": "USE1-MP:USE1_InputTokenCount",
         "model": "claude-sonnet-4-5", "publisher": "anthropic", "input_tokens": 1_000_000,
         "cost_usd": Decimal("3.000000000"), "cost_status": ledger.COST_BILLED},
        {**_day(7), "provider": "aws-bedrock", "source": "api", "kind": "cost", "item": "USE1-Nova-output-tokens",
         "model": "nova-pro", "publisher": "amazon", "cost_usd": Decimal("0.500000000"),
         "cost_status": ledger.COST_BILLED},
    ])
    by_provider = queries.models(store, NOV).set_index(["provider", "model"])
    assert by_provider.loc[("aws-bedrock", "claude-sonnet-4-5"), "maker"] == "anthropic"
    assert by_provider.loc[("anthropic", "claude-sonnet-4-5"), "maker"] == "anthropic"
    assert by_provider.loc[("aws-bedrock", "claude-sonnet-4-5"), "cost_usd"] == Decimal("3")
    by_maker = queries.models(store, NOV, "maker").set_index(["maker", "model"])
    sonnet = by_maker.loc[("anthropic", "claude-sonnet-4-5")]
    assert sonnet["cost_usd"] == Decimal("7") and sonnet["provider"] == "anthropic, aws-bedrock"
    assert by_maker.loc[("amazon", "nova-pro"), "provider"] == "aws-bedrock"
    assert sum(by_maker["cost_usd"]) == sum(queries.models(store, NOV)["cost_usd"])  # the same spend, regrouped
    with pytest.raises(ValueError):
        queries.models(store, NOV, "colour")
