"""Amounts typed in, imported or entered as rates in another currency than USD: the manual entry (library, command
line and page), the CSV template's `currency` column, `aicost rates`, and the Reconciliation page's table of what
was converted at which rate; a missing rate refuses the entry in one line and writes nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.errors import InvalidInput
from aicost.sources import currency, imports, manual
from aicost.sources.manual import Entry
from tests import days

pytestmark = pytest.mark.dates  # the page test enters a day of this month

DAY = days.TODAY - timedelta(days=9)


def _rows(store):
    return store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY entry_id").astype(str).to_dict("records")


def test_a_euro_entry_keeps_its_amount_and_counts_in_dollars_at_the_ecb_rate(store, ecb_fake):
    entry_id = manual.add(store, Entry(provider="Mistral", date=DAY, cost="100.00", currency="eur"))
    row = manual.get(store, entry_id)
    rate = ecb_fake.usd("EUR", DAY)
    assert (row["amount"], row["currency"], row["fx_source"]) == (Decimal("100.00"), "EUR", "ECB reference rate")
    assert Decimal(str(row["fx_rate"])) == rate and Decimal(str(row["cost_usd"])) == ledger.money(100 * rate)
    assert str(row["fx_date"])[:10] <= DAY.isoformat()


def test_no_rate_refuses_the_entry_in_one_line_and_writes_nothing(store):
    before = _rows(store)
    with pytest.raises(InvalidInput) as caught:
        manual.add(store, Entry(provider="Mistral", date=DAY, cost="100", currency="EUR"))
    assert "aicost rates set EUR" in str(caught.value) and "\n" not in str(caught.value)
    assert _rows(store) == before


def test_a_currency_without_a_cost_is_refused(store):
    with pytest.raises(InvalidInput, match="a currency goes with a cost"):
        manual.add(store, Entry(provider="Groq", date=DAY, input_tokens="1000", model="llama-3.3-70b-versatile",
                                currency="EUR"))


def test_an_entered_rate_converts_an_imported_template_line(store):
    currency.store_rates(store, [currency.Rate("GBP", Decimal("1.25"), DAY - timedelta(days=40), currency.ENTERED)])
    data = (f"date,provider,cost_usd,currency,note\n{DAY},Perplexity,80.00,GBP,invoice\n"
            f"{DAY},Groq,3.50,,in dollars\n").encode()
    result = imports.import_bytes(store, data, "invoices.csv")
    assert result.upsert.new == 2
    rows = store.frame("SELECT provider, amount, currency, fx_rate, cost_usd FROM usage ORDER BY provider")
    assert rows["cost_usd"].map(lambda v: Decimal(str(v))).tolist() == [Decimal("3.50"), Decimal("100.00")]
    assert rows["currency"].tolist()[1] == "GBP" and Decimal(str(rows["amount"][1])) == Decimal("80.00")


def test_an_import_with_a_line_it_cannot_convert_writes_nothing(store):
    before = _rows(store)
    data = f"date,provider,cost_usd,currency\n{DAY},Groq,3.50,\n{DAY},Perplexity,80.00,CHF\n".encode()
    with pytest.raises(InvalidInput, match="no CHF to USD rate"):
        imports.import_bytes(store, data, "invoices.csv")
    assert _rows(store) == before


def test_rates_and_a_euro_entry_from_the_command_line(cli, store):
    done = cli("rates", "set", "eur", "1.16", "--on", (DAY - timedelta(days=3)).isoformat())
    assert done.returncode == 0 and "1 EUR = 1.16 USD" in done.stdout
    done = cli("add", "--provider", "mistral", "--date", DAY.isoformat(), "--cost", "250", "--currency", "EUR")
    assert done.returncode == 0, done.stderr
    assert "$290.00" in done.stdout and "EUR 250.00 at 1 EUR = 1.16 USD" in done.stdout
    listed = cli("rates", "list").stdout.splitlines()
    assert listed[0].split("\t") == ["currency", "day", "usd", "source"]
    assert listed[1].split("\t") == ["EUR", (DAY - timedelta(days=3)).isoformat(), "1.16", "entered rate"]
    focus = list(csv.DictReader(io.StringIO(cli("export", "--format", "focus").stdout)))
    assert len(focus) == 1 and focus[0]["BilledCost"] == "290.000000000" and focus[0]["BillingCurrency"] == "USD"
    assert (focus[0]["x_BilledAmount"], focus[0]["x_BilledCurrency"], focus[0]["x_ExchangeRate"]) == (
        "250.000000000", "EUR", "1.16")
    assert focus[0]["x_ExchangeRateDate"] == (DAY - timedelta(days=3)).isoformat()
    plain = list(csv.DictReader(io.StringIO(cli("export", "--format", "csv").stdout)))
    assert (plain[0]["amount"], plain[0]["currency"], plain[0]["fx_source"]) == ("250.000000000", "EUR", "entered rate")
    for bad, says in ((("rates", "set", "EUR", "-1"), "is not a rate"), (("rates", "set", "USD", "1"), "need no rate"),
                      (("add", "--provider", "mistral", "--date", DAY.isoformat(), "--cost", "1", "--currency",
                        "EURO"), "not a currency code")):
        failed = cli(*bad)
        assert failed.returncode != 0 and says in failed.stderr and "Traceback" not in failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1


def test_the_page_takes_a_currency_and_reconciliation_shows_the_rate(app_test, store):
    from tests.pages.test_manual_entry_page import fill, submit

    day = days.TODAY  # in every page's default period (the last 30 days), whatever day the suite runs on
    currency.store_rates(store, [currency.Rate("EUR", Decimal("1.1"), day - timedelta(days=1), currency.ENTERED)])
    at = app_test("pages/manual_entry.py").run()
    fill(at, provider="Perplexity", date=day, cost="10", currency="EUR")
    submit(at)
    saved = [s.value for s in at.success]
    assert saved and "$11.00" in saved[0] and "EUR 10.00 at 1 EUR = 1.1 USD (entered rate of" in saved[0]
    rows = at.dataframe[0].value if at.dataframe else None
    assert rows is not None and "EUR 10.00 at 1 EUR = 1.1 USD" in rows["Billed in"].tolist()[0]
    page = app_test("pages/reconciliation.py").run()
    assert not page.exception
    tables = [d.value for d in page.dataframe if "Currency" in d.value.columns]
    assert tables and tables[0]["Billed"].tolist() == ["EUR 10.00"] and tables[0]["In USD"].tolist() == ["$11.00"]
    assert tables[0]["Rates"].tolist() == ["1 EUR = 1.1 USD"] and tables[0]["Source"].tolist() == ["entered rate"]


def test_lines_of_one_day_and_key_in_different_currencies_are_refused_not_added(cli, store, tmp_path):
    currency.store_rates(store, [currency.Rate("EUR", Decimal("1.16"), DAY - timedelta(days=40), currency.ENTERED)])
    before = _rows(store)
    f = tmp_path / "invoices.csv"
    f.write_text(f"date,provider,cost_usd,currency\n{DAY},Mistral,100.00,EUR\n{DAY},Mistral,50.00,usd\n"
                 f"{DAY},Groq,1.00,\n{DAY},Groq,2.00,USD\n")  # Groq's two lines are both dollars: they add up
    out = cli("import", str(f))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert ("rows 2, 3 are one day and key but in different currencies (EUR, USD): their amounts cannot be added"
            in out.stderr)
    assert _rows(store) == before
    f.write_text(f"date,provider,cost_usd,currency\n{DAY},Mistral,100.00,EUR\n{DAY},Mistral,50.00,eur\n"
                 f"{DAY},Groq,1.00,\n{DAY},Groq,2.00,USD\n")
    assert cli("import", str(f)).returncode == 0
    rows = store.frame("SELECT provider, amount, currency, cost_usd FROM usage ORDER BY provider")
    assert [Decimal(str(v)) for v in rows["cost_usd"]] == [Decimal("3.00"), Decimal("174.00")]
    assert Decimal(str(rows["amount"][1])) == Decimal("150.00") and rows["currency"][1] == "EUR"
