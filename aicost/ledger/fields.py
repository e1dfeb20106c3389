"""Parsers for values users give (form fields, options, CSV cells): each rejects with the field and the reason."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from aicost import clock, ledger
from aicost.errors import InvalidInput

_INT = re.compile(r"[+-]?\d+")
# a comma in an amount only as a thousands separator: 1,234.50 and 12,345 (never 1,5 or 1,50, decimal commas)
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?")


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# The earliest day aicost accepts: no AI API billed before it, and a typo (0026, 1900) is caught, not stored.
EARLIEST_DAY = date(2000, 1, 1)


def today_utc() -> date:
    return clock.today()


def money(value, field: str, ceiling: Decimal, *, negative: bool = False, exact: bool = True) -> Decimal | None:
    """A dollar amount from text or a number: None when blank; never NaN, infinite or over the ceiling either way.

    negative: a credit or refund line of a provider's bill may be below zero (never a typed amount).
    exact: more decimals than the ledger keeps is an error; False rounds to the ledger's nano-dollars instead,
    for providers' exports, whose amounts carry float artefacts (0.4272621300000001, 6.72E-06).
    """
    if _blank(value):
        return None
    if isinstance(value, float):
        raise InvalidInput(field, "must be given as text or Decimal, not a float")  # floats are not money
    text = str(value).strip().removeprefix("$").strip()
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise InvalidInput(field, f"{str(value).strip()!r} is not an amount: use a dot for decimals (1.50); "
                                      "a comma may only separate thousands (1,234.50)")
        text = text.replace(",", "")
    try:
        if "_" in text or " " in text:  # Decimal() would read 1_5 as 15
            raise InvalidOperation
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(field, f"{str(value).strip()!r} is not a number") from None
    if amount.is_nan():
        raise InvalidInput(field, "is not a number (NaN)")
    if amount.is_infinite():
        raise InvalidInput(field, "must be finite")
    if amount < 0 and not negative:
        raise InvalidInput(field, "must not be negative")
    if abs(amount) > ceiling:
        raise InvalidInput(field, f"{amount} is over the ceiling of ${ceiling:,} per row (AICOST_MAX_ROW_COST_USD)")
    quantised = amount.quantize(ledger.MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)
    if quantised != amount and exact:
        raise InvalidInput(field, f"has more than {ledger.MONEY_SCALE} decimal places")
    return quantised


def count(value, field: str) -> int | None:
    """A token or request count: None when blank; a whole, non-negative number ("1,200" allowed)."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise InvalidInput(field, "must be a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("_", "")
        if text.endswith(".0"):  # spreadsheets write whole numbers as 1200.0
            text = text[:-2]
        if not _INT.fullmatch(text):
            raise InvalidInput(field, f"{str(value).strip()!r} is not a whole number")
        number = int(text)
    if number < 0:
        raise InvalidInput(field, "must not be negative")
    if number > ledger.COUNT_MAX:
        raise InvalidInput(field, f"{number:,} is more than the ledger can hold ({ledger.COUNT_MAX:,})")
    return number


def quantity(value, field: str) -> float | None:
    """A billed quantity (fractional allowed, e.g. 33.75 premium requests): None when blank."""
    if _blank(value):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(field, f"{str(value).strip()!r} is not a number") from None
    if not number.is_finite():
        raise InvalidInput(field, "must be a finite number")
    if number < 0:
        raise InvalidInput(field, "must not be negative")
    return float(number)


def day(value, field: str, *, today: date | None = None) -> date:
    """A UTC day from YYYY-MM-DD, a date, or a timestamp, from EARLIEST_DAY to today (never in the future).

    A timestamp is converted to its UTC day, never cut: "2026-11-01T23:59:59-05:00" is 2026-11-02; one without a
    zone ("2026-03-31 02:00", an export's UTC hour) is read as UTC. A time that does not exist is refused.
    """
    if _blank(value):
        raise InvalidInput(field, "is empty (expected YYYY-MM-DD)")
    if isinstance(value, datetime):
        value = _utc_day(value)
    if not isinstance(value, date):
        text = str(value).strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else _utc_day(datetime.fromisoformat(text))
        except ValueError:
            raise InvalidInput(field, f"{text!r} is not a date in the form YYYY-MM-DD (or a timestamp with a "
                                      "valid time)") from None
    if value < EARLIEST_DAY:
        raise InvalidInput(field, f"{value.isoformat()} is before {EARLIEST_DAY.isoformat()}, the earliest day "
                                  "aicost accepts")
    if value > (today or today_utc()):
        raise InvalidInput(field, f"{value.isoformat()} is in the future (UTC)")
    return value


def _utc_day(moment: datetime) -> date:
    """The UTC day of a timestamp; one without a zone is UTC already."""
    return moment.astimezone(UTC).date() if moment.tzinfo is not None else moment.date()


def flag(value, field: str) -> bool:
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    raise InvalidInput(field, f"{str(value).strip()!r} is not true or false")


def text(value, field: str, *, limit: int = 500) -> str:
    out = "" if value is None else str(value).strip()
    if len(out) > limit:
        raise InvalidInput(field, f"is longer than {limit} characters")
    return out
