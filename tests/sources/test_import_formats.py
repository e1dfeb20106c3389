"""Imports of the providers' real export formats (tests/fixtures/providers, sources in SOURCES.md): each file is
known by what it is, imports exactly its stated totals, adds nothing for lines without usage, says what it left
out, covers the estimates of the days it bills, and imports again without a change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import queries
from aicost.errors import InvalidInput
from aicost.sources import imports
from aicost.sources.anthropic import imports as anthropic_csv
from tests.conftest import ROOT

pytestmark = pytest.mark.both_backends

CORPUS = ROOT / "tests" / "fixtures" / "providers"
TODAY = date(2026, 12, 1)  # after every file's last day


def load(store, name, **kw):
    return imports.import_file(store, CORPUS / name, today=TODAY, **kw)


def total(store, column="cost_usd", where="TRUE") -> Decimal:
    value = store.scalar(f"SELECT sum({column}) FROM {ledger.TABLE} WHERE {where}")
    return Decimal(0) if value is None else Decimal(value)


def snapshot(store):
    frame = store.frame(f"SELECT * FROM {ledger.TABLE} ORDER BY entry_id").drop(columns=["updated_at"])
    return frame.astype(str).to_dict("records")


# file -> (format, rows written, billed dollars, what the notes say)
CASES = {
    "openai_cost_export.csv": ("openai-cost", 6, Decimal("2.98595375"),
                               ["2 line(s) with no usage added nothing",
                                "column(s) not used: organization_id, organization_name"]),
    "openai_cost_export_v2.csv": ("openai-cost", 2, Decimal("0.50383598"),
                                  ["1 line(s) with no usage added nothing",
                                   "column(s) not used: user_id, organization_id, organization_name, user_email, "
                                   "api_source"]),
    "anthropic_console_cost_export.csv": ("anthropic-cost", 6, Decimal("5.53"),
                                          ["1 line(s) with no usage added nothing"]),
    "anthropic_console_cost_export_v2.csv": ("anthropic-cost", 6, Decimal("2.95"),
                                             ["1 line(s) with no usage added nothing",
                                              "column(s) not used: api_key_id, api_key_status"]),
    "github_summarized_usage.csv": ("github-usage", 16, Decimal("290.58311752"), ["column(s) not used: repository"]),
    "github_summarized_usage_skus.csv": ("github-usage", 3, Decimal("1150"),
                                         ["3 line(s) skipped, not AI spend: actions 1, code_quality 1, sandbox 1",
                                          "column(s) not used: repository"]),
    "github_premium_request_usage.csv": ("copilot", 2, Decimal("0.144"), []),
    "github_ai_credits_usage.csv": ("copilot", 2, Decimal("0.48"),
                                    ["1 line(s) with no usage added nothing",
                                     "column(s) not used: aic_quantity, aic_gross_amount"]),
    "github_ai_credits_usage_native.csv": ("copilot", 2, Decimal(0),
                                           ["column(s) not used: aic_quantity, aic_gross_amount"]),
    "github_ai_credits_usage_native_dates.csv": ("copilot", 3, Decimal("605"),
                                                 ["column(s) not used: aic_quantity, aic_gross_amount"]),
    "github_ai_credits_usage_real_row.csv": ("copilot", 1, Decimal(0),
                                             ["column(s) not used: repository, aic_quantity, aic_gross_amount"]),
    "github_ai_credits_usage_tokens.csv": ("copilot", 1, Decimal("0.1"), ["column(s) not used: repository"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_billed_format_imports_its_stated_total_and_again_changes_nothing(store, name):
    fmt, n, billed, notes = CASES[name]
    r = load(store, name)
    assert (r.format, r.rows, r.billed, r.estimated) == (fmt, n, n, 0)
    assert r.notes() == notes
    assert total(store, where="cost_status = 'billed'") == billed
    before = snapshot(store)
    again = load(store, name)
    assert (again.upsert.new, again.upsert.updated, again.upsert.unchanged) == (0, 0, n)
    assert snapshot(store) == before


def test_openai_cost_export_keeps_line_items_quantities_and_credits(store, tmp_path):
    load(store, "openai_cost_export_v2.csv")
    line = store.frame("SELECT * FROM usage WHERE item <> ''").iloc[0]
    assert (line["item"], line["project"], line["project_name"], line["api_key"]) == (
        "gpt-5-nano, input_tokens", "proj_a", "Proj A", "key_1")
    assert (line["quantity"], line["quantity_unit"], line["kind"]) == (1000, "tokens", ledger.KIND_COST)
    # the 30-decimal amount is kept to the ledger's nano-dollars
    assert total(store, where="item = ''") == Decimal("0.003835980")
    # the model a cost line is for comes from its line item, also behind a tier prefix, for every report
    f = tmp_path / "cost_2026-10-01_2026-10-01.csv"
    f.write_text("start_time_iso,amount_value,amount_currency,line_item\n"
                 "2026-10-01T00:00:00+00:00,1.25,usd,\"priority | gpt-5.6-sol, output, long context\"\n"
                 "2026-10-01T00:00:00+00:00,-0.25,usd,Restated credit\n")
    assert imports.import_file(store, f, today=TODAY).rows == 2
    models = queries.models(store, queries.Filters(date(2026, 10, 1), date(2026, 10, 1)))
    assert dict(zip(models["model"], models["cost_usd"])) == {"gpt-5.6-sol": Decimal("1.25"),
                                                              "Restated credit": Decimal("-0.25")}


def test_anthropic_cost_export_maps_display_names_and_keeps_the_list_price(store):
    load(store, "anthropic_console_cost_export.csv")
    got = store.frame("SELECT model, item, context_window, project, api_key, cost_usd, gross_usd FROM usage"
                      " ORDER BY bucket_start, model, item").to_dict("records")
    assert {r["model"] for r in got} == {"claude-opus-4-6", "claude-sonnet-4-6"}
    assert {r["context_window"] for r in got} == {"0-200k"}
    assert got[0]["item"] == "token: input_no_cache" and got[0]["api_key"] == "OB-1"
    assert total(store, "gross_usd") == Decimal("5.53")


@pytest.mark.parametrize("display, model", [
    ("Claude Sonnet 4.6", "claude-sonnet-4-6"), ("Claude Opus 5", "claude-opus-5"), ("Claude Haiku 4.5",
                                                                                     "claude-haiku-4-5"),
    ("Claude Haiku 3.5", "claude-3-5-haiku"), ("Claude 3.5 Sonnet", "claude-3-5-sonnet"),
    ("claude-sonnet-4-20250514", "claude-sonnet-4-20250514"), ("", ""),
])
def test_anthropic_display_names_become_model_ids(display, model):
    assert anthropic_csv.model_id(display) == model


def test_a_cost_export_covers_the_usage_estimates_of_its_days_and_never_overwrites_them(store, tmp_path):
    """A usage export without model, project or key columns, then the cost export of the same days: the tokens
    stay, the bill is the spend, the estimate is kept for comparison."""
    usage = tmp_path / "completions_usage_2025-10-05_2025-10-11.csv"
    usage.write_text("start_time,end_time,start_time_iso,end_time_iso,num_model_requests,input_tokens,output_tokens\n"
                     "1759622400,1759708800,2025-10-05T00:00:00+00:00,2025-10-06T00:00:00+00:00,10,59200,10646\n"
                     "1759708800,1759795200,2025-10-06T00:00:00+00:00,2025-10-07T00:00:00+00:00,8,46264,60000\n")
    first = imports.import_file(store, usage, today=TODAY)
    assert (first.rows, first.unpriced) == (2, 2)  # no model column: tokens with no price, shown, not $0
    cost = load(store, "openai_cost_export.csv")
    assert cost.rows == 6
    assert total(store, "input_tokens") == 59200 + 46264 and total(store, "output_tokens") == 10646 + 60000
    spend = queries.total_spend(store, queries.Filters(date(2025, 10, 5), date(2025, 10, 12)))
    assert spend == Decimal("2.98595375")
    # with a model the usage is estimated, and the bill covers it: counted once, estimate kept beside it
    priced = tmp_path / "completions_usage_2025-10-07.csv"
    priced.write_text("start_time_iso,model,num_model_requests,input_tokens,output_tokens\n"
                      "2025-10-07T00:00:00+00:00,gpt-4o-2024-08-06,3,1000,100\n")
    r = imports.import_file(store, priced, today=TODAY)
    assert (r.covered, r.estimated) == (1, 0)
    row = store.frame("SELECT cost_usd, cost_status, estimate_usd FROM usage WHERE model = 'gpt-4o-2024-08-06'")
    assert row.to_dict("records") == [{"cost_usd": None, "cost_status": ledger.COST_COVERED,
                                       "estimate_usd": Decimal("0.0035")}]
    assert queries.total_spend(store, queries.Filters(date(2025, 10, 5), date(2025, 10, 12))) == spend


def test_the_anthropic_cost_export_covers_usage_of_its_day_workspace_key_and_model(store, tmp_path):
    usage = tmp_path / "claude_api_tokens_2026_03_15.csv"
    usage.write_text("usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,"
                     "usage_output_tokens\n"
                     "2026-03-15,claude-opus-4-6,OB-1,Default,standard,1000,100\n"
                     "2026-03-15,claude-opus-4-6,another-key,Default,standard,1000,100\n"
                     "2026-03-15,claude-haiku-4-5-20251001,OB-1,Default,standard,1000,100\n")
    imports.import_file(store, usage, today=TODAY)
    load(store, "anthropic_console_cost_export.csv")  # bills Opus 4.6 for key OB-1 on 2026-03-15
    status = dict(store.frame("SELECT api_key || ' ' || model AS k, cost_status FROM usage WHERE kind = 'usage'")
                  .itertuples(index=False))
    assert status == {"OB-1 claude-opus-4-6": ledger.COST_COVERED, "another-key claude-opus-4-6": "estimated",
                      "OB-1 claude-haiku-4-5-20251001": "estimated"}


def test_usage_exports_real_shapes(store):
    r = load(store, "openai_completions_usage_export.csv")  # counts written as 59200.0, batch as FALSE
    assert (r.rows, r.notes()[0]) == (5, "1 line(s) with no usage added nothing")
    assert (total(store, "requests"), total(store, "input_tokens"), total(store, "output_tokens"),
            total(store, "cache_read_tokens")) == (53, 339_711, 549_459, 13_952)
    hourly = load(store, "anthropic_console_usage_export_hourly.csv")  # two hours of one day: one day row
    assert hourly.rows == 1
    day = store.frame("SELECT bucket_start, uncached_input_tokens, output_tokens FROM usage"
                      " WHERE provider = 'anthropic'").iloc[0]
    assert (day["bucket_start"], day["uncached_input_tokens"], day["output_tokens"]) == (
        datetime(2026, 3, 31), 1_631_112, 372_374)


def test_github_seats_are_subscriptions_and_the_allowance_is_kept(store):
    load(store, "github_summarized_usage.csv")
    kinds = store.frame("SELECT kind, count(*) AS n, sum(cost_usd) AS net, sum(gross_usd) AS gross,"
                        " sum(discount_usd) AS discount FROM usage GROUP BY kind ORDER BY kind")
    assert kinds.to_dict("records") == [
        {"kind": ledger.KIND_COST, "n": 6, "net": Decimal("284.24978425"), "gross": Decimal("307.91733545"),
         "discount": Decimal("23.66755120")},
        {"kind": ledger.KIND_SUBSCRIPTION, "n": 10, "net": Decimal("6.33333327"), "gross": Decimal("6.33333327"),
         "discount": Decimal(0)}]
    assert total(store, "gross_usd") == Decimal("314.25066872")
    assert set(store.frame("SELECT DISTINCT quantity_unit FROM usage")["quantity_unit"]) == {"ai-credits",
                                                                                           "user-months"}


def test_github_dates_in_us_style_and_tokens(store):
    load(store, "github_ai_credits_usage_native_dates.csv")
    days = sorted(store.frame("SELECT DISTINCT CAST(bucket_start AS DATE) AS d FROM usage")["d"])
    assert [pd_day(d) for d in days] == [date(2026, 5, 29), date(2026, 5, 30)]
    load(store, "github_ai_credits_usage_tokens.csv")
    row = store.frame("SELECT * FROM usage WHERE api_key = 'Dev-02'").iloc[0]
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"], row["model"]) == (
        1000, 100, Decimal("0.1"), "Claude Sonnet 4.6")


def pd_day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def test_github_reports_without_amounts_are_estimated_at_the_list_price_over_the_allowance(store):
    r = load(store, "github_premium_request_interim.csv")
    assert (r.format, r.rows, r.estimated, r.billed) == ("copilot-requests", 5, 5, 0)
    assert total(store, "quantity") == Decimal("6.5")
    # only JohnDoe's 2.5 premium requests were over the allowance: 2.5 x $0.04
    assert total(store) == Decimal("0.1")
    over = store.frame("SELECT price_source, included_quantity FROM usage WHERE api_key = 'JohnDoe'").iloc[0]
    assert "$0.04 per premium request" in over["price_source"] and over["included_quantity"] == 100
    legacy = load(store, "github_premium_request_legacy.csv")  # two timestamps of one day and user: one row
    assert (legacy.format, legacy.rows) == ("copilot-requests", 1)
    assert total(store, "quantity", "api_key = 'xyz'") == 2
    # the billed report of the same days covers these estimates
    covered = imports.import_bytes(store, b"date,username,product,sku,model,quantity,unit_type,gross_amount,"
                                          b"discount_amount,net_amount,organization\n"
                                          b"2025-06-03,JohnDoe,copilot,copilot_premium_request,"
                                          b"claude-3.7-sonnet-thought,2.5,requests,0.1,0,0.1,acme\n",
                                   "premium_request_usage_report_2025-06.csv", today=TODAY)
    assert covered.covered == 1
    assert total(store, where="api_key = 'JohnDoe'") == Decimal("0.1")  # the bill, not the bill and the estimate


def test_a_file_with_no_usage_imports_nothing_and_says_so(store, tmp_path):
    f = tmp_path / "completions_usage_2026-10-01_2026-10-03.csv"
    f.write_text("start_time,end_time,start_time_iso,end_time_iso\n"
                 "1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00\n"
                 "1790899200,1790985600,2026-10-02T00:00:00+00:00,2026-10-03T00:00:00+00:00\n")
    r = imports.import_file(store, f, today=TODAY)
    assert (r.rows, r.lines) == (0, 2) and store.count() == 0
    assert r.summary().startswith("imported nothing from completions_usage_2026-10-01_2026-10-03.csv")
    assert r.notes() == ["2 line(s) with no usage added nothing"]
    # the same header in a file named as a cost export is taken for one
    f2 = tmp_path / "cost_2026-10-01_2026-10-03.csv"
    f2.write_text(f.read_text())
    assert imports.import_file(store, f2, today=TODAY).format == "openai-cost"


def test_a_billed_import_leaves_days_the_billing_api_reports_to_it(store):
    store.upsert([{"provider": "openai", "source": "api", "kind": "cost", "item": "x", "bucket_width": "1d",
                   "bucket_start": datetime(2025, 10, 5), "cost_usd": Decimal("0.9"), "cost_status": "billed"}])
    r = load(store, "openai_cost_export.csv")
    assert (r.rows, r.left_to_api) == (5, 1)
    assert "1 line(s) for days the provider's billing API already reports were not imported" in r.notes()[1]
    assert total(store) == Decimal("0.9") + Decimal("2.98595375") - Decimal("0.895874")


@pytest.mark.parametrize("text, format, words", [
    ("start_time_iso,amount_value,amount_currency\n2026-10-01T00:00:00+00:00,abc,usd\n", None,
     "row 2: amount_value: 'abc' is not a number"),
    ("start_time_iso,amount_value,amount_currency\n2026-10-01T00:00:00+00:00,1.00,eur\n", None,
     "row 2: amount_currency: 'eur': only usd amounts can be imported"),
    ("usage_date_utc,model,cost_usd\n2026-13-01,Claude Opus 4.6,1.00\n", None, "row 2: usage_date_utc: '2026-13-01'"),
    ("date,product,sku,quantity,unit_type,gross_amount,discount_amount,net_amount\n"
     "2026-09-01,copilot,copilot_ai_credit,10,ai-credits,0.1,0,-0.1\n", None, "row 2: net_amount: must not be negative"),
    ("start_time_iso,model,input_tokens,output_tokens\n2026-10-01T00:00:00+00:00,gpt-4o,10,1\n", "openai-cost",
     "missing column(s) for the openai-cost format (OpenAI cost export): amount_value"),
])
def test_a_file_of_the_wrong_kind_or_with_a_bad_row_is_rejected_whole(store, tmp_path, text, format, words):
    load(store, "github_premium_request_usage.csv")
    before = snapshot(store)
    f = tmp_path / "cost_2026-10-01.csv"
    f.write_text(text)
    with pytest.raises(InvalidInput) as info:
        imports.import_file(store, f, today=TODAY, format=format)
    assert words in str(info.value)
    assert snapshot(store) == before


def test_columns_not_used_are_named_and_one_field_twice_is_an_error(store, tmp_path):
    f = tmp_path / "spend.csv"
    f.write_text("Date,Provider,Cost\n2026-03-01,Groq,5\n")
    with pytest.raises(imports.FileRejected) as info:
        imports.import_file(store, f, today=TODAY)
    assert "(note: column Cost not recognised; the template calls it cost_usd)" in str(info.value)
    f.write_text("date,provider,cost_usd,comment\n2026-03-01,Groq,5,from the console\n")
    r = imports.import_file(store, f, today=TODAY)
    assert r.notes() == ["column comment not recognised; the template calls it note"]
    for header in ("date,provider,cost_usd,cost_usd", "date,provider,cost_usd,Cost USD"):
        f.write_text(header + "\n2026-03-01,Groq,1.00,999.00\n")
        with pytest.raises(InvalidInput, match="which one counts is unclear") as info:
            imports.import_file(store, f, today=TODAY)
        assert "'cost_usd'" in str(info.value) and ("twice" in str(info.value) or "'Cost USD'" in str(info.value))
    assert total(store) == 5


def test_copilot_allowance_used_against_included(store, app_test):
    load(store, "github_premium_request_usage.csv")  # 2025-10-01: alice 3.6 requests over her 1000, billed;
    #                                                  developer1 5 requests inside his 300, $0.20 discounted
    got = queries.allowances(store, queries.Filters(date(2025, 10, 1), date(2025, 10, 31)))
    [month] = got.to_dict("records")
    assert (month["provider"], month["month"], month["unit"]) == ("github-copilot", "2025-10", "requests")
    assert (month["included"], month["used"], month["quantity"]) == (1300, 5, 8.6)
    assert (month["billed_usd"], month["gross_usd"], month["discount_usd"]) == (
        Decimal("0.144"), Decimal("0.344"), Decimal("0.2"))
    at = app_test()
    at.query_params["period"], at.query_params["days"] = "Custom", ["2025-10-01", "2025-10-31"]
    at.switch_page("pages/reconciliation.py")
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Used inside it" in d.value.columns)
    assert table.iloc[0][["Included", "Used inside it", "Used %", "Billed"]].tolist() == ["1,300", "5", "0%", "$0.14"]
