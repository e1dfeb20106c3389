"""The command line as a user runs it: real processes against a real ledger file."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest

from aicost import ledger

pytestmark = pytest.mark.both_backends  # each test runs on DuckDB and on a real PostgreSQL


def _seed(store):
    store.upsert([
        {"provider": "openai", "source": "api", "kind": "cost", "item": "gpt-4o, input", "project": "proj_a",
         "bucket_start": datetime(2026, 10, 1), "bucket_width": "1d", "cost_usd": Decimal("1.2378912"),
         "cost_status": ledger.COST_BILLED},
        {"provider": "openai", "source": "api", "kind": "usage", "item": "completions", "model": "gpt-4o",
         "project": "proj_a", "bucket_start": datetime(2026, 10, 1), "bucket_width": "1d", "input_tokens": 1500,
         "cache_read_tokens": 500, "output_tokens": 40, "requests": 3, "cost_status": ledger.COST_COVERED,
         "estimate_usd": Decimal("1.30")},
        {"provider": "groq", "source": "manual", "kind": "cost", "model": "llama", "entry_id": "e1",
         "bucket_start": datetime(2026, 11, 2), "bucket_width": "1d", "cost_usd": Decimal("2.50"),
         "cost_status": ledger.COST_ENTERED, "note": "=HYPERLINK(\"http://evil\")", "input_tokens": 10},
    ])


def test_help_lists_the_commands(cli):
    out = cli("--help")
    assert out.returncode == 0
    for command in ("report", "export", "demo"):
        assert command in out.stdout


def test_report_json_by_provider(cli, store):
    _seed(store)
    out = cli("report", "--by", "provider", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout, parse_float=Decimal)
    assert [d["provider"] for d in data] == ["groq", "openai"]
    openai = data[1]
    assert openai["cost_usd"] == Decimal("1.2378912")  # billed, not billed + estimate
    assert (openai["input_tokens"], openai["output_tokens"], openai["cache_read_tokens"],
            openai["cache_write_tokens"], openai["requests"]) == (1500, 40, 500, 0, 3)


def test_report_json_by_day_and_month_with_bounds(cli, store):
    _seed(store)
    days = json.loads(cli("report", "--by", "day", "--json", "--since", "2026-10-01", "--until", "2026-10-01").stdout)
    assert [d["day"] for d in days] == ["2026-10-01"]
    months = json.loads(cli("report", "--by", "month", "--json").stdout)
    assert [(m["month"], m["cost_usd"]) for m in months] == [("2026-10", 1.2378912), ("2026-11", 2.5)]
    groq = json.loads(cli("report", "--by", "model", "--json", "--provider", "Groq").stdout)
    assert [g["model"] for g in groq] == ["llama"]


def test_report_table_is_readable(cli, store):
    _seed(store)
    out = cli("report", "--by", "project")
    assert out.returncode == 0
    assert "PROJECT" in out.stdout and "proj_a" in out.stdout and "TOTAL" in out.stdout and "3.74" in out.stdout


def test_report_on_an_empty_ledger(cli, store):
    out = cli("report")
    assert out.returncode == 0 and "No spend" in out.stdout
    assert json.loads(cli("report", "--json").stdout) == []


def test_bad_dates_and_options_give_one_line_and_no_traceback(cli, store):
    for args in (["report", "--since", "2026-13-01"], ["report", "--by", "fortnight"],
                 ["report", "--since", "2026-10-05", "--until", "2026-10-01"], ["export", "--format", "xml"]):
        out = cli(*args)
        assert out.returncode != 0, args
        assert "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert out.stderr.startswith("aicost: error:")


def test_unreadable_ledger_is_a_clear_error(cli, tmp_path):
    bad = tmp_path / "not-a-ledger.duckdb"
    bad.write_text("this is not a database")
    out = cli("report", env={"AICOST_DATABASE_URL": f"duckdb:///{bad}"})
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and "cannot open the ledger" in out.stderr


@pytest.mark.parametrize("args, line", [
    (["--to", "notaurl"], "--to: is not a valid database URL: give e.g. duckdb:///path/to/ledger.duckdb or "
                          "postgresql+psycopg://user@host/dbname"),
    (["--to", "mysql://db/aicost"], "--to: unsupported database 'mysql': use duckdb:/// or postgresql+psycopg://"),
    (["--to", "duckdb:///copy.duckdb", "--from", "not a url:s3cret-pw"], "--from: is not a valid database URL"),
])
def test_migrate_ledger_bad_url_names_the_option(cli, store, args, line):
    _seed(store)
    out = cli("migrate-ledger", *args)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith(f"aicost: error: {line}") and len(out.stderr.splitlines()) == 1
    assert "AICOST_DATABASE_URL" not in out.stderr and "s3cret-pw" not in out.stderr
    assert store.count() == 3


def test_export_csv_neutralises_formulas_and_keeps_numbers(cli, store):
    _seed(store)
    out = cli("export", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 3
    assert "bucket_start_utc" in rows[0]
    groq = next(r for r in rows if r["provider"] == "groq")
    assert groq["note"] == "'=HYPERLINK(\"http://evil\")"
    assert groq["cost_usd"] == "2.500000000" and groq["input_tokens"] == "10"


def test_export_json_to_a_file_with_exact_money(cli, store, tmp_path):
    _seed(store)
    target = tmp_path / "out.json"
    out = cli("export", "--format", "json", "--provider", "openai", "--output", str(target))
    assert out.returncode == 0, out.stderr
    data = json.loads(target.read_text(), parse_float=Decimal)
    assert {d["kind"] for d in data} == {"usage", "cost"}
    assert next(d for d in data if d["kind"] == "cost")["cost_usd"] == Decimal("1.2378912")


def test_demo_load_and_remove_leave_other_rows(cli, store):
    _seed(store)
    loaded = cli("demo")
    assert loaded.returncode == 0 and "new rows" in loaded.stdout
    assert store.count() > 1000
    again = cli("demo")
    assert "0 new rows" in again.stdout
    removed = cli("demo", "--remove")
    assert removed.returncode == 0
    assert store.count() == 3


def test_report_by_iso_week_and_plain_labels(cli, store):
    _seed(store)
    store.upsert([{"provider": "groq", "source": "manual", "kind": "cost", "entry_id": "e2",
                   "bucket_start": datetime(2026, 11, 8), "bucket_width": "1d", "cost_usd": Decimal("1234.5"),
                   "cost_status": ledger.COST_ENTERED}])
    weeks = json.loads(cli("report", "--by", "week", "--json", "--since", "2026-11-01").stdout, parse_float=Decimal)
    # Sunday 2026-11-08 ends ISO week 45; Monday 2026-11-02 starts it; 2026-11-01 (a Sunday) is in week 44
    assert [(w["week"], w["cost_usd"]) for w in weeks] == [("2026-W45", Decimal("1237.0"))]
    assert weeks[0]["requests"] is None  # manual rows without a request count: unknown, never 0
    text = cli("report", "--by", "model", "--since", "2026-11-01").stdout
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert "(no model)" in text and "1,234.50" in lines["(no"] and lines["TOTAL"].rstrip().endswith("—")
    providers = cli("report", "--by", "provider").stdout
    assert "Groq" in providers and "OpenAI" in providers and "groq" not in providers


def test_entries_list_shows_exact_amounts_and_the_project(cli, store):
    out = cli("add", "--provider", "groq", "--date", "2026-11-02", "--cost", "1234.5", "--project", "Web app")
    assert out.returncode == 0 and "$1,234.50" in out.stdout, out.stdout + out.stderr
    header, row = (line.split("\t") for line in cli("entries", "list").stdout.splitlines())
    entry = dict(zip(header, row, strict=True))
    assert (entry["cost_usd"], entry["project"], entry["provider"]) == ("1234.50", "Web app", "groq")
