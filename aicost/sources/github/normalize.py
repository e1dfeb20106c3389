"""Pure: GitHub's premium-request and AI-credit usage JSON -> ledger rows (aicost/sources/normalize.py has the
shared reading).

One cost row per usage item of a day: `netAmount` is what GitHub bills (billed); `grossAmount` and `discountAmount`
(the use inside the plan's allowance) are kept beside it, as the CSV reports' are, and the net quantity with its
unit. Amounts are JSON numbers, read exactly as written.
"""

from __future__ import annotations

from datetime import date, datetime

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, field, number, text

PROVIDER = "github-copilot"


def usage(report: str, day: date, body: dict) -> list[dict]:
    """Rows of one day's report ({"timePeriod": ..., "usageItems": [...]})."""
    where = f"github {report} usage"
    items = field(body, "usageItems", where, PROVIDER)
    if not isinstance(items, list):
        raise InvalidResponse(PROVIDER, f"{where}: field 'usageItems' is not a list")
    start = datetime.combine(day, datetime.min.time())
    return [_row(item, f"{where} item", start, report) for item in items]


def _amount(item: dict, name: str, where: str):
    value = field(item, name, where, PROVIDER)
    dollars = number(value)
    if dollars is None:
        raise InvalidResponse(PROVIDER, f"{where}: field '{name}' is not an amount in USD: {value!r}")
    return ledger.money(dollars)


def _row(item: dict, where: str, start: datetime, report: str) -> dict:
    if not isinstance(item, dict):
        raise InvalidResponse(PROVIDER, f"{where}: not an object: {item!r}")
    quantity = number(item.get("netQuantity"))
    return {
        "provider": PROVIDER, "source": "api", "kind": ledger.KIND_COST, "bucket_start": start, "bucket_width": WIDTH,
        "item": text(item.get("sku")) or text(item.get("product")) or report, "model": text(item.get("model")),
        "project": "", "api_key": "", "cost_usd": _amount(item, "netAmount", where),
        "cost_status": ledger.COST_BILLED, "gross_usd": _amount(item, "grossAmount", where),
        "discount_usd": _amount(item, "discountAmount", where),
        "quantity": float(quantity) if quantity is not None else None,
        "quantity_unit": text(item.get("unitType")) or None, "origin": f"/settings/billing/{report}/usage",
    }
