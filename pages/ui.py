"""The UI side's one thin module: the cached store and query results, formatting and colours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import streamlit as st

from aicost import anomalies, budgets, catalog, clock, export, forecast, queries, sync
from aicost.errors import AicostError, LedgerBusy, LedgerError
from aicost.settings import get_settings
from aicost.store import Store

# One colour per provider on every page (readable on light and dark themes).
PROVIDER_COLORS = {
    "openai": "#10a37f", "anthropic": "#d97757", "groq": "#f55036", "perplexity": "#20808d",
    "github-copilot": "#6e40c9", "local": "#8c8c8c", "mistral": "#fa520f", "google": "#4285f4",
}


@st.cache_resource(show_spinner=False)
def _store(url: str, lock_timeout: float) -> Store:
    return Store(url, lock_timeout=lock_timeout)


def store() -> Store:
    """The ledger named by the current settings (one Store object per URL per process).

    Raises:
        AicostError: a setting cannot be read, or the URL names no usable ledger.
    """
    s = get_settings()
    return _store(s.database_url, s.lock_timeout_seconds)


def problem(exc: AicostError) -> None:
    """One plain message in place of a page that cannot be shown: what is wrong, and what to do (no traceback)."""
    if isinstance(exc, LedgerBusy):
        st.warning(f"The ledger is busy: {exc}. Another process (a sync, an import, a command) is writing to it: "
                   "reload this page in a moment.")
    elif isinstance(exc, LedgerError):
        st.error(f"The ledger cannot be used: {exc}")
        st.info("Check `AICOST_DATABASE_URL` (README, Settings): a DuckDB file is `duckdb:///path/to/ledger.duckdb` "
                "in a folder aicost may write to; PostgreSQL is `postgresql+psycopg://user@host/dbname`. Restart "
                "the dashboard after changing it.")
    else:
        st.error(str(exc))


@contextmanager
def problems_shown() -> Iterator[None]:
    """Run a page; an expected failure (the project's errors) is shown in one message, anything else surfaces."""
    try:
        yield
    except AicostError as exc:
        problem(exc)


def check_ledger() -> None:
    """Stop the page with one message when the ledger cannot be opened or read (every page calls this first)."""
    try:
        store().ensure_schema()
    except AicostError as exc:
        problem(exc)
        st.stop()


def ttl() -> int:
    return get_settings().cache_ttl_seconds


def today() -> date:
    """Today as a UTC day: every date on every page is UTC."""
    return clock.today()


@st.cache_data(show_spinner=False, ttl=ttl())
def _totals_by(url: str, filters: queries.Filters, by):
    return queries.totals_by(store(), filters, by)


@st.cache_data(show_spinner=False, ttl=ttl())
def _month_summary(url: str, day: date, filters: queries.Filters):
    return queries.month_summary(store(), day, filters)


@st.cache_data(show_spinner=False, ttl=ttl())
def _has_rows(url: str, source: str | None):
    return queries.has_rows(store(), source)


def totals_by(filters: queries.Filters, by):
    return _totals_by(store().url.render_as_string(hide_password=False), filters, by)


def month_summary(day: date, filters: queries.Filters | None = None):
    return _month_summary(store().url.render_as_string(hide_password=False), day, filters or queries.Filters.everything())


def has_rows(source: str | None = None) -> bool:
    return _has_rows(store().url.render_as_string(hide_password=False), source)


# Read models the analytics pages use, cached per ledger URL and arguments (all small frames).
_READ_MODELS = {
    "models": queries.models, "projects": queries.projects, "api_keys": queries.api_keys,
    "reconciliation": queries.reconciliation, "unpriced": queries.unpriced, "daily_spend": queries.daily_spend,
    "allowances": queries.allowances,
    "options": queries.options, "newest_days": queries.newest_days, "freshness": sync.freshness,
    "forecast": forecast.month_end,
    "budget_statuses": budgets.statuses, "anomalies": anomalies.detect,
}


@st.cache_data(show_spinner=False, ttl=ttl())
def _read(url: str, name: str, *args):
    return _READ_MODELS[name](store(), *args)


def read(name: str, *args):
    """A cached read model: `read("models", filters)` is `queries.models(store, filters)`."""
    return _read(store().url.render_as_string(hide_password=False), name, *args)


def downloads(frame, name: str, *, key: str | None = None) -> None:
    """CSV and JSON download buttons for a table as shown (raw values: numbers stay numbers, CSV formula-safe)."""
    key = key or name
    with st.container(horizontal=True, gap="small"):
        st.download_button("CSV", data=lambda: export.frame_csv(frame), file_name=f"aicost-{name}.csv",
                           mime="text/csv", key=f"dl-{key}-csv", icon=":material/download:", on_click="ignore")
        st.download_button("JSON", data=lambda: export.frame_json(frame), file_name=f"aicost-{name}.json",
                           mime="application/json", key=f"dl-{key}-json", icon=":material/download:",
                           on_click="ignore")


def clear() -> None:
    """Forget cached query results: call after any write (sync, entry, import, demo)."""
    st.cache_data.clear()


def money(value: Decimal | float | int | None) -> str:
    """Dollars for display (rounded to cents here, and only here)."""
    if value is None:
        return "—"
    return f"${Decimal(value):,.2f}"


def provider_name(slug: str) -> str:
    return catalog.display_name(slug)


def color_map(slugs) -> dict[str, str]:
    palette = ["#1f77b4", "#9467bd", "#bcbd22", "#17becf", "#e377c2", "#7f7f7f"]
    return {provider_name(s): PROVIDER_COLORS.get(s, palette[i % len(palette)]) for i, s in enumerate(sorted(slugs))}


def counts(*columns: str) -> dict:
    """st.dataframe column_config showing whole numbers (tokens, requests) with thousands separators."""
    return {c: st.column_config.NumberColumn(format="localized") for c in columns}
