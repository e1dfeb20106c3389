"""Amounts billed or entered in another currency than US dollars: converted with a daily reference rate, kept
beside the original.

A row in another currency carries `amount` and `currency` (Mistral bills in EUR; an invoice may be in CNY); its
`cost_usd` is amount x the rate of its day, and `fx_rate`, `fx_date`, `fx_source` say which rate that was. Totals
only ever add `cost_usd`, so they never mix currencies.

Rates are US dollars for 1 unit of a currency on a day, kept in the ledger's `fx_rates` table:
- the European Central Bank's euro reference rates (published on TARGET working days around 16:00 CET), fetched
  from its data API (`{ecb_url}/D.USD+CNY.EUR.SP00.A?startPeriod=&endPeriod=&format=csvdata`) the first time a
  day's rate is needed and cached; a currency's dollar rate is the ECB's USD quote over its own quote
  (1 CNY = 1.1367 / 7.6302 USD), to 12 places;
- or one a user entered (`aicost rates set EUR 1.16 --on 2026-11-03`), used from its day on until a newer rate.
A row that comes converted by its bill (cost_usd and fx_rate set, e.g. Google's billing export with its own
currency_conversion_rate) is kept as it is. A day uses the newest rate published on or before it (weekends and holidays have none); an ECB rate more than
STALE_DAYS older than the day is not used. With no rate at all the row is refused in one line that says how to
enter one, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from aicost import clock, ledger
from aicost.errors import AicostError, InvalidInput, InvalidResponse, NotFound
from aicost.ledger.store import Store
from aicost.sources.http import Client

log = logging.getLogger(__name__)

TABLE = "fx_rates"
ECB, ENTERED = "ECB", "entered"
SOURCE_NAMES = {ECB: "ECB reference rate", ENTERED: "entered rate"}
STALE_DAYS = 7  # an ECB rate older than this before the day is not used (its longest gap, Easter, is 4 days)
FETCH_MARGIN_DAYS = 10  # fetched before the first day asked for, so a Monday after a holiday has its Friday
CODE_LENGTH = 3
_DELETE = sa.text(f"DELETE FROM {TABLE} WHERE day = :d AND currency = :c AND source = :s")
_INSERT = sa.text(f"INSERT INTO {TABLE} (day, currency, usd, source, fetched_at) VALUES (:d, :c, :u, :s, :t)")


@dataclass(frozen=True)
class Rate:
    """US dollars for 1 unit of `currency`, published for `day` by `source` (ECB or entered)."""

    currency: str
    usd: Decimal
    day: date
    source: str

    @property
    def label(self) -> str:
        return f"{SOURCE_NAMES.get(self.source, self.source)} of {self.day}: 1 {self.currency} = {self.usd.normalize()} USD"


def code(value: str | None) -> str:
    """A currency as its ISO 4217 code ("eur " → "EUR"); "" for none (US dollars).

    Raises:
        InvalidInput: not three letters.
    """
    text = (value or "").strip().upper()
    if text in ("", "$", "US$"):
        return ""
    if text == "€":
        return "EUR"
    if len(text) != CODE_LENGTH or not text.isalpha() or not text.isascii():
        raise InvalidInput("currency", f"{value!r} is not a currency code (three letters, e.g. EUR)")
    return "" if text == ledger.USD else text


# -- the ECB's data API ---------------------------------------------------------------------------------------


class ECBRates:
    """The ECB's daily euro reference rates from its SDMX data API, as CSV."""

    name = "ecb"

    def __init__(self, base_url: str, *, timeout: float = 30.0, max_retries: int = 5,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = Client(self.name, base_url, {"Accept": "text/csv"}, timeout=timeout, max_retries=max_retries,
                             sleep=sleep)

    def fetch(self, currencies: Iterable[str], since: date, until: date) -> list[Rate]:
        """Dollar rates of the currencies for every ECB working day since..until (none for a day it did not
        publish; the ECB answers 404 for a period with no rate at all)."""
        wanted = sorted(set(currencies) - {ledger.USD, ""})
        if not wanted:
            return []
        series = "+".join(sorted({ledger.USD, *(c for c in wanted if c != "EUR")}))
        try:
            text = self.client.get_text(f"/D.{series}.EUR.SP00.A", {
                "startPeriod": since.isoformat(), "endPeriod": until.isoformat(), "format": "csvdata"})
        except NotFound:
            return []
        return dollar_rates(parse_csv(text), wanted)

    def close(self) -> None:
        self.client.close()


def parse_csv(text: str) -> dict[tuple[date, str], Decimal]:
    """The ECB's csvdata answer → {(day, currency): units of currency for 1 EUR}.

    Raises:
        InvalidResponse: the columns or values are not the ECB's.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    needed = {"CURRENCY", "CURRENCY_DENOM", "TIME_PERIOD", "OBS_VALUE"}
    if not reader.fieldnames or not needed <= set(reader.fieldnames):
        raise InvalidResponse("ecb", f"the rates have no columns {', '.join(sorted(needed))}")
    quotes: dict[tuple[date, str], Decimal] = {}
    for line in reader:
        if line["CURRENCY_DENOM"] != "EUR" or not (line["OBS_VALUE"] or "").strip():
            continue  # a day the ECB kept without a value
        try:
            day = date.fromisoformat(line["TIME_PERIOD"])
            value = Decimal(line["OBS_VALUE"])
        except (ValueError, InvalidOperation):
            raise InvalidResponse("ecb", f"a rate line is not a day and a number: {line['TIME_PERIOD']!r}, "
                                         f"{line['OBS_VALUE']!r}") from None
        if not value.is_finite() or value <= 0:
            raise InvalidResponse("ecb", f"the rate of {line['CURRENCY']} on {day} is not positive: {value}")
        quotes[(day, line["CURRENCY"])] = value
    return quotes


def dollar_rates(quotes: dict[tuple[date, str], Decimal], currencies: Iterable[str]) -> list[Rate]:
    """Per-EUR quotes → dollars for 1 unit of each currency, on the days the ECB quoted both it and USD."""
    rates = []
    for (day, currency), per_eur in sorted(quotes.items()):
        usd_per_eur = quotes.get((day, ledger.USD))
        if usd_per_eur is None:
            continue
        for wanted in currencies:
            if wanted == "EUR" and currency == ledger.USD:
                rates.append(Rate("EUR", usd_per_eur.quantize(ledger.RATE_QUANTUM), day, ECB))
            elif wanted == currency:
                rates.append(Rate(currency, (usd_per_eur / per_eur).quantize(ledger.RATE_QUANTUM), day, ECB))
    return rates


# -- the ledger's cache and conversion ------------------------------------------------------------------------


def store_rates(store: Store, rates: Iterable[Rate]) -> int:
    """Write rates into the ledger (a newer answer for the same day, currency and source replaces the old one)."""
    rates = list(rates)
    if not rates:
        return 0
    now = clock.now()
    with store.transaction() as conn:
        for rate in rates:
            params = {"d": rate.day, "c": rate.currency, "s": rate.source, "u": rate.usd, "t": now}
            conn.execute(_DELETE, params)
            conn.execute(_INSERT, params)
    return len(rates)


def in_use(store: Store) -> list[Rate]:
    """Every rate users entered, and the newest ECB rate of each currency: by currency, newest first."""
    frame = store.frame(
        f"SELECT currency, usd, day, source FROM {TABLE} WHERE source = :entered"
        f" OR (source = :ecb AND day = (SELECT max(day) FROM {TABLE} AS n WHERE n.currency = {TABLE}.currency"
        f"      AND n.source = :ecb))"
        " ORDER BY currency, day DESC, source DESC", {"entered": ENTERED, "ecb": ECB})
    return [Rate(r.currency, Decimal(str(r.usd)), as_day(r.day), r.source) for r in frame.itertuples()]


def remove_entered(store: Store, currency: str, day: date) -> int:
    return store.execute(f"DELETE FROM {TABLE} WHERE currency = :c AND day = :d AND source = :s",
                         {"c": currency, "d": day, "s": ENTERED})


def as_day(value) -> date:
    return value.date() if isinstance(value, datetime) else value if isinstance(value, date) else \
        date.fromisoformat(str(value)[:10])


class Converter:
    """Converts rows in another currency to US dollars, with rates from the ledger, fetched from the ECB when a
    day has none (each currency asked at most once per converter)."""

    def __init__(self, store: Store, ecb: ECBRates | None, *, until: date | None = None, persist: bool = True):
        self.store = store
        self.ecb = ecb
        self.until = until
        self.persist = persist  # a dry run keeps the rates it fetched in memory only
        self.requests = 0
        self._asked: set[str] = set()
        self._fetched: list[Rate] = []
        self._found: dict[tuple[str, date], Rate] = {}  # a window's rows share few days: one lookup each

    def rate(self, currency: str, day: date) -> Rate:
        """The rate a row of `day` in `currency` is converted with.

        Raises:
            InvalidInput: no rate on or before the day (after asking the ECB), naming how to enter one.
            ProviderError: the ECB could not be asked.
        """
        if (currency, day) in self._found:
            return self._found[(currency, day)]
        found = self._cached(currency, day)
        if found is None and self.ecb is not None and currency not in self._asked:
            self._asked.add(currency)
            before = self.ecb.client.requests
            try:
                fetched = self.ecb.fetch([currency], day - timedelta(days=FETCH_MARGIN_DAYS),
                                         max(day, self.until or day))
            finally:
                self.requests += self.ecb.client.requests - before
            self._fetched.extend(fetched)
            if self.persist:
                store_rates(self.store, fetched)
            found = self._cached(currency, day)
        if found is None:
            why = ("the ECB has none on or before it" if self.ecb is not None else
                   "none was entered, and asking the ECB is off (AICOST_ECB_URL is empty)")
            raise InvalidInput("currency", f"no {currency} to USD rate for {day}: {why}; enter one with: "
                                           f"aicost rates set {currency} <USD for 1 {currency}> --on {day}")
        self._found[(currency, day)] = found
        return found

    def _cached(self, currency: str, day: date) -> Rate | None:
        """The newest usable rate on or before the day, from the ledger or this converter's own fetch."""
        frame = self.store.frame(
            f"SELECT usd, day, source FROM {TABLE} WHERE currency = :c AND day <= :d"
            f" AND (source = :entered OR day >= :oldest)"
            f" ORDER BY day DESC, CASE WHEN source = :entered THEN 0 ELSE 1 END LIMIT 1",
            {"c": currency, "d": day, "entered": ENTERED, "oldest": day - timedelta(days=STALE_DAYS)})
        found = [Rate(currency, Decimal(str(r.usd)), as_day(r.day), str(r.source)) for r in frame.itertuples()]
        found += [r for r in self._fetched
                  if r.currency == currency and day - timedelta(days=STALE_DAYS) <= r.day <= day]
        return max(found, key=lambda r: (r.day, r.source == ENTERED), default=None)

    def convert(self, row: dict) -> dict:
        """The row with cost_usd made from amount and currency (rows in dollars pass unchanged)."""
        currency = code(row.get("currency"))
        if not currency:  # dollars: the amount is cost_usd itself
            row["currency"] = None
            if row.get("amount") is not None and row.get("cost_usd") is None:
                row["cost_usd"] = row["amount"]
            row["amount"] = None
            return row
        row["currency"] = currency
        amount = row.get("amount")
        if amount is None:
            return row
        if row.get("cost_usd") is not None and row.get("fx_rate") is not None:
            return row  # converted by the bill itself (Google's export has its own rate): kept as billed
        start = row["bucket_start"]
        rate = self.rate(currency, start.date() if isinstance(start, datetime) else start)
        row.update(cost_usd=ledger.money(amount * rate.usd), fx_rate=rate.usd, fx_date=rate.day,
                   fx_source=SOURCE_NAMES.get(rate.source, rate.source))
        return row

    def rows(self, rows: Iterable[dict]) -> Iterator[dict]:
        for row in rows:
            yield self.convert(row)

    def close(self) -> None:
        if self.ecb is not None:
            self.ecb.close()


def converter(store: Store, settings, *, until: date | None = None, persist: bool = True,
              sleep: Callable[[float], None] = time.sleep) -> Converter:
    """A converter asking the ECB at the settings' `ecb_url` (none when it is empty: entered rates only)."""
    url = (settings.ecb_url or "").strip()
    ecb = ECBRates(url, timeout=settings.request_timeout_seconds, max_retries=settings.max_retries,
                   sleep=sleep) if url else None
    return Converter(store, ecb, until=until, persist=persist)


def last_working_day(today: date) -> date:
    """The newest day the ECB may have a rate of before today: the last weekday before it."""
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def refresh_reporting(store: Store, settings, today: date, *, sleep: Callable[[float], None] = time.sleep) -> str:
    """Fetch the ECB's rates that the ledger's days lack for the reporting currency (aicost.analysis.reporting) and
    every budget's own currency, one request at most each: from the day after the newest cached rate (or from
    before the ledger's first day) up to today. Returns "" or one line saying which could not be fetched and why
    (figures then use the newest rate known); it never raises for a fetch or a ledger write that failed."""
    url = (settings.ecb_url or "").strip()
    if not url:
        return ""
    problems = []
    try:
        wanted = _reported(store, settings)
        first = store.scalar(f"SELECT CAST(min(bucket_start) AS DATE) FROM {ledger.TABLE}") if wanted else None
    except AicostError as exc:
        return f"The ECB's rates were not looked up: {exc}."
    if first is None:
        return ""
    for code_ in wanted:
        try:
            _refresh(store, settings, url, code_, as_day(first) - timedelta(days=FETCH_MARGIN_DAYS), today, sleep)
        except AicostError as exc:
            log.warning("%s rates not fetched: %s", code_, exc)
            problems.append(f"{code_} ({exc})")
    return f"The ECB's rates could not be fetched: {'; '.join(problems)}; the newest rates known are used." \
        if problems else ""


def _reported(store: Store, settings) -> list[str]:
    """The currencies figures are read in: the reporting currency and every budget's (US dollars need no rate)."""
    budgets = store.frame("SELECT DISTINCT currency FROM budgets WHERE currency IS NOT NULL")["currency"]
    codes = {code(settings.reporting_currency), *(code(c) for c in budgets)}
    return sorted(c for c in codes if c and c != ledger.USD)


def _refresh(store: Store, settings, url: str, code_: str, first: date, today: date,
             sleep: Callable[[float], None]) -> None:
    oldest = store.scalar(f"SELECT min(day) FROM {TABLE} WHERE currency = :c AND source = :s", {"c": code_, "s": ECB})
    newest = store.scalar(f"SELECT max(day) FROM {TABLE} WHERE currency = :c AND source = :s", {"c": code_, "s": ECB})
    if oldest is not None and as_day(oldest) <= first + timedelta(days=STALE_DAYS):
        if as_day(newest) >= last_working_day(today):
            return  # as new as the ECB has (today's rate is published in the afternoon, CET)
        first = as_day(newest) + timedelta(days=1)
    ecb = ECBRates(url, timeout=settings.request_timeout_seconds, max_retries=settings.max_retries, sleep=sleep)
    try:
        rates = ecb.fetch([code_], first, today)
    finally:
        ecb.close()
    store_rates(store, rates)
    log.info("%s rates fetched from the ECB: %d day(s) from %s to %s", code_, len(rates), first, today)
