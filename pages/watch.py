"""The UI side of watching spend: the scheduler's process singleton, budget progress, anomaly marks and reminders
for hand-kept providers."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from aicost import display
from aicost.analysis import anomalies
from aicost.config.settings import get_settings
from aicost.delivery import scheduler
from aicost.errors import AicostError
from aicost.sources import keys, registry
from pages import palette, ui

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


_SOURCES = {"api": "synced", "demo": "demo", "manual": "entered", "import": "imported"}


def _when(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _how_to_set_up(slug: str) -> str:
    """What turns a provider's sync on, in words: its admin key, or a cloud's one setting (it has no admin key)."""
    source = registry.get(slug)
    return f": set {keys.env_name(slug)}" if source is not None and source.credentials else ": set its admin key"


def freshness_table(newest: pd.DataFrame, synced: pd.DataFrame, configured: tuple[str, ...] | None = None) -> pd.DataFrame:
    """How fresh each provider's data is, as a table of words (Overview; the Sync page adds whether a key is set).

    newest: queries.newest_days (newest day per provider and source); synced: sync.freshness (the sync log).
    configured: the providers with a key, for the Sync page's "Key set" column (None leaves it out).
    """
    runs = {r["provider"]: r for r in synced.to_dict("records")}
    data: dict[str, list] = {}
    for r in newest.sort_values("newest_day", ascending=False).to_dict("records"):
        data.setdefault(r["provider"], []).append(f"{r['newest_day']} ({_SOURCES.get(r['source'], r['source'])})")
    shown = set(data) | {p for p, r in runs.items() if r["last_attempt"] is not None}
    if configured is not None:
        shown |= set(runs)
    rows = []
    for slug in sorted(shown, key=lambda p: (p not in runs, ui.provider_name(p).casefold())):
        run = runs.get(slug)
        attempt = _when(run["last_attempt"]) if run else None
        success = _when(run["last_success"]) if run else None
        if run is None:
            sync_text = "no usage API: entered or imported"
        elif success:
            sync_text = success
        elif attempt:
            sync_text = f"never succeeded (last try {attempt})"
        else:
            sync_text = "not synced yet" + ("" if configured and slug in configured else _how_to_set_up(slug))
        row = {"Provider": ui.provider_name(slug)}
        if configured is not None:
            row["Key set"] = "yes" if slug in configured else ("no" if run else "—")
            row["Last attempt (UTC)"] = attempt or "never"
            row["Last status"] = (run["last_status"] if run else None) or "—"
        row["Last sync (UTC)"] = sync_text
        row["Newest data (UTC)"] = ", ".join(data.get(slug, [])) or "none"
        row["Last error"] = (run["last_error"] if run else None) or ""
        rows.append(row)
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else ["Provider", "Last sync (UTC)", "Newest data (UTC)",
                                                                   "Last error"])


def reminders(today) -> None:
    """One warning per hand-kept provider whose newest entry is older than AICOST_REMINDER_DAYS (Overview)."""
    for s in ui.read("stale_providers", today, get_settings().reminder_days):
        st.warning(f"**Reminder:** {s.text}.", icon=":material/edit_note:")


def budget_progress(today) -> None:
    """A compact progress bar per budget (spend so far, the forecast), for the Overview."""
    statuses = ui.read("budget_statuses", today)
    if not statuses:
        return
    st.subheader("Budgets")
    for s in statuses:
        b = s.budget
        money = functools.partial(display.money, currency=b.currency)  # a budget counts in its own currency
        if s.problem:
            st.warning(f"**{b.name}**: its spend cannot be read: {s.problem}")
            continue
        over = f" · on track to exceed by {money(s.projected_over)}" if s.projected_over > 0 else ""
        text = (f"**{b.name}** ({b.scope_label}, {s.label} UTC): {money(s.spent)} of {money(b.amount_usd)} "
                f"({s.share * 100:.0f}%) · forecast {money(s.projection.projected)}{over}")
        if s.spent > b.amount_usd:
            text = f":red[**Over budget** by {money(s.spent - b.amount_usd)}] · " + text
        if not s.matched:
            text += f" · :orange[watches nothing: no {b.scope} {b.scope_value!r} in the ledger]"
        ui.budget_bar(s.share, text)


def mark_anomalies(fig: go.Figure, filters, daily_by) -> None:
    """Mark provider-level anomalies of the filtered period on a daily spend chart (at the day's bar top)."""
    days = min((filters.end - filters.start).days + 1, 366)
    if days <= 0 or daily_by.empty:
        return
    found = ui.read("anomalies", filters.end, days, anomalies.Rules.from_settings(get_settings()), ("provider",),
                    filters.currency)
    found = found[found["day"] >= filters.end - timedelta(days=days - 1)]
    if filters.providers:
        found = found[found["provider"].isin(filters.providers)]
    if found.empty:
        return
    tops = daily_by.groupby("day")["Spend"].sum()
    fig.add_trace(go.Scatter(
        x=list(found["day"]), y=[float(tops.get(d, 0)) for d in found["day"]], mode="markers", name="Anomaly",
        marker=dict(symbol="triangle-down", size=14, color=palette.ANOMALY),
        hovertext=[f"{ui.provider_name(p)}: {ui.money(v)} against a usual {ui.money(b)}"
                   for p, v, b in zip(found["provider"], found["spend"], found["baseline"])],
        hoverinfo="text+x"))

