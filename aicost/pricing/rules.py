"""The providers' published price rules that genai-prices does not carry, applied to its model prices.

genai-prices prices one request; aicost prices daily aggregates at the tier their requests were billed at
(aicost.pricing). Where its data has a tier's price (a batch, flex or priority variant, a long-context tier) that
price is used; these rules fill the gaps its data leaves, each from the provider's pricing docs:

- Batch: 50% of every token price (Anthropic: "50% discount on both input and output tokens", prompt caching
  multipliers stack on it, platform.claude.com/docs/en/about-claude/pricing; OpenAI: "50% cost discount compared
  to synchronous APIs", developers.openai.com/api/docs/guides/batch), with OpenAI's cached input at the batch
  input rate, as genai-prices' own batch variants price it (its variants start 2026-10-14).
- OpenAI flex: "Tokens are priced at Batch API rates, with additional discounts from prompt caching"
  (developers.openai.com/api/docs/guides/flex-processing): 50% of every token price, cached input included.
- OpenAI priority (renamed fast on 2026-07-30): the per-model table of openai.com/api-priority-processing.
- Anthropic Sonnet 4 long context: requests over 200k input tokens at $6 / $22.50 (2x input and cache, 1.5x
  output; "prompt caching multipliers apply on top of long context pricing"); genai-prices' Sonnet 4 is flat.
- Anthropic US-only inference (inference_geo "us"): "For Claude Opus 4.6 and newer models ... a 1.1x multiplier
  on all token pricing categories" (the pricing page; AWS adds Sonnet 4.6).
- Anthropic fast mode on Opus 4.6: "premium pricing (6x standard rates)", caching multipliers on top.
"""

from __future__ import annotations

import re
from decimal import Decimal

from genai_prices.types import ModelPrice, TieredPrices

BATCH_SHARE = Decimal("0.5")
FLEX_SHARE = Decimal("0.5")
US_INFERENCE = Decimal("1.1")
OPUS_46_FAST = Decimal("6")
# $ per 1M tokens: input, cached input, output (openai.com/api-priority-processing)
OPENAI_PRIORITY = {
    "gpt-4o": (Decimal("4.25"), Decimal("2.125"), Decimal("17")),
    "gpt-4o-mini": (Decimal("0.25"), Decimal("0.125"), Decimal("1")),
    "o3": (Decimal("3.5"), Decimal("0.875"), Decimal("14")),
    "o4-mini": (Decimal("2"), Decimal("0.5"), Decimal("8")),
}
SONNET_4 = ("claude-sonnet-4-0",)  # genai-prices ids of models Anthropic billed at long-context rates, data flat
_CACHE_AND_INPUT = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok")
_VERSION = re.compile(r"(\d+)(?:-(\d+))?")


def keys(price: ModelPrice) -> dict:
    return {k: v for k, v in vars(price).items() if v is not None}


def scaled(price: ModelPrice, factor: Decimal, only: tuple[str, ...] | None = None) -> ModelPrice:
    """The price with every token price (or those named in only) multiplied by factor; per-call prices kept."""
    out = {}
    for key, value in keys(price).items():
        if key.endswith("_mtok") and (only is None or key in only):
            value = _times(value, factor)
        out[key] = value
    return ModelPrice(**out)


def _times(value, factor: Decimal):
    if isinstance(value, TieredPrices):
        return TieredPrices(base=value.base * factor,
                            tiers=[type(t)(start=t.start, price=t.price * factor) for t in value.tiers])
    return value * factor


def batch(provider_id: str, price: ModelPrice) -> ModelPrice:
    out = scaled(price, BATCH_SHARE)
    if provider_id == "openai" and getattr(out, "input_mtok", None) is not None and "cache_read_mtok" in keys(out):
        out = ModelPrice(**{**keys(out), "cache_read_mtok": out.input_mtok})  # no cache discount on top of batch
    return out


def flex(price: ModelPrice) -> ModelPrice:
    return scaled(price, FLEX_SHARE)


def openai_priority(model_id: str, price: ModelPrice) -> ModelPrice | None:
    row = OPENAI_PRIORITY.get(model_id)
    if row is None:
        return None
    inp, cached, out = row
    return ModelPrice(**{**keys(price), "input_mtok": inp, "cache_read_mtok": cached, "output_mtok": out})


def sonnet_4_long_context(model_id: str, price: ModelPrice) -> ModelPrice | None:
    if model_id not in SONNET_4:
        return None
    return scaled(scaled(price, Decimal(2), _CACHE_AND_INPUT), Decimal("1.5"), ("output_mtok",))


def anthropic_version(model_id: str) -> tuple[int, int]:
    """(major, minor) of an Anthropic model id: claude-opus-4-6 is (4, 6), claude-3-5-haiku-latest (3, 5)."""
    found = _VERSION.search(model_id)
    if not found:
        return (0, 0)
    return int(found.group(1)), int(found.group(2) or 0)


def us_inference(model_id: str, price: ModelPrice) -> ModelPrice | None:
    """US-only inference's 1.1x on Opus 4.6, Sonnet 4.6 and newer; None for older models (no premium)."""
    if anthropic_version(model_id) < (4, 6):
        return None
    return scaled(price, US_INFERENCE)


def opus_46_fast(model_id: str, price: ModelPrice) -> ModelPrice | None:
    return scaled(price, OPUS_46_FAST) if model_id == "claude-opus-4-6" else None
