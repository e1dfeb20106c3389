"""The analytics pages through AppTest: empty ledger, demo data, every filter, and the URL round trip."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from aicost import clock
from aicost.analysis import queries
from aicost.sources import demo, manual
from pages import filters, ui
from tests import days

pytestmark = [pytest.mark.both_backends, pytest.mark.dates]  # pages on a team server's PostgreSQL too

PAGES = ("pages/overview.py", "pages/models.py", "pages/projects_keys.py", "pages/reconciliation.py")
TITLES = {"pages/overview.py": "Overview", "pages/models.py": "Models", "pages/projects_keys.py": "Projects and keys",
          "pages/reconciliation.py": "Reconciliation"}


def _today():
    return days.TODAY


def _open(app_test, page, params=None):
    at = app_test()
    for k, v in (params or {}).items():
        at.query_params[k] = v
    if page != "pages/overview.py":
        at.switch_page(page)  # before the first run: the page opened straight from its URL
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == TITLES[page]
    return at


def _metric(at, label):
    return next(m for m in at.metric if m.label == label)


@pytest.mark.parametrize("page", PAGES[1:])
def test_empty_ledger_says_what_to_do_next(app_test, store, page):
    at = _open(app_test, page)
    assert "ledger is empty" in at.info[0].value and "demo data" in at.info[0].value
    assert not at.dataframe


@pytest.fixture
def demo_store(store):
    demo.load(store, _today())
    return store


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_demo_data_with_downloads(app_test, demo_store, page):
    at = _open(app_test, page)
    assert at.dataframe, "a table"
    assert at.get("plotly_chart"), "a chart"
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("CSV") >= 2 and "FOCUS" in labels and "JSON" in labels  # ledger + each table
    assert "UTC" in at.sidebar.caption[0].value


def test_overview_figures_with_demo_data(app_test, demo_store):
    at = _open(app_test, "pages/overview.py")
    assert [m.label for m in at.metric][:4] == ["Month to date", "Month-end forecast", "Last month",
                                                "Same point last month"]
    today = _today()
    f = queries.Filters(today - timedelta(days=29), today)
    assert _metric(at, "Spend").value == ui.money(queries.total_spend(demo_store, f))
    estimated = queries.totals_by(demo_store, f, "cost_status").set_index("cost_status").loc["estimated", "cost_usd"]
    assert _metric(at, "Estimated, not billed").delta == ui.money(estimated)
    assert _metric(at, "Month-end forecast").delta.startswith("$")
    freshness = at.dataframe[-1].value.set_index("Provider")
    assert freshness.loc["OpenAI", "Newest data (UTC)"] == f"{today} (demo)"
    assert freshness.loc["OpenAI", "Last sync (UTC)"] == "not synced yet: set its admin key"
    assert freshness.loc["Groq", "Last sync (UTC)"] == "no usage API: entered or imported"


@pytest.mark.parametrize("period", [p for p in filters.PERIODS if p != filters.CUSTOM])
def test_each_period_preset_sets_the_window(app_test, demo_store, period):
    at = _open(app_test, "pages/overview.py", {"period": period})
    assert at.selectbox(key="period").value == period
    start, end = filters.window(period, _today())
    assert _metric(at, "Spend").value == ui.money(queries.total_spend(demo_store, queries.Filters(start, end)))
    assert at.sidebar.caption[0].value == f"{start:%d %b %Y} – {end:%d %b %Y}, UTC days"


def test_custom_days_from_the_url(app_test, demo_store):
    a, b = _today() - timedelta(days=20), _today() - timedelta(days=14)
    at = _open(app_test, "pages/overview.py", {"period": "Custom", "days": [a.isoformat(), b.isoformat()]})
    assert at.date_input(key="days").value == (a, b)
    assert _metric(at, "Spend").value == ui.money(queries.total_spend(demo_store, queries.Filters(a, b)))


def test_provider_project_and_model_filters(app_test, demo_store):
    today = _today()
    window = (today - timedelta(days=29), today)
    at = _open(app_test, "pages/models.py")
    at.multiselect(key="provider").select("groq").run()
    assert not at.exception
    assert set(at.dataframe[0].value["Provider"]) == {"Groq"}
    at.multiselect(key="provider").unselect("groq").run()
    at.multiselect(key="project").select("proj_web").run()
    assert set(at.dataframe[0].value["Model"]) == {"gpt-4.1", "gpt-4o-mini"}
    at.multiselect(key="project").unselect("proj_web").run()
    at.multiselect(key="model").select("gpt-4o").run()
    shown = at.dataframe[0].value
    assert list(shown["Model"]) == ["gpt-4o"]
    expected = queries.total_spend(demo_store, queries.Filters(*window, models=("gpt-4o",)))
    assert shown["Spend"].iloc[0] == ui.money(expected) and expected > 0


def test_filters_come_from_the_url_and_follow_every_page(app_test, demo_store):
    params = {"period": "Last 7 days", "provider": ["OpenAI", "Anthropic"], "model": "gpt-4o"}
    at = _open(app_test, "pages/overview.py", params)
    assert at.multiselect(key="provider").value == ["openai", "anthropic"]
    assert at.multiselect(key="model").value == ["gpt-4o"]
    for page in PAGES[1:]:
        at.switch_page(page).run()
        assert not at.exception
        assert at.selectbox(key="period").value == "Last 7 days"
        assert at.multiselect(key="provider").value == ["openai", "anthropic"]
        assert at.multiselect(key="model").value == ["gpt-4o"]
    models = _open(app_test, "pages/models.py", params).dataframe[0].value
    assert list(models["Model"]) == ["gpt-4o"]


def test_unknown_url_values_are_ignored(app_test, demo_store):
    at = _open(app_test, "pages/overview.py", {"period": "Last 9 years", "provider": "Nope"})
    assert at.selectbox(key="period").value == filters.DEFAULT_PERIOD
    assert at.multiselect(key="provider").value == []


def test_projects_and_keys_name_workspaces_and_console(app_test, demo_store):
    at = _open(app_test, "pages/projects_keys.py")
    projects, keys = at.dataframe[0].value, at.dataframe[1].value
    assert "Default workspace" in set(projects["Project"]) and "Web app (proj_web)" in set(projects["Project"])
    assert "Console/Workbench" in set(keys["Key"]) and "web-prod (key_web_prod)" in set(keys["Key"])


def test_reconciliation_per_grain_and_unpriced_rows(app_test, demo_store):
    at = _open(app_test, "pages/reconciliation.py", {"per": "Provider"})
    table = at.dataframe[0].value
    assert list(table.columns[:2]) == ["Provider", "Billed"]
    assert {"OpenAI", "Anthropic"} <= set(table["Provider"])
    unpriced = next(d.value for d in at.dataframe if "Length" in d.value.columns)
    assert set(unpriced["Model"]) == {"custom-finetune-v1"}
    assert list(unpriced.columns[:4]) == ["From (UTC)", "Length", "Provider", "Source"]
    assert "None" not in unpriced.astype(str).values  # no raw cells: numbers with separators, empty for no text
    assert all(v == "—" or v.replace(",", "").isdigit() for v in unpriced["Requests"])
    assert "no known price" in at.warning[0].value
    at = _open(app_test, "pages/reconciliation.py", {"per": "Model and day"})
    assert list(at.dataframe[0].value.columns[:3]) == ["Provider", "Model", "Day (UTC)"]


def test_a_filter_with_nothing_in_it_says_so(app_test, demo_store):
    before = [(_today() - timedelta(days=d)).isoformat() for d in (300, 200)]  # long before the demo's 90 days
    at = _open(app_test, "pages/models.py", {"period": "Custom", "days": before})
    assert "Widen the period" in at.info[0].value
    assert not at.dataframe


def _spec(at, index=0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


@pytest.mark.parametrize("case", ["this month on the 1st", "a one-day custom range"])
def test_a_one_day_period_has_bars_and_day_ticks(app_test, store, monkeypatch, case):
    """"This month" on the 1st, or a one-day custom range: charts show the day, on a day axis (no sub-second ticks)."""
    if case == "this month on the 1st":
        today = _today().replace(day=1)
        monkeypatch.setenv(clock.ENV, today.isoformat())
        params = {"period": "This month"}
    else:
        today = _today()
        day = today - timedelta(days=3)
        params = {"period": "Custom", "days": [day.isoformat(), day.isoformat()]}
    demo.load(store, today)
    at = _open(app_test, "pages/overview.py", params)
    spec = _spec(at)
    bars = [t for t in spec["data"] if t["type"] == "bar"]
    assert bars and all(len(t["x"]) == 1 for t in bars), "a bar per provider on the one day"
    axis = spec["layout"]["xaxis"]
    assert axis["type"] == "date" and axis["tickformat"] == "%d %b" and axis["dtick"] == 86_400_000
    assert axis["range"][0].endswith("12:00:00") and axis["range"][1].endswith("12:00:00")  # the day, centred
    assert all("$%{y:,.2f}" in t["hovertemplate"] for t in bars)  # money in the tooltip, not Spend (USD)=53.60437

    models = _open(app_test, "pages/models.py", params)
    lines = [t for t in _spec(models, 1)["data"] if t["type"] == "scatter"]
    assert lines and all("markers" in t["mode"] for t in lines), "one point per line is drawn as a marker"
    assert all(t["showlegend"] is not False and t["name"] for t in lines)  # every line has a legend entry
    tree = _spec(models, 0)["data"][0]
    assert "-" not in tree["labels"] and "$%{value:,.2f}" in tree["hovertemplate"]


def test_no_model_has_one_label_and_unknown_requests_are_not_zero(app_test, demo_store):
    manual.add(demo_store, manual.Entry("groq", _today().isoformat(), cost="1259.21"))  # a month's bill, no model
    at = _open(app_test, "pages/models.py")
    models = at.dataframe[0].value
    groq = models[models["Provider"] == "Groq"].set_index("Model")
    assert groq.loc["(no model)", "Spend"] == "$1,259.21"
    tree = _spec(at, 0)["data"][0]
    assert "(no model)" in tree["labels"] and "-" not in tree["labels"]
    assert "(no model)" in [t["name"] for t in _spec(at, 1)["data"]]
    top = _spec(_open(app_test, "pages/overview.py"), 1)["data"]
    assert "(no model)" in [y for t in top for y in t["y"]]
    anthropic = models[models["Provider"] == "Anthropic"]
    assert len(anthropic) and set(anthropic["Requests"]) == {"—"}  # Anthropic does not report requests
    assert list(models.columns[:3]) == ["Model", "Spend", "Provider"]  # a narrow screen keeps the spend in view
    projects = _open(app_test, "pages/projects_keys.py").dataframe[0].value
    assert "—" in set(projects.loc[projects["Provider"] == "Anthropic", "Requests"])
    assert "" not in set(models["Model"]) and "-" not in set(models["Model"])


def test_models_grouped_by_maker_from_the_url(app_test, store):
    first = days.TODAY.replace(day=1)
    row = {"bucket_start": datetime.combine(first, datetime.min.time()), "bucket_width": "1d", "source": "api",
           "kind": "cost", "model": "claude-sonnet-4-5", "cost_status": "billed"}
    store.upsert([{**row, "provider": "anthropic", "item": "Usage", "cost_usd": Decimal("4")},
                  {**row, "provider": "aws-bedrock", "item": "USE1-MP:USE1_InputTokenCount", "publisher": "anthropic",
                   "cost_usd": Decimal("3")}])
    billed = _open(app_test, "pages/models.py", {"period": "This month"}).dataframe[0].value
    assert sorted(billed["Spend"]) == ["$3.00", "$4.00"] and set(billed["Maker"]) == {"Anthropic"}
    made = _open(app_test, "pages/models.py", {"by": "Maker", "period": "This month"}).dataframe[0].value
    assert made["Spend"].tolist() == ["$7.00"] and made["Maker"].tolist() == ["Anthropic"]
    assert "Anthropic" in made["Provider"][0] and "," in made["Provider"][0]
