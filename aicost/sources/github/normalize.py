"""Pure: GitHub's premium-request and AI-credit usage JSON, and the Copilot seats of the billing usage report ->
ledger rows (aicost/sources/normalize.py has the shared reading).

One cost row per usage item of a day: `netAmount` is what GitHub bills (billed); `grossAmount` and `discountAmount`
(the use inside the plan's allowance) are kept beside it, as the CSV reports' are, and the net quantity with its
unit. Amounts are JSON numbers, read exactly as written. Seats are one subscription row per UTC day and SKU.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, field, number, text

PROVIDER = "github-copilot"
# Copilot's seat (plan) SKUs: the CSV reports write copilot_for_business and copilot_enterprise (user-months); the
# REST API writes display names ("Actions Linux", "Copilot Premium Request"), so both are compared in one spelling
SEAT_SKUS = ("copilot_for_business", "copilot_business", "copilot_enterprise", "copilot_for_enterprise")
SEAT_UNITS = ("user_months", "usermonths", "seats")
SEATS_ORIGIN = "/settings/billing/usage"


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


def _spelling(value) -> str:
    """One spelling for GitHub's SKUs and units: "Copilot Business", "copilot_business" → copilot_business."""
    return re.sub(r"[^a-z0-9]+", "_", text(value).lower()).strip("_")


def is_seat(item: dict) -> bool:
    """A Copilot seat or plan line of the billing usage report (not premium requests, AI credits or Actions)."""
    return (_spelling(item.get("product")) == "copilot"
            and (_spelling(item.get("sku")) in SEAT_SKUS or _spelling(item.get("unitType")) in SEAT_UNITS))


def _day(item: dict, where: str) -> date:
    value = field(item, "date", where, PROVIDER)
    try:  # "2023-08-01" (the spec) or "2026-07-14T00:00:00Z" (live)
        parsed = datetime.fromisoformat(text(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidResponse(PROVIDER, f"{where}: field 'date' is not a date: {value!r}") from None
    return (parsed.astimezone(UTC) if parsed.tzinfo else parsed).date()


def seats(body: dict, since: date, until: date) -> list[dict]:
    """Subscription rows of the Copilot seats in a billing usage report ({"usageItems": [{"date", "product",
    "sku", "quantity", "unitType", "grossAmount", "discountAmount", "netAmount", ...}]}), one per UTC day since..until
    and SKU; every other item (premium requests, AI credits, Actions, Packages ...) is left out."""
    where = "github billing usage"
    items = field(body, "usageItems", where, PROVIDER)
    if not isinstance(items, list):
        raise InvalidResponse(PROVIDER, f"{where}: field 'usageItems' is not a list")
    rows: dict[tuple, dict] = {}
    for item in items:
        if not isinstance(item, dict):
            raise InvalidResponse(PROVIDER, f"{where} item: not an object: {item!r}")
        if not is_seat(item):
            continue
        day = _day(item, f"{where} item")
        if not since <= day <= until:
            continue
        sku = text(item.get("sku")) or "Copilot seats"
        quantity = number(item.get("quantity", item.get("netQuantity")))
        row = rows.setdefault((day, sku), {
            "provider": PROVIDER, "source": "api", "kind": ledger.KIND_SUBSCRIPTION,
            "bucket_start": datetime.combine(day, datetime.min.time()), "bucket_width": WIDTH, "item": sku,
            "model": "", "project": "", "api_key": "", "cost_usd": ledger.money(0), "cost_status": ledger.COST_BILLED,
            "gross_usd": ledger.money(0), "discount_usd": ledger.money(0), "quantity": 0.0,
            "quantity_unit": text(item.get("unitType")) or None, "origin": SEATS_ORIGIN})
        # the same SKU on one day more than once (e.g. per cost center) is one line of the day's bill
        row["cost_usd"] += _amount(item, "netAmount", f"{where} item")
        row["gross_usd"] += _amount(item, "grossAmount", f"{where} item")
        row["discount_usd"] += _amount(item, "discountAmount", f"{where} item")
        if quantity is None or row["quantity"] is None:
            row["quantity"] = None  # a line without its quantity: the day's total is unknown
        else:
            row["quantity"] += float(quantity)
    return list(rows.values())
