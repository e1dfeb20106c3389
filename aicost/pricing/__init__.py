"""Token-based estimates from genai-prices, priced at the tier the requests were billed at; never silently $0.

genai-prices prices one request, and its long-context tiers switch on that request's input size. aicost's data
are daily aggregates, far above any threshold without a single long request, so an aggregate is never handed to
a threshold: it is priced at the tier its own dimensions name (Tier: Anthropic's context_window "0-200k" or
"200k-1M", the service tier, OpenAI's batch flag, Anthropic's inference_geo and speed). Where the data has no
such dimension (OpenAI usage, manual entries) the base tier is used, and price_source says so. A tier whose
price neither genai-prices nor the provider's published rules (aicost.price_rules) give is priced at standard,
and price_source says "tier price unknown, priced at standard".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import version as _version

from genai_prices import Usage
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import ModelPrice, TieredPrices

from aicost import clock, ledger
from aicost.errors import InvalidInput
from aicost.pricing import rules as price_rules
from aicost.sources import registry
from aicost.sources.source import SAME

GENAI_PRICES_VERSION = _version("genai-prices")
PRICE_SOURCE = f"genai-prices {GENAI_PRICES_VERSION}"
UNKNOWN_TIER = "tier price unknown, priced at standard"

# genai-prices provider ids of names that are not one of our sources' slugs (a source's own id is in the registry)
_GENAI_ALIASES: dict[str, str] = {"gemini": "google", "x-ai": "x-ai", "bedrock": "aws"}
# what each context_window value says about the input size of every request behind it (Anthropic's enum)
_WINDOWS = {"0-200k": (0, 200_000), "200k-1M": (200_000, 1_000_000)}
_STANDARD_TIERS = ("", "default", "auto", "standard")
_PRICED_TIERS = {"openai": ("flex", "priority", "fast"), "anthropic": ("batch",)}  # see _context


@dataclass(frozen=True)
class Tier:
    """How the requests behind an aggregate were billed, as far as the data says."""

    context_window: str = ""  # "0-200k" | "200k-1M" (Anthropic); "" where not reported
    service_tier: str = ""  # the provider's own: standard, batch, priority, flex, default, scale ...
    batch: bool = False  # the Batch API (OpenAI reports it apart from the service tier)
    inference_geo: str = ""  # Anthropic: global, us, not_available
    speed: str = ""  # Anthropic: standard, fast

    @classmethod
    def of_row(cls, service_tier: str | None, context_window: str | None = "") -> Tier:
        """The tier of a ledger row, whose service_tier folds batch, region and speed in (fold())."""
        base, *flags = (service_tier or "").split("+")
        geo = next((f for f in flags if f not in ("batch", "fast")), "")
        return cls(context_window or "", base, "batch" in flags or base == "batch", geo,
                   "fast" if "fast" in flags else "")


def fold(service_tier: str | None, *, batch: bool = False, inference_geo: str | None = "",
         speed: str | None = "") -> str:
    """A row's service_tier with batch, a region other than the default and fast speed folded in, so that each
    stays apart in the natural key: 'default+batch', 'standard+us', 'batch+us+fast' (Tier.of_row reads it back).
    Neither provider's tiers contain '+', so the fold is injective."""
    tier = (service_tier or "").strip()
    flags = []
    if batch and tier != "batch":
        flags.append("batch")
    if (inference_geo or "") not in ("", "global", "not_available"):
        flags.append(inference_geo)
    if (speed or "") == "fast":
        flags.append("fast")
    if not flags:
        return tier
    return "+".join([tier, *flags]) if tier else "+".join(flags)


@dataclass(frozen=True)
class Estimate:
    """A token-based cost: cost_usd is None when unpriced; status is ledger.COST_ESTIMATED or COST_UNPRICED.
    search_usd: web searches at the model's per-search price (billed apart from tokens), where known."""

    cost_usd: Decimal | None
    status: str
    price_source: str
    search_usd: Decimal | None = None

    @property
    def priced(self) -> bool:
        return self.cost_usd is not None

    @property
    def spend(self) -> Decimal | None:
        """What the usage costs when no bill covers it: tokens and web searches."""
        if self.cost_usd is None:
            return None
        return self.cost_usd + (self.search_usd or Decimal(0))


def genai_provider(provider: str) -> str | None:
    """The genai-prices provider id for one of our provider slugs (None: not priced from a table)."""
    source = registry.get(provider)
    if source is None:
        return _GENAI_ALIASES.get(provider, provider)  # tried as a genai-prices id as it is (mistral, deepseek ...)
    return provider if source.genai_id == SAME else source.genai_id


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
    input_audio_tokens: int | None = None,
    cache_audio_read_tokens: int | None = None,
    output_audio_tokens: int | None = None,
    input_image_tokens: int | None = None,
    cache_image_read_tokens: int | None = None,
    output_image_tokens: int | None = None,
    web_search_requests: int | None = None,
    tier: Tier | None = None,
    when: datetime | None = None,
) -> Estimate:
    """Estimate the cost of an aggregate of token usage at the tier its requests were billed at.

    Args:
        provider: our provider slug (openai, anthropic, groq, perplexity, github-copilot, local, ...).
        model: the model name as the provider reports it.
        input_tokens: ALL input tokens, including cache reads and writes and audio and image input (the
            ledger's and genai-prices' convention; Anthropic's uncached count must be summed with its cache
            counts first).
        output_tokens: all output tokens, including audio and image output.
        cache_read_tokens: input tokens read from cache (part of input_tokens).
        cache_write_tokens: input tokens written to cache (part of input_tokens); when 0 and the 5m/1h split
            is given, their sum.
        cache_write_5m_tokens, cache_write_1h_tokens: cache writes by time to live, where the provider splits
            them (1h writes are priced higher by Anthropic).
        input_audio_tokens, cache_audio_read_tokens, output_audio_tokens, input_image_tokens,
            cache_image_read_tokens, output_image_tokens: the audio and image parts of the totals above (all
            audio input, its cached part, ...), priced at their own rates where the model has them.
        web_search_requests: server-side web searches, priced per search (Estimate.search_usd).
        tier: how the requests were billed (Tier); None is the standard tier with nothing reported.
        when: when the usage happened (naive = UTC), so historic prices apply; None = now.

    Returns:
        Estimate with status estimated (cost_usd quantised to the ledger's scale) or unpriced (cost_usd None).

    Raises:
        InvalidInput: a negative or non-integer count, or a part larger than the total it is part of.
    """
    counts = {
        "input_tokens": _count("input_tokens", input_tokens),
        "output_tokens": _count("output_tokens", output_tokens),
        "cache_read_tokens": _count("cache_read_tokens", cache_read_tokens),
        "cache_write_tokens": _count("cache_write_tokens", cache_write_tokens),
        "input_audio_tokens": _count("input_audio_tokens", input_audio_tokens),
        "cache_audio_read_tokens": _count("cache_audio_read_tokens", cache_audio_read_tokens),
        "output_audio_tokens": _count("output_audio_tokens", output_audio_tokens),
        "input_image_tokens": _count("input_image_tokens", input_image_tokens),
        "cache_image_read_tokens": _count("cache_image_read_tokens", cache_image_read_tokens),
        "output_image_tokens": _count("output_image_tokens", output_image_tokens),
    }
    split = [v for v in (cache_write_5m_tokens, cache_write_1h_tokens) if v is not None]
    w5 = _count("cache_write_5m_tokens", cache_write_5m_tokens)
    w1 = _count("cache_write_1h_tokens", cache_write_1h_tokens)
    if split and not counts["cache_write_tokens"]:
        counts["cache_write_tokens"] = w5 + w1
    if split and w5 + w1 != counts["cache_write_tokens"]:
        raise InvalidInput("cache_write_tokens", "must equal the 5m and 1h cache writes it is made of")
    if counts["cache_read_tokens"] + counts["cache_write_tokens"] > counts["input_tokens"]:
        raise InvalidInput("input_tokens", "is the total input and must include the cache reads and writes")
    for part, whole in (("input_audio_tokens", "input_tokens"), ("input_image_tokens", "input_tokens"),
                        ("output_audio_tokens", "output_tokens"), ("output_image_tokens", "output_tokens"),
                        ("cache_audio_read_tokens", "input_audio_tokens"),
                        ("cache_image_read_tokens", "input_image_tokens")):
        if counts[part] > counts[whole]:
            raise InvalidInput(whole, f"is the total and must include {part}")
    searches = _count("web_search_requests", web_search_requests)
    tier = tier or Tier()

    unpriced = Estimate(None, ledger.COST_UNPRICED, PRICE_SOURCE)
    provider_id = genai_provider(provider)
    if provider_id is None or not model:
        return unpriced
    when = when or clock.now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    snapshot = get_snapshot()
    try:
        _, info = snapshot.find_provider_model(model, None, provider_id, None)
    except LookupError:
        return unpriced
    price, notes = _tier_price(provider_id, info, tier, when)
    if w1:
        counts["cache_write_1h_tokens"] = w1
    usage = Usage(**{k: v for k, v in counts.items() if v})
    try:
        tokens = price.calc_price(usage)["total_price"]
    except (LookupError, ValueError) as exc:  # a count the model's prices cannot take
        raise InvalidInput("input_tokens", str(exc)) from None
    search_usd = None
    if searches:
        per_thousand = getattr(price, "web_searches_kcount", None)
        if per_thousand is None:
            notes.append(f"{searches} web searches: price unknown")
        else:
            search_usd = ledger.money(Decimal(searches) * per_thousand / 1000)
            notes.append(f"{searches} web searches at ${per_thousand}/1,000")
    source = PRICE_SOURCE
    if snapshot.from_auto_update:  # prices refreshed by UpdatePrices, not the bundled snapshot
        source += f" (data {snapshot.timestamp:%Y-%m-%d %H:%M})"
    if notes:
        source += "; " + "; ".join(notes)
    return Estimate(ledger.money(tokens), ledger.COST_ESTIMATED, source, search_usd)


# the counts of a ledger row that an estimate prices
PRICED_COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_5m_tokens",
                 "cache_write_1h_tokens", *ledger.MODALITY_TOKENS, "web_search_requests")


def estimate_row(row: Mapping) -> Estimate:
    """The estimate of a ledger row's tokens at the row's own tier (service_tier, context_window), at the prices
    of its bucket's day: the one way sync, imports, manual entries, the demo and `reprice` price usage."""
    counts = {name: _whole(row.get(name)) for name in PRICED_COUNTS}
    counts["input_tokens"] = counts["input_tokens"] or 0
    counts["output_tokens"] = counts["output_tokens"] or 0
    for name in ("cache_read_tokens", "cache_write_tokens"):
        counts[name] = counts[name] or 0
    return estimate(row["provider"], row.get("model") or "", when=row.get("bucket_start"),
                    tier=Tier.of_row(row.get("service_tier"), row.get("context_window")), **counts)


def _whole(value) -> int | None:
    """A count from a row: None for a missing one (None, or NaN from a data frame)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return int(value)


def _tier_price(provider_id: str, info, tier: Tier, when: datetime) -> tuple[ModelPrice, list[str]]:
    """The model's price for the tier the requests were billed at (no tier thresholds left), and what was
    applied or assumed, for price_source."""
    notes: list[str] = []
    standard = info.get_prices(when)
    context, label = _context(provider_id, tier)
    price = standard
    if context:
        variant = info.get_prices(when, context)
        if variant != standard:
            price = variant
            notes.append(f"{label} price")
        else:
            price, note = _published(provider_id, info.id, label, standard)
            notes.append(note)
    if tier.service_tier not in _STANDARD_TIERS + _PRICED_TIERS.get(provider_id, ()):
        notes.append(f"{tier.service_tier}: {UNKNOWN_TIER}")
    if provider_id == "anthropic" and tier.inference_geo == "us":
        us = price_rules.us_inference(info.id, price)
        if us is not None:
            price = us
            notes.append("US-only inference x1.1")
    price, note = _at_window(info.id, price, tier.context_window)
    if note:
        notes.append(note)
    return price, notes


def _context(provider_id: str, tier: Tier) -> tuple[dict | None, str]:
    """genai-prices' price_context for the tier, and its name."""
    if tier.batch or tier.service_tier == "batch":
        return {"processing": "batch"}, "batch"
    if provider_id == "openai" and tier.service_tier == "flex":
        return {"service_tier": "flex"}, "flex"
    if provider_id == "openai" and tier.service_tier in ("priority", "fast"):
        return {"service_tier": "priority"}, "priority"
    if provider_id == "anthropic" and tier.speed == "fast":
        return {"speed": "fast"}, "fast mode"
    return None, ""


def _published(provider_id: str, model_id: str, label: str, standard: ModelPrice) -> tuple[ModelPrice, str]:
    """A tier's price from the provider's published rule where genai-prices has none for this model and day."""
    ruled = None
    if label == "batch":
        ruled = price_rules.batch(provider_id, standard)
    elif label == "flex":
        ruled = price_rules.flex(standard)
    elif label == "priority":
        ruled = price_rules.openai_priority(model_id, standard)
    elif label == "fast mode":
        ruled = price_rules.opus_46_fast(model_id, standard)
    if ruled is None:
        return standard, f"{label}: {UNKNOWN_TIER}"
    return ruled, f"{label} price (the provider's published rule)"


def _at_window(model_id: str, price: ModelPrice, window: str) -> tuple[ModelPrice, str]:
    """The price with every tiered rate fixed at the tier the context window names: never chosen by the size of
    an aggregate. Base tier where the window is not reported (said in the note, for a tiered model)."""
    tiered = any(isinstance(v, TieredPrices) for v in price_rules.keys(price).values())
    bounds = _WINDOWS.get(window)
    if not tiered:
        if window == "200k-1M":
            long = price_rules.sonnet_4_long_context(model_id, price)
            if long is not None:
                return long, "long context (over 200k input) at Anthropic's Sonnet 4 rates"
        return price, ""
    low, high = bounds if bounds else (0, 0)
    ambiguous = False
    fixed = {}
    for key, value in price_rules.keys(price).items():
        if isinstance(value, TieredPrices):
            applies = [t for t in value.tiers if t.start <= low]  # a tier applies to input above its start
            ambiguous |= any(low < t.start < high for t in value.tiers)
            value = applies[-1].price if applies else value.base
        fixed[key] = value
    note = ""
    if bounds is None:
        note = (f"context window {window} unknown: priced at the base tier" if window
                else "context window not reported: priced at the base tier")
    elif ambiguous:
        note = f"a price tier starts inside {window}: priced at the tier of its smallest requests"
    elif low:
        note = f"long context ({window}) price"
    return ModelPrice(**fixed), note
