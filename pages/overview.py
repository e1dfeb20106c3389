"""Overview: this month against last, a month-end forecast, daily spend by provider, top models, how much is
estimated, and how fresh each provider's data is (all days UTC)."""

from __future__ import annotations

from decimal import Decimal

import plotly.express as px
import streamlit as st

from aicost import display, ledger
from aicost.analysis import allocation, queries
from aicost.sources import demo
from pages import access, filters, ui, watch

access.require()  # also when a page file is requested directly, before app.py has routed

st.title("Overview")
st.caption("All dates and days are UTC, as the providers bill them.")

if not ui.has_rows():
    st.info("The ledger is empty. Sync a provider, add a manual entry or import a CSV — or look around with demo data.")
    if st.button("Load demo data", type="primary"):
        result = demo.load(ui.store(), ui.today())
        allocation.load_demo(ui.store())  # the demo's teams, unless the ledger has rules of its own
        ui.clear()
        st.success(f"Loaded {result.new} demo rows.")
        st.rerun()
    st.stop()

f = filters.sidebar()
filters.ledger_downloads(f)
ui.reporting_rates(f)
today = ui.today()

# -- this month (UTC) against last month; the provider/project/model filters apply, the period does not ----------
summary = ui.month_summary(today, f)
delta = summary.month_to_date - summary.same_point_last_month
projection = ui.read("forecast", today, f)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Month to date", ui.money(summary.month_to_date),
          delta=f"{'-' if delta < 0 else '+'}{ui.money(abs(delta))}", delta_color="inverse",
          delta_description="vs last month", help=f"{today:%B %Y} up to {today} (UTC), today so far included; the "
          "change is against last month up to the same day.")
c2.metric("Month-end forecast", ui.money(projection.projected),
          delta=f"{ui.money(projection.low)} – {ui.money(projection.high)}", delta_color="off", delta_arrow="off",
          delta_description="likely range",
          help=projection.explanation)
c3.metric("Last month", ui.money(summary.last_month))
c4.metric("Same point last month", ui.money(summary.same_point_last_month),
          help=f"Last month up to day {today.day} (UTC).")
watch.budget_progress(today)

# -- the selected period ----------------------------------------------------------------------------------------
def selected_period(f: queries.Filters) -> None:
    st.subheader("Spend in the selected period")
    st.caption(filters.describe(f))
    detail = ui.totals_by(f, ("day", "provider", "cost_status", "kind"))  # one read; the figures below sum it up
    if detail.empty:
        st.info("No spend or usage in this period and selection. Widen the period or clear a filter in the sidebar.")
        return

    by_provider = queries.rollup(detail, "provider")
    spend = sum(detail["cost_usd"], Decimal(0))
    estimated = sum(detail.loc[detail["cost_status"] == "estimated", "cost_usd"], Decimal(0))
    flat = sum(detail.loc[detail["kind"] == ledger.KIND_SUBSCRIPTION, "cost_usd"], Decimal(0))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Spend", ui.money(spend))
    m2.metric("Estimated, not billed", f"{(estimated / spend * 100 if spend else Decimal(0)):.1f}%",
              delta=ui.money(estimated), delta_color="off", delta_arrow="off", delta_description="of spend",
              help="Share of spend counted from token estimates because no bill covers it (e.g. Groq, priority tier).")
    m3.metric("Unpriced rows", f"{int(detail['unpriced_rows'].sum()):,}",
              help="Usage of models without a known price: shown on Reconciliation, never counted as $0.")
    m4.metric("Flat subscriptions", ui.money(flat), delta=ui.money(spend - flat), delta_color="off",
              delta_arrow="off", delta_description="metered",
              help="Seats and plans entered as subscriptions (part of Spend), and the metered rest.")

    colors = ui.color_map(by_provider["provider"].unique())
    daily_by = queries.rollup(detail, ("day", "provider"))
    daily_by = daily_by.assign(Provider=daily_by["provider"].map(ui.provider_name),
                               Spend=daily_by["cost_usd"].astype(float))
    fig = px.bar(daily_by, x="day", y="Spend", color="Provider", color_discrete_map=colors,
                 labels={"day": "Day (UTC)", "Spend": ui.spend_label()}, title="Daily spend by provider")
    fig.update_layout(barmode="stack", margin=dict(t=40, b=0))
    ui.day_axis(fig, f)
    ui.money_hover(fig)
    ui.money_axis(fig, daily_by.groupby("day")["Spend"].sum())
    ui.legend_below(fig)
    watch.mark_anomalies(fig, f, daily_by)
    st.plotly_chart(fig, width="stretch")

    left, right = st.columns(2)
    with left:
        st.markdown("**By provider**")
        table = by_provider.assign(
            Provider=by_provider["provider"].map(ui.provider_name),
            Spend=by_provider["cost_usd"].map(ui.money),
            Estimated=by_provider["estimated_cost_usd"].map(ui.money),
            Unpriced=by_provider["unpriced_rows"],
        )[["Provider", "Spend", "Estimated", "Unpriced"]]
        st.dataframe(table, hide_index=True, width="stretch")
        ui.downloads(by_provider, "by-provider", f)
        if by_provider["unpriced_rows"].sum():
            st.warning("Some usage is **unpriced**: its model has no known price, so it is not in the totals (never $0).")
    with right:
        st.markdown("**Top models**")
        top = ui.read("models", f).head(5)
        top = top[top["cost_usd"] > 0]
        if top.empty:
            st.write("No model has spend in this period.")
        else:
            chart = top.assign(Provider=top["provider"].map(ui.provider_name), Spend=top["cost_usd"].astype(float),
                               Model=top["model"].map(display.model))
            fig = px.bar(chart, x="Spend", y="Model", color="Provider", orientation="h", color_discrete_map=colors,
                         labels={"Spend": ui.spend_label(), "Model": ""})
            fig.update_layout(margin=dict(t=10, b=0), height=300, yaxis={"categoryorder": "total ascending"})
            ui.money_hover(fig, value="x", label="y", day=False)
            ui.money_axis(fig, chart.groupby("Model")["Spend"].sum(), axis="x")
            ui.legend_below(fig)
            st.plotly_chart(fig, width="stretch")


selected_period(f)

# -- freshness per provider ---------------------------------------------------------------------------------------
st.subheader("Freshness")
watch.reminders(today)  # hand-kept providers whose newest entry is getting old
st.dataframe(watch.freshness_table(ui.read("newest_days"), ui.read("freshness")), hide_index=True, width="stretch")

if ui.has_rows("demo"):
    st.divider()
    st.caption("Demo data is loaded (every demo row has source 'demo').")
    if st.button("Remove demo data"):
        removed = demo.remove(ui.store())
        allocation.remove_demo(ui.store())
        ui.clear()
        st.success(f"Removed {removed} demo rows.")
        st.rerun()
