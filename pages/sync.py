"""Sync: pull usage and billed cost from the providers now, and see how fresh each provider's data is."""

from __future__ import annotations

import streamlit as st

from aicost import display
from aicost import sources as providers
from aicost.analysis import queries
from aicost.config.settings import get_settings
from aicost.delivery import scheduler
from aicost.errors import AicostError
from aicost.sources import keys, sync
from pages import access, ui, watch

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Sync")
st.caption("Usage and billed cost from the providers' admin APIs. All days and times are UTC.")

settings = get_settings()
configured = sync.configured(settings)
missing = [name for name in providers.NAMES if name not in configured]
if missing:
    keyed = [n for n in missing if n in keys.KEYED]
    if keyed:
        st.info("No admin key for " + ", ".join(ui.provider_name(n) for n in keyed)
                + ": set it on the Settings page or as " + " / ".join(keys.env_name(n) for n in keyed) + ".")
    clouds = [n for n in missing if n not in keys.KEYED]
    if clouds:
        st.caption("Not configured: " + ", ".join(f"{ui.provider_name(n)} ({keys.env_name(n)})" for n in clouds)
                   + ". See the README for each cloud's credentials.")

dry_run = st.toggle("Dry run: fetch and compare with the ledger, write nothing", key="sync_dry_run")
if st.button("Sync now", type="primary", disabled=not configured, key="sync_now"):
    outcomes = []
    for name in configured:
        with st.status(f"Syncing {ui.provider_name(name)}…", expanded=True) as status:
            outcome = sync.sync_provider(ui.store(), settings, name, dry_run=dry_run)
            st.write(outcome.summary())
            if outcome.ok:
                status.update(label=f"{ui.provider_name(name)}: done", state="complete", expanded=False)
            else:
                status.update(label=f"{ui.provider_name(name)}: failed", state="error")
        outcomes.append(outcome)
    ui.clear()
    done = [o for o in outcomes if o.ok and o.window is not None]
    for o in outcomes:
        if o.note:
            st.info(f"{o.note[0].upper()}{o.note[1:]}.")
    if done:
        verb = "would be" if dry_run else "were"
        st.success(" · ".join(
            f"{ui.provider_name(o.provider)}: {o.new} rows new and {o.updated} updated {verb} "
            f"({o.window.since:%d %b}–{o.window.until:%d %b %Y})"
            + (f", credits left {display.usd(o.balance)}" if o.balance is not None else "") for o in done))
    for o in outcomes:
        if not o.ok:
            st.error(f"{ui.provider_name(o.provider)} did not sync: {o.error}. Its earlier data is unchanged.")

st.subheader("Freshness")
st.dataframe(watch.freshness_table(queries.newest_days(ui.store()), sync.freshness(ui.store()), tuple(configured)),
             hide_index=True, width="stretch")
st.caption(
    "Each sync re-fetches the last few days (providers revise recent buckets), so numbers for the newest days "
    "can still change. Anthropic Priority Tier usage has no line in Anthropic's cost report: aicost counts its "
    "token-based estimate as spend (marked *estimated*), so it is neither lost nor counted twice. OpenRouter gives "
    "only its last 30 completed UTC days (never today): sync it at least daily, or older days are lost to aicost. "
    "Its bring-your-own-key inference is billed by the key's own provider, so it is kept beside the usage as an "
    "estimate and never counted twice."
)

# -- the scheduled sync ------------------------------------------------------------------------------------------
st.subheader("Scheduled sync")
try:
    schedule = scheduler.parse(settings.sync_schedule)
except AicostError as exc:
    st.error(str(exc))
    schedule = None
if schedule is None:
    st.caption("Off (AICOST_SYNC_SCHEDULE). Use cron: `python -m aicost sync && python -m aicost alerts check`.")
else:
    st.markdown(f"`{schedule.text}` (UTC, AICOST_SYNC_SCHEDULE): **next run at "
                f"{schedule.next_due(scheduler.utcnow()):%Y-%m-%d %H:%M} UTC**, a sync of every provider with a key, "
                "then an alerts check.")
scheduled = scheduler.recent(ui.store())
if not scheduled.empty:
    st.dataframe(ui.readable(scheduled, {"due_at": "Due at (UTC)", "status": "Status", "detail": "What happened",
                                         "started_at": "Started (UTC)", "ended_at": "Ended (UTC)", "holder": "Process"}),
                 hide_index=True, width="stretch")

runs = sync.recent_runs(ui.store(), limit=20)
with st.expander(f"Recent sync runs ({len(runs)})"):
    if runs.empty:
        st.write("No sync has run yet.")
    else:
        st.dataframe(ui.readable(runs.assign(provider=runs["provider"].map(ui.provider_name)), {
            "provider": "Provider", "started_at": "Started (UTC)", "status": "Status", "window_start": "From (UTC)",
            "window_end": "To (UTC)", "rows_new": "New rows", "rows_updated": "Updated", "rows_unchanged": "Unchanged",
            "rows_removed": "Removed", "requests": "HTTP requests", "error": "Error", "ended_at": "Ended (UTC)"}),
            hide_index=True, width="stretch")
