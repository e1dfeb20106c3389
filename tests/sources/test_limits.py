"""What the ledger can hold is checked before anything is written: counts, amounts, sums of merged rows, days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.errors import InvalidInput, InvalidResponse
from aicost.sources import manual
from aicost.sources.anthropic import normalize as anthropic_rows
from tests.days import TODAY

pytestmark = pytest.mark.both_backends


def snapshot(store):
    return store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY entry_id").astype(str).to_dict("records")


@pytest.mark.parametrize("args, line", [
    (["--input-tokens", str(2**62)], "--input-tokens: these tokens are estimated at $2,720,894,750,872.16, over the "
                                     "ceiling of $1,000,000 per row (AICOST_MAX_ROW_COST_USD)"),
    (["--input-tokens", str(2 * 10**15)], "--input-tokens: these tokens are estimated at $1,180,000,000.00, over the "
                                          "ceiling"),
    (["--input-tokens", str(2**63)], "--input-tokens: 9,223,372,036,854,775,808 is more than the ledger can hold"),
    (["--requests", str(2**70)], "--requests: 1,180,591,620,717,411,303,424 is more than the ledger can hold"),
    (["--cost", "1e12"], "--cost: 1E+12 is over the ceiling of $1,000,000 per row"),
])
def test_huge_numbers_are_refused_in_one_line_and_nothing_is_written(cli, store, args, line):
    manual.add(store, manual.Entry("groq", "2026-03-01", cost="1"))
    before = snapshot(store)
    out = cli("add", "--provider", "groq", "--date", "2026-03-01", "--model", "llama-3.3-70b-versatile", *args)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert line in out.stderr
    assert snapshot(store) == before


def test_rows_merged_under_one_key_are_checked_as_their_sum(cli, store, tmp_path):
    f = tmp_path / "invoices.csv"
    f.write_text("date,provider,cost_usd\n" + "2026-03-01,groq,1000000\n" * 5)
    out = cli("import", str(f))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert ("row 2: cost_usd: rows 2, 3, 4, 5, 6 are one day and key and add up to $5,000,000.00, over the ceiling "
            "of $1,000,000 per row") in out.stderr
    f.write_text("date,provider,model,input_tokens\n" + f"2026-03-01,local,my-model,{2**62}\n" * 3)
    out = cli("import", str(f))
    assert out.returncode == 1 and "rows 2, 3, 4 are one day and key and add up to" in out.stderr
    assert store.count() == 0


def test_a_provider_count_past_the_ledger_fails_that_sync_in_one_line():
    bucket = {"starting_at": "2026-03-01T00:00:00Z", "ending_at": "2026-03-02T00:00:00Z", "results": [{
        "uncached_input_tokens": 2**64, "cache_read_input_tokens": 0, "output_tokens": 1, "model": "x"}]}
    with pytest.raises((InvalidResponse, InvalidInput), match="more than the ledger can hold"):
        rows = anthropic_rows.bucket("messages", bucket)
        ledger.complete(rows[0])


def test_the_ceiling_setting_cannot_pass_what_the_ledger_holds(cli):
    out = cli("report", env={"AICOST_MAX_ROW_COST_USD": "5000000000"})
    assert out.returncode == 1 and out.stderr.startswith("aicost: error: AICOST_MAX_ROW_COST_USD: ")


@pytest.mark.parametrize("given, words", [
    ("1900-01-01", "1900-01-01 is before 2000-01-01, the earliest day aicost accepts"),
    ("0001-01-01", "0001-01-01 is before 2000-01-01"),
    ("2026-11-01 25:99:99", "'2026-11-01 25:99:99' is not a date in the form YYYY-MM-DD"),
])
def test_days_outside_what_aicost_accepts_are_refused(store, given, words):
    with pytest.raises(InvalidInput, match=words):
        manual.add(store, manual.Entry("groq", given, cost="1"), today=TODAY)
    assert store.count() == 0


def test_a_time_part_is_converted_to_its_utc_day_never_cut(store):
    entry_id = manual.add(store, manual.Entry("groq", "2026-11-01T23:59:59-05:00", cost="1"), today=date(2026, 12, 1))
    assert manual.get(store, entry_id)["bucket_start"] == datetime(2026, 11, 2)


def test_the_default_report_and_export_windows_hold_every_row_of_an_older_ledger(cli, store):
    # a row an older aicost accepted (before the earliest-day rule): still counted by "everything"
    store.upsert([{"provider": "groq", "source": "manual", "kind": "cost", "entry_id": "old",
                   "bucket_start": datetime(1900, 1, 1), "bucket_width": "1d", "cost_usd": Decimal("7"),
                   "cost_status": ledger.COST_ENTERED}])
    assert queries.total_spend(store, queries.Filters.everything()) == 7
    out = cli("report", "--json")
    assert out.returncode == 0 and '"cost_usd": 7,' in out.stdout
    exported = cli("export", "--format", "csv")
    assert exported.returncode == 0 and "1900-01-01" in exported.stdout


def test_a_filter_offers_at_most_a_thousand_models_those_with_the_most_spend(store):
    store.upsert([{"provider": "openai", "source": "api", "kind": "cost", "item": f"m{i:05d}, input",
                   "bucket_start": datetime(2026, 3, 1), "bucket_width": "1d", "cost_usd": Decimal(i),
                   "cost_status": ledger.COST_BILLED} for i in range(1, 1501)])
    o = queries.options(store)
    assert (len(o.models), o.models_total) == (queries.MAX_OPTIONS, 1500)
    assert "m01500" in o.models and "m00500" not in o.models and list(o.models) == sorted(o.models)


def test_notes_print_as_text_and_provider_names_have_a_length(cli, store):
    manual.add(store, manual.Entry("groq", "2026-03-01", cost="1", note="\x1b[31mred\x1b[0m\tand\nmore"))
    out = cli("entries", "list")
    assert out.returncode == 0 and "\x1b" not in out.stdout
    assert "\\x1b[31mred\\x1b[0m\\tand\\nmore" in out.stdout
    long = cli("add", "--provider", "x" * 5000, "--date", "2026-03-01", "--cost", "1")
    assert long.returncode == 1 and long.stderr == "aicost: error: --provider: is longer than 64 characters\n"
