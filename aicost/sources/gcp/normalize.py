"""Pure: the billing export's rows, summed per UTC day, project, service, SKU and cost type by the client's query ->
ledger rows; the SKU description -> model, publisher and token direction.

A result row (client.QUERY's columns): day (DATE), project_id, service, sku, cost_type, currency, rate
(`currency_conversion_rate`: units of the billing currency for 1 USD), cost and credits (NUMERIC: the sums of
`cost` and of every `credits.amount`, negative), usage_amount and usage_unit. Net cost = cost + credits, in the
billing currency; USD = net / rate, at the export's own rate (Google's, not the ECB's). A day's rows at different
rates of one key are summed in both currencies; the row's fx_rate is then their effective rate.

Tax and adjustment lines (`cost_type` "tax", "adjustment", "rounding_error") are kept as their own items, named
"<SKU> (tax)" etc., so the day's total is the bill's and each is visible. A row that costs nothing and used nothing
(a $0 tax line) is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH

PROVIDER = "google-cloud"
FX_SOURCE = "Google Cloud Billing export (currency_conversion_rate)"
REGULAR = "regular"

# the first word of a SKU that names a model, and the model's maker (a provider slug)
FAMILIES = {"gemini": "google", "gemma": "google", "imagen": "google", "veo": "google", "lyria": "google",
            "chirp": "google", "claude": "anthropic", "llama": "meta", "mistral": "mistral", "codestral": "mistral",
            "jamba": "ai21", "deepseek": "deepseek", "qwen": "alibaba", "grok": "xai"}
# words after the family that are still the model's name ("Gemini 2.5 Flash Lite", "Claude 3.5 Sonnet v2")
MODEL_WORDS = frozenset({"pro", "flash", "lite", "ultra", "nano", "sonnet", "opus", "haiku", "live", "embedding",
                         "fast", "instant", "large", "small", "medium", "maverick", "scout", "r1", "v3", "vision"})
VERSION = re.compile(r"^v?\d+(\.\d+)*[a-z]?$")
# token direction, from the SKU's words ("Text Input", "Output Tokens", "Cached Input")
CACHE = re.compile(r"\bcach(e|ed|ing)\b")
NOT_TOKENS = re.compile(r"\b(characters?|storage|hours?|seconds?|minutes?|images?\s+generated|pages?|requests?)\b")


def model_of(sku: str) -> tuple[str, str | None]:
    """The catalog's model id and its maker for a SKU description, or ("", None) when it names no known model:
    "Gemini 2.5 Flash GA Text Input - Predictions" -> ("gemini-2.5-flash", "google")."""
    words = sku.strip().lower().replace("-", " ").split()
    if not words or words[0] not in FAMILIES:
        return "", None
    name = [words[0]]
    for word in words[1:]:
        if VERSION.match(word) or word in MODEL_WORDS:
            name.append(word)
        else:
            break
    model = "-".join(name)
    if words[0] == "claude":  # Anthropic's ids write versions with dashes: claude-3-5-sonnet, claude-sonnet-4-5
        model = model.replace(".", "-")
    return model, FAMILIES[words[0]]


def direction(sku: str) -> str | None:
    """Which token column a SKU's quantity counts: input_tokens, output_tokens, cache_read_tokens, or None (not
    tokens: characters, storage, compute hours, or a direction it does not name)."""
    text = sku.lower()
    if NOT_TOKENS.search(text):
        return None
    if re.search(r"\binput\b", text):
        return "cache_read_tokens" if CACHE.search(text) else "input_tokens"
    if re.search(r"\boutput\b", text):
        return "output_tokens"
    return None


def _decimal(value, name: str, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):  # FLOAT64 cells: their shortest repr is what the export holds
        value = repr(value)
    try:
        out = Decimal(str(value))
    except ArithmeticError:
        raise InvalidResponse(PROVIDER, f"{where}: {name} is not a number: {value!r}") from None
    if not out.is_finite():
        raise InvalidResponse(PROVIDER, f"{where}: {name} is not a number: {value!r}")
    return out


def _day(value, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidResponse(PROVIDER, f"{where}: day is not a date: {value!r}") from None


def rows(results: Iterable[dict], origin: str) -> list[dict]:
    """Ledger rows of the query's results, one per (day, project, item): see the module's docstring."""
    out: dict[tuple, dict] = {}
    for result in results:
        _add(out, result, origin)
    return [_finish(row) for row in out.values() if row["_net"] or row["_usage"]]


def _add(out: dict, result: dict, origin: str) -> None:
    sku = (result.get("sku") or "").strip() or "(no SKU)"
    where = f"google-cloud billing export {result.get('day')} {sku!r}"
    day = _day(result.get("day"), where)
    cost_type = (result.get("cost_type") or REGULAR).strip().lower()
    item = sku if cost_type == REGULAR else f"{sku} ({cost_type})"
    project = (result.get("project_id") or "").strip()
    currency = (result.get("currency") or "").strip().upper()
    if not currency:
        raise InvalidResponse(PROVIDER, f"{where}: currency is missing")
    cost = _decimal(result.get("cost"), "cost", where) or Decimal(0)
    credits = _decimal(result.get("credits"), "credits", where) or Decimal(0)
    net = cost + credits
    rate = _decimal(result.get("rate"), "currency_conversion_rate", where)
    if currency == ledger.USD:
        usd = net
    elif rate is None or rate <= 0:
        raise InvalidResponse(PROVIDER, f"{where}: currency_conversion_rate of {currency} is not a rate: {rate}")
    else:
        usd = net / rate
    model, publisher = model_of(sku)
    row = out.setdefault((day, project, item), {
        "provider": PROVIDER, "source": "api", "kind": ledger.KIND_COST,
        "bucket_start": datetime.combine(day, datetime.min.time()), "bucket_width": WIDTH, "item": item,
        "model": model, "publisher": publisher, "project": project, "cost_status": ledger.COST_BILLED,
        "origin": origin, "_currency": currency, "_net": Decimal(0), "_usd": Decimal(0), "_usage": Decimal(0),
        "_unit": None, "_services": set(), "_direction": direction(sku) if cost_type == REGULAR else None})
    if row["_currency"] != currency:
        raise InvalidResponse(PROVIDER, f"{where}: billed in both {row['_currency']} and {currency}")
    row["_net"] += net
    row["_usd"] += usd
    row["_services"].add((result.get("service") or "").strip())
    amount = _decimal(result.get("usage_amount"), "usage.amount", where)
    if amount:
        row["_usage"] += amount
        row["_unit"] = row["_unit"] or (result.get("usage_unit") or None)


def _finish(row: dict) -> dict:
    currency, net, usd = row.pop("_currency"), row.pop("_net"), row.pop("_usd")
    usage, unit, services, way = row.pop("_usage"), row.pop("_unit"), row.pop("_services"), row.pop("_direction")
    row["cost_usd"] = ledger.money(usd)
    if currency != ledger.USD:
        # converted by the bill itself: the sync keeps this rate (currency.Converter)
        row.update(amount=ledger.money(net), currency=currency, fx_date=row["bucket_start"].date(),
                   fx_source=FX_SOURCE,
                   fx_rate=(usd / net).quantize(ledger.RATE_QUANTUM) if net else None)
        if row["fx_rate"] is None:  # nothing net billed: $0 in any currency, no rate to show
            row.update(amount=None, currency=None, fx_date=None, fx_source=None)
    if usage:
        row["quantity"], row["quantity_unit"] = float(usage), unit
        if way is not None and unit == "count" and usage == usage.to_integral_value():
            row[way] = int(usage)
            if way == "cache_read_tokens":  # input_tokens holds all input, cache reads included
                row["input_tokens"] = int(usage)
    row["note"] = ", ".join(sorted(s for s in services if s)) or None
    return row
