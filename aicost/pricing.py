"""Pure token-based price estimates with genai-prices: an unknown model is unpriced, never $0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import version as _version

from genai_prices import Usage, calc_price

from aicost import ledger
from aicost.errors import InvalidInput

GENAI_PRICES_VERSION = _version("genai-prices")
PRICE_SOURCE = f"genai-prices {GENAI_PRICES_VERSION}"

# Our provider slugs -> genai-prices provider ids. Slugs not listed are tried as genai-prices ids as they are
# (mistral, deepseek, together ...); None means "never priced from a table" (a local model has no list price).
_GENAI_PROVIDER: dict[str, str | None] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "groq": "groq",
    "perplexity": "perplexity",
    "github-copilot": "github-copilot",
    "google": "google",
    "gemini": "google",
    "xai": "x-ai",
    "x-ai": "x-ai",
    "bedrock": "aws",
    "local": None,
}


# OpenAI bills Batch API usage at half the list price. genai-prices' data prices batch for few models and only
# from 2026-10-14, so the discount is applied here, alike for every day and model.
BATCH_SHARE = Decimal("0.5")
BATCH_NOTE = " x 0.5 (Batch API)"


def batch_price(cost_usd: Decimal | None, price_source: str) -> tuple[Decimal | None, str]:
    """An estimate of OpenAI Batch API usage and its source, from the list-price estimate."""
    if cost_usd is None:
        return None, price_source
    return ledger.money(cost_usd * BATCH_SHARE), price_source + BATCH_NOTE


@dataclass(frozen=True)
class Estimate:
    """A token-based cost: cost_usd is None when unpriced; status is ledger.COST_ESTIMATED or COST_UNPRICED."""

    cost_usd: Decimal | None
    status: str
    price_source: str

    @property
    def priced(self) -> bool:
        return self.cost_usd is not None


def genai_provider(provider: str) -> str | None:
    """The genai-prices provider id for one of our provider slugs (None: not priced from a table)."""
    return _GENAI_PROVIDER.get(provider, provider)


def _count(field: str, value: int | None) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "must be a whole number")
    if value < 0:
        raise InvalidInput(field, "must not be negative")
    return value


def estimate(
    provider: str,
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
    cache_write_5m_tokens: int | None = None,
    cache_write_1h_tokens: int | None = None,
    when: datetime | None = None,
) -> Estimate:
    """Estimate the cost of token usage from genai-prices' bundled price data.

    Args:
        provider: our provider slug (openai, anthropic, groq, perplexity, github-copilot, local, ...).
        model: the model name as the provider reports it.
        input_tokens: ALL input tokens, including cache reads and writes (the ledger's and genai-prices'
            convention; Anthropic's uncached count must be summed with its cache counts first).
        output_tokens: output tokens.
        cache_read_tokens: input tokens read from cache (part of input_tokens).
        cache_write_tokens: input tokens written to cache (part of input_tokens); when 0 and the 5m/1h split
            is given, their sum.
        cache_write_5m_tokens: cache writes with a 5-minute TTL, where the provider splits them.
        cache_write_1h_tokens: cache writes with a 1-hour TTL (priced higher by Anthropic).
        when: when the usage happened (naive = UTC), so historic prices apply; None = now.

    Returns:
        Estimate with status estimated (cost_usd quantised to the ledger's scale) or unpriced (cost_usd None).

    Raises:
        InvalidInput: a negative or non-integer count, or cache counts larger than the input they are part of.
    """
    input_tokens = _count("input_tokens", input_tokens)
    output_tokens = _count("output_tokens", output_tokens)
    cache_read_tokens = _count("cache_read_tokens", cache_read_tokens)
    cache_write_tokens = _count("cache_write_tokens", cache_write_tokens)
    split = [v for v in (cache_write_5m_tokens, cache_write_1h_tokens) if v is not None]
    w5 = _count("cache_write_5m_tokens", cache_write_5m_tokens)
    w1 = _count("cache_write_1h_tokens", cache_write_1h_tokens)
    if split and not cache_write_tokens:
        cache_write_tokens = w5 + w1
    if split and w5 + w1 != cache_write_tokens:
        raise InvalidInput("cache_write_tokens", "must equal the 5m and 1h cache writes it is made of")
    if cache_read_tokens + cache_write_tokens > input_tokens:
        raise InvalidInput("input_tokens", "is the total input and must include the cache reads and writes")

    unpriced = Estimate(None, ledger.COST_UNPRICED, PRICE_SOURCE)
    provider_id = genai_provider(provider)
    if provider_id is None or not model:
        return unpriced
    values = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_tokens": cache_read_tokens,
        "cache_write_tokens": cache_write_tokens,
        "cache_write_5m_tokens": cache_write_5m_tokens,
        "cache_write_1h_tokens": cache_write_1h_tokens,
    }
    usage = Usage(**{k: v for k, v in values.items() if v})
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        price = calc_price(usage, model, provider_id=provider_id, genai_request_timestamp=when)
    except LookupError:
        return unpriced
    source = PRICE_SOURCE
    if price.auto_update_timestamp is not None:  # prices refreshed by UpdatePrices, not the bundled snapshot
        source += f" (data {price.auto_update_timestamp:%Y-%m-%d %H:%M})"
    return Estimate(ledger.money(price.total_price), ledger.COST_ESTIMATED, source)
