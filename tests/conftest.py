"""Shared fixtures: a real DuckDB ledger file per test, the CLI run as a real process, AppTest helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aicost.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ledger_url(tmp_path, monkeypatch) -> str:
    """A fresh DuckDB ledger file, also set as AICOST_DATABASE_URL for code that reads the settings."""
    url = f"duckdb:///{tmp_path / 'ledger.duckdb'}"
    monkeypatch.setenv("AICOST_DATABASE_URL", url)
    return url


@pytest.fixture
def store(ledger_url) -> Store:
    s = Store(ledger_url, lock_timeout=10)
    s.ensure_schema()
    return s


def _clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AICOST_")}
    env.update(extra or {})
    return env


@pytest.fixture
def cli(ledger_url):
    """Run `python -m aicost ...` as a real process against the test ledger; returns CompletedProcess."""

    def run(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
        full_env = _clean_env({"AICOST_DATABASE_URL": ledger_url, **(env or {})})
        return subprocess.run([sys.executable, "-m", "aicost", *args], cwd=ROOT, env=full_env, input=input,
                              capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def app_test(ledger_url):
    """An AppTest of app.py (or a page) against the test ledger, with the data cache cleared (streamlit#9139)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()

    def make(path: str = "app.py") -> AppTest:
        return AppTest.from_file(str(ROOT / path), default_timeout=60)

    yield make
    st.cache_data.clear()


# -- provider sync: the fake provider server (tests/fakeprovider.py) -------------------------------------------


@pytest.fixture(scope="session")
def fake_server():
    """One fake OpenAI + Anthropic admin API on 127.0.0.1 (random port) for the whole session."""
    from tests.fakeprovider import FakeProvider

    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server):
    """The fake server with its seeded data restored and no faults or request counts."""
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture
def provider_env(fake, monkeypatch) -> dict:
    """AICOST_* variables pointing both providers at the fake server with working keys (also set in os.environ)."""
    from tests import fakeprovider

    env = {
        "AICOST_OPENAI_ADMIN_KEY": fakeprovider.OPENAI_KEY, "AICOST_ANTHROPIC_ADMIN_KEY": fakeprovider.ANTHROPIC_KEY,
        "AICOST_OPENAI_BASE_URL": fake.openai_base_url, "AICOST_ANTHROPIC_BASE_URL": fake.anthropic_base_url,
        "AICOST_MAX_RETRIES": "3", "AICOST_REQUEST_TIMEOUT_SECONDS": "5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
