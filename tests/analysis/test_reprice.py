"""`reprice`: rows already in a ledger, estimated by the old rules, re-estimated at the tier they were billed at."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import reprice

pytestmark = pytest.mark.both_backends

DAY = datetime(2026, 3, 2)


def _old_rows() -> list[dict]:
    base = {"bucket_start": DAY, "bucket_end": datetime(2026, 3, 3), "bucket_width": "1d"}
    sonnet = {"input_tokens": 1_000_000, "uncached_input_tokens": 1_000_000, "output_tokens": 100_000}
    return [
        # a day's aggregate under 200k-token requests, priced by the old rules at the long-context tier:
        # 1M x $6 + 100k x $22.50 = $8.25 (the requests were billed at $3 / $15: $4.50)
        {**base, **sonnet, "provider": "anthropic", "source": "import", "kind": "usage", "item": "messages",
         "model": "claude-sonnet-4-5-20250929", "project": "Default", "api_key": "k", "service_tier": "standard",
         "context_window": "0-200k", "entry_id": "imp-1", "cost_usd": Decimal("8.25"),
         "cost_status": ledger.COST_ESTIMATED, "estimate_usd": Decimal("8.25"), "price_source": "genai-prices 0.1.9"},
        # the same usage synced and covered by its bill: the estimate changes, the cost stays the bill's
        {**base, **sonnet, "provider": "anthropic", "source": "api", "kind": "usage", "item": "messages",
         "model": "claude-sonnet-4-5-20250929", "project": "Default", "api_key": "k", "service_tier": "standard",
         "context_window": "0-200k", "cost_status": ledger.COST_COVERED, "estimate_usd": Decimal("8.25"),
         "price_source": "genai-prices 0.1.9"},
        {**base, "provider": "anthropic", "source": "api", "kind": "cost", "item": "Claude Sonnet 4.5 Usage",
         "model": "claude-sonnet-4-5-20250929", "project": "Default", "cost_usd": Decimal("4.5"),
         "cost_status": ledger.COST_BILLED},
        # an unknown model stays unpriced, never $0
        {**base, "provider": "groq", "source": "manual", "kind": "usage", "model": "mystery-ft", "entry_id": "m1",
         "input_tokens": 1000, "output_tokens": 10, "cost_status": ledger.COST_UNPRICED},
        # Batch API rows an older aicost imported under the default tier, then a re-import under default+batch
        {**base, "provider": "openai", "source": "import", "kind": "usage", "item": "completions", "model": "gpt-4o",
         "service_tier": "default", "entry_id": "imp-old", "input_tokens": 1_000_000, "output_tokens": 100_000,
         "requests": 5, "origin": "completions_usage.csv", "cost_usd": Decimal("3.5"),
         "cost_status": ledger.COST_ESTIMATED, "estimate_usd": Decimal("3.5")},
        {**base, "provider": "openai", "source": "import", "kind": "usage", "item": "completions", "model": "gpt-4o",
         "service_tier": "default+batch", "entry_id": "imp-new", "input_tokens": 1_000_000, "output_tokens": 100_000,
         "requests": 5, "origin": "completions_usage.csv", "cost_usd": Decimal("1.75"),
         "cost_status": ledger.COST_ESTIMATED, "estimate_usd": Decimal("1.75")},
    ]


def _state(store):
    frame = store.frame("SELECT provider, source, kind, service_tier, model, cost_usd, cost_status, estimate_usd"
                        " FROM usage ORDER BY provider, source, kind, service_tier")
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def test_old_estimates_are_priced_at_the_billed_tier_and_bills_are_left_alone(store):
    store.upsert(_old_rows())
    before = _state(store)
    dry = reprice.reprice(store, dry_run=True)
    # the two Sonnet rows get their new estimate; the other two keep their figures but name the prices they came
    # from (price_source); the stale copy of the batch row is gone before anything is priced
    assert (dry.rows, dry.changed, dry.duplicates) == (4, 4, 1)
    assert _state(store) == before  # a dry run writes nothing
    done = reprice.reprice(store)
    assert (done.rows, done.changed, done.priced, done.duplicates) == (4, 4, 0, 1)
    # the Sonnet estimate down from $8.25 to $4.50, and the $3.50 stale copy gone
    assert done.spend_after - done.spend_before == Decimal("4.5") - Decimal("8.25") - Decimal("3.5")
    got = {(r["provider"], r["source"], r["kind"], r["service_tier"]): r for r in _state(store)}
    assert got[("anthropic", "import", "usage", "standard")]["cost_usd"] == Decimal("4.5")
    assert got[("anthropic", "api", "usage", "standard")]["estimate_usd"] == Decimal("4.5")
    assert got[("anthropic", "api", "usage", "standard")]["cost_usd"] is None  # the bill is the spend
    assert got[("anthropic", "api", "cost", "")]["cost_usd"] == Decimal("4.5")
    assert got[("groq", "manual", "usage", "")]["cost_status"] == ledger.COST_UNPRICED
    assert ("openai", "import", "usage", "default") not in got  # the stale copy of the batch row is gone
    assert got[("openai", "import", "usage", "default+batch")]["cost_usd"] == Decimal("1.75")
    again = reprice.reprice(store)
    assert (again.changed, again.duplicates) == (0, 0)


def test_the_command_says_what_it_did(cli, store):
    store.upsert(_old_rows())
    out = cli("reprice", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ("repriced 4 row(s) with token counts: 4 changed, 0 newly priced, 1 duplicate batch row(s) "
                          "removed; spend -$7.25 (dry run: nothing written)\n")
    assert cli("reprice").returncode == 0
    assert cli("reprice", "--since", "2026-04-01", "--until", "2026-03-01").stderr.startswith("aicost: error: --since")
