"""The reporting currency: the one currency every total, page, budget, alert and report is shown in.

The ledger keeps US dollars (`cost_usd`, `estimate_usd`; a row billed in another currency keeps its own amount
beside them). With a reporting currency other than USD (AICOST_REPORTING_CURRENCY=EUR) the read models convert
when they read, per UTC day: a day's dollars are multiplied by the currency's units per dollar on that day, 1 / its
dollar rate to as many places as DECIMAL(20, p) holds (19 for EUR); the products and their sums are exact, and a
figure read is rounded to the nano unit, as the ledger's dollars are. The rate of a day is the one a bill in that
currency would use (aicost.sources.currency): the newest on or before it, the ECB's reference rate (cached in
`fx_rates`) or one a user entered (an entered rate wins over the ECB's of the same day). A row billed in the
reporting currency itself counts at its billed amount, never converted there and back.

Days before the first rate known use the first one, and an ECB rate older than STALE_DAYS still counts for the days
after it: both are listed by `Conversion.notes`, so a page says so instead of hiding it. With no rate of the
currency at all a read is refused in one line that says how to enter one.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd

from aicost import ledger
from aicost.errors import InvalidInput
from aicost.ledger.store import Store
from aicost.sources import currency

USD = ledger.USD
PER_USD_DIGITS = 20  # units of the reporting currency for 1 US dollar: DECIMAL(20, s), as many places as fit
_DIVIDE = decimal.Context(prec=40)


@dataclass(frozen=True)
class Step:
    """One rate in force over the UTC days [start, end]: `per_usd` units of the currency for 1 US dollar."""

    start: date
    end: date
    per_usd: Decimal
    rate: currency.Rate


@dataclass(frozen=True)
class Conversion:
    """How the days [start, end] convert from US dollars to `currency` (no steps: the currency is USD)."""

    currency: str
    steps: tuple[Step, ...] = ()
    places: int = 0  # of every step's per_usd

    @property
    def notes(self) -> list[str]:
        """What a reader should know about the rates: days before the first rate, days on an old ECB rate."""
        notes = []
        for step in self.steps:
            if step.start < step.rate.day:
                notes.append(f"{step.start} to {step.rate.day - timedelta(days=1)} have no {self.currency} rate of "
                             f"their own and use the first one, of {step.rate.day}")
            elif step.rate.source == currency.ECB and (step.end - step.rate.day).days > currency.STALE_DAYS:
                notes.append(f"the ECB rate of {step.rate.day} is used up to {step.end}: newer ones were not fetched "
                             f"(sync, or enter one with: aicost rates set {self.currency} <USD for 1 "
                             f"{self.currency}> --on DAY)")
        return notes

    @property
    def summary(self) -> str:
        """One line: which rates the figures use ("" for USD)."""
        if not self.steps:
            return ""
        sources = sorted({currency.SOURCE_NAMES.get(s.rate.source, s.rate.source) for s in self.steps})
        last = self.steps[-1].rate
        return (f"Amounts in {self.currency}: each UTC day's US dollars at that day's {' or '.join(sources)} "
                f"({len(self.steps)} rate{'s' if len(self.steps) != 1 else ''}; the newest: 1 {self.currency} = "
                f"{last.usd.normalize():f} USD on {last.day}).")

    def days_sql(self) -> str:
        """The steps as an SQL table r(day, per_usd), one row per day, to join each day on by equality (literals we
        made; the steps are expanded by the database)."""
        steps = ", ".join(f"(DATE '{s.start.isoformat()}', DATE '{s.end.isoformat()}', "
                          f"CAST({s.per_usd:f} AS DECIMAL({PER_USD_DIGITS},{self.places})))" for s in self.steps)
        return (f"(SELECT CAST(g.d AS DATE) AS day, s.per_usd FROM (VALUES {steps}) AS s(first_day, last_day, per_usd)"
                f" CROSS JOIN LATERAL generate_series(CAST(s.first_day AS TIMESTAMP), CAST(s.last_day AS TIMESTAMP),"
                f" INTERVAL '1 day') AS g(d)) AS r")


def code(value: str | None) -> str:
    """The reporting currency a setting names: its ISO code, USD for none.

    Raises:
        InvalidInput: not a currency code.
    """
    return currency.code(value) or USD


def per_usd(rate: currency.Rate, places: int) -> Decimal:
    """Units of the rate's currency for 1 US dollar, to `places` places."""
    return _DIVIDE.divide(Decimal(1), rate.usd).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def places_for(rates: list[currency.Rate]) -> int:
    """The places of units per dollar that DECIMAL(20, places) holds for every rate: 19 for EUR (0.86), 17 for JPY
    (155), so a day's nano-dollars times it stay exact in DECIMAL(38, 9 + places)."""
    largest = max(_DIVIDE.divide(Decimal(1), r.usd) for r in rates)
    return PER_USD_DIGITS - max(1, len(str(int(largest))))


def _rates(store: Store, code: str, start: date, end: date) -> list[currency.Rate]:
    """The rates of the currency in force over [start, end]: the newest on or before start, then every newer one up
    to end (one per day, an entered rate before the ECB's); with none on or before start, the first after it."""
    first = store.scalar(f"SELECT max(day) FROM {currency.TABLE} WHERE currency = :c AND day <= :d",
                         {"c": code, "d": start})
    if first is None:
        first = store.scalar(f"SELECT min(day) FROM {currency.TABLE} WHERE currency = :c", {"c": code})
    if first is None:
        return []
    frame = store.frame(
        f"SELECT day, usd, source FROM {currency.TABLE} WHERE currency = :c AND day >= :f AND day <= :e"
        f" ORDER BY day, CASE WHEN source = :entered THEN 0 ELSE 1 END",
        {"c": code, "f": first, "e": max(end, currency.as_day(first)), "entered": currency.ENTERED})
    rates: dict[date, currency.Rate] = {}
    for r in frame.itertuples():
        day = currency.as_day(r.day)
        rates.setdefault(day, currency.Rate(code, Decimal(str(r.usd)), day, str(r.source)))
    return list(rates.values())


def conversion(store: Store, code: str, start: date, end: date) -> Conversion:
    """How the days [start, end] convert to the currency (`code` USD: no conversion).

    Raises:
        InvalidInput: the ledger holds no rate of the currency, naming how to get one.
    """
    if code == USD:
        return Conversion(USD)
    rates = _rates(store, code, start, end)
    if not rates:
        raise InvalidInput("AICOST_REPORTING_CURRENCY", f"there is no {code} rate to report in {code}: sync (the "
                                                        f"ECB's rates are fetched then) or enter one with: aicost "
                                                        f"rates set {code} <USD for 1 {code}> --on DAY")
    steps, places = [], places_for(rates)
    for i, rate in enumerate(rates):
        first = start if i == 0 else max(rate.day, start)
        last = rates[i + 1].day - timedelta(days=1) if i + 1 < len(rates) else end
        if first <= last:
            steps.append(Step(first, min(last, end), per_usd(rate, places), rate))
    return Conversion(code, tuple(steps), places)


def span(store: Store, start: date, end: date) -> tuple[date, date]:
    """The days of [start, end] the ledger holds rows of (a period row: each of its days); [start, start] for none."""
    first, last = store.frame(f"SELECT CAST(min(bucket_start) AS DATE) AS first_day, CAST(max(coalesce(bucket_end"
                              f" - INTERVAL '1 second', bucket_start)) AS DATE) AS last_day FROM {ledger.TABLE}").iloc[0]
    if first is None or pd.isna(first):
        return start, start
    start = max(start, currency.as_day(first))
    return start, max(start, min(end, currency.as_day(last)))


def used(store: Store, code: str, start: date, end: date) -> Conversion:
    """The conversion of the days [start, end] that the ledger holds rows of, for saying which rates figures use
    (conversion() covers every day of a window, with rows or not).

    Raises:
        InvalidInput: the ledger holds no rate of the currency.
    """
    return conversion(store, code, *span(store, start, end))
