"""Shared fixtures: a real DuckDB ledger file per test, the CLI run as a real process, AppTest helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from aicost import clock
from aicost.ledger.store import Store
from tests import days

ROOT = Path(__file__).resolve().parent.parent


# -- ledger backends: DuckDB always; a real PostgreSQL too where a module opts in ----------------------------------
# A module (or test) marked `both_backends` runs each test that uses `ledger_url`/`store`/`cli` once per backend;
# `duckdb_only` takes one test of such a module back out (raw duckdb files, duckdb_constraints(), EXCLUDE ...).
# Opt-in rather than parametrizing every test: many tests poke at DuckDB itself, and their owners know which.
BACKENDS = ("duckdb", "postgresql")


def pytest_configure(config):
    config.addinivalue_line("markers", "both_backends: run against DuckDB and a real PostgreSQL server")
    config.addinivalue_line("markers", "duckdb_only: DuckDB only, inside a both_backends module")
    config.addinivalue_line("markers", "dates: depends on today's date; .ci/dates runs these under simulated instants")


def pytest_generate_tests(metafunc):
    node = metafunc.definition
    if ("backend" in metafunc.fixturenames and node.get_closest_marker("both_backends")
            and not node.get_closest_marker("duckdb_only")):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The ledger's database: "duckdb" unless the test is parametrized over BACKENDS."""
    return getattr(request, "param", "duckdb")


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL 15 server for the session, in a temporary directory, on a free port; fails (never skips)
    when the server binaries are missing."""
    from tests.pgserver import PostgresMissing, PostgresServer

    try:
        server = PostgresServer().start()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh, empty PostgreSQL database of the session server, dropped after the test."""
    name = postgres_server.create_database()
    request.addfinalizer(lambda: postgres_server.drop_database(name))
    return postgres_server.url(name)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch) -> date:
    """Every test runs on the suite's today (tests/days.py): aicost reads it from AICOST_TODAY, and so do the CLI
    processes and servers the tests start, whatever the wall clock says meanwhile."""
    monkeypatch.setenv(clock.ENV, days.TODAY.isoformat())
    return days.TODAY


@pytest.fixture(autouse=True)
def keys_file(tmp_path, monkeypatch) -> Path:
    """Where saved admin keys go in this test (never the developer's own data/keys.json); not created."""
    path = tmp_path / "secrets" / "keys.json"
    monkeypatch.setenv("AICOST_SECRETS_FILE", str(path))
    return path


@pytest.fixture(autouse=True)
def no_rates_api(monkeypatch) -> None:
    """No test asks the real ECB for exchange rates: entered rates only, unless it uses ecb_fake."""
    monkeypatch.setenv("AICOST_ECB_URL", "")


@pytest.fixture
def ledger_url(backend, tmp_path, monkeypatch, request) -> str:
    """A fresh ledger (a DuckDB file, or a new PostgreSQL database), also set as AICOST_DATABASE_URL for code
    that reads the settings."""
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"duckdb:///{tmp_path / 'ledger.duckdb'}"
    monkeypatch.setenv("AICOST_DATABASE_URL", url)
    return url


@pytest.fixture
def store(ledger_url) -> Store:
    s = Store(ledger_url, lock_timeout=10)
    s.ensure_schema()
    return s


def _clean_env(extra: dict | None = None) -> dict:
    """The environment for a process a test starts: no AICOST_ setting of the developer's, but the suite's today."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICOST_") or k == clock.ENV}
    env["AICOST_ECB_URL"] = ""  # never the real ECB: a test that converts gives its fake
    env.update(extra or {})
    return env


@pytest.fixture
def cli(ledger_url):
    """Run `python -m aicost ...` as a real process against the test ledger; returns CompletedProcess."""

    def run(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
        full_env = _clean_env({"AICOST_DATABASE_URL": ledger_url, "AICOST_SECRETS_FILE": os.environ["AICOST_SECRETS_FILE"],
                               **(env or {})})
        return subprocess.run([sys.executable, "-m", "aicost", *args], cwd=ROOT, env=full_env, input=input,
                              capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def app_test(ledger_url, monkeypatch):
    """An AppTest of app.py (or a page) against the test ledger, with the data cache cleared (streamlit#9139).
    The scheduled sync is off: a scheduler thread would outlive the test (tests/delivery/test_scheduler.py covers it)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AICOST_SYNC_SCHEDULE", "off")
    st.cache_data.clear()

    def make(path: str = "app.py") -> AppTest:
        return AppTest.from_file(str(ROOT / path), default_timeout=60)

    yield make
    st.cache_data.clear()


# -- provider sync: the fake provider server (tests/fakeprovider.py) -------------------------------------------


@pytest.fixture
def hook():
    """A real webhook receiver on 127.0.0.1 (tests/receivers.py) for this test."""
    from tests.receivers import WebhookReceiver

    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    """A real SMTP receiver on 127.0.0.1 (tests/receivers.py), no login, for this test."""
    from tests.receivers import SmtpReceiver

    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def fake_server():
    """One fake OpenAI + Anthropic admin API on 127.0.0.1 (random port) for the whole session."""
    from tests.fakeprovider import FakeProvider

    server = FakeProvider(today=days.TODAY).start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server):
    """The fake server with its seeded data restored and no faults or request counts."""
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture(scope="session")
def openrouter_server():
    """One fake OpenRouter API on 127.0.0.1 (tests/sources/fake_openrouter.py) for the whole session."""
    from tests.sources.fake_openrouter import FakeOpenRouter

    server = FakeOpenRouter(days.TODAY).start()
    yield server
    server.stop()


@pytest.fixture
def openrouter_fake(openrouter_server):
    """The fake OpenRouter with no queued faults and no requests counted."""
    openrouter_server.faults.clear()
    openrouter_server.requests.clear()
    yield openrouter_server
    openrouter_server.faults.clear()


@pytest.fixture(scope="session")
def github_server():
    """One fake GitHub billing API on 127.0.0.1 (tests/sources/fake_github.py) for the whole session."""
    from tests.sources.fake_github import FakeGitHub

    server = FakeGitHub().start()
    yield server
    server.stop()


@pytest.fixture
def github_fake(github_server):
    """The fake GitHub with no queued faults, no requests counted and the seats readable."""
    github_server.faults.clear()
    github_server.requests.clear()
    github_server.asked.clear()
    github_server.usage_refusal = None
    yield github_server
    github_server.faults.clear()


@pytest.fixture(scope="session")
def xai_server():
    """One fake xAI Management API on 127.0.0.1 (tests/sources/fake_xai.py) for the whole session."""
    from tests.sources.fake_xai import FakeXAI

    server = FakeXAI().start()
    yield server
    server.stop()


@pytest.fixture
def xai_fake(xai_server):
    """The fake xAI with no queued faults, no requests counted, whole answers and the documented balance."""
    from tests.sources.fake_xai import documented

    xai_server.faults.clear()
    xai_server.requests.clear()
    xai_server.limit_reached = False
    xai_server.prepaid = documented("prepaid_balance_doc.json")
    yield xai_server
    xai_server.faults.clear()


@pytest.fixture(scope="session")
def mistral_server():
    """One fake Mistral Admin API on 127.0.0.1 (tests/sources/fake_mistral.py) for the whole session."""
    from tests.sources.fake_mistral import FakeMistral

    server = FakeMistral().start()
    yield server
    server.stop()


@pytest.fixture
def mistral_fake(mistral_server):
    """The fake Mistral with no usage, the default prices and currency, no queued faults and no requests counted."""
    from tests.sources.fake_mistral import PRICES

    def reset():
        mistral_server.usage.clear()
        mistral_server.prices = dict(PRICES)
        mistral_server.currency = "EUR"
        mistral_server.extra.clear()
        mistral_server.faults.clear()
        mistral_server.requests.clear()

    reset()
    yield mistral_server
    reset()


@pytest.fixture(scope="session")
def bigquery_server():
    """One fake BigQuery REST API on 127.0.0.1 holding the billing export fixture (tests/sources/fake_bigquery.py)."""
    from tests.sources.fake_bigquery import FakeBigQuery

    server = FakeBigQuery().start()
    yield server
    server.stop()


@pytest.fixture
def bigquery_fake(bigquery_server):
    """The fake BigQuery with the fixture's rows, a partitioned table that exists, no faults, no requests counted."""
    from tests.sources.fake_bigquery import fixture_rows

    def reset():
        bigquery_server.rows = fixture_rows()
        bigquery_server.partitioned, bigquery_server.exists, bigquery_server.page_rows = True, True, 2
        bigquery_server.faults.clear()
        bigquery_server.requests.clear()
        bigquery_server.queries.clear()
        bigquery_server.results.clear()

    reset()
    yield bigquery_server
    reset()


@pytest.fixture(scope="session")
def ce_server():
    """One fake AWS Cost Explorer on 127.0.0.1 (tests/sources/fake_ce.py) for the whole session."""
    from tests.sources.fake_ce import FakeCostExplorer

    server = FakeCostExplorer().start()
    yield server
    server.stop()


@pytest.fixture
def ce_fake(ce_server):
    """The fake Cost Explorer with no bill lines, no queued faults, nothing refused and no requests counted."""

    def reset():
        ce_server.lines.clear()
        ce_server.faults.clear()
        ce_server.denied = False
        ce_server.page_days = 10
        ce_server.estimated_from = None
        ce_server.requests.clear()
        ce_server.signed_by.clear()

    reset()
    yield ce_server
    reset()


@pytest.fixture(scope="session")
def azure_server():
    """One fake Azure (Cost Management query and a managed identity token endpoint) on 127.0.0.1
    (tests/sources/fake_azure.py) for the whole session."""
    from tests.sources.fake_azure import FakeAzure

    server = FakeAzure().start()
    yield server
    server.stop()


@pytest.fixture
def azure_fake(azure_server, monkeypatch):
    """The fake Azure with no bill, the default scope granted, no faults and no requests counted; azure-identity
    finds its token endpoint as App Service's managed identity (IDENTITY_ENDPOINT, IDENTITY_HEADER), and no other
    Azure credential of the machine's environment is seen."""
    from tests.sources.fake_azure import IDENTITY_HEADER, SCOPE

    def reset():
        azure_server.lines.clear()
        azure_server.scopes = {SCOPE}
        azure_server.page_size = 4
        azure_server.faults.clear()
        azure_server.pages = None
        azure_server.tokens_issued.clear()
        azure_server.requests.clear()

    for name in [n for n in os.environ if n.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("IDENTITY_ENDPOINT", azure_server.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    reset()
    yield azure_server
    reset()


@pytest.fixture(scope="session")
def ecb_server():
    """One fake ECB exchange-rate API on 127.0.0.1 (tests/sources/fake_ecb.py) for the whole session."""
    from tests.sources.fake_ecb import FakeECB

    server = FakeECB().start()
    yield server
    server.stop()


@pytest.fixture
def ecb_fake(ecb_server, monkeypatch):
    """The fake ECB with no holidays, no queued faults and no requests counted; AICOST_ECB_URL points at it."""
    ecb_server.faults.clear()
    ecb_server.requests.clear()
    ecb_server.holidays.clear()
    ecb_server.fixed.clear()
    monkeypatch.setenv("AICOST_ECB_URL", ecb_server.base_url)
    yield ecb_server
    ecb_server.faults.clear()


@pytest.fixture
def provider_env(fake, openrouter_fake, github_fake, xai_fake, mistral_fake, ecb_fake, monkeypatch) -> dict:
    """AICOST_* variables pointing every synced provider at its fake server with working keys (also set in
    os.environ): OpenAI and Anthropic at tests/fakeprovider.py, OpenRouter at tests/sources/fake_openrouter.py,
    GitHub Copilot at tests/sources/fake_github.py, xAI at tests/sources/fake_xai.py, Mistral (billing in EUR, with
    usage on each of the last 100 days) at tests/sources/fake_mistral.py, and exchange rates at tests/sources/fake_ecb.py."""
    from tests import fakeprovider
    from tests.sources import fake_github, fake_mistral, fake_xai
    from tests.sources.fake_openrouter import MANAGEMENT_KEY

    mistral_fake.fill(days.TODAY - timedelta(days=99), days.TODAY)
    env = {
        "AICOST_OPENAI_ADMIN_KEY": fakeprovider.OPENAI_KEY, "AICOST_ANTHROPIC_ADMIN_KEY": fakeprovider.ANTHROPIC_KEY,
        "AICOST_OPENAI_BASE_URL": fake.openai_base_url, "AICOST_ANTHROPIC_BASE_URL": fake.anthropic_base_url,
        "AICOST_OPENROUTER_ADMIN_KEY": MANAGEMENT_KEY, "AICOST_OPENROUTER_BASE_URL": openrouter_fake.base_url,
        "AICOST_GITHUB_ADMIN_KEY": fake_github.TOKEN, "AICOST_GITHUB_ORG": fake_github.ORG,
        "AICOST_GITHUB_BASE_URL": github_fake.base_url,
        "AICOST_XAI_ADMIN_KEY": fake_xai.TEAM_KEY, "AICOST_XAI_BASE_URL": xai_fake.base_url,
        "AICOST_MISTRAL_ADMIN_KEY": fake_mistral.ADMIN_KEY, "AICOST_MISTRAL_BASE_URL": mistral_fake.base_url,
        "AICOST_ECB_URL": ecb_fake.base_url,
        "AICOST_MAX_RETRIES": "3", "AICOST_REQUEST_TIMEOUT_SECONDS": "5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
