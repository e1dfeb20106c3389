"""Pure: Anthropic's usage and cost report JSON -> ledger rows (aicost/sources/normalize.py has the shared reading)."""

from __future__ import annotations

from aicost import ledger, pricing
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, count, field, number, optional, results, rfc3339, text
from aicost.sources.normalize import estimate as row_estimate

# Anthropic bills these tiers outside cost_report, so their token estimate is the only record of the spend.
UNBILLED_TIERS = ("priority", "priority_on_demand")


def bucket(report: str, bucket: dict) -> list[dict]:
    """Rows of one Anthropic bucket from usage_report/messages ('messages') or cost_report ('cost')."""
    where = f"anthropic {report} bucket"
    start = rfc3339(field(bucket, "starting_at", where, "anthropic"), "starting_at", where, "anthropic")
    end = rfc3339(field(bucket, "ending_at", where, "anthropic"), "ending_at", where, "anthropic")
    convert = {"messages": _anthropic_usage, "cost": _anthropic_cost}[report]
    base = {"provider": "anthropic", "source": "api", "bucket_start": start, "bucket_end": end, "bucket_width": WIDTH}
    return [convert(result, f"anthropic {report} result", base) for result in results(bucket, where, "anthropic")]


def _anthropic_usage(result: dict, where: str, base: dict) -> dict:
    uncached = count(result, "uncached_input_tokens", where, "anthropic")
    read = count(result, "cache_read_input_tokens", where, "anthropic")
    creation = optional(result, "cache_creation", where, "anthropic")
    w5m = count(creation, "ephemeral_5m_input_tokens", f"{where} cache_creation", "anthropic", required=False) or 0
    w1h = count(creation, "ephemeral_1h_input_tokens", f"{where} cache_creation", "anthropic", required=False) or 0
    out = count(result, "output_tokens", where, "anthropic")
    tool_use = optional(result, "server_tool_use", where, "anthropic")
    searches = count(tool_use, "web_search_requests", f"{where} server_tool_use", "anthropic", required=False)
    tier = text(result.get("service_tier"))
    row = {
        **base, "kind": ledger.KIND_USAGE, "item": "messages", "model": text(result.get("model")),
        "project": result.get("workspace_id") or ledger.DEFAULT_WORKSPACE,
        "api_key": result.get("api_key_id") or ledger.CONSOLE_KEY,
        # the region (US-only inference is priced higher) and speed are folded into the tier: 'standard+us'
        "service_tier": pricing.fold(tier, inference_geo=text(result.get("inference_geo")),
                                     speed=text(result.get("speed"))),
        "context_window": text(result.get("context_window")),
        "input_tokens": uncached + read + w5m + w1h, "uncached_input_tokens": uncached,
        "cache_read_tokens": read, "cache_write_tokens": w5m + w1h,
        "cache_write_5m_tokens": w5m, "cache_write_1h_tokens": w1h, "output_tokens": out,
        "requests": None,  # the usage report has no request count
        "web_search_requests": searches, "origin": "/v1/organizations/usage_report/messages",
    }
    estimate = row_estimate(row)
    if tier in UNBILLED_TIERS:
        # no cost_report line exists for priority tier: the estimate (tokens and searches) is the spend, or it
        # stays visibly unpriced
        cost_usd, cost_status = (estimate.spend, ledger.COST_ESTIMATED) if estimate.priced else (None, ledger.COST_UNPRICED)
    else:
        cost_usd, cost_status = None, ledger.COST_COVERED
    row.update(cost_usd=cost_usd, cost_status=cost_status, estimate_usd=estimate.cost_usd,
               price_source=estimate.price_source)
    return row


def _anthropic_cost(result: dict, where: str, base: dict) -> dict:
    amount = field(result, "amount", where, "anthropic")
    currency = text(result.get("currency")).upper()
    if currency != "USD":
        raise InvalidResponse("anthropic", f"{where}: currency {currency!r} is not USD")
    cents = number(amount)  # a decimal string in the spec ("123.78912"); a JSON number is read the same way
    if cents is None:
        raise InvalidResponse("anthropic", f"{where}: amount is not a decimal: {amount!r}")
    return {
        **base, "kind": ledger.KIND_COST, "item": text(result.get("description")),
        # model, tier and context window are functions of the description, so the key stays injective
        "model": text(result.get("model")), "service_tier": text(result.get("service_tier")),
        "context_window": text(result.get("context_window")),
        "project": result.get("workspace_id") or ledger.DEFAULT_WORKSPACE,
        # Anthropic bills in cents: "123.45" is $1.2345
        "cost_usd": ledger.money(cents / 100), "cost_status": ledger.COST_BILLED,
        "note": result.get("cost_type"), "origin": "/v1/organizations/cost_report",
    }
