"""Pure: Mistral's monthly usage JSON -> ledger rows (aicost/sources/normalize.py has the shared reading).

The answer has no cost: each category ("completion", "ocr", "vibe_code" ...) holds, under `models` and deeper keys,
lists of entries {event_type, billing_metric, billing_group, timestamp (a day), value, value_paid}, and `prices` lists
the unit price (a string, maybe "8.50E-8") of each (event_type, billing_metric, billing_group). An entry's amount is
value_paid × its price, in the answer's `currency` (EUR for EU accounts): the rows carry that `amount` and `currency`,
and `cost_usd` only when the currency is USD (the sync converts the others). Any list of entries at any depth under a
category is read, so new categories and sub-categories are counted without a change here.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, field, number, text

PROVIDER = "mistral"
ORIGIN = "/v1/admin/usage"
TOKENS = "api_tokens"  # the event type whose input/output billing groups are tokens
# the answer's fields that are not categories of usage
META = frozenset({"date", "start_date", "end_date", "previous_month", "next_month", "currency", "currency_symbol",
                  "prices"})
# `vibe_usage` is a bare number whose unit Mistral does not document (a count? euros?): it is not counted. Vibe's
# metered use is counted all the same, from the entries under `vibe_code`.
IGNORED = frozenset({"vibe_usage"})


def _entries(node: object) -> Iterator[dict]:
    """The usage entries anywhere below a category: dicts with a billing_metric or value_paid, in lists at any
    depth (`models` may be an object keyed "display::metric", a list, or empty; anything else is skipped)."""
    if isinstance(node, dict):
        if "billing_metric" in node or "value_paid" in node:
            yield node
            return
        for value in node.values():
            yield from _entries(value)
    elif isinstance(node, list):
        for value in node:
            yield from _entries(value)


def _prices(body: dict, where: str) -> dict[tuple[str, str, str], Decimal]:
    prices = body.get("prices") or []
    if not isinstance(prices, list):
        raise InvalidResponse(PROVIDER, f"{where}: field 'prices' is not a list")
    out = {}
    for price in prices:
        if not isinstance(price, dict):
            raise InvalidResponse(PROVIDER, f"{where}: an entry of 'prices' is not an object: {price!r}")
        amount = number(field(price, "price", f"{where} price", PROVIDER))
        if amount is None or amount < 0:
            raise InvalidResponse(PROVIDER, f"{where} price: field 'price' is not a price: {price.get('price')!r}")
        key = (text(price.get("event_type")), text(price.get("billing_metric")), text(price.get("billing_group")))
        out[key] = amount
    return out


def _currency(body: dict, rows: list[dict], where: str) -> str | None:
    """The answer's currency, upper-cased; None only when no row has an amount to put in one."""
    value = body.get("currency")
    if isinstance(value, str) and value.strip():
        return value.strip().upper()
    if value is not None and not isinstance(value, str):
        raise InvalidResponse(PROVIDER, f"{where}: field 'currency' is not a currency code: {value!r}")
    if any(row["amount"] for row in rows):
        raise InvalidResponse(PROVIDER, f"{where}: field 'currency' is missing, so the amounts cannot be read")
    return None


def _day(entry: dict, where: str) -> date | None:
    stamp = entry.get("timestamp")
    if stamp is None or stamp == "":
        return None
    try:
        parsed = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidResponse(PROVIDER, f"{where}: field 'timestamp' is not a day: {stamp!r}") from None
    return parsed.astimezone(UTC).date() if parsed.tzinfo else parsed.date()


def usage(body: dict, year: int, month: int, since: date, until: date) -> list[dict]:
    """Rows of one month's usage answer: one per UTC day, billing metric (the model) and category, for the days
    since..until; entries with no day make one row for the whole month (a period row, kept whenever that month is
    asked, as it overlaps the window)."""
    where = f"mistral usage {year}-{month:02d}"
    if not isinstance(body, dict):
        raise InvalidResponse(PROVIDER, f"{where}: is not an object")
    prices = _prices(body, where)
    first, days = date(year, month, 1), calendar.monthrange(year, month)[1]
    rows: dict[tuple, dict] = {}
    for category, node in body.items():
        if category in META or category in IGNORED:
            continue
        for entry in _entries(node):
            _add(rows, category, entry, prices, first, days, since, until, f"{where} {category}")
    out = [row for row in rows.values() if _kept(row)]
    currency = _currency(body, out, where)
    for row in out:
        _finish(row, currency)
    return out


def _finish(row: dict, currency: str | None) -> None:
    missing, quantities = row.pop("_missing"), row.pop("_quantities")
    notes = [f"no price in Mistral's answer for {', '.join(sorted(set(missing)))}"] if missing else []
    if len(quantities) == 1:
        unit, quantity = next(iter(quantities.items()))
        row["quantity"], row["quantity_unit"] = float(quantity), unit
    elif quantities:  # one column holds one unit: several are named in the note instead
        notes.append("billed " + ", ".join(f"{q} {unit}" for unit, q in sorted(quantities.items())))
    row["note"] = "; ".join(notes) or None
    row["currency"] = currency
    if row["amount"] is not None:
        row["amount"] = ledger.money(row["amount"])
    row["cost_usd"] = row["amount"] if currency == "USD" else None
    if currency is None and row["amount"] == 0:
        row["cost_usd"] = row["amount"]  # nothing billed is $0 in any currency


def _add(rows: dict, category: str, entry: dict, prices: dict, first: date, days: int, since: date, until: date,
         where: str) -> None:
    model = text(field(entry, "billing_metric", where, PROVIDER))
    paid = number(field(entry, "value_paid", where, PROVIDER))
    if paid is None or paid < 0:
        raise InvalidResponse(PROVIDER, f"{where}: field 'value_paid' is not a quantity: {entry.get('value_paid')!r}")
    event, group = text(entry.get("event_type")), text(entry.get("billing_group"))
    day = _day(entry, where)
    if day is not None and not since <= day <= until:
        return
    start, width = (day, WIDTH) if day is not None else (first, f"{days}d")
    row = rows.setdefault((start, width, model, category), {
        "provider": PROVIDER, "source": "api", "kind": ledger.KIND_COST,
        "bucket_start": datetime.combine(start, datetime.min.time()), "bucket_width": width, "item": category,
        "model": model, "project": "", "api_key": "", "input_tokens": None, "output_tokens": None,
        "quantity": None, "quantity_unit": None, "amount": Decimal(0), "cost_status": ledger.COST_BILLED,
        "origin": ORIGIN, "_missing": [], "_quantities": {}})
    if event == TOKENS and group in ("input", "output"):
        name = f"{group}_tokens"
        row[name] = (row[name] or 0) + _whole(paid, entry, where)
    elif paid:  # pages, audio seconds, characters, cached tokens ...: a quantity in the event type's unit
        unit = event or "units"
        row["_quantities"][unit] = row["_quantities"].get(unit, Decimal(0)) + paid
    if not paid:
        return  # nothing paid costs nothing, priced or not
    price = prices.get((event, model, group))
    if price is None:  # never counted as 0: shown as unpriced, with what was used
        row["_missing"].append(f"{event}/{model}/{group}")
        row["amount"], row["cost_status"] = None, ledger.COST_UNPRICED
    elif row["amount"] is not None:
        row["amount"] += paid * price


def _whole(paid: Decimal, entry: dict, where: str) -> int:
    if paid != paid.to_integral_value():
        raise InvalidResponse(PROVIDER, f"{where}: field 'value_paid' is not a token count: {entry['value_paid']!r}")
    return int(paid)


def _kept(row: dict) -> bool:
    """A row that paid nothing and used nothing is noise (Mistral lists free use too)."""
    return bool(row["amount"] is None or row["amount"] or row["input_tokens"] or row["output_tokens"]
                or row["_quantities"])
