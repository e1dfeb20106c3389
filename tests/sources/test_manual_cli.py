"""`python -m aicost add | import | entries` as real processes: one-line errors, non-zero exit, ledger untouched."""

from datetime import datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.sources import manual
from tests import days
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "imports"
TOMORROW = days.TOMORROW.isoformat()


def snapshot(store):
    return store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY entry_id").astype(str).to_dict("records")


def test_add_then_list_and_delete(cli, store):
    r = cli("add", "--provider", "Groq ", "--date", "2026-03-01", "--model", "llama-3.3-70b-versatile",
            "--input-tokens", "1000000", "--output-tokens", "1000000", "--requests", "12", "--note", "console")
    assert r.returncode == 0, r.stderr
    assert "Groq" in r.stdout and "$1.38 " in r.stdout and "estimated" in r.stdout
    r = cli("add", "--provider", "perplexity", "--date", "2026-02-01", "--until", "2026-02-28", "--cost", "28")
    assert r.returncode == 0, r.stderr
    r = cli("add", "--provider", "Local model", "--date", "2026-02-01", "--self-hosted", "--requests", "5")
    assert r.returncode == 0 and "self-hosted" in r.stdout
    listed = cli("entries", "list")
    lines = listed.stdout.strip().splitlines()
    assert listed.returncode == 0 and len(lines) == 4 and lines[0].startswith("entry_id\tsource")
    header, *rows = [line.split("\t") for line in lines]
    by_provider = {row[header.index("provider")]: dict(zip(header, row)) for row in rows}
    assert by_provider["groq"]["label"] == "user-entered, estimated"
    perplexity = by_provider["perplexity"]  # a period: its first and last day, never a "28d" label
    assert (perplexity["start_day"], perplexity["end_day"], perplexity["label"]) == (
        "2026-02-01", "2026-02-28", "user-entered")
    entry_id = lines[1].split("\t")[0]
    r = cli("entries", "delete", entry_id)
    assert r.returncode == 0 and entry_id in r.stdout
    assert store.count() == 2


@pytest.mark.parametrize("args, line", [
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "-5"], "--cost: must not be negative"),
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "NaN"], "--cost: is not a number (NaN)"),
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "inf"], "--cost: must be finite"),
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "1000001"], "--cost: 1000001 is over the ceiling"),
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "1,5"],
     "--cost: '1,5' is not an amount: use a dot for decimals"),  # not $15
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "1,50"], "--cost: '1,50' is not an amount"),
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "12,34,5"], "--cost: '12,34,5' is not an amount"),
    (["--provider", "local", "--date", "2026-03-01", "--self-hosted", "--cost", "5"],
     "--cost: a self-hosted entry costs $0 by intent; give --cost or --self-hosted, not both"),
    (["--provider", "groq", "--date", "2026-3-1x", "--cost", "5"], "--date: '2026-3-1x' is not a date"),
    pytest.param(["--provider", "groq", "--date", TOMORROW, "--cost", "5"], "is in the future (UTC)",
                 marks=pytest.mark.dates),
    (["--provider", "groq", "--date", "2026-03-10", "--until", "2026-03-01", "--cost", "5"], "--until: 2026-03-01 is before"),
    (["--provider", "  ", "--date", "2026-03-01", "--cost", "5"], "--provider: is empty"),
    (["--provider", "groq", "--date", "2026-03-01", "--input-tokens", "1.5"], "--input-tokens: '1.5' is not a whole number"),
    (["--provider", "groq", "--date", "2026-03-01", "--output-tokens", "-2"], "--output-tokens: must not be negative"),
    (["--provider", "groq", "--date", "2026-03-01", "--cost", "1", "--requests", "x"], "--requests: 'x' is not a whole"),
    (["--provider", "openai", "--date", "2026-03-01", "--subscription"],
     "--cost: a subscription is an amount: give what the seats or the plan cost"),
    (["--provider", "openai", "--date", "2026-03-01", "--subscription", "--cost", "25", "--requests", "3"],
     "--requests: a subscription has no usage counts"),
])
def test_add_rejects_with_one_line_and_writes_nothing(cli, store, args, line):
    manual.add(store, manual.Entry("groq", "2026-03-01", cost="1"))
    before = snapshot(store)
    r = cli("add", *args)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("aicost: error: ") and line in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert "untick" not in r.stderr  # the page's words, not the command line's
    assert snapshot(store) == before


@pytest.mark.parametrize("cost, amount", [("1,234.50", "1234.5"), ("12,345", "12345"), ("$1,000", "1000")])
def test_add_takes_a_comma_as_thousands_separator(cli, store, cost, amount):
    r = cli("add", "--provider", "perplexity", "--date", "2026-03-01", "--cost", cost)
    assert r.returncode == 0, r.stderr
    assert store.scalar(f"SELECT cost_usd FROM {ledger.TABLE}") == Decimal(amount)


def test_entries_list_limit(cli, store):
    for day in range(1, 4):
        manual.add(store, manual.Entry("groq", f"2026-03-0{day}", cost="1"))
    r = cli("entries", "list", "--limit", "2")
    assert r.returncode == 0 and [line.split("\t")[3] for line in r.stdout.splitlines()[1:]] == [
        "2026-03-03", "2026-03-02"]
    for bad in ("0", "-5", "x"):
        r = cli("entries", "list", "--limit", bad)
        assert r.returncode == 2 and r.stderr == f"aicost: error: argument --limit: {bad!r} is not a whole number of 1 or more\n"


def test_import_each_format_and_reimport(cli, store):
    for name, fmt in (("anthropic_usage_2026-03.csv", "anthropic"), ("premium_request_usage_report.csv", "copilot"),
                      ("completions_usage_2026-03-01_2026-03-02.csv", "openai"), ("generic_template.csv", "generic")):
        r = cli("import", str(FIXTURES / name))
        assert r.returncode == 0, r.stderr
        assert f"({fmt})" in r.stdout and "0 unchanged" in r.stdout
        again = cli("import", str(FIXTURES / name), "--format", fmt)
        assert again.returncode == 0 and "0 new, 0 updated" in again.stdout
    assert store.count() == 11


def test_bad_file_rejected_with_row_numbers(cli, store):
    assert cli("import", str(FIXTURES / "generic_template.csv")).returncode == 0
    before = snapshot(store)
    r = cli("import", str(FIXTURES / "generic_bad.csv"))
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "generic_bad.csv: rejected, nothing imported: 5 bad row(s): row 2: cost_usd: must not be negative" in r.stderr
    assert snapshot(store) == before


def test_import_missing_file_and_size_limit(cli, store, tmp_path):
    r = cli("import", str(tmp_path / "nope.csv"))
    assert r.returncode == 1 and "cannot be read" in r.stderr
    r = cli("import", str(FIXTURES / "generic_template.csv"), env={"AICOST_IMPORT_MAX_BYTES": "50"})
    assert r.returncode == 1 and "over the import limit of 50" in r.stderr
    assert store.count() == 0


def test_entries_delete_refuses_unknown_and_api_rows(cli, store):
    store.upsert([{"provider": "openai", "source": "api", "kind": "cost", "bucket_start": datetime(2026, 3, 1),
                   "bucket_width": "1d", "item": "x", "cost_usd": 1, "cost_status": "billed"}])
    before = snapshot(store)
    for ident, words in (("nope", "no entry with id 'nope'"), ("", "read-only")):
        r = cli("entries", "delete", ident)
        assert r.returncode == 1 and words in r.stderr and "Traceback" not in r.stderr
    assert snapshot(store) == before


def test_import_over_api_days_notes_covered_rows_on_stderr(cli, store):
    store.upsert([{"provider": "anthropic", "source": "api", "kind": "cost", "bucket_start": datetime(2026, 3, 22),
                   "bucket_width": "1d", "item": "x", "cost_usd": 1, "cost_status": "billed"}])
    r = cli("import", str(FIXTURES / "anthropic_usage_2026-03.csv"))
    assert r.returncode == 0 and "3 new" in r.stdout
    assert r.stderr.startswith("aicost: warning: ") and "not counted as spend" in r.stderr


def test_import_takes_thousands_commas_and_rejects_decimal_commas(cli, store, tmp_path):
    good = tmp_path / "invoices.csv"
    good.write_text('date,provider,cost_usd\n2026-03-01,perplexity,"1,234.50"\n')
    r = cli("import", str(good))
    assert r.returncode == 0, r.stderr
    assert store.scalar(f"SELECT cost_usd FROM {ledger.TABLE}") == Decimal("1234.5")
    before = snapshot(store)
    bad = tmp_path / "european.csv"
    bad.write_text('date,provider,cost_usd\n2026-03-02,perplexity,"1,5"\n')
    r = cli("import", str(bad))
    assert r.returncode == 1 and "row 2: cost_usd: '1,5' is not an amount: use a dot for decimals" in r.stderr
    assert snapshot(store) == before


def test_add_a_subscription(cli, store):
    r = cli("add", "--provider", "GitHub Copilot", "--date", "2026-03-01", "--until", "2026-03-31", "--cost", "190",
            "--subscription", "--note", "Copilot Business, 10 seats")
    assert r.returncode == 0, r.stderr
    row = store.frame(f"SELECT provider, kind, cost_usd, cost_status, bucket_width FROM {ledger.TABLE}").iloc[0]
    assert (row["provider"], row["kind"], row["cost_usd"], row["cost_status"], row["bucket_width"]) == (
        "github-copilot", ledger.KIND_SUBSCRIPTION, Decimal("190"), ledger.COST_ENTERED, "31d")
