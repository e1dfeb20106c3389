"""The analytics pages through AppTest: empty ledger, demo data, every filter, and the URL round trip."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aicost import demo, queries
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
    freshness = " ".join(m.value for m in at.markdown)
    assert "**Perplexity**" in freshness and f"newest demo data: {today} UTC" in freshness


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
    unpriced = at.dataframe[1].value
    assert set(unpriced["model"]) == {"custom-finetune-v1"}
    assert "no known price" in at.warning[0].value
    at = _open(app_test, "pages/reconciliation.py", {"per": "Model and day"})
    assert list(at.dataframe[0].value.columns[:3]) == ["Provider", "Model", "Day (UTC)"]


def test_a_filter_with_nothing_in_it_says_so(app_test, demo_store):
    before = [(_today() - timedelta(days=d)).isoformat() for d in (300, 200)]  # long before the demo's 90 days
    at = _open(app_test, "pages/models.py", {"period": "Custom", "days": before})
    assert "Widen the period" in at.info[0].value
    assert not at.dataframe
