"""The login in a real browser against a real server: the login page is all a visitor without the password sees,
from the very first request; a download's URL holds nothing for a client without the session; guesses are
limited. Headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from aicost.config import password
from aicost.sources import demo
from pages import downloads
from tests import dashboard, days
from tests.dashboard import ARGS, CHROMIUM

PASSWORD = "correct horse battery staple"
WAIT_MS = 90_000  # generous: two shared cores; a bound on waiting, not a measurement


@pytest.fixture
def locked_url(store, ledger_url, tmp_path):
    """A freshly started dashboard with a password, over a ledger holding the demo data."""
    demo.load(store, days.TODAY)
    env = {"AICOST_SYNC_SCHEDULE": "off", "AICOST_DASHBOARD_PASSWORD_HASH": password.hash_password(PASSWORD)}
    with dashboard.serving(ledger_url, tmp_path, env) as url:
        yield url


@pytest.fixture
def page(locked_url):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/system-deps does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        yield page
        browser.close()


def _log_in(page, given: str) -> None:
    page.get_by_label("Password", exact=True).fill(given)
    page.get_by_role("button", name="Log in").click()


def _status(url: str) -> int:
    """The HTTP status of a plain GET with no cookie, no session: what any client on the network gets."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_page_asked_for_first_on_a_fresh_server_shows_only_the_login(page, locked_url):
    page.goto(f"{locked_url}/models")  # the server's very first request is for a page file, not the app
    page.get_by_label("Password", exact=True).wait_for()
    page.wait_for_load_state("networkidle")
    text = page.locator("body").inner_text()
    for name in ("Overview", "Reconciliation", "Budgets", "Settings", "access", "filters", "watch", "downloads"):
        assert name not in text, name
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert page.locator('[data-testid="stSidebar"] a').count() == 0
    assert not page.locator('[data-testid="stDataFrame"], [data-testid="stMetric"]').count()


def test_a_download_is_gone_for_a_client_without_the_session(page, locked_url):
    page.goto(locked_url)
    _log_in(page, PASSWORD)
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    sidebar = page.locator('[data-testid="stSidebar"]')
    with page.expect_download() as info:
        sidebar.locator('[data-testid="stDownloadButton"] button', has_text="CSV").first.click()
    download = info.value
    assert Path(download.path()).read_text().startswith("provider,")  # the logged-in browser got the ledger
    deadline = time.monotonic() + downloads.FETCH_GRACE_SECONDS + 30
    while _status(download.url) == 200:  # a bound on waiting: the file goes right after its fetch
        assert time.monotonic() < deadline, "the download is still served to a client without the session"
        time.sleep(0.5)
    assert _status(download.url) == 404
    assert _status(f"{locked_url}/media/{'0' * 56}.csv") == 404


def test_wrong_passwords_make_the_next_try_wait_even_for_the_right_one(page, locked_url):
    page.goto(locked_url)
    for _ in range(3):
        _log_in(page, "not the password at all")
        page.get_by_text("Wrong password.").wait_for()
    _log_in(page, "still not the password")
    page.get_by_text("Too many wrong passwords: try again in 2 seconds").wait_for()
    _log_in(page, PASSWORD)  # straight away: refused without being checked
    page.get_by_text("Too many wrong passwords").wait_for()
    assert page.get_by_role("heading", name="Overview", exact=True).count() == 0
    time.sleep(2.5)  # the wait the message names (waiting, not measuring)
    _log_in(page, PASSWORD)
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
