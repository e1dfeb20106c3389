"""The UI side of watching spend: the scheduler's process singleton, budget progress and anomaly marks."""

from __future__ import annotations

import logging
from datetime import timedelta

import plotly.graph_objects as go
import streamlit as st

from aicost import anomalies, scheduler
from aicost.errors import AicostError
from aicost.settings import get_settings
from pages import ui

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _scheduler(url: str, schedule_text: str) -> scheduler.Scheduler | None:
    # one per process and (ledger, schedule): every session and rerun gets this same object; the lease row in
    # the ledger keeps a second dashboard process or a cron job from running the same due time again
    schedule = scheduler.parse(schedule_text)
    if schedule is None:
        return None
    return scheduler.Scheduler(ui.store(), get_settings(), schedule, on_done=st.cache_data.clear).start()


def start_scheduler() -> scheduler.Scheduler | AicostError | None:
    """Start this process's scheduler once (a no-op on every later call); a bad schedule or ledger is returned
    (scheduler_problem shows it to a visitor who is let in), not raised."""
    s = get_settings()
    try:
        return _scheduler(s.database_url, s.sync_schedule)
    except AicostError as exc:
        log.warning("scheduled sync is off: %s", exc)
        return exc


def scheduler_problem(started) -> None:
    if isinstance(started, AicostError):
        st.sidebar.warning(f"Scheduled sync is off: {started}")


def budget_progress(today) -> None:
    """A compact progress bar per budget (spend so far, the forecast), for the Overview."""
    statuses = ui.read("budget_statuses", today)
    if not statuses:
        return
    st.subheader("Budgets")
    for s in statuses:
        b = s.budget
        over = f" · on track to exceed by {ui.money(s.projected_over)}" if s.projected_over > 0 else ""
        st.progress(min(float(s.share), 1.0),
                    text=f"**{b.name}** ({b.scope_label}, {s.label} UTC): {ui.money(s.spent)} of "
                         f"{ui.money(b.amount_usd)} ({s.share * 100:.0f}%) · forecast {ui.money(s.projection.projected)}"
                         f"{over}")


def mark_anomalies(fig: go.Figure, filters, daily_by) -> None:
    """Mark provider-level anomalies of the filtered period on a daily spend chart (at the day's bar top)."""
    days = min((filters.end - filters.start).days + 1, 366)
    if days <= 0 or daily_by.empty:
        return
    found = ui.read("anomalies", filters.end, days, anomalies.Rules.from_settings(get_settings()))
    found = found[(found["level"] == "provider") & (found["day"] >= filters.end - timedelta(days=days - 1))]
    if filters.providers:
        found = found[found["provider"].isin(filters.providers)]
    if found.empty:
        return
    tops = daily_by.groupby("day")["Spend"].sum()
    fig.add_trace(go.Scatter(
        x=list(found["day"]), y=[float(tops.get(d, 0)) for d in found["day"]], mode="markers", name="Anomaly",
        marker=dict(symbol="triangle-down", size=14, color="#d62728"),
        hovertext=[f"{ui.provider_name(p)}: {ui.money(v)} against a usual {ui.money(b)}"
                   for p, v, b in zip(found["provider"], found["spend"], found["baseline"])],
        hoverinfo="text+x"))

