"""Pure: what every provider's normaliser shares to turn report JSON into ledger rows keyed by the ledger's natural
key (each provider's own reading is in aicost/sources/<provider>/normalize.py).

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

from aicost import pricing
from aicost.errors import InvalidInput, InvalidResponse

WIDTH = "1d"


# -- field access ---------------------------------------------------------------------------------------------


def field(obj: dict, name: str, where: str, provider: str) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise InvalidResponse(provider, f"{where}: required field '{name}' is missing")
    return obj[name]


def number(value: Any) -> Decimal | None:
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


def count(obj: dict, name: str, where: str, provider: str, *, required: bool = True) -> int | None:
    """A token or request count: a whole, non-negative number (a JSON number or a numeric string)."""
    if not isinstance(obj, dict):
        raise InvalidResponse(provider, f"{where}: is not an object")
    value = field(obj, name, where, provider) if required else obj.get(name)
    if value is None and not required:
        return None
    amount = number(value)
    if amount is None or amount != amount.to_integral_value() or amount < 0:
        raise InvalidResponse(provider, f"{where}: field '{name}' is not a count: {value!r}")
    return int(amount)


def optional(obj: dict, name: str, where: str, provider: str) -> dict:
    """An optional nested object (cache_creation, server_tool_use): absent or null is empty, counts as zero."""
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidResponse(provider, f"{where}: field '{name}' is not an object: {value!r}")
    return value


def text(value: Any) -> str:
    return "" if value is None else str(value)


def unix(value: Any, name: str, where: str, provider: str) -> datetime:
    amount = number(value)
    if amount is None or amount != amount.to_integral_value():
        raise InvalidResponse(provider, f"{where}: field '{name}' is not unix seconds: {value!r}")
    try:
        return datetime.fromtimestamp(int(amount), UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise InvalidResponse(provider, f"{where}: field '{name}' is not unix seconds: {value!r}") from None


def rfc3339(value: Any, name: str, where: str, provider: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidResponse(provider, f"{where}: field '{name}' is not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidResponse(provider, f"{where}: field '{name}' has no time zone: {value!r}")
    return parsed.astimezone(UTC).replace(tzinfo=None)


def results(bucket: dict, where: str, provider: str) -> list:
    results = field(bucket, "results", where, provider)
    if not isinstance(results, list):
        raise InvalidResponse(provider, f"{where}: field 'results' is not a list")
    return results


def estimate(row: dict) -> pricing.Estimate:
    """The row's usage priced at the tier it was billed at (aicost.pricing)."""
    try:
        return pricing.estimate_row(row)
    except InvalidInput as exc:  # e.g. cache reads larger than the input they are part of
        raise InvalidResponse(row["provider"], f"inconsistent token counts for {row['model'] or 'a model'}: "
                                               f"{exc}") from None
