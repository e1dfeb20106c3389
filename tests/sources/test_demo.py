"""Demo data: what it promises a first-time user."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.sources import demo

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # on a team server's PostgreSQL too

TODAY = date(2026, 11, 25)


def test_demo_covers_90_days_of_many_providers(store):
    demo.load(store, TODAY)
    assert set(store.frame("SELECT DISTINCT source FROM usage")["source"]) == {"demo"}
    span = store.frame("SELECT min(bucket_start) AS a, max(bucket_start) AS b FROM usage WHERE bucket_width = '1d'")
    assert span["a"][0].date() == TODAY - timedelta(days=89) and span["b"][0].date() == TODAY
    assert set(queries.providers(store)) == {"openai", "anthropic", "openrouter", "github-copilot", "xai", "mistral",
                                             "aws-bedrock", "google-cloud", "azure-openai", "groq", "perplexity", "local"}
    # Mistral bills in euros: the amount as billed, the rate and its day beside the dollars
    eur = store.frame("SELECT amount, currency, fx_rate, cost_usd FROM usage WHERE provider = 'mistral'")
    assert set(eur["currency"]) == {"EUR"} and all(
        ledger.money(a * r) == c for a, r, c in zip(eur["amount"], eur["fx_rate"], eur["cost_usd"], strict=True))
    # the clouds' Claude is Anthropic's model, billed by AWS
    makers = store.frame("SELECT DISTINCT provider, model, publisher FROM usage WHERE publisher IS NOT NULL")
    assert ("aws-bedrock", "claude-sonnet-4-5", "anthropic") in set(map(tuple, makers.values.tolist()))
    # OpenRouter keeps completed days only: its demo never has today; its BYOK use is kept, never counted
    newest = store.scalar("SELECT max(bucket_start) FROM usage WHERE provider = 'openrouter'")
    assert newest.date() == TODAY - timedelta(days=1)
    byok = store.frame("SELECT cost_usd, cost_status, estimate_usd FROM usage WHERE item LIKE '%byok'")
    assert len(byok) == 89 and byok["cost_usd"].isna().all() and set(byok["cost_status"]) == {ledger.COST_COVERED}
    assert (byok["estimate_usd"] > 0).all()
    kinds = store.frame("SELECT DISTINCT cost_status FROM usage")["cost_status"]
    assert {ledger.COST_BILLED, ledger.COST_ESTIMATED, ledger.COST_COVERED, ledger.COST_UNPRICED,
            ledger.COST_ENTERED, ledger.COST_SELF_HOSTED} <= set(kinds)
    assert store.scalar("SELECT count(DISTINCT project) FROM usage WHERE provider = 'anthropic'") >= 2
    assert store.scalar("SELECT sum(cache_read_tokens) FROM usage") > 0


def test_demo_has_one_visible_spike(store):
    demo.load(store, TODAY)
    f = queries.Filters(TODAY - timedelta(days=89), TODAY, providers=("openai",))
    daily = queries.totals_by(store, f, "day").set_index("day")["cost_usd"].astype(float)
    spike_day = TODAY - timedelta(days=demo.SPIKE_DAYS_AGO)
    assert daily.idxmax() == spike_day
    assert daily[spike_day] > 3 * daily.median()
    others = daily.drop(spike_day)
    assert (others < 2 * others.median()).all()


def test_demo_is_idempotent_and_removable_alone(store):
    store.upsert([{"provider": "groq", "source": "manual", "kind": "cost", "entry_id": "keep",
                   "bucket_start": pd.Timestamp("2026-11-01").to_pydatetime(), "bucket_width": "1d"}])
    first = demo.load(store, TODAY)
    second = demo.load(store, TODAY)
    assert second.new == 0 and second.unchanged == first.new
    assert demo.remove(store) == first.new
    assert list(store.frame("SELECT entry_id FROM usage")["entry_id"]) == ["keep"]
