"""Amounts in another currency than USD: converted with the ECB's daily reference rates (a fake of its data API
really listening on 127.0.0.1, answering its real csvdata columns) or an entered rate, cached in the ledger, kept
beside the original amount (tests/fixtures/providers/ecb/ has the real answers and the worked conversions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.config.settings import Settings
from aicost.errors import InvalidInput, RateLimitError
from aicost.sources import currency
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "fixtures" / "providers" / "ecb"
FRIDAY = date(2026, 11, 6)
SATURDAY, MONDAY = FRIDAY + timedelta(days=1), FRIDAY + timedelta(days=3)
NO_WAIT = lambda seconds: None  # noqa: E731


def _row(day: date, amount: str | None, code: str | None = "EUR") -> dict:
    return {"provider": "mistral", "source": "api", "kind": ledger.KIND_COST, "bucket_width": "1d",
            "bucket_start": datetime.combine(day, datetime.min.time()), "item": "completion",
            "amount": None if amount is None else Decimal(amount), "currency": code, "cost_usd": None,
            "cost_status": ledger.COST_BILLED}


def _converter(store, ecb_fake=None, **kw) -> currency.Converter:
    settings = Settings(ecb_url=ecb_fake.base_url if ecb_fake else "", max_retries=2, request_timeout_seconds=5)
    return currency.converter(store, settings, sleep=NO_WAIT, **kw)


def test_the_ecb_csv_answer_is_read_exactly():
    quotes = currency.parse_csv((CORPUS / "sdmx_EXR_D.USD.EUR.SP00.A_2026-09-03_07.csv").read_text())
    assert quotes[(date(2026, 9, 3), "USD")] == Decimal("1.1615")
    assert quotes[(date(2026, 9, 7), "USD")] == Decimal("1.1622")
    assert (date(2026, 9, 5), "USD") not in quotes  # a Saturday: no reference rate


def test_a_currency_in_dollars_is_the_usd_quote_over_its_own_as_the_worked_example():
    day = date(2026, 9, 24)
    rates = currency.dollar_rates({(day, "USD"): Decimal("1.1367"), (day, "CNY"): Decimal("7.6302")}, ["EUR", "CNY"])
    by = {r.currency: r.usd for r in rates}
    assert by == {"EUR": Decimal("1.1367"), "CNY": Decimal("0.148973814579")}
    assert ledger.money(100 * by["CNY"]) == Decimal("14.897381458")  # SOURCES.md: 100 CNY → 14.8973814579 USD


@pytest.mark.parametrize("text, code", [("eur", "EUR"), (" EUR ", "EUR"), ("€", "EUR"), ("usd", ""), ("", ""),
                                        (None, "")])
def test_currency_codes(text, code):
    assert currency.code(text) == code


@pytest.mark.parametrize("text", ["EURO", "E1R", "€€", "12"])
def test_a_currency_that_is_no_code_is_refused_in_one_line(text):
    with pytest.raises(InvalidInput, match="not a currency code"):
        currency.code(text)


def test_a_euro_amount_gets_the_rate_of_its_day_and_keeps_the_original(store, ecb_fake):
    conv = _converter(store, ecb_fake)
    row = conv.convert(_row(MONDAY, "100.00"))
    usd = ecb_fake.usd("EUR", MONDAY)
    assert row["cost_usd"] == ledger.money(Decimal("100.00") * usd)
    assert (row["amount"], row["currency"], row["fx_rate"], row["fx_date"]) == (Decimal("100.00"), "EUR", usd, MONDAY)
    assert row["fx_source"] == "ECB reference rate"
    assert conv.requests == 1


def test_a_weekend_uses_fridays_rate_and_the_cache_saves_asking_again(store, ecb_fake):
    row = _converter(store, ecb_fake).convert(_row(SATURDAY, "10"))
    assert row["fx_date"] == FRIDAY and row["fx_rate"] == ecb_fake.usd("EUR", FRIDAY)
    ecb_fake.requests.clear()
    again = _converter(store, ecb_fake)
    assert again.convert(_row(SATURDAY, "10"))["cost_usd"] == row["cost_usd"]
    assert again.requests == 0 and ecb_fake.requests == []
    assert store.scalar("SELECT count(*) FROM fx_rates WHERE currency = 'EUR' AND source = 'ECB'") > 0


def test_one_request_per_currency_for_a_whole_window(store, ecb_fake):
    conv = _converter(store, ecb_fake, until=MONDAY + timedelta(days=20))
    rows = list(conv.rows(_row(MONDAY + timedelta(days=n), "1") for n in range(21)))
    assert conv.requests == 1 and all(r["cost_usd"] for r in rows)
    cny = conv.convert(_row(MONDAY, "100", "CNY"))
    assert cny["fx_rate"] == ecb_fake.usd("CNY", MONDAY) and conv.requests == 2


def test_dollar_rows_pass_unchanged(store, ecb_fake):
    conv = _converter(store, ecb_fake)
    row = conv.convert({**_row(MONDAY, None, None), "cost_usd": Decimal("3.5")})
    assert row["cost_usd"] == Decimal("3.5") and row["currency"] is None and conv.requests == 0
    usd = conv.convert(_row(MONDAY, "2.25", "usd"))
    assert (usd["cost_usd"], usd["amount"], usd["currency"]) == (Decimal("2.25"), None, None)


def test_with_no_rate_anywhere_the_row_is_refused_in_one_line_saying_how_to_enter_one(store):
    with pytest.raises(InvalidInput) as caught:
        _converter(store).convert(_row(MONDAY, "5"))
    assert str(caught.value).count("\n") == 0
    assert f"no EUR to USD rate for {MONDAY}" in str(caught.value) and "aicost rates set EUR" in str(caught.value)


def test_an_entered_rate_is_used_from_its_day_on_until_a_newer_one(store):
    currency.store_rates(store, [currency.Rate("EUR", Decimal("1.16"), FRIDAY - timedelta(days=30), currency.ENTERED)])
    row = _converter(store).convert(_row(MONDAY, "100"))
    assert (row["cost_usd"], row["fx_source"]) == (Decimal("116.000000000"), "entered rate")
    assert row["fx_date"] == FRIDAY - timedelta(days=30)


def test_an_ecb_rate_older_than_a_week_is_not_used(store, ecb_fake):
    old = MONDAY - timedelta(days=currency.STALE_DAYS + 1)
    currency.store_rates(store, [currency.Rate("EUR", Decimal("1.0"), old, currency.ECB)])
    with pytest.raises(InvalidInput):
        _converter(store).convert(_row(MONDAY, "1"))
    assert _converter(store, ecb_fake).convert(_row(MONDAY, "1"))["fx_date"] == MONDAY


def test_a_dry_run_keeps_its_rates_in_memory(store, ecb_fake):
    conv = _converter(store, ecb_fake, persist=False)
    assert conv.convert(_row(MONDAY, "1"))["fx_date"] == MONDAY
    assert store.scalar("SELECT count(*) FROM fx_rates") == 0


def test_the_ecb_rate_limit_is_waited_for_then_a_holiday_takes_the_day_before(store, ecb_fake):
    ecb_fake.faults.append((429, {"Retry-After": "1"}, "Too many requests"))
    ecb_fake.holidays.add(MONDAY)
    row = _converter(store, ecb_fake).convert(_row(MONDAY, "1"))
    assert row["fx_date"] == FRIDAY and len(ecb_fake.requests) == 2


def test_the_ecb_refusing_again_and_again_is_one_line(store, ecb_fake):
    ecb_fake.faults.extend([(429, {"Retry-After": "1"}, "Too many requests")] * 5)
    with pytest.raises(RateLimitError) as caught:
        _converter(store, ecb_fake).convert(_row(MONDAY, "1"))
    assert "ecb" in str(caught.value) and "\n" not in str(caught.value)
    assert store.scalar("SELECT count(*) FROM fx_rates") == 0


def test_a_row_converted_by_its_own_bill_keeps_that_rate(store, ecb_fake):
    row = {**_row(MONDAY, "93.00"), "cost_usd": Decimal("100.00"), "fx_rate": Decimal("1.075268817204"),
           "fx_date": MONDAY, "fx_source": "Google billing export"}
    assert _converter(store, ecb_fake).convert(dict(row)) == {**row, "currency": "EUR"}
    assert ecb_fake.requests == []
