"""Pure: Azure Cost Management query results -> ledger rows, and meter names -> model, maker and token direction.

A result is `properties.columns` ([{name, type}]) and `properties.rows` (lists in that order); columns are read by
name, never by position (their order differs between Microsoft's own examples). The cost is a JSON number (read
exactly, as the HTTP client parses fractions into Decimal) in the scope's billing currency, named by the `Currency`
column; `UsageDate` is a number such as 20261101. A row in another currency than USD keeps its `amount` and
`currency`, and the sync converts it at the ECB rate of its day.

Meter names are not documented and not consistent ("gpt-4o-mini-0718-Inp-glbl Tokens", "GPT 5 Inpt Glbl",
"text-embedding-3-large-glbl Tokens"): the words before the first marker (a direction, a deployment, a four-digit
version, "Tokens") are the model, the markers say the token direction and deployment. A meter with no marker at all
("S0 Transactions") names no model and keeps model "".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from aicost import ledger
from aicost.errors import InvalidResponse
from aicost.sources.normalize import WIDTH, field, number, text

PROVIDER = "azure-openai"
ORIGIN = "Microsoft.CostManagement/query (ActualCost)"
COST_COLUMNS = ("cost", "costusd", "pretaxcost", "pretaxcostusd")  # the aggregation's column, by the spec's names

_DIRECTIONS = {"inp": "input", "inpt": "input", "input": "input", "in": "input",
               "outp": "output", "outpt": "output", "output": "output", "out": "output"}
_CACHED = {"cached", "cchd", "cache", "cchdinp"}
_WRITE = {"write", "wrt", "creation"}
_DEPLOYMENTS = {"glbl": "global", "global": "global", "gl": "global", "regnl": "regional", "regional": "regional",
                "rgnl": "regional", "dzone": "data zone", "dz": "data zone", "datazone": "data zone",
                "batch": "batch"}
_UNITS = {"tokens", "token", "1k", "1m"}
_MODALITIES = {"aud", "audio"}
_VERSION = re.compile(r"^\d{4}$")  # MMDD of the model version: gpt-4o-mini-0718 is gpt-4o-mini (2024-07-18)
# the model's maker by the start of its id (a whole word: "o1" is o1 or o1-mini, never o1x)
_PUBLISHERS = (("gpt", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"), ("text-embedding", "openai"),
               ("dall-e", "openai"), ("whisper", "openai"), ("tts", "openai"), ("sora", "openai"),
               ("codex", "openai"), ("davinci", "openai"), ("babbage", "openai"), ("computer-use", "openai"),
               ("claude", "anthropic"), ("llama", "meta"), ("meta-llama", "meta"), ("mistral", "mistral"),
               ("ministral", "mistral"), ("codestral", "mistral"), ("pixtral", "mistral"), ("deepseek", "deepseek"),
               ("grok", "xai"), ("cohere", "cohere"), ("command", "cohere"), ("phi", "microsoft"),
               ("mai", "microsoft"))


@dataclass(frozen=True)
class Meter:
    """What a meter's name says: the model (catalog id, "" when it names none), its maker (a provider slug, None when
    unknown), the token direction ("input", "output", "cache_read", "cache_write", None) and the deployment type."""

    model: str
    publisher: str | None
    direction: str | None
    deployment: str | None


def meter(name: str, subcategory: str = "") -> Meter:
    """Read a meter's name (and its MeterSubCategory, e.g. "Azure OpenAI GPT5", for the maker when the name alone
    does not tell)."""
    words = [w for w in re.split(r"[\s_\-]+", name.strip()) if w]
    model_words: list[str] = []
    direction = deployment = None
    cached = write = marked = False
    for word in words:
        low = word.lower()
        if low in _DIRECTIONS:
            direction = direction or _DIRECTIONS[low]
        elif low in _CACHED:
            cached = True
        elif low in _WRITE and cached:
            write = True
        elif low in _DEPLOYMENTS:
            deployment = deployment or _DEPLOYMENTS[low]
        elif low in _UNITS or low in _MODALITIES or _VERSION.match(low):
            pass
        elif not marked:
            model_words.append(low)
            continue
        marked = True
    if not marked:  # no direction, deployment, version or unit: not a model's meter ("S0 Transactions")
        return Meter("", None, None, None)
    if cached:
        direction = "cache_write" if write else "cache_read"
    elif direction is None and "embedding" in "-".join(model_words):
        direction = "input"  # an embedding bills its input only
    model = "-".join(model_words)
    publisher = next((maker for start, maker in _PUBLISHERS if model == start or model.startswith(start + "-")), None)
    if publisher is None and subcategory.lower().startswith("azure openai"):
        publisher = "openai"
    return Meter(model, publisher, direction, deployment)


@dataclass(frozen=True)
class Line:
    """One row of a query result: a day's cost of one meter."""

    day: date
    subcategory: str
    meter: str
    cost: Decimal
    currency: str | None


def lines(body: dict, where: str = "query result") -> list[Line]:
    """The rows of one page of a query result.

    Raises:
        InvalidResponse: a required column or field is missing, or a value is not what its column says.
    """
    props = field(body, "properties", where, PROVIDER)
    columns, values = field(props, "columns", where, PROVIDER), field(props, "rows", where, PROVIDER)
    if not isinstance(columns, list) or not isinstance(values, list):
        raise InvalidResponse(PROVIDER, f"{where}: 'columns' and 'rows' are not lists")
    index = {text(c.get("name")).lower(): i for i, c in enumerate(columns) if isinstance(c, dict)}
    cost = next((index[name] for name in COST_COLUMNS if name in index), None)
    if cost is None:
        raise InvalidResponse(PROVIDER, f"{where}: no cost column (Cost) among {sorted(index)}")
    for name in ("usagedate", "meter"):
        if name not in index:
            raise InvalidResponse(PROVIDER, f"{where}: column '{name}' is missing (the query groups by day and meter)")
    out = []
    for row in values:
        if not isinstance(row, list) or len(row) < len(columns):
            raise InvalidResponse(PROVIDER, f"{where}: a row does not have the {len(columns)} columns: {row!r}")
        amount = number(row[cost])
        if amount is None:
            raise InvalidResponse(PROVIDER, f"{where}: a cost is not a number: {row[cost]!r}")
        currency = text(row[index["currency"]]).strip().upper() if "currency" in index else ""
        subcategory = text(row[index["metersubcategory"]]) if "metersubcategory" in index else ""
        out.append(Line(_day(row[index["usagedate"]], where), subcategory, text(row[index["meter"]]), amount,
                        currency or None))
    return out


def _day(value: object, where: str) -> date:
    """UsageDate: a number yyyymmdd (20261101), or its text."""
    digits = number(value)
    try:
        if digits is None or digits != digits.to_integral_value():
            raise ValueError
        return datetime.strptime(str(int(digits)), "%Y%m%d").date()
    except ValueError:
        raise InvalidResponse(PROVIDER, f"{where}: UsageDate is not a day (yyyymmdd): {value!r}") from None


def rows(found: Iterable[Line]) -> list[dict]:
    """Ledger rows: one per UTC day and meter (the same meter under two subcategories is summed); a meter's zero cost
    is dropped (free use Azure lists too).

    Raises:
        InvalidResponse: one day's meter is billed in two currencies, or a non-zero cost has no currency.
    """
    merged: dict[tuple[date, str], dict] = {}
    for line in found:
        key = (line.day, line.meter)
        row = merged.get(key)
        if row is None:
            merged[key] = row = _row(line)
        elif row["currency"] != line.currency:
            raise InvalidResponse(PROVIDER, f"{line.meter} on {line.day} is billed in {row['currency']} and "
                                            f"{line.currency}: query one scope with one billing currency")
        else:
            row["amount"] += line.cost
    out = []
    for row in merged.values():
        if not row["amount"]:
            continue
        if row["currency"] is None:
            raise InvalidResponse(PROVIDER, f"{row['item']} on {row['bucket_start']:%Y-%m-%d}: the cost has no "
                                            "currency (column 'Currency' is missing)")
        row["amount"] = ledger.money(row["amount"])
        row["cost_usd"] = row["amount"] if row["currency"] == ledger.USD else None
        out.append(row)
    return out


def _row(line: Line) -> dict:
    found = meter(line.meter, line.subcategory)
    start = datetime.combine(line.day, datetime.min.time())
    what = ", ".join(filter(None, [f"{found.direction.replace('_', ' ')} tokens" if found.direction else None,
                                   f"{found.deployment} deployment" if found.deployment else None]))
    return {"provider": PROVIDER, "source": "api", "kind": ledger.KIND_COST, "bucket_start": start,
            "bucket_end": start + timedelta(days=1), "bucket_width": WIDTH, "item": line.meter, "model": found.model,
            "publisher": found.publisher, "project": "", "api_key": "", "amount": line.cost,
            "currency": line.currency, "cost_status": ledger.COST_BILLED, "origin": ORIGIN,
            "note": f"{line.subcategory}: {what}" if what and line.subcategory else (what or line.subcategory or None)}
