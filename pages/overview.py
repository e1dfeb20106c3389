"""Overview: this month against last, a month-end forecast, daily spend by provider, top models, how much is
estimated, and how fresh each provider's data is (all days UTC)."""

from __future__ import annotations

from decimal import Decimal

import plotly.express as px
import streamlit as st

from aicost import demo, ledger, queries
from pages import access, filters, ui, watch

access.require()  # also when a page file is requested directly, before app.py has routed

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

f = filters.sidebar()
filters.ledger_downloads(f)
today = ui.today()

# -- this month (UTC) against last month; the provider/project/model filters apply, the period does not ----------
summary = ui.month_summary(today, f)
delta = summary.month_to_date - summary.same_point_last_month
projection = ui.read("forecast", today, f)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Month to date", ui.money(summary.month_to_date),
          delta=f"{'-' if delta < 0 else '+'}{ui.money(abs(delta))}", delta_color="inverse",
          delta_description="vs same point last month", help=f"{today:%B %Y} up to {today} (UTC).")
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
    by_provider = ui.totals_by(f, "provider")
    if by_provider.empty:
        st.info("No spend or usage in this period and selection. Widen the period or clear a filter in the sidebar.")
        return

    status = ui.totals_by(f, "cost_status")
    spend = sum(status["cost_usd"], Decimal(0))
    estimated = sum(status.loc[status["cost_status"] == "estimated", "cost_usd"], Decimal(0))
    kinds = ui.totals_by(f, "kind")
    flat = sum(kinds.loc[kinds["kind"] == ledger.KIND_SUBSCRIPTION, "cost_usd"], Decimal(0))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Spend", ui.money(spend))
    m2.metric("Estimated, not billed", f"{(estimated / spend * 100 if spend else Decimal(0)):.1f}%",
              delta=ui.money(estimated), delta_color="off", delta_arrow="off", delta_description="of spend",
              help="Share of spend counted from token estimates because no bill covers it (e.g. Groq, priority tier).")
    m3.metric("Unpriced rows", int(status["unpriced_rows"].sum()),
              help="Usage of models without a known price: shown on Reconciliation, never counted as $0.")
    m4.metric("Flat subscriptions", ui.money(flat), delta=ui.money(spend - flat), delta_color="off",
              delta_arrow="off", delta_description="metered",
              help="Seats and plans entered as subscriptions (part of Spend), and the metered rest.")

    colors = ui.color_map(by_provider["provider"].unique())
    daily_by = ui.totals_by(f, ("day", "provider"))
    daily_by = daily_by.assign(Provider=daily_by["provider"].map(ui.provider_name),
                               Spend=daily_by["cost_usd"].astype(float))
    fig = px.bar(daily_by, x="day", y="Spend", color="Provider", color_discrete_map=colors,
                 labels={"day": "Day (UTC)", "Spend": "Spend (USD)"}, title="Daily spend by provider")
    fig.update_layout(barmode="stack", legend_title_text="", margin=dict(t=40, b=0))
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
        ui.downloads(by_provider, "by-provider")
        if by_provider["unpriced_rows"].sum():
            st.warning("Some usage is **unpriced**: its model has no known price, so it is not in the totals (never $0).")
    with right:
        st.markdown("**Top models**")
        top = ui.read("models", f).head(5)
        top = top[top["cost_usd"] > 0]
        if top.empty:
            st.write("No model has spend in this period.")
        else:
            chart = top.assign(Provider=top["provider"].map(ui.provider_name), Spend=top["cost_usd"].astype(float))
            fig = px.bar(chart, x="Spend", y="model", color="Provider", orientation="h", color_discrete_map=colors,
                         labels={"Spend": "Spend (USD)", "model": ""})
            fig.update_layout(legend_title_text="", margin=dict(t=10, b=0), height=260,
                              yaxis={"categoryorder": "total ascending"})
            st.plotly_chart(fig, width="stretch")


selected_period(f)

# -- freshness per provider ---------------------------------------------------------------------------------------
st.subheader("Freshness")
newest = ui.read("newest_days")
synced = ui.read("freshness")
synced = {r["provider"]: r for r in synced.to_dict("records")}
slugs = sorted(set(newest["provider"]) | {p for p, r in synced.items() if r["last_attempt"] is not None})
cols = st.columns(max(len(slugs), 1))
for col, slug in zip(cols, slugs):
    rows = newest[newest["provider"] == slug]
    lines = [f"**{ui.provider_name(slug)}**"]
    for r in rows.to_dict("records"):
        lines.append(f"newest {r['source']} data: {r['newest_day']} UTC")
    run = synced.get(slug)
    if run is not None and run["last_attempt"] is not None:
        lines.append(f"last sync: {run['last_success'] or 'never succeeded'} UTC")
        if run["last_error"]:
            lines.append(f":red[last error: {run['last_error']}]")
    elif slug in synced:
        lines.append("not synced yet: set its admin key, then Sync")
    col.markdown("  \n".join(lines))

if ui.has_rows("demo"):
    st.divider()
    st.caption("Demo data is loaded (every demo row has source 'demo').")
    if st.button("Remove demo data"):
        removed = demo.remove(ui.store())
        ui.clear()
        st.success(f"Removed {removed} demo rows.")
        st.rerun()
