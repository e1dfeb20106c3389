"""Pure: OpenAI's usage and costs report JSON -> ledger rows (aicost/sources/normalize.py has the shared reading)."""

from __future__ import annotations

from aicost import ledger, pricing
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, count, field, number, results, text, unix
from aicost.sources.normalize import estimate as row_estimate


def bucket(endpoint: str, bucket: dict) -> list[dict]:
    """Rows of one OpenAI bucket from /organization/usage/{completions,embeddings} or /organization/costs.

    Args:
        endpoint: 'completions', 'embeddings' or 'costs'.
        bucket: {"start_time": int, "end_time": int, "results": [...]} as returned.
    """
    where = f"openai {endpoint} bucket"
    start = unix(field(bucket, "start_time", where, "openai"), "start_time", where, "openai")
    end = unix(field(bucket, "end_time", where, "openai"), "end_time", where, "openai")
    convert = {"completions": _openai_completion, "embeddings": _openai_embedding, "costs": _openai_cost}[endpoint]
    base = {"provider": "openai", "source": "api", "bucket_start": start, "bucket_end": end, "bucket_width": WIDTH}
    return [convert(result, f"openai {endpoint} result", base) for result in results(bucket, where, "openai")]


def service_tier(service_tier: str | None, batch: bool | None) -> str:
    """Batch folded into the tier so (tier, batch) stays one key: 'default', 'default+batch', 'batch'
    (pricing.fold; OpenAI's tiers auto, default, flex, scale, priority never contain '+')."""
    return pricing.fold(text(service_tier), batch=bool(batch))


def modalities(result: dict, where: str) -> dict:
    """The audio and image parts of an OpenAI usage result, as the ledger keeps them (all audio input, its cached
    part, ...). The spec's input_audio_tokens is the uncached part beside input_cached_audio_tokens; older
    results (no cached field) counted the cached part in; either way the total is kept."""
    out = {}
    for kind in ("audio", "image"):
        given = count(result, f"input_{kind}_tokens", where, "openai", required=False)
        cached = count(result, f"input_cached_{kind}_tokens", where, "openai", required=False)
        out[f"input_{kind}_tokens"] = None if given is None and cached is None else (given or 0) + (cached or 0)
        out[f"cache_{kind}_read_tokens"] = cached
        out[f"output_{kind}_tokens"] = count(result, f"output_{kind}_tokens", where, "openai", required=False)
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
    inp = count(result, "input_tokens", where, "openai")
    cached = count(result, "input_cached_tokens", where, "openai", required=False) or 0
    write = count(result, "input_cache_write_tokens", where, "openai", required=False)
    uncached = count(result, "input_uncached_tokens", where, "openai", required=False)
    out = count(result, "output_tokens", where, "openai", required=item == "completions") or 0
    row = {
        **base, "kind": ledger.KIND_USAGE, "item": item, "model": text(result.get("model")),
        "project": text(result.get("project_id")), "api_key": text(result.get("api_key_id")), "service_tier": tier,
        "input_tokens": inp,
        # input_tokens already includes cached and cache-write tokens (spec); the split is derived when absent
        "uncached_input_tokens": uncached if uncached is not None else max(inp - cached - (write or 0), 0),
        "cache_read_tokens": cached, "cache_write_tokens": write,
        "output_tokens": out if item == "completions" else None,
        **_within(modalities(result, where), inp, out),
        "requests": count(result, "num_model_requests", where, "openai"),
        "origin": f"/organization/usage/{item}",
    }
    estimate = row_estimate(row)
    # every OpenAI usage dollar is billed in /organization/costs
    row.update(cost_usd=None, cost_status=ledger.COST_COVERED, estimate_usd=estimate.cost_usd,
               price_source=estimate.price_source)
    return row


def _openai_completion(result: dict, where: str, base: dict) -> dict:
    tier = service_tier(result.get("service_tier"), result.get("batch") is True)
    return _openai_usage(result, where, base, "completions", tier)


def _openai_embedding(result: dict, where: str, base: dict) -> dict:
    return _openai_usage(result, where, base, "embeddings")


def _openai_cost(result: dict, where: str, base: dict) -> dict:
    amount = field(result, "amount", where, "openai")
    value = field(amount, "value", f"{where} amount", "openai")
    currency = text(amount.get("currency")).lower()
    if currency != "usd":
        raise InvalidResponse("openai", f"{where}: currency {currency!r} is not usd")
    dollars = number(value)  # a JSON number in the spec; the live API also sends a numeric string ("12.50")
    if dollars is None:
        raise InvalidResponse("openai", f"{where}: amount.value is not a number: {value!r}")
    quantity = result.get("quantity")
    if quantity is not None and number(quantity) is None:
        raise InvalidResponse("openai", f"{where}: field 'quantity' is not a number: {quantity!r}")
    return {
        **base, "kind": ledger.KIND_COST, "item": text(result.get("line_item")), "model": "",
        "project": text(result.get("project_id")), "api_key": text(result.get("api_key_id")),
        # OpenAI costs are dollars (parsed as Decimal, never float)
        "cost_usd": ledger.money(dollars), "cost_status": ledger.COST_BILLED,
        "quantity": float(number(quantity)) if quantity is not None else None,
        "quantity_unit": result.get("quantity_unit"), "origin": "/organization/costs",
    }


