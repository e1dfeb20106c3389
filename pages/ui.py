"""The UI side's one thin module: the cached store and query results, formatting and colours."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import streamlit as st

from aicost import clock, display
from aicost.analysis import anomalies, budgets, forecast, queries, reminders, reporting
from aicost.config.settings import get_settings
from aicost.delivery import export
from aicost.errors import AicostError, LedgerBusy, LedgerError
from aicost.ledger.store import Store
from aicost.sources import catalog, sync
from aicost.sources import currency as currency_rates
from pages import palette


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
    filters = filters or dataclasses.replace(queries.Filters.everything(), currency=currency())
    return _month_summary(store().url.render_as_string(hide_password=False), day, filters)


def has_rows(source: str | None = None) -> bool:
    return _has_rows(store().url.render_as_string(hide_password=False), source)


# Read models the analytics pages use, cached per ledger URL and arguments (all small frames).
_READ_MODELS = {
    "models": queries.models, "projects": queries.projects, "api_keys": queries.api_keys,
    "reconciliation": queries.reconciliation, "unpriced": queries.unpriced, "daily_spend": queries.daily_spend,
    "allowances": queries.allowances, "teams": queries.teams, "currencies": queries.currencies,
    "options": queries.options, "newest_days": queries.newest_days, "freshness": sync.freshness,
    "forecast": forecast.month_end, "conversion": reporting.used,
    "budget_statuses": budgets.statuses, "anomalies": anomalies.detect, "stale_providers": reminders.stale,
}


@st.cache_data(show_spinner=False, ttl=ttl())
def _read(url: str, name: str, *args):
    return _READ_MODELS[name](store(), *args)


def read(name: str, *args):
    """A cached read model: `read("models", filters)` is `queries.models(store, filters)`."""
    return _read(store().url.render_as_string(hide_password=False), name, *args)


def as_downloaded(frame, name: str, period: queries.Filters, *, dollars: bool = False):
    """A table as its download holds it, and the file's name without extension: aicost-models-20261101-20261130.
    Amounts in a reporting currency other than USD say so in their columns and the file name (cost_eur,
    aicost-models-eur-...); `dollars`: the table holds the ledger's US dollars whatever the reporting currency."""
    if not dollars and period.currency != reporting.USD:
        code = period.currency.lower()
        frame = frame.rename(columns=lambda c: "_".join(code if part == "usd" else part for part in str(c).split("_")))
        name = f"{name}-{code}"
    return frame, f"aicost-{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"


def downloads(frame, name: str, period: queries.Filters, *, key: str | None = None, dollars: bool = False) -> None:
    """CSV and JSON download buttons for a table as shown (raw values: numbers stay numbers, CSV formula-safe),
    named and labelled by as_downloaded."""
    key = key or name
    frame, stem = as_downloaded(frame, name, period, dollars=dollars)
    with st.container(horizontal=True, gap="small"):
        st.download_button("CSV", data=lambda: export.frame_csv(frame), file_name=f"{stem}.csv",
                           mime="text/csv", key=f"dl-{key}-csv", icon=":material/download:", on_click="ignore")
        st.download_button("JSON", data=lambda: export.frame_json(frame), file_name=f"{stem}.json",
                           mime="application/json", key=f"dl-{key}-json", icon=":material/download:",
                           on_click="ignore")


def clear() -> None:
    """Forget cached query results: call after any write (sync, entry, import, demo)."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False, ttl=ttl())
def currency() -> str:
    """The reporting currency every amount on the pages is in (AICOST_REPORTING_CURRENCY; USD by default); cached,
    as reading the settings takes milliseconds and money() asks for every cell of a table."""
    return get_settings().reporting_currency


def money(value: Decimal | float | int | None) -> str:
    """An amount of the reporting currency for display (rounded to cents here, and only here); "—" for none."""
    return display.money(value, currency())


def spend_label(what: str = "Spend") -> str:
    """A chart's axis title naming the currency: "Spend (EUR)"."""
    return f"{what} ({currency()})"


@st.cache_data(show_spinner=False, ttl=3600)
def _refreshed(url: str, code: str, day: date) -> str:
    return currency_rates.refresh_reporting(store(), get_settings(), day)


def reporting_rates(f: queries.Filters) -> None:
    """With a reporting currency other than USD: fetch the rates the ledger's days lack (at most hourly), and say
    under the title which rates the figures use, and any day without a rate of its own."""
    if f.currency == reporting.USD:
        return
    problem_line = _refreshed(store().url.render_as_string(hide_password=False), f.currency, today())
    conversion = read("conversion", f.currency, f.start, f.end)
    st.caption(conversion.summary)
    for line in [problem_line, *conversion.notes]:
        if line:
            st.warning(line[0].upper() + line[1:], icon=":material/currency_exchange:")


def plain_amount(value) -> str:
    """An amount as a form field holds it: exact, no separators ("1.00", "0.0042")."""
    return display.amount(value)


def provider_name(slug: str) -> str:
    return catalog.display_name(slug)


def color_map(slugs) -> dict[str, str]:
    """Display name -> colour of each provider (pages/palette.py: the same on every page and in every run)."""
    return palette.by_name(slugs)


_DAY_MS = 86_400_000


def day_axis(fig, f: queries.Filters) -> None:
    """A time axis of whole UTC days for any period from one day up: the period's days in view, ticks on days
    (one a day up to two weeks, fewer beyond), never hours or sub-second labels."""
    n = (f.end - f.start).days + 1
    half = timedelta(hours=12)
    fig.update_xaxes(type="date", range=[datetime.combine(f.start, time()) - half, datetime.combine(f.end, time()) + half],
                     tick0=f.start.isoformat(), dtick=_DAY_MS * max(1, math.ceil(n / 14)), tickformat="%d %b",
                     hoverformat="%d %b %Y", title_text="Day (UTC)")


def money_hover(fig, *, value: str = "y", label: str = "x", day: bool = True) -> None:
    """Bar tooltips in words and money: "01 Dec 2026 · OpenAI: $53.60" (not "Spend (USD)=53.60437")."""
    where = f"%{{{label}|%d %b %Y}}" if day else f"%{{{label}}}"
    places = 0 if currency() in display.ZERO_DECIMALS else 2
    fig.update_traces(hovertemplate=f"{where} · %{{fullData.name}}: {display.symbol(currency())}"
                                    f"%{{{value}:,.{places}f}}<extra></extra>",
                      selector={"type": "bar"})


def money_axis(fig, values, *, axis: str = "y", least: float = 0.05) -> None:
    """A money axis in the reporting currency ("$20", "€0.02"), never more precise than a cent: a chart of amounts
    smaller than `least` (a gap of a fraction of a cent) is drawn on a range of at least ±`least`, so no tick reads
    "0.0005"."""
    values = [float(v) for v in values if v is not None]
    low, high = min([0.0, *values]), max([0.0, *values])
    places = 0 if currency() in display.ZERO_DECIMALS else 2
    update = {"tickprefix": display.symbol(currency()), "tickformat": f",.{places}~f"}
    if high - low < least:
        update["range"] = [min(low, -least if low < 0 else 0.0) * 1.1, max(high, least) * 1.1]
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**update)


def legend_below(fig) -> None:
    """The legend under the chart, in rows: a narrow screen keeps the chart's width for the chart."""
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0,
                              "title_text": ""})


def budget_bar(share: Decimal, text: str) -> None:
    """A budget's progress: blue within the amount, red (palette.OVER_BUDGET) beyond it; the text says the figures."""
    filled = max(0.0, min(float(share), 1.0)) * 100
    colour = palette.OVER_BUDGET if share > 1 else "#1c83e1"
    st.markdown(text)
    st.html(f'<div role="progressbar" aria-valuenow="{float(share) * 100:.0f}" aria-valuemin="0" aria-valuemax="100" '
            f'style="height:0.5rem;border-radius:0.25rem;background:rgba(151,166,195,0.25);margin:-0.5rem 0 0.75rem 0">'
            f'<div style="width:{filled:.1f}%;height:100%;border-radius:0.25rem;background:{colour}"></div></div>')


def readable(frame, names: dict[str, str]):
    """A frame as a table people read: the columns of `names` in its order, renamed; times as "2026-12-01 02:00",
    days as 2026-12-01, whole numbers with separators, an empty cell for no text and "—" for no number."""
    out = {}
    for column, label in names.items():
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values) or any(isinstance(v, datetime) for v in values):
            shown = [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) and not pd.isna(v) else "" for v in values]
            if all(v.endswith(" 00:00") for v in shown if v):
                shown = [v[:10] for v in shown]
        elif pd.api.types.is_integer_dtype(values) or pd.api.types.is_float_dtype(values):
            shown = [display.count(v) for v in values]
        else:
            shown = ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values]
        out[label] = shown
    return pd.DataFrame(out, columns=list(names.values()))


def counts(*columns: str) -> dict:
    """st.dataframe column_config showing whole numbers (tokens, requests) with thousands separators."""
    return {c: st.column_config.NumberColumn(format="localized") for c in columns}
