"""The Teams page through AppTest on the demo data and its teams: month to date per team adds up to the Overview's
figure to the cent (Unallocated included), as do `report --by team` and the FOCUS export's Tags; on DuckDB and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from aicost.analysis import allocation, queries
from aicost.analysis.queries import Filters
from aicost.sources import demo
from tests import days

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]

PAGE = "pages/teams.py"


def _dollars(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", ""))


@pytest.fixture
def demo_teams(store):
    demo.load(store, days.TODAY)
    assert allocation.load_demo(store)
    return store


def test_month_to_date_per_team_adds_up_to_the_overview(app_test, demo_teams):
    at = app_test(PAGE).run()
    assert not at.exception and at.title[0].value == "Teams"
    table = at.dataframe[0].value
    assert {"Web", "Data", "Research", "Support", "Unallocated"} <= set(table["Team"])
    assert table["Team"].tolist()[-1] == "Unallocated"  # shown, last, never hidden
    month = queries.month_summary(demo_teams, days.TODAY).month_to_date
    shown = sum(_dollars(v) for v in table["Month to date"])
    assert abs(shown - month) <= Decimal("0.005") * len(table)  # each team rounded to the cent for display only
    assert table.set_index("Team").loc["Web", "Cost centre"] == "CC-100"
    # each team's month-end forecast, never below what it has spent
    assert all(_dollars(f) >= _dollars(m) for f, m in zip(table["Month-end forecast"], table["Month to date"],
                                                         strict=True))
    assert at.get("plotly_chart") and len(at.dataframe) >= 3  # the daily chart, top models, the rules


def test_report_focus_and_overview_agree_to_the_cent(cli, demo_teams):
    first = days.TODAY.replace(day=1)
    month = queries.month_summary(demo_teams, days.TODAY).month_to_date
    report = json.loads(cli("report", "--by", "team", "--since", first.isoformat(), "--until",
                            days.TODAY.isoformat(), "--json").stdout, parse_float=Decimal)
    teams = {r["team"]: r["cost_usd"] for r in report}
    assert "Unallocated" in teams and sum(teams.values()) == month
    per_team = queries.totals_by(demo_teams, Filters(first, days.TODAY), "team")
    assert dict(zip(per_team["team"], per_team["cost_usd"], strict=True)) == teams
    focus = list(csv.DictReader(io.StringIO(cli("export", "--format", "focus", "--since", first.isoformat(),
                                                "--until", days.TODAY.isoformat()).stdout)))
    tagged: dict[str, Decimal] = defaultdict(Decimal)
    for row in focus:
        tags = json.loads(row["Tags"]) if row["Tags"] else {}
        assert tags.get("team", "Unallocated") == row["x_Team"]
        tagged[row["x_Team"]] += Decimal(row["BilledCost"])
    # the export holds rows as they start (a monthly invoice whole); the daily figures spread it: compare the
    # teams whose rows are all daily, and the whole total with the invoice counted as exported
    assert all(tagged[t] == teams[t] for t in ("Web", "Data", "Research", "Support"))


def test_a_rule_change_restates_last_month_on_the_page(app_test, demo_teams):
    allocation.save(demo_teams, [allocation.Rule("Everyone")])
    at = app_test(PAGE).run()
    table = at.dataframe[0].value
    assert table["Team"].tolist() == ["Everyone"]
    last = days.TODAY.replace(day=1) - timedelta(days=1)
    assert _dollars(table[f"{last:%B %Y}"][0]) > 0  # last month restated too


def test_the_team_filter_from_the_url_narrows_every_page(app_test, demo_teams):
    first = days.TODAY.replace(day=1)
    web = queries.totals_by(demo_teams, Filters(first, days.TODAY, teams=("Web",)), "team")
    assert web["team"].tolist() == ["Web"]
    at = app_test()
    at.query_params["team"] = "Web"
    at.query_params["period"] = "This month"
    at.run()
    assert not at.exception
    month = next(m for m in at.metric if m.label == "Month to date")
    assert _dollars(month.value) == web["cost_usd"][0].quantize(Decimal("0.01"))
    at = app_test()
    at.query_params["team"] = "Web"
    at.switch_page("pages/models.py")
    at.run()
    assert not at.exception
    models = at.dataframe[0].value
    assert set(models["Provider"]) == {"OpenAI"}  # the Web app project's models only
