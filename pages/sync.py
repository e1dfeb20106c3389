"""Sync: pull usage and billed cost from the providers now, and see how fresh each provider's data is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from aicost import sync
from aicost.settings import get_settings
from pages import access, ui

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Sync")
st.caption("Usage and billed cost from the providers' admin APIs. All days and times are UTC.")

settings = get_settings()
configured = sync.configured(settings)
missing = [name for name in ("openai", "anthropic") if name not in configured]
if missing:
    st.info("No admin key for " + ", ".join(ui.provider_name(n) for n in missing)
            + ": set it on the Settings page or as AICOST_OPENAI_ADMIN_KEY / AICOST_ANTHROPIC_ADMIN_KEY.")

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
    done = [o for o in outcomes if o.ok]
    if done:
        verb = "would be" if dry_run else "were"
        st.success(" · ".join(
            f"{ui.provider_name(o.provider)}: {o.new} rows new and {o.updated} updated {verb} "
            f"({o.window.since:%d %b}–{o.window.until:%d %b %Y})" for o in done))
    for o in outcomes:
        if not o.ok:
            st.error(f"{ui.provider_name(o.provider)} did not sync: {o.error}. Its earlier data is unchanged.")

st.subheader("Freshness")
fresh = sync.freshness(ui.store())


def _when(value) -> str:
    return "never" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")


st.dataframe(
    pd.DataFrame({
        "Provider": fresh["provider"].map(ui.provider_name),
        "Key set": fresh["provider"].map(lambda p: "yes" if p in configured else "no"),
        "Last attempt": fresh["last_attempt"].map(_when),
        "Last status": fresh["last_status"].fillna("—"),
        "Last success": fresh["last_success"].map(_when),
        "Newest day with data (UTC)": fresh["newest_day"].map(lambda d: "none" if d is None else str(d)),
        "Last error": fresh["last_error"].fillna(""),
    }),
    hide_index=True, width="stretch",
)
st.caption(
    "Each sync re-fetches the last few days (providers revise recent buckets), so numbers for the newest days "
    "can still change. Anthropic Priority Tier usage has no line in Anthropic's cost report: aicost counts its "
    "token-based estimate as spend (marked *estimated*), so it is neither lost nor counted twice."
)

runs = sync.recent_runs(ui.store(), limit=20)
with st.expander(f"Recent sync runs ({len(runs)})"):
    if runs.empty:
        st.write("No sync has run yet.")
    else:
        st.dataframe(runs, hide_index=True, width="stretch")
