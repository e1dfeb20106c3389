"""The ledger as a FOCUS-style dataset (FinOps Open Cost and Usage Specification column names), one row per
ledger row, so FinOps tools can take aicost's numbers.

Mapping, in short: BilledCost and EffectiveCost are aicost's spend (`cost_usd`), so they add up to the same
total the dashboard shows; ListCost is the token estimate at list prices (genai-prices) where one exists.
Token rows whose cost sits in a billed cost line ('covered') carry BilledCost 0 and their tokens, so nothing
is counted twice. FOCUS has no empty cost, so unpriced usage carries BilledCost 0 with x_CostStatus
'unpriced': filter on x_CostStatus before reading it as free. Columns aicost adds start with `x_`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd

from aicost import ledger
from aicost.delivery import export
from aicost.sources import catalog

COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "BillingCurrency",
    "BillingAccountId", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory", "ChargeFrequency", "ChargeDescription",
    "ConsumedQuantity", "ConsumedUnit",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "ServiceCategory", "ServiceName",
    "SkuId", "SubAccountId", "SubAccountName", "ResourceId", "ResourceName",
    "x_Source", "x_Kind", "x_CostStatus", "x_Model", "x_ServiceTier", "x_InputTokens", "x_OutputTokens",
    "x_CacheReadTokens", "x_CacheWriteTokens", "x_Requests", "x_PriceSource",
    # a row billed in another currency: BilledCost is its US dollars; the amount as billed and the rate beside it
    "x_BilledAmount", "x_BilledCurrency", "x_ExchangeRate", "x_ExchangeRateDate", "x_ExchangeRateSource",
    # the team and cost centre the allocation rules give the row (Unallocated when none matches)
    "Tags", "x_Team", "x_CostCentre",
)
SERVICE_CATEGORY = "AI and Machine Learning"  # FOCUS ServiceCategory value
_WIDTHS = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1), "1d": timedelta(days=1)}


def _iso(value) -> str | None:
    """A UTC timestamp as FOCUS writes it: ISO 8601 with a Z."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value).to_pydatetime()
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _end(start: datetime, end, width: str) -> datetime:
    if end is not None and not pd.isna(end):
        return pd.Timestamp(end).to_pydatetime()
    if width in _WIDTHS:
        return start + _WIDTHS[width]
    return start + timedelta(days=int(width.rstrip("d")))  # 'Nd' period entry


def _month(start: datetime) -> tuple[datetime, datetime]:
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first, (first + timedelta(days=32)).replace(day=1)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _money(value) -> Decimal | None:
    return None if value is None or (not isinstance(value, Decimal) and pd.isna(value)) else Decimal(value)


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _category(kind: str, cost: Decimal) -> str:
    """FOCUS ChargeCategory: a subscription (seats, a plan) is a Purchase; a negative amount a Credit."""
    if cost < 0:
        return "Credit"
    return "Purchase" if kind == ledger.KIND_SUBSCRIPTION else "Usage"


def records(frame: pd.DataFrame) -> Iterator[dict]:
    """FOCUS rows (dicts in COLUMNS order) for ledger rows as `queries.rows` returns them."""
    for r in frame.to_dict("records"):
        start = pd.Timestamp(r["bucket_start"]).to_pydatetime()
        end = _end(start, r["bucket_end"], r["bucket_width"])
        period_start, period_end = _month(start)
        cost = _money(r["cost_usd"]) if r["cost_status"] != ledger.COST_COVERED else None
        cost = cost if cost is not None else Decimal(0)
        tokens = [_int(r["input_tokens"]), _int(r["output_tokens"])]
        if r["kind"] == ledger.KIND_USAGE and any(t is not None for t in tokens):
            quantity, unit = Decimal(sum(t or 0 for t in tokens)), "Tokens"
        elif r["quantity"] is not None and not pd.isna(r["quantity"]):
            quantity, unit = Decimal(str(r["quantity"])), _text(r["quantity_unit"])
        else:
            quantity, unit = None, None
        name = catalog.display_name(r["provider"])
        model = _text(r["model"])
        width = r["bucket_width"]
        yield dict(zip(COLUMNS, (
            cost, cost, _money(r["estimate_usd"]), "USD",
            r["provider"], _iso(period_start), _iso(period_end),
            _iso(start), _iso(end), _category(r["kind"], cost),
            "Recurring" if r["kind"] == ledger.KIND_SUBSCRIPTION or width not in _WIDTHS else "Usage-Based",
            _text(r["note"]) or _text(r["item"]) or model,
            quantity, unit,
            name, catalog.display_name(r["publisher"]) if _text(r.get("publisher")) else name, name,
            SERVICE_CATEGORY, f"{name} API",
            model or _text(r["item"]), _text(r["project"]), _text(r["project_name"]),
            _text(r["api_key"]), _text(r["api_key_name"]),
            r["source"], r["kind"], r["cost_status"], model, _text(r["service_tier"]),
            _int(r["input_tokens"]), _int(r["output_tokens"]), _int(r["cache_read_tokens"]),
            _int(r["cache_write_tokens"]), _int(r["requests"]), _text(r["price_source"]),
            *_billed_in(r), *_allocation(r),
        )))


def _allocation(r: dict) -> tuple:
    """FOCUS Tags (a JSON object, as FOCUS writes key-value tags) and the x_ columns of the row's team."""
    team, centre = _text(r.get("team")), _text(r.get("cost_centre"))
    tags = {"team": team} if team else {}
    if centre:
        tags["cost_centre"] = centre
    return json.dumps(tags, ensure_ascii=False, sort_keys=True) if tags else None, team, centre


def _billed_in(r: dict) -> tuple:
    """x_BilledAmount .. x_ExchangeRateSource of a row in another currency; Nones for a row in dollars."""
    code = _text(r.get("currency"))
    if not code:
        return (None,) * 5
    day = r.get("fx_date")
    day = None if day is None or (not isinstance(day, str) and pd.isna(day)) else str(day)[:10]
    rate = r.get("fx_rate")
    rate = None if rate is None or pd.isna(rate) else Decimal(str(rate)).normalize()
    return _money(r.get("amount")), code, rate, day, _text(r.get("fx_source"))


def to_csv(frame: pd.DataFrame) -> str:
    """FOCUS rows of ledger rows as formula-safe CSV, columns in COLUMNS order."""
    return export.to_csv(records(frame), list(COLUMNS))
