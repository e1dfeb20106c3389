"""CSV imports: each format from a fixture, re-import idempotency, overlap replaces, bad files rejected whole."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from aicost import ledger
from aicost.config.settings import get_settings
from aicost.errors import InvalidInput
from aicost.sources import imports, manual
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "imports"
pytestmark = pytest.mark.both_backends

TODAY = date(2026, 4, 1)


def load(store, name, **kw):
    return imports.import_file(store, FIXTURES / name, today=TODAY, **kw)


def rows(store):
    return store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY provider, bucket_start, model, api_key").to_dict("records")


def snapshot(store, drop=()):
    """Every row and column as text (NaN-safe), for "nothing changed" comparisons."""
    frame = store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY entry_id")
    return frame.drop(columns=list(drop)).astype(str).to_dict("records")


def test_anthropic_export_estimates_with_total_input(store):
    r = load(store, "anthropic_usage_2026-03.csv")
    assert (r.format, r.rows, r.upsert.new, r.estimated, r.unpriced) == ("anthropic", 3, 3, 2, 1)
    first = rows(store)[0]
    assert first["source"] == "import" and first["origin"] == "anthropic_usage_2026-03.csv"
    assert first["confidence"] == "imported" and first["entry_id"].startswith("imp-")
    # input is uncached + cache reads + cache writes: 700k + 200k + 100k
    assert (first["input_tokens"], first["uncached_input_tokens"], first["cache_read_tokens"],
            first["cache_write_tokens"]) == (1_000_000, 700_000, 200_000, 100_000)
    own = calc_price(Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=200_000,
                           cache_write_tokens=100_000), "claude-sonnet-4-20250514", provider_id="anthropic",
                     genai_request_timestamp=datetime(2026, 3, 21)).total_price
    assert first["cost_usd"] == own == Decimal("4.035") and first["cost_status"] == ledger.COST_ESTIMATED
    assert first["api_key"] == "test-key" and first["project"] == "Default" and first["service_tier"] == "standard"
    unknown = [r for r in rows(store) if r["model"] == "claude-unknown-model-x"][0]
    assert unknown["cost_usd"] is None and unknown["cost_status"] == ledger.COST_UNPRICED


def test_anthropic_newer_variant_with_context_window(store):
    r = load(store, "anthropic_usage_context_window.csv")
    assert (r.format, r.rows) == ("anthropic", 2)
    code = [r for r in rows(store) if r["api_key"] == "claude_code_key_user_abc"][0]
    # 1h cache writes: 700k x $3 + 200k x $0.30 + 100k x $6 + 100k out x $15
    assert code["cost_usd"] == Decimal("4.26") and code["cache_write_1h_tokens"] == 100_000


def test_overlapping_exports_replace_rather_than_double_count(store):
    load(store, "anthropic_usage_2026-03.csv")
    r = load(store, "anthropic_usage_context_window.csv")  # same test-key day 2026-03-22, other file
    # the newer export's row (with its context window) takes the place of the older export's row of that day
    assert (r.upsert.new, r.replaced) == (2, 1)
    day = [x for x in rows(store) if x["api_key"] == "test-key" and x["model"] == "claude-sonnet-4-20250514"
           and x["bucket_start"] == datetime(2026, 3, 22)]
    assert len(day) == 1 and day[0]["origin"] == "anthropic_usage_context_window.csv"


def test_openai_export_by_column_name(store):
    r = load(store, "completions_usage_2026-03-01_2026-03-02.csv")
    assert (r.format, r.rows, r.estimated) == ("openai", 2, 2)
    first = rows(store)[0]
    assert (first["item"], first["project"], first["api_key"], first["requests"]) == ("completions", "proj_abc", "key_1", 12)
    assert first["bucket_start"] == datetime(2026, 3, 1)
    # 800k uncached x $2.50 + 200k cached x $1.25 + 100k out x $10
    assert first["cost_usd"] == Decimal("3.25") and first["cache_read_tokens"] == 200_000


def test_openai_columns_in_any_order_and_empty_export(store, tmp_path):
    f = tmp_path / "embeddings_usage_2026-03-01_2026-03-01.csv"
    f.write_text("model,output_tokens,input_tokens,start_time_iso,end_time_iso,start_time,end_time\n"
                 "gpt-4o,100,1000,2026-03-01T00:00:00+00:00,2026-03-02T00:00:00+00:00,1772323200,1772409600\n")
    r = imports.import_file(store, f, today=TODAY)
    assert r.format == "openai" and rows(store)[0]["item"] == "embeddings"
    assert rows(store)[0]["cost_usd"] == Decimal("0.0035")
    empty = tmp_path / "completions_usage_empty.csv"
    empty.write_text("start_time,end_time,start_time_iso,end_time_iso\n")
    assert imports.import_file(store, empty, today=TODAY).rows == 0


def test_copilot_premium_request_report_uses_net_amount(store):
    r = load(store, "premium_request_usage_report.csv")
    assert (r.format, r.rows, r.estimated, r.unpriced) == ("copilot", 3, 0, 0)
    got = {(x["bucket_start"].day, x["api_key"], x["model"]): x for x in rows(store)}
    alice = got[(2, "alice", "Claude Sonnet 4")]
    assert alice["cost_usd"] == Decimal("12.0") and alice["cost_status"] == ledger.COST_BILLED  # GitHub's bill
    assert alice["kind"] == ledger.KIND_COST and alice["provider"] == "github-copilot"
    assert alice["quantity"] == 320 and alice["project"] == "acme" and alice["item"] == "copilot_premium_request"
    # what the bill shows beside the net amount: gross, the allowance's discount, the monthly allowance
    assert (alice["gross_usd"], alice["discount_usd"], alice["included_quantity"]) == (
        Decimal("12.8"), Decimal("0.8"), 300)
    assert got[(2, "bob", "GPT-5")]["cost_usd"] == 0 and got[(2, "bob", "GPT-5")]["quantity"] == 33.75
    total = sum(x["cost_usd"] for x in rows(store))
    assert total == Decimal("12.4")


def test_generic_template(store):
    r = load(store, "generic_template.csv")
    assert (r.format, r.rows) == ("generic", 3)
    got = {x["provider"]: x for x in rows(store)}
    assert got["perplexity"]["bucket_width"] == "30d" and got["perplexity"]["cost_usd"] == Decimal(30)
    assert got["groq"]["cost_status"] == ledger.COST_ESTIMATED and got["groq"]["requests"] == 1200
    assert got["local"]["cost_status"] == ledger.COST_SELF_HOSTED and got["local"]["cost_usd"] == 0
    assert got["local"]["note"] == "office GPU box"


def test_downloadable_template_imports_cleanly(store):
    r = imports.import_bytes(store, imports.template_csv().encode(), "template.csv", today=TODAY)
    assert (r.format, r.rows) == ("generic", 4)
    seats = store.frame("SELECT kind, cost_usd, cost_status, bucket_width FROM usage WHERE provider = 'github-copilot'")
    assert seats.to_dict("records") == [{"kind": ledger.KIND_SUBSCRIPTION, "cost_usd": Decimal("190"),
                                         "cost_status": ledger.COST_ENTERED, "bucket_width": "31d"}]


def test_a_subscription_row_needs_an_amount_and_no_usage(store, tmp_path):
    header = ",".join(imports.TEMPLATE_COLUMNS) + "\n"
    cells = {c: "" for c in imports.TEMPLATE_COLUMNS}

    def row(**values):
        return ",".join({**cells, "date": "2026-03-01", "provider": "OpenAI", "subscription": "true", **values}[c]
                        for c in imports.TEMPLATE_COLUMNS) + "\n"

    f = tmp_path / "plans.csv"
    f.write_text(header + row(cost_usd="25.00", note="ChatGPT Team") + row() + row(cost_usd="5", input_tokens="9")
                 + row(cost_usd="5", subscription="maybe"))
    with pytest.raises(imports.FileRejected) as err:
        imports.import_file(store, f, today=TODAY)
    assert err.value.problems == [
        (3, "cost_usd: a subscription is an amount: give what the seats or the plan cost"),
        (4, "input_tokens: a subscription has no usage counts: enter metered use as its own entry"),
        (5, "subscription: 'maybe' is not true or false")]
    assert store.count() == 0


@pytest.mark.parametrize("name", [p.name for p in FIXTURES.glob("*.csv") if "bad" not in p.name])
def test_reimporting_the_same_file_changes_nothing(store, name):
    load(store, name)
    before = snapshot(store, drop=["updated_at"])
    r = load(store, name)
    assert r.upsert.new == 0 and r.upsert.updated == 0 and r.upsert.unchanged == r.rows
    assert snapshot(store, drop=["updated_at"]) == before


def test_bad_file_rejected_whole_with_row_numbers(store):
    load(store, "generic_template.csv")
    before = snapshot(store)
    with pytest.raises(imports.FileRejected) as info:
        load(store, "generic_bad.csv")
    assert [n for n, _ in info.value.problems] == [2, 3, 4, 5, 6]
    message = str(info.value)
    for words in ("row 2: cost_usd: must not be negative", "row 3: date:", "row 4: provider: is empty",
                  "row 5: input_tokens:", "row 6: cost_usd: is not a number (NaN)"):
        assert words in message
    assert snapshot(store) == before


def test_rejection_lists_a_capped_number_of_rows(store, tmp_path):
    f = tmp_path / "many.csv"
    f.write_text("date,provider,cost_usd\n" + "2026-03-01,groq,-1\n" * 50)
    with pytest.raises(imports.FileRejected) as info:
        imports.import_file(store, f, today=TODAY)
    assert len(info.value.problems) == 50
    assert str(info.value).count("row ") == imports.MAX_PROBLEMS and "and 30 more" in str(info.value)
    assert store.count() == 0


def test_size_limit(store, tmp_path, monkeypatch):
    monkeypatch.setenv("AICOST_IMPORT_MAX_BYTES", "100")
    f = tmp_path / "big.csv"
    f.write_text("date,provider,cost_usd\n" + "2026-03-01,groq,1\n" * 10)
    with pytest.raises(InvalidInput, match="over the import limit"):
        imports.import_file(store, f, settings=get_settings(), today=TODAY)
    with pytest.raises(InvalidInput, match="over the import limit"):
        imports.import_bytes(store, f.read_bytes(), "big.csv", settings=get_settings(), today=TODAY)
    assert store.count() == 0


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"foo,bar\n1,2\n", "not recognised"),
    (b"\xff\xfe\x00d", "UTF-8"),
])
def test_unreadable_files(store, content, words):
    with pytest.raises(InvalidInput, match=words):
        imports.import_bytes(store, content, "x.csv", today=TODAY)


def test_forced_format_must_match_columns(store):
    with pytest.raises(InvalidInput, match="missing column"):
        load(store, "generic_template.csv", format="anthropic")


# -- malformed files: quoting, cell counts, and errors naming the file's own columns ------------------------------

# the template as it was before its subscription column: files made from it must keep importing
TEMPLATE_HEADER = ",".join(c for c in imports.TEMPLATE_COLUMNS if c not in ("subscription", "currency")) + "\n"


def rejected(store, tmp_path, name, text, **kw) -> imports.FileRejected:
    """Import text as a real file, expect it rejected whole, and check the ledger is exactly as before."""
    before = snapshot(store)
    f = tmp_path / name
    f.write_bytes(text.encode())
    with pytest.raises(imports.FileRejected) as info:
        imports.import_file(store, f, today=TODAY, **kw)
    assert snapshot(store) == before
    return info.value


def test_unterminated_quote_is_an_error_not_a_swallowed_row(store, tmp_path):
    load(store, "generic_template.csv")
    text = (TEMPLATE_HEADER + '2026-03-01,,Groq,,,,,,,,1,,"unterminated note\n'
            "2026-03-02,,Groq,,,,,,,,2,,next row\n")
    err = rejected(store, tmp_path, "open_quote.csv", text)
    assert err.problems == [(2, err.problems[0][1])] and "never closed" in err.problems[0][1]


def test_quote_closed_rows_later_is_an_error(store, tmp_path):
    text = (TEMPLATE_HEADER + "2026-03-01,,Groq,,,,,,,,1,,ok\n"
            '2026-03-02,,Groq,,,,,,,,1,,"oops\n'
            '2026-03-03,,Groq,,,,,,,,2,,"quoted"\n')
    err = rejected(store, tmp_path, "late_close.csv", text)
    assert [n for n, _ in err.problems] == [3] and "bad quoting" in err.problems[0][1]


def test_line_break_swallowed_into_a_single_line_column(store, tmp_path):
    # strict quoting accepts this (the quote closes before a comma), but provider cannot hold a line break
    text = TEMPLATE_HEADER + '2026-03-01,,"Groq\n2026-03-02,,Groq",,,,,,,,2,,ok\n'
    err = rejected(store, tmp_path, "swallowed.csv", text)
    assert err.problems == [(2, err.problems[0][1])]
    assert err.problems[0][1].startswith("provider: contains a line break")
    # a note may hold one: a multi-line note imports, and the next data row is numbered by record
    f = tmp_path / "note.csv"
    f.write_text(TEMPLATE_HEADER + '2026-03-01,,Groq,,,,,,,,1,,"line one\nline two"\n2026-03-02,,Groq,,,,,,,,2,,\n')
    assert imports.import_file(store, f, today=TODAY).rows == 2


def test_rows_with_too_few_or_too_many_cells_are_rejected(store, tmp_path):
    load(store, "generic_template.csv")
    text = (TEMPLATE_HEADER + "2026-03-01,,Groq,,,,\n"          # 7 of 13 cells
            "\n"                                                # blank lines stay skipped
            "2026-03-02,,Groq,,,,,,,,2,,ok\n"
            "2026-03-03,,Groq,,,,,,,,2,,ok,extra\n")
    err = rejected(store, tmp_path, "ragged.csv", text)
    assert err.problems == [(2, "has 7 cells but the header has 13"), (5, "has 14 cells but the header has 13")]
    assert "row 2: has 7 cells but the header has 13" in str(err)


def test_errors_name_the_files_own_columns(store, tmp_path):
    text = (TEMPLATE_HEADER + "2026-03-05,2026-03-01,Groq,,,,,,,,2,,\n"
            "2026-03-05,,Groq,,,,,,,,-2,,\n"
            "2026-03-05,,Groq,,,,,,,,,,\n")
    err = rejected(store, tmp_path, "names.csv", text)
    assert [r.split(":")[0] for _, r in err.problems] == ["end_date", "cost_usd", "cost_usd"]
    assert "row 2: end_date: 2026-03-01 is before the start date 2026-03-05" in str(err)
    # spelt as the file spells them
    err = rejected(store, tmp_path, "spelt.csv", "Date,Provider,Cost USD\n2026-03-05,Groq,abc\n")
    assert err.problems == [(2, "Cost USD: 'abc' is not a number")]
    copilot = (FIXTURES / "premium_request_usage_report.csv").read_text().replace(",12.0,acme", ",-12,acme")
    err = rejected(store, tmp_path, "premium_request_usage_report.csv", copilot)
    assert err.problems == [(2, "net_amount: must not be negative")]
    openai = "start_time,end_time,model,input_tokens,input_cached_tokens,output_tokens\n1772323200,1772409600,gpt-4o,1,5,1\n"
    err = rejected(store, tmp_path, "completions_usage.csv", openai)
    assert err.problems[0][1].startswith("input_tokens: is the total input")


def test_openai_export_with_exactly_the_documented_columns(store):
    r = load(store, "completions_usage_documented_columns.csv")
    assert (r.format, r.rows, r.estimated) == ("openai", 2, 2)
    got = {x["service_tier"]: x for x in rows(store)}
    assert set(got) == {"default", "default+batch"}  # batch rows keep their own key, as the API sync writes them
    normal = got["default"]
    assert normal["bucket_start"] == datetime(2026, 3, 1) and normal["bucket_width"] == "1d"
    assert (normal["project"], normal["api_key"], normal["requests"]) == ("proj_abc", "key_1", 12)
    # 800k uncached x $2.50 + 200k cached x $1.25 + 100k out x $10, at list price
    assert normal["cost_usd"] == Decimal("3.25") and "Batch" not in normal["price_source"]
    # the same usage through the Batch API: 50% of list price, cached input at the batch input rate (no cache
    # discount on top of batch, as genai-prices' batch prices have it): 1M x $1.25 + 100k out x $5
    batch = got["default+batch"]
    assert batch["cost_usd"] == batch["estimate_usd"] == Decimal("1.75")
    assert "batch price" in batch["price_source"]
    assert batch["cost_status"] == ledger.COST_ESTIMATED
    # editing the imported batch row (a note) keeps its batch price
    manual.edit(store, batch["entry_id"], manual.Entry("openai", "2026-03-01", model=batch["model"], note="checked",
                                                       input_tokens=batch["input_tokens"],
                                                       output_tokens=batch["output_tokens"]))
    edited = {x["service_tier"]: x for x in rows(store)}["default+batch"]
    assert edited["note"] == "checked" and edited["cost_usd"] == Decimal("1.75")
    assert edited["price_source"].count("batch price") == 1


def test_openai_missing_start_column_names_real_columns(store, tmp_path):
    f = tmp_path / "completions_usage.csv"
    f.write_text("model,input_tokens,output_tokens,end_time\ngpt-4o,1,1,1772409600\n")
    with pytest.raises(InvalidInput) as info:
        imports.import_file(store, f, format="openai", today=TODAY)
    assert str(info.value).endswith("missing column(s) for the openai format (OpenAI usage export): start_time_iso or "
                                    "start_time")
    f.write_text("model,start_time,input_tokens\ngpt-4o,99999999999999,1\n")
    with pytest.raises(imports.FileRejected, match="row 2: start_time: 99999999999999 is not a Unix time"):
        imports.import_file(store, f, today=TODAY)
    assert store.count() == 0


def test_imported_rows_can_be_deleted_and_edited(store):
    load(store, "generic_template.csv")
    listed = manual.list_entries(store)
    assert set(listed["label"]) == {"imported", "imported, estimated", "imported, self-hosted"}
    perplexity = listed[listed["provider"] == "perplexity"]["entry_id"].iloc[0]
    manual.edit(store, perplexity, manual.Entry("perplexity", "2026-01-01", until="2026-01-30", cost="31"),
                today=TODAY)
    row = manual.get(store, perplexity)
    assert row["cost_usd"] == 31 and row["source"] == "import" and row["origin"] == "generic_template.csv"
    manual.delete(store, perplexity)
    assert store.count() == 2


def test_template_columns_are_documented_in_readme():
    readme = (ROOT / "README.md").read_text()
    assert ", ".join(imports.TEMPLATE_COLUMNS) in readme


def test_editing_an_imported_row_keeps_its_detail(store):
    load(store, "anthropic_usage_2026-03.csv")
    before = [r for r in rows(store) if r["bucket_start"] == datetime(2026, 3, 21)][0]
    manual.edit(store, before["entry_id"], manual.Entry(
        "anthropic", "2026-03-21", model=before["model"], input_tokens=str(before["input_tokens"]),
        output_tokens=str(before["output_tokens"]), note="checked"), today=TODAY)
    after = manual.get(store, before["entry_id"])
    for name in ("project", "api_key", "service_tier", "item", "cache_read_tokens", "cache_write_tokens", "cost_usd"):
        assert after[name] == before[name], name
    assert after["note"] == "checked" and after["cost_usd"] == Decimal("4.035")


def test_import_over_api_synced_days_is_not_counted_twice(store):
    store.upsert([{"provider": "anthropic", "source": "api", "kind": "cost", "bucket_start": datetime(2026, 3, 22),
                   "bucket_width": "1d", "item": "x", "cost_usd": Decimal(1), "cost_status": "billed"}])
    r = load(store, "anthropic_usage_2026-03.csv")
    # 3/22's priced row is covered by the billed day (kept for comparison); 3/21 has no API data: still spend
    assert r.covered == 1 and "not counted" in r.warning() and "counted twice" not in r.warning()
    day = {row["model"]: row for row in rows(store) if row["bucket_start"] == datetime(2026, 3, 22)
           and row["source"] == "import"}
    sonnet = day["claude-sonnet-4-20250514"]
    assert sonnet["cost_status"] == ledger.COST_COVERED and sonnet["cost_usd"] is None
    assert sonnet["estimate_usd"] > 0
    assert day["claude-unknown-model-x"]["cost_status"] == ledger.COST_UNPRICED
    spend = store.scalar("SELECT sum(cost_usd) FROM usage WHERE bucket_start = '2026-03-22'")
    assert spend == Decimal(1)  # the bill, not the bill plus the export's estimate
    assert load(store, "premium_request_usage_report.csv").warning() == ""
