"""The ledger's one table: its columns, natural key and row vocabulary, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa

from aicost.errors import InvalidInput

TABLE = "usage"

# What a row measures.
KIND_USAGE = "usage"  # tokens and requests, maybe an estimate beside them
KIND_COST = "cost"  # a billed cost line (OpenAI line_item, Anthropic description) or an entered amount
KIND_SUBSCRIPTION = "subscription"  # a flat charge for seats or a plan (Copilot seats, ChatGPT Team), not metered use
# Per-user detail of usage that other rows already count (Claude Code per developer): kept to say who, never summed
# into spend, tokens or estimates (the read models leave it out; cost_usd is always NULL)
KIND_DETAIL = "detail"

# Where a row came from.
SOURCES = ("api", "manual", "import", "demo")

# What cost_usd is. Only rows whose cost_usd is spend carry one; spend is SUM(cost_usd).
COST_BILLED = "billed"  # from the provider's billing API
COST_ENTERED = "entered"  # typed in or imported from an invoice/report by the user
COST_ESTIMATED = "estimated"  # from tokens with genai-prices; counted because nothing billed covers it
COST_UNPRICED = "unpriced"  # tokens with no known price: shown, never counted as $0
COST_SELF_HOSTED = "self-hosted"  # zero by intent (local model)
COST_COVERED = "covered"  # usage whose spend is in a billed cost row; estimate_usd kept for comparison
COST_STATUSES = (COST_BILLED, COST_ENTERED, COST_ESTIMATED, COST_UNPRICED, COST_SELF_HOSTED, COST_COVERED)

# Bucket widths within one UTC day; a wider width ('Nd') is a period entry, spread over its days in daily figures.
SHORT_WIDTHS = ("1m", "1h", "1d")
SHORT_WIDTHS_SQL = "(" + ", ".join(f"'{w}'" for w in SHORT_WIDTHS) + ")"

# Names for the providers' nulls, stored as such so every report shows them by name.
DEFAULT_WORKSPACE = "Default workspace"  # Anthropic workspace_id null
CONSOLE_KEY = "Console/Workbench"  # Anthropic api_key_id null
NONE = ""  # dimension not applicable to the row

# Money: 9 decimals holds Anthropic's fractional cents ("123.78912" cents = $1.2378912) exactly.
MONEY_PRECISION, MONEY_SCALE = 18, 9
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
MONEY_MAX = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE) - MONEY_QUANTUM  # $999,999,999.999999999
COUNT_MAX = 2**63 - 1  # BIGINT


@dataclass(frozen=True)
class Column:
    name: str
    sql: str  # type in portable SQL (DuckDB and PostgreSQL)
    arrow: pa.DataType
    key: bool = False
    doc: str = ""


_MONEY_SQL = f"DECIMAL({MONEY_PRECISION},{MONEY_SCALE})"
_MONEY_ARROW = pa.decimal128(MONEY_PRECISION, MONEY_SCALE)
# an exchange rate: US dollars for one unit of a currency (1 CNY = 0.148973814579 USD needs the 12 places)
RATE_PRECISION, RATE_SCALE = 24, 12
RATE_QUANTUM = Decimal(1).scaleb(-RATE_SCALE)
_RATE_SQL = f"DECIMAL({RATE_PRECISION},{RATE_SCALE})"
_RATE_ARROW = pa.decimal128(RATE_PRECISION, RATE_SCALE)
USD = "USD"  # the currency cost_usd is in; a row billed in another keeps its own amount beside it

COLUMNS: tuple[Column, ...] = (
    # natural key: no NULLs; "" where a dimension does not apply
    Column("provider", "VARCHAR", pa.string(), True, "normalised provider slug: openai, anthropic, groq ..."),
    Column("source", "VARCHAR", pa.string(), True, "api, manual, import or demo"),
    Column("kind", "VARCHAR", pa.string(), True,
           "usage (tokens), cost (a billed or entered cost line), subscription (a flat charge for seats or a plan) or"
           " detail (per-user detail of usage other rows count)"),
    Column("bucket_start", "TIMESTAMP", pa.timestamp("us"), True, "UTC start of the bucket"),
    Column("bucket_width", "VARCHAR", pa.string(), True, "1m, 1h, 1d, or Nd for a period entry"),
    Column("item", "VARCHAR", pa.string(), True, "usage endpoint (completions, messages) or cost line item"),
    Column("model", "VARCHAR", pa.string(), True),
    Column("project", "VARCHAR", pa.string(), True, "OpenAI project / Anthropic workspace"),
    Column("api_key", "VARCHAR", pa.string(), True),
    Column("service_tier", "VARCHAR", pa.string(), True),
    Column("context_window", "VARCHAR", pa.string(), True),
    Column("entry_id", "VARCHAR", pa.string(), True, "id of a manual entry; empty otherwise"),
    # measures
    Column("bucket_end", "TIMESTAMP", pa.timestamp("us"), doc="UTC end of the bucket, exclusive"),
    Column("input_tokens", "BIGINT", pa.int64(), doc="all input, including cache reads and writes"),
    Column("uncached_input_tokens", "BIGINT", pa.int64()),
    Column("cache_read_tokens", "BIGINT", pa.int64()),
    Column("cache_write_tokens", "BIGINT", pa.int64(), doc="all cache writes (5m + 1h where split)"),
    Column("cache_write_5m_tokens", "BIGINT", pa.int64()),
    Column("cache_write_1h_tokens", "BIGINT", pa.int64()),
    Column("output_tokens", "BIGINT", pa.int64()),
    Column("input_audio_tokens", "BIGINT", pa.int64(), doc="audio input, part of input_tokens (cached part included)"),
    Column("cache_audio_read_tokens", "BIGINT", pa.int64(), doc="cached audio input, part of input_audio_tokens"),
    Column("output_audio_tokens", "BIGINT", pa.int64(), doc="audio output, part of output_tokens"),
    Column("input_image_tokens", "BIGINT", pa.int64(), doc="image input, part of input_tokens (cached part included)"),
    Column("cache_image_read_tokens", "BIGINT", pa.int64(), doc="cached image input, part of input_image_tokens"),
    Column("output_image_tokens", "BIGINT", pa.int64(), doc="image output, part of output_tokens"),
    Column("requests", "BIGINT", pa.int64()),
    Column("web_search_requests", "BIGINT", pa.int64()),
    Column("cost_usd", _MONEY_SQL, _MONEY_ARROW, doc="spend in dollars; NULL when the row is not spend"),
    Column("cost_status", "VARCHAR", pa.string(), doc="billed, entered, estimated, unpriced, self-hosted, covered"),
    Column("estimate_usd", _MONEY_SQL, _MONEY_ARROW, doc="token-based estimate, for comparison"),
    Column("price_source", "VARCHAR", pa.string(), doc="e.g. genai-prices 0.2.3"),
    Column("quantity", "DOUBLE", pa.float64(), doc="billed quantity of a cost line, where given"),
    Column("quantity_unit", "VARCHAR", pa.string()),
    Column("gross_usd", _MONEY_SQL, _MONEY_ARROW,
           doc="the bill's amount before discounts (GitHub gross_amount, Anthropic list_price_usd), where given"),
    Column("discount_usd", _MONEY_SQL, _MONEY_ARROW,
           doc="the bill's discount off gross_usd, e.g. use inside a plan's included allowance"),
    Column("included_quantity", "DOUBLE", pa.float64(),
           doc="the allowance a plan includes per month (e.g. a user's premium requests), where the bill gives it"),
    Column("amount", _MONEY_SQL, _MONEY_ARROW,
           doc="the amount in the currency it was billed or entered in, where that is not USD (cost_usd converts it)"),
    Column("currency", "VARCHAR", pa.string(), doc="ISO 4217 code of amount (EUR, CNY); NULL: billed in USD"),
    Column("fx_rate", _RATE_SQL, _RATE_ARROW, doc="US dollars for 1 unit of currency, the rate cost_usd was made with"),
    Column("fx_date", "DATE", pa.date32(), doc="the day of that rate (the last published on or before the row's day)"),
    Column("fx_source", "VARCHAR", pa.string(), doc="where the rate came from: ECB reference rate, or entered"),
    Column("publisher", "VARCHAR", pa.string(),
           doc="the model's maker where the provider resells it (a cloud's Claude: anthropic); NULL: the provider"),
    Column("project_name", "VARCHAR", pa.string()),
    Column("api_key_name", "VARCHAR", pa.string()),
    Column("origin", "VARCHAR", pa.string(), doc="imported file name, or API endpoint"),
    Column("confidence", "VARCHAR", pa.string(), doc="user-entered for manual rows"),
    Column("note", "VARCHAR", pa.string()),
    Column("ingested_at", "TIMESTAMP", pa.timestamp("us"), doc="when the row was first written (UTC)"),
    Column("updated_at", "TIMESTAMP", pa.timestamp("us"), doc="when the row's values last changed (UTC)"),
)

# the audio and image parts of the token totals (OpenAI's usage reports them), priced at their own rates
MODALITY_TOKENS = ("input_audio_tokens", "cache_audio_read_tokens", "output_audio_tokens", "input_image_tokens",
                   "cache_image_read_tokens", "output_image_tokens")

KEY: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.key)
NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
MEASURES: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.key)
ARROW_SCHEMA = pa.schema([pa.field(c.name, c.arrow, nullable=not c.key) for c in COLUMNS])
_KEY_DEFAULTS = {name: NONE for name in KEY if name not in ("bucket_start",)}
_COUNTS = tuple(c.name for c in COLUMNS if c.sql == "BIGINT")
_MONEY = tuple(c.name for c in COLUMNS if c.sql == _MONEY_SQL)


def money(value: Decimal | str | int) -> Decimal:
    """Quantise a dollar amount to the ledger's scale (exact for every amount the providers report)."""
    return Decimal(value).quantize(MONEY_QUANTUM)


def complete(row: dict) -> dict:
    """Fill a partial row dict: empty strings for missing key dimensions, None for missing measures.

    Raises:
        InvalidInput: a count or an amount is larger than the ledger's column can hold (checked here, before
            anything is converted or written, whatever the row came from).
    """
    out = {**_KEY_DEFAULTS, **{name: None for name in MEASURES}}
    out.update(row)
    unknown = set(out) - set(NAMES)
    if unknown:
        raise KeyError(f"not ledger columns: {sorted(unknown)}")
    for name in _COUNTS:
        value = out[name]
        if value is not None and not -COUNT_MAX <= value <= COUNT_MAX:
            raise InvalidInput(name, f"{value:,} is more than the ledger can hold ({COUNT_MAX:,})")
    for name in _MONEY:
        value = out[name]
        if value is not None and abs(value) > MONEY_MAX:
            raise InvalidInput(name, f"${value:,} is more than the ledger can hold (${MONEY_MAX:,.2f})")
    return out
