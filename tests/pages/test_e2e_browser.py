"""End to end in a real headless Chromium: the dashboard as a user sees it, on demo data.

Starts `streamlit run app.py` on a free port against a temporary ledger, visits every analytics page, changes
a filter, downloads the filtered ledger as CSV and checks it, and saves a screenshot of each page under
test-artifacts/. Needs Debian's chromium at /usr/bin/chromium (.ci/run installs it); fails, never skips,
without it.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from aicost.analysis import queries
from aicost.sources import demo
from tests import dashboard, days
from tests.conftest import ROOT
from tests.dashboard import ARGS, CHROMIUM

ARTIFACTS = ROOT / "test-artifacts"
PAGES = ("Overview", "Models", "Projects and keys", "Reconciliation")
WAIT_MS = 90_000  # generous: two shared cores; this is a bound on waiting, not a measurement


@pytest.fixture
def app_url(store, ledger_url, tmp_path):
    """The dashboard on a free port, against a ledger holding the demo data."""
    demo.load(store, days.TODAY)
    # no scheduled sync or alerts check at startup: this test is about pages
    with dashboard.serving(ledger_url, tmp_path, {"AICOST_SYNC_SCHEDULE": "off"}) as url:
        yield url


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)",
                    pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install -r requirements.txt", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' status, no stale elements)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=WAIT_MS)


def _goto_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebar"] a', has_text=title).first.click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=WAIT_MS)
    _settle(page)


def test_every_page_in_a_real_browser_filter_and_csv_download(app_url, browser, store):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(app_url)
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    page.get_by_text("Month to date").first.wait_for()
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    _settle(page)
    page.set_viewport_size({"width": 1440, "height": 1800})  # Streamlit scrolls inside the page: show it all
    _settle(page)
    page.screenshot(path=str(ARTIFACTS / "overview.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})

    for title in PAGES[1:]:
        _goto_page(page, title)
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        assert "Traceback" not in page.content()
        page.screenshot(path=str(ARTIFACTS / f"{title.lower().replace(' ', '-')}.png"), full_page=True)
    assert not page.locator('[data-testid="stException"]').count()

    # change a filter: the period, from the sidebar; it lands in the URL and follows the user to another page
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Last 7 days", exact=True).click()
    page.wait_for_url("**period=Last*7*days*")
    today = days.TODAY
    week = queries.Filters(today - timedelta(days=6), today)
    # the server has run the page with the new period (the URL changes in the browser before that)
    sidebar.get_by_text(f"{week.start:%d %b %Y} – {week.end:%d %b %Y}, UTC days").wait_for()
    _settle(page)
    _goto_page(page, "Models")
    page.wait_for_url("**/models?*period=Last*7*days*")  # the filter follows the user (the URL is updated by the page)
    sidebar.get_by_text(f"{week.start:%d %b %Y} – {week.end:%d %b %Y}, UTC days").wait_for()
    page.screenshot(path=str(ARTIFACTS / "models-last-7-days.png"), full_page=True)

    # download the filtered ledger as CSV and check it against the ledger
    with page.expect_download() as info:
        sidebar.locator('[data-testid="stDownloadButton"] button', has_text="CSV").first.click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = queries.rows(store, week)
    assert len(rows) == len(expected) > 0
    assert {"provider", "bucket_start_utc", "cost_usd", "cost_status", "input_tokens"} <= set(rows[0])
    assert min(r["bucket_start_utc"] for r in rows) >= str(week.start)
    total = sum((Decimal(r["cost_usd"]) for r in rows if r["cost_usd"]), Decimal(0))
    assert total == sum((v for v in expected["cost_usd"] if v is not None), Decimal(0))
    assert info.value.suggested_filename.startswith("aicost-ledger-")
    context.close()


@pytest.fixture
def first_of_month_url(store, ledger_url, tmp_path):
    """The dashboard as of the 1st of the suite's month: "This month" is then a one-day period."""
    first = days.TODAY.replace(day=1)
    demo.load(store, first)
    with dashboard.serving(ledger_url, tmp_path, {"AICOST_SYNC_SCHEDULE": "off",
                                                  "AICOST_TODAY": first.isoformat()}) as url:
        yield url, first


def _tick_labels(page) -> list[list[str]]:
    """The x-axis tick labels of each chart on the page."""
    charts = page.locator('[data-testid="stPlotlyChart"]')
    return [[t.strip() for t in charts.nth(i).locator(".xtick text").all_text_contents()]
            for i in range(charts.count())]


def test_a_one_day_period_on_a_phone_reads_as_days(first_of_month_url, browser):
    """On the 1st, "This month" is one day: the time axis names that day (no "23:59:59.9996"), the Models
    table keeps its Spend column in sight on a 390 px wide screen, a table's download is named after the days it
    covers, and the favicon is served by the dashboard itself."""
    url, first = first_of_month_url
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{url}/?period=This+month")
    page.get_by_text("Month to date").first.wait_for()
    page.locator('[data-testid="stPlotlyChart"] .xtick text').first.wait_for()
    _settle(page)
    charts = _tick_labels(page)
    assert charts and all(":" not in t for labels in charts for t in labels), charts
    assert [f"{first:%d %b}"] in charts, charts  # the daily chart of this month: one day, one label

    icon = page.locator('link[rel*="icon"]').first.get_attribute("href")
    assert icon and not icon.startswith("http") or icon.startswith(url), icon
    answer = context.request.get(icon if icon.startswith("http") else f"{url}/{icon.lstrip('./')}")
    assert answer.ok and answer.headers["content-type"].startswith("image/")

    page.goto(f"{url}/models?period=This+month")
    page.get_by_role("heading", name="Models", exact=True).first.wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    _settle(page)
    assert "Traceback" not in page.content()
    # the grid draws on a canvas; its accessible table lists the columns it has drawn, in order: Spend comes
    # straight after the model, pinned, so a phone shows it without scrolling sideways
    headers = page.locator('[data-testid="stDataFrame"]').first.locator('th[role="columnheader"]')
    headers.first.wait_for(state="attached")
    assert [h.strip() for h in headers.all_text_contents()][:2] == ["Model", "Spend"]
    page.screenshot(path=str(ARTIFACTS / "models-phone.png"), full_page=True)

    with page.expect_download() as info:
        page.locator('[data-testid="stMain"] [data-testid="stDownloadButton"] button', has_text="CSV").first.click()
    stamp = f"{first:%Y%m%d}"
    assert info.value.suggested_filename == f"aicost-models-{stamp}-{stamp}.csv"
    context.close()


RAW = (
    (re.compile(r"\b(None|nan|NaN|NaT|null)\b"), "an empty value shown raw"),
    (re.compile(r"\d{2}:\d{2}:\d{2}\.\d"), "a sub-second time"),
    (re.compile(r"(?<![\w.])\d+\.\d{4,}(?![\w.])"), "a number with four or more decimals"),
    (re.compile(r"\b\d{5,}\b(?![-/])"), "a large count without separators"),
)
ALL_PAGES = ("overview", "models", "projects_keys", "reconciliation", "teams", "sync", "manual_entry", "budgets", "anomalies",
             "settings")


def test_no_page_shows_a_raw_figure_on_a_one_day_period(first_of_month_url, browser):
    """Every page as a new user walks them on the 1st ("This month" is one day): no None/nan, no raw decimals,
    no sub-second times, no five-digit counts without separators, in what the page draws as text (the grids' cells
    in view included) and in the charts' axes."""
    url, first = first_of_month_url
    context = browser.new_context(viewport={"width": 1440, "height": 2400})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    found = []
    for name in ALL_PAGES:
        page.goto(f"{url}/{'' if name == 'overview' else name}?period=This+month")
        page.locator('[data-testid="stMain"] h1').first.wait_for()
        _settle(page)
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "Traceback" not in text and not page.locator('[data-testid="stException"]').count(), name
        for pattern, what in RAW:
            found += [f"{name}: {what}: {m.group(0)!r}" for m in pattern.finditer(text)]
    context.close()
    assert not found
