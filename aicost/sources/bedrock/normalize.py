"""Pure: Cost Explorer `GetCostAndUsage` answers (DAILY, grouped by SERVICE and USAGE_TYPE, or by SERVICE and
RECORD_TYPE) -> ledger rows, one per UTC day, item (the usage type, or the record type of a credit, refund or tax
line) and model (models.py), summed when several groups meet on one key.

- `UnblendedCost` is the bill (`cost_usd`, `cost_status` billed); its `Amount` is a string, read exactly. A unit
  other than USD is kept as `amount` + `currency` for the sync to convert (aicost/sources/currency.py).
- `AmortizedCost` differs only where an upfront commitment is spread over its term: it is named in the note then.
- A day's result marked `Estimated` (the month is not closed) says so in the note: AWS may still revise it, and the
  lookback of the next syncs fetches it again.
- `UsageQuantity` is kept as `quantity`/`quantity_unit`; it fills the token columns only where the usage type counts
  tokens and the unit says how many (see tokens()).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.bedrock import SOURCE, models
from aicost.sources.normalize import WIDTH, number

PROVIDER = "aws-bedrock"
ORIGIN = "ce:GetCostAndUsage"
UNBLENDED, AMORTIZED, QUANTITY = "UnblendedCost", "AmortizedCost", "UsageQuantity"
ESTIMATED = SOURCE.provisional  # a sync reaches back to the oldest day still so noted

_TOKEN_UNIT = re.compile(r"(?:(\d*)([km]))?tokens?")  # "tokens", "1K tokens", "1M Tokens" (spaces removed)
_COUNT_UNITS = frozenset({"units", "unit", "count"})


def rows(answers: Iterable[dict], since: date, until: date) -> list[dict]:
    """Ledger rows of every page of one or more answers, for the days since..until (both inclusive)."""
    merged: dict[tuple, dict] = {}
    for answer in answers:
        for row in _rows(answer, since, until):
            _merge(merged, row)
    return [_finish(row) for row in merged.values() if _kept(row)]


def _rows(answer: dict, since: date, until: date):
    if not isinstance(answer, dict):
        raise InvalidResponse(PROVIDER, "GetCostAndUsage: the answer is not an object")
    second = [g.get("Key") for g in answer.get("GroupDefinitions") or [] if isinstance(g, dict)][1:2]
    by_record = second == ["RECORD_TYPE"]
    for result in answer.get("ResultsByTime") or []:
        where = f"GetCostAndUsage {(result.get('TimePeriod') or {}).get('Start')}"
        day = _day(result, where)
        if not since <= day <= until:
            continue
        for group in result.get("Groups") or []:
            yield _row(group, day, bool(result.get("Estimated")), by_record, where)


def _day(result: dict, where: str) -> date:
    start = (result.get("TimePeriod") or {}).get("Start") if isinstance(result, dict) else None
    try:
        return date.fromisoformat(str(start))
    except ValueError:
        raise InvalidResponse(PROVIDER, f"{where}: TimePeriod.Start is not a day: {start!r}") from None


def _row(group: dict, day: date, estimated: bool, by_record: bool, where: str) -> dict:
    keys = group.get("Keys") if isinstance(group, dict) else None
    if not isinstance(keys, list) or len(keys) != 2 or not all(isinstance(k, str) for k in keys):
        raise InvalidResponse(PROVIDER, f"{where}: a group's Keys are not [service, usage or record type]: {keys!r}")
    service, item = keys
    metrics = group.get("Metrics") or {}
    cost, unit = _metric(metrics, UNBLENDED, where, required=True)
    amortized, _ = _metric(metrics, AMORTIZED, where)
    quantity, quantity_unit = _metric(metrics, QUANTITY, where)
    model, publisher = models.of_line(service, "" if by_record else item)
    usd = unit.upper() in ("", ledger.USD)
    row = {
        "provider": PROVIDER, "source": "api", "kind": ledger.KIND_COST,
        "bucket_start": datetime.combine(day, datetime.min.time()), "bucket_width": WIDTH, "item": item,
        "model": model, "publisher": publisher, "cost_usd": cost if usd else None,
        "amount": None if usd else cost, "currency": None if usd else unit.upper(),
        "cost_status": ledger.COST_BILLED, "origin": ORIGIN,
        "_amortized": amortized, "_estimated": estimated, "_quantity": None, "_tokens": {},
    }
    if quantity is not None and not by_record:
        row["_quantity"] = (quantity, quantity_unit or None)
        direction = models.direction(item)
        count = tokens(item, quantity, quantity_unit)
        if direction is not None and count is not None:
            row["_tokens"] = {direction: count}
    return row


def _metric(metrics: dict, name: str, where: str, *, required: bool = False) -> tuple[Decimal | None, str]:
    value = metrics.get(name) if isinstance(metrics, dict) else None
    if value is None:
        if required:
            raise InvalidResponse(PROVIDER, f"{where}: metric {name} is missing")
        return None, ""
    amount = number(value.get("Amount")) if isinstance(value, dict) else None
    if amount is None:
        raise InvalidResponse(PROVIDER, f"{where}: {name} Amount is not a number: {value!r}")
    return amount, str(value.get("Unit") or "")


def tokens(usage_type: str, quantity: Decimal, unit: str) -> int | None:
    """The tokens a usage quantity stands for: scaled by its unit ("1K tokens" x 1000, "tokens" x 1), or counted one
    a unit where the usage type itself is a token count (`...TokenCount-Units`); None when the unit does not say
    (an assumption: Cost Explorer's unit for Bedrock's own `-input-tokens` lines is not documented)."""
    flat = unit.casefold().replace(" ", "")
    match = _TOKEN_UNIT.fullmatch(flat)
    if match:
        scale = Decimal(int(match.group(1) or 1)) * {"k": 1000, "m": 1_000_000, None: 1}[match.group(2)]
    elif flat in _COUNT_UNITS and models.counts_tokens(usage_type):
        scale = Decimal(1)
    else:
        return None
    return int((quantity * scale).to_integral_value(ROUND_HALF_EVEN))



def _key(row: dict) -> tuple:
    return row["bucket_start"], row["item"], row["model"]


def _merge(merged: dict, row: dict) -> None:
    have = merged.get(_key(row))
    if have is None:
        merged[_key(row)] = row
        return
    for name in ("cost_usd", "amount", "_amortized"):
        have[name] = None if have[name] is None or row[name] is None else have[name] + row[name]
    if have["currency"] != row["currency"]:
        raise InvalidResponse(PROVIDER, f"{row['item']} on {row['bucket_start']:%Y-%m-%d} is billed in two units")
    have["_estimated"] = have["_estimated"] or row["_estimated"]
    if have["_quantity"] and row["_quantity"] and have["_quantity"][1] == row["_quantity"][1]:
        have["_quantity"] = (have["_quantity"][0] + row["_quantity"][0], have["_quantity"][1])
    else:
        have["_quantity"] = have["_quantity"] or row["_quantity"]
    for direction, count in row["_tokens"].items():
        have["_tokens"][direction] = have["_tokens"].get(direction, 0) + count
    if have["publisher"] is None:
        have["publisher"] = row["publisher"]


def _kept(row: dict) -> bool:
    """A line that cost nothing and used nothing is noise (Cost Explorer lists zero groups too)."""
    money = row["cost_usd"] if row["currency"] is None else row["amount"]
    return bool(money or (row["_quantity"] and row["_quantity"][0]) or row["_tokens"])


def _finish(row: dict) -> dict:
    amortized, estimated = row.pop("_amortized"), row.pop("_estimated")
    quantity, counts = row.pop("_quantity"), row.pop("_tokens")
    cost = row["cost_usd"] if row["currency"] is None else row["amount"]
    notes = [ESTIMATED] if estimated else []
    if amortized is not None and cost is not None and amortized != cost:
        notes.append(f"amortized {amortized} {row['currency'] or ledger.USD} (AWS AmortizedCost)")
    row["note"] = "; ".join(notes) or None
    for name in ("cost_usd", "amount"):
        if row[name] is not None:
            row[name] = ledger.money(row[name])
    if quantity is not None:
        row["quantity"], row["quantity_unit"] = float(quantity[0]), quantity[1]
    read, write = counts.get(models.CACHE_READ), counts.get(models.CACHE_WRITE)
    plain = counts.get(models.INPUT)
    if plain is not None or read is not None or write is not None:  # input_tokens holds cache reads and writes too
        row["input_tokens"] = (plain or 0) + (read or 0) + (write or 0)
        row["uncached_input_tokens"] = plain or 0
        row["cache_read_tokens"], row["cache_write_tokens"] = read, write
    if models.OUTPUT in counts:
        row["output_tokens"] = counts[models.OUTPUT]
    return row
