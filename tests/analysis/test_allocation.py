"""Teams and cost centres: ordered rules applied when the ledger is read (first match wins, `*` wildcards, names or
ids), Unallocated never hidden, history restated by a rule change, `report --by team|cost-centre`, and `allocate
import/export`; on DuckDB and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from aicost import ledger
from aicost.analysis import allocation, queries
from aicost.analysis.queries import Filters
from aicost.errors import FieldsInvalid, InvalidInput

pytestmark = pytest.mark.both_backends

OCT, NOV = Filters(date(2026, 10, 1), date(2026, 10, 31)), Filters(date(2026, 11, 1), date(2026, 11, 30))
EVERYTHING = Filters(date(2026, 10, 1), date(2026, 11, 30))


def _row(month: int, day: int, provider: str, cost: str, **kw) -> dict:
    return {"bucket_start": datetime(2026, month, day), "bucket_width": "1d", "provider": provider, "source": "api",
            "kind": "cost", "cost_usd": Decimal(cost), "cost_status": ledger.COST_BILLED, **kw}


@pytest.fixture
def seeded(store):
    store.upsert([
        _row(10, 5, "openai", "10.00", item="gpt-4o, input", project="proj_web", project_name="Web app"),
        _row(11, 5, "openai", "20.00", item="gpt-4o, input", project="proj_web", project_name="Web app"),
        _row(11, 6, "openai", "7.50", item="gpt-4o-mini, input", project="proj_data", project_name="Data pipeline"),
        _row(11, 6, "anthropic", "12.25", item="Usage", model="claude-sonnet-4-5", project="wrkspc_1",
             project_name="Support bot"),
        _row(11, 7, "github-copilot", "3.96", item="copilot_premium_request", model="gpt-5", api_key="octocat"),
        _row(11, 8, "groq", "1.11", source="manual", entry_id="e1"),
        # a monthly invoice, spread over its days
        {**_row(11, 1, "perplexity", "30.00", source="manual", entry_id="e2"), "bucket_width": "30d",
         "bucket_end": datetime(2026, 12, 1)},
    ])
    return store


def _teams(store, f=NOV) -> dict[str, Decimal]:
    frame = queries.totals_by(store, f, "team")
    return dict(zip(frame["team"], frame["cost_usd"], strict=True))


def _rules(*rows: dict) -> list[allocation.Rule]:
    return allocation.validated(rows)


def test_without_rules_everything_is_unallocated(seeded):
    assert _teams(seeded) == {"Unallocated": Decimal("74.82")}


def test_first_match_wins_names_and_wildcards_and_the_rest_is_unallocated(seeded):
    allocation.save(seeded, _rules(
        {"team": "Web", "cost_centre": "CC-100", "project": "web app"},  # by name, any case
        {"team": "Data", "cost_centre": "CC-200", "provider": "OpenAI", "model": "gpt-4o-mini*"},
        {"team": "Support", "cost_centre": "CC-300", "provider": "anthropic", "project": "wrkspc_*"},
        {"team": "Developers", "cost_centre": "CC-100", "api_key": "octocat"},
        {"team": "Web", "provider": "openai"},  # never reached for gpt-4o-mini: the Data rule came first
    ))
    teams = _teams(seeded)
    assert teams == {"Web": Decimal("20.00"), "Data": Decimal("7.50"), "Support": Decimal("12.25"),
                     "Developers": Decimal("3.96"), "Unallocated": Decimal("31.11")}
    assert sum(teams.values()) == queries.total_spend(seeded, NOV)  # to the cent, Unallocated included
    centres = queries.totals_by(seeded, NOV, "cost_centre")
    assert dict(zip(centres["cost_centre"], centres["cost_usd"], strict=True)) == {
        "": Decimal("31.11"), "CC-100": Decimal("23.96"), "CC-200": Decimal("7.50"), "CC-300": Decimal("12.25")}


def test_a_rule_change_restates_past_months(seeded):
    allocation.save(seeded, _rules({"team": "Web", "provider": "openai"}))
    assert _teams(seeded, OCT) == {"Web": Decimal("10.00")}
    allocation.save(seeded, _rules({"team": "Platform", "provider": "openai", "project": "proj_web"}))
    assert _teams(seeded, OCT) == {"Platform": Decimal("10.00")}
    assert _teams(seeded)["Unallocated"] == Decimal("54.82")


def test_a_catch_all_rule_and_quotes_in_names_are_plain_values(seeded):
    allocation.save(seeded, _rules({"team": "O'Brien's team\" --", "provider": "groq"}, {"team": "Everyone"}))
    assert _teams(seeded) == {"O'Brien's team\" --": Decimal("1.11"), "Everyone": Decimal("73.71")}


@pytest.mark.parametrize("rows, says", [
    ([{"team": ""}], "rule 1: team: is empty"),
    ([{"team": "Unallocated"}], "name a team"),
    ([{"team": "A"}, {"team": "B", "provider": "opneai"}], "rule 2: provider"),
    ([{"team": "A\x1b[31m"}], "control character"),
])
def test_bad_rules_are_refused_naming_each(rows, says):
    with pytest.raises(FieldsInvalid) as caught:
        allocation.validated(rows)
    assert says in str(caught.value)


def test_exports_carry_team_and_cost_centre(seeded):
    allocation.save(seeded, _rules({"team": "Web", "cost_centre": "CC-100", "project": "proj_web"}))
    rows = queries.rows(seeded, EVERYTHING)
    web = rows[rows["project"] == "proj_web"]
    assert set(web["team"]) == {"Web"} and set(web["cost_centre"]) == {"CC-100"}
    assert set(rows[rows["project"] != "proj_web"]["team"]) == {"Unallocated"}


def test_report_by_team_and_cost_centre_and_the_rules_file(cli, seeded, tmp_path):
    path = tmp_path / "rules.csv"
    path.write_text("team,cost_centre,provider,project\nWeb,CC-100,openai,Web app\nSupport,CC-300,anthropic,\n")
    done = cli("allocate", "import", str(path))
    assert done.returncode == 0 and "imported 2 rule(s)" in done.stdout
    report = json.loads(cli("report", "--by", "team", "--since", "2026-11-01", "--until", "2026-11-30", "--json").stdout,
                        parse_float=Decimal)
    assert {r["team"]: r["cost_usd"] for r in report} == {"Support": Decimal("12.25"), "Unallocated": Decimal("42.57"),
                                                         "Web": Decimal("20")}
    text = cli("report", "--by", "cost-centre", "--since", "2026-11-01", "--until", "2026-11-30").stdout
    assert "COST CENTRE" in text and "(no cost centre)" in text and "CC-300" in text
    exported = cli("allocate", "export").stdout
    assert list(csv.DictReader(io.StringIO(exported)))[0] == {
        "team": "Web", "cost_centre": "CC-100", "split": "", "provider": "openai", "project": "Web app", "api_key": "",
        "model": "", "note": ""}
    assert "1. provider is openai and project is Web app → Web (CC-100)" in cli("allocate", "list").stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("team,colour\nWeb,blue\n")
    failed = cli("allocate", "import", str(bad))
    assert failed.returncode != 0 and "unknown column(s) colour" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert len(allocation.load(seeded)) == 2  # unchanged


def test_a_file_without_a_team_column_is_refused():
    with pytest.raises(InvalidInput, match="no team column"):
        allocation.from_csv("provider\nopenai\n")


def test_a_bill_line_with_only_the_project_id_matches_by_the_name_its_usage_rows_give(store):
    store.upsert([
        _row(11, 9, "openai", "5.00", item="gpt-4o, input", project="proj_x"),  # the bill: id only
        {**_row(11, 9, "openai", "0", item="completions", project="proj_x", project_name="Checkout"),
         "kind": "usage", "cost_usd": None, "cost_status": ledger.COST_COVERED},
        _row(11, 9, "anthropic", "2.00", item="Usage", project="proj_x"),  # same id, another provider: not it
    ])
    allocation.save(store, _rules({"team": "Shop", "project": "checkout"}))
    assert _teams(store) == {"Shop": Decimal("5.00"), "Unallocated": Decimal("2.00")}


@pytest.mark.parametrize("split, team, expected", [
    ("even", "Web, Data, Research", {"Web": "10.000000020", "Data": "9.999999990", "Research": "9.999999990"}),
    ("shares", "Web=60, Data=40", {"Web": "18.000000000", "Data": "12.000000000"}),
])
def test_a_shared_invoice_is_split_and_sums_back_to_the_nano_dollar(seeded, split, team, expected):
    # the Perplexity invoice: $30.00 over November's 30 days, shared
    allocation.save(seeded, _rules({"team": team, "split": split, "provider": "perplexity"}))
    teams = _teams(seeded)
    assert {t: str(teams[t]) for t in expected} == expected
    assert sum(teams.values()) == queries.total_spend(seeded, NOV) == Decimal("74.82")
    daily = queries.totals_by(seeded, NOV, ("day", "team"))
    per_day = daily[daily["team"].isin(list(expected))].groupby("day")["cost_usd"].sum()
    assert set(per_day) == {Decimal("1")}  # every day's $1 share adds back up exactly


def test_a_metered_split_follows_each_teams_own_spend_that_day(seeded):
    allocation.save(seeded, _rules(
        {"team": "Web", "project": "proj_web"},
        {"team": "Data", "project": "proj_data"},
        {"team": "Web, Data", "split": "metered", "provider": "perplexity"},
    ))
    days_ = queries.totals_by(seeded, NOV, ("day", "team")).set_index(["day", "team"])["cost_usd"]
    # Nov 5: only Web spent ($20): it takes that day's $1; Nov 6: only Data ($7.50); Nov 7: neither: evenly
    assert days_[(date(2026, 11, 5), "Web")] == Decimal("21.00")
    assert (date(2026, 11, 5), "Data") not in days_.index or days_[(date(2026, 11, 5), "Data")] == 0
    assert days_[(date(2026, 11, 6), "Data")] == Decimal("8.50")
    assert days_[(date(2026, 11, 7), "Web")] == days_[(date(2026, 11, 7), "Data")] == Decimal("0.50")
    assert sum(_teams(seeded).values()) == Decimal("74.82")


def test_a_team_filter_and_budget_see_the_teams_share(seeded):
    allocation.save(seeded, _rules({"team": "Web=75, Data=25", "split": "shares", "provider": "perplexity"}))
    web = queries.totals_by(seeded, Filters(NOV.start, NOV.end, teams=("Web",)), "team")
    assert web["cost_usd"].tolist() == [Decimal("22.500000000")]
    assert queries.teams(seeded) == ["Data", "Web", "Unallocated"]
    exported = queries.rows(seeded, NOV)
    assert set(exported[exported["provider"] == "perplexity"]["team"]) == {"shared by shares: Web=75, Data=25"}


@pytest.mark.parametrize("row, says", [
    ({"team": "Web", "split": "even"}, "two or more different teams"),
    ({"team": "Web, Data", "split": "halves"}, "is not a split"),
    ({"team": "Web=60, Data", "split": "shares"}, "give each team its share"),
    ({"team": "Web=60, Data=40", "split": "even"}, "shares are for split 'shares'"),
    ({"team": "Web, Unallocated", "split": "even"}, "name a team"),
])
def test_bad_splits_are_refused(row, says):
    with pytest.raises(FieldsInvalid, match=says):
        allocation.validated([row])
