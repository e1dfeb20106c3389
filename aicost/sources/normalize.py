"""Pure: raw OpenAI / Anthropic report JSON -> ledger rows keyed by the ledger's natural key.

Read as the providers really send it, not only as their specs show it: every number may come as a JSON number
or as a numeric string (the live OpenAI Costs API sends amount.value as "12.50"), and is read exactly as a
Decimal; unknown fields are ignored and unknown enum values kept as they are; an absent or null optional object
(cache_creation, server_tool_use) counts as zero. A required field that is missing or not a number fails the
provider's sync with one line naming it (tests/fixtures/providers/SOURCES.md lists the shapes seen in the wild).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aicost import ledger, pricing
from aicost.errors import InvalidInput, InvalidResponse

WIDTH = "1d"
# Anthropic bills these tiers outside cost_report, so their token estimate is the only record of the spend.
ANTHROPIC_UNBILLED_TIERS = ("priority", "priority_on_demand")


# -- field access ---------------------------------------------------------------------------------------------


def _field(obj: dict, name: str, where: str, provider: str) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise InvalidResponse(provider, f"{where}: required field '{name}' is missing")
    return obj[name]


def _number(value: Any) -> Decimal | None:
    """A JSON number (int, or Decimal as the HTTP client parses fractions) or a numeric string, exactly; None
    for anything else (booleans, NaN, infinities, text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and value.strip():
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _count(obj: dict, name: str, where: str, provider: str, *, required: bool = True) -> int | None:
    """A token or request count: a whole, non-negative number (a JSON number or a numeric string)."""
    if not isinstance(obj, dict):
        raise InvalidResponse(provider, f"{where}: is not an object")
    value = _field(obj, name, where, provider) if required else obj.get(name)
    if value is None and not required:
        return None
    number = _number(value)
    if number is None or number != number.to_integral_value() or number < 0:
        raise InvalidResponse(provider, f"{where}: field '{name}' is not a count: {value!r}")
    return int(number)


def _optional(obj: dict, name: str, where: str, provider: str) -> dict:
    """An optional nested object (cache_creation, server_tool_use): absent or null is empty, counts as zero."""
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidResponse(provider, f"{where}: field '{name}' is not an object: {value!r}")
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _unix(value: Any, name: str, where: str, provider: str) -> datetime:
    number = _number(value)
    if number is None or number != number.to_integral_value():
        raise InvalidResponse(provider, f"{where}: field '{name}' is not unix seconds: {value!r}")
    try:
        return datetime.fromtimestamp(int(number), UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise InvalidResponse(provider, f"{where}: field '{name}' is not unix seconds: {value!r}") from None


def _rfc3339(value: Any, name: str, where: str, provider: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidResponse(provider, f"{where}: field '{name}' is not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidResponse(provider, f"{where}: field '{name}' has no time zone: {value!r}")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _results(bucket: dict, where: str, provider: str) -> list:
    results = _field(bucket, "results", where, provider)
    if not isinstance(results, list):
        raise InvalidResponse(provider, f"{where}: field 'results' is not a list")
    return results


def _estimate(row: dict) -> pricing.Estimate:
    """The row's usage priced at the tier it was billed at (aicost.pricing)."""
    try:
        return pricing.estimate_row(row)
    except InvalidInput as exc:  # e.g. cache reads larger than the input they are part of
        raise InvalidResponse(row["provider"], f"inconsistent token counts for {row['model'] or 'a model'}: "
                                               f"{exc}") from None


# -- OpenAI ---------------------------------------------------------------------------------------------------


def openai_bucket(endpoint: str, bucket: dict) -> list[dict]:
    """Rows of one OpenAI bucket from /organization/usage/{completions,embeddings} or /organization/costs.

    Args:
        endpoint: 'completions', 'embeddings' or 'costs'.
        bucket: {"start_time": int, "end_time": int, "results": [...]} as returned.
    """
    where = f"openai {endpoint} bucket"
    start = _unix(_field(bucket, "start_time", where, "openai"), "start_time", where, "openai")
    end = _unix(_field(bucket, "end_time", where, "openai"), "end_time", where, "openai")
    convert = {"completions": _openai_completion, "embeddings": _openai_embedding, "costs": _openai_cost}[endpoint]
    base = {"provider": "openai", "source": "api", "bucket_start": start, "bucket_end": end, "bucket_width": WIDTH}
    return [convert(result, f"openai {endpoint} result", base) for result in _results(bucket, where, "openai")]


def openai_service_tier(service_tier: str | None, batch: bool | None) -> str:
    """Batch folded into the tier so (tier, batch) stays one key: 'default', 'default+batch', 'batch'
    (pricing.fold; OpenAI's tiers auto, default, flex, scale, priority never contain '+')."""
    return pricing.fold(_text(service_tier), batch=bool(batch))


def openai_modalities(result: dict, where: str) -> dict:
    """The audio and image parts of an OpenAI usage result, as the ledger keeps them (all audio input, its cached
    part, ...). The spec's input_audio_tokens is the uncached part beside input_cached_audio_tokens; older
    results (no cached field) counted the cached part in; either way the total is kept."""
    out = {}
    for kind in ("audio", "image"):
        given = _count(result, f"input_{kind}_tokens", where, "openai", required=False)
        cached = _count(result, f"input_cached_{kind}_tokens", where, "openai", required=False)
        out[f"input_{kind}_tokens"] = None if given is None and cached is None else (given or 0) + (cached or 0)
        out[f"cache_{kind}_read_tokens"] = cached
        out[f"output_{kind}_tokens"] = _count(result, f"output_{kind}_tokens", where, "openai", required=False)
    return out


def _within(parts: dict, inp: int, out: int) -> dict:
    """The audio and image parts, less any larger than its total: older results counted text alone in the totals
    (the field's meaning changed), and a part that is not a part cannot be priced as one (kept as text)."""
    for kind in ("audio", "image"):
        if (parts[f"input_{kind}_tokens"] or 0) > inp:
            parts[f"input_{kind}_tokens"] = parts[f"cache_{kind}_read_tokens"] = None
        if (parts[f"output_{kind}_tokens"] or 0) > out:
            parts[f"output_{kind}_tokens"] = None
    return parts


def _openai_usage(result: dict, where: str, base: dict, item: str, tier: str = "") -> dict:
    inp = _count(result, "input_tokens", where, "openai")
    cached = _count(result, "input_cached_tokens", where, "openai", required=False) or 0
    write = _count(result, "input_cache_write_tokens", where, "openai", required=False)
    uncached = _count(result, "input_uncached_tokens", where, "openai", required=False)
    out = _count(result, "output_tokens", where, "openai", required=item == "completions") or 0
    row = {
        **base, "kind": ledger.KIND_USAGE, "item": item, "model": _text(result.get("model")),
        "project": _text(result.get("project_id")), "api_key": _text(result.get("api_key_id")), "service_tier": tier,
        "input_tokens": inp,
        # input_tokens already includes cached and cache-write tokens (spec); the split is derived when absent
        "uncached_input_tokens": uncached if uncached is not None else max(inp - cached - (write or 0), 0),
        "cache_read_tokens": cached, "cache_write_tokens": write,
        "output_tokens": out if item == "completions" else None,
        **_within(openai_modalities(result, where), inp, out),
        "requests": _count(result, "num_model_requests", where, "openai"),
        "origin": f"/organization/usage/{item}",
    }
    estimate = _estimate(row)
    # every OpenAI usage dollar is billed in /organization/costs
    row.update(cost_usd=None, cost_status=ledger.COST_COVERED, estimate_usd=estimate.cost_usd,
               price_source=estimate.price_source)
    return row


def _openai_completion(result: dict, where: str, base: dict) -> dict:
    tier = openai_service_tier(result.get("service_tier"), result.get("batch") is True)
    return _openai_usage(result, where, base, "completions", tier)


def _openai_embedding(result: dict, where: str, base: dict) -> dict:
    return _openai_usage(result, where, base, "embeddings")


def _openai_cost(result: dict, where: str, base: dict) -> dict:
    amount = _field(result, "amount", where, "openai")
    value = _field(amount, "value", f"{where} amount", "openai")
    currency = _text(amount.get("currency")).lower()
    if currency != "usd":
        raise InvalidResponse("openai", f"{where}: currency {currency!r} is not usd")
    dollars = _number(value)  # a JSON number in the spec; the live API also sends a numeric string ("12.50")
    if dollars is None:
        raise InvalidResponse("openai", f"{where}: amount.value is not a number: {value!r}")
    quantity = result.get("quantity")
    if quantity is not None and _number(quantity) is None:
        raise InvalidResponse("openai", f"{where}: field 'quantity' is not a number: {quantity!r}")
    return {
        **base, "kind": ledger.KIND_COST, "item": _text(result.get("line_item")), "model": "",
        "project": _text(result.get("project_id")), "api_key": _text(result.get("api_key_id")),
        # OpenAI costs are dollars (parsed as Decimal, never float)
        "cost_usd": ledger.money(dollars), "cost_status": ledger.COST_BILLED,
        "quantity": float(_number(quantity)) if quantity is not None else None,
        "quantity_unit": result.get("quantity_unit"), "origin": "/organization/costs",
    }


# -- Anthropic ------------------------------------------------------------------------------------------------


def anthropic_bucket(report: str, bucket: dict) -> list[dict]:
    """Rows of one Anthropic bucket from usage_report/messages ('messages') or cost_report ('cost')."""
    where = f"anthropic {report} bucket"
    start = _rfc3339(_field(bucket, "starting_at", where, "anthropic"), "starting_at", where, "anthropic")
    end = _rfc3339(_field(bucket, "ending_at", where, "anthropic"), "ending_at", where, "anthropic")
    convert = {"messages": _anthropic_usage, "cost": _anthropic_cost}[report]
    base = {"provider": "anthropic", "source": "api", "bucket_start": start, "bucket_end": end, "bucket_width": WIDTH}
    return [convert(result, f"anthropic {report} result", base) for result in _results(bucket, where, "anthropic")]


def _anthropic_usage(result: dict, where: str, base: dict) -> dict:
    uncached = _count(result, "uncached_input_tokens", where, "anthropic")
    read = _count(result, "cache_read_input_tokens", where, "anthropic")
    creation = _optional(result, "cache_creation", where, "anthropic")
    w5m = _count(creation, "ephemeral_5m_input_tokens", f"{where} cache_creation", "anthropic", required=False) or 0
    w1h = _count(creation, "ephemeral_1h_input_tokens", f"{where} cache_creation", "anthropic", required=False) or 0
    out = _count(result, "output_tokens", where, "anthropic")
    tool_use = _optional(result, "server_tool_use", where, "anthropic")
    searches = _count(tool_use, "web_search_requests", f"{where} server_tool_use", "anthropic", required=False)
    tier = _text(result.get("service_tier"))
    row = {
        **base, "kind": ledger.KIND_USAGE, "item": "messages", "model": _text(result.get("model")),
        "project": result.get("workspace_id") or ledger.DEFAULT_WORKSPACE,
        "api_key": result.get("api_key_id") or ledger.CONSOLE_KEY,
        # the region (US-only inference is priced higher) and speed are folded into the tier: 'standard+us'
        "service_tier": pricing.fold(tier, inference_geo=_text(result.get("inference_geo")),
                                     speed=_text(result.get("speed"))),
        "context_window": _text(result.get("context_window")),
        "input_tokens": uncached + read + w5m + w1h, "uncached_input_tokens": uncached,
        "cache_read_tokens": read, "cache_write_tokens": w5m + w1h,
        "cache_write_5m_tokens": w5m, "cache_write_1h_tokens": w1h, "output_tokens": out,
        "requests": None,  # the usage report has no request count
        "web_search_requests": searches, "origin": "/v1/organizations/usage_report/messages",
    }
    estimate = _estimate(row)
    if tier in ANTHROPIC_UNBILLED_TIERS:
        # no cost_report line exists for priority tier: the estimate (tokens and searches) is the spend, or it
        # stays visibly unpriced
        cost_usd, cost_status = (estimate.spend, ledger.COST_ESTIMATED) if estimate.priced else (None, ledger.COST_UNPRICED)
    else:
        cost_usd, cost_status = None, ledger.COST_COVERED
    row.update(cost_usd=cost_usd, cost_status=cost_status, estimate_usd=estimate.cost_usd,
               price_source=estimate.price_source)
    return row


def _anthropic_cost(result: dict, where: str, base: dict) -> dict:
    amount = _field(result, "amount", where, "anthropic")
    currency = _text(result.get("currency")).upper()
    if currency != "USD":
        raise InvalidResponse("anthropic", f"{where}: currency {currency!r} is not USD")
    cents = _number(amount)  # a decimal string in the spec ("123.78912"); a JSON number is read the same way
    if cents is None:
        raise InvalidResponse("anthropic", f"{where}: amount is not a decimal: {amount!r}")
    return {
        **base, "kind": ledger.KIND_COST, "item": _text(result.get("description")),
        # model, tier and context window are functions of the description, so the key stays injective
        "model": _text(result.get("model")), "service_tier": _text(result.get("service_tier")),
        "context_window": _text(result.get("context_window")),
        "project": result.get("workspace_id") or ledger.DEFAULT_WORKSPACE,
        # Anthropic bills in cents: "123.45" is $1.2345
        "cost_usd": ledger.money(cents / 100), "cost_status": ledger.COST_BILLED,
        "note": result.get("cost_type"), "origin": "/v1/organizations/cost_report",
    }
