"""A reporting currency other than USD: every read model converts each UTC day's dollars at that day's rate (an
entered rate or the ECB's, cached in the ledger), exactly to the nano unit; a row billed in the currency itself
counts as billed; a day without a rate of its own says so; no rate at all is refused in one line."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from aicost import ledger
from aicost.analysis import anomalies, budgets, forecast, queries, reporting
from aicost.analysis.queries import Filters
from aicost.config.settings import Settings
from aicost.delivery import alerts
from aicost.errors import InvalidInput
from aicost.sources import currency

pytestmark = pytest.mark.both_backends  # each test runs on DuckDB and on a real PostgreSQL

NOVEMBER = Filters(date(2026, 11, 1), date(2026, 11, 30))
IN_EUR = dataclasses.replace(NOVEMBER, currency="EUR")


def _cost(day: date, usd: str, **extra) -> dict:
    return {"provider": "openai", "source": "api", "kind": "cost", "item": "gpt-4o, input",
            "bucket_start": datetime.combine(day, datetime.min.time()), "bucket_width": "1d",
            "cost_usd": Decimal(usd), "cost_status": ledger.COST_BILLED, **extra}


def _rates(store, *pairs: tuple[date, str]) -> None:
    currency.store_rates(store, [currency.Rate("EUR", Decimal(usd), day, currency.ENTERED) for day, usd in pairs])


def _in_eur(usd: str, rate: str, places: int = 19) -> Decimal:
    """What a day's dollars are in EUR: times 1/rate to 19 places (what DECIMAL(20, 19) holds), exactly, then to
    the nano unit as read."""
    per_usd = (Decimal(1) / Decimal(rate)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return ledger.money(Decimal(usd) * per_usd)


def test_each_day_is_converted_at_its_own_rate_exactly(store):
    store.upsert([_cost(date(2026, 11, 2), "116.00"), _cost(date(2026, 11, 3), "33.333333333"),
                  _cost(date(2026, 11, 20), "125.00"), _cost(date(2026, 11, 21), "10.00", provider="anthropic")])
    _rates(store, (date(2026, 11, 2), "1.16"), (date(2026, 11, 20), "1.25"))
    daily = queries.daily_spend(store, IN_EUR)
    assert daily[date(2026, 11, 2)] == _in_eur("116.00", "1.16") == Decimal("100.000000000")
    assert daily[date(2026, 11, 3)] == _in_eur("33.333333333", "1.16")  # no rate of its own: the newest before it
    assert daily[date(2026, 11, 20)] == Decimal("100.000000000")
    assert daily[date(2026, 11, 21)] == Decimal("8.000000000")
    total = queries.total_spend(store, IN_EUR)
    assert total == sum(daily.values())  # the days add up to the total exactly
    by_provider = queries.totals_by(store, IN_EUR, "provider")
    assert dict(zip(by_provider["provider"], by_provider["cost_usd"])) == {
        "anthropic": Decimal("8.000000000"), "openai": total - Decimal("8.000000000")}
    assert queries.total_spend(store, NOVEMBER) == Decimal("284.333333333")  # USD reads are as they were


def test_an_amount_billed_in_the_reporting_currency_counts_as_billed_not_converted_twice(store):
    # Mistral billed 10 EUR, converted to USD at that day's ECB rate; the reporting rate of the day differs a little
    store.upsert([_cost(date(2026, 11, 4), "11.623456789", provider="mistral", item="completion", amount=Decimal("10"),
                        currency="EUR", fx_rate=Decimal("1.1623456789"), fx_date=date(2026, 11, 4), fx_source="ECB")])
    _rates(store, (date(2026, 11, 1), "1.16"))
    assert queries.total_spend(store, IN_EUR) == Decimal("10")
    in_gbp = dataclasses.replace(NOVEMBER, currency="GBP")
    currency.store_rates(store, [currency.Rate("GBP", Decimal("1.32"), date(2026, 11, 1), currency.ENTERED)])
    assert queries.total_spend(store, in_gbp) == _in_eur("11.623456789", "1.32")  # other currencies convert


def test_a_period_entry_is_spread_then_each_day_converted(store):
    store.upsert([{"provider": "perplexity", "source": "manual", "kind": "cost", "entry_id": "inv",
                   "bucket_start": datetime(2026, 11, 1), "bucket_end": datetime(2026, 12, 1), "bucket_width": "30d",
                   "cost_usd": Decimal("300.00"), "cost_status": ledger.COST_ENTERED}])
    _rates(store, (date(2026, 11, 1), "1.25"), (date(2026, 11, 16), "1.00"))
    daily = queries.daily_spend(store, IN_EUR)
    assert {daily[date(2026, 11, d)] for d in range(1, 16)} == {Decimal("8.000000000")}
    assert {daily[date(2026, 11, d)] for d in range(16, 31)} == {Decimal("10.000000000")}
    assert queries.total_spend(store, IN_EUR) == Decimal("270")


def test_days_before_the_first_rate_use_it_and_say_so(store):
    store.upsert([_cost(date(2026, 11, 2), "50.00"), _cost(date(2026, 11, 10), "50.00")])
    _rates(store, (date(2026, 11, 5), "1.25"))
    assert queries.total_spend(store, IN_EUR) == Decimal("80.000000000")
    used = reporting.used(store, "EUR", NOVEMBER.start, NOVEMBER.end)
    assert used.notes == ["2026-11-02 to 2026-11-04 have no EUR rate of their own and use the first one, of "
                          "2026-11-05"]  # the days of the window before the ledger's first row are not named
    assert "1 EUR = 1.25 USD on 2026-11-05" in used.summary


def test_an_old_ecb_rate_still_counts_and_is_named(store):
    store.upsert([_cost(date(2026, 11, 2), "11.00"), _cost(date(2026, 11, 25), "11.00")])
    currency.store_rates(store, [currency.Rate("EUR", Decimal("1.1"), date(2026, 11, 2), currency.ECB)])
    assert queries.total_spend(store, IN_EUR) == Decimal("20.000000000")
    notes = reporting.used(store, "EUR", NOVEMBER.start, NOVEMBER.end).notes
    assert len(notes) == 1 and notes[0].startswith("the ECB rate of 2026-11-02 is used up to 2026-11-25")


def test_no_rate_of_the_currency_is_refused_in_one_line_that_says_how_to_enter_one(store):
    store.upsert([_cost(date(2026, 11, 2), "11.00")])
    with pytest.raises(InvalidInput) as err:
        queries.totals_by(store, IN_EUR, "provider")
    assert "\n" not in str(err.value)
    assert "aicost rates set EUR <USD for 1 EUR> --on DAY" in str(err.value)


def test_every_read_model_agrees_in_the_reporting_currency(store):
    store.upsert([_cost(date(2026, 11, d), "2.32") for d in range(1, 11)]
                 + [{"provider": "openai", "source": "api", "kind": "usage", "item": "completions", "model": "gpt-4o",
                     "bucket_start": datetime(2026, 11, d), "bucket_width": "1d", "input_tokens": 1000,
                     "cost_status": ledger.COST_COVERED, "estimate_usd": Decimal("2.32")} for d in range(1, 11)])
    _rates(store, (date(2026, 11, 1), "1.16"))
    assert queries.total_spend(store, IN_EUR) == Decimal("20")
    models = queries.models(store, IN_EUR)
    assert models["cost_usd"].sum() == Decimal("20") and models["token_estimate_usd"].sum() == Decimal("20")
    rec = queries.reconciled(queries.reconciliation(store, IN_EUR, "provider"))
    assert (rec.billed, rec.estimate, rec.gap) == (Decimal("20"), Decimal("20"), Decimal("0"))
    summary = queries.month_summary(store, date(2026, 11, 10), dataclasses.replace(Filters.everything(), currency="EUR"))
    assert summary.month_to_date == Decimal("20")
    projection = forecast.project(store, IN_EUR, date(2026, 11, 10))
    assert projection.spent == Decimal("20") and "€" in projection.explanation and "$" not in projection.explanation


def test_a_budget_counts_in_its_own_currency(store):
    store.upsert([_cost(date(2026, 11, d), "11.60") for d in range(1, 6)])
    _rates(store, (date(2026, 11, 1), "1.16"))
    made = budgets.create(store, budgets.validate("AI", "month", "total", "", "100", "50", currency="EUR"))
    dollars = budgets.create(store, budgets.validate("AI in USD", "month", "total", "", "100", "50"))
    assert budgets.get(store, made.budget_id).currency == "EUR"
    eur, usd = (budgets.status(store, b, date(2026, 11, 5)) for b in (made, dollars))
    assert eur.spent == Decimal("50") and eur.crossed == (50,)
    assert usd.spent == Decimal("58.00") and usd.crossed == (50,)
    with pytest.raises(budgets.BudgetInvalid) as err:
        budgets.validate("x", "month", "total", "", "0", currency="EUR")
    assert err.value.errors == {"amount": "must be more than €0"}


def test_the_ecbs_rates_of_the_reporting_currency_are_fetched_once(store, ecb_fake):
    store.upsert([_cost(date(2026, 11, 2), "11.00"), _cost(date(2026, 11, 24), "11.00")])
    settings = Settings(ecb_url=ecb_fake.base_url, reporting_currency="eur", max_retries=1)
    today = date(2026, 11, 26)  # a Thursday
    assert currency.refresh_reporting(store, settings, today, sleep=lambda s: None) == ""
    assert len(ecb_fake.requests) == 1 and "startPeriod=2026-10-23" in ecb_fake.requests[0]
    expected = sum(_in_eur("11.00", str(ecb_fake.usd("EUR", d))) for d in (date(2026, 11, 2), date(2026, 11, 24)))
    assert queries.total_spend(store, IN_EUR) == expected
    assert currency.refresh_reporting(store, settings, today) == ""  # up to date: nothing asked
    assert len(ecb_fake.requests) == 1
    for day in (29, 29, 30):  # Sunday asks for Friday's once; Monday morning has nothing newer to ask for
        assert currency.refresh_reporting(store, settings, date(2026, 11, day)) == ""
    assert len(ecb_fake.requests) == 2 and "startPeriod=2026-11-27" in ecb_fake.requests[1]
    ecb_fake.faults.extend([(503, {}, "down")] * 5)
    line = currency.refresh_reporting(store, settings, date(2026, 12, 2), sleep=lambda s: None)
    assert line.startswith("The ECB's rates could not be fetched: EUR (") and "\n" not in line
    assert queries.total_spend(store, IN_EUR) == expected  # the rates known still serve


def test_usd_reports_need_no_rate_and_ask_nothing(store, ecb_fake):
    store.upsert([_cost(date(2026, 11, 2), "11.00")])
    assert currency.refresh_reporting(store, Settings(ecb_url=ecb_fake.base_url), date(2026, 11, 26)) == ""
    assert ecb_fake.requests == [] and queries.total_spend(store, NOVEMBER) == Decimal("11.00")


def test_report_in_another_currency_names_it_and_matches_the_read_models(cli, store):
    store.upsert([_cost(date(2026, 11, 2), "116.00"), _cost(date(2026, 11, 3), "11.60", provider="anthropic")])
    _rates(store, (date(2026, 11, 2), "1.16"))
    done = cli("report", "--since", "2026-11-01", "--until", "2026-11-30", "--json", env={"AICOST_REPORTING_CURRENCY": "eur"})
    assert done.returncode == 0, done.stderr
    rows = {r["provider"]: r for r in json.loads(done.stdout)}
    assert Decimal(str(rows["openai"]["cost_eur"])) == Decimal("100") and "cost_usd" not in rows["openai"]
    assert Decimal(str(rows["anthropic"]["cost_eur"])) == Decimal("10")
    assert "Amounts in EUR" in done.stderr and "1 EUR = 1.16 USD on 2026-11-02" in done.stderr
    table = cli("report", "--since", "2026-11-01", "--currency", "GBP")
    assert table.returncode != 0 and table.stderr.count("\n") == 1 and "aicost rates set GBP" in table.stderr
    text = cli("report", "--since", "2026-11-01", "--until", "2026-11-30", "--currency", "eur")
    assert "COST EUR" in text.stdout and "110.00" in text.stdout and "$" not in text.stdout
    usd = cli("report", "--since", "2026-11-01", "--until", "2026-11-30", "--json")
    assert [r["cost_usd"] for r in json.loads(usd.stdout)] == [11.6, 116.0] and usd.stderr == ""


def test_a_reporting_currency_that_is_no_code_is_one_line(cli, store):
    done = cli("report", env={"AICOST_REPORTING_CURRENCY": "euro"})
    assert done.returncode != 0 and done.stderr.count("\n") == 1
    assert "AICOST_REPORTING_CURRENCY" in done.stderr and "not a currency code" in done.stderr


def test_alerts_say_a_budgets_amounts_in_its_currency(store):
    store.upsert([_cost(date(2026, 11, d), "11.60") for d in range(1, 6)])
    _rates(store, (date(2026, 11, 1), "1.16"))
    budgets.create(store, budgets.validate("AI", "month", "total", "", "100", "50", False, currency="EUR"))
    due = alerts.due(store, Settings(reporting_currency="EUR", ecb_url=""), date(2026, 11, 5))
    assert [(a.subject, a.body) for a in due] == [
        ("Budget 'AI': 50% reached", "€50.00 of €100.00 spent (50%) on all spend, month 2026-11 (UTC).")]


@pytest.mark.parametrize("code, usd, per_usd", [("JPY", "0.0064", "156.25"), ("IDR", "0.0000625", "16000"),
                                                ("GBP", "1.28", "0.78125")])
def test_large_amounts_convert_exactly_in_currencies_of_any_size(store, code, usd, per_usd):
    store.upsert([_cost(date(2026, 11, d), "999999.999999999") for d in range(1, 31)])
    currency.store_rates(store, [currency.Rate(code, Decimal(usd), date(2026, 11, 1), currency.ENTERED)])
    total = queries.total_spend(store, dataclasses.replace(NOVEMBER, currency=code))
    assert total == ledger.money(30 * Decimal("999999.999999999") * Decimal(per_usd))


def test_a_budget_in_a_currency_with_no_rate_says_so_and_the_others_still_count(store, ecb_fake):
    store.upsert([_cost(date(2026, 11, d), "11.60") for d in range(1, 6)])
    pounds = budgets.create(store, budgets.validate("Pounds", "month", "total", "", "100", currency="GBP"))
    dollars = budgets.create(store, budgets.validate("Dollars", "month", "total", "", "100", "50", False))
    by_name = {s.budget.name: s for s in budgets.statuses(store, date(2026, 11, 5))}
    assert "there is no GBP rate" in by_name["Pounds"].problem and by_name["Pounds"].spent == 0
    assert by_name["Dollars"].problem == "" and by_name["Dollars"].crossed == (50,)
    due = alerts.due(store, Settings(ecb_url=""), date(2026, 11, 5))
    assert [a.subject for a in due] == ["Budget 'Dollars': 50% reached"]  # the alert check still runs
    # a sync's rate refresh fetches the budget's currency too, though the reporting currency is USD
    settings = Settings(ecb_url=ecb_fake.base_url, max_retries=1)
    assert currency.refresh_reporting(store, settings, date(2026, 11, 5), sleep=lambda s: None) == ""
    assert len(ecb_fake.requests) == 1 and "/D.GBP+USD.EUR" in ecb_fake.requests[0]
    assert budgets.status(store, pounds, date(2026, 11, 5)).spent > 0
    assert dollars.currency == "USD"


def test_anomaly_floors_are_worth_a_dollar_in_any_currency(store):
    # 28 quiet days of $0.20, then $0.90: 4.5x the usual but under a dollar above it, so not an anomaly
    store.upsert([_cost(date(2026, 10, 1) + timedelta(days=i), "0.20") for i in range(56)]
                 + [_cost(date(2026, 11, 26), "0.90")])
    currency.store_rates(store, [currency.Rate("JPY", Decimal("0.0064"), date(2026, 9, 1), currency.ENTERED)])
    for code in ("USD", "JPY"):  # ¥109 above ¥31: still under ¥156.25, a dollar
        found = anomalies.detect(store, date(2026, 11, 26), days=1, levels=("provider",), currency=code)
        assert found.empty, code
