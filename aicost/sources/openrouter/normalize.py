"""Pure: OpenRouter's /activity JSON -> ledger rows (aicost/sources/normalize.py has the shared reading).

Each activity row (a UTC day, a model, a provider endpoint) becomes:
- a cost row: `usage`, the USD of OpenRouter credits spent, billed;
- a usage row: tokens and requests, with their list-price estimate kept beside the bill (covered);
- for bring-your-own-key use, a usage row (item "byok") holding `byok_usage_inference` as an estimate, covered:
  that money was billed by the provider whose key it was, and is counted from that provider's own bill, never
  twice. The live API writes `date` as "YYYY-MM-DD 00:00:00", the spec as "YYYY-MM-DD": both are read.
"""

from __future__ import annotations

import re
from datetime import datetime

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, count, field, number, results, text
from aicost.sources.normalize import estimate as row_estimate

PROVIDER = "openrouter"
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]00:00:00(?:\.0+)?Z?)?")


def activity(body: dict) -> list[dict]:
    """Rows of one /activity response ({"data": [...]})."""
    where = "openrouter activity"
    rows = []
    for item in results({"results": field(body, "data", where, PROVIDER)}, where, PROVIDER):
        rows.extend(_rows(item, f"{where} row"))
    return rows


def _day(value, where: str) -> datetime:
    match = _DAY.fullmatch(text(value).strip())
    if not match:
        raise InvalidResponse(PROVIDER, f"{where}: field 'date' is not a UTC day: {value!r}")
    try:
        return datetime.fromisoformat(match.group(1))
    except ValueError:
        raise InvalidResponse(PROVIDER, f"{where}: field 'date' is not a UTC day: {value!r}") from None


def _dollars(item: dict, name: str, where: str, *, required: bool = True):
    value = field(item, name, where, PROVIDER) if required else item.get(name)
    if value is None and not required:
        return None
    dollars = number(value)
    if dollars is None or dollars < 0:
        raise InvalidResponse(PROVIDER, f"{where}: field '{name}' is not an amount in USD: {value!r}")
    return ledger.money(dollars)


def _rows(item: dict, where: str) -> list[dict]:
    day = _day(field(item, "date", where, PROVIDER), where)
    model = text(item.get("model")) or text(item.get("model_permaslug"))
    endpoint = text(item.get("provider_name")) or "OpenRouter"
    if item.get("endpoint_id"):
        endpoint = f"{endpoint} ({text(item.get('endpoint_id'))})"
    base = {"provider": PROVIDER, "source": "api", "bucket_start": day, "bucket_width": WIDTH, "model": model,
            "project": "", "api_key": "", "origin": "/api/v1/activity"}
    billed = _dollars(item, "usage", where)
    prompt = count(item, "prompt_tokens", where, PROVIDER, required=False) or 0
    completion = count(item, "completion_tokens", where, PROVIDER, required=False) or 0
    usage = {**base, "kind": ledger.KIND_USAGE, "item": endpoint, "input_tokens": prompt,
             "uncached_input_tokens": prompt, "output_tokens": completion,
             "requests": count(item, "requests", where, PROVIDER, required=False)}
    estimate = row_estimate(usage)
    # every dollar of this usage is in the cost row below (OpenRouter's own bill)
    usage.update(cost_usd=None, cost_status=ledger.COST_COVERED, estimate_usd=estimate.cost_usd,
                 price_source=estimate.price_source)
    rows = [usage, {**base, "kind": ledger.KIND_COST, "item": endpoint, "cost_usd": billed,
                    "cost_status": ledger.COST_BILLED}]
    byok = _dollars(item, "byok_usage_inference", where, required=False)
    if byok:
        rows.append({**base, "kind": ledger.KIND_USAGE, "item": f"{endpoint}, byok", "cost_usd": None,
                     "cost_status": ledger.COST_COVERED, "estimate_usd": byok,
                     "price_source": "OpenRouter byok_usage_inference: billed by the key's own provider",
                     "requests": count(item, "byok_requests", where, PROVIDER, required=False)})
    return rows
