"""pricing.estimate against genai-prices' own figures; unknown models are unpriced, never $0."""

from datetime import datetime
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from aicost import ledger, pricing
from aicost.errors import InvalidInput


def test_openai_without_cache_matches_genai_prices():
    e = pricing.estimate("openai", "gpt-4o", input_tokens=1000, output_tokens=100)
    # $2.50 / MTok in, $10 / MTok out
    assert e == pricing.Estimate(Decimal("0.0035"), ledger.COST_ESTIMATED, f"genai-prices {pricing.GENAI_PRICES_VERSION}")
    own = calc_price(Usage(input_tokens=1000, output_tokens=100), "gpt-4o", provider_id="openai").total_price
    assert e.cost_usd == own


def test_cache_tokens_are_part_of_input():
    e = pricing.estimate("anthropic", "claude-sonnet-4-20250514", input_tokens=1_000_000, output_tokens=100_000,
                         cache_read_tokens=200_000, cache_write_tokens=100_000, when=datetime(2025, 6, 1))
    # 700k uncached x $3 + 200k reads x $0.30 + 100k writes x $3.75 + 100k out x $15
    assert e.cost_usd == Decimal("4.035")
    assert e.status == ledger.COST_ESTIMATED
    own = calc_price(Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=200_000,
                           cache_write_tokens=100_000), "claude-sonnet-4-20250514", provider_id="anthropic",
                     genai_request_timestamp=datetime(2025, 6, 1)).total_price
    assert e.cost_usd == own


def test_one_hour_cache_writes_priced_higher():
    e = pricing.estimate("anthropic", "claude-sonnet-4-20250514", input_tokens=1_000_000, output_tokens=100_000,
                         cache_read_tokens=200_000, cache_write_5m_tokens=0, cache_write_1h_tokens=100_000)
    # the 1h writes cost $6 / MTok instead of $3.75
    assert e.cost_usd == Decimal("4.26")


def test_groq_and_perplexity_are_priced():
    for provider, model in (("groq", "llama-3.3-70b-versatile"), ("perplexity", "sonar")):
        e = pricing.estimate(provider, model, input_tokens=1_000_000, output_tokens=1_000_000)
        own = calc_price(Usage(input_tokens=1_000_000, output_tokens=1_000_000), model, provider_id=provider)
        assert e.status == ledger.COST_ESTIMATED and e.cost_usd == ledger.money(own.total_price) > 0


@pytest.mark.parametrize("provider, model", [
    ("openai", "no-such-model-9000"), ("my-gpu-box", "gpt-4o"), ("local", "llama3:8b"), ("groq", ""),
])
def test_unknown_is_unpriced_never_zero(provider, model):
    e = pricing.estimate(provider, model, input_tokens=1000, output_tokens=10)
    assert e.cost_usd is None and e.status == ledger.COST_UNPRICED and not e.priced


@pytest.mark.parametrize("kwargs, field", [
    ({"input_tokens": -1, "output_tokens": 0}, "input_tokens"),
    ({"input_tokens": 1.5, "output_tokens": 0}, "input_tokens"),
    ({"input_tokens": 10, "output_tokens": 0, "cache_read_tokens": 11}, "input_tokens"),
    ({"input_tokens": 10, "output_tokens": 0, "cache_write_tokens": 5, "cache_write_1h_tokens": 4}, "cache_write_tokens"),
])
def test_bad_counts_are_rejected(kwargs, field):
    with pytest.raises(InvalidInput) as info:
        pricing.estimate("openai", "gpt-4o", **kwargs)
    assert info.value.field == field
