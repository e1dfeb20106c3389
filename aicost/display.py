"""How figures read wherever people see them (pages, command line, alerts): dollars to the cent, counts with
separators, an unknown count as "—" (never 0), one label for rows without a model. Values stay exact in the
ledger and in downloads; only these strings are rounded, half to even."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

UNKNOWN = "—"  # a figure the provider does not report (Anthropic's request counts): not zero
NO_MODEL = "(no model)"  # rows that name no model: subscriptions, invoices, cost lines of a whole project
NO_PROJECT = "(no project)"
_CENT = Decimal("0.01")
_FINE = Decimal("0.0001")


def _decimal(value) -> Decimal | None:
    """Decimal of a number as pandas or a driver hands it over (None, NaN and pandas' NA are None)."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if value != value else Decimal(str(value))
    try:
        number = Decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        return None  # pandas.NA and the like
    return None if number.is_nan() else number


def usd(value) -> str:
    """"$1,234.57", "-$3.00"; "—" for no value."""
    number = _decimal(value)
    if number is None:
        return UNKNOWN
    cents = number.quantize(_CENT, rounding=ROUND_HALF_EVEN)
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}  # else the code: "CHF 12.00"
ZERO_DECIMALS = frozenset({"JPY", "KRW", "ISK", "CLP", "VND"})  # ISO 4217 minor unit 0: no cents shown


def symbol(currency: str | None) -> str:
    """How amounts of a currency are marked: "$", "€", "CHF " (a code is followed by a space)."""
    code = (currency or "USD").upper()
    return SYMBOLS.get(code, f"{code} ")


def money(value, currency: str | None = "USD") -> str:
    """An amount of the reporting currency: "$1,234.57", "€1,234.57", "CHF 1,234.57", "¥1,235", "-€3.00"; "—" for
    no value (rounded half to even, to the currency's minor unit)."""
    code = (currency or "USD").upper()
    if code == "USD":
        return usd(value)
    number = _decimal(value)
    if number is None:
        return UNKNOWN
    places = 0 if code in ZERO_DECIMALS else 2
    shown = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return f"{'-' if shown < 0 else ''}{symbol(code)}{abs(shown):,.{places}f}"


def usd_fine(value) -> str:
    """Like usd, but an amount under a dollar keeps up to four decimals ("$0.0042"), so a small entry does not
    read as $0.00; "under $0.0001" for what rounds below that."""
    number = _decimal(value)
    if number is None or abs(number) >= 1 or number == number.quantize(_CENT):
        return usd(number)
    fine = number.quantize(_FINE, rounding=ROUND_HALF_EVEN)
    if fine == 0:
        return "under $0.0001"
    text = f"{abs(fine):f}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = f"{abs(fine):.2f}"
    return f"{'-' if fine < 0 else ''}${text}"


def amount(value) -> str:
    """A dollar amount as plain text to edit or to read in a script: exact, no separators, at least two
    decimals ("1.00", "0.0042", "1234.50"); "" for none."""
    number = _decimal(value)
    if number is None:
        return ""
    text = f"{number.normalize():f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def money_in(value, currency: str | None) -> str:
    """An amount in its own currency, to the cent with separators: "EUR 1,234.50"; dollars as usd(); "—" for none."""
    shown = usd(value)
    return shown if not currency or currency == "USD" else shown.replace("$", f"{currency} ", 1)


def rate(value, currency: str | None) -> str:
    """An exchange rate as a sentence fragment: "1 EUR = 1.1367 USD" (as many places as the rate has)."""
    number = _decimal(value)
    if number is None or not currency:
        return UNKNOWN
    return f"1 {currency} = {number.normalize():f} USD"


def count(value) -> str:
    """A whole number with thousands separators ("187,417"); "—" for a count that is not known."""
    number = _decimal(value)
    return UNKNOWN if number is None else f"{int(number):,}"


def model(name) -> str:
    """A model as shown: NO_MODEL for a row that names none."""
    return name if isinstance(name, str) and name else NO_MODEL
