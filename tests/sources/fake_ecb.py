"""A fake of the ECB's exchange-rate data API that really listens on 127.0.0.1: `GET /D.<CUR+CUR>.EUR.SP00.A
?startPeriod=&endPeriod=&format=csvdata` answers the real csvdata columns (tests/fixtures/providers/ecb/, 32
columns, one line per currency and working day) for weekdays that are not holidays; a period with no rate at all is
the ECB's 404 "No results found."; queued faults (429, 500) come first.

Rates are fixed per currency and drift a little by day, so a test can compute the exact dollars of any amount."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from tests.sources.jsonserver import JSONServer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "providers" / "ecb" / "sdmx_EXR_D.USD.EUR.SP00.A_2026-09-03_07.csv"
HEADER = FIXTURE.read_text(encoding="utf-8").splitlines()[0]
BASE = {"USD": Decimal("1.1367"), "CNY": Decimal("7.6302"), "GBP": Decimal("0.85986"), "JPY": Decimal("180.57")}


@dataclass
class FakeECB(JSONServer):
    holidays: set[date] = field(default_factory=set)
    faults: list[tuple[int, dict, object]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    fixed: dict[tuple[date, str], Decimal] = field(default_factory=dict)  # a test's own quotes

    @property
    def base_url(self) -> str:
        return self.root

    def published(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def per_eur(self, currency: str, day: date) -> Decimal:
        """Units of the currency for 1 EUR on a working day (4 decimals, like the ECB's USD quote)."""
        if (day, currency) in self.fixed:
            return self.fixed[(day, currency)]
        return BASE[currency] + Decimal(day.toordinal() % 17) / 10_000

    def usd(self, currency: str, day: date) -> Decimal:
        """Dollars for 1 unit on the newest working day on or before `day`, to 12 places (what aicost stores)."""
        while not self.published(day):
            day -= timedelta(days=1)
        usd = self.per_eur("USD", day)
        return (usd if currency == "EUR" else usd / self.per_eur(currency, day)).quantize(Decimal("1e-12"))

    def answer(self, method, path, query, headers, body):
        self.requests.append(f"{method} {path}?{'&'.join(f'{k}={v[0]}' for k, v in sorted(query.items()))}")
        if self.faults:
            return self.faults.pop(0)
        parts = path.strip("/").split(".")
        if method != "GET" or len(parts) != 5 or parts[0] != "D" or parts[2:] != ["EUR", "SP00", "A"]:
            return 404, {}, "No results found."
        start, end = (date.fromisoformat(query[k][0]) for k in ("startPeriod", "endPeriod"))
        lines, day = [HEADER], start
        while day <= end:
            if self.published(day):
                for currency in parts[1].split("+"):
                    if currency in BASE:
                        lines.append(f"EXR.D.{currency}.EUR.SP00.A,D,{currency},EUR,SP00,A,{day},"
                                     f"{self.per_eur(currency, day)},A,F,,,P1D,,A,,,,,,,99Q1=100,,,4,,4F0,,"
                                     f"{currency}/Euro ECB reference exchange rate,\"ECB reference exchange rate, "
                                     f"{currency}/Euro, 2.15 pm (C.E.T.)\",{currency},0")
            day += timedelta(days=1)
        if len(lines) == 1:
            return 404, {}, "No results found."
        return 200, {}, "\r\n".join(lines) + "\r\n"
