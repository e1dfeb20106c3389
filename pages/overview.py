"""Overview: this month's spend, last month, spend by provider and daily spend (UTC)."""

from __future__ import annotations

from datetime import timedelta

import plotly.express as px
import streamlit as st

from aicost import demo, queries
from pages import ui

st.title("Overview")
st.caption("All dates and days are UTC, as the providers bill them.")

if not ui.has_rows():
    st.info("The ledger is empty. Sync a provider, add a manual entry or import a CSV — or look around with demo data.")
    if st.button("Load demo data", type="primary"):
        result = demo.load(ui.store(), ui.today())
        ui.clear()
        st.success(f"Loaded {result.new} demo rows.")
        st.rerun()
    st.stop()

today = ui.today()
summary = ui.month_summary(today)
delta = summary.month_to_date - summary.same_point_last_month
c1, c2, c3 = st.columns(3)
c1.metric("Month to date", ui.money(summary.month_to_date),
          delta=f"{ui.money(abs(delta))} {'more' if delta >= 0 else 'less'} than same point last month",
          delta_color="inverse")
c2.metric("Last month", ui.money(summary.last_month))
c3.metric("Same point last month", ui.money(summary.same_point_last_month),
          help=f"Last month up to day {today.day}.")

window = queries.Filters(today - timedelta(days=89), today)
st.subheader("Last 90 days")
by_provider = ui.totals_by(window, "provider")
if by_provider.empty:
    st.write("No spend in the last 90 days.")
else:
    table = by_provider.assign(
        Provider=by_provider["provider"].map(ui.provider_name),
        Spend=by_provider["cost_usd"].map(ui.money),
        Estimated=by_provider["estimated_cost_usd"].map(ui.money),
        Unpriced=by_provider["unpriced_rows"],
    )[["Provider", "Spend", "Estimated", "Unpriced"]]
    st.dataframe(table, hide_index=True, width="stretch")
    if by_provider["unpriced_rows"].sum():
        st.warning("Some usage is **unpriced**: its model has no known price, so it is not in the totals (never $0).")

    daily = ui.totals_by(window, ("day", "provider"))
    daily = daily.assign(Provider=daily["provider"].map(ui.provider_name), Spend=daily["cost_usd"].astype(float))
    fig = px.bar(daily, x="day", y="Spend", color="Provider", color_discrete_map=ui.color_map(daily["provider"].unique()),
                 labels={"day": "Day (UTC)", "Spend": "Spend (USD)"}, title="Daily spend by provider")
    fig.update_layout(barmode="stack", legend_title_text="", margin=dict(t=40, b=0))
    st.plotly_chart(fig, width="stretch")

if ui.has_rows("demo"):
    st.divider()
    st.caption("Demo data is loaded (every demo row has source 'demo').")
    if st.button("Remove demo data"):
        removed = demo.remove(ui.store())
        ui.clear()
        st.success(f"Removed {removed} demo rows.")
        st.rerun()
