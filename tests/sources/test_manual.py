"""Manual entries: validation (nothing written on failure), estimates, edit/delete, period spreading."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.config.settings import get_settings
from aicost.errors import InvalidInput
from aicost.ledger import fields
from aicost.sources import catalog, manual
from aicost.sources.manual import Entry

pytestmark = pytest.mark.both_backends

TODAY = date(2026, 3, 31)


def add(store, **kw):
    return manual.add(store, Entry(**{"provider": "groq", "date": "2026-03-01", **kw}), today=TODAY)


def snapshot(store):
    return store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY entry_id").astype(str).to_dict("records")


@pytest.mark.parametrize("name", ["groq", "Groq ", " GROQ", "GroqCloud"])
def test_provider_names_are_normalised(name):
    assert catalog.normalize_provider(name) == "groq"


def test_provider_normalisation_collapses_spaces():
    assert catalog.normalize_provider("  My   Own  Box ") == "my-own-box"
    assert catalog.normalize_provider("GitHub Copilot") == "github-copilot"
    assert catalog.normalize_provider("Local model") == "local"
    assert catalog.display_name("github-copilot") == "GitHub Copilot"


def test_cost_entry(store):
    entry_id = add(store, provider="Groq ", cost="12.50", note="console figure")
    row = manual.get(store, entry_id)
    assert row["provider"] == "groq" and row["source"] == "manual" and row["kind"] == ledger.KIND_COST
    assert row["cost_usd"] == Decimal("12.5") and row["cost_status"] == ledger.COST_ENTERED
    assert row["confidence"] == "user-entered" and row["bucket_width"] == "1d"
    assert row["bucket_start"] == datetime(2026, 3, 1) and row["bucket_end"] == datetime(2026, 3, 2)
    assert len(entry_id) == 32


def test_two_identical_entries_do_not_collide(store):
    a, b = add(store, cost="1"), add(store, cost="1")
    assert a != b and store.count() == 2


def test_tokens_without_cost_are_estimated(store):
    row = manual.get(store, add(store, model="llama-3.3-70b-versatile", input_tokens="1000000", output_tokens="1000000"))
    # Groq llama-3.3-70b-versatile: $0.59 / MTok in, $0.79 / MTok out
    assert row["cost_usd"] == Decimal("1.38") and row["cost_status"] == ledger.COST_ESTIMATED
    assert row["estimate_usd"] == Decimal("1.38") and row["price_source"].startswith("genai-prices ")
    assert row["kind"] == ledger.KIND_USAGE


def test_unknown_model_is_unpriced_not_zero(store):
    row = manual.get(store, add(store, model="mystery-7b", input_tokens="500", output_tokens="5"))
    assert row["cost_usd"] is None and row["cost_status"] == ledger.COST_UNPRICED
    assert manual.label("manual", row["cost_status"]) == "user-entered, unpriced"


def test_local_model_self_hosted_is_zero_by_intent(store):
    row = manual.get(store, add(store, provider="Local model", model="llama3", input_tokens="100", self_hosted=True))
    assert row["provider"] == "local" and row["cost_usd"] == 0 and row["cost_status"] == ledger.COST_SELF_HOSTED
    priced = manual.get(store, add(store, provider="local", model="llama3", cost="4.20"))
    assert priced["cost_status"] == ledger.COST_ENTERED


@pytest.mark.parametrize("kw, field, words", [
    ({"cost": "-1"}, "cost", "negative"),
    ({"cost": "NaN"}, "cost", "NaN"),
    ({"cost": "Infinity"}, "cost", "finite"),
    ({"cost": "-inf"}, "cost", "finite"),
    ({"cost": "1000000.01"}, "cost", "ceiling"),
    ({"cost": "12abc"}, "cost", "not a number"),
    ({"cost": "0.0000000001"}, "cost", "decimal places"),
    ({"date": "2026-02-30", "cost": "1"}, "date", "YYYY-MM-DD"),
    ({"date": "yesterday", "cost": "1"}, "date", "YYYY-MM-DD"),
    ({"date": "2026-04-01", "cost": "1"}, "date", "future"),
    ({"date": "2026-03-10", "until": "2026-03-09", "cost": "1"}, "until", "before"),
    ({"date": "2026-03-10", "until": "2026-04-02", "cost": "1"}, "until", "future"),
    ({"provider": "   ", "cost": "1"}, "provider", "empty"),
    ({"input_tokens": "1.5"}, "input_tokens", "whole number"),
    ({"input_tokens": "-3"}, "input_tokens", "negative"),
    ({"output_tokens": "ten"}, "output_tokens", "whole number"),
    ({"requests": "2.5", "cost": "1"}, "requests", "whole number"),
    ({"requests": "-1", "cost": "1"}, "requests", "negative"),
    ({}, "cost", "give a cost"),
    ({"provider": "local", "cost": "3", "self_hosted": True}, "cost", "self-hosted"),
    ({"cost": "1,5"}, "cost", "use a dot for decimals"),  # a decimal comma is never read as thousands
])
def test_invalid_input_is_rejected_and_nothing_written(store, kw, field, words):
    add(store, cost="1")
    before = snapshot(store)
    with pytest.raises(InvalidInput) as info:
        add(store, **kw)
    assert info.value.field == field and words in info.value.reason
    assert snapshot(store) == before


def test_ceiling_is_a_setting(store, monkeypatch):
    monkeypatch.setenv("AICOST_MAX_ROW_COST_USD", "100")
    with pytest.raises(InvalidInput, match="ceiling"):
        manual.add(store, Entry("groq", "2026-03-01", cost="100.01"), settings=get_settings(), today=TODAY)
    assert store.count() == 0
    monkeypatch.delenv("AICOST_MAX_ROW_COST_USD")
    assert add(store, cost="1000000")  # the default ceiling itself is accepted


def test_edit_keeps_id_and_replaces_row(store):
    entry_id = add(store, cost="5")
    manual.edit(store, entry_id, Entry("perplexity", "2026-03-02", cost="7.25", note="fixed"), today=TODAY)
    row = manual.get(store, entry_id)
    assert store.count() == 1
    assert (row["provider"], row["bucket_start"], row["cost_usd"], row["note"]) == (
        "perplexity", datetime(2026, 3, 2), Decimal("7.25"), "fixed")


def test_invalid_edit_leaves_row_alone(store):
    entry_id = add(store, cost="5")
    before = snapshot(store)
    with pytest.raises(InvalidInput):
        manual.edit(store, entry_id, Entry("groq", "2026-03-02", cost="-7"), today=TODAY)
    assert snapshot(store) == before


def test_delete(store):
    keep, gone = add(store, cost="1"), add(store, cost="2")
    manual.delete(store, gone)
    assert list(manual.list_entries(store)["entry_id"]) == [keep]
    with pytest.raises(InvalidInput, match="no entry"):
        manual.delete(store, gone)


def test_api_rows_are_read_only(store):
    store.upsert([{"provider": "openai", "source": "api", "kind": "cost", "bucket_start": datetime(2026, 3, 1),
                   "bucket_width": "1d", "item": "gpt-4o input", "cost_usd": Decimal("3"), "cost_status": "billed"}])
    before = snapshot(store)
    for action in (lambda: manual.delete(store, ""), lambda: manual.edit(store, "", Entry("x", "2026-03-01", cost="1"))):
        with pytest.raises(InvalidInput, match="read-only"):
            action()
    assert snapshot(store) == before
    assert manual.list_entries(store).empty


def test_period_entry_is_spread_evenly_over_its_days(store):
    manual.add(store, Entry("Perplexity", "2026-03-01", until="2026-03-30", cost="30.00"), today=TODAY)
    row = store.frame(f"SELECT bucket_width, bucket_end FROM {ledger.TABLE}").iloc[0]
    assert row["bucket_width"] == "30d" and row["bucket_end"] == datetime(2026, 3, 31)
    days = queries.totals_by(store, queries.Filters(date(2026, 3, 1), date(2026, 3, 31)), "day")
    by_day = dict(zip(days["day"], days["cost_usd"], strict=True))
    assert len(by_day) == 30 and set(by_day.values()) == {Decimal(1)}
    assert date(2026, 3, 31) not in by_day
    assert queries.total_spend(store, queries.Filters.everything()) == Decimal(30)


def test_uneven_period_adds_up_exactly(store):
    manual.add(store, Entry("groq", "2026-03-01", until="2026-03-03", cost="10"), today=TODAY)
    days = queries.totals_by(store, queries.Filters(date(2026, 3, 1), date(2026, 3, 3)), "day")
    assert sum(days["cost_usd"]) == Decimal(10)
    assert max(days["cost_usd"]) - min(days["cost_usd"]) <= Decimal("0.000000001")


CEILING = Decimal(10_000_000)


@pytest.mark.parametrize("text, amount", [
    ("1,234.50", Decimal("1234.5")), ("12,345", Decimal(12345)), ("$1,234", Decimal(1234)),
    ("1,234,567.25", Decimal("1234567.25")), (" 999,999.99 ", Decimal("999999.99")), ("1,000.", Decimal(1000)),
    ("1.5", Decimal("1.5")), ("1234.50", Decimal("1234.5")),
])
def test_money_takes_commas_only_as_thousands_separators(text, amount):
    assert fields.money(text, "cost", CEILING) == amount


@pytest.mark.parametrize("text", ["1,5", "1,50", "12,34,5", "0,500", "1,2345", "1,234,5", "1,234.5,0", ",5", "1,",
                                  "$1,5", "01,234", "1,234,56"])
def test_money_rejects_other_commas_naming_the_field(text):
    with pytest.raises(InvalidInput) as info:
        fields.money(text, "amount", CEILING)
    assert info.value.field == "amount" and repr(text) in info.value.reason
    assert "use a dot for decimals" in info.value.reason
    assert str(info.value).startswith("amount: ")


@pytest.mark.parametrize("text", ["1_5", "1 5", "1_000.00"])
def test_money_rejects_underscores_and_inner_spaces(text):
    # Python's Decimal() reads "1_5" as 15; an amount a person typed never means that
    with pytest.raises(InvalidInput, match="is not a number"):
        fields.money(text, "cost", CEILING)


def test_self_hosted_with_a_cost_is_worded_for_any_caller(store):
    entry = Entry("local", "2026-03-01", cost="5", self_hosted=True)
    with pytest.raises(InvalidInput) as info:
        manual.add(store, entry, today=TODAY)
    assert info.value.field == "cost" and "untick" not in info.value.reason and "--" not in info.value.reason
    assert "leave the cost empty, or do not mark the entry self-hosted" in info.value.reason
    with pytest.raises(InvalidInput) as info:  # a caller naming its own fields (the command line's options)
        manual.add(store, entry, today=TODAY, names={"cost": "--cost", "self_hosted": "--self-hosted"})
    assert str(info.value) == "--cost: a self-hosted entry costs $0 by intent; give --cost or --self-hosted, not both"
    with pytest.raises(InvalidInput) as info:  # fields the caller did not name keep their own name
        manual.add(store, Entry("groq", "2026-03-01", requests="x"), today=TODAY, names={"cost": "--cost"})
    assert info.value.field == "requests"
    assert store.count() == 0
