"""Pure: xAI's usage analytics JSON -> ledger rows (aicost/sources/normalize.py has the shared reading).

One billed cost row per UTC day and description with a non-zero amount: `values[0]` is US dollars (a JSON number,
read exactly; a numeric string is read too). The description names the model ("Chat grok-4-0709" → grok-4-0709).
The prepaid balance is a ledger in cents with the sign inverted: a purchase is negative, so `total.val` "-1000" is
$10.00 left.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, field, number, text

PROVIDER = "xai"


def request(since: date, until: date) -> dict:
    """The usage question for the UTC days since..until: dollars per day and description."""
    return {"analyticsRequest": {
        "timeRange": {"startTime": f"{since} 00:00:00", "endTime": f"{until} 23:59:59", "timezone": "Etc/GMT"},
        "timeUnit": "TIME_UNIT_DAY", "values": [{"name": "usd", "aggregation": "AGGREGATION_SUM"}],
        "groupBy": ["description"], "filters": []}}


def _label(series: dict) -> str:
    labels = series.get("groupLabels") or series.get("group") or []
    return " ".join(text(label) for label in labels) if isinstance(labels, list) else text(labels)


def _model(label: str) -> str:
    words = label.split()
    return next((w for w in reversed(words) if w.lower().startswith("grok")), "")


def usage(body: dict, since: date, until: date) -> list[dict]:
    """Rows of one usage answer, for the days since..until it was asked for."""
    where = "xai usage"
    if body.get("limitReached") is True:
        raise InvalidResponse(PROVIDER, f"{where}: xAI answered with only part of the usage (limitReached): nothing "
                                        "of this window was written")
    series_list = field(body, "timeSeries", where, PROVIDER)
    if not isinstance(series_list, list):
        raise InvalidResponse(PROVIDER, f"{where}: field 'timeSeries' is not a list")
    rows: dict[tuple, dict] = {}
    for series in series_list:
        label = _label(series) or "usage"
        for point in field(series, "dataPoints", f"{where} series", PROVIDER) or []:
            stamp = text(field(point, "timestamp", f"{where} point", PROVIDER))
            try:
                day = datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
            except ValueError:
                raise InvalidResponse(PROVIDER, f"{where} point: field 'timestamp' is not a time: {stamp!r}") from None
            values = field(point, "values", f"{where} point", PROVIDER)
            dollars = number(values[0]) if isinstance(values, list) and values else None
            if dollars is None or dollars < 0:
                raise InvalidResponse(PROVIDER, f"{where} point: values[0] is not an amount in USD: {values!r}")
            if not dollars or not since <= day <= until:
                continue  # dense series: a zero adds nothing
            key = (day, label)
            row = rows.setdefault(key, {
                "provider": PROVIDER, "source": "api", "kind": ledger.KIND_COST,
                "bucket_start": datetime.combine(day, datetime.min.time()), "bucket_width": WIDTH, "item": label,
                "model": _model(label), "project": "", "api_key": "", "cost_usd": ledger.money(0),
                "cost_status": ledger.COST_BILLED, "origin": "/v1/billing/teams/{team}/usage"})
            row["cost_usd"] = ledger.money(row["cost_usd"] + dollars)
    return list(rows.values())


def prepaid(body: dict) -> Decimal | None:
    """The credits left in USD from a prepaid balance answer ({"total": {"val": "-1000"}, "changes": [...]}), or
    None when it has no total."""
    where = "xai prepaid balance"
    total = body.get("total") if isinstance(body, dict) else None
    if total is None:
        return None
    if not isinstance(total, dict):
        raise InvalidResponse(PROVIDER, f"{where}: total is not an object with val in cents: {total!r}")
    # proto3 JSON leaves out a zero: a total without val is a balance of 0 cents
    value = total.get("val", "0")
    cents = number(value)
    if cents is None:
        raise InvalidResponse(PROVIDER, f"{where}: total.val is not an amount in cents: {value!r}")
    # cents, sign inverted: purchases are negative ("-1000" is $10.00 left), spend positive
    return ledger.money(-cents / 100)
