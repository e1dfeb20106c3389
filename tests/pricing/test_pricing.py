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


# -- priced at the tier the requests were billed at (aicost.pricing, aicost.price_rules) ---------------------------

NOV, SEP = datetime(2026, 11, 2), datetime(2026, 9, 1)  # after and before genai-prices' batch and priority prices
Tier = pricing.Tier


def _est(provider, model, tier=None, when=NOV, **counts):
    counts.setdefault("output_tokens", 0)
    return pricing.estimate(provider, model, tier=tier, when=when, **counts)


def test_a_daily_aggregate_is_priced_at_its_context_window_never_by_its_size():
    # 5M input in a day of requests under 200k: $3 / MTok, though genai-prices would take 5M as one long request
    short = _est("anthropic", "claude-sonnet-4-5-20250929", Tier(context_window="0-200k"), input_tokens=5_000_000)
    assert short.cost_usd == Decimal("15")
    naive = calc_price(Usage(input_tokens=5_000_000), "claude-sonnet-4-5-20250929", provider_id="anthropic",
                       genai_request_timestamp=NOV).total_price
    assert naive == Decimal("30")
    long = _est("anthropic", "claude-sonnet-4-5-20250929", Tier(context_window="200k-1M"), input_tokens=5_000_000)
    assert long.cost_usd == Decimal("30") and "long context (200k-1M) price" in long.price_source
    unknown = _est("anthropic", "claude-sonnet-4-5-20250929", input_tokens=5_000_000)
    assert unknown.cost_usd == Decimal("15") and "context window not reported" in unknown.price_source


def test_sonnet_4_long_context_at_anthropic_s_rates():
    # genai-prices has Sonnet 4 flat; Anthropic billed its long requests at $6 / $22.50
    e = _est("anthropic", "claude-sonnet-4-20250514", Tier(context_window="200k-1M"), input_tokens=1_000_000,
             output_tokens=100_000)
    assert e.cost_usd == Decimal("8.25") and "Sonnet 4 rates" in e.price_source


@pytest.mark.parametrize("when", [SEP, NOV])
def test_batch_is_half_price_before_and_after_genai_prices_has_a_batch_price(when):
    haiku = _est("anthropic", "claude-3-5-haiku-20241022", Tier(service_tier="batch"), when=when,
                 input_tokens=1_000_000, output_tokens=1_000_000)
    assert haiku.cost_usd == Decimal("2.4")  # ($0.80 + $4) / 2, by the provider's rule: no batch price in the data
    opus = _est("anthropic", "claude-opus-4-6", Tier(service_tier="batch"), when=when, input_tokens=1_000_000,
                output_tokens=1_000_000)
    assert opus.cost_usd == Decimal("15")
    assert ("published rule" in opus.price_source) == (when == SEP)


def test_openai_flex_priority_and_unknown_tiers():
    counts = {"input_tokens": 1_000_000, "cache_read_tokens": 500_000, "output_tokens": 1_000_000}
    flex = _est("openai", "gpt-4o-mini-2024-07-18", Tier(service_tier="flex"), **counts)
    assert flex.cost_usd == Decimal("0.35625")  # batch rates, cache discount on top
    for when in (SEP, NOV):
        priority = _est("openai", "gpt-4o-2024-08-06", Tier(service_tier="priority"), when=when, **counts)
        assert priority.cost_usd == Decimal("20.1875")  # $4.25 / $2.125 / $17
    o3 = _est("openai", "o3-mini", Tier(service_tier="priority"), input_tokens=1_000_000, output_tokens=1_000_000)
    assert o3.cost_usd == Decimal("5.5") and "priority: tier price unknown, priced at standard" in o3.price_source
    scale = _est("openai", "gpt-4o-2024-08-06", Tier(service_tier="scale"), input_tokens=1_000_000)
    assert "scale: tier price unknown, priced at standard" in scale.price_source
    anthropic = _est("anthropic", "claude-sonnet-4-20250514", Tier(service_tier="priority"), input_tokens=1_000_000)
    assert anthropic.cost_usd == Decimal("3") and "priority: tier price unknown" in anthropic.price_source


def test_us_only_inference_fast_mode_and_web_searches():
    us = _est("anthropic", "claude-opus-4-6", Tier(inference_geo="us"), input_tokens=1_000_000)
    assert us.cost_usd == Decimal("5.5") and "US-only inference x1.1" in us.price_source
    older = _est("anthropic", "claude-sonnet-4-20250514", Tier(inference_geo="us"), input_tokens=1_000_000)
    assert older.cost_usd == Decimal("3")  # no premium before Opus 4.6
    fast = _est("anthropic", "claude-opus-4-6", Tier(speed="fast"), input_tokens=1_000_000, output_tokens=1_000_000)
    assert fast.cost_usd == Decimal("180")  # 6x $5 / $25
    searches = _est("anthropic", "claude-sonnet-4-20250514", input_tokens=1_000_000, web_search_requests=1000)
    assert (searches.cost_usd, searches.search_usd, searches.spend) == (Decimal("3"), Decimal("10"), Decimal("13"))


def test_audio_tokens_at_their_own_rates():
    counts = {"input_tokens": 2_000_000, "input_audio_tokens": 1_000_000, "output_tokens": 1_000_000,
              "output_audio_tokens": 800_000}
    e = _est("openai", "gpt-4o-realtime-preview", **counts)
    own = calc_price(Usage(**counts), "gpt-4o-realtime-preview", provider_id="openai",
                     genai_request_timestamp=NOV).total_price
    text_only = _est("openai", "gpt-4o-realtime-preview", input_tokens=2_000_000, output_tokens=1_000_000)
    assert e.cost_usd == own > text_only.cost_usd
    with pytest.raises(InvalidInput, match="output_tokens: is the total"):
        _est("openai", "gpt-4o-realtime-preview", input_tokens=10, output_tokens=1, output_audio_tokens=5)


@pytest.mark.parametrize("service_tier, tier", [
    ("default+batch", Tier(service_tier="default", batch=True)), ("batch", Tier(service_tier="batch", batch=True)),
    ("standard+us", Tier(service_tier="standard", inference_geo="us")),
    ("batch+us+fast", Tier(service_tier="batch", batch=True, inference_geo="us", speed="fast")), ("", Tier()),
])
def test_the_ledger_s_folded_tier_reads_back(service_tier, tier):
    assert pricing.Tier.of_row(service_tier) == tier
    assert pricing.fold(tier.service_tier, batch=tier.batch, inference_geo=tier.inference_geo,
                        speed=tier.speed) == service_tier
